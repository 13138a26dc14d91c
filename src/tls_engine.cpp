// The OpenSSL side of one TLS client connection (see tls_engine.hpp).
#include "shoal/tls_engine.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <algorithm>
#include <cstring>
#include <new>
#include <utility>

namespace shoal {

namespace {

// Room for the largest TLS record (16 KB of data, 256 bytes of expansion,
// the 5-byte header) and a little of the next.
constexpr std::size_t input_bytes = 17 * 1024;

// Empties this thread's OpenSSL error queue, which must be empty before an
// SSL call for SSL_get_error to be right.
void clear_errors() {
    if (ERR_peek_error() != 0) ERR_clear_error();
}

}  // namespace

// The BIO between OpenSSL and the engine's buffers.
struct tls_engine_bio {
    static tls_engine& engine(BIO* b) { return *static_cast<tls_engine*>(BIO_get_data(b)); }

    static int write(BIO* b, const char* data, std::size_t size, std::size_t* written) {
        engine(b).output_.append(data, size);
        *written = size;
        return 1;
    }

    static int read(BIO* b, char* data, std::size_t size, std::size_t* got) {
        tls_engine& e = engine(b);
        BIO_clear_retry_flags(b);
        const std::size_t held = e.input_end_ - e.input_begin_;
        if (held == 0) {
            BIO_set_retry_read(b);
            *got = 0;
            return 0;
        }
        const std::size_t n = std::min(size, held);
        std::memcpy(data, e.input_.get() + e.input_begin_, n);
        e.input_begin_ += n;
        if (e.input_begin_ == e.input_end_) e.input_begin_ = e.input_end_ = 0;
        *got = n;
        return 1;
    }

    static long ctrl(BIO* b, int cmd, long, void*) {
        switch (cmd) {
            case BIO_CTRL_FLUSH: return 1;
            case BIO_CTRL_PENDING: return static_cast<long>(engine(b).input_end_ - engine(b).input_begin_);
            case BIO_CTRL_WPENDING: return static_cast<long>(engine(b).output_.size());
            default: return 0;
        }
    }

    static int create(BIO* b) {
        BIO_set_init(b, 1);
        return 1;
    }

    static const BIO_METHOD* method() {
        static BIO_METHOD* const m = [] {
            BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "shoal tls_engine");
            if (made == nullptr) throw std::bad_alloc();
            BIO_meth_set_write_ex(made, write);
            BIO_meth_set_read_ex(made, read);
            BIO_meth_set_ctrl(made, ctrl);
            BIO_meth_set_create(made, create);
            return made;
        }();
        return m;
    }
};

tls_engine::tls_engine(SSL_CTX* ctx) {
    const BIO_METHOD* m = tls_engine_bio::method();
    ssl_ = SSL_new(ctx);
    BIO* bio = ssl_ ? BIO_new(m) : nullptr;
    if (bio == nullptr) {
        SSL_free(ssl_);
        ERR_clear_error();
        throw std::bad_alloc();
    }
    BIO_set_data(bio, this);
    SSL_set_bio(ssl_, bio, bio);  // the SSL object owns it
    SSL_set_connect_state(ssl_);
}

tls_engine::~tls_engine() { SSL_free(ssl_); }

tls_engine::step tls_engine::handshake(boost::system::error_code& ec) {
    clear_errors();
    const int r = SSL_do_handshake(ssl_);
    ec = {};
    return r == 1 ? step::done : unfinished(r, ec);
}

tls_engine::step tls_engine::read(void* data, std::size_t size, std::size_t& got,
                                  boost::system::error_code& ec) {
    got = 0;
    ec = {};
    if (deferred_) {
        ec = std::exchange(deferred_, {});
        return step::done;
    }
    clear_errors();
    auto* to = static_cast<char*>(data);
    for (;;) {
        std::size_t n = 0;
        const int r = SSL_read_ex(ssl_, to + got, size - got, &n);
        if (r == 1) {
            got += n;
            // Go on while more is at hand: the rest of a record, or records
            // still in the input.
            if (got == size || (input_begin_ == input_end_ && SSL_pending(ssl_) == 0)) return step::done;
            continue;
        }
        if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_READ) return got > 0 ? step::done : step::need_input;
        (got > 0 ? deferred_ : ec) = failure(r);
        return step::done;
    }
}

tls_engine::step tls_engine::write(const void* data, std::size_t size, std::size_t& put,
                                   boost::system::error_code& ec) {
    clear_errors();
    put = 0;
    ec = {};
    const int r = SSL_write_ex(ssl_, data, size, &put);
    return r == 1 ? step::done : unfinished(r, ec);
}

bool tls_engine::holds_input() const {
    return input_begin_ < input_end_ || SSL_has_pending(ssl_) == 1 || deferred_;
}

std::span<char> tls_engine::input_space() {
    if (!input_) input_.reset(new char[input_bytes]);
    return {input_.get() + input_end_, input_bytes - input_end_};
}

void tls_engine::input_arrived(std::size_t n) { input_end_ += n; }

boost::system::error_code tls_engine::transport_failed(const boost::system::error_code& ec) const {
    if (ec != boost::asio::error::eof) return ec;
    if ((SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN) != 0) return ec;
    return boost::asio::ssl::error::stream_truncated;
}

// A handshake or write call that did not finish: it waits for input, or it
// failed (ec).
tls_engine::step tls_engine::unfinished(int result, boost::system::error_code& ec) {
    if (SSL_get_error(ssl_, result) == SSL_ERROR_WANT_READ) return step::need_input;
    ec = failure(result);
    return step::done;
}

// The error for a failed SSL call, as Asio's ssl::stream would report it;
// empties the error queue.
boost::system::error_code tls_engine::failure(int result) {
    const int kind = SSL_get_error(ssl_, result);
    const auto first = static_cast<int>(ERR_get_error());
    boost::system::error_code ec;
    switch (kind) {
        case SSL_ERROR_SSL: ec.assign(first, boost::asio::error::get_ssl_category()); break;
        case SSL_ERROR_SYSCALL:
            if (first == 0) ec = boost::asio::ssl::error::unspecified_system_error;
            else ec.assign(first, boost::asio::error::get_ssl_category());
            break;
        case SSL_ERROR_ZERO_RETURN: ec = boost::asio::error::eof; break;
        default: ec = boost::asio::ssl::error::unexpected_result; break;
    }
    ERR_clear_error();
    return ec;
}

}  // namespace shoal
