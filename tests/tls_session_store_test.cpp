// tls_session_store: the shared table of TLS sessions, within one process
// and across a fork, as the supervisor and its workers use it; and the
// sessions' DER without the server's certificate, as they are put there.
#include "shoal/tls_session_store.hpp"

#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>

#include "shoal/url.hpp"

TEST_CASE("tls_session_store: keeps the latest session per origin", "[tls_session_store]") {
    shoal::tls_session_store store;
    std::string der;
    CHECK_FALSE(store.get("https://a:443", der));
    store.put("https://a:443", "first");
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "first");
    store.put("https://a:443", "second, longer");
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "second, longer");
    CHECK_FALSE(store.get("https://b:443", der));
    CHECK_FALSE(store.get("https://a:8443", der));
    // Empty and too-big sessions are not kept; the old one stays.
    store.put("https://a:443", "");
    store.put("https://a:443", std::string(shoal::tls_session_store::max_session_bytes + 1, 'x'));
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "second, longer");
    // The origin and the session share a slot.
    const std::string biggest(shoal::tls_session_store::max_session_bytes - std::string("https://c:443").size(), 'y');
    store.put("https://c:443", biggest);
    REQUIRE(store.get("https://c:443", der));
    CHECK(der == biggest);
    store.put("https://dd:443", biggest);
    CHECK_FALSE(store.get("https://dd:443", der));
}

TEST_CASE("tls_session_store: a session is given only to its own origin, not to one of the same hash",
          "[tls_session_store]") {
    // Two origins whose FNV-1a hashes are equal (found by search): a session
    // resumed with the other host would skip its certificate check.
    const std::string a = "https://equa9z0w6pa.localhost:19860", b = "https://h65vnc0ieaj.localhost:19860";
    REQUIRE(shoal::origin_hash(a) == shoal::origin_hash(b));
    shoal::tls_session_store store;
    std::string der = "left over";
    store.put(a, "session of a");
    CHECK_FALSE(store.get(b, der));
    CHECK(der.empty());
    REQUIRE(store.get(a, der));
    CHECK(der == "session of a");
    // Each keeps its own, in the origin's two slots.
    store.put(b, "session of b");
    REQUIRE(store.get(b, der));
    CHECK(der == "session of b");
    REQUIRE(store.get(a, der));
    CHECK(der == "session of a");
}

TEST_CASE("tls_session_store: hosts that share a first slot keep their sessions", "[tls_session_store]") {
    shoal::tls_session_store store;
    // 3,000 hosts over 8,192 slots: many share a first slot, few both.
    auto origin = [](int i) { return "https://h" + std::to_string(i) + ".example:443"; };
    for (int i = 0; i < 3000; ++i) store.put(origin(i), "s" + std::to_string(i));
    int kept = 0;
    std::string der;
    for (int i = 0; i < 3000; ++i) kept += store.get(origin(i), der) && der == "s" + std::to_string(i);
    INFO("kept " << kept << " of 3000");
    CHECK(kept >= 2900);
}

TEST_CASE("tls_session_store: a session kept in a forked child is seen by the parent", "[tls_session_store]") {
    shoal::tls_session_store store;
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        store.put("https://127.0.0.9:443", "from the child");
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    std::string der;
    REQUIRE(store.get("https://127.0.0.9:443", der));
    CHECK(der == "from the child");
}

TEST_CASE("tls_session_store: a live claim by another process says to wait, while none, an own or a "
          "run-out one does not",
          "[tls_session_store]") {
    using namespace std::chrono_literals;
    shoal::tls_session_store store;
    const auto now = std::chrono::steady_clock::now();
    CHECK(store.claim("https://a:443", now + 60s));
    CHECK(store.claim("https://a:443", now + 60s));  // this process's own claim
    CHECK(store.claim("https://short:443", now + 50ms));
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Exit status: a bit per wrong answer.
        int wrong = 0;
        const auto t = std::chrono::steady_clock::now();
        if (store.claim("https://a:443", t + 60s)) wrong |= 1;    // the parent's, live: wait
        if (!store.claim("https://b:443", t + 60s)) wrong |= 2;   // nobody's
        std::this_thread::sleep_for(150ms);
        if (!store.claim("https://short:443", t + 60s)) wrong |= 4;  // the parent's ran out
        ::_exit(wrong);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    // The child's claims are live for the parent in turn.
    CHECK_FALSE(store.claim("https://b:443", std::chrono::steady_clock::now() + 60s));
    CHECK_FALSE(store.claim("https://short:443", std::chrono::steady_clock::now() + 60s));
    // Unclaiming another process's claim changes nothing; a child that
    // unclaims its own frees the origin.
    store.unclaim("https://b:443");
    CHECK_FALSE(store.claim("https://b:443", std::chrono::steady_clock::now() + 60s));
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        store.claim("https://c:443", std::chrono::steady_clock::now() + 60s);
        store.unclaim("https://c:443");
        ::_exit(0);
    }
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(store.claim("https://c:443", std::chrono::steady_clock::now() + 60s));
}

namespace {

std::string bytes(std::initializer_list<int> list) {
    std::string s;
    for (int b : list) s += static_cast<char>(b);
    return s;
}

}  // namespace

TEST_CASE("without_peer_certificate: drops the [3] field and mends the SEQUENCE length",
          "[tls_session_store]") {
    using shoal::without_peer_certificate;
    // SEQUENCE { INTEGER 1, [3] { SEQUENCE { INTEGER 5 } }, [4] { OCTET STRING aa } }
    const std::string with_peer =
        bytes({0x30, 0x0f, 0x02, 0x01, 0x01, 0xa3, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05, 0xa4, 0x03,
               0x04, 0x01, 0xaa});
    const std::string lean = bytes({0x30, 0x08, 0x02, 0x01, 0x01, 0xa4, 0x03, 0x04, 0x01, 0xaa});
    REQUIRE(without_peer_certificate(with_peer).has_value());
    CHECK(*without_peer_certificate(with_peer) == lean);
    CHECK(*without_peer_certificate(lean) == lean);  // nothing to drop

    // Long-form lengths, on both sides of the 128- and 256-byte steps.
    const std::string big_peer = bytes({0xa3, 0x82, 0x01, 0x2c}) + std::string(300, 'p');
    const std::string field = bytes({0x04, 0x81, 0xc8}) + std::string(200, 'f');
    const std::string content = bytes({0x02, 0x01, 0x01}) + big_peer + field;
    const std::string long_der = bytes({0x30, 0x82, 0x01, 0xfe}) + content;
    REQUIRE(content.size() == 0x1fe);
    const std::string kept = bytes({0x02, 0x01, 0x01}) + field;
    REQUIRE(kept.size() == 206);
    CHECK(*without_peer_certificate(long_der) == bytes({0x30, 0x81, 0xce}) + kept);
}

TEST_CASE("without_peer_certificate: anything that is not a whole DER SEQUENCE is refused",
          "[tls_session_store]") {
    auto refused = [](const std::string& der) {
        return !shoal::without_peer_certificate(der).has_value();
    };
    CHECK(refused(""));
    CHECK(refused(bytes({0x30})));
    CHECK(refused(bytes({0x31, 0x03, 0x02, 0x01, 0x01})));  // a SET
    CHECK(refused(bytes({0x30, 0x04, 0x02, 0x01, 0x01})));  // cut short
    CHECK(refused(bytes({0x30, 0x03, 0x02, 0x01, 0x01, 0x00})));  // bytes after it
    CHECK(refused(bytes({0x30, 0x03, 0x02, 0x05, 0x01})));  // an element longer than the rest
    CHECK(refused(bytes({0x30, 0x04, 0x1f, 0x81, 0x01, 0x00})));  // a multi-byte tag
    CHECK(refused(bytes({0x30, 0x85, 0, 0, 0, 0, 3})));  // a 5-byte length
    CHECK(refused(bytes({0x30, 0x80})));  // indefinite length
}

TEST_CASE("without_peer_certificate: OpenSSL reads the result back as the same session",
          "[tls_session_store]") {
    SSL_SESSION* s = SSL_SESSION_new();
    REQUIRE(s != nullptr);
    const unsigned char key[48] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    const unsigned char id[32] = {9, 8, 7};
    REQUIRE(SSL_SESSION_set1_master_key(s, key, sizeof key) == 1);
    REQUIRE(SSL_SESSION_set1_id(s, id, sizeof id) == 1);
    REQUIRE(SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION) == 1);
    REQUIRE(SSL_SESSION_set1_hostname(s, "shop.example") == 1);
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx != nullptr);
    SSL* ssl = SSL_new(ctx);
    REQUIRE(ssl != nullptr);
    const unsigned char aes128gcm[2] = {0x13, 0x01};  // TLS_AES_128_GCM_SHA256
    const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, aes128gcm);
    REQUIRE(cipher != nullptr);
    REQUIRE(SSL_SESSION_set_cipher(s, cipher) == 1);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    unsigned char* der = nullptr;
    const int len = i2d_SSL_SESSION(s, &der);
    REQUIRE(len > 0);
    const auto lean =
        shoal::without_peer_certificate({reinterpret_cast<char*>(der), static_cast<std::size_t>(len)});
    OPENSSL_free(der);
    SSL_SESSION_free(s);
    REQUIRE(lean.has_value());
    const auto* p = reinterpret_cast<const unsigned char*>(lean->data());
    SSL_SESSION* back = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(lean->size()));
    REQUIRE(back != nullptr);
    unsigned char got[48] = {};
    CHECK(SSL_SESSION_get_master_key(back, got, sizeof got) == sizeof key);
    CHECK(std::equal(std::begin(key), std::end(key), got));
    CHECK(std::string(SSL_SESSION_get0_hostname(back)) == "shop.example");
    CHECK(SSL_SESSION_get0_peer(back) == nullptr);
    CHECK(SSL_CIPHER_get_id(SSL_SESSION_get0_cipher(back)) == TLS1_3_CK_AES_128_GCM_SHA256);
    SSL_SESSION_free(back);
}
