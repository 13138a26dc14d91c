// Tests for decode_content: gzip, zlib and raw deflate round trips made with
// zlib here, identity, unsupported, corrupt and cut-off input, and the size
// cap that defuses decompression bombs; decode_body's errors.
#include "shoal/content_decoder.hpp"

#include <zlib.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "shoal/fetcher.hpp"

namespace {

using shoal::decode_content;
using shoal::decode_status;

enum class wrap { gzip, zlib, raw };

// Compresses `repeat` copies of data with zlib in the given wrapper.
std::string compress(const std::string& data, wrap w, std::size_t repeat = 1) {
    const int bits = w == wrap::gzip ? 31 : w == wrap::zlib ? 15 : -15;
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, bits, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out;
    char buf[65536];
    for (std::size_t i = 0; i < repeat; ++i) {
        const bool last = i + 1 == repeat;
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
        z.avail_in = static_cast<uInt>(data.size());
        do {
            z.next_out = reinterpret_cast<Bytef*>(buf);
            z.avail_out = sizeof buf;
            const int rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
            REQUIRE(rc != Z_STREAM_ERROR);
            out.append(buf, sizeof buf - z.avail_out);
        } while (z.avail_out == 0 || (last && z.avail_in > 0));
    }
    deflateEnd(&z);
    return out;
}

// A page-like text of about n bytes.
std::string sample_text(std::size_t n) {
    std::string s;
    std::uint32_t x = 7;
    while (s.size() < n) {
        x = x * 1664525u + 1013904223u;
        s += "<div class=\"review\">item " + std::to_string(x % 1000) + " works perfectly</div>\n";
        s += static_cast<char>(x >> 24);  // some binary bytes too
    }
    s.resize(n);
    return s;
}

constexpr std::size_t mib = 1 << 20;

}  // namespace

TEST_CASE("content_decoder: gzip, zlib-deflate and raw-deflate round trips", "[content_decoder]") {
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{300000}}) {
        const std::string plain = sample_text(n);
        INFO("plain size " << n);
        std::string out = "junk";
        CHECK(decode_content("gzip", compress(plain, wrap::gzip), 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
        out = "junk";
        CHECK(decode_content("deflate", compress(plain, wrap::zlib), 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
        out = "junk";
        CHECK(decode_content("deflate", compress(plain, wrap::raw), 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
    }
}

TEST_CASE("content_decoder: names are case-insensitive, x-gzip is gzip", "[content_decoder]") {
    const std::string plain = sample_text(5000);
    const std::string gz = compress(plain, wrap::gzip);
    for (const char* name : {"gzip", "GZIP", "GZip", "x-gzip", "X-GZIP", " gzip ", "\tgzip"}) {
        INFO("encoding '" << name << "'");
        std::string out;
        CHECK(decode_content(name, gz, 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
    }
    std::string out;
    CHECK(decode_content("DEFLATE", compress(plain, wrap::zlib), 8 * mib, out) == decode_status::ok);
    CHECK(out == plain);
}

TEST_CASE("content_decoder: identity and empty encoding copy the body", "[content_decoder]") {
    const std::string plain = sample_text(4000);
    for (const char* name : {"", "identity", "Identity", "  "}) {
        INFO("encoding '" << name << "'");
        std::string out = "junk";
        CHECK(decode_content(name, plain, 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
    }
    // Over the cap: the first cap bytes.
    std::string out;
    CHECK(decode_content("identity", plain, 100, out) == decode_status::too_large);
    CHECK(out == plain.substr(0, 100));
    // Exactly the cap is fine.
    CHECK(decode_content("", plain, plain.size(), out) == decode_status::ok);
    CHECK(out == plain);
}

TEST_CASE("content_decoder: unsupported encodings", "[content_decoder]") {
    std::string out;
    for (const char* name : {"br", "zstd", "compress", "gzip, br", "x-deflate-ish"}) {
        INFO("encoding '" << name << "'");
        CHECK(decode_content(name, "whatever", 8 * mib, out) == decode_status::unsupported);
    }
}

TEST_CASE("content_decoder: a list of codings is undone last first, each capped", "[content_decoder]") {
    const std::string plain = sample_text(4000);
    const std::string gz = compress(plain, wrap::gzip);
    std::string out;
    CHECK(decode_content("gzip, gzip", compress(gz, wrap::gzip), 8 * mib, out) == decode_status::ok);
    CHECK(out == plain);
    // deflate applied first, then gzip: gzip is undone first.
    CHECK(decode_content("deflate,GZIP", compress(compress(plain, wrap::zlib), wrap::gzip), 8 * mib, out) ==
          decode_status::ok);
    CHECK(out == plain);
    for (const char* one : {"gzip, identity", "identity, gzip", " , gzip ,"}) {
        INFO("encoding '" << one << "'");
        CHECK(decode_content(one, gz, 8 * mib, out) == decode_status::ok);
        CHECK(out == plain);
    }
    CHECK(decode_content("identity, identity", plain, 8 * mib, out) == decode_status::ok);
    CHECK(out == plain);
    CHECK_FALSE(shoal::needs_decoding("identity, identity"));
    CHECK(shoal::needs_decoding("identity, gzip"));
    // The wrong order is corrupt; a cap holds at each step.
    CHECK(decode_content("gzip, deflate", compress(compress(plain, wrap::zlib), wrap::gzip), 8 * mib, out) ==
          decode_status::corrupt);
    CHECK(decode_content("gzip, gzip", compress(gz, wrap::gzip), 100, out) == decode_status::too_large);
    CHECK(out.size() <= 100);
    CHECK(plain.rfind(out, 0) == 0);  // the page's start, never a coding's bytes
    // A cut-off outer stream: what it gives is undone through the inner one too.
    const std::string twice = compress(gz, wrap::gzip);
    CHECK(decode_content("gzip, gzip", twice.substr(0, twice.size() / 2), 8 * mib, out) ==
          decode_status::truncated);
    CHECK(plain.rfind(out, 0) == 0);
    CHECK_FALSE(out.starts_with("\x1f\x8b"));
    // More than four codings are refused.
    std::string five = plain;
    for (int i = 0; i < 5; ++i) five = compress(five, wrap::gzip);
    CHECK(decode_content("gzip, gzip, gzip, gzip, gzip", five, 8 * mib, out) == decode_status::unsupported);
    CHECK(shoal::needs_decoding("gzip, gzip, gzip, gzip, gzip"));
}

TEST_CASE("content_decoder: a cut-off stream is truncated and decodes as far as it goes",
          "[content_decoder]") {
    const std::string plain = sample_text(200000);
    const std::string gz = compress(plain, wrap::gzip);
    REQUIRE(gz.size() > 100);
    std::string out;
    CHECK(decode_content("gzip", gz.substr(0, gz.size() / 2), 8 * mib, out) == decode_status::truncated);
    // What was decoded is the start of the text, and most of the first half.
    CHECK(out.size() > plain.size() / 3);
    CHECK(plain.starts_with(out));
    CHECK(decode_content("gzip", gz.substr(0, 5), 8 * mib, out) == decode_status::truncated);
    CHECK(out.empty());
    // Only the trailer (crc32 and size) missing.
    CHECK(decode_content("gzip", gz.substr(0, gz.size() - 8), 8 * mib, out) == decode_status::truncated);
    CHECK(decode_content("gzip", gz.substr(0, gz.size() - 1), 8 * mib, out) == decode_status::truncated);

    const std::string zl = compress(plain, wrap::zlib);
    CHECK(decode_content("deflate", zl.substr(0, zl.size() / 2), 8 * mib, out) == decode_status::truncated);
    CHECK(plain.starts_with(out));
    const std::string raw = compress(plain, wrap::raw);
    CHECK(decode_content("deflate", raw.substr(0, raw.size() / 2), 8 * mib, out) == decode_status::truncated);
    CHECK(plain.starts_with(out));
    // A cap reached before the cut is too_large, as for a whole stream.
    CHECK(decode_content("gzip", gz.substr(0, gz.size() / 2), 1000, out) == decode_status::too_large);
    CHECK(out == plain.substr(0, 1000));
}

TEST_CASE("content_decoder: an empty body decodes to nothing whatever its encoding says",
          "[content_decoder]") {
    std::string out = "left over";
    for (const char* name : {"gzip", "x-gzip", "deflate", "br", "identity", ""}) {
        INFO(name);
        CHECK(decode_content(name, "", 8 * mib, out) == decode_status::ok);
        CHECK(out.empty());
    }
}

TEST_CASE("content_decoder: garbage is corrupt", "[content_decoder]") {
    std::string out;
    const std::string garbage = "<html>this is not compressed at all</html>";
    CHECK(decode_content("gzip", garbage, 8 * mib, out) == decode_status::corrupt);
    CHECK(decode_content("deflate", std::string(64, '\xff'), 8 * mib, out) == decode_status::corrupt);

    // A gzip stream with a damaged crc32 in the trailer.
    std::string gz = compress(sample_text(10000), wrap::gzip);
    gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 0x40);
    CHECK(decode_content("gzip", gz, 8 * mib, out) == decode_status::corrupt);
}

TEST_CASE("content_decoder: gzip headers with an extra field, a name, a comment and a header CRC",
          "[content_decoder]") {
    const std::string text = sample_text(30000);
    // zlib writes every optional field of RFC 1952's header.
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    unsigned char extra[] = {'S', 'H', 4, 0, 1, 2, 3, 4};
    char name[] = "page.html", comment[] = "made for a test";
    gz_header header{};
    header.extra = extra;
    header.extra_len = sizeof extra;
    header.name = reinterpret_cast<Bytef*>(name);
    header.comment = reinterpret_cast<Bytef*>(comment);
    header.hcrc = 1;
    REQUIRE(deflateSetHeader(&z, &header) == Z_OK);
    std::string gz(deflateBound(&z, text.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    gz.resize(z.total_out);
    deflateEnd(&z);
    REQUIRE((static_cast<unsigned char>(gz[3]) & 0x1e) == 0x1e);  // FHCRC, FEXTRA, FNAME, FCOMMENT

    std::string out;
    REQUIRE(decode_content("gzip", gz, 8 * mib, out) == decode_status::ok);
    CHECK(out == text);
    // Two such members, one after the other.
    REQUIRE(decode_content("gzip", gz + gz, 8 * mib, out) == decode_status::ok);
    CHECK(out == text + text);
    // The trailer's length that does not match what the member decodes to.
    std::string wrong_size = gz;
    wrong_size[wrong_size.size() - 1] = static_cast<char>(wrong_size.back() ^ 1);
    CHECK(decode_content("gzip", wrong_size, 8 * mib, out) == decode_status::corrupt);
    // A header cut inside its name: no stream to decode.
    CHECK(decode_content("gzip", gz.substr(0, 22), 8 * mib, out) != decode_status::ok);
    // A wrong header CRC (its two bytes come right before the deflate data):
    // corrupt, alone or followed by another member, as zlib and gzip -d read it.
    const std::size_t header_crc = 10 + sizeof extra + 2 + sizeof name + sizeof comment;
    std::string wrong_header = gz;
    wrong_header[header_crc] = static_cast<char>(wrong_header[header_crc] ^ 1);
    CHECK(decode_content("gzip", wrong_header, 8 * mib, out) == decode_status::corrupt);
    CHECK(decode_content("gzip", wrong_header + gz, 8 * mib, out) == decode_status::corrupt);
}

TEST_CASE("content_decoder: a gzip bomb stops at the cap, quickly", "[content_decoder]") {
    // 64 MiB of zeros compress to about 64 KB.
    const std::string zeros(mib, '\0');
    const std::string bomb = compress(zeros, wrap::gzip, 64);
    REQUIRE(bomb.size() < mib / 4);
    const auto start = std::chrono::steady_clock::now();
    std::string out;
    const auto st = decode_content("gzip", bomb, mib, out);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(st == decode_status::too_large);
    CHECK(out.size() == mib);
    CHECK(out.capacity() < 4 * mib);  // memory bounded by the cap, not by the bomb
    CHECK(out.find_first_not_of('\0') == std::string::npos);
    CHECK(took < std::chrono::seconds(2));

    // Same through the zlib wrapper.
    const std::string zbomb = compress(zeros, wrap::zlib, 64);
    CHECK(decode_content("deflate", zbomb, mib, out) == decode_status::too_large);
    CHECK(out.size() == mib);
}

TEST_CASE("content_decoder: the cap boundary", "[content_decoder]") {
    const std::string plain = sample_text(100000);
    const std::string gz = compress(plain, wrap::gzip);
    std::string out;
    CHECK(decode_content("gzip", gz, plain.size(), out) == decode_status::ok);
    CHECK(out == plain);
    CHECK(decode_content("gzip", gz, plain.size() - 1, out) == decode_status::too_large);
    CHECK(out == plain.substr(0, plain.size() - 1));
    CHECK(decode_content("gzip", gz, 10, out) == decode_status::too_large);
    CHECK(out == plain.substr(0, 10));
}

TEST_CASE("content_decoder: concatenated gzip members", "[content_decoder]") {
    const std::string a = sample_text(30000), b = "second member\n", c = sample_text(777);
    const std::string gz = compress(a, wrap::gzip) + compress(b, wrap::gzip) + compress(c, wrap::gzip);
    std::string out;
    CHECK(decode_content("gzip", gz, 8 * mib, out) == decode_status::ok);
    CHECK(out == a + b + c);
    // The cap applies to the members together.
    CHECK(decode_content("gzip", gz, a.size() + 5, out) == decode_status::too_large);
    CHECK(out == (a + b).substr(0, a.size() + 5));
    // Members that fill the cap exactly, then one that holds nothing: the
    // body is the cap's size, not larger. One byte more after them is.
    const std::string exact = compress(a, wrap::gzip) + compress(b, wrap::gzip) + compress("", wrap::gzip);
    CHECK(decode_content("gzip", exact, a.size() + b.size(), out) == decode_status::ok);
    CHECK(out == a + b);
    const std::string over = exact + compress("!", wrap::gzip);
    CHECK(decode_content("gzip", over, a.size() + b.size(), out) == decode_status::too_large);
    CHECK(out == a + b);
    // Cut inside the empty member's trailer: the stream ended early.
    CHECK(decode_content("gzip", exact.substr(0, exact.size() - 2), a.size() + b.size(), out) ==
          decode_status::truncated);
    CHECK(out == a + b);
}

TEST_CASE("content_decoder: bytes after the last gzip member that start no member are ignored",
          "[content_decoder]") {
    // Some servers end the body with a line break (gzip -d and curl ignore it).
    const std::string a = sample_text(30000), b = "second member\n";
    const std::string gz = compress(a, wrap::gzip);
    std::string out;
    for (const std::string& tail : {std::string("\n"), std::string("\r\n\r\n"), std::string(3, '\0'), std::string("junk")}) {
        CHECK(decode_content("gzip", gz + tail, 8 * mib, out) == decode_status::ok);
        CHECK(out == a);
        CHECK(decode_content("gzip", gz + compress(b, wrap::gzip) + tail, 8 * mib, out) == decode_status::ok);
        CHECK(out == a + b);
    }
    // The start of another member is one cut off.
    CHECK(decode_content("gzip", gz + "\x1f", 8 * mib, out) == decode_status::truncated);
    CHECK(decode_content("gzip", gz + "\x1f\x8b\x08", 8 * mib, out) == decode_status::truncated);
    CHECK(out == a);
}

TEST_CASE("content_decoder: decoding into a buffer that only grows", "[content_decoder]") {
    // Body after body into one buffer, as a worker decodes its pages: each
    // body is the buffer's first `size` bytes, whatever came before it.
    std::string buffer;
    std::size_t size = 0;
    const std::string big = sample_text(50000), small = sample_text(700) + "tail";
    REQUIRE(shoal::decode_content_into("gzip", compress(big, wrap::gzip), 8 * mib, buffer, size) ==
            decode_status::ok);
    CHECK(buffer.substr(0, size) == big);
    REQUIRE(shoal::decode_content_into("deflate", compress(small, wrap::zlib), 8 * mib, buffer, size) ==
            decode_status::ok);
    CHECK(size == small.size());
    CHECK(buffer.substr(0, size) == small);
    CHECK(buffer.size() >= big.size());  // the room stays for the next body
    REQUIRE(shoal::decode_content_into("", "plain", 8 * mib, buffer, size) == decode_status::ok);
    CHECK(buffer.substr(0, size) == "plain");
    // Nothing of an earlier body is left as this one's.
    CHECK(shoal::decode_content_into("br", "whatever", 8 * mib, buffer, size) == decode_status::unsupported);
    CHECK(size == 0);
    CHECK(shoal::decode_content_into("gzip", "\x1f\x8b garbage", 8 * mib, buffer, size) == decode_status::corrupt);
    CHECK(buffer.substr(0, size).find("item") == std::string::npos);
    // The cap holds with room to spare from an earlier, larger body.
    REQUIRE(shoal::decode_content_into("gzip", compress(big, wrap::gzip), 8 * mib, buffer, size) ==
            decode_status::ok);
    CHECK(shoal::decode_content_into("gzip", compress(big, wrap::gzip), 1000, buffer, size) ==
          decode_status::too_large);
    CHECK(size == 1000);
    CHECK(buffer.substr(0, size) == big.substr(0, 1000));
}

TEST_CASE("content_decoder: decode_body fails a cut-off page but reads a body_cut one as far as it goes",
          "[content_decoder]") {
    const std::string plain = sample_text(200000);
    const std::string gz = compress(plain, wrap::gzip);
    std::string scratch;
    shoal::fetch_result page;
    page.status = 200;
    page.content_encoding = "gzip";
    page.body = gz.substr(0, gz.size() / 2);
    shoal::decode_body(page, 8 * mib, scratch);
    CHECK(page.stage == shoal::error_stage::decode);
    CHECK(page.error_code == "corrupt_encoding");
    CHECK(page.error_message == "the gzip body ends before its compressed stream does");

    shoal::fetch_result start = page;
    start.stage = shoal::error_stage::none;
    start.error_code.clear();
    start.error_message.clear();
    start.body_cut = true;  // what fetch_ungated keeps of a longer body
    const std::string_view text = shoal::decode_body(start, 8 * mib, scratch);
    CHECK(start.stage == shoal::error_stage::none);
    CHECK(text.size() > plain.size() / 3);
    CHECK(plain.starts_with(text));

    // A damaged stream gives nothing to read titles from: what came out
    // before the damage was found may be damaged too.
    shoal::fetch_result damaged;
    damaged.status = 200;
    damaged.content_encoding = "gzip";
    damaged.body = gz;
    damaged.body[gz.size() / 2] = static_cast<char>(damaged.body[gz.size() / 2] ^ 0x55);
    CHECK(shoal::decode_body(damaged, 8 * mib, scratch).empty());
    CHECK(damaged.stage == shoal::error_stage::decode);
    CHECK(damaged.error_code == "corrupt_encoding");
    CHECK(damaged.error_message == "cannot decode the gzip body");
}
