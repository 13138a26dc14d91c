// charset: find out how a fetched page is encoded, the way browsers do, and turn
// it into UTF-8; plus the UTF-8 validator/repairer the record writer relies on so
// that output is always valid UTF-8 JSON.
//
//   std::string text = shoal::decode_to_utf8(body, content_type_header);
//
// is the usual call. The two steps are also available on their own:
//
//   std::string cs = shoal::detect_charset(body, content_type_header);  // "GB18030"
//   std::string text = shoal::to_utf8(body, cs);
//
// Labels follow the WHATWG Encoding Standard: "gb2312" and "gbk" decode as
// GB18030, "iso-8859-1" and "us-ascii" as windows-1252, "iso-8859-9" as
// windows-1254, "tis-620" as windows-874, "ks_c_5601-1987" as EUC-KR, and so
// on. Conversion uses glibc iconv with one cached handle per charset per
// thread. Nothing here throws except std::bad_alloc, and any byte string is
// safe input.
#pragma once

#include <string>
#include <string_view>

namespace shoal {

// Returns the canonical name of the encoding body is in, one of:
//   "UTF-8", "UTF-16LE", "UTF-16BE", "GB18030", "BIG5", "SHIFT_JIS", "EUC-JP",
//   "ISO-2022-JP", "EUC-KR", "KOI8-R", "KOI8-U", "IBM866", "MACINTOSH",
//   "MAC-CYRILLIC", "ISO-8859-N" (2..8, 10, 13..16), "WINDOWS-874",
//   "WINDOWS-1250".."WINDOWS-1258".
// Each is a name glibc iconv accepts; to_utf8() decodes some of them with a
// superset iconv converter, as browsers do (SHIFT_JIS with CP932, EUC-KR with
// CP949, BIG5 with BIG5-HKSCS).
// Order of evidence, first that applies wins:
//   1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE);
//   2. the charset= parameter of content_type (the HTTP Content-Type value);
//   3. <meta charset=...> or <meta http-equiv="Content-Type" content="...charset=...">
//      within the first 4096 bytes (HTML prescan; quotes single, double or none,
//      any case, comments skipped). A meta declaring UTF-16 means UTF-8;
//   4. an XML declaration opening body (<?xml ... encoding="..."?>; UTF-16
//      there means UTF-8), or "<?x" in UTF-16 without a BOM (HTML "get an XML
//      encoding" and the prescan's first step);
//   5. "UTF-8" if body is valid UTF-8 (a multibyte sequence cut off by the end
//      of body is allowed) or mostly so (more valid multi-byte characters than
//      stray bytes), else the legacy encoding its text reads best in
//      (guess_legacy_charset(), charset_guess.hpp: Shift_JIS, EUC-JP, GB18030,
//      Big5, EUC-KR, windows-1251, KOI8-R), windows-1252 when unsure.
// A label that is unknown is ignored and the next step decides.
std::string detect_charset(std::string_view body, std::string_view content_type);

// Returns body converted from charset to UTF-8. charset is normally a name that
// detect_charset() returned; any label detect_charset() understands works too
// (so arbitrary strings never reach iconv_open). A leading BOM of that encoding
// is dropped. Bytes that are invalid or cannot be converted become U+FFFD and
// conversion goes on; a sequence cut off by the end becomes one U+FFFD. For
// UTF-8 this only repairs (valid input comes back unchanged). An unknown
// charset, or one this glibc cannot open, is treated as UTF-8.
std::string to_utf8(std::string_view body, std::string_view charset);

// Returns to_utf8(body, detect_charset(body, content_type)).
std::string decode_to_utf8(std::string_view body, std::string_view content_type);

// Returns the canonical name detect_charset() would give for a charset
// label ("gbk" -> "GB18030"; case and surrounding whitespace ignored), or
// "" when the label is unknown: a page that declares it is read as if it
// declared nothing.
std::string charset_name(std::string_view label);

// Returns the charset= label of a Content-Type value as written, known or
// not; "" when there is none.
std::string content_type_charset(std::string_view content_type);

// Returns every canonical name charset_name() gives, once each and
// comma-separated, for messages.
std::string known_charset_names();

// Returns true when s is well-formed UTF-8: no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences.
bool is_valid_utf8(std::string_view s) noexcept;

// The character a windows-1252 byte stands for (WHATWG index): 0x80 is
// U+20AC, 0x92 U+2019; 0x81, 0x8D, 0x8F, 0x90 and 0x9D are the C1 controls
// of their number; bytes under 0x80 are ASCII, 0xA0..0xFF Latin-1.
char32_t windows_1252_code_point(unsigned char byte) noexcept;

// Appends code point cp to out in UTF-8; a surrogate (U+D800..U+DFFF) or a
// value above U+10FFFF is appended as U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// Returns s with each maximal invalid subsequence replaced by one U+FFFD
// (Unicode "substitution of maximal subparts", as the WHATWG UTF-8 decoder).
// Valid input comes back unchanged.
std::string make_valid_utf8(std::string_view s);

}  // namespace shoal
