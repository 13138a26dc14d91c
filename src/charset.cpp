// charset: encoding detection (BOM, Content-Type, HTML meta prescan, XML
// declaration, UTF-8 sniff), conversion to UTF-8 with glibc iconv, and UTF-8
// validation/repair.
// The label table and the meta prescan follow the WHATWG Encoding and HTML
// standards; see include/shoal/charset.hpp for the contracts.
#include "shoal/charset.hpp"
#include "shoal/charset_guess.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "shoal/literal_search.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace shoal {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::size_t prescan_limit = 4096;
constexpr std::size_t late_meta_limit = 64 * 1024;

// ---------------------------------------------------------------------------
// UTF-8

// One step of a UTF-8 decoder at p (left > 0 bytes available). len is the
// number of bytes to consume: the whole sequence when ok, else the maximal
// invalid subpart (at least 1). truncated: a valid prefix ran into the end.
struct utf8_step {
    std::size_t len;
    bool ok;
    bool truncated;
};

utf8_step scan_utf8(const unsigned char* p, std::size_t left) noexcept {
    unsigned b0 = p[0];
    if (b0 < 0x80) return {1, true, false};
    std::size_t need = 0;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2;
        if (b0 == 0xE0) lo = 0xA0;  // overlong
        if (b0 == 0xED) hi = 0x9F;  // surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3;
        if (b0 == 0xF0) lo = 0x90;  // overlong
        if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return {1, false, false};
    }
    for (std::size_t k = 1; k <= need; ++k) {
        if (k >= left) return {k, false, true};
        if (p[k] < lo || p[k] > hi) return {k, false, false};
        lo = 0x80;
        hi = 0xBF;
    }
    return {need + 1, true, false};
}

#if defined(__x86_64__)
// The number of ASCII bytes p starts with, up to n, 32 (AVX2) or 16 (SSE2)
// at a time; the last few bytes are left to the caller's byte loop.
__attribute__((target("avx2"))) std::size_t ascii_run_avx2(const unsigned char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; n - i >= 32; i += 32) {
        const auto high = static_cast<std::uint32_t>(
            _mm256_movemask_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i))));
        if (high != 0) return i + static_cast<std::size_t>(__builtin_ctz(high));
    }
    return i;
}

std::size_t ascii_run_sse2(const unsigned char* p, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; n - i >= 16; i += 16) {
        const auto high = static_cast<std::uint32_t>(
            _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))));
        if (high != 0) return i + static_cast<std::size_t>(__builtin_ctz(high));
    }
    return i;
}

const bool has_avx2 = __builtin_cpu_supports("avx2");
#endif

// The end of the ASCII run in p[i, n).
std::size_t ascii_run_end(const unsigned char* p, std::size_t i, std::size_t n) noexcept {
#if defined(__x86_64__)
    i += has_avx2 ? ascii_run_avx2(p + i, n - i) : ascii_run_sse2(p + i, n - i);
#endif
    while (i < n && p[i] < 0x80) ++i;
    return i;
}

// Returns the end of the ASCII run starting at i.
std::size_t ascii_end(std::string_view in, std::size_t i) noexcept {
    return ascii_run_end(reinterpret_cast<const unsigned char*>(in.data()), i, in.size());
}

bool is_continuation(unsigned char b) noexcept {
    return (b & 0xC0) == 0x80;
}

// Returns the offset of the first invalid sequence in s, or s.size().
std::size_t valid_utf8_prefix(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned b0 = p[i];
        if (b0 < 0x80) {
            i = ascii_run_end(p, i, n);  // SIMD over the ASCII runs
            continue;
        }
        // The common two- and three-byte forms inline, the rest in scan_utf8.
        if (b0 >= 0xC2 && b0 <= 0xDF && n - i >= 2 && is_continuation(p[i + 1])) {
            i += 2;
        } else if (((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) && n - i >= 3 &&
                   is_continuation(p[i + 1]) && is_continuation(p[i + 2])) {
            i += 3;
        } else {
            const utf8_step step = scan_utf8(p + i, n - i);
            if (!step.ok) return i;
            i += step.len;
        }
    }
    return n;
}

// True when the invalid sequence at bad is only a valid prefix cut off by the
// end of s (a body truncated by a size cap).
bool is_truncated_tail(std::string_view s, std::size_t bad) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const utf8_step step = scan_utf8(p + bad, s.size() - bad);
    return step.truncated && bad + step.len == s.size();
}

// Whether s, invalid UTF-8, is still UTF-8 text with stray bytes in it (a
// footer's "caf\xE9" on a UTF-8 page): it holds more valid multi-byte
// characters than invalid sequences. A windows-1252 page holds almost none
// of the former.
bool mostly_utf8(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t valid = 0, invalid = 0;
    for (std::size_t i = 0; i < n;) {
        if (p[i] < 0x80) {
            i = ascii_run_end(p, i, n);
            continue;
        }
        const utf8_step step = scan_utf8(p + i, n - i);
        ++(step.ok ? valid : invalid);
        i += std::max<std::size_t>(step.len, 1);
    }
    return valid > invalid;
}

// ---------------------------------------------------------------------------
// Labels (WHATWG Encoding Standard, section 4.2), plus a few common extras.

struct label_entry {
    std::string_view label;  // lower case
    std::string_view name;   // canonical, an iconv name
};

// clang-format off
constexpr label_entry labels[] = {
    {"unicode-1-1-utf-8", "UTF-8"}, {"unicode11utf8", "UTF-8"}, {"unicode20utf8", "UTF-8"},
    {"utf-8", "UTF-8"}, {"utf8", "UTF-8"}, {"x-unicode20utf8", "UTF-8"},
    {"866", "IBM866"}, {"cp866", "IBM866"}, {"csibm866", "IBM866"}, {"ibm866", "IBM866"},
    {"csisolatin2", "ISO-8859-2"}, {"iso-8859-2", "ISO-8859-2"}, {"iso-ir-101", "ISO-8859-2"},
    {"iso8859-2", "ISO-8859-2"}, {"iso88592", "ISO-8859-2"}, {"iso_8859-2", "ISO-8859-2"},
    {"iso_8859-2:1987", "ISO-8859-2"}, {"l2", "ISO-8859-2"}, {"latin2", "ISO-8859-2"},
    {"csisolatin3", "ISO-8859-3"}, {"iso-8859-3", "ISO-8859-3"}, {"iso-ir-109", "ISO-8859-3"},
    {"iso8859-3", "ISO-8859-3"}, {"iso88593", "ISO-8859-3"}, {"iso_8859-3", "ISO-8859-3"},
    {"iso_8859-3:1988", "ISO-8859-3"}, {"l3", "ISO-8859-3"}, {"latin3", "ISO-8859-3"},
    {"csisolatin4", "ISO-8859-4"}, {"iso-8859-4", "ISO-8859-4"}, {"iso-ir-110", "ISO-8859-4"},
    {"iso8859-4", "ISO-8859-4"}, {"iso88594", "ISO-8859-4"}, {"iso_8859-4", "ISO-8859-4"},
    {"iso_8859-4:1988", "ISO-8859-4"}, {"l4", "ISO-8859-4"}, {"latin4", "ISO-8859-4"},
    {"csisolatincyrillic", "ISO-8859-5"}, {"cyrillic", "ISO-8859-5"}, {"iso-8859-5", "ISO-8859-5"},
    {"iso-ir-144", "ISO-8859-5"}, {"iso8859-5", "ISO-8859-5"}, {"iso88595", "ISO-8859-5"},
    {"iso_8859-5", "ISO-8859-5"}, {"iso_8859-5:1988", "ISO-8859-5"},
    {"arabic", "ISO-8859-6"}, {"asmo-708", "ISO-8859-6"}, {"csiso88596e", "ISO-8859-6"},
    {"csiso88596i", "ISO-8859-6"}, {"csisolatinarabic", "ISO-8859-6"}, {"ecma-114", "ISO-8859-6"},
    {"iso-8859-6", "ISO-8859-6"}, {"iso-8859-6-e", "ISO-8859-6"}, {"iso-8859-6-i", "ISO-8859-6"},
    {"iso-ir-127", "ISO-8859-6"}, {"iso8859-6", "ISO-8859-6"}, {"iso88596", "ISO-8859-6"},
    {"iso_8859-6", "ISO-8859-6"}, {"iso_8859-6:1987", "ISO-8859-6"},
    {"csisolatingreek", "ISO-8859-7"}, {"ecma-118", "ISO-8859-7"}, {"elot_928", "ISO-8859-7"},
    {"greek", "ISO-8859-7"}, {"greek8", "ISO-8859-7"}, {"iso-8859-7", "ISO-8859-7"},
    {"iso-ir-126", "ISO-8859-7"}, {"iso8859-7", "ISO-8859-7"}, {"iso88597", "ISO-8859-7"},
    {"iso_8859-7", "ISO-8859-7"}, {"iso_8859-7:1987", "ISO-8859-7"}, {"sun_eu_greek", "ISO-8859-7"},
    {"csiso88598e", "ISO-8859-8"}, {"csisolatinhebrew", "ISO-8859-8"}, {"hebrew", "ISO-8859-8"},
    {"iso-8859-8", "ISO-8859-8"}, {"iso-8859-8-e", "ISO-8859-8"}, {"iso-ir-138", "ISO-8859-8"},
    {"iso8859-8", "ISO-8859-8"}, {"iso88598", "ISO-8859-8"}, {"iso_8859-8", "ISO-8859-8"},
    {"iso_8859-8:1988", "ISO-8859-8"}, {"visual", "ISO-8859-8"},
    {"csiso88598i", "ISO-8859-8"}, {"iso-8859-8-i", "ISO-8859-8"}, {"logical", "ISO-8859-8"},
    {"csisolatin6", "ISO-8859-10"}, {"iso-8859-10", "ISO-8859-10"}, {"iso-ir-157", "ISO-8859-10"},
    {"iso8859-10", "ISO-8859-10"}, {"iso885910", "ISO-8859-10"}, {"l6", "ISO-8859-10"},
    {"latin6", "ISO-8859-10"},
    {"iso-8859-13", "ISO-8859-13"}, {"iso8859-13", "ISO-8859-13"}, {"iso885913", "ISO-8859-13"},
    {"iso-8859-14", "ISO-8859-14"}, {"iso8859-14", "ISO-8859-14"}, {"iso885914", "ISO-8859-14"},
    {"csisolatin9", "ISO-8859-15"}, {"iso-8859-15", "ISO-8859-15"}, {"iso8859-15", "ISO-8859-15"},
    {"iso885915", "ISO-8859-15"}, {"iso_8859-15", "ISO-8859-15"}, {"l9", "ISO-8859-15"},
    {"iso-8859-16", "ISO-8859-16"},
    {"cskoi8r", "KOI8-R"}, {"koi", "KOI8-R"}, {"koi8", "KOI8-R"}, {"koi8-r", "KOI8-R"},
    {"koi8_r", "KOI8-R"}, {"koi8-ru", "KOI8-U"}, {"koi8-u", "KOI8-U"},
    {"csmacintosh", "MACINTOSH"}, {"mac", "MACINTOSH"}, {"macintosh", "MACINTOSH"},
    {"x-mac-roman", "MACINTOSH"},
    {"dos-874", "WINDOWS-874"}, {"iso-8859-11", "WINDOWS-874"}, {"iso8859-11", "WINDOWS-874"},
    {"iso885911", "WINDOWS-874"}, {"tis-620", "WINDOWS-874"}, {"windows-874", "WINDOWS-874"},
    {"cp1250", "WINDOWS-1250"}, {"windows-1250", "WINDOWS-1250"}, {"x-cp1250", "WINDOWS-1250"},
    {"cp1251", "WINDOWS-1251"}, {"windows-1251", "WINDOWS-1251"}, {"x-cp1251", "WINDOWS-1251"},
    {"ansi_x3.4-1968", "WINDOWS-1252"}, {"ascii", "WINDOWS-1252"}, {"cp1252", "WINDOWS-1252"},
    {"cp819", "WINDOWS-1252"}, {"csisolatin1", "WINDOWS-1252"}, {"ibm819", "WINDOWS-1252"},
    {"iso-8859-1", "WINDOWS-1252"}, {"iso-ir-100", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"},
    {"iso88591", "WINDOWS-1252"}, {"iso_8859-1", "WINDOWS-1252"},
    {"iso_8859-1:1987", "WINDOWS-1252"}, {"l1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"},
    {"latin-1", "WINDOWS-1252"}, {"us-ascii", "WINDOWS-1252"}, {"windows-1252", "WINDOWS-1252"},
    {"x-cp1252", "WINDOWS-1252"},
    {"cp1253", "WINDOWS-1253"}, {"windows-1253", "WINDOWS-1253"}, {"x-cp1253", "WINDOWS-1253"},
    {"cp1254", "WINDOWS-1254"}, {"csisolatin5", "WINDOWS-1254"}, {"iso-8859-9", "WINDOWS-1254"},
    {"iso-ir-148", "WINDOWS-1254"}, {"iso8859-9", "WINDOWS-1254"}, {"iso88599", "WINDOWS-1254"},
    {"iso_8859-9", "WINDOWS-1254"}, {"iso_8859-9:1989", "WINDOWS-1254"}, {"l5", "WINDOWS-1254"},
    {"latin5", "WINDOWS-1254"}, {"windows-1254", "WINDOWS-1254"}, {"x-cp1254", "WINDOWS-1254"},
    {"cp1255", "WINDOWS-1255"}, {"windows-1255", "WINDOWS-1255"}, {"x-cp1255", "WINDOWS-1255"},
    {"cp1256", "WINDOWS-1256"}, {"windows-1256", "WINDOWS-1256"}, {"x-cp1256", "WINDOWS-1256"},
    {"cp1257", "WINDOWS-1257"}, {"windows-1257", "WINDOWS-1257"}, {"x-cp1257", "WINDOWS-1257"},
    {"cp1258", "WINDOWS-1258"}, {"windows-1258", "WINDOWS-1258"}, {"x-cp1258", "WINDOWS-1258"},
    {"x-mac-cyrillic", "MAC-CYRILLIC"}, {"x-mac-ukrainian", "MAC-CYRILLIC"},
    {"mac-cyrillic", "MAC-CYRILLIC"},
    {"chinese", "GB18030"}, {"csgb2312", "GB18030"}, {"csiso58gb231280", "GB18030"},
    {"gb2312", "GB18030"}, {"gb_2312", "GB18030"}, {"gb_2312-80", "GB18030"}, {"gbk", "GB18030"},
    {"iso-ir-58", "GB18030"}, {"x-gbk", "GB18030"}, {"gb18030", "GB18030"}, {"cp936", "GB18030"},
    {"big5", "BIG5"}, {"big5-hkscs", "BIG5"}, {"cn-big5", "BIG5"}, {"csbig5", "BIG5"},
    {"x-x-big5", "BIG5"}, {"cp950", "BIG5"},
    {"cseucpkdfmtjapanese", "EUC-JP"}, {"euc-jp", "EUC-JP"}, {"x-euc-jp", "EUC-JP"},
    {"csiso2022jp", "ISO-2022-JP"}, {"iso-2022-jp", "ISO-2022-JP"},
    {"csshiftjis", "SHIFT_JIS"}, {"ms932", "SHIFT_JIS"}, {"ms_kanji", "SHIFT_JIS"},
    {"shift-jis", "SHIFT_JIS"}, {"shift_jis", "SHIFT_JIS"}, {"sjis", "SHIFT_JIS"},
    {"windows-31j", "SHIFT_JIS"}, {"x-sjis", "SHIFT_JIS"}, {"cp932", "SHIFT_JIS"},
    {"cseuckr", "EUC-KR"}, {"csksc56011987", "EUC-KR"}, {"euc-kr", "EUC-KR"},
    {"iso-ir-149", "EUC-KR"}, {"korean", "EUC-KR"}, {"ks_c_5601-1987", "EUC-KR"},
    {"ks_c_5601-1989", "EUC-KR"}, {"ksc5601", "EUC-KR"}, {"ksc_5601", "EUC-KR"},
    {"windows-949", "EUC-KR"}, {"cp949", "EUC-KR"},
    {"unicodefffe", "UTF-16BE"}, {"utf-16be", "UTF-16BE"},
    {"csunicode", "UTF-16LE"}, {"iso-10646-ucs-2", "UTF-16LE"}, {"ucs-2", "UTF-16LE"},
    {"unicode", "UTF-16LE"}, {"unicodefeff", "UTF-16LE"}, {"utf-16", "UTF-16LE"},
    {"utf-16le", "UTF-16LE"},
};
// clang-format on

bool is_html_space(char c) noexcept {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

bool iequals(std::string_view a, std::string_view lower) noexcept {
    if (a.size() != lower.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != lower[i]) return false;
    return true;
}

// Returns the canonical name for a label (surrounding whitespace and case
// ignored), or an empty view when the label is unknown.
std::string_view lookup_label(std::string_view label) noexcept {
    while (!label.empty() && is_html_space(label.front())) label.remove_prefix(1);
    while (!label.empty() && is_html_space(label.back())) label.remove_suffix(1);
    for (const label_entry& e : labels)
        if (iequals(label, e.label)) return e.name;
    return {};
}

// ---------------------------------------------------------------------------
// Declarations: Content-Type charset= and the HTML meta prescan.

// Case-insensitive find of lower (lower case) in s from pos.
std::size_t ifind(std::string_view s, std::string_view lower, std::size_t pos) noexcept {
    for (; pos + lower.size() <= s.size(); ++pos)
        if (iequals(s.substr(pos, lower.size()), lower)) return pos;
    return std::string_view::npos;
}

// The value of charset= in a Content-Type or meta content value, or empty
// (HTML "algorithm for extracting a character encoding from a meta element").
std::string_view charset_parameter(std::string_view s) noexcept {
    std::size_t pos = 0;
    for (;;) {
        pos = ifind(s, "charset", pos);
        if (pos == std::string_view::npos) return {};
        pos += 7;
        while (pos < s.size() && is_html_space(s[pos])) ++pos;
        if (pos >= s.size() || s[pos] != '=') continue;
        ++pos;
        while (pos < s.size() && is_html_space(s[pos])) ++pos;
        if (pos >= s.size()) return {};
        if (s[pos] == '"' || s[pos] == '\'') {
            const std::size_t end = s.find(s[pos], pos + 1);
            if (end == std::string_view::npos) return {};
            return s.substr(pos + 1, end - pos - 1);
        }
        const std::size_t start = pos;
        while (pos < s.size() && !is_html_space(s[pos]) && s[pos] != ';') ++pos;
        return s.substr(start, pos - start);
    }
}

// The charset parameter of a Content-Type header, read as a MIME type's
// parameters are (WHATWG MIME Sniffing, spaces around a name and after '='
// allowed): name=value pairs after ';', a value either a token or a quoted
// string (backslash escapes; an unclosed one runs to the end; single quotes
// too), the first charset parameter the one that counts. So
// `foo="a;charset=koi8-r"; charset=windows-1251` is windows-1251. A header
// without any parameter the parse finds (`text/html charset=utf-8`, no ';')
// falls back to the lenient search of a meta's content.
std::string header_charset_parameter(std::string_view s) {
    constexpr auto npos = std::string_view::npos;
    for (std::size_t pos = s.find(';'); pos != npos;) {
        ++pos;
        while (pos < s.size() && is_html_space(s[pos])) ++pos;
        const std::size_t name_start = pos;
        while (pos < s.size() && s[pos] != ';' && s[pos] != '=') ++pos;
        std::string_view name = s.substr(name_start, pos - name_start);
        while (!name.empty() && is_html_space(name.back())) name.remove_suffix(1);
        if (pos >= s.size()) break;
        if (s[pos] == ';') continue;
        ++pos;  // past '='
        while (pos < s.size() && is_html_space(s[pos])) ++pos;
        std::string value;
        if (pos < s.size() && (s[pos] == '"' || s[pos] == '\'')) {  // 'sjis' too, as servers write it
            const char quote = s[pos];
            for (++pos; pos < s.size() && s[pos] != quote; ++pos) {
                if (quote == '"' && s[pos] == '\\' && pos + 1 < s.size()) ++pos;
                value += s[pos];
            }
            pos = s.find(';', pos);
        } else {
            const std::size_t end = std::min(s.find(';', pos), s.size());
            std::size_t last = end;
            while (last > pos && is_html_space(s[last - 1])) --last;
            value.assign(s.substr(pos, last - pos));
            pos = end < s.size() ? end : npos;
        }
        if (iequals(name, "charset") && !value.empty()) return value;  // "charset=;" is none
    }
    if (s.find(';') == npos) return std::string(charset_parameter(s));
    return {};
}

struct html_attribute {
    std::string_view name;
    std::string_view value;
};

// Reads the value part of an attribute at pos (just after '=').
std::string_view attribute_value(std::string_view s, std::size_t& pos) noexcept {
    while (pos < s.size() && is_html_space(s[pos])) ++pos;
    if (pos >= s.size() || s[pos] == '>') return {};
    if (s[pos] == '"' || s[pos] == '\'') {
        const std::size_t start = pos + 1;
        const std::size_t end = s.find(s[pos], start);
        pos = end == std::string_view::npos ? s.size() : end + 1;
        return s.substr(start, std::min(end, s.size()) - start);
    }
    const std::size_t start = pos;
    while (pos < s.size() && !is_html_space(s[pos]) && s[pos] != '>') ++pos;
    return s.substr(start, pos - start);
}

// HTML "get an attribute" over s from pos; false when there is none.
bool next_attribute(std::string_view s, std::size_t& pos, html_attribute& out) noexcept {
    while (pos < s.size() && (is_html_space(s[pos]) || s[pos] == '/')) ++pos;
    if (pos >= s.size() || s[pos] == '>') return false;
    const std::size_t start = pos++;  // the first byte is always part of the name, even '='
    while (pos < s.size() && s[pos] != '=' && s[pos] != '/' && s[pos] != '>' &&
           !is_html_space(s[pos]))
        ++pos;
    out.name = s.substr(start, pos - start);
    out.value = {};
    while (pos < s.size() && is_html_space(s[pos])) ++pos;
    if (pos >= s.size() || s[pos] != '=') return true;
    ++pos;
    out.value = attribute_value(s, pos);
    return true;
}

// Reads the attributes of a <meta> tag (pos just after "<meta"); returns the
// declared canonical charset or empty (HTML prescan, meta steps).
std::string_view meta_charset(std::string_view s, std::size_t& pos) noexcept {
    bool seen_http_equiv = false, seen_content = false, seen_charset = false;
    bool got_pragma = false, have_charset = false;
    int need_pragma = -1;  // -1 null, 0 false, 1 true
    std::string_view charset;
    html_attribute a;
    while (next_attribute(s, pos, a)) {
        if (iequals(a.name, "http-equiv") && !seen_http_equiv) {
            seen_http_equiv = true;
            got_pragma = iequals(a.value, "content-type");
        } else if (iequals(a.name, "content") && !seen_content) {
            seen_content = true;
            const std::string_view found = lookup_label(charset_parameter(a.value));
            if (!have_charset && !found.empty()) {
                charset = found;
                have_charset = true;
                need_pragma = 1;
            }
        } else if (iequals(a.name, "charset") && !seen_charset) {
            seen_charset = true;
            charset = lookup_label(a.value);
            have_charset = true;
            need_pragma = 0;
        }
    }
    if (need_pragma < 0 || (need_pragma == 1 && !got_pragma) || charset.empty()) return {};
    if (charset == "UTF-16LE" || charset == "UTF-16BE") return "UTF-8";
    return charset;
}

bool is_ascii_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The end tag ("</script") of the element whose start tag's name is at
// s[pos] (after '<') when it holds text, not markup (<script>, <style>,
// <textarea>, <title>); empty for any other.
std::string_view raw_text_end(std::string_view s, std::size_t pos) noexcept {
    for (std::string_view end_tag : {"</script", "</style", "</textarea", "</title"}) {
        const std::string_view name = end_tag.substr(2);
        const std::size_t after = pos + name.size();
        if (after < s.size() && iequals(s.substr(pos, name.size()), name) &&
            (is_html_space(s[after]) || s[after] == '>' || s[after] == '/'))
            return end_tag;
    }
    return {};
}

// HTML "prescan a byte stream to determine its encoding" over s. With
// skip_raw_text, the text of scripts, styles, textareas and titles is
// passed over (a meta written by a script is not the page's).
std::string_view prescan_meta(std::string_view s, bool skip_raw_text = false) noexcept {
    html_attribute ignored;
    for (std::size_t pos = s.find('<'); pos < s.size(); pos = s.find('<', pos + 1)) {
        const std::string_view rest = s.substr(pos);
        if (rest.starts_with("<!--")) {
            const std::size_t end = s.find("-->", pos + 2);
            if (end == std::string_view::npos) return {};
            pos = end + 2;
        } else if (rest.size() > 5 && iequals(rest.substr(0, 5), "<meta") &&
                   (is_html_space(rest[5]) || rest[5] == '/')) {
            pos += 5;
            const std::string_view charset = meta_charset(s, pos);
            if (!charset.empty()) return charset;
        } else if (rest.size() > 2 &&
                   (is_ascii_alpha(rest[1]) || (rest[1] == '/' && is_ascii_alpha(rest[2])))) {
            const std::string_view end_tag = skip_raw_text ? raw_text_end(s, pos + 1) : std::string_view();
            while (pos < s.size() && !is_html_space(s[pos]) && s[pos] != '>') ++pos;
            while (next_attribute(s, pos, ignored)) {
            }
            if (!end_tag.empty()) {  // on to its end tag
                pos = ifind(s, end_tag, pos);
                if (pos == std::string_view::npos) return {};
            }
        } else if (rest.starts_with("<!") || rest.starts_with("</") || rest.starts_with("<?")) {
            const std::size_t end = s.find('>', pos + 1);
            if (end == std::string_view::npos) return {};
            pos = end;
        }
    }
    return {};
}

// HTML "get an XML encoding when sniffing": the encoding an XML declaration at
// the very start of s names (<?xml version="1.0" encoding="ISO-8859-1"?>), or
// empty. One declaring UTF-16 on an ASCII page means UTF-8, as for a meta.
std::string_view xml_declaration_charset(std::string_view s) noexcept {
    if (!s.starts_with("<?xml")) return {};
    const std::size_t declaration_end = s.find('>');
    if (declaration_end == std::string_view::npos) return {};
    const std::string_view declaration = s.substr(0, declaration_end);
    std::size_t pos = ifind(declaration, "encoding", 5);
    if (pos == std::string_view::npos) return {};
    pos += 8;
    auto skip_controls_and_spaces = [&] {
        while (pos < declaration.size() && static_cast<unsigned char>(declaration[pos]) <= 0x20)
            ++pos;
    };
    skip_controls_and_spaces();
    if (pos >= declaration.size() || declaration[pos] != '=') return {};
    ++pos;
    skip_controls_and_spaces();
    if (pos >= declaration.size() || (declaration[pos] != '"' && declaration[pos] != '\'')) return {};
    const std::size_t end = declaration.find(declaration[pos], pos + 1);
    if (end == std::string_view::npos) return {};
    const std::string_view label = declaration.substr(pos + 1, end - pos - 1);
    for (const char c : label)
        if (static_cast<unsigned char>(c) <= 0x20) return {};
    const std::string_view charset = lookup_label(label);
    if (charset == "UTF-16LE" || charset == "UTF-16BE") return "UTF-8";
    return charset;
}

// The canonical name of the encoding a byte order mark at the start of body
// announces, or empty.
std::string_view bom_charset(std::string_view body) noexcept {
    if (body.starts_with("\xEF\xBB\xBF")) return "UTF-8";
    if (body.starts_with("\xFE\xFF")) return "UTF-16BE";
    if (body.starts_with("\xFF\xFE")) return "UTF-16LE";
    return {};
}

// ---------------------------------------------------------------------------
// Conversion

// windows-1252 bytes 0x80..0x9F (WHATWG index); 0xA0..0xFF are Latin-1.
constexpr char16_t windows_1252_c1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// The UTF-8 of each byte 0x80..0xFF of a single-byte charset.
using upper_half = std::array<std::string, 128>;

// ASCII runs copied, every other byte through the table.
std::string single_byte_to_utf8(std::string_view in, const upper_half& table) {
    std::string out;
    out.reserve(in.size() + in.size() / 2 + 16);
    std::size_t i = 0;
    while (i < in.size()) {
        const std::size_t end = ascii_end(in, i);
        out.append(in.substr(i, end - i));
        if (end == in.size()) break;
        out += table[static_cast<unsigned char>(in[end]) - 0x80];
        i = end + 1;
    }
    return out;
}

// windows-1252 is the fallback for most legacy pages and maps every byte, so
// it gets a table of its own instead of iconv's (glibc rejects 0x81, 0x8D,
// 0x8F, 0x90, 0x9D).
std::string windows_1252_to_utf8(std::string_view in) {
    static const upper_half table = [] {
        upper_half t;
        for (unsigned b = 0x80; b <= 0xFF; ++b)
            append_utf8(t[b - 0x80], b >= 0xA0 ? char32_t{b} : char32_t{windows_1252_c1[b - 0x80]});
        return t;
    }();
    return single_byte_to_utf8(in, table);
}

// Drops the byte order mark of encoding name from the front of body, if any.
std::string_view strip_bom(std::string_view body, std::string_view name) noexcept {
    if (bom_charset(body) == name) body.remove_prefix(name == "UTF-8" ? 3 : 2);
    return body;
}

// How one canonical charset is decoded with iconv.
struct decoder {
    std::string_view name;       // canonical
    std::string_view converter;  // iconv name used
    std::size_t unit;            // bytes skipped per invalid sequence
    bool ascii_compatible;       // ASCII bytes outside characters mean ASCII
    bool holds_state = false;    // may keep a character back (combining pairs)
    // Double-byte: a rejected lead byte (0x81-0xFE) and the non-ASCII byte
    // after it are one invalid character, one U+FFFD (WHATWG's decoders); an
    // ASCII byte after it is read again as ASCII.
    bool pairs = false;
};

// Browsers decode these labels as supersets; the rest use their own name.
constexpr decoder special_decoders[] = {
    {"SHIFT_JIS", "CP932", 1, true, false, true},  // glibc SHIFT_JIS maps '\' to yen, lacks NEC/IBM rows
    {"EUC-KR", "CP949", 1, true, false, true},     // Unified Hangul Code, as WHATWG euc-kr
    {"BIG5", "BIG5-HKSCS", 1, true, true, true},   // as WHATWG big5; holds combining pairs
    {"EUC-JP", "EUC-JP", 1, true, false, true},  // its JIS X 0212 characters (see euc_jp_to_utf8)
    {"ISO-2022-JP", "ISO-2022-JP", 1, false, true},
    {"UTF-16LE", "UTF-16LE", 2, false},
    {"UTF-16BE", "UTF-16BE", 2, false},
};

decoder find_decoder(std::string_view name) noexcept {
    for (const decoder& d : special_decoders)
        if (d.name == name) return d;
    return {name, name, 1, true};
}

iconv_t no_cd() noexcept {
    return reinterpret_cast<iconv_t>(static_cast<std::intptr_t>(-1));
}

// iconv handles to UTF-8, one per converter name, for one thread. Names come
// from the fixed tables above, so the cache stays small. Failures are cached
// too: iconv_open searches gconv modules on disk.
class iconv_cache {
  public:
    iconv_cache() = default;
    iconv_cache(const iconv_cache&) = delete;  // owns the handles
    iconv_cache& operator=(const iconv_cache&) = delete;
    ~iconv_cache() {
        for (const entry& e : entries_)
            if (e.cd != no_cd()) iconv_close(e.cd);
    }

    // Returns the handle for converter, reset to its initial state, or no_cd().
    iconv_t get(std::string_view converter) {
        for (const entry& e : entries_) {
            if (e.name != converter) continue;
            if (e.cd != no_cd()) iconv(e.cd, nullptr, nullptr, nullptr, nullptr);
            return e.cd;
        }
        std::string name(converter);
        entries_.push_back({name, iconv_open("UTF-8", name.c_str())});
        return entries_.back().cd;
    }

  private:
    struct entry {
        std::string name;
        iconv_t cd;
    };
    std::vector<entry> entries_;
};

iconv_cache& thread_iconv_cache() {
    thread_local iconv_cache cache;
    return cache;
}

// Output of an iconv run: bytes [0, used) are written, the rest is room.
struct out_buffer {
    std::string bytes;
    std::size_t used = 0;

    char* tail() noexcept { return bytes.data() + used; }
    std::size_t room() const noexcept { return bytes.size() - used; }
    void make_room(std::size_t n) {
        if (room() < n) bytes.resize(std::max(bytes.size() * 2, used + n));
    }
    void append(std::string_view s) {
        make_room(s.size());
        std::memcpy(tail(), s.data(), s.size());
        used += s.size();
    }
};

// Characters that browsers' tables hold and glibc's converter rejects:
// the pair's bytes and the character's UTF-8.
struct added_pair {
    std::string_view decoder, bytes, utf8;
};
constexpr added_pair added_pairs[] = {
    {"BIG5", "\xA3\xE1", "\u20AC"},  // euro sign (CP950, WHATWG big5)
    {"BIG5", "\xA1\xC3", "\uFFE3"},  // fullwidth macron
    {"BIG5", "\xA2\xCC", "\u5341"},  // the CP950 duplicates of 十 and 卅
    {"BIG5", "\xA2\xCE", "\u5345"},
    {"BIG5", "\xA1\x5A", "\u2574"},  // box drawings light left
};

// Whether in starts with a double-byte lead byte of d and a non-ASCII byte
// after it (Shift_JIS's 0xA0-0xDF and 0xFD-0xFF stand alone).
bool invalid_pair_at(const decoder& d, std::string_view in) {
    if (!d.pairs || in.size() < 2) return false;
    const auto lead = static_cast<unsigned char>(in[0]), trail = static_cast<unsigned char>(in[1]);
    if (lead < 0x81 || lead == 0xFF || trail < 0x80) return false;
    return d.name != "SHIFT_JIS" || lead <= 0x9F || (lead >= 0xE0 && lead <= 0xFC);
}

// Handles the bytes iconv rejected at the front of in; returns how many were
// consumed (at least 1).
std::size_t replace_invalid(const decoder& d, std::string_view in, out_buffer& out) {
    if (d.name == "GB18030" && static_cast<unsigned char>(in[0]) == 0x80) {
        out.append("\xE2\x82\xAC");  // WHATWG gb18030 decodes a lone 0x80 as the euro sign
        return 1;
    }
    for (const added_pair& a : added_pairs) {
        if (a.decoder == d.name && in.starts_with(a.bytes)) {
            out.append(a.utf8);
            return a.bytes.size();
        }
    }
    out.append(replacement);
    return invalid_pair_at(d, in) ? 2 : std::min(d.unit, in.size());
}

// Writes what a stateful converter still holds (e.g. BIG5-HKSCS combining pairs).
void flush_iconv(iconv_t cd, out_buffer& out) {
    for (;;) {
        out.make_room(16);
        char* dst = out.tail();
        std::size_t room = out.room();
        const std::size_t rc = iconv(cd, nullptr, nullptr, &dst, &room);
        const int err = errno;
        out.used = static_cast<std::size_t>(dst - out.bytes.data());
        if (rc != static_cast<std::size_t>(-1) || err != E2BIG) return;
        out.make_room(out.bytes.size());
    }
}

// Converts one segment with cd and flushes cd's state. last: the segment ends
// the input, so a sequence cut off at its end is one U+FFFD; otherwise the
// segment was cut at an ASCII run and such a prefix is simply invalid.
void convert_segment(const decoder& d, iconv_t cd, std::string_view in, bool last,
                     out_buffer& out) {
    char* src = const_cast<char*>(in.data());  // iconv does not write through it
    std::size_t left = in.size();
    while (left > 0) {
        char* dst = out.tail();
        std::size_t room = out.room();
        const char* const from = src;
        const std::size_t rc = iconv(cd, &src, &left, &dst, &room);
        const int err = errno;
        out.used = static_cast<std::size_t>(dst - out.bytes.data());
        if (rc != static_cast<std::size_t>(-1)) break;
        if (err == E2BIG) {
            out.make_room(out.bytes.size());
        } else if (err == EILSEQ && d.name == "EUC-KR" && src - from >= 2 && src[-2] == '\xA2' && src[-1] == '\xE8') {
            // glibc's CP949 passes over A2E8 (KS X 1001's ㉾, 2002) without a
            // character and stops after it: the bytes there are the next ones.
            out.append("\u327E");
        } else if (err == EILSEQ || (err == EINVAL && !last)) {
            const std::size_t n = replace_invalid(d, std::string_view(src, left), out);
            src += n;
            left -= n;
        } else {  // EINVAL: a sequence cut off by the end
            out.append(replacement);
            break;
        }
    }
    if (d.holds_state || !d.ascii_compatible) flush_iconv(cd, out);
}

// ASCII runs at least this long are copied as they are; shorter ones go
// through iconv with the text around them. (glibc's converters spend about
// as much on a byte of ASCII as on a call: 8 was the cheapest of 8, 16 and
// 64 on the rig's GB18030 pages.)
constexpr std::size_t copied_ascii_run = 8;

// Returns where the non-ASCII stretch starting at i ends: just after the first
// byte of the next run of copied_ascii_run ASCII bytes (that byte may still
// be the trail of a double-byte character; no character of an
// ASCII-compatible encoding reaches further), or in.size().
std::size_t non_ascii_end(std::string_view in, std::size_t i) noexcept {
    std::size_t run = 0;
    for (std::size_t k = i + 1; k < in.size(); ++k) {
        if (static_cast<unsigned char>(in[k]) >= 0x80) {
            run = 0;
        } else if (++run == copied_ascii_run) {
            return k - (copied_ascii_run - 2);
        }
    }
    return in.size();
}

// GB18030's two-byte characters (lead 0x81-0xFE, trail 0x40-0x7E or
// 0x80-0xFE), decoded by table: each lead byte's row of 190 is filled from
// iconv the first time a page uses it, and from then on a character costs a
// lookup instead of a pass through iconv's loop. The table holds iconv's own
// answers, so the text is the same; what it has no answer for (four-byte
// sequences, invalid bytes) still goes through iconv.
class gb18030_pairs {
public:
    struct entry {
        char bytes[3];
        unsigned char len;  // 0: iconv does not decode the pair to 1-3 bytes
    };
    static constexpr entry none{};

    // The UTF-8 of the pair at p (p[0] a lead byte): an entry whose len is
    // 0 when the pair is not a two-byte character that iconv decodes.
    const entry& decode(const unsigned char* p, iconv_t cd) {
        const unsigned trail = p[1];
        if (trail < 0x40 || trail == 0x7F || trail == 0xFF) return none;
        auto& row = rows_[p[0] - 0x81];
        if (!row) row = fill(p[0], cd);
        return (*row)[trail < 0x7F ? trail - 0x40 : trail - 0x41];
    }

private:
    using row_type = std::array<entry, 190>;

    static std::unique_ptr<row_type> fill(unsigned char lead, iconv_t cd) {
        auto row = std::make_unique<row_type>();
        for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
            if (trail == 0x7F) continue;
            char in[2] = {static_cast<char>(lead), static_cast<char>(trail)};
            char out[8];
            char* src = in;
            char* dst = out;
            std::size_t left = 2, room = sizeof out;
            iconv(cd, nullptr, nullptr, nullptr, nullptr);
            entry& e = (*row)[trail < 0x7F ? trail - 0x40 : trail - 0x41];
            e.len = 0;
            const bool whole = iconv(cd, &src, &left, &dst, &room) != static_cast<std::size_t>(-1) && left == 0;
            const std::size_t n = sizeof out - room;
            if (whole && n >= 1 && n <= 3) {
                std::memcpy(e.bytes, out, n);
                e.len = static_cast<unsigned char>(n);
            }
        }
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        return row;
    }

    std::array<std::unique_ptr<row_type>, 126> rows_;
};

// GB18030 in one pass: ASCII runs copied, two-byte characters by table,
// and from a byte the table cannot take (a four-byte sequence, an invalid
// byte) to the next run of copied_ascii_run ASCII bytes through iconv.
void gb18030_to_utf8(const decoder& d, iconv_t cd, std::string_view in, out_buffer& out) {
    thread_local gb18030_pairs pairs;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    std::size_t i = 0;
    // Two bytes become at most three, one at most one: room for the rest.
    out.make_room(n + n / 2 + 4);
    while (i < n) {
        if (p[i] < 0x80) {
            const std::size_t j = ascii_end(in, i);
            std::memcpy(out.tail(), p + i, j - i);
            out.used += j - i;
            i = j;
            continue;
        }
        if (p[i] >= 0x81 && p[i] <= 0xFE && i + 1 < n) {
            if (const gb18030_pairs::entry& e = pairs.decode(p + i, cd); e.len != 0) {
                // All four bytes at once (the room has one to spare), len of them kept.
                static_assert(sizeof e == 4);
                std::memcpy(out.tail(), &e, sizeof e);
                out.used += e.len;
                i += 2;
                continue;
            }
        }
        const std::size_t j = non_ascii_end(in, i);
        convert_segment(d, cd, in.substr(i, j - i), j == n, out);
        i = j;
        out.make_room(n - i + (n - i) / 2 + 4);
    }
}

// Converts non-empty in with cd. For
// ASCII-compatible encodings, long ASCII runs (markup) are copied as they are
// and only the stretches between them go through iconv.
std::string iconv_to_utf8(std::string_view in, const decoder& d, iconv_t cd) {
    out_buffer out;
    out.bytes.resize(in.size() + in.size() / 2 + 32);
    if (!d.ascii_compatible) {
        convert_segment(d, cd, in, true, out);
    } else if (d.name == "GB18030") {
        gb18030_to_utf8(d, cd, in, out);
    } else {
        std::size_t i = 0;
        while (i < in.size()) {
            const std::size_t j = ascii_end(in, i);
            out.append(in.substr(i, j - i));
            if (j == in.size()) break;
            i = non_ascii_end(in, j);
            convert_segment(d, cd, in.substr(j, i - j), i == in.size(), out);
        }
    }
    out.bytes.resize(out.used);
    return std::move(out.bytes);
}

// Charsets of one byte per character: ISO-8859-x, windows-125x and 874,
// KOI8-R/U, IBM866, the Mac ones.
bool is_single_byte(std::string_view name) noexcept {
    return name.starts_with("ISO-8859-") || name.starts_with("WINDOWS-") || name.starts_with("KOI8-") ||
           name.starts_with("MAC") || name == "IBM866";
}

// The table of a single-byte charset, from iconv one byte at a time (a byte
// it rejects is U+FFFD). Decoding by table reads each
// byte as one character, as WHATWG's indexes do: glibc's windows-1255 and
// windows-1258 compose a letter with the mark after it, and hold a letter
// back for one, which a stretch cut at markup lost ("Vi\xEA\xF2t" was "Việ").
const upper_half& single_byte_table(std::string_view name, iconv_t cd) {
    thread_local std::vector<std::pair<std::string, std::unique_ptr<upper_half>>> tables;
    for (const auto& [n, t] : tables)
        if (n == name) return *t;
    auto t = std::make_unique<upper_half>();
    for (unsigned b = 0x80; b <= 0xFF; ++b) {
        char in = static_cast<char>(b);
        char out[16];
        char* src = &in;
        char* dst = out;
        std::size_t left = 1, room = sizeof out;
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        const bool ok = iconv(cd, &src, &left, &dst, &room) != static_cast<std::size_t>(-1) && left == 0 &&
                        iconv(cd, nullptr, nullptr, &dst, &room) != static_cast<std::size_t>(-1);
        std::string& utf8 = (*t)[b - 0x80];
        utf8.assign(out, static_cast<std::size_t>(dst - out));
        if (!ok || utf8.empty()) utf8 = replacement;
    }
    iconv(cd, nullptr, nullptr, nullptr, nullptr);
    return *tables.emplace_back(std::string(name), std::move(t)).second;
}

// The charset body declares by BOM, Content-Type or meta, or empty.
std::string_view declared_charset(std::string_view body, std::string_view content_type) noexcept {
    if (const std::string_view bom = bom_charset(body); !bom.empty()) return bom;
    if (const std::string_view header = lookup_label(header_charset_parameter(content_type));
        !header.empty())
        return header;
    const std::string_view head = body.substr(0, prescan_limit);
    // The prescan's first step: "<?x" in UTF-16 without a byte order mark.
    using namespace std::string_view_literals;
    if (head.starts_with("<\0?\0x\0"sv)) return "UTF-16LE";
    if (head.starts_with("\0<\0?\0x"sv)) return "UTF-16BE";
    if (const std::string_view meta = prescan_meta(head); !meta.empty()) return meta;
    if (const std::string_view xml = xml_declaration_charset(head); !xml.empty()) return xml;
    // Browsers also change to a meta's encoding met later, by the parser (a
    // long inline style or script before it): looked for in the first 64
    // KiB, scripts' and styles' text passed over.
    if (body.size() > head.size()) return prescan_meta(body.substr(0, late_meta_limit), true);
    return {};
}

}  // namespace

std::string detect_charset(std::string_view body, std::string_view content_type) {
    std::string_view charset = declared_charset(body, content_type);
    if (charset.empty()) {
        const std::size_t valid = valid_utf8_prefix(body);
        charset = valid == body.size() || is_truncated_tail(body, valid) || mostly_utf8(body)
                      ? "UTF-8"
                      : guess_legacy_charset(body);
    }
    return std::string(charset);
}

char32_t windows_1252_code_point(unsigned char byte) noexcept {
    return byte >= 0x80 && byte < 0xA0 ? char32_t{windows_1252_c1[byte - 0x80]} : char32_t{byte};
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    auto put = [&out](char32_t byte) { out += static_cast<char>(byte); };
    if (cp < 0x80) {
        put(cp);
    } else if (cp < 0x800) {
        put(0xC0 | (cp >> 6)), put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        put(0xE0 | (cp >> 12)), put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
    } else {
        put(0xF0 | (cp >> 18)), put(0x80 | ((cp >> 12) & 0x3F));
        put(0x80 | ((cp >> 6) & 0x3F)), put(0x80 | (cp & 0x3F));
    }
}

bool is_valid_utf8(std::string_view s) noexcept {
    return valid_utf8_prefix(s) == s.size();
}

// EUC-JP as browsers decode it (WHATWG euc-jp). Its two-byte characters
// are JIS X 0208 codes, the table Shift_JIS indexes too: each is decoded
// as the CP932 pair of its place in that table (filled per thread on first
// use), so NEC's and IBM's extensions (髙, 﨑) and symbols (～) read as on a
// Shift_JIS page; 0x8E's half-width katakana are U+FF61-U+FF9F; 0x8F's
// JIS X 0212 characters go through glibc's EUC-JP. An invalid lead and
// the non-ASCII byte after it are one U+FFFD; an ASCII byte after it is
// read again.
std::string euc_jp_to_utf8(std::string_view in) {
    iconv_cache& cache = thread_iconv_cache();
    const iconv_t cp932 = cache.get("CP932");
    const iconv_t euc_jp = cache.get("EUC-JP");
    if (cp932 == no_cd() || euc_jp == no_cd()) return make_valid_utf8(in);
    // Each pointer's UTF-8, or "" when CP932 has no character there.
    thread_local std::vector<std::optional<std::string>> jis0208(94 * 94);
    auto character = [&](unsigned pointer) -> const std::string& {
        std::optional<std::string>& c = jis0208[pointer];
        if (!c) {
            const unsigned lead = pointer / 188, trail = pointer % 188;
            char pair[2] = {static_cast<char>(lead + (lead < 0x1F ? 0x81 : 0xC1)),
                            static_cast<char>(trail + (trail < 0x3F ? 0x40 : 0x41))};
            char buf[16];
            char* src = pair;
            char* dst = buf;
            std::size_t left = 2, room = sizeof buf;
            iconv(cp932, nullptr, nullptr, nullptr, nullptr);
            const bool ok = iconv(cp932, &src, &left, &dst, &room) != static_cast<std::size_t>(-1) && left == 0;
            c.emplace(ok ? std::string(buf, static_cast<std::size_t>(dst - buf)) : std::string());
        }
        return *c;
    };
    auto in_range = [](unsigned char c) { return c >= 0xA1 && c <= 0xFE; };
    std::string out;
    out.reserve(in.size() + in.size() / 2);
    for (std::size_t i = 0; i < in.size();) {
        const auto b = static_cast<unsigned char>(in[i]);
        const auto t = static_cast<unsigned char>(i + 1 < in.size() ? in[i + 1] : 0);
        if (b < 0x80) {
            out += static_cast<char>(b);
            ++i;
        } else if (b == 0x8E && t >= 0xA1 && t <= 0xDF) {
            append_utf8(out, char32_t{0xFF61} + (t - 0xA1u));
            i += 2;
        } else if (in_range(b) && in_range(t)) {
            const std::string& c = character((b - 0xA1u) * 94 + (t - 0xA1u));
            out += c.empty() ? replacement : std::string_view(c);
            i += 2;
        } else if (b == 0x8F && in_range(t) && i + 2 < in.size() && in_range(static_cast<unsigned char>(in[i + 2]))) {
            iconv(euc_jp, nullptr, nullptr, nullptr, nullptr);
            out += iconv_to_utf8(in.substr(i, 3), find_decoder("EUC-JP"), euc_jp);
            i += 3;
        } else {
            // A lead (0x8E, 0x8F, 0xA1-0xFE) and the non-ASCII byte after it
            // are one invalid character; any other byte is one alone.
            const bool lead = b == 0x8E || b == 0x8F || in_range(b);
            out += replacement;
            i += lead && i + 1 < in.size() && t >= 0x80 ? 2 : 1;
        }
    }
    return out;
}

std::string to_utf8(std::string_view body, std::string_view charset) {
    const std::string_view name = lookup_label(charset);
    if (name == "WINDOWS-1252") return windows_1252_to_utf8(body);
    if (name.empty() || name == "UTF-8") return make_valid_utf8(strip_bom(body, "UTF-8"));
    body = strip_bom(body, name);
    if (body.empty()) return {};
    if (name == "EUC-JP") return euc_jp_to_utf8(body);
    const decoder d = find_decoder(name);
    iconv_cache& cache = thread_iconv_cache();
    const iconv_t cd = cache.get(d.converter);
    if (cd == no_cd()) return make_valid_utf8(body);
    if (is_single_byte(name)) return single_byte_to_utf8(body, single_byte_table(name, cd));
    return iconv_to_utf8(body, d, cd);
}

std::string decode_to_utf8(std::string_view body, std::string_view content_type) {
    const std::string_view declared = declared_charset(body, content_type);
    if (!declared.empty()) return to_utf8(body, declared);
    // Same as detect_charset() then to_utf8(), validating the bytes only once.
    const std::size_t valid = valid_utf8_prefix(body);
    if (valid == body.size()) return std::string(body);
    if (is_truncated_tail(body, valid)) return std::string(body.substr(0, valid)) += replacement;
    if (mostly_utf8(body)) return make_valid_utf8(body);
    const std::string_view guess = guess_legacy_charset(body);
    return guess == "WINDOWS-1252" ? windows_1252_to_utf8(body) : to_utf8(body, guess);
}

std::string charset_name(std::string_view label) {
    return std::string(lookup_label(label));
}

std::string content_type_charset(std::string_view content_type) {
    return header_charset_parameter(content_type);
}

std::string known_charset_names() {
    std::vector<std::string_view> names;
    for (const label_entry& e : labels)
        if (std::find(names.begin(), names.end(), e.name) == names.end()) names.push_back(e.name);
    std::string out;
    for (std::string_view n : names) {
        if (!out.empty()) out += ", ";
        out += n;
    }
    return out;
}

std::string make_valid_utf8(std::string_view s) {
    std::size_t run = valid_utf8_prefix(s);
    if (run == s.size()) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    for (;;) {
        out.append(s.substr(i, run));
        i += run;
        if (i >= s.size()) break;
        out += replacement;
        i += scan_utf8(p + i, s.size() - i).len;
        run = valid_utf8_prefix(s.substr(i));
    }
    return out;
}

}  // namespace shoal
