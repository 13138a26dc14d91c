// diff: compares two shoal outputs (JSONL or CSV) by URL, for `shoal diff OLD NEW`.
//
//   auto before = shoal::read_diff_input("monday.jsonl");   // throws diff_input_error
//   auto after = shoal::read_diff_input("tuesday.csv");
//   for (const auto& c : shoal::compare_runs(before, after, {}))
//       ...  // c.kinds.front() == change_kind::price_down, c.pct == "-12.5", ...
//
// Prices are compared as exact decimals on their strings, never through a
// float: "1299.00" equals "1299", and amounts of any length compare right.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/url_table.hpp"

namespace shoal {

// ---- exact decimals ------------------------------------------------------

// True for an optional sign, digits, and at most one '.', with at least one
// digit: "1299", "1299.00", "0.5", ".5", "-3".
bool is_decimal(std::string_view s);

// Returns <0, 0 or >0 as a is less than, equal to or greater than b, by value.
// REQUIRES: is_decimal(a) && is_decimal(b).
int compare_decimal(std::string_view a, std::string_view b);

// The change from old_amount to new_amount in percent of |old_amount|,
// rounded half away from zero to one decimal, as a decimal string ("-12.5",
// "0.0", "400.0"). Returns nullopt when old_amount is zero.
// REQUIRES: is_decimal(old_amount) && is_decimal(new_amount).
std::optional<std::string> percent_change(std::string_view old_amount, std::string_view new_amount);

// ---- reading runs --------------------------------------------------------

// A small RFC 4180 reader: comma-separated fields, fields in double quotes
// may hold commas, line breaks and doubled quotes; CRLF or LF line ends.
class csv_reader {
  public:
    explicit csv_reader(std::istream& in) : in_(in) {}

    // Reads the next record into fields. Returns false at the end of input.
    // Blank lines are skipped. Throws std::runtime_error (message without
    // the file name) on an unterminated quote or text after a closing quote.
    bool next(std::vector<std::string>& fields);
    // The 1-based line on which the last record returned by next() started.
    std::uint64_t line() const { return record_line_; }
    // Whether the input ended inside the last record read (no line end
    // after it, or in a quoted field): what a run stopped mid-write leaves.
    bool cut_at_end() const { return cut_at_end_; }

  private:
    std::istream& in_;
    bool cut_at_end_ = false;
    std::uint64_t line_ = 1;  // the line the next character is on
    std::uint64_t record_line_ = 0;
};

// Thrown for an input that cannot be read or parsed. what() is one line that
// names the file and, where there is one, the line: "old.jsonl:17: ...".
class diff_input_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct diff_input {
    std::string name;  // the path as given, for messages
    url_table by_url;
    std::uint64_t records = 0;
    // Records whose URL an earlier record of the same file already had. The
    // last record of a URL wins.
    std::uint64_t duplicates = 0;
};

// Reads a shoal output: CSV when the name ends in ".csv" (any case), JSONL
// otherwise; "-" reads JSONL from standard input. Throws diff_input_error.
diff_input read_diff_input(const std::string& path);
diff_input read_jsonl_input(std::istream& in, const std::string& name);
diff_input read_csv_input(std::istream& in, const std::string& name);

// Calls fn(url, entry) for each record of a shoal output, in file order,
// read as read_diff_input reads it. Throws diff_input_error.
using diff_record_fn = std::function<void(std::string_view url, const diff_entry& e)>;
void for_each_diff_record(const std::string& path, const diff_record_fn& fn);

// ---- comparing -----------------------------------------------------------

// In the order they are reported; the first kind of a change is its headline.
enum class change_kind : std::uint8_t {
    new_url,         // only in NEW
    gone,            // only in OLD
    status_changed,  // the HTTP status differs (a missing status counts)
    error_changed,   // the same status (or none), another error stage or code, or an error came or went
    price_up,        // same currency, higher amount
    price_down,      // same currency, lower amount
    price_changed,   // the currency differs, or a price appeared or disappeared
    title_changed,
    unchanged,
};
std::string_view to_string(change_kind k);

struct diff_filter {
    // Kinds to report; empty: all. `price` in --only means the three price kinds.
    std::vector<change_kind> only;
    bool all = false;  // also report URLs present in both runs with no change
};

struct url_change {
    std::string url;
    std::vector<change_kind> kinds;    // never empty; {unchanged} for an unchanged URL
    std::optional<diff_entry> before;  // nullopt for new_url
    std::optional<diff_entry> after;   // nullopt for gone
    std::optional<std::string> pct;    // price_up / price_down only, see percent_change
};

// Compares OLD, loaded whole, with the records of NEW given one at a time in
// file order, and keeps of NEW only what the report needs: the records that
// make a row, and the URLs OLD does not have. An unchanged URL costs 4 bytes
// beyond OLD's entry.
//
//   shoal::run_comparer cmp(before, filter);
//   shoal::for_each_diff_record("tuesday.jsonl",
//                               [&](auto url, const auto& e) { cmp.add(url, e); });
//   cmp.finish();
//   cmp.for_each_change([](const shoal::url_change& c) { ... });
//
// Not copyable: it refers to `before`, which must outlive it.
class run_comparer {
  public:
    run_comparer(const diff_input& before, diff_filter filter);
    run_comparer(const run_comparer&) = delete;
    run_comparer& operator=(const run_comparer&) = delete;

    // One record of NEW. A later record of the same URL replaces it.
    // REQUIRES: finish() not called yet.
    void add(std::string_view url, const diff_entry& e);
    // Sorts the changes. REQUIRES: called once, after the last add().
    void finish();

    // Calls fn for each change, sorted by headline kind, then URL.
    // REQUIRES: finish() called.
    void for_each_change(const std::function<void(const url_change&)>& fn) const;

    std::uint64_t records() const { return records_; }        // of NEW
    std::uint64_t duplicates() const { return duplicates_; }  // of NEW, as diff_input counts them
    std::size_t urls() const { return in_both_ + added_.size(); }  // distinct URLs of NEW
    // URLs in both runs that did not change at all (whatever the filter
    // shows). REQUIRES: finish() called.
    std::size_t unchanged() const { return unchanged_; }
    // URLs that changed in a way the filter does not show (--only).
    // REQUIRES: finish() called.
    std::size_t hidden_changes() const { return not_shown_; }
    // True when a change other than `unchanged` is shown. REQUIRES: finish() called.
    bool any_change() const;

  private:
    // What NEW said about one of OLD's URLs, by OLD's entry number.
    enum : std::uint32_t {
        absent = 0,     // not in NEW (yet)
        no_change = 1,  // the same in NEW: not kept
        not_shown = 2,  // changed, but the filter shows none of its changes: not kept
        kept_base = 3,  // kept_base + i: NEW's entry is kept_.entry(i)
    };
    // A row of the report, before it is decoded.
    struct row {
        std::string_view url;
        change_kind headline;
        std::uint32_t old_entry, new_entry;  // none: not in that run
    };
    static constexpr std::uint32_t none = 0xFFFFFFFFu;

    url_change make_change(const row& r) const;

    const diff_input& before_;
    diff_filter filter_;
    std::vector<std::uint32_t> state_;  // by OLD's entry number
    // By OLD's entry number: the line of NEW's record that state_ is of
    // (lines past 4294967295 are kept as that: such records go by file order).
    std::vector<std::uint32_t> new_line_;
    entry_arena kept_;  // NEW's entries of OLD's URLs that make a row (URL left out)
    url_table added_;   // NEW's URLs that OLD does not have
    std::uint64_t records_ = 0, duplicates_ = 0;
    std::size_t in_both_ = 0, unchanged_ = 0, not_shown_ = 0;
    std::vector<row> rows_;
};

// The changes between two runs, sorted by headline kind, then URL.
std::vector<url_change> compare_runs(const diff_input& before, const diff_input& after,
                                     const diff_filter& filter);

// `shoal diff OLD NEW [options]`: argv[0] is "shoal", argv[1] is "diff".
// Returns 0 when nothing changed, 1 when something did, 2 on trouble (an
// input that cannot be read or parsed, or a usage error).
int run_diff_command(int argc, char** argv);

}  // namespace shoal
