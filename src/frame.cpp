// Frame encoding and decoding of records (wire format in frame.hpp).
#include "shoal/frame.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace shoal {
namespace {

void put_u32(std::uint32_t v, char* p) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= std::uint32_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return v;
}

void put_varint(std::uint64_t v, std::string& out) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

void put_string(std::string_view s, std::string& out) {
    put_varint(s.size(), out);
    out.append(s);
}

class reader {
public:
    explicit reader(std::string_view s) : s_(s) {}
    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= s_.size()) return false;
            auto b = static_cast<unsigned char>(s_[pos_++]);
            v |= std::uint64_t{b & 0x7fu} << shift;
            if ((b & 0x80) == 0) return true;
        }
        return false;
    }
    bool string(std::string& out) {
        std::uint64_t n = 0;
        if (!varint(n) || n > s_.size() - pos_) return false;
        out.assign(s_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == s_.size(); }

private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

// Bits of the presence byte.
constexpr unsigned has_title = 1, has_price = 2;
// elapsed_ms goes as whole microseconds, at most this many (31 years; a
// double holds every count up to it exactly). A frame with more is corrupt.
constexpr double max_elapsed_us = 1e15;

void encode_record(const record& r, std::string& out) {
    put_varint(r.line, out);
    put_string(r.url, out);
    put_string(r.final_url, out);
    put_varint(static_cast<std::uint64_t>(r.status + 1), out);
    // Microseconds, rounded, within what a double holds exactly.
    put_varint(static_cast<std::uint64_t>(
                   std::llround(std::clamp(r.elapsed_ms * 1000.0, 0.0, max_elapsed_us))),
               out);
    put_varint(r.bytes, out);
    put_varint(r.attempts, out);
    out += static_cast<char>((r.title ? has_title : 0) | (r.price ? has_price : 0));
    if (r.title) put_string(*r.title, out);
    if (r.price) {
        put_string(r.price->amount, out);
        put_string(r.price->currency, out);
        put_string(r.price->raw, out);
    }
    put_varint(r.fields.size(), out);
    for (const auto& [k, v] : r.fields) {
        put_string(k, out);
        put_string(v, out);
    }
    out += static_cast<char>(r.stage);
    put_string(r.error_code, out);
    put_string(r.error_message, out);
}

}  // namespace

namespace {

// Writes the header of the frame that starts at `start` in out, its payload
// being everything after the header.
void seal_frame(std::uint32_t magic, std::string& out, std::size_t start) {
    std::size_t len = out.size() - start - frame_header_bytes;
    auto crc = libdeflate_crc32(0, out.data() + start + frame_header_bytes, len);
    put_u32(magic, out.data() + start);
    put_u32(static_cast<std::uint32_t>(len), out.data() + start + 4);
    put_u32(crc, out.data() + start + 8);
}

}  // namespace

void append_frame(const record& r, std::string& out) {
    std::size_t start = out.size();
    out.append(frame_header_bytes, '\0');
    encode_record(r, out);
    seal_frame(frame_magic, out, start);
}

void append_counters_frame(const fetch_counters& c, std::string& out) {
    std::size_t start = out.size();
    out.append(frame_header_bytes, '\0');
    for (std::uint64_t v :
         {c.connections, c.reused, c.tls_handshakes, c.tls_resumed, c.ca_store_loads})
        put_varint(v, out);
    seal_frame(counters_magic, out, start);
}

namespace {

bool decode_counters(std::string_view payload, fetch_counters& c) {
    reader in(payload);
    fetch_counters got;
    if (!in.varint(got.connections) || !in.varint(got.reused) || !in.varint(got.tls_handshakes) ||
        !in.varint(got.tls_resumed) || !in.varint(got.ca_store_loads) || !in.done())
        return false;
    c += got;
    return true;
}

}  // namespace

bool decode_record(std::string_view payload, record& r) {
    reader in(payload);
    std::uint64_t status = 0, micros = 0, attempts = 0, nfields = 0;
    r = record{};
    if (!in.varint(r.line) || !in.string(r.url) || !in.string(r.final_url) ||
        !in.varint(status) || !in.varint(micros) || !in.varint(r.bytes) || !in.varint(attempts))
        return false;
    if (status > 1000 || attempts > 0xffffffffu || static_cast<double>(micros) > max_elapsed_us)
        return false;
    r.status = static_cast<int>(status) - 1;
    r.elapsed_ms = static_cast<double>(micros) / 1000.0;
    r.attempts = static_cast<std::uint32_t>(attempts);
    std::uint64_t flags = 0;
    if (!in.varint(flags) || flags > 3) return false;
    if (flags & has_title) {
        r.title.emplace();
        if (!in.string(*r.title)) return false;
    }
    if (flags & has_price) {
        r.price.emplace();
        if (!in.string(r.price->amount) || !in.string(r.price->currency) ||
            !in.string(r.price->raw))
            return false;
    }
    if (!in.varint(nfields) || nfields > payload.size()) return false;
    r.fields.resize(nfields);
    for (auto& [k, v] : r.fields)
        if (!in.string(k) || !in.string(v)) return false;
    std::uint64_t stage = 0;
    if (!in.varint(stage) || stage > static_cast<std::uint64_t>(error_stage::crash)) return false;
    r.stage = static_cast<error_stage>(stage);
    return in.string(r.error_code) && in.string(r.error_message) && in.done();
}

frame_decoder::status frame_decoder::next(record& r) {
    for (;;) {
        if (corrupt_) return status::corrupt;
        if (buf_.size() - pos_ < frame_header_bytes) return status::need_more;
        const char* h = buf_.data() + pos_;
        const std::uint32_t magic = get_u32(h);
        std::uint32_t len = get_u32(h + 4);
        if ((magic != frame_magic && magic != counters_magic) || len > max_payload) {
            corrupt_ = true;
            return status::corrupt;
        }
        if (buf_.size() - pos_ - frame_header_bytes < len) return status::need_more;
        const std::string_view payload(h + frame_header_bytes, len);
        const bool ok = libdeflate_crc32(0, payload.data(), len) == get_u32(h + 8) &&
                        (magic == frame_magic ? decode_record(payload, r) : decode_counters(payload, counters_));
        if (!ok) {
            corrupt_ = true;
            return status::corrupt;
        }
        pos_ += frame_header_bytes + len;
        // Drop consumed bytes once they dominate the buffer.
        if (pos_ > 65536 && pos_ * 2 > buf_.size()) {
            buf_.erase(0, pos_);
            pos_ = 0;
        }
        if (magic == frame_magic) return status::record;
    }
}

}  // namespace shoal
