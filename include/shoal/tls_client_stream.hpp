// An HTTPS connection's stream: a tls_engine over a beast::tcp_stream.
//
// Beast reads and writes it as it would Asio's ssl::stream (async_read_some,
// async_write_some, async_handshake), and the tcp_stream's deadline covers
// every wait. It does less per call: the engine's BIO hands OpenSSL the
// socket's bytes where they landed (Asio's ssl::stream copies them through
// a BIO pair), and one read returns every record at hand.
//
// One operation at a time: a read, a write or the handshake.
// Included by fetcher.cpp only (it brings Beast's stream templates).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <cstddef>
#include <utility>

#include "shoal/tls_engine.hpp"

namespace shoal {

class tls_client_stream {
public:
    using executor_type = boost::beast::tcp_stream::executor_type;

    // A client connection of ctx (which must outlive it) over a connected tcp.
    tls_client_stream(boost::beast::tcp_stream&& tcp, SSL_CTX* ctx) : tcp_(std::move(tcp)), engine_(ctx) {}

    executor_type get_executor() noexcept { return tcp_.get_executor(); }
    boost::beast::tcp_stream& next_layer() { return tcp_; }
    SSL* native_handle() { return engine_.native_handle(); }
    // Whether bytes came from the server that no read has taken yet.
    bool holds_input() const { return engine_.holds_input(); }

    // Completes with (error_code).
    template <class Token>
    auto async_handshake(Token&& token) {
        return boost::asio::async_compose<Token, void(boost::system::error_code)>(
            op<kind::handshake, boost::asio::const_buffer>(*this, {}), token, tcp_);
    }

    // Complete with (error_code, bytes).
    template <class MutableBuffers, class Token>
    auto async_read_some(const MutableBuffers& buffers, Token&& token) {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            op<kind::read, boost::asio::mutable_buffer>(*this, first_of<boost::asio::mutable_buffer>(buffers)),
            token, tcp_);
    }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
        return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
            op<kind::write, boost::asio::const_buffer>(*this, first_of<boost::asio::const_buffer>(buffers)),
            token, tcp_);
    }

private:
    enum class kind { handshake, read, write };

    template <class Buffer, class Buffers>
    static Buffer first_of(const Buffers& buffers) {
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it)
            if (Buffer b(*it); b.size() > 0) return b;
        return {};
    }

    // One operation: steps of the engine, each followed by sending what it
    // wrote and, when it needs them, reading the transport's bytes.
    template <kind Kind, class Buffer>
    struct op {
        op(tls_client_stream& stream, Buffer b) : s(stream), buffer(b) {}

        tls_client_stream& s;
        Buffer buffer;
        std::size_t n = 0;
        boost::system::error_code ec;
        bool need_input = false;
        bool suspended = false;  // a wait has happened: the handler may be called directly
        enum class at { start, sending, receiving, posted } where = at::start;

        template <class Self>
        void operator()(Self& self, boost::system::error_code io_ec = {}, std::size_t io_n = 0) {
            switch (where) {
                case at::start: step(); break;
                case at::sending:
                    s.engine_.output_sent();
                    // A step's own error stands; a read that has its bytes keeps
                    // them, and the next call meets the broken transport.
                    if (io_ec && !ec && (Kind != kind::read || n == 0)) {
                        ec = io_ec;
                        n = 0;
                        return finish(self);
                    }
                    if (need_input) return receive(self);
                    return finish(self);
                case at::receiving:
                    if (io_ec) {
                        ec = s.engine_.transport_failed(io_ec);
                        return finish(self);
                    }
                    s.engine_.input_arrived(io_n);
                    step();
                    break;
                case at::posted: return complete(self);
            }
            if (!s.engine_.output().empty()) {
                where = at::sending;
                suspended = true;
                boost::asio::async_write(s.tcp_, boost::asio::buffer(s.engine_.output()), std::move(self));
                return;
            }
            if (need_input) return receive(self);
            finish(self);
        }

        void step() {
            need_input = false;
            if constexpr (Kind == kind::handshake) {
                need_input = s.engine_.handshake(ec) == tls_engine::step::need_input;
            } else if constexpr (Kind == kind::read) {
                if (buffer.size() > 0)
                    need_input = s.engine_.read(buffer.data(), buffer.size(), n, ec) == tls_engine::step::need_input;
            } else {
                if (buffer.size() > 0)
                    need_input = s.engine_.write(buffer.data(), buffer.size(), n, ec) == tls_engine::step::need_input;
            }
        }

        template <class Self>
        void receive(Self& self) {
            where = at::receiving;
            suspended = true;
            auto room = s.engine_.input_space();
            s.tcp_.async_read_some(boost::asio::buffer(room.data(), room.size()), std::move(self));
        }

        // The handler is never called from within the initiating function.
        template <class Self>
        void finish(Self& self) {
            if (suspended) return complete(self);
            where = at::posted;
            boost::asio::post(s.tcp_.get_executor(), std::move(self));
        }

        template <class Self>
        void complete(Self& self) {
            if constexpr (Kind == kind::handshake) self.complete(ec);
            else self.complete(ec, ec ? 0 : n);
        }
    };

    boost::beast::tcp_stream tcp_;
    tls_engine engine_;
};

}  // namespace shoal
