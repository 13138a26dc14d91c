// gzip and deflate decoding, capped (see content_decoder.hpp): libdeflate for
// whole buffers, the gzip member header and trailer read here, zlib streaming
// for everything else.
#include "shoal/content_decoder.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "shoal/crc32.hpp"
#include "shoal/little_endian.hpp"
#include "shoal/literal_search.hpp"

namespace shoal {
namespace {

// Whether the bytes after a whole gzip member start another one (its magic
// bytes, or the first of them at the very end). Other bytes there (a line
// break some servers add) are not part of the stream: they are ignored, as
// gzip -d and curl do.
bool another_gzip_member(std::string_view rest) {
    return !rest.empty() && static_cast<unsigned char>(rest[0]) == 0x1f &&
           (rest.size() == 1 || static_cast<unsigned char>(rest[1]) == 0x8b);
}

// Inflates with the given windowBits (31 = gzip, 15 = zlib, -15 = raw).
decode_status inflate_all(std::string_view in, int window_bits, std::size_t cap, std::string& out) {
    z_stream z{};
    if (inflateInit2(&z, window_bits) != Z_OK) return decode_status::corrupt;
    out.clear();
    // Guess the decoded size (pages compress 3-5x), grow as needed up to cap.
    out.resize(std::min(cap, std::max<std::size_t>(in.size() * 4, 16384)));
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::size_t produced = 0;
    decode_status result = decode_status::ok;
    for (;;) {
        if (produced == out.size() && out.size() < cap) out.resize(std::min(cap, out.size() * 2));
        // Full at the cap: what is left may still hold no byte of output
        // (a member's trailer, an empty member after it), so one byte of
        // room more tells whether the body is larger than the cap.
        const bool at_cap = produced == out.size();
        Bytef probe = 0;
        z.next_out = at_cap ? &probe : reinterpret_cast<Bytef*>(out.data() + produced);
        z.avail_out = at_cap ? 1U : static_cast<uInt>(out.size() - produced);
        int rc = inflate(&z, Z_NO_FLUSH);
        if (at_cap && z.avail_out == 0) {
            result = decode_status::too_large;
            break;
        }
        if (!at_cap) produced = out.size() - z.avail_out;
        if (rc == Z_STREAM_END) {
            // Concatenated gzip members: keep going on what is left.
            const std::string_view rest(reinterpret_cast<const char*>(z.next_in), z.avail_in);
            if (window_bits == 31 && another_gzip_member(rest) && inflateReset(&z) == Z_OK) continue;
            break;
        }
        if (rc == Z_BUF_ERROR && z.avail_out != 0) {
            result = decode_status::truncated;  // input ended before the stream did
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            result = decode_status::corrupt;
            break;
        }
    }
    inflateEnd(&z);
    out.resize(produced);
    return result;
}

// libdeflate decodes whole buffers about twice as fast as zlib. It needs the
// output size up front: the gzip trailer's ISIZE, else a guess, doubled up to
// the cap. Anything it cannot do (bombs, corrupt or multi-member input) falls
// back to the streaming zlib path, which gives the exact status.
enum class format { gzip, zlib, raw };

// The bytes of in from `at` on (at least 2 or 4 of them), as gzip's integers.
std::uint32_t le16_at(std::string_view in, std::size_t at) {
    return load_le16(reinterpret_cast<const unsigned char*>(in.data() + at));
}

std::uint32_t le32_at(std::string_view in, std::size_t at) {
    return load_le32(reinterpret_cast<const unsigned char*>(in.data() + at));
}

// The length of the gzip member header in starts with (RFC 1952 2.3: the
// fixed ten bytes, then the optional extra field, name, comment and header
// CRC), or 0 when in starts with no deflate member header whole and right.
// The header CRC is checked, as zlib, gzip -d and curl check it (libdeflate
// passes over it): a member with a wrong one is corrupt, alone or not.
std::size_t gzip_header_size(std::string_view in) {
    constexpr unsigned char fhcrc = 2, fextra = 4, fname = 8, fcomment = 16, reserved = 0xE0;
    if (in.size() < 10 || static_cast<unsigned char>(in[0]) != 0x1f || static_cast<unsigned char>(in[1]) != 0x8b ||
        in[2] != 8)
        return 0;
    const auto flags = static_cast<unsigned char>(in[3]);
    if ((flags & reserved) != 0) return 0;
    std::size_t at = 10;
    if ((flags & fextra) != 0) {
        if (in.size() < at + 2) return 0;
        at += 2 + le16_at(in, at);
    }
    for (const unsigned char text : {fname, fcomment}) {
        if ((flags & text) == 0) continue;
        const std::size_t nul = at < in.size() ? in.find('\0', at) : std::string_view::npos;
        if (nul == std::string_view::npos) return 0;
        at = nul + 1;
    }
    if ((flags & fhcrc) != 0) {
        // The low 16 bits of the CRC-32 of the header before it.
        if (at > in.size() || in.size() - at < 2) return 0;
        if ((crc32_gzip(0, in.substr(0, at)) & 0xFFFFu) != le16_at(in, at)) return 0;
        at += 2;
    }
    return at <= in.size() ? at : 0;
}

// Decodes one gzip member's deflate data and checks its trailer (the CRC-32
// and length of what it decodes to); in_used is then the member's length.
libdeflate_result inflate_gzip_member(libdeflate_decompressor* d, std::string_view in, char* out, std::size_t room,
                                      std::size_t& in_used, std::size_t& produced) {
    const std::size_t header = gzip_header_size(in);
    if (header == 0) return LIBDEFLATE_BAD_DATA;
    std::size_t deflate_used = 0;
    const libdeflate_result rc = libdeflate_deflate_decompress_ex(d, in.data() + header, in.size() - header, out,
                                                                  room, &deflate_used, &produced);
    if (rc != LIBDEFLATE_SUCCESS) return rc;
    const std::size_t trailer = header + deflate_used;
    if (in.size() - trailer < 8) return LIBDEFLATE_BAD_DATA;
    if (le32_at(in, trailer) != crc32_gzip(0, std::string_view(out, produced)) ||
        le32_at(in, trailer + 4) != static_cast<std::uint32_t>(produced))
        return LIBDEFLATE_BAD_DATA;
    in_used = trailer + 8;
    return LIBDEFLATE_SUCCESS;
}

bool fast_inflate(std::string_view in, format f, std::size_t cap, std::string& out, std::size_t& produced) {
    static thread_local libdeflate_decompressor* d = libdeflate_alloc_decompressor();
    if (d == nullptr) return false;
    std::size_t size = std::max<std::size_t>(in.size() * 4, 16384);
    if (f == format::gzip && in.size() >= 18) size = le32_at(in, in.size() - 4);
    size = std::min(std::max<std::size_t>(size, 1), cap);
    for (;;) {
        // out only grows: the room it has from the last body is used as is.
        if (out.size() < size) out.resize(size);
        const std::size_t room = std::max(size, std::min(out.size(), cap));
        std::size_t in_used = 0;
        produced = 0;
        libdeflate_result rc =
            f == format::gzip ? inflate_gzip_member(d, in, out.data(), room, in_used, produced)
            : f == format::zlib ? libdeflate_zlib_decompress_ex(d, in.data(), in.size(), out.data(),
                                                               room, &in_used, &produced)
                                : libdeflate_deflate_decompress_ex(d, in.data(), in.size(),
                                                                  out.data(), room, &in_used,
                                                                  &produced);
        if (rc == LIBDEFLATE_SUCCESS &&
            (in_used == in.size() || (f == format::gzip && !another_gzip_member(in.substr(in_used)))))
            return true;
        if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || room >= cap) return false;
        size = std::min(room * 2, cap);
    }
}

// Decodes one coding ("gzip", "identity", ...); see decode_content_into.
decode_status decode_one_into(std::string_view encoding, std::string_view in, std::size_t cap,
                              std::string& out, std::size_t& size) {
    encoding = trim_blanks(encoding);
    decode_status rc = decode_status::ok;
    if (in.empty()) {
        // No body at all (a 204, or a server that labels every answer): no
        // stream to undo, as browsers and curl take it, whatever the encoding.
        size = 0;
        return rc;
    }
    if (!needs_decoding(encoding)) {
        if (in.size() > cap) {
            in = in.substr(0, cap);
            rc = decode_status::too_large;
        }
        out.assign(in);
        size = out.size();
        return rc;
    }
    if (ascii_iequals(encoding, "gzip") || ascii_iequals(encoding, "x-gzip")) {
        if (fast_inflate(in, format::gzip, cap, out, size)) return decode_status::ok;
        rc = inflate_all(in, 31, cap, out);
    } else if (ascii_iequals(encoding, "deflate")) {
        if (fast_inflate(in, format::zlib, cap, out, size) || fast_inflate(in, format::raw, cap, out, size))
            return decode_status::ok;
        // "deflate" should be zlib-wrapped; some servers send raw deflate.
        rc = inflate_all(in, 15, cap, out);
        if (rc == decode_status::corrupt) rc = inflate_all(in, -15, cap, out);
    } else {
        rc = decode_status::unsupported;
        out.clear();
    }
    size = out.size();
    return rc;
}

// More codings than this in one list ("gzip, gzip, ...") are refused.
constexpr std::size_t max_codings = 4;

// The codings of a list in the order they were applied, identity and empty
// items left out; false when there are more than max_codings.
bool codings_of(std::string_view list, std::vector<std::string_view>& out) {
    out.clear();
    for (std::size_t start = 0; start <= list.size();) {
        std::size_t comma = list.find(',', start);
        if (comma == std::string_view::npos) comma = list.size();
        const std::string_view coding = trim_blanks(list.substr(start, comma - start));
        if (!coding.empty() && !ascii_iequals(coding, "identity")) {
            if (out.size() == max_codings) return false;
            out.push_back(coding);
        }
        start = comma + 1;
    }
    return true;
}

}  // namespace

bool needs_decoding(std::string_view encoding) {
    // Asked for every page: no list is made, one coding other than identity is enough.
    for (std::size_t start = 0; start <= encoding.size();) {
        const std::size_t comma = std::min(encoding.find(',', start), encoding.size());
        const std::string_view coding = trim_blanks(encoding.substr(start, comma - start));
        if (!coding.empty() && !ascii_iequals(coding, "identity")) return true;
        start = comma + 1;
    }
    return false;
}

decode_status decode_content_into(std::string_view encoding, std::string_view in, std::size_t cap,
                                  std::string& out, std::size_t& size) {
    if (encoding.find(',') == std::string_view::npos) return decode_one_into(encoding, in, cap, out, size);
    std::vector<std::string_view> codings;
    if (!codings_of(encoding, codings)) {
        out.clear();
        size = 0;
        return decode_status::unsupported;
    }
    if (codings.size() <= 1)
        return decode_one_into(codings.empty() ? std::string_view() : codings[0], in, cap, out, size);
    // Stacked codings ("gzip, gzip"): undone last first, each capped. What
    // a step that fails gives (a cut-off stream's start, the cap's bytes)
    // is the start of the next coding's stream, and is undone as far as it
    // goes too: out never holds a coding's bytes as the page.
    std::string input(in), decoded;
    decode_status first_failure = decode_status::ok;
    for (auto it = codings.rbegin(); it != codings.rend(); ++it) {
        const decode_status rc = decode_content(*it, input, cap, decoded);
        input.swap(decoded);
        if (first_failure == decode_status::ok) first_failure = rc;
        if (rc == decode_status::unsupported) {
            input.clear();
            break;
        }
    }
    out.assign(input);
    size = out.size();
    return first_failure;
}

decode_status decode_content(std::string_view encoding, std::string_view in, std::size_t cap,
                             std::string& out) {
    std::size_t size = 0;
    const decode_status rc = decode_content_into(encoding, in, cap, out, size);
    out.resize(size);
    return rc;
}

}  // namespace shoal
