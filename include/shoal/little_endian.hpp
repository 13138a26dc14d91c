// little_endian: reading the little-endian integers of gzip (RFC 1952) and
// of CRC-32's byte-wise tables from bytes that may sit at any address.
//
//   const std::uint32_t isize = load_le32(trailer + 4);
#pragma once

#include <cstdint>

namespace shoal {

inline std::uint32_t load_le16(const unsigned char* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8;
}

inline std::uint32_t load_le32(const unsigned char* p) noexcept {
    return load_le16(p) | load_le16(p + 2) << 16;
}

}  // namespace shoal
