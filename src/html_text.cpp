// HTML character references and whitespace (see html_text.hpp).
#include "shoal/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "shoal/charset.hpp"

namespace shoal {
namespace {

struct named_ref {
    std::string_view name;
    char32_t cp;
};

// Sorted by name for binary search: HTML 4's 252 references, &apos;, the
// upper-case forms HTML keeps of &amp; &lt; &gt; &quot; &copy; &reg;, and
// HTML5's names of ASCII punctuation (&excl; &lpar; &comma; &vert;, as
// PHP's htmlentities(ENT_HTML5) writes them) and of a few common marks
// and spaces (&check; &hyphen; &ThinSpace; &starf;).
constexpr std::array<named_ref, 321> named_refs{{
    {"AElig", 0xC6}, {"AMP", '&'}, {"Aacute", 0xC1}, {"Acirc", 0xC2}, {"Agrave", 0xC0}, {"Alpha", 0x391},
    {"Aring", 0xC5}, {"Atilde", 0xC3}, {"Auml", 0xC4}, {"Beta", 0x392}, {"COPY", 0xA9}, {"Ccedil", 0xC7},
    {"Chi", 0x3A7}, {"CloseCurlyDoubleQuote", 0x201D}, {"CloseCurlyQuote", 0x2019}, {"Dagger", 0x2021},
    {"Delta", 0x394}, {"DiacriticalGrave", '`'}, {"ETH", 0xD0}, {"Eacute", 0xC9}, {"Ecirc", 0xCA},
    {"Egrave", 0xC8}, {"Epsilon", 0x395}, {"Eta", 0x397}, {"Euml", 0xCB}, {"GT", '>'}, {"Gamma", 0x393},
    {"Hat", '^'}, {"Iacute", 0xCD}, {"Icirc", 0xCE}, {"Igrave", 0xCC}, {"Iota", 0x399}, {"Iuml", 0xCF},
    {"Kappa", 0x39A}, {"LT", '<'}, {"Lambda", 0x39B}, {"Mu", 0x39C}, {"NewLine", '\n'}, {"NoBreak", 0x2060},
    {"NonBreakingSpace", 0xA0}, {"Ntilde", 0xD1}, {"Nu", 0x39D}, {"OElig", 0x152}, {"Oacute", 0xD3},
    {"Ocirc", 0xD4}, {"Ograve", 0xD2}, {"Omega", 0x3A9}, {"Omicron", 0x39F}, {"OpenCurlyDoubleQuote", 0x201C},
    {"OpenCurlyQuote", 0x2018}, {"Oslash", 0xD8}, {"Otilde", 0xD5}, {"Ouml", 0xD6}, {"Phi", 0x3A6},
    {"Pi", 0x3A0}, {"Prime", 0x2033}, {"Psi", 0x3A8}, {"QUOT", '"'}, {"REG", 0xAE}, {"Rho", 0x3A1},
    {"Scaron", 0x160}, {"Sigma", 0x3A3}, {"THORN", 0xDE}, {"TRADE", 0x2122}, {"Tab", '\t'}, {"Tau", 0x3A4},
    {"Theta", 0x398}, {"ThinSpace", 0x2009}, {"Uacute", 0xDA}, {"Ucirc", 0xDB}, {"Ugrave", 0xD9},
    {"UnderBar", '_'}, {"Upsilon", 0x3A5}, {"Uuml", 0xDC}, {"VerticalLine", '|'}, {"Xi", 0x39E},
    {"Yacute", 0xDD}, {"Yuml", 0x178}, {"ZeroWidthSpace", 0x200B}, {"Zeta", 0x396}, {"aacute", 0xE1},
    {"acirc", 0xE2}, {"acute", 0xB4}, {"aelig", 0xE6}, {"agrave", 0xE0}, {"alefsym", 0x2135},
    {"alpha", 0x3B1}, {"amp", '&'}, {"and", 0x2227}, {"ang", 0x2220}, {"apos", '\''}, {"aring", 0xE5},
    {"ast", '*'}, {"asymp", 0x2248}, {"atilde", 0xE3}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"beta", 0x3B2},
    {"bigstar", 0x2605}, {"brvbar", 0xA6}, {"bsol", '\\'}, {"bull", 0x2022}, {"bullet", 0x2022},
    {"cap", 0x2229}, {"ccedil", 0xE7}, {"cedil", 0xB8}, {"cent", 0xA2}, {"centerdot", 0xB7},
    {"check", 0x2713}, {"checkmark", 0x2713}, {"chi", 0x3C7}, {"circ", 0x2C6}, {"clubs", 0x2663},
    {"colon", ':'}, {"comma", ','}, {"commat", '@'}, {"cong", 0x2245}, {"copy", 0xA9}, {"crarr", 0x21B5},
    {"cup", 0x222A}, {"curren", 0xA4}, {"dArr", 0x21D3}, {"dagger", 0x2020}, {"darr", 0x2193},
    {"dash", 0x2010}, {"deg", 0xB0}, {"delta", 0x3B4}, {"diams", 0x2666}, {"divide", 0xF7}, {"dollar", '$'},
    {"eacute", 0xE9}, {"ecirc", 0xEA}, {"egrave", 0xE8}, {"empty", 0x2205}, {"emsp", 0x2003},
    {"ensp", 0x2002}, {"epsilon", 0x3B5}, {"equals", '='}, {"equiv", 0x2261}, {"eta", 0x3B7}, {"eth", 0xF0},
    {"euml", 0xEB}, {"euro", 0x20AC}, {"excl", '!'}, {"exist", 0x2203}, {"fnof", 0x192}, {"forall", 0x2200},
    {"frac12", 0xBD}, {"frac14", 0xBC}, {"frac34", 0xBE}, {"frasl", 0x2044}, {"gamma", 0x3B3}, {"ge", 0x2265},
    {"grave", '`'}, {"gt", '>'}, {"hArr", 0x21D4}, {"hairsp", 0x200A}, {"half", 0xBD}, {"harr", 0x2194},
    {"hearts", 0x2665}, {"hellip", 0x2026}, {"hyphen", 0x2010}, {"iacute", 0xED}, {"icirc", 0xEE},
    {"iexcl", 0xA1}, {"igrave", 0xEC}, {"image", 0x2111}, {"infin", 0x221E}, {"int", 0x222B}, {"iota", 0x3B9},
    {"iquest", 0xBF}, {"isin", 0x2208}, {"iuml", 0xEF}, {"kappa", 0x3BA}, {"lArr", 0x21D0}, {"lambda", 0x3BB},
    {"lang", 0x2329}, {"laquo", 0xAB}, {"larr", 0x2190}, {"lbrace", '{'}, {"lbrack", '['}, {"lceil", 0x2308},
    {"lcub", '{'}, {"ldquo", 0x201C}, {"ldquor", 0x201E}, {"le", 0x2264}, {"lfloor", 0x230A},
    {"lowast", 0x2217}, {"lowbar", '_'}, {"loz", 0x25CA}, {"lpar", '('}, {"lrm", 0x200E}, {"lsaquo", 0x2039},
    {"lsqb", '['}, {"lsquo", 0x2018}, {"lsquor", 0x201A}, {"lt", '<'}, {"macr", 0xAF}, {"mdash", 0x2014},
    {"micro", 0xB5}, {"midast", '*'}, {"middot", 0xB7}, {"minus", 0x2212}, {"mu", 0x3BC}, {"nabla", 0x2207},
    {"nbsp", 0xA0}, {"ndash", 0x2013}, {"ne", 0x2260}, {"ni", 0x220B}, {"not", 0xAC}, {"notin", 0x2209},
    {"nsub", 0x2284}, {"ntilde", 0xF1}, {"nu", 0x3BD}, {"num", '#'}, {"numsp", 0x2007}, {"oacute", 0xF3},
    {"ocirc", 0xF4}, {"oelig", 0x153}, {"ograve", 0xF2}, {"oline", 0x203E}, {"omega", 0x3C9},
    {"omicron", 0x3BF}, {"oplus", 0x2295}, {"or", 0x2228}, {"ordf", 0xAA}, {"ordm", 0xBA}, {"oslash", 0xF8},
    {"otilde", 0xF5}, {"otimes", 0x2297}, {"ouml", 0xF6}, {"para", 0xB6}, {"part", 0x2202}, {"percnt", '%'},
    {"period", '.'}, {"permil", 0x2030}, {"perp", 0x22A5}, {"phi", 0x3C6}, {"pi", 0x3C0}, {"piv", 0x3D6},
    {"plus", '+'}, {"plusmn", 0xB1}, {"pound", 0xA3}, {"prime", 0x2032}, {"prod", 0x220F}, {"prop", 0x221D},
    {"psi", 0x3C8}, {"puncsp", 0x2008}, {"quest", '?'}, {"quot", '"'}, {"rArr", 0x21D2}, {"radic", 0x221A},
    {"rang", 0x232A}, {"raquo", 0xBB}, {"rarr", 0x2192}, {"rbrace", '}'}, {"rbrack", ']'}, {"rceil", 0x2309},
    {"rcub", '}'}, {"rdquo", 0x201D}, {"rdquor", 0x201D}, {"real", 0x211C}, {"reg", 0xAE}, {"rfloor", 0x230B},
    {"rho", 0x3C1}, {"rlm", 0x200F}, {"rpar", ')'}, {"rsaquo", 0x203A}, {"rsqb", ']'}, {"rsquo", 0x2019},
    {"rsquor", 0x2019}, {"sbquo", 0x201A}, {"scaron", 0x161}, {"sdot", 0x22C5}, {"sect", 0xA7}, {"semi", ';'},
    {"shy", 0xAD}, {"sigma", 0x3C3}, {"sigmaf", 0x3C2}, {"sim", 0x223C}, {"sol", '/'}, {"spades", 0x2660},
    {"star", 0x2606}, {"starf", 0x2605}, {"sub", 0x2282}, {"sube", 0x2286}, {"sum", 0x2211}, {"sup", 0x2283},
    {"sup1", 0xB9}, {"sup2", 0xB2}, {"sup3", 0xB3}, {"supe", 0x2287}, {"szlig", 0xDF}, {"tau", 0x3C4},
    {"there4", 0x2234}, {"theta", 0x3B8}, {"thetasym", 0x3D1}, {"thinsp", 0x2009}, {"thorn", 0xFE},
    {"tilde", 0x2DC}, {"times", 0xD7}, {"trade", 0x2122}, {"uArr", 0x21D1}, {"uacute", 0xFA},
    {"uarr", 0x2191}, {"ucirc", 0xFB}, {"ugrave", 0xF9}, {"uml", 0xA8}, {"upsih", 0x3D2}, {"upsilon", 0x3C5},
    {"uuml", 0xFC}, {"verbar", '|'}, {"vert", '|'}, {"weierp", 0x2118}, {"xi", 0x3BE}, {"yacute", 0xFD},
    {"yen", 0xA5}, {"yuml", 0xFF}, {"zeta", 0x3B6}, {"zwj", 0x200D}, {"zwnj", 0x200C},
}};
static_assert(std::is_sorted(named_refs.begin(), named_refs.end(),
                             [](const named_ref& a, const named_ref& b) { return a.name < b.name; }) &&
              !named_refs.back().name.empty());
constexpr std::size_t longest_name = 21;  // "CloseCurlyDoubleQuote"

// The references HTML reads without their ';' even before letters or
// digits ("&copy2024" is "©2024"): those of Latin-1 and & < > ".
bool is_legacy(const named_ref& r) {
    if (r.name == "half" || r.name == "centerdot" || r.name == "NonBreakingSpace") return false;  // HTML5's
    return (r.cp >= 0xA0 && r.cp <= 0xFF) || r.cp == '&' || r.cp == '<' || r.cp == '>' || r.cp == '"';
}

const named_ref* find_ref(std::string_view name) {
    auto it = std::lower_bound(named_refs.begin(), named_refs.end(), name,
                               [](const named_ref& r, std::string_view n) { return r.name < n; });
    return it != named_refs.end() && it->name == name ? &*it : nullptr;
}

// A character reference's code point, with NUL as U+FFFD (HTML).
void append_reference(char32_t cp, std::string& out) {
    append_utf8(out, cp == 0 ? char32_t{0xFFFD} : cp);
}

// Decodes the reference at s[0] == '&'. Returns bytes consumed, 0 if none.
std::size_t decode_one(std::string_view s, reference_context where, std::string& out) {
    if (s.size() >= 3 && s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        std::size_t i = hex ? 3 : 2, digits = 0;
        std::uint32_t v = 0;
        // Every digit is read ("&#00000065;" is 'A'); past U+10FFFF the value
        // stays there (U+FFFD).
        for (; i < s.size(); ++i, ++digits) {
            char c = s[i];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : -1;
            if (d < 0) break;
            v = std::min<std::uint32_t>(v * (hex ? 16 : 10) + static_cast<std::uint32_t>(d), 0x110000);
        }
        if (digits == 0) return 0;
        // As HTML reads them: &#146; is U+2019, as windows-1252's byte 0x92;
        // the five C1 controls windows-1252 leaves unassigned stay themselves.
        if (v >= 0x80 && v < 0xA0) v = windows_1252_code_point(static_cast<unsigned char>(v));
        append_reference(v, out);
        return i < s.size() && s[i] == ';' ? i + 1 : i;
    }
    std::size_t end = 1;
    while (end < s.size() && end <= longest_name && std::isalnum(static_cast<unsigned char>(s[end]))) ++end;
    if (end < s.size() && s[end] == ';')
        if (const named_ref* r = find_ref(s.substr(1, end - 1))) {
            append_reference(r->cp, out);
            return end + 1;
        }
    // Without ';': the longest legacy reference the letters start with
    // ("&copy2024"), but in an attribute none that a letter, digit or '='
    // follows (a query string's "&region=" or "&copy=2").
    for (std::size_t len = end - 1; len >= 2; --len) {
        const named_ref* r = find_ref(s.substr(1, len));
        if (r == nullptr || !is_legacy(*r)) continue;
        const char next = 1 + len < s.size() ? s[1 + len] : '\0';
        if (where == reference_context::attribute && (std::isalnum(static_cast<unsigned char>(next)) || next == '='))
            return 0;
        append_reference(r->cp, out);
        return 1 + len;
    }
    return 0;
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

}  // namespace

std::string decode_entities(std::string_view s, reference_context where) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        auto amp = s.find('&', i);
        if (amp == std::string_view::npos) break;
        out.append(s.substr(i, amp - i));
        std::size_t n = decode_one(s.substr(amp), where, out);
        if (n == 0) {
            out += '&';
            n = 1;
        }
        i = amp + n;
    }
    if (i < s.size()) out.append(s.substr(i));
    return out;
}

std::string collapse_whitespace(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    bool pending_space = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        bool nbsp = c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0;
        if (is_space(c) || nbsp) {
            pending_space = !out.empty();
            if (nbsp) ++i;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        if (c == 0) out += "\xEF\xBF\xBD";  // as HTML reads a NUL in a <title>
        else out += static_cast<char>(c);
    }
    return out;
}

std::string html_to_text(std::string_view s, reference_context where) {
    std::string no_tags;
    no_tags.reserve(s.size());
    bool in_tag = false;
    for (char c : s) {
        if (c == '<') in_tag = true;
        else if (c == '>' && in_tag) in_tag = false;
        else if (!in_tag) no_tags += c;
    }
    return collapse_whitespace(decode_entities(no_tags, where));
}

}  // namespace shoal
