// fnv1a: the 64-bit FNV-1a hash, for what a later run compares (the resume
// fingerprint's content hashes): the same bytes hash the same in every
// build and process, which std::hash does not promise.
//
//   std::uint64_t h = shoal::fnv1a(first_part);
//   h = shoal::fnv1a(second_part, h);  // the hash of both, as of one string
#pragma once

#include <cstdint>
#include <string_view>

namespace shoal {

inline constexpr std::uint64_t fnv1a_basis = 14695981039346656037ull;

// The hash of `bytes`, going on from `h` (the hash of the bytes before them).
constexpr std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = fnv1a_basis) noexcept {
    for (char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace shoal
