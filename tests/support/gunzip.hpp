// gunzip: zlib's own inflate, as an oracle independent of shoal's decoder,
// for tests that check gzip bodies byte for byte.
#pragma once

#include <catch2/catch.hpp>
#include <zlib.h>

#include <string>
#include <string_view>

namespace shoal::test {

// Inflates one gzip member; fails the test on any error or trailing bytes.
inline std::string gunzip(std::string_view gz) {
    z_stream zs{};
    REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
    std::string out;
    char buf[16384];
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    zs.avail_in = static_cast<uInt>(gz.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
    }
    const uInt left = zs.avail_in;
    inflateEnd(&zs);
    REQUIRE(rc == Z_STREAM_END);  // CRC-32 and ISIZE checked by zlib
    REQUIRE(left == 0);
    return out;
}

}  // namespace shoal::test
