// Tests for `shoal diff`: exact decimal comparison and percentages, the CSV
// reader, reading runs, the classification, and the real binary on files
// written here and on a crawl of tools/local_site.py.
#include "shoal/diff.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shoal/record.hpp"
#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using shoal::change_kind;
using shoal::compare_decimal;
using shoal::percent_change;
using shoal::test::run_process;
using shoal::test::temp_dir;

std::vector<std::string> read_all(const std::string& text) {
    std::istringstream in(text);
    shoal::csv_reader reader(in);
    std::vector<std::string> fields, all;
    while (reader.next(fields)) {
        std::string joined;
        for (std::size_t i = 0; i < fields.size(); ++i) joined += (i ? "|" : "") + fields[i];
        all.push_back(std::to_string(reader.line()) + ":" + joined);
    }
    return all;
}

// One JSONL record as shoal writes it. price_amount empty: no price; status < 0: null.
std::string rec(int line, const std::string& url, int status, const std::string& title,
                const std::string& amount, const std::string& currency = "USD") {
    shoal::record r;
    r.line = static_cast<std::uint64_t>(line);
    r.url = url;
    r.final_url = url;
    r.status = status;
    r.attempts = 1;
    if (!title.empty()) r.title = title;
    if (!amount.empty()) r.price = shoal::price{amount, currency, "$" + amount};
    std::string out;
    shoal::append_jsonl(r, out);
    return out;
}

// The diff's JSONL output by URL; each URL must appear once.
std::map<std::string, json::object> by_url(const std::string& out) {
    std::map<std::string, json::object> m;
    for (auto& o : shoal::test::parse_jsonl(out)) {
        const std::string url(o.at("url").as_string());
        INFO(url);
        CHECK(m.count(url) == 0);
        m.emplace(url, std::move(o));
    }
    return m;
}

std::string change_of(const json::object& o) {
    return std::string(o.at("change").as_string());
}

std::vector<std::string> changes_of(const json::object& o) {
    std::vector<std::string> v;
    for (const auto& c : o.at("changes").as_array()) v.emplace_back(c.as_string());
    return v;
}

std::string pct_of(const json::object& o) {
    const json::value& p = o.at("pct");
    return p.is_null() ? "null" : json::serialize(p);
}

}  // namespace

TEST_CASE("diff: exact decimal comparison", "[diff]") {
    CHECK(compare_decimal("1299.00", "1299") == 0);
    CHECK(compare_decimal("1299", "1299.000") == 0);
    CHECK(compare_decimal("0001299.0", "1299") == 0);
    CHECK(compare_decimal("0.5", "0.50001") < 0);
    CHECK(compare_decimal("0.50001", "0.5") > 0);
    CHECK(compare_decimal("9.99", "10") < 0);
    CHECK(compare_decimal("100", "99.999") > 0);
    CHECK(compare_decimal(".5", "0.5") == 0);
    CHECK(compare_decimal("0", "0.00") == 0);
    CHECK(compare_decimal("-0", "0") == 0);
    CHECK(compare_decimal("-1", "0.1") < 0);
    CHECK(compare_decimal("-2", "-1.5") < 0);
    // Beyond double precision: these are the same double, but not the same amount.
    CHECK(compare_decimal("12345678901234567890123.45", "12345678901234567890123.46") < 0);
    CHECK(compare_decimal("9007199254740993", "9007199254740992") > 0);
    CHECK(compare_decimal("0.1000000000000000000000001", "0.1") > 0);
    CHECK(compare_decimal("123456789012345678901234567890", "123456789012345678901234567890.0") ==
          0);

    CHECK(shoal::is_decimal("1299.00"));
    CHECK(shoal::is_decimal(".5"));
    CHECK(shoal::is_decimal("-3"));
    CHECK_FALSE(shoal::is_decimal(""));
    CHECK_FALSE(shoal::is_decimal("."));
    CHECK_FALSE(shoal::is_decimal("1,299"));
    CHECK_FALSE(shoal::is_decimal("1.2.3"));
    CHECK_FALSE(shoal::is_decimal("1e5"));
}

TEST_CASE("diff: percentage change is exact and rounded to one decimal", "[diff]") {
    CHECK(percent_change("1299.00", "1136.63") == "-12.5");  // -12.4996...
    CHECK(percent_change("100", "112.5") == "12.5");
    CHECK(percent_change("2", "1") == "-50.0");
    CHECK(percent_change("3", "1") == "-66.7");
    CHECK(percent_change("3", "4") == "33.3");
    CHECK(percent_change("1.99", "1.99") == "0.0");
    CHECK(percent_change("1", "5") == "400.0");
    CHECK(percent_change("8", "9.004") == "12.6");     // exactly 12.55: half away from zero
    CHECK(percent_change("8", "6.996") == "-12.6");    // exactly -12.55
    CHECK(percent_change("1000", "999.6") == "0.0");   // -0.04 rounds to 0.0, no minus sign
    CHECK(percent_change("1000", "1000.5") == "0.1");  // 0.05
    CHECK(percent_change("0.01", "1000000") == "9999999900.0");
    CHECK(percent_change("0", "5") == std::nullopt);
    CHECK(percent_change("0.00", "0") == std::nullopt);
    CHECK(percent_change("-10", "-5") == "50.0");
    CHECK(percent_change("-10", "5") == "150.0");
    // Beyond double precision.
    CHECK(percent_change("123456789012345678901234567890.00",
                         "123456789012345678901234567891.00") == "0.0");
    CHECK(percent_change("99999999999999999999", "199999999999999999998") == "100.0");
    CHECK(percent_change("10000000000000000000000", "10000000000000000000001.5") == "0.0");
    CHECK(percent_change("10000000000000000000000", "9000000000000000000000") == "-10.0");
}

TEST_CASE("diff: the CSV reader follows RFC 4180", "[diff]") {
    CHECK(read_all("a,b,c\r\n1,2,3\r\n") == std::vector<std::string>{"1:a|b|c", "2:1|2|3"});
    CHECK(read_all("a,b\n1,2") ==
          std::vector<std::string>{"1:a|b", "2:1|2"});  // LF, no final newline
    CHECK(read_all("\"x, y\",\"say \"\"hi\"\"\",\"\"\r\n") ==
          std::vector<std::string>{"1:x, y|say \"hi\"|"});
    CHECK(read_all(",,\r\n") == std::vector<std::string>{"1:||"});
    // A quoted field across lines; the next record's line number follows.
    CHECK(read_all("a,\"two\r\nlines\",b\r\n\r\nc,d,e\r\n") ==
          std::vector<std::string>{"1:a|two\r\nlines|b", "4:c|d|e"});
    // A quote inside an unquoted field is kept as is.
    CHECK(read_all("5\" screen,x\n") == std::vector<std::string>{"1:5\" screen|x"});

    std::istringstream torn("a,b\n1,\"open\n");
    shoal::csv_reader reader(torn);
    std::vector<std::string> fields;
    REQUIRE(reader.next(fields));
    CHECK_THROWS_WITH(reader.next(fields), "unterminated quoted field");
    CHECK(reader.line() == 2);

    std::istringstream junk("\"a\"b,c\n");
    shoal::csv_reader junk_reader(junk);
    CHECK_THROWS_WITH(junk_reader.next(fields), Catch::Contains("after the closing quote"));
}

TEST_CASE("diff: reading CSV written by shoal, with quoted fields", "[diff]") {
    std::string text;
    shoal::append_csv_header(text);
    shoal::record a;
    a.line = 1;
    a.url = "http://shop.test/a?x=1,2";
    a.status = 200;
    a.title = "Lamp, \"big\"\nand bright";
    a.price = shoal::price{"1299.00", "EUR", "1.299,00 €"};
    shoal::append_csv_row(a, text);
    shoal::record b;
    b.line = 2;
    b.url = "http://shop.test/b";
    b.stage = shoal::error_stage::connect;
    b.error_code = "connection_refused";
    b.error_message = "Connection refused";
    shoal::append_csv_row(b, text);

    std::istringstream in(text);
    const auto run = shoal::read_csv_input(in, "run.csv");
    REQUIRE(run.by_url.size() == 2);
    const auto& ea = run.by_url.at("http://shop.test/a?x=1,2");
    CHECK(ea.status == 200);
    CHECK(ea.title == "Lamp, \"big\"\nand bright");
    REQUIRE(ea.price);
    CHECK(ea.price->amount == "1299.00");
    CHECK(ea.price->currency == "EUR");
    CHECK(ea.price->raw == "1.299,00 €");
    const auto& eb = run.by_url.at("http://shop.test/b");
    CHECK_FALSE(eb.status);
    CHECK_FALSE(eb.title);
    CHECK_FALSE(eb.price);
    CHECK(eb.error_stage == "connect");
    CHECK(eb.error_code == "connection_refused");

    std::istringstream short_row(text + "3,http://x/\r\n");
    CHECK_THROWS_WITH(shoal::read_csv_input(short_row, "run.csv"),
                      Catch::StartsWith("run.csv:5: 2 fields"));
    std::istringstream no_url("line,status\r\n1,200\r\n");
    CHECK_THROWS_WITH(shoal::read_csv_input(no_url, "x.csv"), Catch::Contains("\"url\" column"));
}

TEST_CASE("diff: reading JSONL keeps the last record of a URL and names bad lines", "[diff]") {
    std::istringstream in(rec(1, "http://a/", 200, "A", "1.00") + "\n" +
                          rec(2, "http://b/", 200, "B", "") +
                          rec(3, "http://a/", 200, "A", "2.00"));
    const auto run = shoal::read_jsonl_input(in, "r.jsonl");
    CHECK(run.records == 3);
    CHECK(run.duplicates == 1);
    REQUIRE(run.by_url.size() == 2);
    CHECK(run.by_url.at("http://a/").price->amount == "2.00");
    CHECK(run.by_url.at("http://a/").line == 3);
    CHECK_FALSE(run.by_url.at("http://b/").price);

    std::istringstream bad(rec(1, "http://a/", 200, "A", "1.00") + "{\"url\":\"http://b/\",\n");
    CHECK_THROWS_WITH(shoal::read_jsonl_input(bad, "r.jsonl"),
                      Catch::StartsWith("r.jsonl:2: not valid JSON"));
    std::istringstream no_url("\n[1,2]\n");
    CHECK_THROWS_WITH(shoal::read_jsonl_input(no_url, "r.jsonl"), "r.jsonl:2: not a JSON object");
    std::istringstream bad_status("{\"url\":\"u\",\"status\":\"200\",\"title\":null,\"price\":null,\"error\":null}\n");
    CHECK_THROWS_WITH(shoal::read_jsonl_input(bad_status, "r.jsonl"),
                      Catch::Contains("r.jsonl:1: \"status\""));
    CHECK_THROWS_WITH(shoal::read_diff_input("/nonexistent/old.jsonl"),
                      Catch::StartsWith("cannot read /nonexistent/old.jsonl"));
}

TEST_CASE("diff: classification and --only", "[diff]") {
    std::istringstream old_in(
        rec(1, "u/same", 200, "T", "10.00") + rec(2, "u/both", 200, "T", "10") +
        rec(3, "u/eur", 200, "T", "10", "EUR") + rec(4, "u/lost", 200, "T", ""));
    std::istringstream new_in(rec(1, "u/same", 200, "T", "10") + rec(2, "u/both", 200, "T2", "9") +
                              rec(3, "u/eur", 200, "T", "10", "USD") +
                              rec(4, "u/lost", 404, "T", "3"));
    const auto before = shoal::read_jsonl_input(old_in, "old");
    const auto after = shoal::read_jsonl_input(new_in, "new");

    auto all = shoal::compare_runs(before, after, {});
    REQUIRE(all.size() == 3);  // sorted by headline kind, then URL
    CHECK(all[0].url == "u/lost");
    CHECK(all[0].kinds ==
          std::vector<change_kind>{change_kind::status_changed, change_kind::price_changed});
    CHECK(all[1].url == "u/both");
    CHECK(all[1].kinds ==
          std::vector<change_kind>{change_kind::price_down, change_kind::title_changed});
    CHECK(all[1].pct == "-10.0");
    CHECK(all[2].url == "u/eur");
    CHECK(all[2].kinds == std::vector<change_kind>{change_kind::price_changed});
    CHECK_FALSE(all[2].pct);

    shoal::diff_filter titles;
    titles.only = {change_kind::title_changed};
    auto t = shoal::compare_runs(before, after, titles);
    REQUIRE(t.size() == 1);
    CHECK(t[0].kinds == std::vector<change_kind>{change_kind::title_changed});
    CHECK_FALSE(t[0].pct);  // only kept with a price_up / price_down row

    titles.all = true;
    t = shoal::compare_runs(before, after, titles);
    REQUIRE(t.size() == 2);
    CHECK(t[1].url == "u/same");
    CHECK(t[1].kinds == std::vector<change_kind>{change_kind::unchanged});
}

TEST_CASE("diff: another error with the same status (or none) is error_changed", "[diff]") {
    auto failed = [](int line, const std::string& url, int status, shoal::error_stage stage, const std::string& code) {
        shoal::record r;
        r.line = static_cast<std::uint64_t>(line);
        r.url = r.final_url = url;
        r.status = status;
        r.attempts = 1;
        r.stage = stage;
        r.error_code = code;
        r.error_message = code;
        std::string out;
        shoal::append_jsonl(r, out);
        return out;
    };
    std::istringstream old_in(failed(1, "u/refused", -1, shoal::error_stage::connect, "timeout") +
                              failed(2, "u/same", -1, shoal::error_stage::connect, "timeout") +
                              rec(3, "u/ok", 200, "T", "1"));
    std::istringstream new_in(failed(1, "u/refused", -1, shoal::error_stage::connect, "connection_refused") +
                              failed(2, "u/same", -1, shoal::error_stage::connect, "timeout") +
                              failed(3, "u/ok", 200, shoal::error_stage::body, "body_too_large"));
    const auto before = shoal::read_jsonl_input(old_in, "old");
    const auto after = shoal::read_jsonl_input(new_in, "new");
    auto all = shoal::compare_runs(before, after, {});
    REQUIRE(all.size() == 2);
    CHECK(all[0].url == "u/ok");  // its title and price went too
    CHECK(all[0].kinds == std::vector<change_kind>{change_kind::error_changed, change_kind::price_changed,
                                                   change_kind::title_changed});
    CHECK(all[1].url == "u/refused");
    CHECK(all[1].kinds == std::vector<change_kind>{change_kind::error_changed});
    shoal::diff_filter errors;
    errors.only = {change_kind::error_changed};
    CHECK(shoal::compare_runs(before, after, errors).size() == 2);
}

TEST_CASE("diff: the binary classifies JSONL runs and sets the exit code", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/same", 200, "Same", "19.99") +
                                          rec(2, "http://s/gone", 200, "Gone", "5.00") +
                                          rec(3, "http://s/up", 200, "Up", "100") +
                                          rec(4, "http://s/down", 200, "Down", "1299.00") +
                                          rec(5, "http://s/title", 200, "Old title", "7") +
                                          rec(6, "http://s/status", 200, "Status", "") +
                                          rec(7, "http://s/dup", 200, "Dup", "50.00") +
                                          rec(8, "http://s/dup", 200, "Dup", "40.00") +
                                          rec(9, "http://s/zeros", 200, "Zeros", "1299"));
    shoal::test::write_file(new_path, rec(1, "http://s/same", 200, "Same", "19.99") +
                                          rec(3, "http://s/up", 200, "Up", "112.5") +
                                          rec(4, "http://s/down", 200, "Down", "1136.63") +
                                          rec(5, "http://s/title", 200, "New title", "7.00") +
                                          rec(6, "http://s/status", 404, "Status", "") +
                                          rec(7, "http://s/dup", 200, "Dup", "40") +
                                          rec(9, "http://s/zeros", 200, "Zeros", "1299.00") +
                                          rec(10, "http://s/new", 200, "New", "3.50"));

    auto r = run_process({SHOAL_BINARY, "diff", old_path, new_path}, "", 30s);
    INFO("stderr: " << r.err << "\nstdout: " << r.out);
    REQUIRE(r.exit_code == 1);
    CHECK(r.err.find("old.jsonl: 1 record repeats a URL") != std::string::npos);
    auto m = by_url(r.out);  // stdout is a pipe: JSONL by default
    CHECK(m.size() == 6);
    REQUIRE(m.count("http://s/new"));
    CHECK(change_of(m["http://s/new"]) == "new");
    CHECK(m["http://s/new"].at("old").is_null());
    CHECK(m["http://s/new"].at("new").at("price").at("amount") == "3.50");
    REQUIRE(m.count("http://s/gone"));
    CHECK(change_of(m["http://s/gone"]) == "gone");
    CHECK(m["http://s/gone"].at("new").is_null());
    REQUIRE(m.count("http://s/up"));
    CHECK(change_of(m["http://s/up"]) == "price_up");
    CHECK(r.out.find("\"pct\":12.5}") != std::string::npos);
    REQUIRE(m.count("http://s/down"));
    CHECK(change_of(m["http://s/down"]) == "price_down");
    CHECK(r.out.find("\"pct\":-12.5}") != std::string::npos);
    CHECK(m["http://s/down"].at("old").at("price").at("amount") == "1299.00");
    CHECK(m["http://s/down"].at("new").at("price").at("amount") == "1136.63");
    CHECK(m["http://s/down"].at("old").at("status") == 200);
    CHECK(m["http://s/down"].at("old").at("title") == "Down");
    REQUIRE(m.count("http://s/title"));
    CHECK(changes_of(m["http://s/title"]) ==
          std::vector<std::string>{"title_changed"});  // 7 == 7.00
    CHECK(m["http://s/title"].at("new").at("title") == "New title");
    CHECK(pct_of(m["http://s/title"]) == "null");
    REQUIRE(m.count("http://s/status"));
    CHECK(change_of(m["http://s/status"]) == "status_changed");
    CHECK(m["http://s/status"].at("new").at("status") == 404);
    CHECK(m.count("http://s/same") == 0);
    CHECK(m.count("http://s/zeros") == 0);  // 1299 == 1299.00
    CHECK(m.count("http://s/dup") == 0);    // the last old record (40.00) wins

    SECTION("--all lists the unchanged URLs too") {
        auto a = run_process({SHOAL_BINARY, "diff", "--all", old_path, new_path}, "", 30s);
        CHECK(a.exit_code == 1);
        auto all = by_url(a.out);
        CHECK(all.size() == 9);
        CHECK(change_of(all["http://s/dup"]) == "unchanged");
    }
    SECTION("--only price") {
        auto p =
            run_process({SHOAL_BINARY, "diff", "--only", "price", old_path, new_path}, "", 30s);
        CHECK(p.exit_code == 1);
        auto prices = by_url(p.out);
        CHECK(prices.size() == 2);
        CHECK(prices.count("http://s/up") == 1);
        CHECK(prices.count("http://s/down") == 1);
    }
    SECTION("--format csv") {
        auto c =
            run_process({SHOAL_BINARY, "diff", "--format", "csv", old_path, new_path}, "", 30s);
        CHECK(c.exit_code == 1);
        CHECK(c.out.rfind("change,changes,url,old_status,new_status,", 0) == 0);
        CHECK(c.out.find("price_down,price_down,http://s/down,200,200,Down,Down,1299.00,USD,"
                         "1136.63,USD,-12.5,,,,\r\n") != std::string::npos);
        std::istringstream in(c.out);
        shoal::csv_reader reader(in);
        std::vector<std::string> fields;
        int rows = 0;
        while (reader.next(fields)) {
            CHECK(fields.size() == 16);
            ++rows;
        }
        CHECK(rows == 7);
    }
    SECTION("--format table") {
        auto t = run_process({SHOAL_BINARY, "diff", "-f", "table", old_path, new_path}, "", 30s);
        CHECK(t.exit_code == 1);
        CHECK(t.out.rfind("change ", 0) == 0);
        CHECK(t.out.find("1299.00 USD") != std::string::npos);
        CHECK(t.out.find("-12.5%") != std::string::npos);
        CHECK(t.out.find("+12.5%") != std::string::npos);
        CHECK(t.out.find("1 new, 1 gone, 1 status changed, 1 price up, 1 price down, "
                         "1 title changed, 3 unchanged\n") != std::string::npos);
    }
    SECTION("the same run twice: exit 0, no output") {
        auto s = run_process({SHOAL_BINARY, "diff", new_path, new_path}, "", 30s);
        CHECK(s.exit_code == 0);
        CHECK(s.out.empty());
    }
}

TEST_CASE("diff: a record without a line number shows line null, not 0", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::test::write_file(old_path, R"({"url":"http://s/a","status":200,"title":"A","price":null,"error":null})" "\n");
    shoal::test::write_file(new_path, rec(4, "http://s/a", 404, "A", ""));
    auto r = run_process({SHOAL_BINARY, "diff", old_path, new_path}, "", 30s);
    INFO("stderr: " << r.err << "\nstdout: " << r.out);
    auto m = by_url(r.out);
    REQUIRE(m.count("http://s/a"));
    CHECK(m["http://s/a"].at("old").at("line").is_null());
    CHECK(m["http://s/a"].at("new").at("line") == 4);
}

TEST_CASE("diff: an input whose run did not finish is named, its missing URLs are not news", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "full.jsonl").string(), new_path = (dir / "part.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "A", "") + rec(2, "http://s/b", 200, "B", ""));
    shoal::test::write_file(new_path, rec(1, "http://s/a", 200, "A", ""));
    // The run files as crawl writes them: a fingerprint, then "complete" once finished.
    shoal::test::write_file(old_path + ".shoal-run", "input=urls.txt\ncomplete\n");
    shoal::test::write_file(new_path + ".shoal-run", "input=urls.txt\n");
    auto r = run_process({SHOAL_BINARY, "diff", old_path, new_path}, "", 30s);
    INFO("stderr: " << r.err << "\nstdout: " << r.out);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "shoal diff: warning: " + new_path + " is the output of a run that did not finish (" + new_path +
                       ".shoal-run says so): URLs it has no record of yet show as gone\n");
    // A finished one, or one without a run file, says nothing.
    auto quiet = run_process({SHOAL_BINARY, "diff", new_path, old_path}, "", 30s);
    CHECK_THAT(quiet.err, Catch::Contains(new_path + " is the output of a run that did not finish"));
    CHECK_THAT(quiet.err, Catch::Contains("show as new"));
    CHECK(run_process({SHOAL_BINARY, "diff", old_path, old_path}, "", 30s).err.empty());
}

TEST_CASE("diff: the table signs a drop that rounds to 0.0 and counts error changes", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::record failed;
    failed.line = 2;
    failed.url = failed.final_url = "http://s/err";
    failed.attempts = 1;
    failed.stage = shoal::error_stage::connect;
    failed.error_code = failed.error_message = "timeout";
    std::string before, after;
    shoal::append_jsonl(failed, before);
    failed.error_code = failed.error_message = "connection_refused";
    shoal::append_jsonl(failed, after);
    shoal::test::write_file(old_path, rec(1, "http://s/tiny", 200, "T", "1000000.00") + before);
    shoal::test::write_file(new_path, rec(1, "http://s/tiny", 200, "T", "999999.99") + after);
    auto t = run_process({SHOAL_BINARY, "diff", "-f", "table", old_path, new_path}, "", 30s);
    INFO(t.out);
    CHECK(t.exit_code == 1);
    CHECK(t.out.find("-0.0%") != std::string::npos);
    CHECK(t.out.find("+0.0%") == std::string::npos);
    CHECK(t.out.find("connect error: timeout") != std::string::npos);
    CHECK(t.out.find("connect error: connection_refused") != std::string::npos);
    CHECK(t.out.find("1 error changed, 1 price down, 0 unchanged\n") != std::string::npos);
    auto only = run_process({SHOAL_BINARY, "diff", "--only", "error", "-f", "jsonl", old_path, new_path}, "", 30s);
    CHECK(only.exit_code == 1);
    CHECK(shoal::test::nonempty_lines(only.out).size() == 1);
    CHECK(only.out.find("\"change\":\"error_changed\"") != std::string::npos);
    // The CSV says what the errors were.
    auto csv = run_process({SHOAL_BINARY, "diff", "--only", "error", "-f", "csv", old_path, new_path}, "", 30s);
    CHECK(csv.out.find("error_changed,error_changed,http://s/err,,,,,,,,,,connect,timeout,connect,"
                       "connection_refused\r\n") != std::string::npos);
    // The summary counts what --only leaves out, not as "no changes".
    auto hidden = run_process({SHOAL_BINARY, "diff", "--only", "error", "-f", "table", old_path, new_path}, "", 30s);
    CHECK(hidden.out.find("1 error changed, 1 changed otherwise (not shown: --only), 0 unchanged\n") !=
          std::string::npos);
    // Spaces after the commas and any case, as people type them.
    auto spaced = run_process({SHOAL_BINARY, "diff", "--only", "Error, PRICE", "-f", "table", old_path, new_path}, "", 30s);
    CHECK(spaced.exit_code == 1);
    CHECK(spaced.out.find("1 error changed, 1 price down, 0 unchanged\n") != std::string::npos);
    auto none = run_process({SHOAL_BINARY, "diff", "--only", "title", "-f", "table", old_path, new_path}, "", 30s);
    INFO(none.out);
    CHECK(none.out.find("no changes of those kinds, 2 changed otherwise (not shown: --only), 0 unchanged\n") !=
          std::string::npos);
}

TEST_CASE("diff: unreadable or malformed input exits 2 naming the file and line",
          "[diff][binary]") {
    temp_dir dir;
    const auto good = (dir / "good.jsonl").string(), bad = (dir / "bad.jsonl").string();
    shoal::test::write_file(good, rec(1, "http://s/a", 200, "A", "1"));
    shoal::test::write_file(bad, rec(1, "http://s/a", 200, "A", "1") +
                                     rec(2, "http://s/b", 200, "B", "1") +
                                     "{\"url\": \"http://s/c\", \"status\": 200\n");
    auto r = run_process({SHOAL_BINARY, "diff", good, bad}, "", 30s);
    CHECK(r.exit_code == 2);
    CHECK(r.err.rfind("shoal diff: " + bad + ":3: not valid JSON", 0) == 0);
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);

    auto missing =
        run_process({SHOAL_BINARY, "diff", (dir / "nope.jsonl").string(), good}, "", 30s);
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("nope.jsonl: No such file or directory") != std::string::npos);

    auto directory = run_process({SHOAL_BINARY, "diff", good, dir.path().string()}, "", 30s);
    CHECK(directory.exit_code == 2);
    CHECK(directory.err == "shoal diff: cannot read " + dir.path().string() + ": is a directory\n");

    // CSV under a .jsonl name: the first line fails, and the message says why it was read as JSONL.
    const auto csv_named_jsonl = (dir / "run.jsonl").string();
    shoal::test::write_file(csv_named_jsonl, "line,url,status\n1,http://s/a,200\n");
    auto wrong_format = run_process({SHOAL_BINARY, "diff", csv_named_jsonl, good}, "", 30s);
    CHECK(wrong_format.exit_code == 2);
    CHECK(wrong_format.err.find("(read as JSONL: only a name ending in .csv is read as CSV)") != std::string::npos);

    auto closed = run_process({"sh", "-c", "exec \"$0\" diff /dev/stdin \"$1\" <&-", SHOAL_BINARY, good}, "", 30s);
    CHECK(closed.exit_code == 2);
    CHECK(closed.err == "shoal diff: cannot read /dev/stdin: stdin is closed\n");

    auto dir_stdin = run_process({"sh", "-c", "exec \"$0\" diff \"$1\" - < \"$2\"", SHOAL_BINARY, good, dir.path().string()},
                                 "", 30s);
    CHECK(dir_stdin.exit_code == 2);
    CHECK(dir_stdin.err == "shoal diff: cannot read <stdin>: it is a directory\n");

    auto usage = run_process({SHOAL_BINARY, "diff", good}, "", 30s);
    CHECK(usage.exit_code == 2);
    auto fmt = run_process({SHOAL_BINARY, "diff", "--format", "xml", good, good}, "", 30s);
    CHECK(fmt.exit_code == 2);
    // Case does not matter, as in crawl's --format.
    auto upper = run_process({SHOAL_BINARY, "diff", "--format", "CSV", good, good}, "", 30s);
    CHECK(upper.exit_code == 0);
    CHECK(upper.out.starts_with("change,changes,url,"));
}

TEST_CASE("diff: a last record cut off at the end of the file is left out with a warning", "[diff][binary]") {
    // What a run stopped (or killed) while writing leaves: no line end after it.
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "A", "1") + rec(2, "http://s/b", 200, "B", "2"));
    const std::string whole = rec(1, "http://s/a", 200, "A", "1");
    const std::string cut = rec(2, "http://s/b", 200, "B", "3").substr(0, 30);
    const auto jsonl = (dir / "cut.jsonl").string();
    shoal::test::write_file(jsonl, whole + cut);
    auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, jsonl}, "", 30s);
    CHECK(r.exit_code == 1);  // /b is gone from the cut run, not a failure to read it
    CHECK(r.err == "shoal diff: warning: " + jsonl +
                       ":2: the last record is cut off (a run stopped while writing it); compared without it\n");
    CHECK(change_of(by_url(r.out).at("http://s/b")) == "gone");
    // With a line end after it, the same bytes are a broken file.
    shoal::test::write_file(jsonl, whole + cut + "\n");
    CHECK(run_process({SHOAL_BINARY, "diff", old_path, jsonl}, "", 30s).exit_code == 2);
    // Whole JSON without a line end after it is a record (a file written
    // elsewhere may end so).
    std::string unended = rec(2, "http://s/b", 200, "B", "3");
    unended.pop_back();
    shoal::test::write_file(jsonl, whole + unended);
    auto u = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, jsonl}, "", 30s);
    CHECK(u.err.empty());
    CHECK(change_of(by_url(u.out).at("http://s/b")) == "price_up");

    // CSV: cut in a quoted field, or with fewer fields than the header.
    const auto csv = (dir / "cut.csv").string();
    const std::string head =
        "line,url,status,title,price_amount,error_stage\r\n1,http://s/a,200,A,1,\r\n";
    for (const std::string& tail : {std::string("2,http://s/b,200,\"B, cut"), std::string("2,http://s/b,20")}) {
        INFO(tail);
        shoal::test::write_file(csv, head + tail);
        auto c = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, csv}, "", 30s);
        CHECK(c.exit_code == 1);
        CHECK(c.err == "shoal diff: warning: " + csv +
                           ":3: the last record is cut off (a run stopped while writing it); compared without it\n");
        CHECK(change_of(by_url(c.out).at("http://s/b")) == "gone");
    }
    // Short of fields with a line end after it: a broken file. (A quote that
    // never closes reads to the end, so it is always a cut last record.)
    shoal::test::write_file(csv, head + "2,http://s/b,20\r\n3,http://s/c,200,C\r\n");
    CHECK(run_process({SHOAL_BINARY, "diff", old_path, csv}, "", 30s).exit_code == 2);
}

TEST_CASE("diff: a crawl of the local site against an older run with other prices",
          "[diff][binary]") {
    shoal::test::local_site site;
    temp_dir dir;
    // The site's prices are fixed per path (/p/N.html costs $N.99), so the
    // older run is written by hand and the newer one is a real crawl.
    const std::vector<std::string> urls = {site.url("/p/1.html"), site.url("/p/2.html"),
                                           site.url("/p/3.html"), site.url("/p/4.html"),
                                           site.url("/p/5.html"), site.url("/status/404")};
    std::string url_file;
    for (const auto& u : urls) url_file += u + "\n";
    shoal::test::write_file(dir / "urls.txt", url_file);
    const auto new_path = (dir / "new.jsonl").string();
    auto crawl = run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", new_path, "-p", "1", "-q"}, "",
        120s);
    INFO("crawl stderr: " << crawl.err);
    REQUIRE(crawl.exit_code == 0);
    const auto crawled = shoal::test::read_jsonl(new_path);
    REQUIRE(crawled.size() == urls.size());

    const auto old_path = (dir / "old.csv").string();
    std::string old_csv;
    shoal::append_csv_header(old_csv);
    auto add = [&](int line, const std::string& url, int status, const std::string& title,
                   const std::string& amount) {
        shoal::record r;
        r.line = static_cast<std::uint64_t>(line);
        r.url = url;
        r.status = status;
        r.title = title;
        if (!amount.empty()) r.price = shoal::price{amount, "USD", "$" + amount};
        shoal::append_csv_row(r, old_csv);
    };
    add(1, urls[0], 200, "Product 1 | Test Shop", "2.49");   // now 1.99: down 20.1 %
    add(2, urls[1], 200, "Product 2 | Test Shop", "1.5");    // now 2.99: up 99.3 %
    add(3, urls[2], 200, "Product 3 | Test Shop", "3.990");  // now 3.99: the same
    add(4, urls[3], 200, "Product four", "4.99");            // title changed
    add(5, site.url("/p/77.html"), 200, "Product 77 | Test Shop", "77.99");  // gone
    add(6, urls[5], 200, "", "");                                            // now a 404
    shoal::test::write_file(old_path, old_csv);

    auto r = run_process({SHOAL_BINARY, "diff", old_path, new_path, "--format", "jsonl"}, "", 30s);
    INFO("diff stderr: " << r.err << "\nstdout: " << r.out);
    REQUIRE(r.exit_code == 1);
    auto m = by_url(r.out);
    REQUIRE(m.count(urls[0]));
    CHECK(change_of(m[urls[0]]) == "price_down");
    CHECK(r.out.find("\"pct\":-20.1}") != std::string::npos);
    REQUIRE(m.count(urls[1]));
    CHECK(change_of(m[urls[1]]) == "price_up");
    CHECK(r.out.find("\"pct\":99.3}") != std::string::npos);
    CHECK(m.count(urls[2]) == 0);
    REQUIRE(m.count(urls[3]));
    CHECK(changes_of(m[urls[3]]) == std::vector<std::string>{"title_changed"});
    CHECK(m[urls[3]].at("new").at("title") == "Product 4 | Test Shop");
    REQUIRE(m.count(urls[4]));
    CHECK(change_of(m[urls[4]]) == "new");
    REQUIRE(m.count(site.url("/p/77.html")));
    CHECK(change_of(m[site.url("/p/77.html")]) == "gone");
    REQUIRE(m.count(urls[5]));
    CHECK(change_of(m[urls[5]]) == "status_changed");
    CHECK(m[urls[5]].at("new").at("status") == 404);
    CHECK(m.size() == 6);

    // The crawl against itself: nothing changed.
    auto same = run_process({SHOAL_BINARY, "diff", new_path, new_path}, "", 30s);
    CHECK(same.exit_code == 0);
    CHECK(same.out.empty());
}

TEST_CASE("diff: '-' reads a run's JSONL from stdin, and a closed stdin is an error, not an empty run",
          "[diff][binary]") {
    temp_dir dir;
    const auto new_path = (dir / "new.jsonl").string();
    const std::string old_run = rec(1, "http://s/a", 200, "A", "10.00") + rec(2, "http://s/b", 200, "B", "5.00");
    shoal::test::write_file(new_path, rec(1, "http://s/a", 200, "A", "12.00") + rec(2, "http://s/b", 200, "B", "5.00"));
    auto piped = run_process({SHOAL_BINARY, "diff", "-", new_path}, old_run, 30s);
    INFO("stderr: " << piped.err);
    CHECK(piped.exit_code == 1);
    auto m = by_url(piped.out);
    REQUIRE(m.size() == 1);
    CHECK(change_of(m["http://s/a"]) == "price_up");
    // Read as an empty run, a closed stdin would make every URL "new".
    auto closed = run_process({"sh", "-c", "exec \"$0\" diff - \"$1\" <&-", SHOAL_BINARY, new_path}, "", 30s);
    CHECK(closed.exit_code == 2);
    CHECK(closed.err.find("cannot read <stdin>: it is closed") != std::string::npos);
    CHECK(closed.out.empty());
}

TEST_CASE("diff: NEW's records are compared as they are read, and the last one of a URL wins",
          "[diff]") {
    std::istringstream old_in(rec(1, "u/a", 200, "A", "10") + rec(2, "u/b", 200, "B", "10") +
                              rec(3, "u/c", 200, "C", "10") + rec(4, "u/d", 200, "D", "10"));
    const auto before = shoal::read_jsonl_input(old_in, "old");
    auto add = [](shoal::run_comparer& cmp, int line, const std::string& url,
                  const std::string& title, const std::string& amount) {
        std::istringstream in(rec(line, url, 200, title, amount));
        const auto one = shoal::read_jsonl_input(in, "new");
        cmp.add(url, one.by_url.at(url));
    };
    auto feed = [&](shoal::run_comparer& cmp) {
        add(cmp, 1, "u/a", "A", "11");    // changed,
        add(cmp, 2, "u/b", "B", "10");    // unchanged,
        add(cmp, 3, "u/c", "C2", "10");   // title changed,
        add(cmp, 4, "u/n", "N", "5");     // only in NEW
        add(cmp, 5, "u/a", "A", "10.0");  // then unchanged after all
        add(cmp, 6, "u/b", "B", "9");     // then changed
        add(cmp, 7, "u/c", "C", "12");    // then the old title but another price
        add(cmp, 8, "u/n", "N", "6");
        cmp.finish();
    };
    auto describe = [](const shoal::url_change& c) {
        std::string s = c.url + ":";
        for (change_kind k : c.kinds) s += std::string(shoal::to_string(k)) + ",";
        s += c.before ? std::to_string(c.before->line) : "-";
        s += c.after ? "/" + std::to_string(c.after->line) + "/" + c.after->price->amount : "/-";
        return s + (c.pct ? " " + *c.pct : "");
    };

    shoal::run_comparer cmp(before, {});
    feed(cmp);
    CHECK(cmp.records() == 8);
    CHECK(cmp.duplicates() == 4);
    CHECK(cmp.urls() == 4);
    CHECK(cmp.unchanged() == 1);
    CHECK(cmp.any_change());
    std::vector<std::string> rows;
    cmp.for_each_change([&](const shoal::url_change& c) { rows.push_back(describe(c)); });
    CHECK(rows == std::vector<std::string>{"u/n:new,-/8/6", "u/d:gone,4/-",
                                           "u/c:price_up,3/7/12 20.0",
                                           "u/b:price_down,2/6/9 -10.0"});

    SECTION("--all shows the last record of an unchanged URL") {
        shoal::diff_filter all;
        all.all = true;
        shoal::run_comparer every(before, all);
        feed(every);
        CHECK(every.unchanged() == 1);
        rows.clear();
        every.for_each_change([&](const shoal::url_change& c) { rows.push_back(describe(c)); });
        REQUIRE(rows.size() == 5);
        CHECK(rows.back() == "u/a:unchanged,1/5/10.0");
    }
    SECTION("a change the filter hides, then another it shows") {
        shoal::diff_filter titles;
        titles.only = {change_kind::title_changed};
        shoal::run_comparer cmp_titles(before, titles);
        add(cmp_titles, 1, "u/a", "A", "11");   // hidden
        add(cmp_titles, 2, "u/a", "A2", "11");  // shown
        add(cmp_titles, 3, "u/b", "B2", "10");  // shown
        add(cmp_titles, 4, "u/b", "B", "10");   // unchanged after all
        cmp_titles.finish();
        CHECK(cmp_titles.unchanged() == 1);
        rows.clear();
        cmp_titles.for_each_change(
            [&](const shoal::url_change& c) { rows.push_back(describe(c)); });
        CHECK(rows == std::vector<std::string>{"u/a:title_changed,1/2/11"});
    }
}

TEST_CASE("diff: URLs whose hashes collide are compared as any others", "[diff]") {
    const std::string old_text = rec(1, "u/same", 200, "T", "10.00") +
                                 rec(2, "u/both", 200, "T", "10") +
                                 rec(3, "u/gone", 200, "T", "1") + rec(4, "u/dup", 200, "T", "1") +
                                 rec(5, "u/dup", 200, "T", "2");
    const std::string new_text = rec(1, "u/same", 200, "T", "10") +
                                 rec(2, "u/both", 200, "T2", "9") + rec(3, "u/new", 200, "T", "3") +
                                 rec(4, "u/dup", 200, "T", "2") + rec(5, "u/new2", 200, "T", "3") +
                                 rec(6, "u/new", 200, "T", "4");
    // Every URL has the same hash: each lookup compares the URLs themselves.
    auto collide = [](std::string_view) -> std::uint64_t { return 7; };
    auto read = [](const std::string& text, shoal::url_hash_fn hash) {
        shoal::diff_input out{"run", shoal::url_table(hash)};
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream in(line);
            const auto one = shoal::read_jsonl_input(in, "run");
            out.by_url.put(one.by_url.url(0), one.by_url.entry(0));
        }
        return out;
    };
    auto describe = [](const std::vector<shoal::url_change>& changes) {
        std::vector<std::string> v;
        for (const auto& c : changes) {
            std::string s = c.url + ":";
            for (change_kind k : c.kinds) s += std::string(shoal::to_string(k)) + ",";
            s += c.before ? std::to_string(c.before->line) : "-";
            s += c.after ? "/" + std::to_string(c.after->line) : "/-";
            v.push_back(s + (c.pct ? " " + *c.pct : ""));
        }
        return v;
    };
    shoal::diff_filter all;
    all.all = true;
    const auto weak = shoal::compare_runs(read(old_text, collide), read(new_text, collide), all);
    const auto strong = shoal::compare_runs(read(old_text, shoal::default_url_hash),
                                            read(new_text, shoal::default_url_hash), all);
    CHECK(describe(weak) ==
          std::vector<std::string>{"u/new:new,-/6", "u/new2:new,-/5", "u/gone:gone,3/-",
                                   "u/both:price_down,title_changed,2/2 -10.0",
                                   "u/dup:unchanged,5/4", "u/same:unchanged,1/1"});
    CHECK(describe(weak) == describe(strong));
}

TEST_CASE("diff: repeated URLs in NEW, from a file or stdin, count once", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::test::write_file(
        old_path, rec(1, "http://s/a", 200, "A", "10") + rec(2, "http://s/b", 200, "B", "10"));
    const std::string new_run =
        rec(1, "http://s/a", 200, "A", "11") + rec(2, "http://s/a", 200, "A", "10") +
        rec(3, "http://s/b", 200, "B", "10") + rec(4, "http://s/n", 200, "N", "1") +
        rec(5, "http://s/n", 200, "N", "2");
    shoal::test::write_file(new_path, new_run);
    for (const std::string& path : {new_path, std::string("-")}) {
        INFO(path);
        auto t = run_process({SHOAL_BINARY, "diff", "-f", "table", old_path, path}, new_run, 30s);
        CHECK(t.exit_code == 1);
        const std::string name = path == "-" ? "<stdin>" : new_path;
        CHECK(t.err == "shoal diff: " + name +
                           ": 2 records repeat a URL seen earlier in the file; "
                           "the record of the latest line of the list is used (of records without a line, the "
                           "last)\n");
        CHECK(t.out.find("2 URLs in " + old_path + ", 3 in " + name + ": 1 new, 2 unchanged\n") !=
              std::string::npos);
        auto j = run_process({SHOAL_BINARY, "diff", old_path, path}, new_run, 30s);
        CHECK(j.exit_code == 1);
        auto m = by_url(j.out);
        REQUIRE(m.size() == 1);
        CHECK(m["http://s/n"].at("new").at("price").at("amount") == "2");
        CHECK(m["http://s/n"].at("new").at("line") == 5);
    }
}

TEST_CASE("diff: the table aligns wide characters and shows controls as pictures", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    // A wide title (CJK, emoji), one with a right-to-left override, one with a CR.
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "\xE6\x97\xA5\xE6\x9C\xAC\xF0\x9F\x98\x80", "") +
                                          rec(2, "http://s/b", 200, "safe", "") +
                                          rec(3, "http://s/c", 200, "cr1 cr2", ""));
    shoal::test::write_file(new_path, rec(1, "http://s/a", 200, "x", "") +
                                          rec(2, "http://s/b", 200, "evil\xE2\x80\xAEgnp.exe", "") +
                                          rec(3, "http://s/c", 200, "cr1\rcr2", ""));
    auto t = run_process({SHOAL_BINARY, "diff", "-f", "table", old_path, new_path}, "", 30s);
    INFO(t.out);
    CHECK(t.exit_code == 1);
    CHECK(t.out.find("\xE2\x80\xAE") == std::string::npos);  // no U+202E reaches the terminal
    CHECK(t.out.find("evil\xEF\xBF\xBDgnp.exe") != std::string::npos);
    CHECK(t.out.find("cr1\xE2\x90\x8D" "cr2") != std::string::npos);  // U+240D, the picture of CR
    CHECK(t.out.find('\r') == std::string::npos);
    // The "new" column starts at one terminal column on every row: the old
    // title of /a is 6 columns wide in 10 bytes.
    auto columns = [](const std::string& s) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if ((c & 0xC0) == 0x80) continue;
            n += c >= 0xF0 || (c == 0xE6) ? 2 : 1;  // the emoji and the CJK characters here are wide
        }
        return n;
    };
    // Each row by the text its "new" cell starts with.
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"change  ", "new"}, {"http://s/a", "x"}, {"http://s/b", "evil"}, {"http://s/c", "cr1\xE2"}};
    std::vector<std::size_t> starts;
    for (const auto& line : shoal::test::nonempty_lines(t.out))
        for (const auto& [key, cell] : rows)
            if (line.find(key) != std::string::npos) {
                const std::size_t at = line.rfind("  " + cell);
                REQUIRE(at != std::string::npos);
                starts.push_back(columns(line.substr(0, at + 2)));
            }
    REQUIRE(starts.size() == 4);
    CHECK(std::adjacent_find(starts.begin(), starts.end(), std::not_equal_to<>()) == starts.end());
}

TEST_CASE("diff: text that cannot start a record is an error at the end of a file too, not a cut record",
          "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "A", "10.00"));
    for (const std::string& tail : std::vector<std::string>{"not json at all", "{\"url\":\"http://s/b\"}}",
                                                         "{\"url\":\"http://s/b\"} xx", "123abc",
                                                         std::string("\x1f\x8b\x08\x00 binary", 12)}) {
        INFO(tail);
        shoal::test::write_file(new_path, rec(1, "http://s/a", 200, "A", "10.00") + tail);
        auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, new_path}, "", 30s);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::StartsWith("shoal diff: " + new_path + ":2: not valid JSON"));
    }
}

TEST_CASE("diff: of several records of a URL, the one of the latest line of the list counts, in any file order",
          "[diff][binary]") {
    // A crawl writes records as fetches end: a list with a URL twice may
    // give them in either order, and two runs of it must not differ for that.
    temp_dir dir;
    const std::string ok = R"({"line":2,"url":"http://h/x","status":200,"title":"ok","price":null,"error":null})";
    const std::string failed = R"({"line":1,"url":"http://h/x","status":null,"title":null,"price":null,)"
                               R"("error":{"stage":"connect","code":"timeout","message":"t"}})";
    const auto a = (dir / "a.jsonl").string(), b = (dir / "b.jsonl").string();
    shoal::test::write_file(a, ok + "\n" + failed + "\n");
    shoal::test::write_file(b, failed + "\n" + ok + "\n");
    for (const auto& [x, y] : {std::pair(a, b), std::pair(b, a)}) {
        auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", x, y}, "", 30s);
        INFO(r.err << r.out);
        CHECK(r.exit_code == 0);
        CHECK(r.out.empty());
    }
    // And it is line 2's record that is compared: another run whose line 2 failed differs.
    const auto c = (dir / "c.jsonl").string();
    shoal::test::write_file(c, failed + "\n" + R"({"line":2,"url":"http://h/x","status":404,"title":null,)"
                                                R"("price":null,"error":null})" "\n");
    auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", a, c}, "", 30s);
    CHECK(r.exit_code == 1);
    CHECK(change_of(by_url(r.out).at("http://h/x")) == "status_changed");
    // A record without a line between them gives way to both: line 5 counts, in OLD and in NEW.
    const std::string five = R"({"line":5,"url":"http://h/y","status":200,"title":"five","price":null,"error":null})";
    const std::string none = R"({"line":null,"url":"http://h/y","status":200,"title":"none","price":null,"error":null})";
    const std::string three = R"({"line":3,"url":"http://h/y","status":200,"title":"three","price":null,"error":null})";
    const auto d = (dir / "d.jsonl").string(), e = (dir / "e.jsonl").string();
    shoal::test::write_file(d, five + "\n" + none + "\n" + three + "\n");
    shoal::test::write_file(e, R"({"line":5,"url":"http://h/y","status":200,"title":"five","price":null,"error":null})"
                               "\n");
    for (const auto& [x, y] : {std::pair(d, e), std::pair(e, d)}) {
        auto same = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", x, y}, "", 30s);
        INFO(same.err << same.out);
        CHECK(same.exit_code == 0);
        CHECK(same.out.empty());
    }
}

TEST_CASE("diff: a record short of a field or with a value of the wrong type is an error naming the line",
          "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), bad = (dir / "bad.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "A", "10.00"));
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"url":"http://s/a"})", "the record has no \"status\""},
        {R"({"url":"http://s/a","status":200,"price":null,"error":null})", "the record has no \"title\""},
        {R"({"url":"","status":200,"title":null,"price":null,"error":null})",
         "the record has no \"url\" string"},
        {R"({"url":"http://s/a","status":200,"title":null,"price":{"amount":"ten"},"error":null})",
         "\"price\" amount \"ten\" is not a decimal number"},
        {R"({"url":"http://s/a","status":200,"title":null,"price":{"amount":"1e5"},"error":null})",
         "\"price\" amount \"1e5\" is not a decimal number"},
        {R"({"url":"http://s/a","status":200,"title":null,"price":null,"error":"oops"})",
         "\"error\" is not an object or null"},
        {R"({"url":"http://s/a","status":200,"title":5,"price":null,"error":null})",
         "\"title\" is not a string, an array or null"},
        {R"({"line":"x","url":"http://s/a","status":200,"title":null,"price":null,"error":null})",
         "\"line\" is not a line number or null"},
    };
    for (const auto& [text, says] : cases) {
        INFO(text);
        shoal::test::write_file(bad, text + "\n");
        auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, bad}, "", 30s);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(bad + ":1: " + says));
    }
    // CSV: shoal's columns, a url in each row, decimal amounts.
    const auto csv = (dir / "bad.csv").string();
    const std::string head = "line,url,status,title,price_amount,error_stage\r\n";
    const std::vector<std::pair<std::string, std::string>> csv_cases = {
        {"line,url\r\n1,http://s/a\r\n", ":1: no \"status\" column in the CSV header"},
        {head + "1,,200,A,10.00,\r\n", ":2: the url cell is empty"},
        {head + "1,http://s/a,200,A,ten,\r\n", ":2: price_amount \"ten\" is not a decimal number"},
        {head + "x,http://s/a,200,A,10.00,\r\n", ":2: line \"x\" is not a line number"},
    };
    for (const auto& [text, says] : csv_cases) {
        INFO(text);
        shoal::test::write_file(csv, text);
        auto r = run_process({SHOAL_BINARY, "diff", "-f", "jsonl", old_path, csv}, "", 30s);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(csv + says));
    }
}

TEST_CASE("diff: a price gone with a failed fetch or a 404 says so in the table", "[diff][binary]") {
    temp_dir dir;
    const auto old_path = (dir / "old.jsonl").string(), new_path = (dir / "new.jsonl").string();
    shoal::test::write_file(old_path, rec(1, "http://s/a", 200, "A", "5") + rec(2, "http://s/b", 200, "B", "6") +
                                          rec(3, "http://s/c", 200, "C", "7"));
    shoal::test::write_file(
        new_path,
        std::string(R"({"line":1,"url":"http://s/a","status":null,"title":null,"price":null,)"
                    R"("error":{"stage":"connect","code":"timeout","message":"t"}})") +
            "\n" + rec(2, "http://s/b", 404, "", "") + rec(3, "http://s/c", 200, "C", ""));
    auto r = run_process({SHOAL_BINARY, "diff", "--only", "price", "-f", "table", old_path, new_path}, "", 30s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.out, Catch::Contains("no price (connect error: timeout)"));
    CHECK_THAT(r.out, Catch::Contains("no price (status 404)"));
    // A page that came, without a price, is plain "no price".
    CHECK_THAT(r.out, Catch::Matches("(.|\n)*7 USD +no price\n(.|\n)*"));
}
