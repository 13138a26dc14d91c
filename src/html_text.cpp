// HTML character references and whitespace (see html_text.hpp).
#include "shoal/html_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "shoal/literal_search.hpp"

namespace shoal {
namespace {

struct named_ref {
    std::string_view name;
    char32_t cp;
};

// Sorted by name for binary search. The references shops actually use.
constexpr std::array<named_ref, 58> named_refs{{
    {"AElig", 0xC6}, {"Aring", 0xC5}, {"Auml", 0xC4}, {"Ouml", 0xD6}, {"Uuml", 0xDC},
    {"aacute", 0xE1}, {"aelig", 0xE6}, {"agrave", 0xE0}, {"amp", '&'}, {"apos", '\''},
    {"aring", 0xE5}, {"auml", 0xE4}, {"bdquo", 0x201E}, {"bull", 0x2022}, {"ccedil", 0xE7},
    {"cent", 0xA2}, {"copy", 0xA9}, {"curren", 0xA4}, {"deg", 0xB0}, {"eacute", 0xE9},
    {"ecirc", 0xEA}, {"egrave", 0xE8}, {"euro", 0x20AC}, {"gt", '>'}, {"hellip", 0x2026},
    {"iacute", 0xED}, {"iexcl", 0xA1}, {"iquest", 0xBF}, {"laquo", 0xAB}, {"ldquo", 0x201C},
    {"lsaquo", 0x2039}, {"lsquo", 0x2018}, {"lt", '<'}, {"mdash", 0x2014}, {"middot", 0xB7},
    {"nbsp", 0xA0}, {"ndash", 0x2013}, {"ntilde", 0xF1}, {"oacute", 0xF3}, {"ouml", 0xF6},
    {"pound", 0xA3}, {"quot", '"'}, {"raquo", 0xBB}, {"rdquo", 0x201D}, {"reg", 0xAE},
    {"rsaquo", 0x203A}, {"rsquo", 0x2019}, {"sbquo", 0x201A}, {"sect", 0xA7}, {"shy", 0xAD},
    {"szlig", 0xDF}, {"thinsp", 0x2009}, {"times", 0xD7}, {"trade", 0x2122}, {"uacute", 0xFA},
    {"uuml", 0xFC}, {"yen", 0xA5}, {"zwj", 0x200D},
}};
static_assert(std::is_sorted(named_refs.begin(), named_refs.end(),
                             [](const named_ref& a, const named_ref& b) { return a.name < b.name; }) &&
              !named_refs.back().name.empty());

void append_utf8(char32_t cp, std::string& out) {
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Decodes the reference at s[0] == '&'. Returns bytes consumed, 0 if none.
std::size_t decode_one(std::string_view s, std::string& out) {
    if (s.size() >= 3 && s[1] == '#') {
        bool hex = s[2] == 'x' || s[2] == 'X';
        std::size_t i = hex ? 3 : 2;
        std::uint32_t v = 0;
        std::size_t digits = 0;
        for (; i < s.size() && digits < 8; ++i, ++digits) {
            char c = s[i];
            int d = c >= '0' && c <= '9' ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                    : -1;
            if (d < 0) break;
            v = v * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
        }
        if (digits == 0) return 0;
        if (v >= 0x80 && v < 0xA0) v = 0xFFFD;  // C1 range: windows-1252 in practice, rare
        append_utf8(v, out);
        return i < s.size() && s[i] == ';' ? i + 1 : i;
    }
    std::size_t end = 1;
    while (end < s.size() && end <= 8 && std::isalnum(static_cast<unsigned char>(s[end]))) ++end;
    std::string_view name = s.substr(1, end - 1);
    auto it = std::lower_bound(named_refs.begin(), named_refs.end(), name,
                               [](const named_ref& r, std::string_view n) { return r.name < n; });
    if (it == named_refs.end() || it->name != name) return 0;
    append_utf8(it->cp, out);
    return end < s.size() && s[end] == ';' ? end + 1 : end;
}

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

}  // namespace

std::string decode_entities(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        auto amp = s.find('&', i);
        if (amp == std::string_view::npos) break;
        out.append(s.substr(i, amp - i));
        std::size_t n = decode_one(s.substr(amp), out);
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
        out += static_cast<char>(c);
    }
    return out;
}

std::string html_to_text(std::string_view s) {
    std::string no_tags;
    no_tags.reserve(s.size());
    bool in_tag = false;
    for (char c : s) {
        if (c == '<') in_tag = true;
        else if (c == '>' && in_tag) in_tag = false;
        else if (!in_tag) no_tags += c;
    }
    return collapse_whitespace(decode_entities(no_tags));
}

// Only the first "<title" outside <svg> can start a match: [^>]* runs to the
// first '>' after it, and if no "</title" follows that '>', none follows any
// later one. A <title> inside inline <svg> names the drawing (browsers do not
// take it as the document's title): the search goes on after its </svg>.
std::optional<std::string_view> title_element(std::string_view html) {
    constexpr std::string_view open = "<title", close = "</title";
    constexpr std::size_t npos = std::string_view::npos;
    std::size_t at = npos;
    for (std::size_t from = 0;;) {
        at = find_ascii_nocase(html.substr(from), open);
        if (at == npos) return std::nullopt;
        at += from;
        const std::size_t svg = find_ascii_nocase(html.substr(from, at - from), "<svg");
        if (svg == npos) break;
        const std::size_t svg_end = find_ascii_nocase(html.substr(from + svg), "</svg");
        if (svg_end == npos) return std::nullopt;  // the rest of the page is in the <svg>
        from = from + svg + svg_end;
    }
    std::size_t gt = html.find('>', at + open.size());
    if (gt == npos) return std::nullopt;
    std::string_view inside = html.substr(gt + 1);
    std::size_t end = find_ascii_nocase(inside, close);
    if (end == npos) return std::nullopt;
    return inside.substr(0, end);
}

}  // namespace shoal
