// The OpenSSL side of one TLS client connection, without the socket.
//
// TLS records come in through input_space() / input_arrived() and go out
// through output(); the engine's own BIO hands OpenSSL the bytes in place
// and takes its records into one string, so a record is copied once on the
// way in (into OpenSSL's buffer) and once on the way out (into output()).
// tls_client_stream drives it over a socket.
//
//   tls_engine e(ctx);
//   e.handshake(ec)   -> need_input: send output(), read into input_space(),
//                        input_arrived(n), call again; done: ec says how
//   e.read(p, n, got, ec), e.write(p, n, put, ec): the same, for data
//
// Errors are Asio's for the same causes, as its ssl::stream reports them:
// an OpenSSL error in the ssl category, net::error::eof after the peer's
// close_notify, ssl::error::stream_truncated for a transport that ends
// without one (transport_failed).
#pragma once

#include <openssl/ssl.h>

#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace shoal {

class tls_engine {
public:
    enum class step { done, need_input };

    // A client connection of ctx, which must outlive it.
    // Throws std::bad_alloc when OpenSSL cannot make one.
    explicit tls_engine(SSL_CTX* ctx);
    ~tls_engine();
    tls_engine(const tls_engine&) = delete;  // owns an SSL object
    tls_engine& operator=(const tls_engine&) = delete;

    SSL* native_handle() const { return ssl_; }

    // Runs the handshake as far as the input allows.
    step handshake(boost::system::error_code& ec);
    // Reads into [data, data + size): as much as the input holds once some
    // has arrived; need_input (got 0) when nothing has. size must be > 0.
    step read(void* data, std::size_t size, std::size_t& got, boost::system::error_code& ec);
    // Writes [data, data + size) as records into output(): done, put == size,
    // unless ec is set. need_input (put 0) while a renegotiation the server
    // asked for (TLS 1.2) waits for its answer; then call again with the same
    // bytes.
    step write(const void* data, std::size_t size, std::size_t& put, boost::system::error_code& ec);

    // Where the transport's next bytes go. REQUIRES: a step returned
    // need_input (the input is used up).
    std::span<char> input_space();
    void input_arrived(std::size_t n);
    // The error for a transport read that failed while a step needed input.
    boost::system::error_code transport_failed(const boost::system::error_code& ec) const;

    // Whether bytes came that no read() has taken yet: records in the
    // input, or plaintext OpenSSL holds.
    bool holds_input() const;

    // Records to send before anything else, then output_sent().
    const std::string& output() const { return output_; }
    void output_sent() { output_.clear(); }

private:
    friend struct tls_engine_bio;
    step unfinished(int result, boost::system::error_code& ec);
    boost::system::error_code failure(int result);

    SSL* ssl_ = nullptr;
    std::unique_ptr<char[]> input_;
    std::size_t input_begin_ = 0, input_end_ = 0;
    std::string output_;
    // An error met after some bytes were read: read() returns those first.
    boost::system::error_code deferred_;
};

}  // namespace shoal
