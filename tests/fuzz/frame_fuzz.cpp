// Fuzzes the worker -> writer pipe codec. The input is fed to a frame_decoder
// in pieces of varying size (so frames are split at every point); the payload
// decoder also gets the raw input. Every record that decodes is encoded again
// with append_frame and must decode to the same fields.
//
// elapsed_ms must come back exactly too. SHOAL_FUZZ_ELAPSED_SLACK_US=1 in the
// environment accepts a drift of 1 microsecond instead, to fuzz past the known
// truncation in encode_record (tests/fuzz/crashes/frame_fuzz/README.md).
#include <libdeflate.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "shoal/frame.hpp"


namespace {

bool same_price(const std::optional<shoal::price>& a, const std::optional<shoal::price>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->amount == b->amount && a->currency == b->currency && a->raw == b->raw);
}

double elapsed_slack_us() {
    static const double slack = [] {
        const char* s = std::getenv("SHOAL_FUZZ_ELAPSED_SLACK_US");
        return s ? std::atof(s) : 0.0;
    }();
    return slack;
}

bool same_elapsed(double a, double b) {
    if (a == b) return true;
    double d = a > b ? a - b : b - a;
    return d * 1000.0 <= elapsed_slack_us() * 1.000001;
}

bool same(const shoal::record& a, const shoal::record& b) {
    return a.line == b.line && a.url == b.url && a.final_url == b.final_url &&
           a.status == b.status && same_elapsed(a.elapsed_ms, b.elapsed_ms) &&
           a.bytes == b.bytes && a.attempts == b.attempts && a.title == b.title &&
           same_price(a.price, b.price) && a.fields == b.fields && a.stage == b.stage &&
           a.error_code == b.error_code && a.error_message == b.error_message;
}

// Re-encodes r, decodes it both with decode_record and a frame_decoder.
void round_trip(const shoal::record& r) {
    std::string wire;
    shoal::append_frame(r, wire);
    if (wire.size() < shoal::frame_header_bytes) std::abort();
    shoal::record back;
    if (!shoal::decode_record(std::string_view(wire).substr(shoal::frame_header_bytes), back))
        std::abort();
    if (!same(r, back)) std::abort();
    shoal::frame_decoder d;
    d.feed(wire.data(), wire.size());
    shoal::record back2;
    if (d.next(back2) != shoal::frame_decoder::status::record) std::abort();
    if (!same(r, back2)) std::abort();
    if (d.next(back2) != shoal::frame_decoder::status::need_more || d.pending() != 0) std::abort();
}

void put_u32(std::uint32_t v, std::string& out) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// Wraps payload in a frame header with the right magic, length and crc, so
// the fuzzer reaches the payload decoder through the stream decoder.
void wrap(std::string_view payload, std::string& out) {
    put_u32(shoal::frame_magic, out);
    put_u32(static_cast<std::uint32_t>(payload.size()), out);
    put_u32(libdeflate_crc32(0, payload.data(), payload.size()), out);
    out.append(payload);
}

// Feeds the stream in pieces; returns the number of records decoded.
std::size_t feed_stream(std::string_view in, std::size_t step) {
    shoal::frame_decoder d;
    shoal::record r;
    std::size_t pos = 0, records = 0;
    bool corrupt = false;
    while (pos < in.size()) {
        std::size_t n = std::min(step, in.size() - pos);
        d.feed(in.data() + pos, n);
        pos += n;
        step = (step * 7 + 3) % 29 + 1;
        for (;;) {
            auto st = d.next(r);
            if (st == shoal::frame_decoder::status::record) {
                if (corrupt) std::abort();  // after corrupt, always corrupt
                ++records;
                round_trip(r);
                continue;
            }
            if (st == shoal::frame_decoder::status::corrupt) corrupt = true;
            else if (corrupt) std::abort();
            break;
        }
        if (d.pending() > in.size()) std::abort();
    }
    return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const char* p = reinterpret_cast<const char*>(data);

    // The whole input as one payload.
    shoal::record r;
    if (shoal::decode_record(std::string_view(p, size), r)) round_trip(r);

    // The input as a stream, fed in pieces whose sizes come from the input.
    std::size_t step = size == 0 ? 1 : (data[0] % 17) + 1;
    feed_stream(std::string_view(p, size), step);

    // The input cut in two payloads, each in a valid frame, then a torn frame.
    std::string_view in(p, size);
    std::size_t cut = size == 0 ? 0 : data[size - 1] % (size + 1);
    std::string wire;
    wrap(in.substr(0, cut), wire);
    wrap(in.substr(cut), wire);
    std::size_t whole = wire.size();
    wrap(in, wire);
    wire.resize(whole + (wire.size() - whole) / 2);
    shoal::record a, b;
    std::size_t expect = std::size_t{shoal::decode_record(in.substr(0, cut), a)};
    if (expect == 1) expect += shoal::decode_record(in.substr(cut), b) ? 1 : 0;
    if (feed_stream(wire, step) != expect) std::abort();
    return 0;
}
