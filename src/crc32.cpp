// CRC-32 of gzip (see crc32.hpp). The wide paths treat the data as one long
// polynomial over GF(2) and fold it: a 128-bit lane A = H x^64 + L that has
// D more bits after it is replaced by H (x^(D+32) mod P) + L (x^(D-32) mod P),
// two carry-less products that are congruent to A x^D and fit in 128 bits,
// then XOR-ed into the lane D bits further on. What is left at the end is
// brought to 32 bits by two more folds and a Barrett reduction.
//
// All registers hold bit-reflected polynomials, as the bytes come: bit k of a
// loaded 128-bit lane is the coefficient of x^(127-k). A 33-bit folding
// constant K holds the coefficient of x^(32-j) at bit j, so K is x^n mod P
// reflected in 32 bits and shifted left by one.
//
// Internally the CRC state is not inverted; the public functions invert it
// on the way in and out, as gzip's CRC-32 does.
#include "shoal/crc32.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "shoal/little_endian.hpp"

namespace shoal {
namespace {

using crc_update_fn = std::uint32_t (*)(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept;

// ---- slicing-by-8 tables -------------------------------------------------

constexpr std::uint32_t reflected_polynomial = 0xEDB88320u;

// byte_tables[0][b]: the state after one byte b from state 0. byte_tables[k][b]:
// the same followed by k zero bytes, so that eight bytes are done with eight
// independent lookups.
constexpr std::array<std::array<std::uint32_t, 256>, 8> make_byte_tables() noexcept {
    std::array<std::array<std::uint32_t, 256>, 8> tables{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t state = b;
        for (int bit = 0; bit < 8; ++bit) state = (state >> 1) ^ ((state & 1u) != 0 ? reflected_polynomial : 0u);
        tables[0][b] = state;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b) {
            const std::uint32_t previous = tables[k - 1][b];
            tables[k][b] = (previous >> 8) ^ tables[0][previous & 0xFFu];
        }
    return tables;
}

constexpr auto byte_tables = make_byte_tables();

std::uint32_t table_update(std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
    const auto& t = byte_tables;
    for (; n >= 8; p += 8, n -= 8) {
        const std::uint32_t low = state ^ load_le32(p), high = load_le32(p + 4);
        state = t[7][low & 0xFFu] ^ t[6][(low >> 8) & 0xFFu] ^ t[5][(low >> 16) & 0xFFu] ^ t[4][low >> 24] ^
                t[3][high & 0xFFu] ^ t[2][(high >> 8) & 0xFFu] ^ t[1][(high >> 16) & 0xFFu] ^ t[0][high >> 24];
    }
    if (n == 0) return state;
    // The last 1 to 7 bytes in one step too: byte i, with the state's byte i in it while there is one,
    // is followed by n - 1 - i more bytes; what is left of the state is shifted past all n.
    std::uint32_t next = n < 4 ? state >> (8 * n) : 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t state_byte = i < 4 ? (state >> (8 * i)) & 0xFFu : 0;
        next ^= t[n - 1 - i][(p[i] ^ state_byte) & 0xFFu];
    }
    return next;
}

#if defined(__x86_64__)

// ---- folding constants (derived with GF(2) arithmetic, see the top) ------

// Folding a 128-bit lane forward by D bits: {low 64 bits: x^(D+32), high 64 bits: x^(D-32)}.
constexpr long long x_pow_2080 = 0x11542778a;  // x^2080 mod P: D = 2048 (4 x 512 bits)
constexpr long long x_pow_2016 = 0x1322d1430;  // x^2016 mod P
constexpr long long x_pow_1568 = 0x1821d8bc0;  // x^1568 mod P: D = 1536
constexpr long long x_pow_1504 = 0x12e958ac4;  // x^1504 mod P
constexpr long long x_pow_1056 = 0x1e88ef372;  // x^1056 mod P: D = 1024
constexpr long long x_pow_992 = 0x14a7fe880;   // x^992 mod P
constexpr long long x_pow_544 = 0x154442bd4;   // x^544 mod P: D = 512 (4 x 128 bits)
constexpr long long x_pow_480 = 0x1c6e41596;   // x^480 mod P
constexpr long long x_pow_416 = 0x03db1ecdc;   // x^416 mod P: D = 384
constexpr long long x_pow_352 = 0x174359406;   // x^352 mod P
constexpr long long x_pow_288 = 0x0f1da05aa;   // x^288 mod P: D = 256
constexpr long long x_pow_224 = 0x15a546366;   // x^224 mod P
constexpr long long x_pow_160 = 0x1751997d0;   // x^160 mod P: D = 128
constexpr long long x_pow_96 = 0x0ccaa009e;    // x^96 mod P (also the first step of the final reduction)
constexpr long long x_pow_64 = 0x163cd6124;    // x^64 mod P (second step of the final reduction)
constexpr long long barrett_quotient = 0x1f7011641;  // floor(x^64 / P), reflected in 33 bits
constexpr long long barrett_polynomial = 0x1db710641;  // P itself, reflected in 33 bits

// ---- PCLMULQDQ: 128-bit lanes --------------------------------------------

// Shorter inputs go to the tables, which are faster for them (measured on Zen 4: 16 bytes take 8 ns by the
// tables and 9 by folding, 18 bytes about 11.5 both ways, 32 bytes 15 and 11).
constexpr std::size_t shortest_for_folding = 19;

#define SHOAL_CRC_PCLMUL_TARGET "pclmul,sse4.1"

__attribute__((target(SHOAL_CRC_PCLMUL_TARGET), always_inline)) inline __m128i load_128(
    const unsigned char* p) noexcept {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// The lane moved forward by the distance whose constants are in `constants` (see above).
__attribute__((target(SHOAL_CRC_PCLMUL_TARGET), always_inline)) inline __m128i fold_128(
    __m128i lane, __m128i constants) noexcept {
    return _mm_xor_si128(_mm_clmulepi64_si128(lane, constants, 0x00), _mm_clmulepi64_si128(lane, constants, 0x11));
}

// The state after a message whose last 128 bits, with everything before them
// folded in, are `lane`: lane x^32 mod P.
__attribute__((target(SHOAL_CRC_PCLMUL_TARGET), always_inline)) inline std::uint32_t reduce_128(
    __m128i lane) noexcept {
    const __m128i final_constants = _mm_set_epi64x(x_pow_64, x_pow_96);
    const __m128i barrett_constants = _mm_set_epi64x(barrett_polynomial, barrett_quotient);
    const __m128i zero = _mm_setzero_si128();
    // 96 bits: the low half times x^96, plus the high half (moved down to bits 0..63), times x^32.
    const __m128i bits_96 =
        _mm_xor_si128(_mm_clmulepi64_si128(lane, final_constants, 0x00), _mm_srli_si128(lane, 8));
    // 64 bits: bits 0..31 times x^64, plus bits 32..95.
    const __m128i bits_64 = _mm_xor_si128(
        _mm_clmulepi64_si128(_mm_blend_epi16(bits_96, zero, 0xFC), final_constants, 0x10), _mm_srli_si128(bits_96, 4));
    // Barrett: subtract floor(value / P) P, found as floor(floor(value / x^32) floor(x^64 / P) / x^32).
    const __m128i quotient =
        _mm_clmulepi64_si128(_mm_blend_epi16(bits_64, zero, 0xFC), barrett_constants, 0x00);
    const __m128i multiple = _mm_clmulepi64_si128(_mm_blend_epi16(quotient, zero, 0xFC), barrett_constants, 0x10);
    return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(bits_64, multiple), 1));
}

// pshufb controls: 16 bytes from byte_shift_controls + 16 + r move a lane's bytes r places towards its
// start (byte i takes byte i + r), from byte_shift_controls + r 16 - r places towards its end (byte i takes
// byte i - 16 + r); 0x80 makes a zero byte.
constexpr std::array<unsigned char, 48> make_byte_shift_controls() noexcept {
    std::array<unsigned char, 48> controls{};
    for (std::size_t i = 0; i < 48; ++i)
        controls[i] = i >= 16 && i < 32 ? static_cast<unsigned char>(i - 16) : static_cast<unsigned char>(0x80);
    return controls;
}

constexpr auto byte_shift_controls = make_byte_shift_controls();

// The state after `lane` (everything before it folded in) and then the n bytes at p: 16 bytes a fold,
// then the last 1 to 15 bytes (if any) with the 16 bytes before them, which must be part of the input.
__attribute__((target(SHOAL_CRC_PCLMUL_TARGET), always_inline)) inline std::uint32_t finish_128(
    __m128i lane, const unsigned char* p, std::size_t n) noexcept {
    const __m128i by_128 = _mm_set_epi64x(x_pow_96, x_pow_160);
    for (; n >= 16; p += 16, n -= 16) lane = _mm_xor_si128(fold_128(lane, by_128), load_128(p));
    if (n > 0) {
        // The message ends with lane's 16 bytes and then n more: the last 16 are lane's last 16 - n bytes
        // and the n new ones; lane's first n bytes, as the end of a lane of their own, fold by 128 bits.
        const __m128i toward_start = load_128(byte_shift_controls.data() + 16 + n);
        const __m128i toward_end = load_128(byte_shift_controls.data() + n);
        const __m128i last_16 = _mm_blendv_epi8(load_128(p + n - 16), _mm_shuffle_epi8(lane, toward_start),
                                                toward_end);
        lane = _mm_xor_si128(fold_128(_mm_shuffle_epi8(lane, toward_end), by_128), last_16);
    }
    return reduce_128(lane);
}

// Inputs from 16 bytes to a few dozen: one lane.
__attribute__((target(SHOAL_CRC_PCLMUL_TARGET), always_inline)) inline std::uint32_t short_update_128(
    std::uint32_t state, const unsigned char* p, std::size_t n) noexcept {
    return finish_128(_mm_xor_si128(load_128(p), _mm_cvtsi32_si128(static_cast<int>(state))), p + 16, n - 16);
}

__attribute__((target(SHOAL_CRC_PCLMUL_TARGET))) std::uint32_t pclmul_update(std::uint32_t state,
                                                                            const unsigned char* p,
                                                                            std::size_t n) noexcept {
    if (n < shortest_for_folding) return table_update(state, p, n);
    if (n < 64) return short_update_128(state, p, n);
    __m128i lane0 = _mm_xor_si128(load_128(p), _mm_cvtsi32_si128(static_cast<int>(state)));
    __m128i lane1 = load_128(p + 16), lane2 = load_128(p + 32), lane3 = load_128(p + 48);
    p += 64;
    n -= 64;
    const __m128i by_512 = _mm_set_epi64x(x_pow_480, x_pow_544);
    for (; n >= 64; p += 64, n -= 64) {
        lane0 = _mm_xor_si128(fold_128(lane0, by_512), load_128(p));
        lane1 = _mm_xor_si128(fold_128(lane1, by_512), load_128(p + 16));
        lane2 = _mm_xor_si128(fold_128(lane2, by_512), load_128(p + 32));
        lane3 = _mm_xor_si128(fold_128(lane3, by_512), load_128(p + 48));
    }
    const __m128i by_384 = _mm_set_epi64x(x_pow_352, x_pow_416);
    const __m128i by_256 = _mm_set_epi64x(x_pow_224, x_pow_288);
    const __m128i by_128 = _mm_set_epi64x(x_pow_96, x_pow_160);
    const __m128i lane = _mm_xor_si128(_mm_xor_si128(fold_128(lane0, by_384), fold_128(lane1, by_256)),
                                       _mm_xor_si128(fold_128(lane2, by_128), lane3));
    return finish_128(lane, p, n);
}

// ---- VPCLMULQDQ: 512-bit registers, four 128-bit lanes each --------------

#define SHOAL_CRC_VPCLMUL_TARGET "vpclmulqdq,avx512f,avx512bw,avx512vl,pclmul,sse4.1"

__attribute__((target(SHOAL_CRC_VPCLMUL_TARGET), always_inline)) inline __m512i load_512(
    const unsigned char* p) noexcept {
    return _mm512_loadu_si512(p);
}

// Every 128-bit lane of `lanes` moved forward by the distance in the same lane of `constants`.
__attribute__((target(SHOAL_CRC_VPCLMUL_TARGET), always_inline)) inline __m512i fold_512(
    __m512i lanes, __m512i constants, __m512i addend) noexcept {
    return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(lanes, constants, 0x00),
                                     _mm512_clmulepi64_epi128(lanes, constants, 0x11), addend, 0x96);
}

__attribute__((target(SHOAL_CRC_VPCLMUL_TARGET), always_inline)) inline __m512i lane_constants_512(
    long long low, long long high) noexcept {
    return _mm512_set_epi64(high, low, high, low, high, low, high, low);
}

__attribute__((target(SHOAL_CRC_VPCLMUL_TARGET))) std::uint32_t vpclmul_update(std::uint32_t state,
                                                                              const unsigned char* p,
                                                                              std::size_t n) noexcept {
    if (n < shortest_for_folding) return table_update(state, p, n);
    if (n < 64) return short_update_128(state, p, n);
    __m512i reg = _mm512_xor_si512(load_512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(state))));
    p += 64;
    n -= 64;
    const __m512i by_512 = lane_constants_512(x_pow_544, x_pow_480);
    if (n >= 192) {
        __m512i reg1 = load_512(p), reg2 = load_512(p + 64), reg3 = load_512(p + 128);
        p += 192;
        n -= 192;
        const __m512i by_2048 = lane_constants_512(x_pow_2080, x_pow_2016);
        for (; n >= 256; p += 256, n -= 256) {
            reg = fold_512(reg, by_2048, load_512(p));
            reg1 = fold_512(reg1, by_2048, load_512(p + 64));
            reg2 = fold_512(reg2, by_2048, load_512(p + 128));
            reg3 = fold_512(reg3, by_2048, load_512(p + 192));
        }
        const __m512i by_1536 = lane_constants_512(x_pow_1568, x_pow_1504);
        const __m512i by_1024 = lane_constants_512(x_pow_1056, x_pow_992);
        // The four registers into one: moved forward by 1536, 1024, 512 bits and 0.
        reg = fold_512(reg, by_1536, fold_512(reg1, by_1024, fold_512(reg2, by_512, reg3)));
    }
    for (; n >= 64; p += 64, n -= 64) reg = fold_512(reg, by_512, load_512(p));
    // The four lanes into one: lanes 0, 1, 2 moved forward by 384, 256, 128 bits; lane 3 as it is.
    const __m512i to_last_lane = _mm512_set_epi64(0, 0, x_pow_96, x_pow_160, x_pow_224, x_pow_288, x_pow_352,
                                                  x_pow_416);
    const __m512i folded = fold_512(reg, to_last_lane, _mm512_maskz_mov_epi64(0xC0, reg));
    // (The maskz_ forms with every lane kept: the plain ones make GCC 12 warn of an uninitialized value.)
    __m128i lane = _mm_ternarylogic_epi64(_mm512_maskz_extracti32x4_epi32(0xF, folded, 0),
                                          _mm512_maskz_extracti32x4_epi32(0xF, folded, 1),
                                          _mm512_maskz_extracti32x4_epi32(0xF, folded, 2), 0x96);
    lane = _mm_xor_si128(lane, _mm512_maskz_extracti32x4_epi32(0xF, folded, 3));
    return finish_128(lane, p, n);
}

bool cpu_has_pclmul() noexcept {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    }();
    return has;
}

bool cpu_has_vpclmul() noexcept {
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") && cpu_has_pclmul();
    }();
    return has;
}

#undef SHOAL_CRC_PCLMUL_TARGET
#undef SHOAL_CRC_VPCLMUL_TARGET

#endif  // __x86_64__

crc_update_fn update_for(detail::crc32_path path) noexcept {
#if defined(__x86_64__)
    if (path == detail::crc32_path::vpclmul && cpu_has_vpclmul()) return vpclmul_update;
    if (path == detail::crc32_path::pclmul && cpu_has_pclmul()) return pclmul_update;
#else
    (void)path;
#endif
    return table_update;
}

crc_update_fn best_update() noexcept {
#if defined(__x86_64__)
    if (cpu_has_vpclmul()) return vpclmul_update;
    if (cpu_has_pclmul()) return pclmul_update;
#endif
    return table_update;
}

std::uint32_t run(crc_update_fn update, std::uint32_t crc, std::string_view data) noexcept {
    return ~update(~crc, reinterpret_cast<const unsigned char*>(data.data()), data.size());
}

}  // namespace

std::uint32_t crc32_gzip(std::uint32_t crc, std::string_view data) noexcept {
    static const crc_update_fn update = best_update();
    return run(update, crc, data);
}

namespace detail {

bool crc32_path_available(crc32_path p) noexcept {
    switch (p) {
    case crc32_path::table: return true;
#if defined(__x86_64__)
    case crc32_path::pclmul: return cpu_has_pclmul();
    case crc32_path::vpclmul: return cpu_has_vpclmul();
#endif
    default: return false;
    }
}

std::uint32_t crc32_gzip_with(crc32_path p, std::uint32_t crc, std::string_view data) noexcept {
    return run(update_for(p), crc, data);
}

}  // namespace detail
}  // namespace shoal
