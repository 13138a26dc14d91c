// Fuzzes gzip decoding (decode_content): the fast path (the member header
// read by shoal, libdeflate's deflate decoder, shoal's CRC-32) and the zlib
// fallback behind it. Whatever the bytes, the output stays within the cap.
// Two references judge the first member: zlib, streaming, and libdeflate's
// own gzip decoder (its header reading and CRC-32). Where either decodes the
// whole input as one member, decode_content must give the same bytes; where
// decode_content says ok, one of them must decode the first member, to the
// start of its output. (libdeflate takes some deflate data that zlib
// refuses; it passes over a header CRC, which zlib and shoal check, so a
// member with one that libdeflate alone decodes need not be ok.)
#include <libdeflate.h>
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shoal/content_decoder.hpp"

namespace {

constexpr std::size_t cap = 1 << 20;

// The first gzip member of an input as a reference decoded it: whether it
// ended (the trailer checked), within the cap, and how many input bytes it took.
struct first_member {
    bool whole = false;
    std::size_t used = 0;
    std::string out;
};

first_member zlib_first_member(std::string_view in) {
    first_member m;
    z_stream z{};
    if (inflateInit2(&z, 31) != Z_OK) std::abort();
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    char buf[16384];
    for (;;) {
        z.next_out = reinterpret_cast<Bytef*>(buf);
        z.avail_out = sizeof buf;
        const int rc = inflate(&z, Z_NO_FLUSH);
        m.out.append(buf, sizeof buf - z.avail_out);
        if (m.out.size() > cap) break;
        if (rc == Z_STREAM_END) {
            m.whole = true;
            m.used = in.size() - z.avail_in;
            break;
        }
        if (rc != Z_OK) break;  // Z_BUF_ERROR: the input ended first
    }
    inflateEnd(&z);
    return m;
}

// The first gzip member of in, decoded by libdeflate's gzip decoder.
first_member libdeflate_first_member(std::string_view in) {
    static libdeflate_decompressor* const d = libdeflate_alloc_decompressor();
    if (d == nullptr) std::abort();
    first_member m;
    m.out.resize(cap);
    std::size_t used = 0, produced = 0;
    if (libdeflate_gzip_decompress_ex(d, in.data(), in.size(), m.out.data(), m.out.size(), &used, &produced) ==
        LIBDEFLATE_SUCCESS) {
        m.whole = true;
        m.used = used;
    }
    m.out.resize(produced);
    return m;
}

bool starts_with(const std::string& out, const first_member& m) {
    return m.whole && out.compare(0, m.out.size(), m.out) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string out;
    const shoal::decode_status status = shoal::decode_content("gzip", in, cap, out);
    if (out.size() > cap) std::abort();
    const bool ok = status == shoal::decode_status::ok;
    const bool header_crc = size > 3 && (data[3] & 0x02) != 0;
    const first_member by_zlib = zlib_first_member(in), by_libdeflate = libdeflate_first_member(in);
    // The whole input one member, which decode_content decodes otherwise.
    auto decoded_otherwise = [&](const first_member& m) { return m.whole && m.used == size && (!ok || out != m.out); };
    if (decoded_otherwise(by_zlib) || (!header_crc && decoded_otherwise(by_libdeflate))) std::abort();
    if (ok && size > 0 && !starts_with(out, by_zlib) && !starts_with(out, by_libdeflate))
        std::abort();  // ok for what neither decodes
    return 0;
}
