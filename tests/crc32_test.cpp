// Tests for crc32: every path (table, PCLMULQDQ, VPCLMULQDQ) against zlib's
// crc32() at every short length and offset, at random long lengths, when
// continued across random splits, and on known values. Paths this CPU lacks
// are skipped.
#include "shoal/crc32.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using shoal::detail::crc32_path;

const crc32_path all_paths[] = {crc32_path::table, crc32_path::pclmul, crc32_path::vpclmul};

const char* path_name(crc32_path p) {
    switch (p) {
    case crc32_path::table: return "table";
    case crc32_path::pclmul: return "pclmul";
    case crc32_path::vpclmul: return "vpclmul";
    }
    return "?";
}

std::vector<crc32_path> available_paths() {
    std::vector<crc32_path> paths;
    for (crc32_path p : all_paths)
        if (shoal::detail::crc32_path_available(p))
            paths.push_back(p);
        else
            WARN("crc32 path " << path_name(p) << " is not available on this CPU; skipped");
    return paths;
}

std::string random_bytes(std::size_t n, std::mt19937_64& rng) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng() & 0xFF);
    return s;
}

std::uint32_t zlib_crc32(std::uint32_t crc, std::string_view data) {
    // zlib takes a uInt length; split so that any size works.
    while (data.size() > 0) {
        const std::size_t part = data.size() < (1u << 30) ? data.size() : (1u << 30);
        crc = static_cast<std::uint32_t>(
            ::crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(part)));
        data.remove_prefix(part);
    }
    return crc;
}

}  // namespace

TEST_CASE("crc32: the table path is always available", "[crc32]") {
    CHECK(shoal::detail::crc32_path_available(crc32_path::table));
}

TEST_CASE("crc32: known values", "[crc32]") {
    CHECK(shoal::crc32_gzip(0, "123456789") == 0xCBF43926u);
    CHECK(shoal::crc32_gzip(0, "") == 0u);
    CHECK(shoal::crc32_gzip(0, std::string_view()) == 0u);
    CHECK(shoal::crc32_gzip(0xDEADBEEFu, "") == 0xDEADBEEFu);
    CHECK(shoal::crc32_gzip(0, "The quick brown fox jumps over the lazy dog") == 0x414FA339u);
    for (crc32_path p : available_paths()) {
        INFO("path " << path_name(p));
        CHECK(shoal::detail::crc32_gzip_with(p, 0, "123456789") == 0xCBF43926u);
        CHECK(shoal::detail::crc32_gzip_with(p, 0, "") == 0u);
        CHECK(shoal::detail::crc32_gzip_with(p, 0x12345678u, "") == 0x12345678u);
        const std::string zeros(4096, '\0'), ones(4096, '\xFF');
        CHECK(shoal::detail::crc32_gzip_with(p, 0, zeros) == zlib_crc32(0, zeros));
        CHECK(shoal::detail::crc32_gzip_with(p, 0, ones) == zlib_crc32(0, ones));
    }
}

TEST_CASE("crc32: every length up to 2100 at offsets 0 to 7, as zlib", "[crc32]") {
    std::mt19937_64 rng(20240611);
    const std::string buffer = random_bytes(2100 + 8, rng);
    for (crc32_path p : available_paths()) {
        INFO("path " << path_name(p));
        std::size_t mismatches = 0;
        for (std::size_t offset = 0; offset < 8; ++offset)
            for (std::size_t length = 0; length <= 2100; ++length) {
                // In an allocation of its own that ends where the data ends, so that a sanitizer sees any
                // read past the end.
                const std::vector<char> exact(buffer.begin(), buffer.begin() + static_cast<long>(offset + length));
                const std::string_view data(exact.data() + offset, length);
                const auto start = static_cast<std::uint32_t>(rng());
                const std::uint32_t want = zlib_crc32(start, data);
                if (shoal::detail::crc32_gzip_with(p, start, data) != want) {
                    if (mismatches++ < 5) FAIL_CHECK("offset " << offset << " length " << length);
                }
            }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("crc32: random lengths up to 1 MiB, as zlib", "[crc32]") {
    std::mt19937_64 rng(77);
    const std::size_t max_length = std::size_t{1} << 20;
    const std::string buffer = random_bytes(max_length + 64, rng);
    std::uniform_int_distribution<std::size_t> length_of(0, max_length), offset_of(0, 63);
    for (int round = 0; round < 40; ++round) {
        const std::size_t offset = offset_of(rng), length = round == 0 ? max_length : length_of(rng);
        const std::string_view data = std::string_view(buffer).substr(offset, length);
        const auto start = static_cast<std::uint32_t>(rng());
        const std::uint32_t want = zlib_crc32(start, data);
        INFO("offset " << offset << " length " << length);
        CHECK(shoal::crc32_gzip(start, data) == want);
        for (crc32_path p : available_paths()) {
            INFO("path " << path_name(p));
            CHECK(shoal::detail::crc32_gzip_with(p, start, data) == want);
        }
    }
}

TEST_CASE("crc32: continued across random splits, as in one call", "[crc32]") {
    std::mt19937_64 rng(5);
    const std::string buffer = random_bytes(300000, rng);
    const std::uint32_t whole = zlib_crc32(0, buffer);
    REQUIRE(shoal::crc32_gzip(0, buffer) == whole);
    for (crc32_path p : available_paths()) {
        INFO("path " << path_name(p));
        for (int round = 0; round < 50; ++round) {
            // Parts of every size: a few bytes, a few hundred, tens of thousands.
            std::uint32_t crc = 0;
            std::size_t at = 0;
            while (at < buffer.size()) {
                const std::size_t scale = std::size_t{1} << (rng() % 17);
                const std::size_t part = std::min<std::size_t>(rng() % (scale + 1), buffer.size() - at);
                crc = shoal::detail::crc32_gzip_with(p, crc, std::string_view(buffer).substr(at, part));
                at += part;
            }
            CHECK(crc == whole);
        }
    }
}
