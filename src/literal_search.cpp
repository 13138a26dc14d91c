// Case-insensitive literal search (see literal_search.hpp). Sixteen
// positions at a time: a position is a candidate when its first and its last
// byte both match (letters folded with | 0x20, which may also let a few
// non-letters through); candidates are then compared in full.
#include "shoal/literal_search.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace shoal {
namespace {

unsigned char fold(char c) {
    auto u = static_cast<unsigned char>(c);
    return static_cast<unsigned char>(static_cast<unsigned>(u - 'A') < 26u ? u + 32 : u);
}

bool is_lower_letter(unsigned char c) { return c >= 'a' && c <= 'z'; }

bool matches_at(std::string_view text, std::size_t i, std::string_view lit) {
    for (std::size_t k = 0; k < lit.size(); ++k)
        if (fold(text[i + k]) != static_cast<unsigned char>(lit[k])) return false;
    return true;
}

}  // namespace

std::size_t find_ascii_nocase(std::string_view text, std::string_view lit) {
    const std::size_t n = text.size(), m = lit.size();
    if (m == 0) return 0;
    if (m > n) return std::string_view::npos;
    const auto first = static_cast<unsigned char>(lit[0]);
    const auto last = static_cast<unsigned char>(lit[m - 1]);
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i want_first = _mm_set1_epi8(static_cast<char>(first));
    const __m128i want_last = _mm_set1_epi8(static_cast<char>(last));
    const __m128i fold_first = _mm_set1_epi8(is_lower_letter(first) ? 0x20 : 0);
    const __m128i fold_last = _mm_set1_epi8(is_lower_letter(last) ? 0x20 : 0);
    for (; i + (m - 1) + 16 <= n; i += 16) {
        const char* p = text.data() + i;
        __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + m - 1));
        __m128i hit = _mm_and_si128(_mm_cmpeq_epi8(_mm_or_si128(a, fold_first), want_first),
                                    _mm_cmpeq_epi8(_mm_or_si128(b, fold_last), want_last));
        auto mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
        while (mask != 0) {
            std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (matches_at(text, at, lit)) return at;
            mask &= mask - 1;
        }
    }
#endif
    for (; i + m <= n; ++i)
        if (fold(text[i]) == first && matches_at(text, i, lit)) return i;
    return std::string_view::npos;
}

void find_all_nocase(std::string_view text, std::string_view anchor,
                     std::span<const std::string_view> literals, std::span<std::size_t> first) {
    constexpr std::size_t npos = std::string_view::npos;
    std::size_t open = 0;
    for (std::size_t i = 0; i < literals.size(); ++i) {
        first[i] = npos;
        if (literals[i].find(anchor) != npos) ++open;
    }
    // Occurrences of the anchor come in order, so the first one that
    // completes a literal is that literal's first occurrence.
    for (std::size_t from = 0; open > 0 && from < text.size();) {
        std::size_t hit = find_ascii_nocase(text.substr(from), anchor);
        if (hit == npos) break;
        hit += from;
        for (std::size_t i = 0; i < literals.size(); ++i) {
            if (first[i] != npos) continue;
            const std::string_view lit = literals[i];
            std::size_t offset = lit.find(anchor);
            if (offset == npos || hit < offset) continue;
            std::size_t at = hit - offset;
            if (at + lit.size() <= text.size() && matches_at(text, at, lit)) {
                first[i] = at;
                --open;
            }
        }
        from = hit + 1;
    }
}

}  // namespace shoal
