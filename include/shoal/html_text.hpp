// html_text: turns the inside of an HTML element or attribute into plain
// text: character references decoded, tags dropped, whitespace collapsed.
#pragma once

#include <string>
#include <string_view>

namespace shoal {

// Where a piece of HTML was found: in text, or in an attribute's value,
// where HTML leaves a reference without its ';' as written when a letter,
// a digit or '=' follows ("?a=1&region=us" keeps its "&reg").
enum class reference_context { text, attribute };

// Decodes &name; &#NNN; &#xHH; (the common named references; unknown ones
// stay as written), and without ';' the legacy ones HTML reads so
// ("&copy2024" in text is "©2024"). Invalid code points become U+FFFD.
std::string decode_entities(std::string_view s, reference_context where = reference_context::text);

// Collapses runs of ASCII whitespace (and U+00A0) to one space and trims;
// a NUL becomes U+FFFD.
std::string collapse_whitespace(std::string_view s);

// Removes <...> tags, decodes entities, collapses whitespace.
std::string html_to_text(std::string_view s, reference_context where = reference_context::text);

}  // namespace shoal
