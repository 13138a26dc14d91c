// crc32: the CRC-32 of gzip and zlib, for checking and writing gzip bodies.
// Carry-less multiplication folds 256 bytes a step where the CPU has
// VPCLMULQDQ and AVX-512, 64 where it has PCLMULQDQ; elsewhere, and for short
// inputs, slicing-by-8 tables. The path is chosen once, at the first call.
//
//   std::uint32_t crc = crc32_gzip(0, head);
//   crc = crc32_gzip(crc, rest);  // the same as crc32_gzip(0, head + rest)
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

// The CRC-32 of gzip and zlib (reflected polynomial 0xEDB88320), continued from crc:
// crc32_gzip(crc32_gzip(0, a), b) == crc32_gzip(0, a + b), as zlib's crc32().
std::uint32_t crc32_gzip(std::uint32_t crc, std::string_view data) noexcept;

}  // namespace shoal

// For tests: each path on its own.
namespace shoal::detail {

enum class crc32_path { table, pclmul, vpclmul };

// Whether this CPU can run path p (table always can).
bool crc32_path_available(crc32_path p) noexcept;

// crc32_gzip by path p; by the table path if p is not available.
std::uint32_t crc32_gzip_with(crc32_path p, std::uint32_t crc, std::string_view data) noexcept;

}  // namespace shoal::detail
