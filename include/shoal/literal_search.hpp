// literal_search: finds a short literal in a page without regard to ASCII
// case, without copying the page. The extractor uses it to skip rules whose
// literal a page lacks and to start a rule's search near its literal.
//
//   std::size_t at = find_ascii_nocase(html, "og:title");  // npos if absent
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal {

// Returns the position of the first occurrence of `lower_literal` in `text`,
// where ASCII letters of `text` match either case, or npos.
// REQUIRES: lower_literal has no ASCII upper-case letters.
// Bytes that are not ASCII letters must match exactly. An empty literal is
// found at 0.
std::size_t find_ascii_nocase(std::string_view text, std::string_view lower_literal);

}  // namespace shoal
