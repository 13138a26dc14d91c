// charset_guess: the encoding of a page that declares none and is not
// UTF-8, told from its bytes, as browsers do for such pages (Firefox's
// chardetng, Chrome's CED): an old Japanese, Chinese, Korean or Russian page
// with no BOM, no charset= and no <meta charset> still gets its text.
//
//   std::string_view cs = shoal::guess_legacy_charset(body);  // "SHIFT_JIS"
//
// Used by detect_charset() (charset.hpp) for its last step only.
#pragma once

#include <string_view>

namespace shoal {

// Returns the canonical name (as detect_charset() gives them) of the legacy
// encoding body is most likely in: "SHIFT_JIS", "EUC-JP", "GB18030",
// "BIG5", "EUC-KR", "WINDOWS-1251", "KOI8-R", or "WINDOWS-1252" (also
// when there is too little non-ASCII text to tell). Looks at the first
// 16 KiB; each candidate decodes them and is scored by how much of the
// text reads as words of its script: the characters of its language that
// are most frequent, letters beside letters of the same script, and no
// undecodable bytes or control characters. REQUIRES: body is not valid UTF-8
// (the caller decided that first).
std::string_view guess_legacy_charset(std::string_view body);

}  // namespace shoal
