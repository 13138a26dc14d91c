// Case-insensitive literal search (see literal_search.hpp). 32 positions at
// a time with AVX2, else 16 with SSE2: a position is a candidate when its
// first and its last byte both match (letters folded with | 0x20, which may
// also let a few non-letters through); candidates are then compared in full.
#include "shoal/literal_search.hpp"

#include <array>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
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

// Folds the letter of a literal's first or last byte: OR-ing 0x20 into
// the text's byte, compared with the lower-case letter, matches both cases.
char fold_bit(unsigned char c) { return is_lower_letter(c) ? 0x20 : 0; }

// For find_lt_pair: whether text[i] is a '<' followed by one of the pairs.
bool pair_at(std::string_view text, std::size_t i, const lt_pairs& t) {
    if (text[i] != '<' || i + 2 >= text.size()) return false;
    const unsigned char a = fold(text[i + 1]), b = fold(text[i + 2]);
    for (std::size_t k = 0; k < t.count; ++k)
        if (a == static_cast<unsigned char>(t.pairs[k][0]) && b == static_cast<unsigned char>(t.pairs[k][1]))
            return true;
    return false;
}

#if defined(__x86_64__)
// Candidates are positions whose first, second and last bytes match (one
// byte more than the first and last alone: in a page's text "p" and "e" four
// bytes apart are common, "pr" and "e" far less), 16 (SSE2) or 64 (AVX2)
// at a time; candidates are then compared in full. Returns the position, or
// npos with `i` at the first position not yet looked at.
std::size_t scan_sse2(std::string_view text, std::string_view lit, std::size_t& i) {
    const std::size_t n = text.size(), m = lit.size(), second = m > 1 ? 1 : 0;
    const auto b0 = static_cast<unsigned char>(lit[0]), b1 = static_cast<unsigned char>(lit[second]),
               bz = static_cast<unsigned char>(lit[m - 1]);
    const __m128i want0 = _mm_set1_epi8(static_cast<char>(b0)), fold0 = _mm_set1_epi8(fold_bit(b0));
    const __m128i want1 = _mm_set1_epi8(static_cast<char>(b1)), fold1 = _mm_set1_epi8(fold_bit(b1));
    const __m128i wantz = _mm_set1_epi8(static_cast<char>(bz)), foldz = _mm_set1_epi8(fold_bit(bz));
    for (; i + (m - 1) + 16 <= n; i += 16) {
        const char* p = text.data() + i;
        auto at = [&](std::size_t k, __m128i fold, __m128i want) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
            return _mm_cmpeq_epi8(_mm_or_si128(v, fold), want);
        };
        const __m128i hit = _mm_and_si128(_mm_and_si128(at(0, fold0, want0), at(second, fold1, want1)),
                                          at(m - 1, foldz, wantz));
        for (auto mask = static_cast<std::uint32_t>(_mm_movemask_epi8(hit)); mask != 0; mask &= mask - 1) {
            std::size_t found = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (matches_at(text, found, lit)) return found;
        }
    }
    return std::string_view::npos;
}

// The first position of a 64-position step (candidates h0 for its first 32,
// h1 for the rest) that `confirmed` accepts, or npos.
template <typename Confirm>
__attribute__((target("avx2"), always_inline)) inline std::size_t first_confirmed_avx2(__m256i h0, __m256i h1,
                                                                                    std::size_t i,
                                                                                    Confirm confirmed) {
    auto mask = static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(h0))) |
                static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm256_movemask_epi8(h1))) << 32;
    for (; mask != 0; mask &= mask - 1) {
        const std::size_t at = i + static_cast<std::size_t>(__builtin_ctzll(mask));
        if (confirmed(at)) return at;
    }
    return std::string_view::npos;
}

// The positions of p[0, 32) whose bytes at +0, +second and +last fold to
// the wanted ones (see scan_avx2).
struct wanted_avx2 {
    __m256i want0, fold0, want1, fold1, wantz, foldz;
};

__attribute__((target("avx2"), always_inline)) inline __m256i candidates_avx2(const char* p, std::size_t second,
                                                                             std::size_t last,
                                                                             const wanted_avx2& w) {
    auto at = [p](std::size_t k, __m256i fold, __m256i want) __attribute__((target("avx2"), always_inline)) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + k));
        return _mm256_cmpeq_epi8(_mm256_or_si256(v, fold), want);
    };
    return _mm256_and_si256(_mm256_and_si256(at(0, w.fold0, w.want0), at(second, w.fold1, w.want1)),
                            at(last, w.foldz, w.wantz));
}

__attribute__((target("avx2"))) std::size_t scan_avx2(std::string_view text, std::string_view lit,
                                                      std::size_t& i) {
    const std::size_t n = text.size(), m = lit.size(), second = m > 1 ? 1 : 0;
    const auto b0 = static_cast<unsigned char>(lit[0]), b1 = static_cast<unsigned char>(lit[second]),
               bz = static_cast<unsigned char>(lit[m - 1]);
    const wanted_avx2 w{_mm256_set1_epi8(static_cast<char>(b0)), _mm256_set1_epi8(fold_bit(b0)),
                        _mm256_set1_epi8(static_cast<char>(b1)), _mm256_set1_epi8(fold_bit(b1)),
                        _mm256_set1_epi8(static_cast<char>(bz)), _mm256_set1_epi8(fold_bit(bz))};
    // 64 positions a step: most steps hold no candidate, one branch each.
    for (; i + (m - 1) + 64 <= n; i += 64) {
        const __m256i h0 = candidates_avx2(text.data() + i, second, m - 1, w);
        const __m256i h1 = candidates_avx2(text.data() + i + 32, second, m - 1, w);
        const __m256i any = _mm256_or_si256(h0, h1);
        if (_mm256_testz_si256(any, any)) continue;
        const std::size_t found =
            first_confirmed_avx2(h0, h1, i, [&](std::size_t at) { return matches_at(text, at, lit); });
        if (found != std::string_view::npos) return found;
    }
    for (; i + (m - 1) + 32 <= n; i += 32) {
        const __m256i hit = candidates_avx2(text.data() + i, second, m - 1, w);
        for (auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(hit)); mask != 0; mask &= mask - 1) {
            const std::size_t found = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (matches_at(text, found, lit)) return found;
        }
    }
    return std::string_view::npos;
}

// For find_lt_pair without AVX2: each '<', 16 positions at a time, is
// looked at in turn.
std::size_t lt_pair_sse2(std::string_view text, const lt_pairs& pairs, std::size_t& i) {
    const std::size_t n = text.size();
    const __m128i lt = _mm_set1_epi8('<');
    for (; i + 2 + 16 <= n; i += 16) {
        const __m128i here = _mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i));
        for (auto mask = static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(here, lt))); mask != 0;
             mask &= mask - 1) {
            const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (pair_at(text, at, pairs)) return at;
        }
    }
    return std::string_view::npos;
}

// The bits that the bytes of v have in both of a pair of nibble tables (see lt_pairs).
__attribute__((target("avx2"), always_inline)) inline __m256i nibble_bits_avx2(__m256i v, __m256i lo,
                                                                              __m256i hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    return _mm256_and_si256(_mm256_shuffle_epi8(lo, _mm256_and_si256(v, low4)),
                            _mm256_shuffle_epi8(hi, _mm256_and_si256(_mm256_srli_epi16(v, 4), low4)));
}

struct pair_tables_avx2 {
    __m256i first_lo, first_hi, second_lo, second_hi;
};

__attribute__((target("avx2"), always_inline)) inline __m256i broadcast_avx2(
    const std::array<unsigned char, 16>& t) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data())));
}

// The positions of p[0, 32) where a '<' is followed by two bytes that may
// be one of the pairs (their bits meet; letters folded with | 0x20).
__attribute__((target("avx2"), always_inline)) inline __m256i pair_hits_avx2(const char* p,
                                                                            const pair_tables_avx2& t) {
    const __m256i case_bit = _mm256_set1_epi8(0x20);
    const __m256i here = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i a = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 1)), case_bit);
    const __m256i b = _mm256_or_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2)), case_bit);
    const __m256i bits = _mm256_and_si256(nibble_bits_avx2(a, t.first_lo, t.first_hi),
                                          nibble_bits_avx2(b, t.second_lo, t.second_hi));
    return _mm256_andnot_si256(_mm256_cmpeq_epi8(bits, _mm256_setzero_si256()),
                               _mm256_cmpeq_epi8(here, _mm256_set1_epi8('<')));
}

// For find_lt_pair: 64 positions a step, the vector's candidates checked
// in full. Returns npos with `i` at the first position not yet looked at.
__attribute__((target("avx2"))) std::size_t lt_pair_avx2(std::string_view text, const lt_pairs& pairs,
                                                         std::size_t& i) {
    const std::size_t n = text.size();
    const pair_tables_avx2 t{broadcast_avx2(pairs.first_lo), broadcast_avx2(pairs.first_hi),
                             broadcast_avx2(pairs.second_lo), broadcast_avx2(pairs.second_hi)};
    for (; i + 2 + 64 <= n; i += 64) {
        const __m256i h0 = pair_hits_avx2(text.data() + i, t);
        const __m256i h1 = pair_hits_avx2(text.data() + i + 32, t);
        const __m256i any = _mm256_or_si256(h0, h1);
        if (_mm256_testz_si256(any, any)) continue;
        const std::size_t found =
            first_confirmed_avx2(h0, h1, i, [&](std::size_t at) { return pair_at(text, at, pairs); });
        if (found != std::string_view::npos) return found;
    }
    for (; i + 2 + 32 <= n; i += 32) {
        for (auto mask = static_cast<std::uint32_t>(_mm256_movemask_epi8(pair_hits_avx2(text.data() + i, t)));
             mask != 0; mask &= mask - 1) {
            const std::size_t at = i + static_cast<std::size_t>(__builtin_ctz(mask));
            if (pair_at(text, at, pairs)) return at;
        }
    }
    return std::string_view::npos;
}

const bool has_avx2 = __builtin_cpu_supports("avx2");
#endif

}  // namespace

std::size_t find_ascii_nocase(std::string_view text, std::string_view lit) {
    const std::size_t n = text.size(), m = lit.size();
    if (m == 0) return 0;
    if (m > n) return std::string_view::npos;
    std::size_t i = 0;
#if defined(__x86_64__)
    std::size_t at = has_avx2 ? scan_avx2(text, lit, i) : scan_sse2(text, lit, i);
    if (at != std::string_view::npos) return at;
#endif
    const auto first = static_cast<unsigned char>(lit[0]);
    for (; i + m <= n; ++i)
        if (fold(text[i]) == first && matches_at(text, i, lit)) return i;
    return std::string_view::npos;
}

std::size_t find_every_nocase(std::string_view text, std::string_view lit, std::span<std::size_t> out) {
    const std::size_t n = text.size(), m = lit.size();
    if (m == 0 || m > n || out.empty()) return 0;
    std::size_t count = 0, i = 0;
#if defined(__x86_64__)
    // Each vector scan goes on from just past the last occurrence.
    for (;;) {
        const std::size_t at = has_avx2 ? scan_avx2(text, lit, i) : scan_sse2(text, lit, i);
        if (at == std::string_view::npos) break;
        out[count++] = at;
        if (count == out.size()) return count;
        i = at + 1;
    }
#endif
    const auto first = static_cast<unsigned char>(lit[0]);
    for (; i + m <= n; ++i) {
        if (fold(text[i]) == first && matches_at(text, i, lit)) {
            out[count++] = i;
            if (count == out.size()) break;
        }
    }
    return count;
}

std::size_t find_lt_pair(std::string_view text, const lt_pairs& pairs) {
    std::size_t i = 0;
#if defined(__x86_64__)
    const std::size_t at = has_avx2 ? lt_pair_avx2(text, pairs, i) : lt_pair_sse2(text, pairs, i);
    if (at != std::string_view::npos) return at;
#endif
    for (; i + 2 < text.size(); ++i)
        if (pair_at(text, i, pairs)) return i;
    return std::string_view::npos;
}

bool matches_nocase_at(std::string_view text, std::size_t pos, std::string_view lit) {
    return pos <= text.size() && lit.size() <= text.size() - pos && matches_at(text, pos, lit);
}

}  // namespace shoal
