// frame: the codec of the worker -> writer pipe. Shared by both ends.
//
// A frame is a 12-byte header and a payload:
//   magic   u32 little-endian, frame_magic
//   length  u32 little-endian, payload bytes (<= max_payload)
//   crc     u32 little-endian, crc32 (the zlib/gzip one) of the payload
//   payload one record: varint integers and length-prefixed strings, in the
//           order of encode_record in frame.cpp
// A counters frame has the same layout with counters_magic, and the
// fetch_counters fields as varints for payload: a worker sends one as its
// last frame. The decoder sums them (counters()) and passes them by.
// A reader that meets a bad magic, an oversized length or a wrong crc stops
// trusting the stream (corrupt). A stream that ends inside a frame leaves a
// torn tail, which is discarded whole: a record is never half-written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shoal/record.hpp"

namespace shoal {

constexpr std::uint32_t frame_magic = 0x314f4853;  // "SHO1"
constexpr std::uint32_t counters_magic = 0x31434853;  // "SHC1"
constexpr std::size_t frame_header_bytes = 12;
constexpr std::size_t max_payload = 64u << 20;

// Appends r as one frame to out.
void append_frame(const record& r, std::string& out);
// Appends a counters frame to out.
void append_counters_frame(const fetch_counters& c, std::string& out);

class frame_decoder {
public:
    enum class status { record, need_more, corrupt };

    // Adds bytes read from the stream.
    void feed(const char* data, std::size_t n) { buf_.append(data, n); }

    // Decodes the next whole record frame into r, summing counters frames on
    // the way. After `corrupt`, always corrupt.
    status next(record& r);

    // The counters frames decoded so far, summed.
    const fetch_counters& counters() const { return counters_; }

    // Bytes received but not yet decoded (a torn frame when the stream ended).
    std::size_t pending() const { return buf_.size() - pos_; }

private:
    std::string buf_;
    std::size_t pos_ = 0;
    bool corrupt_ = false;
    fetch_counters counters_;
};

// Decodes one payload. Returns false if it is malformed.
bool decode_record(std::string_view payload, record& r);

}  // namespace shoal
