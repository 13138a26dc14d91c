// `shoal diff OLD NEW`: reads OLD into a packed table of URL -> entry, then
// classifies NEW's records against it as they are read, and prints what
// changed per URL as a table, JSONL or CSV.
#include "shoal/diff.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "shoal/charset.hpp"
#include "shoal/command_line.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/record.hpp"
#include "shoal/resume.hpp"
#include "shoal/sys.hpp"

namespace shoal {

namespace json = boost::json;

// ---- exact decimals ------------------------------------------------------
//
// A decimal is split into sign, integer digits and fraction digits. Two
// decimals are brought to the same scale (fraction digits padded with zeros)
// and then compared or divided as unsigned integers held in digit strings.

namespace {

struct decimal_parts {
    bool negative = false;
    std::string_view int_digits;
    std::string_view frac_digits;
};

decimal_parts split_decimal(std::string_view s) {
    decimal_parts d;
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
        d.negative = s[0] == '-';
        s.remove_prefix(1);
    }
    const auto dot = s.find('.');
    d.int_digits = s.substr(0, dot);
    if (dot != std::string_view::npos) d.frac_digits = s.substr(dot + 1);
    return d;
}

void strip_leading_zeros(std::string& s) {
    const auto first = s.find_first_not_of('0');
    if (first == std::string::npos)
        s = "0";
    else
        s.erase(0, first);
}

// The magnitude of d times 10^scale, as digits without leading zeros.
// REQUIRES: scale >= d.frac_digits.size().
std::string scaled_magnitude(const decimal_parts& d, std::size_t scale) {
    std::string s(d.int_digits);
    s += d.frac_digits;
    s.append(scale - d.frac_digits.size(), '0');
    strip_leading_zeros(s);
    return s;
}

int compare_magnitude(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string add_magnitude(const std::string& a, const std::string& b) {
    std::string out;
    int carry = 0;
    for (std::size_t i = 0; i < std::max(a.size(), b.size()) || carry; ++i) {
        int sum = carry;
        if (i < a.size()) sum += a[a.size() - 1 - i] - '0';
        if (i < b.size()) sum += b[b.size() - 1 - i] - '0';
        out += static_cast<char>('0' + sum % 10);
        carry = sum / 10;
    }
    std::reverse(out.begin(), out.end());
    strip_leading_zeros(out);
    return out;
}

// REQUIRES: a >= b.
std::string subtract_magnitude(const std::string& a, const std::string& b) {
    std::string out = a;
    int borrow = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        char& digit = out[out.size() - 1 - i];
        int v = (digit - '0') - borrow - (i < b.size() ? b[b.size() - 1 - i] - '0' : 0);
        borrow = v < 0 ? 1 : 0;
        digit = static_cast<char>('0' + (v + 10) % 10);
    }
    strip_leading_zeros(out);
    return out;
}

// Long division: quotient and remainder of a / b. REQUIRES: b != "0".
std::pair<std::string, std::string> divide_magnitude(const std::string& a, const std::string& b) {
    std::string quotient, rem = "0";
    for (char c : a) {
        rem = rem == "0" ? std::string(1, c) : rem + c;
        int count = 0;
        while (compare_magnitude(rem, b) >= 0) {
            rem = subtract_magnitude(rem, b);
            ++count;
        }
        quotient += static_cast<char>('0' + count);
    }
    strip_leading_zeros(quotient);
    return {quotient, rem};
}

}  // namespace

bool is_decimal(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    bool digit = false, dot = false;
    for (char c : s) {
        if (c >= '0' && c <= '9')
            digit = true;
        else if (c == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digit;
}

int compare_decimal(std::string_view a, std::string_view b) {
    const decimal_parts da = split_decimal(a), db = split_decimal(b);
    const std::size_t scale = std::max(da.frac_digits.size(), db.frac_digits.size());
    const std::string ma = scaled_magnitude(da, scale), mb = scaled_magnitude(db, scale);
    // -0 is 0.
    const int sa = ma == "0" ? 0 : (da.negative ? -1 : 1);
    const int sb = mb == "0" ? 0 : (db.negative ? -1 : 1);
    if (sa != sb) return sa < sb ? -1 : 1;
    const int c = compare_magnitude(ma, mb);
    return sa >= 0 ? c : -c;
}

std::optional<std::string> percent_change(std::string_view old_amount,
                                          std::string_view new_amount) {
    const decimal_parts da = split_decimal(old_amount), db = split_decimal(new_amount);
    const std::size_t scale = std::max(da.frac_digits.size(), db.frac_digits.size());
    const std::string ma = scaled_magnitude(da, scale), mb = scaled_magnitude(db, scale);
    if (ma == "0") return std::nullopt;

    // The difference new - old, as sign and magnitude.
    std::string diff;
    bool negative = false;
    const bool old_negative = da.negative;
    const bool new_negative = db.negative && mb != "0";
    if (new_negative != old_negative) {
        diff = add_magnitude(mb, ma);
        negative = new_negative;
    } else if (compare_magnitude(mb, ma) >= 0) {
        diff = subtract_magnitude(mb, ma);
        negative = new_negative;
    } else {
        diff = subtract_magnitude(ma, mb);
        negative = !new_negative;
    }

    // Tenths of a percent: diff * 1000 / |old|, rounded half away from zero.
    auto [tenths, rem] = divide_magnitude(diff + "000", ma);
    if (compare_magnitude(add_magnitude(rem, rem), ma) >= 0) tenths = add_magnitude(tenths, "1");
    if (tenths.size() < 2) tenths.insert(0, 1, '0');
    std::string out = negative && tenths != "00" ? "-" : "";
    out.append(tenths, 0, tenths.size() - 1);
    out += '.';
    out += tenths.back();
    return out;
}

// ---- csv_reader -------------------------------------------------------------

bool csv_reader::next(std::vector<std::string>& fields) {
    using traits = std::char_traits<char>;
    std::streambuf* sb = in_.rdbuf();
    fields.clear();

    // Skip blank lines.
    int c = sb->sgetc();
    while (c == '\r' || c == '\n') {
        sb->sbumpc();
        if (c == '\n' || sb->sgetc() != '\n') ++line_;
        c = sb->sgetc();
    }
    if (c == traits::eof()) return false;
    record_line_ = line_;

    // Ends the record after its last field, eating one CRLF, LF or CR.
    auto end_record = [&] {
        int e = sb->sbumpc();
        if (e == '\r' && sb->sgetc() == '\n') sb->sbumpc();
        if (e != traits::eof()) ++line_;
        cut_at_end_ = e == traits::eof();
    };

    std::string field;
    bool field_start = true;
    for (;;) {
        c = sb->sgetc();
        if (field_start && c == '"') {
            // A quoted field: everything up to the closing quote, "" is one quote.
            sb->sbumpc();
            for (;;) {
                c = sb->sbumpc();
                if (c == traits::eof()) {
                    cut_at_end_ = true;
                    throw std::runtime_error("unterminated quoted field");
                }
                if (c == '"') {
                    if (sb->sgetc() != '"') break;
                    sb->sbumpc();
                }
                if (c == '\n') ++line_;
                field += traits::to_char_type(c);
            }
            c = sb->sgetc();
            if (c != ',' && c != '\r' && c != '\n' && c != traits::eof())
                throw std::runtime_error("text after the closing quote of a field");
        }
        field_start = false;
        if (c == ',') {
            sb->sbumpc();
            fields.push_back(std::move(field));
            field.clear();
            field_start = true;
        } else if (c == '\r' || c == '\n' || c == traits::eof()) {
            end_record();
            fields.push_back(std::move(field));
            return true;
        } else {
            field += traits::to_char_type(sb->sbumpc());
        }
    }
}

// ---- reading runs ---------------------------------------------------------

namespace {

[[noreturn]] void fail(const std::string& name, std::uint64_t line, const std::string& what) {
    throw diff_input_error(name + ":" + std::to_string(line) + ": " + what);
}

void strip_bom(std::string& s) {
    if (s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);
}

void add_entry(diff_input& in, std::string_view url, const diff_entry& e) {
    ++in.records;
    if (!in.by_url.put(url, e)) ++in.duplicates;
}

const json::string* string_field(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

std::optional<diff_price> price_from_json(const json::value& v, const std::string& name,
                                          std::uint64_t line) {
    const json::value* p = &v;
    // Rules with `all = true` give an array of prices: compare the first.
    if (const json::array* a = v.if_array()) {
        if (a->empty()) return std::nullopt;
        p = &a->front();
    }
    if (p->is_null()) return std::nullopt;
    const json::object* o = p->if_object();
    if (!o) fail(name, line, "\"price\" is not an object or null");
    const json::string* amount = string_field(*o, "amount");
    if (!amount) fail(name, line, "\"price\" has no \"amount\" string");
    if (!is_decimal(*amount)) fail(name, line, "\"price\" amount \"" + std::string(*amount) + "\" is not a decimal number");
    diff_price price;
    price.amount = *amount;
    if (const json::string* s = string_field(*o, "currency")) price.currency = *s;
    if (const json::string* s = string_field(*o, "raw")) price.raw = *s;
    return price;
}

diff_entry entry_from_json(const json::object& o, const std::string& name, std::uint64_t line) {
    diff_entry e;
    // What diff compares is in every record shoal writes: a record short of
    // one is another program's, or edited, and would show changes that are not.
    for (const char* key : {"status", "title", "price", "error"})
        if (!o.contains(key)) fail(name, line, std::string("the record has no \"") + key + "\" (null when none)");
    if (const json::value* v = o.if_contains("line"); v && !v->is_null()) {
        boost::system::error_code ec;
        const auto n = v->is_number() ? v->to_number<std::uint64_t>(ec) : 0;
        if (!v->is_number() || ec || n == 0) fail(name, line, "\"line\" is not a line number or null");
        e.line = n;
    }
    if (const json::value* v = o.if_contains("status"); v && !v->is_null()) {
        boost::system::error_code ec;
        const auto n = v->is_number() ? v->to_number<int>(ec) : 0;
        if (!v->is_number() || ec) fail(name, line, "\"status\" is not an integer or null");
        e.status = n;
    }
    if (const json::value* v = o.if_contains("title"); v && !v->is_null()) {
        if (!v->is_string() && !v->is_array()) fail(name, line, "\"title\" is not a string, an array or null");
        // A title from an `all = true` rule is an array: compare it as JSON text.
        std::string t = v->is_string() ? std::string(v->get_string()) : json::serialize(*v);
        if (!t.empty()) e.title = std::move(t);
    }
    if (const json::value* v = o.if_contains("price")) e.price = price_from_json(*v, name, line);
    if (const json::value* v = o.if_contains("error"); v && !v->is_null()) {
        if (!v->is_object()) fail(name, line, "\"error\" is not an object or null");
        const json::string* stage = string_field(v->get_object(), "stage");
        if (!stage) fail(name, line, "\"error\" has no \"stage\" string");
        e.error_stage = *stage;
        if (const json::string* s = string_field(v->get_object(), "code")) e.error_code = *s;
    }
    return e;
}

std::ifstream open_input(const std::string& path) {
    if (sys::names_closed_stdin(path)) throw diff_input_error("cannot read " + path + ": stdin is closed");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw diff_input_error("cannot read " + path + ": is a directory");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw diff_input_error("cannot read " + path + ": " + std::strerror(errno));
    return in;
}

bool ends_with_csv(const std::string& path) {
    return path.size() >= 4 && ascii_lower(path.substr(path.size() - 4)) == ".csv";
}

// A last record cut off where the file ends, as a run stopped (or killed)
// while writing it leaves one: it is no record yet, and --resume cuts it.
void warn_cut_record(const std::string& name, std::uint64_t line) {
    std::fprintf(stderr,
                 "shoal diff: warning: %s:%llu: the last record is cut off (a run stopped while writing it); "
                 "compared without it\n",
                 name.c_str(), static_cast<unsigned long long>(line));
}

void read_jsonl_records(std::istream& in, const std::string& name, const diff_record_fn& fn) {
    std::string text;
    std::uint64_t line = 0;
    // Each line's JSON lives in one arena, freed as a whole before the next line.
    unsigned char arena[16384];
    while (std::getline(in, text)) {
        ++line;
        if (line == 1) strip_bom(text);
        if (!text.empty() && text.back() == '\r') text.pop_back();
        if (text.find_first_not_of(" \t") == std::string::npos) continue;
        json::monotonic_resource mr(arena, sizeof arena);
        boost::system::error_code ec;
        json::value v = json::parse(text, ec, &mr);
        // Unfinished, with no line end after it: a record cut off (whole
        // JSON without one is a record). Only the start of an object that
        // ends too soon is one: other text there is no record.
        if (ec == json::error::incomplete && in.eof() && text.find_first_not_of(" \t") != std::string::npos &&
            text[text.find_first_not_of(" \t")] == '{') {
            warn_cut_record(name, line);
            break;
        }
        if (ec) fail(name, line, "not valid JSON (" + ec.message() + ")");
        const json::object* o = v.if_object();
        if (!o) fail(name, line, "not a JSON object");
        const json::string* url = string_field(*o, "url");
        if (!url || url->empty()) fail(name, line, "the record has no \"url\" string");
        fn(std::string_view(url->data(), url->size()), entry_from_json(*o, name, line));
    }
    if (in.bad())
        throw diff_input_error("cannot read " + name + ": read error after line " +
                               std::to_string(line));
}

void read_csv_records(std::istream& in, const std::string& name, const diff_record_fn& fn) {
    csv_reader reader(in);
    std::vector<std::string> fields;
    try {
        if (!reader.next(fields)) return;  // an empty file: no records
        if (!fields.empty()) strip_bom(fields[0]);
        const std::vector<std::string> header = fields;
        auto column = [&](std::string_view col) -> std::optional<std::size_t> {
            auto it = std::find(header.begin(), header.end(), col);
            if (it == header.end()) return std::nullopt;
            return static_cast<std::size_t>(it - header.begin());
        };
        const auto url = column("url"), line = column("line"), status = column("status"),
                   title = column("title"), amount = column("price_amount"),
                   currency = column("price_currency"), raw = column("price_raw"),
                   stage = column("error_stage"), code = column("error_code");
        for (const char* col : {"url", "status", "title", "price_amount", "error_stage"})
            if (!column(col))
                fail(name, reader.line(), std::string("no \"") + col + "\" column in the CSV header (not a CSV shoal wrote?)");

        while (reader.next(fields)) {
            const std::uint64_t at = reader.line();
            // Short of its columns with no line end after it: cut. One cut
            // inside its last column (a field, an error message) has them
            // all and is kept: diff compares none of those, and a CSV
            // written elsewhere may end without a line end.
            if (fields.size() != header.size() && reader.cut_at_end()) {
                warn_cut_record(name, at);
                break;
            }
            if (fields.size() != header.size())
                fail(name, at,
                     std::to_string(fields.size()) + " fields, but the header has " +
                         std::to_string(header.size()));
            auto get = [&](std::optional<std::size_t> i) -> std::string {
                return i ? fields[*i] : std::string();
            };
            diff_entry e;
            if (fields[*url].empty()) fail(name, at, "the url cell is empty");
            if (line && !fields[*line].empty()) {
                const std::string& l = fields[*line];
                char* end = nullptr;
                errno = 0;
                e.line = l.find_first_not_of("0123456789") == std::string::npos ? std::strtoull(l.c_str(), &end, 10) : 0;
                if (e.line == 0 || errno != 0) fail(name, at, "line \"" + l + "\" is not a line number");
            }
            if (const std::string s = get(status); !s.empty()) {
                char* end = nullptr;
                errno = 0;
                const long n = std::strtol(s.c_str(), &end, 10);
                if (*end != '\0' || errno != 0 || n < 0 || n > 999)
                    fail(name, at, "status \"" + s + "\" is not an HTTP status");
                e.status = static_cast<int>(n);
            }
            if (std::string t = get(title); !t.empty()) e.title = std::move(t);
            if (std::string a = get(amount); !a.empty()) {
                if (!is_decimal(a)) fail(name, at, "price_amount \"" + a + "\" is not a decimal number");
                e.price = diff_price{std::move(a), get(currency), get(raw)};
            }
            if (e.error_stage = get(stage); e.error_stage == "none") e.error_stage.clear();
            e.error_code = get(code);
            fn(fields[*url], e);
        }
    } catch (const diff_input_error&) {
        throw;
    } catch (const std::runtime_error& e) {
        if (!reader.cut_at_end()) fail(name, reader.line(), e.what());
        warn_cut_record(name, reader.line());
    }
    if (in.bad()) throw diff_input_error("cannot read " + name + ": read error");
}

// The name messages give an input.
std::string input_name(const std::string& path) {
    return path == "-" ? "<stdin>" : path;
}

}  // namespace

diff_input read_jsonl_input(std::istream& in, const std::string& name) {
    diff_input out;
    out.name = name;
    read_jsonl_records(in, name,
                       [&](std::string_view url, const diff_entry& e) { add_entry(out, url, e); });
    return out;
}

diff_input read_csv_input(std::istream& in, const std::string& name) {
    diff_input out;
    out.name = name;
    read_csv_records(in, name,
                     [&](std::string_view url, const diff_entry& e) { add_entry(out, url, e); });
    return out;
}

diff_input read_diff_input(const std::string& path) {
    diff_input out;
    out.name = input_name(path);
    for_each_diff_record(
        path, [&](std::string_view url, const diff_entry& e) { add_entry(out, url, e); });
    return out;
}

void for_each_diff_record(const std::string& path, const diff_record_fn& fn) {
    if (path == "-") {
        if (sys::standard_fd_was_closed(STDIN_FILENO))
            throw diff_input_error("cannot read <stdin>: it is closed");
        if (struct stat st{}; ::fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode))
            throw diff_input_error("cannot read <stdin>: it is a directory");
        return read_jsonl_records(std::cin, input_name(path), fn);
    }
    std::ifstream in = open_input(path);
    const bool csv = ends_with_csv(path);
    try {
        return csv ? read_csv_records(in, path, fn) : read_jsonl_records(in, path, fn);
    } catch (const diff_input_error& e) {
        // Its first record unreadable: perhaps the other format, as the name chose this one.
        if (std::string_view(e.what()).rfind(path + ":1: ", 0) != 0) throw;
        throw diff_input_error(std::string(e.what()) + (csv ? " (read as CSV because the name ends in .csv)"
                                                            : " (read as JSONL: only a name ending in .csv is read as CSV)"));
    }
}

// ---- comparing ------------------------------------------------------------

std::string_view to_string(change_kind k) {
    switch (k) {
        case change_kind::new_url:
            return "new";
        case change_kind::gone:
            return "gone";
        case change_kind::status_changed:
            return "status_changed";
        case change_kind::error_changed:
            return "error_changed";
        case change_kind::price_up:
            return "price_up";
        case change_kind::price_down:
            return "price_down";
        case change_kind::price_changed:
            return "price_changed";
        case change_kind::title_changed:
            return "title_changed";
        case change_kind::unchanged:
            return "unchanged";
    }
    return "unknown";
}

namespace {

// What changed for a URL present in both runs, in change_kind order.
std::vector<change_kind> changes_between(const diff_entry& a, const diff_entry& b,
                                         std::optional<std::string>& pct) {
    std::vector<change_kind> kinds;
    if (a.status != b.status) kinds.push_back(change_kind::status_changed);
    else if (a.error_stage != b.error_stage || a.error_code != b.error_code)
        kinds.push_back(change_kind::error_changed);
    if (a.price && b.price && a.price->currency == b.price->currency) {
        const std::string &x = a.price->amount, &y = b.price->amount;
        if (is_decimal(x) && is_decimal(y)) {
            const int c = compare_decimal(x, y);
            if (c != 0) {
                kinds.push_back(c < 0 ? change_kind::price_up : change_kind::price_down);
                pct = percent_change(x, y);
            }
        } else if (x != y) {
            kinds.push_back(change_kind::price_changed);
        }
    } else if (a.price || b.price) {
        kinds.push_back(change_kind::price_changed);
    }
    if (a.title != b.title) kinds.push_back(change_kind::title_changed);
    return kinds;
}

bool wanted(const diff_filter& f, change_kind k) {
    return f.only.empty() || std::find(f.only.begin(), f.only.end(), k) != f.only.end();
}

// The kinds and pct of a URL in both runs, as the filter shows them (no
// kinds: no row). Sets `same` when nothing changed at all.
url_change compare_entries(const diff_entry& a, const diff_entry& b, const diff_filter& filter,
                           bool& same) {
    url_change c;
    const auto kinds = changes_between(a, b, c.pct);
    same = kinds.empty();
    for (change_kind k : kinds)
        if (wanted(filter, k)) c.kinds.push_back(k);
    if (same && filter.all) c.kinds.push_back(change_kind::unchanged);
    const bool priced = std::find_if(c.kinds.begin(), c.kinds.end(), [](change_kind k) {
                            return k == change_kind::price_up || k == change_kind::price_down;
                        }) != c.kinds.end();
    if (!priced) c.pct.reset();
    return c;
}

std::uint32_t checked_u32(std::size_t n) {
    if (n >= 0xFFFFFFFFu) throw std::length_error("more than 4294967294 URLs in one run");
    return static_cast<std::uint32_t>(n);
}

}  // namespace

run_comparer::run_comparer(const diff_input& before, diff_filter filter)
    : before_(before),
      filter_(std::move(filter)),
      state_(before.by_url.size(), absent),
      new_line_(before.by_url.size(), 0),
      added_(before.by_url.hash()) {}

void run_comparer::add(std::string_view url, const diff_entry& e) {
    ++records_;
    const std::size_t i = before_.by_url.find(url);
    if (i == url_table::npos) {
        // Only a `new` row shows the entry; the URL is kept anyway, for the counts.
        if (!added_.put(url, wanted(filter_, change_kind::new_url) ? e : diff_entry{}))
            ++duplicates_;
        return;
    }
    std::uint32_t& state = state_[i];
    const auto line = static_cast<std::uint32_t>(std::min<std::uint64_t>(e.line, 0xFFFFFFFFu));
    if (state == absent) {
        ++in_both_;
    } else {
        ++duplicates_;
        if (later_line(new_line_[i], line)) return;  // the record of a later line of the list stays
    }
    new_line_[i] = line;
    bool same = false;
    if (compare_entries(before_.by_url.entry(i), e, filter_, same).kinds.empty()) {
        state = same ? no_change : not_shown;
    } else if (state >= kept_base) {
        kept_.replace(state - kept_base, {}, e);  // OLD has the URL
    } else {
        state = checked_u32(kept_base + kept_.append({}, e));
    }
}

void run_comparer::finish() {
    const url_table& old = before_.by_url;
    for (std::size_t i = 0; i < old.size(); ++i) {
        const std::uint32_t state = state_[i];
        const auto old_entry = static_cast<std::uint32_t>(i);
        if (state == absent) {
            if (wanted(filter_, change_kind::gone))
                rows_.push_back({old.url(i), change_kind::gone, old_entry, none});
            else
                ++not_shown_;
        } else if (state == no_change) {
            ++unchanged_;
        } else if (state == not_shown) {
            ++not_shown_;
        } else if (state >= kept_base) {
            bool same = false;
            const url_change c =
                compare_entries(old.entry(i), kept_.entry(state - kept_base), filter_, same);
            if (same) ++unchanged_;
            rows_.push_back({old.url(i), c.kinds.front(), old_entry, state - kept_base});
        }
    }
    if (wanted(filter_, change_kind::new_url)) {
        for (std::size_t i = 0; i < added_.size(); ++i)
            rows_.push_back(
                {added_.url(i), change_kind::new_url, none, static_cast<std::uint32_t>(i)});
    } else {
        not_shown_ += added_.size();
    }
    std::sort(rows_.begin(), rows_.end(), [](const row& x, const row& y) {
        if (x.headline != y.headline) return x.headline < y.headline;
        return x.url < y.url;
    });
    std::vector<std::uint32_t>().swap(state_);  // not needed any more
    std::vector<std::uint32_t>().swap(new_line_);
}

url_change run_comparer::make_change(const row& r) const {
    url_change c;
    if (r.old_entry == none) {
        c.kinds = {change_kind::new_url};
        c.after = added_.entry(r.new_entry);
    } else if (r.new_entry == none) {
        c.kinds = {change_kind::gone};
        c.before = before_.by_url.entry(r.old_entry);
    } else {
        diff_entry a = before_.by_url.entry(r.old_entry), b = kept_.entry(r.new_entry);
        bool same = false;
        c = compare_entries(a, b, filter_, same);
        c.before = std::move(a);
        c.after = std::move(b);
    }
    c.url = r.url;
    return c;
}

void run_comparer::for_each_change(const std::function<void(const url_change&)>& fn) const {
    for (const row& r : rows_) fn(make_change(r));
}

bool run_comparer::any_change() const {
    return !rows_.empty() && rows_.front().headline != change_kind::unchanged;
}

std::vector<url_change> compare_runs(const diff_input& before, const diff_input& after,
                                     const diff_filter& filter) {
    run_comparer cmp(before, filter);
    for (std::size_t i = 0; i < after.by_url.size(); ++i)
        cmp.add(after.by_url.url(i), after.by_url.entry(i));
    cmp.finish();
    std::vector<url_change> out;
    cmp.for_each_change([&](const url_change& c) { out.push_back(c); });
    return out;
}

// ---- output -----------------------------------------------------------------

namespace {

enum class report_format { table, jsonl, csv };

// Collects output and writes it to stdout in large pieces.
class stdout_sink {
  public:
    std::string buf;
    bool ok = true;

    void flush_if_big() {
        if (buf.size() >= (1u << 16)) flush();
    }
    void flush() {
        if (ok && !buf.empty() && std::fwrite(buf.data(), 1, buf.size(), stdout) != buf.size())
            ok = false;
        buf.clear();
        if (ok && std::fflush(stdout) != 0) ok = false;
    }
};

void append_entry_json(const std::optional<diff_entry>& e, std::string& out) {
    if (!e) {
        out += "null";
        return;
    }
    out += "{\"line\":" + (e->line == 0 ? std::string("null") : std::to_string(e->line)) + ",\"status\":";
    out += e->status ? std::to_string(*e->status) : "null";
    out += ",\"title\":";
    if (e->title)
        append_json_string(*e->title, out);
    else
        out += "null";
    out += ",\"price\":";
    if (e->price)
        append_price_json(*e->price, out);
    else
        out += "null";
    out += ",\"error\":";
    if (e->error_stage.empty()) {
        out += "null";
    } else {
        out += "{\"stage\":";
        append_json_string(e->error_stage, out);
        out += ",\"code\":";
        append_json_string(e->error_code, out);
        out += '}';
    }
    out += '}';
}

void append_change_jsonl(const url_change& c, std::string& out) {
    out += "{\"change\":\"";
    out += to_string(c.kinds.front());
    out += "\",\"changes\":[";
    for (std::size_t i = 0; i < c.kinds.size(); ++i) {
        if (i > 0) out += ',';
        out += '"';
        out += to_string(c.kinds[i]);
        out += '"';
    }
    out += "],\"url\":";
    append_json_string(c.url, out);
    out += ",\"old\":";
    append_entry_json(c.before, out);
    out += ",\"new\":";
    append_entry_json(c.after, out);
    out += ",\"pct\":";
    out += c.pct ? *c.pct : "null";  // a decimal string is a valid JSON number
    out += "}\n";
}

void append_change_csv(const url_change& c, std::string& out) {
    out += to_string(c.kinds.front());
    out += ',';
    for (std::size_t i = 0; i < c.kinds.size(); ++i) {
        if (i > 0) out += ';';
        out += to_string(c.kinds[i]);
    }
    out += ',';
    append_csv_field(c.url, out);
    auto status = [&](const std::optional<diff_entry>& e) {
        out += ',';
        if (e && e->status) out += std::to_string(*e->status);
    };
    auto title = [&](const std::optional<diff_entry>& e) {
        out += ',';
        if (e && e->title) append_csv_field(*e->title, out);
    };
    auto price = [&](const std::optional<diff_entry>& e) {
        out += ',';
        if (e && e->price) append_csv_field(e->price->amount, out);
        out += ',';
        if (e && e->price) append_csv_field(e->price->currency, out);
    };
    status(c.before);
    status(c.after);
    title(c.before);
    title(c.after);
    price(c.before);
    price(c.after);
    out += ',';
    if (c.pct) out += *c.pct;
    auto error = [&](const std::optional<diff_entry>& e) {
        out += ',';
        if (e) append_csv_field(e->error_stage, out);
        out += ',';
        if (e) append_csv_field(e->error_code, out);
    };
    error(c.before);
    error(c.after);
    out += "\r\n";
}

// ---- the table ----

// One code point of s at i, i moved past it. REQUIRES: s is valid UTF-8
// (cell() makes it so; width() measures cells).
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto b = static_cast<unsigned char>(s[i++]);
    const int more = b < 0x80 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
    char32_t c = more == 0 ? b : more == 1 ? b & 0x1F : more == 2 ? b & 0x0F : b & 0x07;
    for (int k = 0; k < more; ++k) c = c << 6 | (static_cast<unsigned char>(s[i++]) & 0x3F);
    return c;
}

// Characters that would act on the terminal instead of showing: C0 and C1
// controls, DEL, and the bidirectional controls that reorder a line (U+202E
// would print the rest of a row backwards).
bool acts_on_terminal(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x061C || c == 0x200E || c == 0x200F ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Columns a terminal gives c: none for combining marks and zero-width
// characters, two for East Asian wide characters and the emoji blocks
// (pictographs, emoticons, transport, supplemental), else one.
std::size_t columns(char32_t c) {
    if ((c >= 0x0300 && c < 0x0370) || (c >= 0x1AB0 && c < 0x1B00) || (c >= 0x1DC0 && c < 0x1E00) ||
        (c >= 0x200B && c <= 0x200D) || (c >= 0x20D0 && c < 0x2100) || (c >= 0xFE00 && c < 0xFE10) ||
        (c >= 0xFE20 && c < 0xFE30) || c == 0xFEFF)
        return 0;
    if ((c >= 0x1100 && c < 0x1160) || (c >= 0x2E80 && c < 0xA4D0 && c != 0x303F) || (c >= 0xAC00 && c < 0xD7A4) ||
        (c >= 0xF900 && c < 0xFB00) || (c >= 0xFE30 && c < 0xFE50) || (c >= 0xFF00 && c < 0xFF61) ||
        (c >= 0xFFE0 && c < 0xFFE7) || (c >= 0x1F300 && c < 0x1F650) || (c >= 0x1F680 && c < 0x1F700) ||
        (c >= 0x1F900 && c < 0x1FB00) || (c >= 0x20000 && c < 0x3FFFE))
        return 2;
    return 1;
}

// Display width in terminal columns of a cell's text.
std::size_t width(std::string_view s) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size();) n += columns(next_code_point(s, i));
    return n;
}

// s cut to at most max columns (ending in "..." when cut), with characters
// that act on the terminal shown as control pictures (C0, DEL) or U+FFFD.
std::string cell(std::string_view raw, std::size_t max) {
    const std::string s = make_valid_utf8(raw);  // a CSV's cell may hold any bytes
    std::string out;
    std::size_t n = 0, keep = 0;  // columns so far; bytes of out within the first max - 3 columns
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t start = i;
        const char32_t c = next_code_point(s, i);
        const bool control = acts_on_terminal(c);
        if ((n += control ? 1 : columns(c)) > max) return out.substr(0, keep) + "...";
        if (control && (c < 0x20 || c == 0x7F))  // as its control picture: "a\rb" is not "a b"
            append_utf8(out, c == 0x7F ? 0x2421 : 0x2400 + c);
        else if (control)
            out += "\xEF\xBF\xBD";
        else
            out.append(s, start, i - start);
        if (n <= max - 3) keep = out.size();
    }
    return out;
}

std::string error_text(const diff_entry& e) {
    if (e.error_stage.empty()) return "no error";
    return e.error_stage + " error" + (e.error_code.empty() ? "" : ": " + e.error_code);
}

// A price, or why there is none when the fetch failed or the page was no
// success: a price that "went" with a timeout or a 404 is no price news.
std::string price_text(const diff_entry& e) {
    if (e.price) return e.price->currency.empty() ? e.price->amount : e.price->amount + " " + e.price->currency;
    if (!e.error_stage.empty()) return "no price (" + error_text(e) + ")";
    if (e.status && (*e.status < 200 || *e.status > 299)) return "no price (status " + std::to_string(*e.status) + ")";
    return "no price";
}

std::string status_text(const diff_entry& e) {
    if (e.status) return std::to_string(*e.status);
    return e.error_stage.empty() ? "no status" : error_text(e);
}

std::string title_text(const diff_entry& e) {
    return e.title ? *e.title : "no title";
}

// The value a row of kind k shows for one side.
std::string value_text(change_kind k, const std::optional<diff_entry>& e) {
    if (!e) return "-";
    switch (k) {
        case change_kind::status_changed:
            return status_text(*e);
        case change_kind::error_changed:
            return error_text(*e);
        case change_kind::title_changed:
            return title_text(*e);
        case change_kind::new_url:
        case change_kind::gone:
        case change_kind::unchanged:
            return e->price ? price_text(*e) : status_text(*e);
        default:
            return price_text(*e);
    }
}

void append_table(const run_comparer& cmp, const diff_input& before, const std::string& after_name,
                  std::string& out) {
    struct row {
        std::string kind, url, old_value, new_value, pct;
    };
    std::vector<row> rows;
    std::array<std::size_t, static_cast<std::size_t>(change_kind::unchanged) + 1> counts{};
    cmp.for_each_change([&](const url_change& c) {
        for (change_kind k : c.kinds) {
            ++counts[static_cast<std::size_t>(k)];
            row r{std::string(to_string(k)), cell(c.url, 200), cell(value_text(k, c.before), 40),
                  cell(value_text(k, c.after), 40), ""};
            // The sign from the kind: a drop that rounds to 0.0 still shows "-0.0%".
            if ((k == change_kind::price_up || k == change_kind::price_down) && c.pct)
                r.pct = (k == change_kind::price_down ? "-" : "+") +
                        (c.pct->front() == '-' ? c.pct->substr(1) : *c.pct) + "%";
            rows.push_back(std::move(r));
        }
    });
    if (!rows.empty()) {
        row head{"change", "url", "old", "new", "%"};
        std::size_t w[5] = {};
        auto measure = [&](const row& r) {
            w[0] = std::max(w[0], width(r.kind));
            w[1] = std::max(w[1], std::min<std::size_t>(width(r.url), 70));
            w[2] = std::max(w[2], width(r.old_value));
            w[3] = std::max(w[3], width(r.new_value));
            w[4] = std::max(w[4], width(r.pct));
        };
        measure(head);
        for (const auto& r : rows) measure(r);
        auto pad = [&](const std::string& s, std::size_t n) {
            out += s;
            for (std::size_t i = width(s); i < n; ++i) out += ' ';
        };
        auto print = [&](const row& r) {
            pad(r.kind, w[0] + 2);
            pad(r.url, w[1] + 2);
            pad(r.old_value, w[2] + 2);
            pad(r.new_value, w[3] + 2);
            out.append(w[4] - std::min(w[4], width(r.pct)), ' ');  // right-aligned
            out += r.pct;
            while (!out.empty() && out.back() == ' ') out.pop_back();
            out += '\n';
        };
        print(head);
        for (const auto& r : rows) print(r);
        out += '\n';
    }

    // The summary line.
    out += std::to_string(before.by_url.size()) + (before.by_url.size() == 1 ? " URL in " : " URLs in ") + before.name + ", " +
           std::to_string(cmp.urls()) + " in " + after_name + ": ";
    std::string parts;
    for (std::size_t k = 0; k < static_cast<std::size_t>(change_kind::unchanged); ++k) {
        if (counts[k] == 0) continue;
        std::string label(to_string(static_cast<change_kind>(k)));
        std::replace(label.begin(), label.end(), '_', ' ');
        parts += std::to_string(counts[k]) + " " + label + ", ";
    }
    out += parts.empty() ? (cmp.hidden_changes() > 0 ? "no changes of those kinds, " : "no changes, ") : parts;
    if (cmp.hidden_changes() > 0) out += std::to_string(cmp.hidden_changes()) + " changed otherwise (not shown: --only), ";
    out += std::to_string(cmp.unchanged()) + " unchanged\n";
}

void warn_duplicates(const std::string& name, std::uint64_t duplicates) {
    if (duplicates == 0) return;
    std::fprintf(stderr,
                 "shoal diff: %s: %llu %s a URL seen earlier in the file; "
                 "the record of the latest line of the list is used (of records without a line, the last)\n",
                 name.c_str(), static_cast<unsigned long long>(duplicates),
                 duplicates == 1 ? "record repeats" : "records repeat");
}

std::vector<change_kind> kinds_for(const std::string& name) {
    if (name == "price")
        return {change_kind::price_up, change_kind::price_down, change_kind::price_changed};
    if (name == "new") return {change_kind::new_url};
    if (name == "gone") return {change_kind::gone};
    if (name == "title") return {change_kind::title_changed};
    if (name == "error") return {change_kind::error_changed};
    return {change_kind::status_changed};
}

}  // namespace

int run_diff_command(int argc, char** argv) {
    constexpr int changed = 1, trouble = 2;
    if (argc < 2) return trouble;

    CLI::App app{
        "compares two shoal outputs by URL: new and gone URLs, price, title, status and error "
        "changes.\nExit code: 0 no changes, 1 changes, 2 an input that cannot be read or parsed, or bad usage.",
        "shoal diff"};
    app.formatter(std::make_shared<help_layout>(
        "\nUsage: shoal diff OLD NEW [--format table|jsonl|csv] [--only KINDS] [--all]\n"));
    add_help_and_version(app);
    std::string old_path, new_path, format_name;
    std::vector<std::string> only;
    diff_filter filter;
    app.add_option("OLD", old_path, "the earlier run: JSONL, or CSV when it ends in .csv")
        ->required()
        ->type_name("PATH");
    app.add_option("NEW", new_path, "the later run, likewise ('-' for either: JSONL on stdin)")
        ->required()
        ->type_name("PATH");
    app.add_option("-f,--format", format_name,
                   "table, jsonl or csv (default: table on a terminal, else jsonl)")
        ->transform(CLI::IsMember({"table", "jsonl", "csv"}, CLI::ignore_case));  // as crawl's --format
    app.add_option("--only", only,
                   "report only these changes, comma-separated: price, new, gone, title, status, error")
        ->delimiter(',')
        ->transform(CLI::IsMember({"price", "new", "gone", "title", "status", "error"}, CLI::ignore_case,
                                  CLI::ignore_space));  // "price, Title" too
    app.add_flag("-a,--all", filter.all, "also list URLs that did not change");
    try {
        refuse_unknown_options(app, argc, argv, 2, "diff");
        app.parse(argc - 1, argv + 1);
    } catch (const setup_error& e) {  // an unknown option
        std::fprintf(stderr, "shoal diff: %s\n", e.what());
        return trouble;
    } catch (const CLI::CallForHelp&) {
        try {
            write_help(app.help());
        } catch (const setup_error& e) {
            std::fprintf(stderr, "shoal diff: %s\n", e.what());
            return trouble;
        }
        return 0;
    } catch (const CLI::ParseError& e) {
        std::fprintf(stderr, "shoal diff: %s (see shoal diff --help)\n", usage_error_text(e).c_str());
        return trouble;
    }
    if (old_path == "-" && new_path == "-") {
        std::fputs("shoal diff: OLD and NEW cannot both be standard input\n", stderr);
        return trouble;
    }
    for (const auto& name : only)
        for (change_kind k : kinds_for(name)) filter.only.push_back(k);

    report_format format =
        ::isatty(STDOUT_FILENO) == 1 ? report_format::table : report_format::jsonl;
    if (format_name == "table") format = report_format::table;
    if (format_name == "jsonl") format = report_format::jsonl;
    if (format_name == "csv") format = report_format::csv;

    // An unfinished run's missing lines would read as URLs gone (or new).
    for (const std::string* path : {&old_path, &new_path})
        if (run_finished(*path) == false)
            std::fprintf(stderr,
                         "shoal diff: warning: %s is the output of a run that did not finish (%s says so): "
                         "URLs it has no record of yet show as %s\n",
                         path->c_str(), fingerprint_path(*path).c_str(), path == &old_path ? "new" : "gone");
    try {
        sys::require_open_stdout("the changes");
        // OLD is loaded whole; NEW is compared record by record as it is read.
        const diff_input before = read_diff_input(old_path);
        run_comparer cmp(before, filter);
        for_each_diff_record(new_path,
                             [&](std::string_view url, const diff_entry& e) { cmp.add(url, e); });
        cmp.finish();
        warn_duplicates(before.name, before.duplicates);
        warn_duplicates(input_name(new_path), cmp.duplicates());

        stdout_sink sink;
        if (format == report_format::table) {
            append_table(cmp, before, input_name(new_path), sink.buf);
        } else {
            if (format == report_format::csv)
                sink.buf +=
                    "change,changes,url,old_status,new_status,old_title,new_title,"
                    "old_price_amount,old_price_currency,new_price_amount,new_price_currency,"
                    "pct,old_error_stage,old_error_code,new_error_stage,new_error_code\r\n";
            cmp.for_each_change([&](const url_change& c) {
                if (format == report_format::csv)
                    append_change_csv(c, sink.buf);
                else
                    append_change_jsonl(c, sink.buf);
                sink.flush_if_big();
            });
        }
        sink.flush();
        if (!sink.ok) {
            std::fprintf(stderr, "shoal diff: cannot write to standard output: %s\n",
                         std::strerror(errno));
            return trouble;
        }
        return cmp.any_change() ? changed : 0;
    } catch (const diff_input_error& e) {
        std::fprintf(stderr, "shoal diff: %s\n", e.what());
        return trouble;
    } catch (const setup_error& e) {
        std::fprintf(stderr, "shoal diff: %s\n", e.what());
        return trouble;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "shoal diff: internal error: %s\n", e.what());
        return trouble;
    }
}

}  // namespace shoal
