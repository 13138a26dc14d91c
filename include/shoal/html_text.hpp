// html_text: turns the inside of an HTML element or attribute into plain
// text: character references decoded, tags dropped, whitespace collapsed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shoal {

// Decodes &name; &#NNN; &#xHH; (the common named references; unknown ones
// stay as written). Invalid code points become U+FFFD.
std::string decode_entities(std::string_view s);

// Collapses runs of ASCII whitespace (and U+00A0) to one space and trims.
std::string collapse_whitespace(std::string_view s);

// The raw inside of the page's first <title> element outside inline <svg>:
// what the regex (?is)<title[^>]*>(.*?)</title captures in the page without
// its <svg> elements, found with literal searches. nullopt when there is no
// such element.
std::optional<std::string_view> title_element(std::string_view html);

// Removes <...> tags, decodes entities, collapses whitespace.
std::string html_to_text(std::string_view s);

}  // namespace shoal
