// JSONL and CSV rendering of result records.
#include "shoal/record.hpp"

#include <charconv>
#include <cstdio>

#include <boost/json.hpp>

#include "shoal/charset.hpp"

namespace shoal {

std::string_view to_string(error_stage s) {
    switch (s) {
        case error_stage::none: return "";
        case error_stage::connect: return "connect";
        case error_stage::tls: return "tls";
        case error_stage::request: return "request";
        case error_stage::response: return "response";
        case error_stage::body: return "body";
        case error_stage::decode: return "decode";
        case error_stage::redirect: return "redirect";
        case error_stage::input: return "input";
        case error_stage::crash: return "crash";
    }
    return "unknown";
}

namespace {

void append_escaped_valid(std::string_view s, std::string& out) {
    static constexpr char hex[] = "0123456789abcdef";
    std::size_t run = 0;  // start of the current run of bytes copied as they are
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 15];
        }
    }
    out.append(s.data() + run, s.size() - run);
}

void append_number(double v, std::string& out) {
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.1f", v);
    out.append(buf, static_cast<std::size_t>(n));
}

void append_uint(std::uint64_t v, std::string& out) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;
    out.append(buf, end);
}

void append_optional_string(const std::optional<std::string>& s, std::string& out) {
    if (s) append_json_string(*s, out);
    else out += "null";
}

}  // namespace

void append_csv_field(std::string_view s, std::string& out) {
    std::string valid;
    if (!is_valid_utf8(s)) {
        valid = make_valid_utf8(s);
        s = valid;
    }
    // A NUL is U+FFFD: CSV readers and databases refuse the byte.
    // One pass for the common cell, which holds none of these.
    if (s.find_first_of(std::string_view(",\"\r\n\0", 5)) == std::string_view::npos) {
        out.append(s);
        return;
    }
    const bool quoted = s.find_first_of(",\"\r\n") != std::string_view::npos;
    if (quoted) out += '"';
    for (char c : s) {
        if (c == '"') out += '"';
        if (c == '\0') out += "\xEF\xBF\xBD";
        else out += c;
    }
    if (quoted) out += '"';
}

void append_json_string(std::string_view s, std::string& out) {
    out += '"';
    if (is_valid_utf8(s)) append_escaped_valid(s, out);
    else append_escaped_valid(make_valid_utf8(s), out);
    out += '"';
}

void append_price_json(const shoal::price& p, std::string& out) {
    out += "{\"amount\":";
    append_json_string(p.amount, out);
    out += ",\"currency\":";
    if (p.currency.empty()) out += "null";
    else append_json_string(p.currency, out);
    out += ",\"raw\":";
    append_json_string(p.raw, out);
    out += '}';
}

void append_jsonl(const record& r, std::string& out) {
    out += "{\"line\":";
    append_uint(r.line, out);
    out += ",\"url\":";
    append_json_string(r.url, out);
    out += ",\"final_url\":";
    if (r.final_url.empty()) out += "null";
    else append_json_string(r.final_url, out);
    out += ",\"status\":";
    if (r.status < 0) out += "null";
    else append_uint(static_cast<std::uint64_t>(r.status), out);
    out += ",\"elapsed_ms\":";
    append_number(r.elapsed_ms, out);
    out += ",\"bytes\":";
    append_uint(r.bytes, out);
    out += ",\"attempts\":";
    append_uint(r.attempts, out);
    out += ",\"title\":";
    append_optional_string(r.title, out);
    out += ",\"price\":";
    if (r.price) append_price_json(*r.price, out);
    else out += "null";
    out += ",\"fields\":{";
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
        if (i > 0) out += ',';
        append_json_string(r.fields[i].first, out);
        out += ':';
        out += r.fields[i].second;
    }
    out += "},\"error\":";
    if (r.stage == error_stage::none) {
        out += "null";
    } else {
        out += "{\"stage\":\"";
        out += to_string(r.stage);
        out += "\",\"code\":";
        append_json_string(r.error_code, out);
        out += ",\"message\":";
        append_json_string(r.error_message, out);
        out += '}';
    }
    out += "}\n";
}

void append_csv_header(std::string& out, const std::vector<std::string>& field_names) {
    out +=
        "line,url,status,final_url,title,price_amount,price_currency,price_raw,"
        "elapsed_ms,bytes,attempts,error_stage,error_code,error_message";
    for (const auto& name : field_names) {
        out += ',';
        append_csv_field("fields." + name, out);  // apart from the standard title and price
    }
    out += "\r\n";
}

void append_csv_row(const record& r, std::string& out, const std::vector<std::string>& field_names) {
    append_uint(r.line, out);
    out += ',';
    append_csv_field(r.url, out);
    out += ',';
    if (r.status >= 0) append_uint(static_cast<std::uint64_t>(r.status), out);
    out += ',';
    append_csv_field(r.final_url, out);
    out += ',';
    if (r.title) append_csv_field(*r.title, out);
    out += ',';
    if (r.price) {
        append_csv_field(r.price->amount, out);
        out += ',';
        append_csv_field(r.price->currency, out);
        out += ',';
        append_csv_field(r.price->raw, out);
    } else {
        out += ",,";
    }
    out += ',';
    append_number(r.elapsed_ms, out);
    out += ',';
    append_uint(r.bytes, out);
    out += ',';
    append_uint(r.attempts, out);
    out += ',';
    out += to_string(r.stage);
    out += ',';
    append_csv_field(r.error_code, out);
    out += ',';
    append_csv_field(r.error_message, out);
    for (const auto& name : field_names) {
        out += ',';
        for (const auto& [k, v] : r.fields) {
            if (k != name) continue;
            // A JSON string is written as its text; arrays and objects as JSON.
            if (!v.empty() && v.front() == '"') append_csv_field(boost::json::parse(v).as_string(), out);
            else if (v != "null") append_csv_field(v, out);
            break;
        }
    }
    out += "\r\n";
}

}  // namespace shoal
