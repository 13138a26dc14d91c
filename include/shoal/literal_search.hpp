// literal_search: finds a short literal in a page without regard to ASCII
// case, without copying the page. The extractor uses it to skip rules whose
// literal a page lacks and to start a rule's search near its literal.
//
//   std::size_t at = find_ascii_nocase(html, "og:title");  // npos if absent
//
// Every occurrence, in one pass (here of the part "price" that several
// literals share; each literal's occurrences are then among them):
//
//   std::array<std::size_t, 256> at;
//   std::size_t n = find_every_nocase(html, "price", at);
//   bool amount = matches_nocase_at(html, at[0], "price:amount");
//
// And ASCII lower case for the rest of shoal (host names, schemes, header
// names), without std::tolower's locale lookup:
//
//   std::string host = ascii_lower(std::string(u.host()));
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace shoal {

// c with an ASCII upper-case letter made lower case; other bytes as they are.
constexpr char ascii_lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

// The value of an ASCII hex digit (0-9, a-f, A-F), or -1 for any other byte.
constexpr int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    const char l = ascii_lower(c);
    return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

// Whether s holds a %XX escape at i: a '%' and two hex digits.
constexpr bool escape_at(std::string_view s, std::size_t i) noexcept {
    return i + 2 < s.size() && s[i] == '%' && hex_digit_value(s[i + 1]) >= 0 && hex_digit_value(s[i + 2]) >= 0;
}

// Appends byte c percent-encoded, in upper-case hex ('{' is "%7B").
inline void append_percent_encoded(std::string& out, unsigned char c) {
    static constexpr char digits[] = "0123456789ABCDEF";
    out += '%';
    out += digits[c >> 4];
    out += digits[c & 15];
}

// s with its ASCII letters in lower case (in place when moved in).
inline std::string ascii_lower(std::string s) noexcept {
    for (char& c : s) c = ascii_lower(c);
    return s;
}

// Whether a and b are equal with ASCII letters of either case ("Gzip", "gzip").
constexpr bool ascii_iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

// s without the spaces and tabs around it (HTTP's optional whitespace).
constexpr std::string_view trim_blanks(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Returns the position of the first occurrence of `lower_literal` in `text`,
// where ASCII letters of `text` match either case, or npos.
// REQUIRES: lower_literal has no ASCII upper-case letters.
// Bytes that are not ASCII letters must match exactly. An empty literal is
// found at 0.
std::size_t find_ascii_nocase(std::string_view text, std::string_view lower_literal);

// Writes the positions of the occurrences of `lower_literal` in `text`, in
// order, to `out` (as find_ascii_nocase matches) and returns how many it
// wrote. When that is out.size() there may be more after the last one.
// Occurrences may overlap ("aa" in "aaa" is at 0 and 1).
std::size_t find_every_nocase(std::string_view text, std::string_view lower_literal,
                              std::span<std::size_t> out);

// The pairs of bytes that find_lt_pair looks for after a '<' ("sc" for
// <script, "!-" for a comment), with the nibble tables of its vector scan.
// Built at compile time:
//
//   constexpr shoal::lt_pairs starts{"!-", "sc", "st"};
//
// REQUIRES: at most 16 pairs, with at most 8 first bytes among them; each
// byte has its 0x20 bit set: a lower-case ASCII letter, '!', '-', '/'.
struct lt_pairs {
    consteval lt_pairs(std::initializer_list<std::string_view> list) {
        for (std::string_view p : list) {
            if (p.size() != 2 || count == pairs.size()) throw "lt_pairs: pairs of two bytes, at most 16";
            pairs[count++] = {p[0], p[1]};
            // One bit per first byte: a second byte's bit says which first
            // bytes it follows.
            std::size_t bit = 0;
            while (bit < firsts && first_bytes[bit] != p[0]) ++bit;
            if (bit == firsts) {
                if (firsts == first_bytes.size()) throw "lt_pairs: at most 8 first bytes";
                first_bytes[firsts++] = p[0];
            }
            const auto a = static_cast<unsigned char>(p[0]), b = static_cast<unsigned char>(p[1]);
            first_lo[a & 15] |= static_cast<unsigned char>(1u << bit);
            first_hi[a >> 4] |= static_cast<unsigned char>(1u << bit);
            second_lo[b & 15] |= static_cast<unsigned char>(1u << bit);
            second_hi[b >> 4] |= static_cast<unsigned char>(1u << bit);
        }
    }

    std::array<std::array<char, 2>, 16> pairs{};
    std::size_t count = 0;
    std::array<char, 8> first_bytes{};
    std::size_t firsts = 0;
    // Indexed by a byte's low and high nibble (letters folded with | 0x20):
    // a byte is among the first bytes with bit k where both entries have it,
    // and a second byte may follow first byte k where both of its have it.
    std::array<unsigned char, 16> first_lo{}, first_hi{}, second_lo{}, second_hi{};
};

// Returns the position of the first '<' in `text` that is followed by one
// of the pairs, its letters in either case, or npos. With "sc", "st" and
// "!-": where a <script>, a <style> or a comment may start (and not a
// <span> or a <section>: they are passed over in the vector scan).
std::size_t find_lt_pair(std::string_view text, const lt_pairs& pairs);

// Whether `text` holds `lower_literal` at `pos`, as find_ascii_nocase
// matches. False when it would run past the end.
bool matches_nocase_at(std::string_view text, std::size_t pos, std::string_view lower_literal);

}  // namespace shoal
