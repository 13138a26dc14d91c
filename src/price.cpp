// Price normalisation (see shoal/price.hpp). Three steps over a bounded window
// of the input: clean the text (entities, whitespace, UTF-8), find the number
// tokens and read their separators, then look for a currency marker next to a
// number. Byte-level code with bounds-checked access throughout: it is fed
// whatever bytes pages hold.
#include "shoal/price.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "shoal/charset.hpp"
#include "shoal/literal_search.hpp"

namespace shoal {
namespace {

using std::size_t;
using std::string_view;

// ---- Bytes and UTF-8 ----

unsigned char byte_at(string_view s, size_t i) {
    return i < s.size() ? static_cast<unsigned char>(s[i]) : 0;
}
bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}
bool is_ascii_alpha(unsigned char c) {
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
bool is_ascii_alnum(unsigned char c) {
    return is_digit(c) || is_ascii_alpha(c);
}
constexpr char to_upper(unsigned char c) {
    return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
}
bool has_at(string_view s, size_t i, string_view what) {
    return i <= s.size() && s.size() - i >= what.size() &&
           string_view(s.data() + i, what.size()) == what;
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 when ill-formed.
size_t utf8_len(string_view s, size_t i) {
    const unsigned char c = byte_at(s, i);
    if (i >= s.size()) return 0;
    if (c < 0x80) return 1;
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (s.size() - i < n) return 0;
    const unsigned char c1 = byte_at(s, i + 1);
    if (c1 < lo || c1 > hi) return 0;
    for (size_t k = 2; k < n; ++k) {
        if ((byte_at(s, i + k) & 0xC0) != 0x80) return 0;
    }
    return n;
}

// A "letter" for word boundaries: ASCII letters and the first byte of Latin,
// Greek and Cyrillic letters (lead bytes C3..D4), except '×' and '÷'.
bool letter_at(string_view s, size_t i) {
    const unsigned char c = byte_at(s, i);
    if (is_ascii_alpha(c)) return true;
    if (c < 0xC3 || c > 0xD4) return false;
    return !(c == 0xC3 && (byte_at(s, i + 1) == 0x97 || byte_at(s, i + 1) == 0xB7));
}

// Whether the character that ends just before s[i] is a letter.
bool letter_before(string_view s, size_t i) {
    if (i == 0 || i > s.size()) return false;
    size_t j = i - 1;
    while (j > 0 && i - j < 4 && (byte_at(s, j) & 0xC0) == 0x80) --j;
    return letter_at(s, j);
}

// Byte length of the whitespace character at s[i] (controls count), else 0.
size_t space_len(string_view s, size_t i) {
    const unsigned char c = byte_at(s, i);
    if (i >= s.size()) return 0;
    if (c <= 0x20 || c == 0x7F) return 1;
    const unsigned char c1 = byte_at(s, i + 1), c2 = byte_at(s, i + 2);
    if (c == 0xC2 && (c1 == 0xA0 || c1 == 0x85)) return 2;  // NBSP, NEL
    if (c == 0xE2 && c1 == 0x80 && (c2 <= 0x8A || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF))
        return 3;  // U+2000..U+200A, line/paragraph separators, narrow NBSP
    if (c == 0xE2 && c1 == 0x81 && c2 == 0x9F) return 3;  // medium math space
    if (c == 0xE3 && c1 == 0x80 && c2 == 0x80) return 3;  // ideographic space
    return 0;
}

// Byte length of an invisible character at s[i] (dropped entirely), else 0:
// soft hyphen, zero-width characters, bidi marks, BOM.
size_t invisible_len(string_view s, size_t i) {
    const unsigned char c = byte_at(s, i), c1 = byte_at(s, i + 1), c2 = byte_at(s, i + 2);
    if (c == 0xC2 && c1 == 0xAD) return 2;
    if (c == 0xE2 && c1 == 0x80 && ((c2 >= 0x8B && c2 <= 0x8F) || (c2 >= 0xAA && c2 <= 0xAE)))
        return 3;
    if (c == 0xE2 && c1 == 0x81 && (c2 == 0xA0 || (c2 >= 0xA6 && c2 <= 0xA9))) return 3;
    if (c == 0xEF && c1 == 0xBB && c2 == 0xBF) return 3;
    return 0;
}

// ---- Entities ----

struct named_entity {
    string_view name;
    string_view text;
};

constexpr named_entity entities[] = {
    {"nbsp", "\u00A0"},  {"ensp", "\u2002"},   {"emsp", "\u2003"},  {"thinsp", "\u2009"},
    {"yen", "\u00A5"},   {"euro", "\u20AC"},   {"pound", "\u00A3"}, {"cent", "\u00A2"},
    {"dollar", "$"},     {"curren", "\u00A4"}, {"amp", "&"},        {"lt", "<"},
    {"gt", ">"},         {"quot", "\""},       {"apos", "'"},       {"rsquo", "\u2019"},
    {"ndash", "\u2013"}, {"mdash", "\u2014"},  {"shy", "\u00AD"},   {"comma", ","},
    {"period", "."},     {"colon", ":"},       {"sol", "/"},        {"percnt", "%"},
};

// Decodes a numeric entity "&#36;" / "&#x20AC;" at s[0]; returns bytes used or 0.
size_t decode_numeric_entity(string_view s, std::string& out) {
    const bool hex = (byte_at(s, 2) | 0x20) == 'x';
    size_t i = hex ? 3 : 2, digits = 0;
    std::uint32_t cp = 0;
    for (; digits < 8; ++i, ++digits) {
        const unsigned char c = byte_at(s, i);
        int v = -1;
        if (is_digit(c))
            v = c - '0';
        else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            v = (c | 0x20) - 'a' + 10;
        if (v < 0) break;
        cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
    }
    if (digits == 0 || digits == 8) return 0;
    if (cp == 0x80) cp = 0x20AC;  // windows-1252 euro, as browsers do
    const bool bad = (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                     (cp >= 0x7F && cp < 0xA0) || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF;
    if (bad) return 0;
    append_utf8(out, cp);
    return byte_at(s, i) == ';' ? i + 1 : i;
}

// Decodes the entity at s[0] == '&' into out; returns bytes used, 0 if none.
size_t decode_entity(string_view s, std::string& out) {
    if (byte_at(s, 1) == '#') return decode_numeric_entity(s, out);
    size_t n = 1;
    while (n < 9 && is_ascii_alpha(byte_at(s, n))) ++n;
    const string_view name = s.substr(1, n - 1);
    const bool semicolon = byte_at(s, n) == ';';
    if (!semicolon && is_ascii_alnum(byte_at(s, n))) return 0;
    for (const auto& e : entities) {
        if (e.name.size() != name.size()) continue;
        bool same = true;
        for (size_t k = 0; k < name.size() && same; ++k)
            same = (static_cast<unsigned char>(name[k]) | 0x20) == e.name[k];
        if (!same) continue;
        out += e.text;
        return n + (semicolon ? 1 : 0);
    }
    return 0;
}

std::string decode_entities(string_view in) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size();) {
        const size_t used = in[i] == '&' ? decode_entity(in.substr(i), out) : 0;
        if (used == 0) out += in[i++];
        i += used;
    }
    return out;
}

// ---- Cleaning and folding ----

// The window of the input that is looked at: after leading whitespace, at
// most max_price_input bytes, not ending inside a UTF-8 sequence.
string_view input_window(string_view text) {
    size_t start = 0;
    while (size_t n = space_len(text, start) + invisible_len(text, start)) start += n;
    size_t end = start + std::min(max_price_input, text.size() - start);
    for (int k = 0; k < 3 && end > start && end < text.size(); ++k) {
        if ((byte_at(text, end) & 0xC0) != 0x80) break;
        --end;
    }
    return text.substr(start, end - start);
}

// Collapses whitespace to single spaces, trims, drops invisible characters
// and replaces ill-formed UTF-8 with U+FFFD.
std::string clean_text(string_view in) {
    std::string out;
    out.reserve(in.size());
    bool pending_space = false;
    for (size_t i = 0; i < in.size();) {
        if (size_t n = space_len(in, i)) {
            pending_space = !out.empty();
            i += n;
            continue;
        }
        if (size_t n = invisible_len(in, i)) {
            i += n;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        const size_t n = utf8_len(in, i);
        if (n == 0) {
            out += "\uFFFD";
            ++i;
        } else {
            out.append(in.substr(i, n));
            i += n;
        }
    }
    return out;
}

// Maps full-width, Arabic-Indic, Devanagari and Bengali digits and
// separators to ASCII, and typographic apostrophes to '\'', so the number
// scanner sees one alphabet.
struct fold_rule {
    string_view from;           // first bytes of the sequence
    unsigned char first, last;  // range of the byte after `from`
    char to;                    // ASCII for `first`; the range maps to consecutive characters
};

constexpr fold_rule fold_rules[] = {
    {"\xEF\xBC", 0x90, 0x99, '0'},  // full-width digits
    {"\xD9", 0xA0, 0xA9, '0'},      // Arabic-Indic digits
    {"\xDB", 0xB0, 0xB9, '0'},      // extended Arabic-Indic digits
    {"\xE0\xA5", 0xA6, 0xAF, '0'},  // Devanagari digits
    {"\xE0\xA7", 0xA6, 0xAF, '0'},  // Bengali digits
    {"\xEF\xBC", 0x8C, 0x8C, ','},  {"\xEF\xBC", 0x8E, 0x8E, '.'}, {"\xEF\xBC", 0x84, 0x84, '$'},
    {"\xEF\xBC", 0x87, 0x87, '\''}, {"\xEF\xBD", 0x9E, 0x9E, '~'}, {"\xE2\x80", 0x99, 0x99, '\''},
    {"\xD9", 0xAB, 0xAB, '.'},      {"\xD9", 0xAC, 0xAC, ','},  // Arabic separators
    // Digit-group spaces: figure, punctuation, thin, narrow no-break ("12 345").
    {"\xE2\x80", 0x87, 0x87, ' '}, {"\xE2\x80", 0x88, 0x88, ' '}, {"\xE2\x80", 0x89, 0x89, ' '},
    {"\xE2\x80", 0xAF, 0xAF, ' '},
};

// ---- Currency markers ----

enum marker_flags : unsigned {
    word = 1,         // must not touch a letter on either side
    stem = 2,         // with word: may be followed by letters ("руб" in "рублей")
    before_only = 4,  // only before the number ("R 100")
    after_only = 8,   // only after the number ("100 р.")
    any_case = 16,    // ASCII case-insensitive when next to a number
    anywhere = 32,    // also names the currency when not next to the number
};

struct marker {
    string_view text;
    string_view code;          // ISO 4217
    string_view alternatives;  // codes a matching currency hint may select instead
    unsigned flags;
};

constexpr string_view dollar_lands =
    "CAD AUD NZD HKD TWD SGD MXN ARS CLP COP UYU DOP JMD TTD BSD "
    "BBD BZD NAD FJD LRD SRD GYD BND KYD XCD";
constexpr unsigned code = word | anywhere;
constexpr unsigned code_ci = word | anywhere | any_case;

constexpr marker markers[] = {
    // Dollars and other "$" currencies.
    {"$", "USD", dollar_lands, anywhere},
    {"US$", "USD", "", word | anywhere},
    {"U$S", "USD", "", word | anywhere},
    {"CA$", "CAD", "", word | anywhere},
    {"C$", "CAD", "NIO", word | anywhere},
    {"CAD$", "CAD", "", word | anywhere},
    {"A$", "AUD", "", word | anywhere},
    {"AU$", "AUD", "", word | anywhere},
    {"HK$", "HKD", "", word | anywhere},
    {"NT$", "TWD", "", word | anywhere},
    {"S$", "SGD", "", word | anywhere},
    {"SG$", "SGD", "", word | anywhere},
    {"NZ$", "NZD", "", word | anywhere},
    {"R$", "BRL", "", word | anywhere},
    {"MX$", "MXN", "", word | anywhere},
    {"RD$", "DOP", "", word | anywhere},
    {"CDN$", "CAD", "", word | anywhere},
    {"CAN$", "CAD", "", word | anywhere | any_case},
    {"AR$", "ARS", "", word | anywhere},
    {"COL$", "COP", "", word | anywhere},
    {"CLP$", "CLP", "", word | anywhere},
    {"Mex$", "MXN", "", word | anywhere},
    {"J$", "JMD", "", word | anywhere},
    {"TT$", "TTD", "", word | anywhere},
    {"MOP$", "MOP", "", word | anywhere},
    // eBay writes a space inside: "US $12.99", "C $12.99", "AU $12.99".
    {"US $", "USD", "", word},
    {"C $", "CAD", "", word},
    {"CA $", "CAD", "", word},
    {"AU $", "AUD", "", word},
    {"NZ $", "NZD", "", word},
    {"HK $", "HKD", "", word},
    // French writes the country after the sign: "1 234,56 $ CA".
    {"$ CA", "CAD", "", word | after_only},
    {"$CA", "CAD", "", word | after_only},
    {"$ US", "USD", "", word | after_only},
    {"$US", "USD", "", word | after_only},
    // Symbols.
    {"€", "EUR", "", anywhere},
    {"£", "GBP", "EGP GIP FKP SHP LBP SYP SSP", anywhere},
    {"E£", "EGP", "", word | anywhere},
    {"￡", "GBP", "", anywhere},
    {"¥", "JPY", "CNY", anywhere},
    {"￥", "JPY", "CNY", anywhere},
    {"CN¥", "CNY", "", word | anywhere},
    {"JP¥", "JPY", "", word | anywhere},
    {"₩", "KRW", "", anywhere},
    {"￦", "KRW", "", anywhere},
    {"₽", "RUB", "", anywhere},
    {"₴", "UAH", "", anywhere},
    {"₺", "TRY", "", anywhere},
    {"₹", "INR", "", anywhere},
    {"₨", "INR", "PKR LKR NPR MUR SCR", anywhere},
    {"฿", "THB", "", anywhere},
    {"₫", "VND", "", anywhere},
    {"₪", "ILS", "", anywhere},
    {"₱", "PHP", "", anywhere},
    {"₦", "NGN", "", anywhere},
    {"₡", "CRC", "", anywhere},
    {"₲", "PYG", "", anywhere},
    {"₵", "GHS", "", anywhere},
    {"GH\u00a2", "GHS", "", word | anywhere},  // the cedi as Ghanaian shops write it: GH¢
    {"₸", "KZT", "", anywhere},
    {"₼", "AZN", "", anywhere},
    {"₾", "GEL", "", anywhere},
    {"₭", "LAK", "", anywhere},
    {"৳", "BDT", "", anywhere},
    {"₮", "MNT", "", anywhere},
    {"៛", "KHR", "", anywhere},
    {"֏", "AMD", "", anywhere},
    // Local names and abbreviations.
    {"元", "CNY", "", anywhere},
    {"人民币", "CNY", "", anywhere},
    {"円", "JPY", "", anywhere},
    {"원", "KRW", "", anywhere},
    {"руб", "RUB", "", word | stem | anywhere | any_case},
    {"р.", "RUB", "", word | after_only},
    {"р", "RUB", "", word | after_only},
    {"грн", "UAH", "", word | anywhere},
    {"zł", "PLN", "", word | anywhere | any_case},
    {"zl", "PLN", "", word},
    {"Kč", "CZK", "", word | anywhere},
    {"Ft", "HUF", "", word},
    {"lei", "RON", "", word | any_case},
    {"kr", "SEK", "DKK NOK ISK", word | any_case},
    {"Fr.", "CHF", "", word},
    {"Fr", "CHF", "", word},
    {"SFr.", "CHF", "", word},
    {"TL", "TRY", "", word},
    {"Rs.", "INR", "PKR LKR NPR MUR SCR", word | any_case},
    {"Rs", "INR", "PKR LKR NPR MUR SCR", word | any_case},
    {"บาท", "THB", "", anywhere},
    {"đ", "VND", "", word | after_only},
    {"VNĐ", "VND", "", word | anywhere | any_case},
    {"лв", "BGN", "", word | anywhere},
    {"R", "ZAR", "", word | before_only},
    {"KSh", "KES", "", word | anywhere | any_case},
    {"Tk", "BDT", "", word},
    {"Tk.", "BDT", "", word},
    {"kn", "HRK", "", word},
    {"din.", "RSD", "", word},
    {"din", "RSD", "", word},
    {"дин.", "RSD", "", word},
    {"ден", "MKD", "", word | anywhere},
    {"L.E.", "EGP", "", word},
    {"Dhs.", "AED", "", word | any_case},
    {"Dhs", "AED", "", word | any_case},
    {"SR", "SAR", "SCR", word},
    {"QR", "QAR", "", word},
    {"KD", "KWD", "", word},
    {"BD", "BHD", "", word},
    {"JD", "JOD", "", word},
    {"LD", "LYD", "", word},
    {"DT", "TND", "", word},
    {"B/.", "PAB", "", word},
    {"Gs.", "PYG", "", word},
    {"RM", "MYR", "", word},
    {"Rp", "IDR", "", word},
    {"S/", "PEN", "", word},
    {"S/.", "PEN", "", word},
    {"euro", "EUR", "", word | any_case},
    {"euros", "EUR", "", word | any_case},
    {"RMB", "CNY", "", code_ci},
    {"FCFA", "XOF", "XAF", word | anywhere},
    {"CFA", "XOF", "XAF", word | anywhere},
    {"د.إ", "AED", "", anywhere},
    {"ر.س", "SAR", "", anywhere},
    {"ج.م", "EGP", "", anywhere},
    {"د.ك", "KWD", "", anywhere},
    {"ر.ق", "QAR", "", anywhere},
    {"ر.ع", "OMR", "", anywhere},
    {"د.ب", "BHD", "", anywhere},
    {"د.م", "MAD", "", anywhere},
    {"د.أ", "JOD", "", anywhere},
    {"د.ت", "TND", "", anywhere},
    // ISO codes. Lower case only for those that are not also English words.
    {"USD", "USD", "", code_ci},
    {"EUR", "EUR", "", code_ci},
    {"GBP", "GBP", "", code_ci},
    {"JPY", "JPY", "", code_ci},
    {"CNY", "CNY", "", code_ci},
    {"CHF", "CHF", "", code_ci},
    {"SEK", "SEK", "", code_ci},
    {"NOK", "NOK", "", code_ci},
    {"DKK", "DKK", "", code_ci},
    {"PLN", "PLN", "", code_ci},
    {"CZK", "CZK", "", code_ci},
    {"HUF", "HUF", "", code_ci},
    {"RUB", "RUB", "", code},
    {"UAH", "UAH", "", code_ci},
    {"INR", "INR", "", code_ci},
    {"BRL", "BRL", "", code_ci},
    {"AUD", "AUD", "", code_ci},
    {"CAD", "CAD", "", code},
    {"HKD", "HKD", "", code_ci},
    {"SGD", "SGD", "", code_ci},
    {"NZD", "NZD", "", code_ci},
    {"KRW", "KRW", "", code_ci},
    {"RON", "RON", "", code},
    {"ISK", "ISK", "", code},
    {"TRY", "TRY", "", code},
    {"THB", "THB", "", code},
    {"VND", "VND", "", code},
    {"BGN", "BGN", "", code},
    {"ILS", "ILS", "", code},
    {"NIS", "ILS", "", code},
    {"RUR", "RUB", "", code},
    {"ZAR", "ZAR", "", code},
    {"TWD", "TWD", "", code},
    {"MXN", "MXN", "", code},
    {"ARS", "ARS", "", code},
    {"CLP", "CLP", "", code},
    {"COP", "COP", "", code},
    {"PEN", "PEN", "", code},
    {"IDR", "IDR", "", code},
    {"MYR", "MYR", "", code},
    {"PHP", "PHP", "", code},
    {"AED", "AED", "", code},
    {"SAR", "SAR", "", code},
    {"QAR", "QAR", "", code},
    {"KWD", "KWD", "", code},
    {"BHD", "BHD", "", code},
    {"OMR", "OMR", "", code},
    {"EGP", "EGP", "", code},
    {"NGN", "NGN", "", code},
    {"KES", "KES", "", code},
    {"PKR", "PKR", "", code},
    {"BDT", "BDT", "", code},
    {"LKR", "LKR", "", code},
    {"KZT", "KZT", "", code},
    {"RSD", "RSD", "", code},
    {"BYN", "BYN", "", code},
    {"MAD", "MAD", "", code},
    {"TND", "TND", "", code},
    {"LYD", "LYD", "", code},
    {"GEL", "GEL", "", code},
    {"UYU", "UYU", "", code},
    {"DOP", "DOP", "", code},
    {"XOF", "XOF", "", code},
    {"XAF", "XAF", "", code},
    {"HRK", "HRK", "", code},
    {"JMD", "JMD", "", code},
    {"TTD", "TTD", "", code},
    {"CRC", "CRC", "", code},
    {"GTQ", "GTQ", "", code},
    {"HNL", "HNL", "", code},
    {"NIO", "NIO", "", code},
    {"PAB", "PAB", "", code},
    {"PYG", "PYG", "", code},
    {"VES", "VES", "", code},
    {"KGS", "KGS", "", code},
    {"UZS", "UZS", "", code},
    {"MKD", "MKD", "", code},
    {"MDL", "MDL", "", code},
    {"AZN", "AZN", "", code},
    {"GHS", "GHS", "", code},
    {"TZS", "TZS", "", code},
    {"UGX", "UGX", "", code},
    {"ETB", "ETB", "", code},
    {"ZMW", "ZMW", "", code},
    {"MUR", "MUR", "", code},
    {"NPR", "NPR", "", code},
    {"MMK", "MMK", "", code},
    {"KHR", "KHR", "", code},
    {"LAK", "LAK", "", code},
    {"MNT", "MNT", "", code},
    {"BND", "BND", "", code},
    {"FJD", "FJD", "", code},
    {"DZD", "DZD", "", code},
    {"JOD", "JOD", "", code},
    {"LBP", "LBP", "", code},
    {"IQD", "IQD", "", code},
    {"IRR", "IRR", "", code},
    {"BSD", "BSD", "", code},
    {"BBD", "BBD", "", code},
    {"BZD", "BZD", "", code},
    {"XCD", "XCD", "", code},
    {"NAD", "NAD", "", code},
    {"BWP", "BWP", "", code},
    {"MZN", "MZN", "", code},
    {"AOA", "AOA", "", code},
    {"RWF", "RWF", "", code},
    {"XPF", "XPF", "", code},
    {"SCR", "SCR", "", code},
    {"MVR", "MVR", "", code},
};

// The marker table indexed by its first and by its last byte (ASCII
// upper-cased), so a position is checked only against markers that can match.
constexpr std::size_t marker_count = std::size(markers);

struct byte_index {
    std::array<std::uint16_t, 257> start{};  // markers with byte b: order[start[b], start[b+1])
    std::array<std::uint16_t, marker_count> order{};
};

constexpr byte_index make_index(bool by_last) {
    byte_index ix;
    auto key = [by_last](const marker& m) {
        return static_cast<unsigned char>(
            to_upper(static_cast<unsigned char>(by_last ? m.text.back() : m.text.front())));
    };
    for (const auto& m : markers) ++ix.start[key(m) + 1];
    for (std::size_t b = 0; b < 256; ++b) ix.start[b + 1] += ix.start[b];
    std::array<std::uint16_t, 256> next{};
    for (std::size_t b = 0; b < 256; ++b) next[b] = ix.start[b];
    for (std::size_t k = 0; k < marker_count; ++k)
        ix.order[next[key(markers[k])]++] = static_cast<std::uint16_t>(k);
    return ix;
}

constexpr byte_index by_first = make_index(false);
constexpr byte_index by_last = make_index(true);

// Calls f(marker) for each marker whose first (or last) byte may equal b.
template <typename F>
void for_markers_with(const byte_index& ix, unsigned char b, F f) {
    const unsigned char key = static_cast<unsigned char>(to_upper(b));
    for (std::size_t k = ix.start[key]; k < ix.start[key + 1u]; ++k) f(markers[ix.order[k]]);
}

bool same_byte(unsigned char a, char b, bool fold) {
    const unsigned char bb = static_cast<unsigned char>(b);
    return fold ? to_upper(a) == to_upper(bb) : a == bb;
}

bool text_matches(string_view t, size_t i, const marker& m, bool exact_case) {
    if (i > t.size() || t.size() - i < m.text.size()) return false;
    const bool fold = !exact_case && (m.flags & any_case);
    if (!same_byte(byte_at(t, i), m.text.front(), fold)) return false;
    for (size_t k = 1; k < m.text.size(); ++k) {
        if (!same_byte(byte_at(t, i + k), m.text[k], fold)) return false;
    }
    return true;
}

bool boundaries_ok(string_view t, size_t begin, size_t end, const marker& m) {
    if (!(m.flags & word)) return true;
    return !letter_before(t, begin) && ((m.flags & stem) || !letter_at(t, end));
}

// The longest marker occupying t[begin, end) when `end` is fixed (ending_at)
// or `begin` is fixed (starting at); nullptr when none.
const marker* marker_ending_at(string_view t, size_t end, size_t& begin) {
    const marker* best = nullptr;
    if (end == 0) return best;
    for_markers_with(by_last, byte_at(t, end - 1), [&](const marker& m) {
        const size_t n = m.text.size();
        if ((m.flags & after_only) || n > end || (best && n <= best->text.size())) return;
        if (text_matches(t, end - n, m, false) && boundaries_ok(t, end - n, end, m)) {
            best = &m;
            begin = end - n;
        }
    });
    return best;
}

const marker* marker_starting_at(string_view t, size_t begin, size_t& end, bool exact_case) {
    const marker* best = nullptr;
    for_markers_with(by_first, byte_at(t, begin), [&](const marker& m) {
        const size_t n = m.text.size();
        if ((m.flags & before_only) || (best && n <= best->text.size())) return;
        if (exact_case && !(m.flags & anywhere)) return;
        if (text_matches(t, begin, m, exact_case) && boundaries_ok(t, begin, begin + n, m)) {
            best = &m;
            end = begin + n;
        }
    });
    return best;
}

// First currency named anywhere in t by a marker flagged `anywhere`.
const marker* marker_anywhere(string_view t) {
    for (size_t i = 0; i < t.size(); ++i) {
        if ((byte_at(t, i) & 0xC0) == 0x80) continue;
        size_t end = 0;
        if (const marker* m = marker_starting_at(t, i, end, true)) return m;
    }
    return nullptr;
}

// The marker's code, or the hint when the marker is shared with that currency.
std::string currency_of(const marker& m, string_view hint) {
    for (size_t i = 0; !hint.empty() && i + hint.size() <= m.alternatives.size(); i += 4) {
        if (m.alternatives.substr(i, hint.size()) == hint) return std::string(hint);
    }
    return std::string(m.code);
}

// ---- Numbers ----

struct number {
    size_t begin = 0, end = 0;  // byte range in the folded text
    std::string amount;         // as read_amount() reads it for any currency; empty: no amount
    std::vector<string_view> groups;  // digit groups and the separators between
    std::string seps;                 // them, for reading again (amount_in)
    bool scientific = false;          // amount read with an exponent ("1.5E+3")
};

bool all_zeros(string_view digits) {
    return digits.find_first_not_of('0') == string_view::npos;
}

// Reads digit groups and their separators as an amount (see price.hpp for
// the separator rules). With three_decimals (the currency has three minor
// digits), a '.' or ',' that occurs once, and is the only one of the two,
// is the decimal point also before three digits: "12.500" is 12.500.
// groups.size() == seps.size() + 1.
std::string read_amount(const std::vector<string_view>& groups, string_view seps,
                        price_format format, bool three_decimals = false) {
    const size_t last = seps.find_last_of(".,");
    bool decimal = false;
    if (last != string_view::npos) {
        const bool mixed =
            seps.find('.') != string_view::npos && seps.find(',') != string_view::npos;
        const bool single = seps.find(seps[last]) == last;
        const bool three = groups.back().size() == 3;
        bool zero_int = true;
        for (size_t g = 0; g + 1 < groups.size(); ++g) zero_int = zero_int && all_zeros(groups[g]);
        const bool machine_point = format != price_format::text && seps == ".";
        decimal = mixed || !three || (single && (zero_int || three_decimals)) || machine_point;
    }
    std::string integer;
    const size_t int_groups = decimal ? groups.size() - 1 : groups.size();
    for (size_t g = 0; g < int_groups; ++g) integer.append(groups[g]);
    const size_t nz = integer.find_first_not_of('0');
    integer = nz == std::string::npos ? "0" : integer.substr(nz);
    if (decimal) integer.append(".").append(groups.back());
    return integer;
}

// Whether t[i..] is exactly three digits followed by a non-digit.
bool three_digit_group(string_view t, size_t i) {
    return is_digit(byte_at(t, i)) && is_digit(byte_at(t, i + 1)) && is_digit(byte_at(t, i + 2)) &&
           !is_digit(byte_at(t, i + 3));
}

// The largest exponent a machine-written number may have, either way: one
// beyond it gives no amount.
constexpr int max_exponent = 30;

// Reads the exponent of a machine-written number at t[i] ("e3", "E+3",
// "E-1"; JSON's, without a float) into `exponent` and returns its length,
// or 0 when there is none there. Leading zeros are allowed ("e03");
// `exponent` is max_exponent + 1 when beyond the bound.
size_t read_exponent(string_view t, size_t i, int& exponent) {
    if ((byte_at(t, i) | 0x20) != 'e') return 0;
    size_t k = i + 1;
    const bool minus = byte_at(t, k) == '-';
    if (byte_at(t, k) == '+' || minus) ++k;
    if (!is_digit(byte_at(t, k))) return 0;
    exponent = 0;
    for (; is_digit(byte_at(t, k)); ++k)
        exponent = std::min(exponent * 10 + (byte_at(t, k) - '0'), max_exponent + 1);
    if (minus) exponent = -exponent;
    return k - i;
}

// The decimal amount `amount` ("1.5") times ten to the `exponent` ("1500"
// for 3), by moving its point: digits after it kept as written ("1.50" and
// 1 is "15.0"), leading zeros of the integer part dropped.
std::string shift_point(string_view amount, int exponent) {
    const size_t dot = amount.find('.');
    std::string digits(amount.substr(0, dot));
    if (dot != string_view::npos) digits.append(amount.substr(dot + 1));
    const auto point =
        static_cast<std::ptrdiff_t>(dot == string_view::npos ? amount.size() : dot) + exponent;
    std::string out;
    if (point <= 0) {
        out = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
    } else if (static_cast<size_t>(point) >= digits.size()) {
        out = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
    } else {
        out = digits.substr(0, static_cast<size_t>(point)) + "." +
              digits.substr(static_cast<size_t>(point));
    }
    const size_t nz = out.find_first_not_of('0');
    if (nz == std::string::npos) return "0";
    return out.substr(out[nz] == '.' ? nz - 1 : nz);
}

// Finds the next number in t at or after `from`.
bool next_number(string_view t, size_t from, price_format format, number& out) {
    size_t i = from;
    for (; i < t.size(); ++i) {
        if (is_digit(byte_at(t, i))) break;
        const bool bare_fraction = t[i] == '.' && is_digit(byte_at(t, i + 1)) &&
                                   !letter_before(t, i) && !(i > 0 && is_digit(byte_at(t, i - 1)));
        if (bare_fraction) break;  // ".99"
    }
    if (i >= t.size()) return false;
    out.begin = i;
    std::vector<string_view> groups;
    std::string seps;
    if (t[i] == '.') {  // ".99": an empty integer group
        groups.emplace_back();
        seps += '.';
        ++i;
    }
    for (;;) {
        const size_t start = i;
        while (is_digit(byte_at(t, i))) ++i;
        groups.push_back(t.substr(start, i - start));
        const unsigned char c = byte_at(t, i);
        const bool point = (c == '.' || c == ',') && is_digit(byte_at(t, i + 1));
        const bool group = (c == ' ' || c == '\'') &&
                           seps.find_first_of(".,") == std::string::npos &&
                           groups.back().size() <= 3 && three_digit_group(t, i + 1);
        if (!point && !group) break;
        seps += static_cast<char>(c);
        ++i;
    }
    out.amount = read_amount(groups, seps, format);
    // A machine-written number may have an exponent (a JSON number's
    // "1.5E+3"): read exactly, and no amount when beyond the bound.
    int exponent = 0;
    const size_t exponent_len = format != price_format::text && (seps.empty() || seps == ".")
                                    ? read_exponent(t, i, exponent)
                                    : 0;
    out.scientific = exponent_len > 0;
    if (out.scientific) {
        i += exponent_len;
        out.amount = exponent > max_exponent || exponent < -max_exponent
                         ? std::string()
                         : shift_point(out.amount, exponent);
    }
    out.end = i;
    out.groups = std::move(groups);
    out.seps = std::move(seps);
    return true;
}

// ISO 4217 currencies with three minor digits (IQD has three too, but its
// prices are written without them: it is left out).
bool three_minor_digits(string_view currency) {
    for (string_view iso : {"BHD", "JOD", "KWD", "LYD", "OMR", "TND"})
        if (currency == iso) return true;
    return false;
}

// The amount of num in a currency the text names: "KWD 12.500" is 12.500,
// where "12.500" alone is 12500.
std::string amount_in(const number& num, string_view currency, price_format format) {
    if (!three_minor_digits(currency) || num.scientific) return num.amount;
    return read_amount(num.groups, num.seps, format, true);
}

// A machine-written amount as the program that wrote it meant it, when a
// binary float left its mark: 15 to 17 significant digits (a double
// printed whole), a fraction of 12 digits or more that runs into six or
// more zeros or nines with at most three digits after ("19.990000000000002"
// is 19.99, "19.989999999999998" 19.99, "0.30000000000000004" 0.3); any
// other amount as it is ("1e-30" stays 0.000...1).
std::string without_float_noise(std::string amount) {
    const size_t dot = amount.find('.');
    if (dot == std::string::npos || amount.size() - dot - 1 < 12) return amount;
    const size_t first = amount.find_first_not_of("0.");
    const size_t significant =
        first == std::string::npos ? 0 : amount.size() - first - (first < dot ? 1 : 0);
    if (significant < 15 || significant > 17) return amount;
    const string_view fraction = string_view(amount).substr(dot + 1);
    for (size_t p = 0; p + 6 <= fraction.size(); ++p) {
        const char d = fraction[p];
        if (d != '0' && d != '9') continue;
        size_t run = p;
        while (run < fraction.size() && fraction[run] == d) ++run;
        if (run - p < 6 || fraction.size() - run > 3) {
            p = run - 1;
            continue;
        }
        // Cut at p; for nines, add one at the last digit kept.
        std::string kept = amount.substr(0, dot) + std::string(fraction.substr(0, p));
        if (d == '9') {
            size_t i = kept.size();
            while (i > 0 && kept[i - 1] == '9') kept[--i] = '0';
            if (i == 0) kept.insert(0, "1");
            else ++kept[i - 1];
        }
        const size_t int_len = kept.size() - p;
        return p == 0 ? kept.substr(0, int_len) : kept.substr(0, int_len) + "." + kept.substr(int_len);
    }
    return amount;
}

// The amount of num in `currency`, which the text names (`named`) or the
// page declares. A currency with three minor digits counts only when named
// (amount_in). In an HTML attribute's machine-written value, a known
// currency without three minor digits makes a lone '.' after one to three
// digits and before three group thousands, as in text ("12.990" CLP is
// 12990, "1.299" SEK 1299: shops fill og:price:amount with the price as
// shown, and no such currency has three decimals; never in JSON-LD).
std::string amount_of(const number& num, string_view currency, bool named, price_format format) {
    if (format == price_format::machine && !num.scientific && !currency.empty() && !three_minor_digits(currency) &&
        !num.groups.empty() && num.groups.front().size() <= 3)
        return without_float_noise(read_amount(num.groups, num.seps, price_format::text));
    std::string amount = named ? amount_in(num, currency, format) : num.amount;
    return format == price_format::text ? amount : without_float_noise(std::move(amount));
}

// ---- Candidates ----

// A number with what surrounds it: the currency marker next to it and the
// byte range it covers together with that marker.
struct candidate {
    number num;
    size_t ext_begin = 0, ext_end = 0;
    const marker* mark = nullptr;
    bool usable = false;  // false: glued to letters or a percentage
};

// Byte length of a dash at t[i] ('-', en dash, em dash), else 0.
size_t dash_len(string_view t, size_t i) {
    if (byte_at(t, i) == '-') return 1;
    return has_at(t, i, "\u2013") || has_at(t, i, "\u2014") ? 3 : 0;
}

candidate inspect(string_view t, number num) {
    candidate c;
    c.ext_begin = num.begin;
    c.ext_end = num.end;
    // Before: "$ 12", "EUR12".
    size_t p = num.begin;
    if (p > 0 && t[p - 1] == ' ') --p;
    size_t before_begin = 0;
    const marker* before = marker_ending_at(t, p, before_begin);
    const bool glued_before = letter_before(t, num.begin) && !(before && p == num.begin);
    // After: "12 €", "59,- €", "99:-", "₹ 1,299/-", "1299руб".
    size_t q = num.end;
    const unsigned char sep = byte_at(t, q);
    const bool dash_notation = sep == ',' || sep == '.' || sep == ':' || sep == '/';
    if (dash_notation && dash_len(t, q + 1) > 0) q += 1 + dash_len(t, q + 1);
    const size_t after_begin = q < t.size() && t[q] == ' ' ? q + 1 : q;
    size_t after_end = 0;
    const marker* after = marker_starting_at(t, after_begin, after_end, false);
    // A symbol glued to the digits that follow is theirs ("Model 2024
    // £1,299.00", "Size 10 $49.99"): the next number's prefix.
    if (after && is_digit(byte_at(t, after_end))) after = nullptr;
    const bool glued_after = letter_at(t, num.end) && !(after && after_begin == num.end);
    c.usable = !glued_before && !glued_after && byte_at(t, after_begin) != '%';
    // Prefer the marker that names one currency ("$12 CAD" is CAD), and one
    // glued to the number over one a blank apart ("還元 1,980円": 還元, a
    // refund, ends in 元, but the price is in 円).
    const bool before_apart = p != num.begin;
    const bool after_wins =
        after && (!before || (!before->alternatives.empty() && after->alternatives.empty()) ||
                  (before_apart && after_begin == num.end));
    if (after_wins) {
        c.mark = after;
        c.ext_end = after_end;
    } else if (before) {
        c.mark = before;
        c.ext_begin = before_begin;
    }
    if (c.ext_end < q) c.ext_end = q;
    c.num = std::move(num);
    return c;
}

// Whether a minus sign stands right before the amount or its currency
// ("-$5.00", "$-5.00", "−5,00 €"): a discount or a credit, not a price.
// A dash after a digit ("10-20 €") joins a range instead.
bool negative(string_view t, const candidate& c) {
    for (size_t at : {c.ext_begin, c.num.begin}) {
        size_t sign = 0;
        if (at >= 1 && t[at - 1] == '-') sign = at - 1;
        else if (at >= 3 && t.substr(at - 3, 3) == "\u2212") sign = at - 3;
        else continue;
        if (sign == 0 || !is_digit(byte_at(t, sign - 1))) return true;
    }
    return false;
}

constexpr string_view range_words[] = {
    "-",      "\u2010", "\u2012", "\u2013", "\u2014", "\u2212", "~",
    "\u301C", "\uFF0D", "to",     "bis",    "a",      "\u00e0", "\u0434\u043e",  // до
};

// Integer-part comparison of two amounts: whether a <= b.
bool not_greater(string_view a, string_view b) {
    a = a.substr(0, a.find('.'));
    b = b.substr(0, b.find('.'));
    return a.size() != b.size() ? a.size() < b.size() : a <= b;
}

size_t fraction_digits(string_view amount) {
    const size_t dot = amount.find('.');
    return dot == string_view::npos ? 0 : amount.size() - dot - 1;
}

// Whether `b` continues a range that `a` starts ("10 - 20 €", "$10 to $20"):
// a connector between them, the same shape, low to high. "Size 42 - 29,99 €"
// is no range.
bool in_range(string_view t, const candidate& a, const candidate& b) {
    if (b.ext_begin <= a.ext_end) return false;
    if (fraction_digits(a.num.amount) != fraction_digits(b.num.amount)) return false;
    if (!not_greater(a.num.amount, b.num.amount)) return false;
    string_view gap = t.substr(a.ext_end, b.ext_begin - a.ext_end);
    while (!gap.empty() && gap.front() == ' ') gap.remove_prefix(1);
    while (!gap.empty() && gap.back() == ' ') gap.remove_suffix(1);
    for (string_view w : range_words) {
        if (gap.size() != w.size()) continue;
        bool same = true;
        for (size_t k = 0; k < w.size() && same; ++k)
            same = to_upper(static_cast<unsigned char>(gap[k])) ==
                   to_upper(static_cast<unsigned char>(w[k]));
        if (same) return true;
    }
    return false;
}

// Whether a cent sign follows the number ("99¢", "49 ¢"): its amount is
// in cents then. (Before a number, as in Ghana's "GH¢ 5", it is no cent.)
bool cents_after(string_view t, const number& n) {
    const size_t q = byte_at(t, n.end) == ' ' ? n.end + 1 : n.end;
    return has_at(t, q, "\u00A2") && n.amount.find('.') == std::string::npos && !n.scientific;
}

// A whole number of cents as an amount: "99" is "0.99", "5" is "0.05".
std::string from_cents(string_view cents) {
    std::string digits(cents);
    if (digits.size() < 3) digits.insert(0, 3 - digits.size(), '0');
    const size_t point = digits.size() - 2;
    const size_t nz = digits.find_first_not_of('0');
    const std::string whole = nz >= point ? "0" : digits.substr(nz, point - nz);
    return whole + "." + digits.substr(point);
}

// The folded text with French retail's cents after the currency ("19€99",
// "1 299€99": 19.99 and 1299.99 EUR) written as a decimal amount before it
// ("19.99€"): a currency glued to a digit before it and to exactly two
// digits after it, which no further digit or decimal part follows.
std::string with_glued_cents_read(std::string t) {
    for (size_t i = 0; i + 3 < t.size(); ++i) {
        if (!is_digit(byte_at(t, i)) || is_digit(byte_at(t, i + 1))) continue;
        size_t end = 0;
        const marker* m = marker_starting_at(t, i + 1, end, false);
        if (m == nullptr || !is_digit(byte_at(t, end)) || !is_digit(byte_at(t, end + 1))) continue;
        const unsigned char next = byte_at(t, end + 2);
        if (is_digit(next) || ((next == '.' || next == ',') && is_digit(byte_at(t, end + 3)))) continue;
        const std::string mark = t.substr(i + 1, end - i - 1);
        t = t.substr(0, i + 1) + "." + t.substr(end, 2) + mark + t.substr(end + 2);
        i += 3 + mark.size();
    }
    return t;
}

// Whether t ends, before `end` and blanks, with `word` (lower case; ASCII
// letters of t in any case), which starts after a non-letter.
bool word_before(string_view t, size_t end, string_view word) {
    while (end > 0 && t[end - 1] == ' ') --end;
    return end >= word.size() && matches_nocase_at(t, end - word.size(), word) && !letter_before(t, end - word.size());
}

// Words before an amount that make it one instalment of the price ("10x de
// R$ 29,90", "12 cuotas de $ 1.999", "or 4 payments of $12.50").
constexpr string_view instalment_words[] = {
    "x de", "cuotas de", "cuotas sin inter\u00e9s de", "cuotas sin interes de", "parcelas de",
    "payments of", "installments of", "instalments of", "mensualit\u00e9s de", "rate da", "raten \u00e0",
    "raten zu je",
};

// Words after an amount that make it a monthly one ("$19.99/mo", "R$ 49,90 por mês").
constexpr string_view monthly_words[] = {
    "/mo", "/month", "per month", "a month", "/m\u00eas", "por m\u00eas", "/mes", "al mes", "por mes",
    "/monat", "pro monat", "im monat", "/mois", "par mois",
};

// Whether the candidate is an instalment or a monthly amount, not the price.
bool instalment(string_view t, const candidate& c) {
    for (string_view w : instalment_words)
        if (word_before(t, c.ext_begin, w)) return true;
    // "10x R$ 29,90", "12 x $ 99": a count and an x.
    size_t end = c.ext_begin;
    while (end > 0 && t[end - 1] == ' ') --end;
    if (end >= 2 && (t[end - 1] == 'x' || t[end - 1] == 'X' || (end >= 3 && t.substr(end - 2, 2) == "\u00d7"))) {
        size_t d = t[end - 1] == 'x' || t[end - 1] == 'X' ? end - 1 : end - 2;
        while (d > 0 && t[d - 1] == ' ') --d;
        if (d > 0 && is_digit(byte_at(t, d - 1))) return true;
    }
    size_t after = c.ext_end;
    if (byte_at(t, after) == ' ') ++after;
    for (string_view w : monthly_words)
        if (matches_nocase_at(t, after, w) && !letter_at(t, after + w.size())) return true;
    return false;
}

std::optional<price> parse(string_view text, string_view currency_hint, price_format format) {
    price result;
    result.raw = clean_text(decode_entities(decode_entities(input_window(text))));
    const std::string t = with_glued_cents_read(fold_for_parsing(result.raw));
    const std::string hint = currency_code(currency_hint);
    // The first number with a currency wins, reported as the start of its
    // range; an instalment's only when there is no other.
    std::optional<price> instalment_price;
    std::optional<number> first;
    std::optional<candidate> previous;
    number range_start;
    number num;
    for (size_t from = 0; next_number(t, from, format, num);) {
        from = num.end;
        candidate c = inspect(t, std::move(num));
        if (!c.usable || c.num.amount.empty() || negative(t, c)) continue;
        if (!previous || !in_range(t, *previous, c)) range_start = c.num;
        if (cents_after(t, c.num)) {
            // Dollar cents (or those of a "$" currency the hint names).
            static_assert(markers[0].text == "$");
            result.currency = currency_of(markers[0], hint);
            const bool whole = range_start.amount.find('.') == std::string::npos;
            result.amount = from_cents(whole ? range_start.amount : c.num.amount);
            return result;
        }
        if (c.mark) {
            result.currency = currency_of(*c.mark, hint);
            result.amount = amount_of(range_start, result.currency, true, format);
            if (format == price_format::text && instalment(t, c)) {
                // Nor does it start a range: "10x R$ 29,90 - R$ 299,00" is 299,00.
                if (!instalment_price) instalment_price = result;
                previous.reset();
                continue;
            }
            return result;
        }
        if (!first) first = c.num;
        previous = std::move(c);
    }
    if (instalment_price) return instalment_price;
    if (!first) return std::nullopt;
    // No currency next to any number: one named elsewhere, else the hint
    // (which does not change how the number reads).
    const marker* m = marker_anywhere(t);
    result.currency = m ? currency_of(*m, hint) : hint;
    result.amount = amount_of(*first, result.currency, m != nullptr, format);
    return result;
}

// ISO 4217's codes (list one): the iso-codes 4.15 list (2023), with ZWG
// (2024) and XCG (2025) added. Codes withdrawn since (HRK, ANG, SLL, ZWL,
// CUC) stay: pages still show them, and parse_price reads HRK.
constexpr std::array<string_view, 183> iso_4217_codes{{
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP",
    "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP",
    "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR",
    "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
    "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD",
    "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG",
    "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE",
    "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
    "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG",
    "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS", "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG",
    "ZWL",

}};
static_assert(std::is_sorted(iso_4217_codes.begin(), iso_4217_codes.end()));

}  // namespace

std::string fold_for_parsing(string_view s) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size();) {
        const fold_rule* hit = nullptr;
        if (byte_at(s, i) < 0x80) {  // every rule starts with a non-ASCII byte
            out += s[i++];
            continue;
        }
        for (const auto& r : fold_rules) {
            const unsigned char next = byte_at(s, i + r.from.size());
            if (has_at(s, i, r.from) && next >= r.first && next <= r.last) hit = &r;
        }
        if (hit == nullptr) {
            out += s[i++];
            continue;
        }
        const unsigned char next = byte_at(s, i + hit->from.size());
        out += static_cast<char>(hit->to + (next - hit->first));
        i += hit->from.size() + 1;
    }
    return out;
}

std::string currency_code(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    std::string out;
    if (text.size() != 3) return out;
    for (char ch : text) {
        if (!is_ascii_alpha(static_cast<unsigned char>(ch))) return {};
        out += to_upper(static_cast<unsigned char>(ch));
    }
    // Codes pages still give for ones ISO 4217 has replaced or never had:
    // the ruble before 1998 (Russian shops' feeds keep it), the shekel's
    // initials.
    if (out == "RUR") return "RUB";
    if (out == "NIS") return "ILS";
    if (!is_iso_4217_code(out)) return {};
    return out;
}

bool is_iso_4217_code(std::string_view text) {
    return std::binary_search(iso_4217_codes.begin(), iso_4217_codes.end(), text);
}

std::optional<price> parse_price(std::string_view text, std::string_view currency_hint,
                                 price_format format) {
    try {
        return parse(text, currency_hint, format);
    } catch (...) {  // only std::bad_alloc is possible; no price then
        return std::nullopt;
    }
}

}  // namespace shoal
