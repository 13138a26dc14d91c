// Tests for the worker -> writer pipe codec: round trips of every kind of
// record, streams fed byte by byte, and truncated, oversized and corrupt
// frames.
#include "shoal/frame.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

using namespace std::string_literals;

namespace {

using shoal::error_stage;
using shoal::frame_decoder;
using shoal::record;

using status = frame_decoder::status;

record full_record() {
    record r;
    r.line = 17;
    r.url = "http://127.0.3.9:18080/p/17.html";
    r.final_url = "http://127.0.3.9:18080/p/17b.html";
    r.status = 200;
    r.elapsed_ms = 12.4;
    r.bytes = 18231;
    r.attempts = 1;
    r.title = "Lenovo ThinkPad X1 Carbon";
    r.price = shoal::price{"1299.00", "USD", "$1,299.00"};
    r.fields = {{"sku", "\"A-1\""}, {"tags", "[\"a\",\"b\"]"}};
    return r;
}

void check_equal(const record& a, const record& b) {
    CHECK(a.line == b.line);
    CHECK(a.url == b.url);
    CHECK(a.final_url == b.final_url);
    CHECK(a.status == b.status);
    CHECK(a.elapsed_ms == Approx(b.elapsed_ms).margin(0.001));
    CHECK(a.bytes == b.bytes);
    CHECK(a.attempts == b.attempts);
    REQUIRE(a.title.has_value() == b.title.has_value());
    if (a.title) CHECK(*a.title == *b.title);
    REQUIRE(a.price.has_value() == b.price.has_value());
    if (a.price) {
        CHECK(a.price->amount == b.price->amount);
        CHECK(a.price->currency == b.price->currency);
        CHECK(a.price->raw == b.price->raw);
    }
    CHECK(a.fields == b.fields);
    CHECK(a.stage == b.stage);
    CHECK(a.error_code == b.error_code);
    CHECK(a.error_message == b.error_message);
}

// Encodes r, decodes it from a fresh decoder, and compares.
void round_trip(const record& r) {
    std::string wire;
    shoal::append_frame(r, wire);
    REQUIRE(wire.size() > shoal::frame_header_bytes);
    frame_decoder d;
    d.feed(wire.data(), wire.size());
    record out;
    out.line = 999;  // must be overwritten
    REQUIRE(d.next(out) == status::record);
    check_equal(out, r);
    CHECK(d.pending() == 0);
    CHECK(d.next(out) == status::need_more);
}

// The payload part of r's frame.
std::string payload_of(const record& r) {
    std::string wire;
    shoal::append_frame(r, wire);
    return wire.substr(shoal::frame_header_bytes);
}

void put_u32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// zlib's crc32 of payload, computed by hand (reflected 0xEDB88320).
std::uint32_t crc32_of(const std::string& payload) {
    std::uint32_t crc = 0xffffffffu;
    for (unsigned char c : payload) {
        crc ^= c;
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return crc ^ 0xffffffffu;
}

// A frame written by hand: header (magic, length, crc) and payload.
std::string frame_bytes(std::uint32_t magic, const std::string& payload) {
    std::string wire(shoal::frame_header_bytes, '\0');
    put_u32(wire, 0, magic);
    put_u32(wire, 4, static_cast<std::uint32_t>(payload.size()));
    put_u32(wire, 8, crc32_of(payload));
    return wire + payload;
}

}  // namespace

TEST_CASE("frame: round trip of a full record", "[frame]") {
    round_trip(full_record());
}

TEST_CASE("frame: round trip with optional fields unset", "[frame]") {
    record r;  // all defaults: status -1, no title, no price, no fields
    round_trip(r);

    record t = full_record();
    t.price.reset();
    round_trip(t);

    record p = full_record();
    p.title.reset();
    round_trip(p);

    record f = full_record();
    f.fields.clear();
    round_trip(f);
}

TEST_CASE("frame: round trip of every error stage", "[frame]") {
    for (auto s : {error_stage::none, error_stage::connect, error_stage::tls, error_stage::request,
                   error_stage::response, error_stage::body, error_stage::decode,
                   error_stage::redirect, error_stage::input, error_stage::crash}) {
        INFO("stage " << static_cast<int>(s));
        record r;
        r.line = 3;
        r.url = "http://x.example/";
        r.status = s == error_stage::response ? 503 : -1;
        r.attempts = 3;
        r.stage = s;
        r.error_code = s == error_stage::none ? "" : "timeout";
        r.error_message = s == error_stage::none ? "" : "no answer within 30 s";
        round_trip(r);
    }
}

TEST_CASE("frame: empty strings, binary bytes and NULs", "[frame]") {
    record r;
    r.url = "";
    r.final_url = "";
    r.title = "";
    r.price = shoal::price{"", "", ""};
    r.fields = {{"", ""}, {"k\0ey"s, "\0\xff\x80"s}};
    r.error_code = "\0"s;
    r.error_message = "a\0b\r\n\xfe\xff"s;
    r.stage = error_stage::body;
    round_trip(r);

    record big = full_record();
    std::string all;
    for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
    big.title = all + all;
    big.url = std::string(100000, '\0');  // a multi-byte length varint
    big.price->raw = all;
    round_trip(big);
}

TEST_CASE("frame: extreme numbers", "[frame]") {
    record r = full_record();
    r.line = ~std::uint64_t{0};
    r.bytes = ~std::uint64_t{0};
    r.attempts = 0xffffffffu;
    r.status = 999;
    r.elapsed_ms = 3600000.25;
    round_trip(r);

    r.line = 0;
    r.bytes = 0;
    r.attempts = 0;
    r.status = 0;
    r.elapsed_ms = 0;
    round_trip(r);
}

TEST_CASE("frame: many frames fed byte by byte", "[frame]") {
    std::vector<record> sent;
    std::string wire;
    for (int i = 0; i < 200; ++i) {
        record r = full_record();
        r.line = static_cast<std::uint64_t>(i + 1);
        r.url = "http://h.example/p/" + std::to_string(i);
        if (i % 3 == 0) r.title.reset();
        if (i % 5 == 0) r.price.reset();
        if (i % 7 == 0) {
            r.stage = error_stage::connect;
            r.error_code = "refused";
            r.error_message = std::string(static_cast<std::size_t>(i), 'm');
        }
        sent.push_back(r);
        shoal::append_frame(r, wire);
    }
    frame_decoder d;
    std::vector<record> got;
    for (char c : wire) {
        d.feed(&c, 1);
        record r;
        for (;;) {
            auto st = d.next(r);
            REQUIRE(st != status::corrupt);
            if (st == status::need_more) break;
            got.push_back(r);
        }
    }
    REQUIRE(got.size() == sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) check_equal(got[i], sent[i]);
    CHECK(d.pending() == 0);
}

TEST_CASE("frame: many frames fed in one piece (buffer compaction)", "[frame]") {
    std::string wire;
    const int n = 3000;  // well over 64 KiB of frames
    for (int i = 0; i < n; ++i) {
        record r = full_record();
        r.line = static_cast<std::uint64_t>(i);
        shoal::append_frame(r, wire);
    }
    REQUIRE(wire.size() > 3 * 65536);
    frame_decoder d;
    // Feed in uneven pieces so compaction happens with a torn frame pending.
    std::size_t fed = 0, piece = 1;
    int decoded = 0;
    record r;
    while (fed < wire.size()) {
        std::size_t n_bytes = std::min(piece, wire.size() - fed);
        d.feed(wire.data() + fed, n_bytes);
        fed += n_bytes;
        piece = piece * 3 % 40000 + 1;
        while (d.next(r) == status::record) {
            CHECK(r.line == static_cast<std::uint64_t>(decoded));
            ++decoded;
        }
    }
    CHECK(decoded == n);
    CHECK(d.pending() == 0);
}

TEST_CASE("frame: a truncated frame needs more and stays pending", "[frame]") {
    std::string wire;
    shoal::append_frame(full_record(), wire);
    shoal::append_frame(full_record(), wire);
    const std::size_t one = wire.size() / 2;
    for (std::size_t cut = 1; cut < one; ++cut) {
        INFO("second frame cut after " << cut << " bytes");
        frame_decoder d;
        d.feed(wire.data(), one + cut);
        record r;
        REQUIRE(d.next(r) == status::record);
        CHECK(d.next(r) == status::need_more);
        CHECK(d.pending() == cut);
        // The rest arrives: the frame decodes whole.
        d.feed(wire.data() + one + cut, wire.size() - one - cut);
        REQUIRE(d.next(r) == status::record);
        check_equal(r, full_record());
        CHECK(d.pending() == 0);
    }
}

TEST_CASE("frame: a flipped payload byte is corrupt (crc)", "[frame]") {
    std::string good;
    shoal::append_frame(full_record(), good);
    for (std::size_t i = shoal::frame_header_bytes; i < good.size(); ++i) {
        INFO("flipped byte " << i);
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        frame_decoder d;
        d.feed(bad.data(), bad.size());
        record r;
        CHECK(d.next(r) == status::corrupt);
    }
}

TEST_CASE("frame: a wrong crc field is corrupt", "[frame]") {
    std::string wire;
    shoal::append_frame(full_record(), wire);
    wire[8] = static_cast<char>(wire[8] ^ 0x80);
    frame_decoder d;
    d.feed(wire.data(), wire.size());
    record r;
    CHECK(d.next(r) == status::corrupt);
}

TEST_CASE("frame: bad magic is corrupt", "[frame]") {
    std::string wire;
    shoal::append_frame(full_record(), wire);
    put_u32(wire, 0, 0xdeadbeef);
    frame_decoder d;
    d.feed(wire.data(), wire.size());
    record r;
    CHECK(d.next(r) == status::corrupt);

    // A bad magic is noticed as soon as the header is complete.
    frame_decoder h;
    h.feed(wire.data(), shoal::frame_header_bytes);
    CHECK(h.next(r) == status::corrupt);
}

TEST_CASE("frame: an oversized length is corrupt without waiting for the payload", "[frame]") {
    std::string header(shoal::frame_header_bytes, '\0');
    put_u32(header, 0, shoal::frame_magic);
    put_u32(header, 4, static_cast<std::uint32_t>(shoal::max_payload + 1));
    frame_decoder d;
    d.feed(header.data(), header.size());
    record r;
    CHECK(d.next(r) == status::corrupt);

    put_u32(header, 4, 0xffffffffu);
    frame_decoder e;
    e.feed(header.data(), header.size());
    CHECK(e.next(r) == status::corrupt);

    // max_payload itself is allowed: it just needs more bytes.
    put_u32(header, 4, static_cast<std::uint32_t>(shoal::max_payload));
    frame_decoder f;
    f.feed(header.data(), header.size());
    CHECK(f.next(r) == status::need_more);
}

TEST_CASE("frame: a payload with a right crc but bad contents is corrupt", "[frame]") {
    // An empty payload and a payload with trailing junk, both with a valid crc.
    for (const std::string& payload : {std::string{}, payload_of(full_record()) + "x"}) {
        const std::string wire = frame_bytes(shoal::frame_magic, payload);
        frame_decoder d;
        d.feed(wire.data(), wire.size());
        record r;
        CHECK(d.next(r) == status::corrupt);
    }
}

TEST_CASE("frame: after corrupt the decoder stays corrupt", "[frame]") {
    std::string wire;
    shoal::append_frame(full_record(), wire);
    std::string bad = wire;
    bad[bad.size() - 1] = static_cast<char>(bad[bad.size() - 1] ^ 0x55);
    frame_decoder d;
    d.feed(bad.data(), bad.size());
    record r;
    REQUIRE(d.next(r) == status::corrupt);
    // Good frames afterwards are not trusted.
    d.feed(wire.data(), wire.size());
    CHECK(d.next(r) == status::corrupt);
    CHECK(d.next(r) == status::corrupt);
}

TEST_CASE("frame: decode_record of every truncation is false and safe", "[frame]") {
    record with_all = full_record();
    with_all.stage = error_stage::redirect;
    with_all.error_code = "too_many_redirects";
    with_all.error_message = "more than 10";
    for (const record& src : {with_all, record{}}) {
        const std::string payload = payload_of(src);
        record whole;
        REQUIRE(shoal::decode_record(payload, whole));
        check_equal(whole, src);
        for (std::size_t len = 0; len < payload.size(); ++len) {
            INFO("payload cut to " << len << " of " << payload.size() << " bytes");
            record r;
            CHECK_FALSE(shoal::decode_record(std::string_view(payload.data(), len), r));
        }
    }
}

TEST_CASE("frame: decode_record rejects out-of-range values", "[frame]") {
    record r;
    // A huge string length.
    std::string huge_len = "\x01\xff\xff\xff\xff\xff\xff\xff\xff\x01"s;
    CHECK_FALSE(shoal::decode_record(huge_len, r));
    // An unknown error stage byte.
    std::string p = payload_of(full_record());
    // Layout at the end: stage byte, "" code (0), "" message (0).
    REQUIRE(p.size() >= 3);
    p[p.size() - 3] = 0x7f;
    CHECK_FALSE(shoal::decode_record(p, r));
    // A varint that never ends.
    CHECK_FALSE(shoal::decode_record(std::string(20, '\x80'), r));
}

TEST_CASE("frame: elapsed_ms survives a round trip to the microsecond (found by frame_fuzz)", "[frame]") {
    for (double ms : {1.001, 0.999, 12.345, 2000.001, 1e12, 1e300, -5.0}) {
        shoal::record r;
        r.line = 1;
        r.elapsed_ms = ms;
        std::string out;
        shoal::append_frame(r, out);
        shoal::frame_decoder d;
        d.feed(out.data(), out.size());
        shoal::record back;
        REQUIRE(d.next(back) == shoal::frame_decoder::status::record);
        INFO(ms);
        if (ms < 0) CHECK(back.elapsed_ms == 0);
        else if (ms > 1e12) CHECK(back.elapsed_ms == 1e12);
        else CHECK(std::llround(back.elapsed_ms * 1000) == std::llround(ms * 1000));
    }
}

TEST_CASE("frame: a payload with more elapsed microseconds than an encoder writes is refused "
          "(found by frame_fuzz)", "[frame]") {
    shoal::record r;
    r.line = 7;
    r.url = "http://a/";
    r.elapsed_ms = 1e12;  // the most an encoder writes: 1e15 us
    std::string out;
    shoal::append_frame(r, out);
    std::string payload = out.substr(shoal::frame_header_bytes);
    shoal::record back;
    REQUIRE(shoal::decode_record(payload, back));
    CHECK(back.elapsed_ms == 1e12);
    // The same payload with micros = 2^64 - 1 (a 10-byte varint) instead.
    // Payload: varint line (1 byte), url (1 + 9), final_url (1), status (1), micros.
    const std::size_t micros_at = 1 + 1 + 9 + 1 + 1;
    std::size_t micros_len = 0;
    while (static_cast<unsigned char>(payload[micros_at + micros_len]) & 0x80) ++micros_len;
    ++micros_len;
    std::string huge = payload.substr(0, micros_at) + std::string(9, '\xff') + '\x01' +
                       payload.substr(micros_at + micros_len);
    CHECK_FALSE(shoal::decode_record(huge, back));
}


TEST_CASE("frame: counters frames are summed and passed by, between records", "[frame]") {
    std::string wire;
    shoal::append_frame(full_record(), wire);
    shoal::fetch_counters a{3, 40, 2, 1, 1};
    shoal::append_counters_frame(a, wire);
    shoal::append_counters_frame(shoal::fetch_counters{1ull << 40, 0, 0, 7, 2}, wire);
    record second = full_record();
    second.line = 18;
    shoal::append_frame(second, wire);
    // Byte by byte: a counters frame never surfaces as a record.
    frame_decoder d;
    std::vector<std::uint64_t> lines;
    record r;
    for (char c : wire) {
        d.feed(&c, 1);
        status st;
        while ((st = d.next(r)) == status::record) lines.push_back(r.line);
        REQUIRE(st == status::need_more);
    }
    CHECK(lines == std::vector<std::uint64_t>{17, 18});
    CHECK(d.counters().connections == 3 + (1ull << 40));
    CHECK(d.counters().reused == 40);
    CHECK(d.counters().tls_handshakes == 2);
    CHECK(d.counters().tls_resumed == 8);
    CHECK(d.counters().ca_store_loads == 3);
    CHECK(d.pending() == 0);
}

TEST_CASE("frame: a counters frame with a bad payload is corrupt", "[frame]") {
    std::string wire;
    shoal::append_counters_frame(shoal::fetch_counters{1, 2, 3, 4, 5}, wire);
    SECTION("flipped byte (crc)") {
        wire.back() ^= 0x01;
    }
    SECTION("a sixth varint, with its crc") {
        wire = frame_bytes(shoal::counters_magic, wire.substr(shoal::frame_header_bytes) + "\x05");
    }
    frame_decoder d;
    d.feed(wire.data(), wire.size());
    record r;
    CHECK(d.next(r) == status::corrupt);
    CHECK(d.counters().connections == 0);
}
