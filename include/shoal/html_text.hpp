// html_text: turns the inside of an HTML element or attribute into plain
// text: character references decoded, tags dropped, whitespace collapsed.
#pragma once

#include <string>
#include <string_view>

namespace shoal {

// Decodes &name; &#NNN; &#xHH; (the common named references; unknown ones
// stay as written). Invalid code points become U+FFFD.
std::string decode_entities(std::string_view s);

// Collapses runs of ASCII whitespace (and U+00A0) to one space and trims;
// a NUL becomes U+FFFD.
std::string collapse_whitespace(std::string_view s);

// Removes <...> tags, decodes entities, collapses whitespace.
std::string html_to_text(std::string_view s);

}  // namespace shoal
