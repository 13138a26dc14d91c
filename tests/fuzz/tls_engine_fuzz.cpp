// Fuzzes tls_engine with whatever a server might send: the first byte picks
// the size of the pieces the rest arrives in, and each piece goes to the
// engine's input between handshake (then read) steps. Whatever the bytes,
// no step may read or write out of bounds, a read never reports more bytes
// than its buffer holds, every input piece fits the room the engine offers,
// and OpenSSL's error queue is left empty after every step.
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <boost/asio/error.hpp>

#include "shoal/tls_engine.hpp"

namespace {

SSL_CTX* client_context() {
    static SSL_CTX* ctx = [] {
        SSL_CTX* c = SSL_CTX_new(TLS_client_method());
        if (c == nullptr) std::abort();
        SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
        return c;
    }();
    return ctx;
}

void check_queue_empty() {
    if (ERR_peek_error() != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = 1 + data[0] % 64 * 41;  // 1 .. 2584 bytes
    ++data;
    --size;
    shoal::tls_engine engine(client_context());
    boost::system::error_code ec;
    bool handshaken = false;
    char out[3000];
    std::size_t at = 0;
    for (int steps = 0; steps < 10000; ++steps) {
        shoal::tls_engine::step s;
        if (!handshaken) {
            s = engine.handshake(ec);
            check_queue_empty();
            if (s == shoal::tls_engine::step::done) {
                if (ec) return 0;
                handshaken = true;
                continue;
            }
        } else {
            std::size_t got = 0;
            s = engine.read(out, sizeof out, got, ec);
            check_queue_empty();
            if (got > sizeof out) std::abort();
            if (s == shoal::tls_engine::step::done) {
                if (ec) return 0;
                continue;
            }
            if (got != 0) std::abort();
        }
        engine.output_sent();
        if (at == size) {
            (void)engine.transport_failed(boost::asio::error::eof);
            return 0;
        }
        auto room = engine.input_space();
        if (room.empty()) std::abort();
        const std::size_t n = std::min({piece, size - at, room.size()});
        std::memcpy(room.data(), data + at, n);
        engine.input_arrived(n);
        at += n;
    }
    return 0;
}
