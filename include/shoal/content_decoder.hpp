// content_decoder: undoes Content-Encoding (gzip, deflate) with a cap on the
// decoded size, so a decompression bomb costs at most `cap` bytes of memory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace shoal {

// truncated: the input ends before its compressed stream does (a cut-off
// body); corrupt: anything else that is not a valid stream.
enum class decode_status { ok, too_large, corrupt, truncated, unsupported };

// Decodes `in` encoded with `encoding` (a Content-Encoding value: "gzip",
// "x-gzip", "deflate", "identity" or empty; or a list of them in the order
// they were applied, "gzip, deflate", at most four) into out, at most cap
// bytes, the cap holding for each step. For a list, the status is the
// first step's that was not ok, and out what the input's start decodes to
// through every step (nothing for an unsupported coding).
// On too_large, out holds the first cap bytes; on truncated, what the
// input's start decodes to.
decode_status decode_content(std::string_view encoding, std::string_view in, std::size_t cap,
                             std::string& out);

// The same into a buffer that only grows: out's first `size` bytes are what
// decode_content would leave in out, and out keeps the rest of its room.
// Decoding body after body into one buffer then writes each byte once,
// where resizing it to each body first zeroes the room it gained.
decode_status decode_content_into(std::string_view encoding, std::string_view in, std::size_t cap,
                                  std::string& out, std::size_t& size);

// False for a body sent as is: no Content-Encoding, or only "identity".
bool needs_decoding(std::string_view encoding);

}  // namespace shoal
