// rules: extraction rule files (TOML), read and checked before any fetch.
//
//   [[rule]]
//   name = "price"                        # rules sharing a name are fallbacks, in order
//   pattern = '<span class="search_now_price">(.*?)</span>'
//   type = "price"                        # text | price | number | url | raw
//   all = true                            # every match, as an array
//   currency = "CNY"                      # hint when the price text names none
//   hosts = ["*.dangdang.com"]            # only for these hosts
//   [items]
//   from = ["title", "price"]             # zip parallel arrays into "items"
//
//   shoal::rule_file f = shoal::load_rule_file("data/rules/dangdang.toml");
//
// This file only reads and validates the TOML; the regular expressions are
// compiled (and their errors reported) by extractor::from_rules().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal {

// How a captured string becomes a JSON value.
enum class value_type : std::uint8_t {
    text,    // entities decoded, tags stripped, whitespace collapsed: a string
    price,   // parse_price(): {"amount","currency","raw"}
    number,  // the first decimal number in the text: a JSON number
    url,     // entities decoded, trimmed, resolved against the page URL
    raw,     // the captured bytes unchanged: a string
};
std::string_view to_string(value_type t);

struct rule {
    std::string name;
    std::string pattern;
    value_type type = value_type::text;  // default: price for a rule named "price"
    // Per named group types ("types = { price = "price" }"); a named group
    // not listed gets `type` (or price, when the group is named "price").
    std::vector<std::pair<std::string, value_type>> group_types;
    bool all = false;
    std::string currency;            // upper-case ISO 4217 code, or empty
    std::vector<std::string> hosts;  // normalise_host_glob() globs; empty = every host
    std::size_t pattern_line = 0;    // the file's line of `pattern`, for messages (0: unknown)
    std::size_t line = 0;            // the file's line of the rule's [[rule]], for messages (0: unknown)
};

struct rule_file {
    std::string source;                   // the path, for messages
    std::uint64_t content_hash = 0;       // fnv1a() of the bytes read: --resume compares it
    std::vector<rule> rules;              // in file order
    std::vector<std::string> items_from;  // [items] from = [...]; empty = no items
};

// Reads and validates a rule file. Throws setup_error(exit_code::usage,
// "<path>: ...") when it cannot be read, is not TOML, or breaks the format
// (unknown keys, missing name or pattern, bad type, currency or hosts,
// [items] naming a rule that is not `all = true`, ...).
rule_file load_rule_file(const std::string& path);

// The same, from text; `source` names it in messages.
rule_file parse_rule_file(std::string_view toml_text, const std::string& source);

// A `hosts` glob as rules keep it: normalised as a URL's host is
// (normalise_host_name in url.hpp: Unicode labels in punycode, ASCII letters
// in lower case, "2130706433" as 127.0.0.1), without a final dot. A label
// holding '*' is kept as written, lower-cased; it must be ASCII (write a
// Unicode label next to '*' in its xn-- form). Returns the glob, or an
// empty string with `why` set ("the host name has ...") when it cannot be
// a host name.
std::string normalise_host_glob(std::string_view glob, std::string& why);

// Host globs, as normalise_host_glob() gives them; the host is compared
// case-insensitively: "*" matches any run of characters. A glob starting
// with "*." also matches the bare domain: "*.example.com" matches
// "example.com", "www.example.com" and "a.b.example.com". "*" alone matches
// every host. One final dot (the root's) of the glob and of the host is
// left out: "example.com" matches "example.com.". The port is not part of
// the host.
bool host_matches(std::string_view glob, std::string_view host);

// True when globs is empty or one of them matches host.
bool hosts_allow(const std::vector<std::string>& globs, std::string_view host);

}  // namespace shoal
