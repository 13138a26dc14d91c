// extractor: pulls the title and the price (and, with rule files, custom
// fields) out of a page that is already UTF-8. The RE2 programs are compiled
// once per process and shared by every fetch; extract() is const and cheap to
// call concurrently from coroutines on one thread.
//
//   const shoal::extractor& ex = shoal::extractor::builtin();
//   shoal::extraction e = ex.extract(utf8_html);
//   if (e.title) ...; if (e.price) ... e.price->amount, e.price->currency
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/price.hpp"

namespace shoal {

struct extraction {
    std::optional<std::string> title;
    std::optional<shoal::price> price;
    std::vector<std::pair<std::string, std::string>> fields;  // name -> JSON value
};

class extractor {
public:
    // The built-in rules: title from <title>, else og:title; price from
    // product/og price metas, itemprop="price", JSON-LD "price", then common
    // price elements; currency from the page's declared currency or the
    // price text. Compiled on first use.
    static const extractor& builtin();

    ~extractor();
    extractor(const extractor&) = delete;  // owns compiled RE2 programs
    extractor& operator=(const extractor&) = delete;

    // currency_hint: the currency to assume when neither the page nor the
    // price text names one (e.g. "CNY" for a GB18030 page showing "¥").
    extraction extract(std::string_view html, std::string_view currency_hint = {}) const;

private:
    extractor();
    struct programs;
    std::unique_ptr<programs> p_;
};

}  // namespace shoal
