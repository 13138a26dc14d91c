// literal_search: finds a short literal in a page without regard to ASCII
// case, without copying the page. The extractor uses it to skip rules whose
// literal a page lacks and to start a rule's search near its literal.
//
//   std::size_t at = find_ascii_nocase(html, "og:title");  // npos if absent
//
// Several literals that share a part (say "price" in "price:amount" and
// "pricecurrency") are found in one pass over that part's occurrences:
//
//   std::string_view lits[] = {"price:amount", "pricecurrency"};
//   std::size_t at[2];
//   find_all_nocase(html, "price", lits, at);
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace shoal {

// Returns the position of the first occurrence of `lower_literal` in `text`,
// where ASCII letters of `text` match either case, or npos.
// REQUIRES: lower_literal has no ASCII upper-case letters.
// Bytes that are not ASCII letters must match exactly. An empty literal is
// found at 0.
std::size_t find_ascii_nocase(std::string_view text, std::string_view lower_literal);

// Sets first[i] to what find_ascii_nocase(text, lower_literals[i]) returns,
// scanning text once for `lower_anchor`, which every literal must contain.
// REQUIRES: first.size() == lower_literals.size(); all lower case.
void find_all_nocase(std::string_view text, std::string_view lower_anchor,
                     std::span<const std::string_view> lower_literals, std::span<std::size_t> first);

}  // namespace shoal
