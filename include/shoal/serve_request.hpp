// serve_request: what `shoal serve` reads of a request (see serve.hpp): the
// request head, parsed in place with no I/O, and whether a peer address is
// a loopback one. The server answers on loopback addresses only, unless
// told otherwise.
#pragma once

#include <cstddef>
#include <string_view>

namespace shoal::serve_request {

// True for an address in 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
bool is_loopback(std::string_view address);

// One parsed request head. The views point into the parsed buffer.
struct request_head {
    std::string_view method;
    std::string_view target;  // origin form: starts with '/'
    int minor_version = 1;    // HTTP/1.x
    bool keep_alive = true;   // after Connection and the version's default
    bool gzip = false;        // Accept-Encoding names gzip with q > 0
    bool has_body = false;    // Content-Length above 0, or Transfer-Encoding
};

enum class parse_status {
    ok,          // a whole head; `consumed` bytes of the buffer were it
    incomplete,  // need more bytes
    bad,         // malformed: 400
    too_large,   // no end of head within max_head_bytes: 431
};

constexpr std::size_t max_head_bytes = 16 * 1024;

// Parses the request head at the start of buf (leading empty lines are
// skipped). Lines end in CRLF or LF. A request with a body (Content-Length
// above 0 or Transfer-Encoding) is read as one (has_body); the server does
// not read bodies: it answers such a request and closes. A Content-Length
// that is not a number is `bad`.
parse_status parse(std::string_view buf, request_head& out, std::size_t& consumed);

}  // namespace shoal::serve_request
