// tls_engine: a client engine against a real OpenSSL server in memory, with
// the test CA's certificates: handshakes, records cut at every byte, reads
// that gather every record at hand, close_notify and its absence, corrupt
// records and certificates that fail verification.
#include "shoal/tls_engine.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <stdexcept>
#include <string>

#include "support/process.hpp"

namespace {

using boost::system::error_code;
using step = shoal::tls_engine::step;

struct ctx_deleter {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_deleter>;

ctx_ptr server_context(const std::string& cert_name) {
    ctx_ptr ctx(SSL_CTX_new(TLS_server_method()));
    const auto dir = shoal::test::test_ca_dir();
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx.get(), (dir / (cert_name + ".crt")).c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), (dir / (cert_name + ".key")).c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("cannot load the test server certificate " + cert_name);
    return ctx;
}

ctx_ptr client_context(bool verify) {
    ctx_ptr ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) throw std::runtime_error("SSL_CTX_new");
    if (verify) {
        SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
        if (SSL_CTX_load_verify_locations(ctx.get(), (shoal::test::test_ca_dir() / "ca.crt").c_str(), nullptr) != 1)
            throw std::runtime_error("cannot load the test CA");
    }
    return ctx;
}

// A server SSL object whose transport is two memory BIOs.
struct memory_server {
    explicit memory_server(SSL_CTX* ctx) : ssl(SSL_new(ctx)) {
        BIO* in = BIO_new(BIO_s_mem());
        BIO* out = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, in, out);
        SSL_set_accept_state(ssl);
    }
    ~memory_server() { SSL_free(ssl); }
    memory_server(const memory_server&) = delete;
    memory_server& operator=(const memory_server&) = delete;

    // What the server has written and the client has not been given.
    std::string take_output() {
        std::string s;
        char buf[4096];
        int n;
        while ((n = BIO_read(SSL_get_wbio(ssl), buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
        return s;
    }
    void give_input(const std::string& s) {
        if (!s.empty()) BIO_write(SSL_get_rbio(ssl), s.data(), static_cast<int>(s.size()));
    }
    void step_handshake() {
        ERR_clear_error();
        SSL_do_handshake(ssl);
    }
    void write(const std::string& s) {
        REQUIRE(SSL_write(ssl, s.data(), static_cast<int>(s.size())) == static_cast<int>(s.size()));
    }
    std::string read_all() {
        std::string s;
        char buf[4096];
        int n;
        while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
        ERR_clear_error();
        return s;
    }

    SSL* ssl;
};

// Hands bytes to the engine `piece` at a time (0: all it has room for).
void feed(shoal::tls_engine& e, const std::string& bytes, std::size_t& at, std::size_t piece) {
    auto room = e.input_space();
    std::size_t n = std::min(bytes.size() - at, piece == 0 ? room.size() : std::min(piece, room.size()));
    std::copy_n(bytes.data() + at, n, room.data());
    e.input_arrived(n);
    at += n;
}

// Hands all of bytes to the engine at once. REQUIRES: they fit its room.
void deliver(shoal::tls_engine& e, const std::string& bytes) {
    std::size_t at = 0;
    feed(e, bytes, at, 0);
    REQUIRE(at == bytes.size());
}

// Runs the handshake to its end, the server's bytes handed over `piece` at
// a time. Returns the client's result.
error_code handshake(shoal::tls_engine& client, memory_server& server, std::size_t piece = 0) {
    error_code ec;
    std::string from_server;
    std::size_t at = 0;
    for (int round = 0; round < 10000; ++round) {
        const step s = client.handshake(ec);
        server.give_input(client.output());
        client.output_sent();
        if (s == step::done) {
            server.step_handshake();  // it reads the client's Finished
            return ec;
        }
        server.step_handshake();
        from_server += server.take_output();
        if (at == from_server.size()) FAIL("the handshake stalled");
        feed(client, from_server, at, piece);
    }
    FAIL("the handshake did not end");
    return ec;
}

// Reads with `size`-byte calls until `want` bytes came or a call fails.
std::string read_until(shoal::tls_engine& client, const std::string& wire, std::size_t want,
                       std::size_t size, std::size_t piece, error_code& ec) {
    std::string got;
    std::size_t at = 0;
    std::string buf(size, '\0');
    while (got.size() < want) {
        std::size_t n = 0;
        if (client.read(buf.data(), buf.size(), n, ec) == step::need_input) {
            REQUIRE(at < wire.size());
            feed(client, wire, at, piece);
            continue;
        }
        if (ec) break;
        got.append(buf.data(), n);
    }
    return got;
}

// A client engine and a server past their handshake, without verification.
struct connected_pair {
    ctx_ptr server_ctx = server_context("server");
    ctx_ptr client_ctx = client_context(false);
    memory_server server{server_ctx.get()};
    shoal::tls_engine client{client_ctx.get()};
    connected_pair() { REQUIRE_FALSE(handshake(client, server)); }
};

}  // namespace

TEST_CASE("tls_engine: handshake and data both ways, verified against the test CA", "[tls_engine]") {
    auto server_ctx = server_context("server");
    auto client_ctx = client_context(true);
    for (std::size_t piece : {0, 1, 7, 100}) {
        CAPTURE(piece);
        memory_server server(server_ctx.get());
        shoal::tls_engine client(client_ctx.get());
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client.native_handle()), "127.0.0.1");
        REQUIRE_FALSE(handshake(client, server, piece));
        CHECK(SSL_get_verify_result(client.native_handle()) == X509_V_OK);

        // A request out: written as records into output(), whole.
        error_code ec;
        std::size_t put = 0;
        const std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        REQUIRE(client.write(request.data(), request.size(), put, ec) == step::done);
        REQUIRE_FALSE(ec);
        CHECK(put == request.size());
        server.give_input(client.output());
        client.output_sent();
        CHECK(server.read_all() == request);

        // An answer in three records, cut into pieces on the way.
        const std::string body(40000, 'x');
        server.write("HTTP/1.1 200 OK\r\n\r\n");
        server.write(body.substr(0, 20000));
        server.write(body.substr(20000));
        const std::string wire = server.take_output();
        const auto got = read_until(client, wire, 19 + body.size(), 64 * 1024, piece, ec);
        REQUIRE_FALSE(ec);
        CHECK(got == "HTTP/1.1 200 OK\r\n\r\n" + body);
    }
}

TEST_CASE("tls_engine: one read gathers every record at hand, and a small buffer gets the rest next", "[tls_engine]") {
    connected_pair p;
    auto& server = p.server;
    auto& client = p.client;
    server.write("one,");
    server.write("two,");
    server.write("three");
    const std::string wire = server.take_output();
    deliver(client, wire);

    error_code ec;
    std::size_t n = 0;
    char small[6];
    REQUIRE(client.read(small, sizeof small, n, ec) == step::done);
    REQUIRE_FALSE(ec);
    CHECK(std::string(small, n) == "one,tw");
    char big[100];
    REQUIRE(client.read(big, sizeof big, n, ec) == step::done);
    REQUIRE_FALSE(ec);
    CHECK(std::string(big, n) == "o,three");
    CHECK(client.read(big, sizeof big, n, ec) == step::need_input);
    CHECK(n == 0);
}

TEST_CASE("tls_engine: close_notify reads as eof, a transport that just ends as truncated", "[tls_engine]") {
    char buf[100];
    std::size_t n = 0;
    error_code ec;
    {
        connected_pair p;
        auto& server = p.server;
        auto& client = p.client;
        server.write("last words");
        SSL_shutdown(server.ssl);
        const std::string wire = server.take_output();
        deliver(client, wire);
        // The data first, then the end.
        REQUIRE(client.read(buf, sizeof buf, n, ec) == step::done);
        REQUIRE_FALSE(ec);
        CHECK(std::string(buf, n) == "last words");
        REQUIRE(client.read(buf, sizeof buf, n, ec) == step::done);
        CHECK(ec == boost::asio::error::eof);
        CHECK(client.transport_failed(boost::asio::error::eof) == boost::asio::error::eof);
    }
    {
        connected_pair p;
        auto& client = p.client;
        CHECK(client.read(buf, sizeof buf, n, ec) == step::need_input);
        CHECK(client.transport_failed(boost::asio::error::eof) == boost::asio::ssl::error::stream_truncated);
        CHECK(client.transport_failed(boost::asio::error::connection_reset) ==
              boost::asio::error::connection_reset);
    }
}

TEST_CASE("tls_engine: a corrupt record fails after the good ones before it are read", "[tls_engine]") {
    connected_pair p;
    auto& server = p.server;
    auto& client = p.client;
    server.write("good");
    std::string wire = server.take_output();
    server.write("spoiled");
    std::string bad = server.take_output();
    bad[bad.size() - 3] ^= 0x55;  // in the authentication tag
    wire += bad;
    deliver(client, wire);

    char buf[100];
    std::size_t n = 0;
    error_code ec;
    REQUIRE(client.read(buf, sizeof buf, n, ec) == step::done);
    REQUIRE_FALSE(ec);
    CHECK(std::string(buf, n) == "good");
    REQUIRE(client.read(buf, sizeof buf, n, ec) == step::done);
    CHECK(n == 0);
    CHECK(ec.category() == boost::asio::error::get_ssl_category());
    CHECK(ERR_peek_error() == 0);  // the queue is left empty for the next connection
    // An alert for the server is waiting to be sent.
    CHECK_FALSE(client.output().empty());
}

TEST_CASE("tls_engine: certificates that fail verification, and a server that speaks no TLS", "[tls_engine]") {
    auto client_ctx = client_context(true);
    for (const char* cert : {"expired", "wronghost"}) {
        CAPTURE(cert);
        auto server_ctx = server_context(cert);
        memory_server server(server_ctx.get());
        shoal::tls_engine client(client_ctx.get());
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(client.native_handle()), "127.0.0.1");
        const error_code ec = handshake(client, server);
        REQUIRE(ec);
        CHECK(ec.category() == boost::asio::error::get_ssl_category());
        CHECK(ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED);
        CHECK(SSL_get_verify_result(client.native_handle()) != X509_V_OK);
    }

    shoal::tls_engine client(client_ctx.get());
    error_code ec;
    REQUIRE(client.handshake(ec) == step::need_input);
    CHECK_FALSE(client.output().empty());  // the ClientHello
    client.output_sent();
    const std::string reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
    deliver(client, reply);
    REQUIRE(client.handshake(ec) == step::done);
    CHECK(ec.category() == boost::asio::error::get_ssl_category());
    CHECK(ERR_peek_error() == 0);
}

TEST_CASE("tls_engine: a TLS 1.2 server's renegotiation is carried through a read and a write", "[tls_engine]") {
    auto server_ctx = server_context("server");
    SSL_CTX_set_max_proto_version(server_ctx.get(), TLS1_2_VERSION);
    auto client_ctx = client_context(false);
    memory_server server(server_ctx.get());
    shoal::tls_engine client(client_ctx.get());
    REQUIRE_FALSE(handshake(client, server));
    REQUIRE(SSL_version(client.native_handle()) == TLS1_2_VERSION);

    // The server asks for a new handshake; the client's read answers with a
    // ClientHello and waits for the rest.
    REQUIRE(SSL_renegotiate(server.ssl) == 1);
    server.step_handshake();
    std::string wire = server.take_output();
    deliver(client, wire);
    char buf[100];
    std::size_t n = 0;
    error_code ec;
    CHECK(client.read(buf, sizeof buf, n, ec) == step::need_input);
    REQUIRE_FALSE(ec);
    CHECK_FALSE(client.output().empty());

    // A request written meanwhile waits for the handshake, then goes.
    const std::string request = "GET /again HTTP/1.1\r\n\r\n";
    std::string got;
    std::size_t put = 0;
    int waits = 0;
    for (;;) {
        const step s = client.write(request.data(), request.size(), put, ec);
        REQUIRE_FALSE(ec);
        server.give_input(client.output());
        client.output_sent();
        got += server.read_all();  // drives the server's side of the handshake
        if (s == step::done) break;
        REQUIRE(++waits < 10);
        wire = server.take_output();
        REQUIRE_FALSE(wire.empty());
        deliver(client, wire);
    }
    CHECK(waits > 0);
    CHECK(put == request.size());
    got += server.read_all();
    CHECK(got == request);
    CHECK(SSL_get_secure_renegotiation_support(client.native_handle()) == 1);
}
