// extractor: pulls the title and the price (and, with rule files, custom
// fields) out of a page that is already UTF-8. The RE2 programs are compiled
// once per process and shared by every fetch; extract() is const and cheap to
// call concurrently from coroutines on one thread.
//
//   const shoal::extractor& ex = shoal::extractor::builtin();
//   shoal::extraction e = ex.extract(utf8_html);
//   if (e.title) ...; if (e.price) ... e.price->amount, e.price->currency
//
// With a rule file (see rules.hpp), built once before any fetch:
//
//   std::unique_ptr<shoal::extractor> ex = shoal::extractor::from_file("shop.toml");
//   shoal::extraction e = ex->extract(utf8_html, "", "https://www.shop.com/list?p=2");
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/price.hpp"
#include "shoal/rules.hpp"

namespace shoal {

struct extraction {
    std::optional<std::string> title;
    std::optional<shoal::price> price;
    // Custom rule results, name -> rendered JSON value, in the order of
    // field_names(). Always empty for the built-in rules.
    std::vector<std::pair<std::string, std::string>> fields;
};

class extractor {
public:
    // The built-in rules, on markup outside comments, templates and
    // elements whose text is no markup (scripts but JSON-LD, styles,
    // textareas, titles, <xmp>, <iframe>, <noembed>, <noframes>): title
    // from the first <title> (not one inside inline <svg> or <math>), else og:title; price from
    // product/og price metas, itemprop="price", JSON-LD "price" (in ld+json scripts only), an
    // AggregateOffer's lowPrice, then common price elements (struck or old
    // ones passed over, <sup> cents read); no visible price after "Sold
    // out", "Out of stock" or "Currently unavailable" in the page's text
    // from its first <h1> on; a match without a price (a label) gives way
    // to the rule's next one; structured amounts read with '.' as the
    // decimal point; currency from the price text, else the page's
    // declared currency. Compiled on first use.
    static const extractor& builtin();

    // An extractor running the rules of a rule file instead of the built-in
    // ones. Every pattern is compiled here, once. Throws
    // setup_error(exit_code::usage, "<file>: rule '<name>': <RE2 error>") for
    // a pattern that does not compile, has no capture group or gives one
    // name to two groups, and the errors of load_rule_file() for an
    // unreadable or malformed file.
    static std::unique_ptr<extractor> from_file(const std::string& path);
    static std::unique_ptr<extractor> from_rules(const rule_file& rules);

    // The names extract() puts into extraction::fields, in that order (the
    // same for every page): rule names other than "title", "price" and
    // "currency" in file order, "title"/"price" when they are `all = true`,
    // then "items" when the file has [items]. Empty for the built-in rules.
    const std::vector<std::string>& field_names() const;

    // field_names() with the value each has when nothing matched: null, or
    // [] for `all = true` rules and "items". A record that got no
    // extraction (a fetch error, a line that is no URL, a crash) has these,
    // so that every record has the same keys.
    const std::vector<std::pair<std::string, std::string>>& empty_fields() const;

    ~extractor();
    extractor(const extractor&) = delete;  // owns compiled RE2 programs
    extractor& operator=(const extractor&) = delete;

    // currency_hint: the currency to assume when neither the page nor the
    // price text names one (e.g. "CNY" for a GB18030 page showing "¥").
    // page_url: the URL the page came from (after redirects), if known; rule
    // files use its host for `hosts` and resolve `url` values against it.
    // The built-in rules ignore it.
    extraction extract(std::string_view html, std::string_view currency_hint = {},
                       std::string_view page_url = {}) const;

private:
    extractor();
    struct programs;
    struct rule_programs;
    explicit extractor(std::unique_ptr<rule_programs> r);
    std::unique_ptr<programs> p_;       // built-in rules, or null
    std::unique_ptr<rule_programs> r_;  // rule-file rules, or null
};

// Whether a response with this Content-Type is a page to extract from: no
// type, or one naming html, xml, text or json, in any case ("TEXT/HTML";
// media types are case-insensitive).
bool worth_extracting(std::string_view content_type);

// The currency a bare "¥" means on a page in this charset (a name that
// detect_charset() returns): "CNY" for GB18030, "JPY" for SHIFT_JIS and
// EUC-JP, else empty. The usual currency_hint for extract().
std::string_view charset_currency_hint(std::string_view charset);

}  // namespace shoal
