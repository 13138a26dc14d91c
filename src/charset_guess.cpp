// charset_guess: the legacy encoding of an undeclared, non-UTF-8 page, told
// from its bytes (see include/shoal/charset_guess.hpp). Each candidate
// decodes the page's first 16 KiB with to_utf8() and is scored by what the
// text then looks like; the best score wins, windows-1252 on a tie.
#include "shoal/charset_guess.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "shoal/charset.hpp"

namespace shoal {

namespace {

constexpr std::size_t sample_bytes = 16 * 1024;

// Below this many non-ASCII bytes there is too little text to tell (a
// copyright sign, a name in a footer): windows-1252, as before guessing.
constexpr std::size_t min_non_ascii = 8;

enum class script { latin, cyrillic, japanese, simplified_chinese, traditional_chinese, korean };

struct candidate {
    std::string_view charset;
    script kind;
};

// In order of preference on a tie.
constexpr candidate candidates[] = {
    {"WINDOWS-1252", script::latin},           {"WINDOWS-1251", script::cyrillic},
    {"KOI8-R", script::cyrillic},              {"SHIFT_JIS", script::japanese},
    {"EUC-JP", script::japanese},              {"GB18030", script::simplified_chinese},
    {"BIG5", script::traditional_chinese},     {"EUC-KR", script::korean},
};

// The characters each language writes most often (a fifth to a half of its
// running text); a wrong decoding gives characters at random, few of these.
constexpr std::u32string_view latin_frequent =
    U"\u00e9\u00e8\u00e0\u00e7\u00fc\u00f6\u00e4\u00f1\u00e1\u00ed\u00f3\u00fa\u00df\u00ea\u00f4\u00e2\u00ee"
    U"\u00fb\u00ef\u00eb\u00e3\u00f5\u00e5\u00f8\u00e6";
constexpr std::u32string_view cyrillic_frequent = U"оеаинтсрвлкмдпуяыь";
constexpr std::u32string_view simplified_frequent =
    U"的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里用";
constexpr std::u32string_view traditional_frequent =
    U"的一是不了在人有我他這個們中來上大為和國地到以說時要就出會可也你對生能而子那得於著下自之年過發後作裡用";
constexpr std::u32string_view korean_frequent =
    U"이다의는에을하고가지한로기서리으사도자시나대어수인일정를아해들게라전그적보주부과있상성제장면비것내여없소원문";

bool in(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

bool ascii_letter(char32_t c) { return in(c, 'a', 'z') || in(c, 'A', 'Z'); }
bool latin_letter(char32_t c) { return in(c, 0xC0, 0x24F) && c != 0xD7 && c != 0xF7; }
bool cyrillic_letter(char32_t c) { return in(c, 0x410, 0x44F) || c == 0x401 || c == 0x451; }
bool cyrillic_upper(char32_t c) { return in(c, 0x410, 0x42F) || c == 0x401; }
bool cyrillic_lower(char32_t c) { return in(c, 0x430, 0x44F) || c == 0x451; }
bool kana(char32_t c) { return in(c, 0x3041, 0x30FF); }
bool cjk_ideograph(char32_t c) { return in(c, 0x4E00, 0x9FFF); }
bool cjk_punctuation(char32_t c) { return in(c, 0x3000, 0x303F) || in(c, 0xFF01, 0xFF5E); }

// A byte that decoded to nothing, a control character or a private-use one:
// what a wrong decoding gives.
bool garbage(char32_t c) { return c == 0xFFFD || in(c, 0x80, 0x9F) || in(c, 0xE000, 0xF8FF) || c < 0x09; }

// The code points of valid UTF-8 s.
std::u32string code_points(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        char32_t c = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
        for (std::size_t k = 1; k < len && i + k < s.size(); ++k)
            c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out += c;
        i += len;
    }
    return out;
}

// Whether c is a character of the script's running text.
bool belongs(char32_t c, script kind) {
    switch (kind) {
        case script::latin: return latin_letter(c);
        case script::cyrillic: return cyrillic_letter(c);
        case script::japanese: return in(c, 0x3041, 0x30FF) || cjk_ideograph(c) || cjk_punctuation(c);
        case script::simplified_chinese:
        case script::traditional_chinese: return cjk_ideograph(c) || cjk_punctuation(c);
        case script::korean: return in(c, 0xAC00, 0xD7A3);
    }
    return false;
}

// Punctuation a windows-1252 page has beside ASCII text: quotes, dashes,
// the ellipsis, the euro and bullet signs, no-break space.
bool latin_punctuation(char32_t c) {
    return in(c, 0x2018, 0x201E) || c == 0x2013 || c == 0x2014 || c == 0x2026 || c == 0x20AC || c == 0x2022 ||
           c == 0xA0 || c == 0xA9 || c == 0xAE || c == 0xB0 || c == 0x2122;
}

// A frequent set, sorted for binary search.
struct frequent_set {
    std::vector<char32_t> sorted;
    explicit frequent_set(std::u32string_view chars) : sorted(chars.begin(), chars.end()) {
        std::sort(sorted.begin(), sorted.end());
    }
    bool has(char32_t c) const { return std::binary_search(sorted.begin(), sorted.end(), c); }
};

const frequent_set& frequent_of(script kind) {
    static const frequent_set latin(latin_frequent), cyrillic(cyrillic_frequent),
        simplified(simplified_frequent), traditional(traditional_frequent), korean(korean_frequent), none(U"");
    switch (kind) {
        case script::latin: return latin;
        case script::cyrillic: return cyrillic;
        case script::simplified_chinese: return simplified;
        case script::traditional_chinese: return traditional;
        case script::korean: return korean;
        case script::japanese: break;
    }
    return none;
}

// How much of text reads as the script's words, per non-ASCII character:
// one for each that belongs beside another letter of its word, three more
// for each of the language's most frequent ones, six off for each piece of
// garbage. A letter of a Latin alphabet counts beside an ASCII letter (the
// "é" of "café"), any other script's beside one of its own: a wrong
// decoding scatters lone characters (a windows-1252 page's quotes read as
// Shift_JIS make a kanji of each, between ASCII words).
double score(const std::u32string& text, script kind) {
    const frequent_set& frequent = frequent_of(kind);
    std::size_t non_ascii = 0;
    double points = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char32_t c = text[i];
        if (c < 0x80) continue;
        ++non_ascii;
        if (garbage(c)) {
            points -= 6;
            continue;
        }
        const char32_t before = i > 0 ? text[i - 1] : 0;
        const char32_t after = i + 1 < text.size() ? text[i + 1] : 0;
        if (kind == script::latin && latin_punctuation(c) && (before < 0x80 || after < 0x80)) {
            points += 1;
            continue;
        }
        const bool fits = belongs(c, kind) && (kind == script::latin
                                                   ? ascii_letter(before) || ascii_letter(after)
                                                   : belongs(before, kind) || belongs(after, kind));
        if (!fits) continue;
        // A capital after a small letter of its word: what two-byte text
        // read as a Cyrillic code page gives (its bytes fall on both cases
        // at random); Russian text capitalises a word's first letter.
        if (kind == script::cyrillic && cyrillic_upper(c) && cyrillic_lower(before)) {
            points -= 3;
            continue;
        }
        points += 1;
        // Hiragana is the most frequent of all Japanese text: frequent in itself.
        if (kind == script::japanese ? in(c, 0x3041, 0x309F) : frequent.has(c))
            points += 3;
    }
    if (non_ascii == 0) return 0;
    // Japanese text always has kana (its particles are hiragana); Chinese
    // text read as EUC-JP or Shift_JIS gives kanji alone.
    if (kind == script::japanese && points > 0 && std::none_of(text.begin(), text.end(), kana)) points /= 2;
    return points / static_cast<double>(non_ascii);
}

// The share of a page's two-byte characters that GB2312 holds (both bytes
// 0xA1 to 0xFE), which is nearly all of a Chinese page's; Japanese or
// Big5 text read as GB18030 falls on GBK's rare characters instead.
double gb2312_share(std::string_view bytes) {
    std::size_t in_gb2312 = 0, other = 0;
    for (std::size_t i = 0; i + 1 < bytes.size();) {
        const auto lead = static_cast<unsigned char>(bytes[i]);
        if (lead < 0x81) {
            ++i;
            continue;
        }
        const auto trail = static_cast<unsigned char>(bytes[i + 1]);
        if (lead >= 0xA1 && lead <= 0xFE && trail >= 0xA1 && trail <= 0xFE) ++in_gb2312;
        else ++other;
        i += 2;
    }
    return in_gb2312 + other == 0 ? 1.0 : static_cast<double>(in_gb2312) / static_cast<double>(in_gb2312 + other);
}

}  // namespace

std::string_view guess_legacy_charset(std::string_view body) {
    std::string_view sample = body.substr(0, sample_bytes);
    const auto non_ascii = static_cast<std::size_t>(
        std::count_if(sample.begin(), sample.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }));
    if (non_ascii < min_non_ascii) return candidates[0].charset;
    // A character cut by the sample's end is not the candidate's fault: the
    // non-ASCII bytes there, as many as one character may have (three), are
    // left out. (Text may run for kilobytes without an ASCII byte.)
    if (sample.size() == sample_bytes)
        for (int n = 0; n < 3 && !sample.empty() && static_cast<unsigned char>(sample.back()) >= 0x80; ++n)
            sample.remove_suffix(1);
    std::string_view best = candidates[0].charset;
    double best_score = 0;
    for (const candidate& c : candidates) {
        double s = score(code_points(to_utf8(sample, c.charset)), c.kind);
        if (c.kind == script::simplified_chinese) s *= gb2312_share(sample);
        if (s > best_score) {
            best_score = s;
            best = c.charset;
        }
    }
    return best;
}

}  // namespace shoal
