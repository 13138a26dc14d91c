// Tests for record rendering: JSONL objects parsed back with Boost.JSON (keys,
// nulls, the error object, hostile bytes) and RFC 4180 CSV rows parsed back
// with a small reader of the test's own.
#include "shoal/record.hpp"

#include <boost/json.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shoal/charset.hpp"

using namespace std::string_literals;

namespace {

namespace json = boost::json;
using shoal::error_stage;
using shoal::record;

const std::string fffd = "\xEF\xBF\xBD";

record full_record() {
    record r;
    r.line = 17;
    r.url = "http://127.0.3.9:18080/p/17.html";
    r.final_url = "http://127.0.3.9:18080/p/17.html";
    r.status = 200;
    r.elapsed_ms = 12.4;
    r.bytes = 18231;
    r.attempts = 1;
    r.title = "Lenovo ThinkPad X1 Carbon";
    r.price = shoal::price{"1299.00", "USD", "$1,299.00"};
    return r;
}

// Renders r as JSONL, checks the line shape, and parses it.
json::object to_json(const record& r) {
    std::string line;
    shoal::append_jsonl(r, line);
    INFO("jsonl: " << line);
    REQUIRE(!line.empty());
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);  // one line, whatever the data
    CHECK(shoal::is_valid_utf8(line));
    json::error_code ec;
    json::value v = json::parse(line, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    return v.as_object();
}

std::vector<std::string> keys_of(const json::object& o) {
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    return keys;
}

std::string str(const json::value& v) {
    REQUIRE(v.is_string());
    return std::string(v.as_string());
}

// A strict RFC 4180 reader: rows of fields, CRLF or LF row ends.
std::vector<std::vector<std::string>> parse_csv(const std::string& s) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    std::size_t i = 0;
    bool row_open = false;
    while (i < s.size()) {
        row_open = true;
        if (s[i] == '"') {
            ++i;
            for (;;) {
                REQUIRE(i < s.size());  // an unterminated quoted field
                if (s[i] == '"') {
                    if (i + 1 < s.size() && s[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += s[i++];
            }
            // After a closing quote: a separator or a row end, nothing else.
            REQUIRE((i == s.size() || s[i] == ',' || s[i] == '\r' || s[i] == '\n'));
        } else {
            while (i < s.size() && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
                REQUIRE(s[i] != '"');  // a bare quote in an unquoted field
                field += s[i++];
            }
        }
        row.push_back(std::move(field));
        field.clear();
        if (i == s.size()) break;
        if (s[i] == ',') {
            ++i;
            if (i == s.size()) row.emplace_back();
            continue;
        }
        if (s[i] == '\r') {
            ++i;
            REQUIRE(i < s.size());
            REQUIRE(s[i] == '\n');
        }
        ++i;
        rows.push_back(std::move(row));
        row.clear();
        row_open = false;
    }
    if (row_open) rows.push_back(std::move(row));
    return rows;
}

std::vector<std::string> csv_header() {
    std::string h;
    shoal::append_csv_header(h);
    auto rows = parse_csv(h);
    REQUIRE(rows.size() == 1);
    return rows[0];
}

std::vector<std::string> csv_row(const record& r) {
    std::string s;
    shoal::append_csv_row(r, s);
    INFO("csv: " << s);
    CHECK(s.size() >= 2);
    CHECK(s.substr(s.size() - 2) == "\r\n");
    CHECK(shoal::is_valid_utf8(s));
    auto rows = parse_csv(s);
    REQUIRE(rows.size() == 1);
    return rows[0];
}

std::string column(const std::vector<std::string>& header, const std::vector<std::string>& row,
                   const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
        if (header[i] == name) return row.at(i);
    FAIL("no column " << name);
    return {};
}

}  // namespace

TEST_CASE("record: JSONL has exactly the documented keys, in order", "[record]") {
    auto o = to_json(full_record());
    const std::vector<std::string> want{"line",  "url",   "final_url", "status",
                                        "elapsed_ms", "bytes", "attempts", "title",
                                        "price", "fields", "error"};
    CHECK(keys_of(o) == want);
}

TEST_CASE("record: JSONL values of a successful fetch", "[record]") {
    record r = full_record();
    r.fields = {{"sku", "\"A-1\""}, {"sizes", "[\"S\",\"M\"]"}, {"n", "3"}};
    auto o = to_json(r);
    CHECK(o.at("line").to_number<std::uint64_t>() == 17);
    CHECK(str(o.at("url")) == r.url);
    CHECK(str(o.at("final_url")) == r.final_url);
    CHECK(o.at("status").to_number<int>() == 200);
    CHECK(o.at("elapsed_ms").to_number<double>() == Approx(12.4));
    CHECK(o.at("bytes").to_number<std::uint64_t>() == 18231);
    CHECK(o.at("attempts").to_number<int>() == 1);
    CHECK(str(o.at("title")) == "Lenovo ThinkPad X1 Carbon");
    const auto& p = o.at("price").as_object();
    CHECK(keys_of(p) == std::vector<std::string>{"amount", "currency", "raw"});
    CHECK(str(p.at("amount")) == "1299.00");  // a string, never a float
    CHECK(str(p.at("currency")) == "USD");
    CHECK(str(p.at("raw")) == "$1,299.00");
    const auto& f = o.at("fields").as_object();
    CHECK(keys_of(f) == std::vector<std::string>{"sku", "sizes", "n"});
    CHECK(str(f.at("sku")) == "A-1");
    CHECK(f.at("sizes").as_array().size() == 2);
    CHECK(f.at("n").to_number<int>() == 3);
    CHECK(o.at("error").is_null());
}

TEST_CASE("record: JSONL nulls for a failed fetch", "[record]") {
    record r;
    r.line = 5;
    r.url = "http://10.255.255.1/";
    r.attempts = 3;
    r.elapsed_ms = 30000.0;
    r.stage = error_stage::connect;
    r.error_code = "timeout";
    r.error_message = "no connection within 30 s";
    auto o = to_json(r);
    CHECK(o.at("status").is_null());
    CHECK(o.at("title").is_null());
    CHECK(o.at("price").is_null());
    CHECK(o.at("fields").as_object().empty());
    CHECK(o.at("bytes").to_number<int>() == 0);
    const auto& e = o.at("error").as_object();
    CHECK(keys_of(e) == std::vector<std::string>{"stage", "code", "message"});
    CHECK(str(e.at("stage")) == "connect");
    CHECK(str(e.at("code")) == "timeout");
    CHECK(str(e.at("message")) == "no connection within 30 s");
}

TEST_CASE("record: JSONL error with an HTTP status, and every stage name", "[record]") {
    const std::pair<error_stage, const char*> stages[] = {
        {error_stage::connect, "connect"}, {error_stage::tls, "tls"},
        {error_stage::request, "request"}, {error_stage::response, "response"},
        {error_stage::body, "body"},       {error_stage::decode, "decode"},
        {error_stage::redirect, "redirect"}, {error_stage::input, "input"},
        {error_stage::crash, "crash"},
    };
    for (const auto& [stage, name] : stages) {
        INFO("stage " << name);
        record r;
        r.line = 1;
        r.url = "http://x/";
        r.status = 503;
        r.stage = stage;
        r.error_code = "http_503";
        r.error_message = "Service Unavailable";
        auto o = to_json(r);
        CHECK(o.at("status").to_number<int>() == 503);
        CHECK(str(o.at("error").as_object().at("stage")) == name);
        CHECK(shoal::to_string(stage) == name);
    }
}

TEST_CASE("record: JSONL price with an unknown currency", "[record]") {
    record r = full_record();
    r.price = shoal::price{"12.50", "", "12.50"};
    auto o = to_json(r);
    const auto& p = o.at("price").as_object();
    CHECK(str(p.at("amount")) == "12.50");
    CHECK(p.at("currency").is_null());
}

TEST_CASE("record: hostile bytes give valid UTF-8 JSON that round-trips", "[record]") {
    // Quotes, backslashes, every control character, DEL, NUL, U+2028/U+2029,
    // valid multibyte text, and invalid UTF-8 (lone continuation, truncated
    // sequence, overlong, surrogate, 0xFF).
    std::string controls;
    for (int c = 0; c < 0x20; ++c) controls += static_cast<char>(c);
    const std::string valid_part = "q\"uo\\te/ " + controls + "\x7f" + "\u2028\u2029 caf\u00e9 \u20ac \U0001F600";
    const std::string hostile = valid_part + "\x80|\xE2\x82|\xC0\xAF|\xED\xA0\x80|\xFF";

    record r = full_record();
    r.url = hostile;
    r.final_url = hostile;
    r.title = hostile;
    r.price = shoal::price{"1", "USD", hostile};
    r.fields = {{hostile, "\"ok\""}};
    r.stage = error_stage::body;
    r.error_code = "x\x01y";
    r.error_message = hostile;

    auto o = to_json(r);
    const std::string repaired = shoal::make_valid_utf8(hostile);
    REQUIRE(shoal::is_valid_utf8(repaired));
    // The valid prefix comes back byte for byte; invalid bytes became U+FFFD.
    CHECK(repaired.rfind(valid_part, 0) == 0);
    CHECK(repaired.find(fffd) != std::string::npos);
    CHECK(str(o.at("url")) == repaired);
    CHECK(str(o.at("final_url")) == repaired);
    CHECK(str(o.at("title")) == repaired);
    CHECK(str(o.at("price").as_object().at("raw")) == repaired);
    CHECK(str(o.at("fields").as_object().begin()->value()) == "ok");
    CHECK(std::string(o.at("fields").as_object().begin()->key()) == repaired);
    CHECK(str(o.at("error").as_object().at("code")) == "x\x01y");
    CHECK(str(o.at("error").as_object().at("message")) == repaired);
}

TEST_CASE("record: invalid UTF-8 becomes U+FFFD in JSON strings", "[record]") {
    std::string out;
    shoal::append_json_string("a\xFF" "b", out);
    CHECK(out == "\"a" + fffd + "b\"");

    out.clear();
    shoal::append_json_string("\xC3", out);  // truncated sequence at the end
    CHECK(out == "\"" + fffd + "\"");

    out.clear();
    shoal::append_json_string("\0"s, out);
    CHECK(out == "\"\\u0000\"");

    out.clear();
    shoal::append_json_string("\"\\\n\t", out);
    CHECK(out == "\"\\\"\\\\\\n\\t\"");
}

TEST_CASE("record: CSV header and column counts", "[record]") {
    auto header = csv_header();
    CHECK(header.size() == 14);
    CHECK(header.front() == "line");
    CHECK(header[1] == "url");

    record failed;
    failed.line = 9;
    failed.url = "ftp://x/";
    failed.stage = error_stage::input;
    failed.error_code = "unsupported_scheme";
    failed.error_message = "scheme 'ftp' is not http or https";
    for (const record& r : {full_record(), failed, record{}}) {
        auto row = csv_row(r);
        CHECK(row.size() == header.size());
    }

    auto ok = csv_row(full_record());
    CHECK(column(header, ok, "line") == "17");
    CHECK(column(header, ok, "status") == "200");
    CHECK(column(header, ok, "title") == "Lenovo ThinkPad X1 Carbon");
    CHECK(column(header, ok, "price_amount") == "1299.00");
    CHECK(column(header, ok, "price_currency") == "USD");
    CHECK(column(header, ok, "price_raw") == "$1,299.00");
    CHECK(column(header, ok, "error_stage").empty());

    auto bad = csv_row(failed);
    CHECK(column(header, bad, "status").empty());
    CHECK(column(header, bad, "title").empty());
    CHECK(column(header, bad, "price_amount").empty());
    CHECK(column(header, bad, "error_stage") == "input");
    CHECK(column(header, bad, "error_code") == "unsupported_scheme");
}

TEST_CASE("record: CSV quotes commas, quotes and newlines per RFC 4180", "[record]") {
    auto header = csv_header();
    record r = full_record();
    r.url = "http://x/?a=1,2";
    r.title = "27\" Monitor, \"Pro\"\nsecond line\r\nthird";
    r.price = shoal::price{"1299.00", "USD", "$1,299.00"};
    r.stage = error_stage::response;
    r.error_code = "http_500";
    r.error_message = "line one\nline \"two\", end";

    std::string s;
    shoal::append_csv_row(r, s);
    CHECK(s.find("\"27\"\" Monitor, \"\"Pro\"\"\nsecond line\r\nthird\"") != std::string::npos);
    CHECK(s.find("\"http://x/?a=1,2\"") != std::string::npos);

    auto row = csv_row(r);
    REQUIRE(row.size() == header.size());
    CHECK(column(header, row, "url") == r.url);
    CHECK(column(header, row, "title") == *r.title);
    CHECK(column(header, row, "price_raw") == "$1,299.00");
    CHECK(column(header, row, "error_message") == r.error_message);
}

TEST_CASE("record: CSV of invalid UTF-8 is repaired", "[record]") {
    auto header = csv_header();
    record r = full_record();
    r.title = "bad\xFF,byte";
    auto row = csv_row(r);
    REQUIRE(row.size() == header.size());
    CHECK(column(header, row, "title") == "bad" + fffd + ",byte");
}

TEST_CASE("record: a NUL in a CSV cell is U+FFFD, quoted or not", "[record]") {
    auto header = csv_header();
    record r = full_record();
    r.title = std::string("a\0b", 3);
    r.url = std::string("http://x/\0,y", 12);
    auto row = csv_row(r);
    REQUIRE(row.size() == header.size());
    CHECK(column(header, row, "title") == "a" + fffd + "b");
    CHECK(column(header, row, "url") == "http://x/" + fffd + ",y");
    std::string out;
    shoal::append_csv_row(r, out, {});
    CHECK(out.find('\0') == std::string::npos);
}

TEST_CASE("record: many rows in one CSV keep their shape", "[record]") {
    std::string s;
    shoal::append_csv_header(s);
    for (int i = 0; i < 50; ++i) {
        record r = full_record();
        r.line = static_cast<std::uint64_t>(i);
        if (i % 2) r.title = "t,\"" + std::to_string(i) + "\"\n";
        if (i % 3 == 0) r.price.reset();
        shoal::append_csv_row(r, s);
    }
    auto rows = parse_csv(s);
    REQUIRE(rows.size() == 51);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        CHECK(rows[i].size() == rows[0].size());
        CHECK(rows[i][0] == std::to_string(i - 1));
    }
}

TEST_CASE("record: CSV custom field columns from a rule file", "[record]") {
    const std::vector<std::string> names = {"brand", "items", "stock"};
    std::string header;
    shoal::append_csv_header(header, names);
    CHECK(std::string_view(header).ends_with(",error_message,fields.brand,fields.items,fields.stock\r\n"));

    shoal::record r;
    r.line = 3;
    r.url = "http://127.0.0.1/x";
    r.fields = {{"brand", "\"Acme, \\\"Inc\\\"\""}, {"items", "[{\"title\":\"a\"}]"}, {"stock", "null"}};
    std::string row;
    shoal::append_csv_row(r, row, names);
    // A JSON string is written as its text (quoted for CSV), an array as JSON, null as empty.
    CHECK(std::string_view(row).ends_with(",,\"Acme, \"\"Inc\"\"\",\"[{\"\"title\"\":\"\"a\"\"}]\",\r\n"));
}
