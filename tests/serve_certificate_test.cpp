// Tests for serve_certificate: the certificate `shoal serve --tls` makes is
// its own CA, names localhost and the first hosts of the URL list (and no
// others), matches its key, and survives its PEM.
#include "shoal/serve_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <catch2/catch.hpp>

#include <string>

#include "shoal/serve_pages.hpp"

namespace {

// Verifies cert as a TLS server's certificate against a store holding only itself.
bool verifies_as_own_ca(X509* cert) {
    X509_STORE* store = X509_STORE_new();
    X509_STORE_CTX* ctx = X509_STORE_CTX_new();
    REQUIRE(store != nullptr);
    REQUIRE(ctx != nullptr);
    REQUIRE(X509_STORE_add_cert(store, cert) == 1);
    REQUIRE(X509_STORE_CTX_init(ctx, store, cert, nullptr) == 1);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    const bool ok = X509_verify_cert(ctx) == 1;
    INFO(X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

bool names_ip(X509* cert, const std::string& ip) { return X509_check_ip_asc(cert, ip.c_str(), 0) == 1; }

}  // namespace

TEST_CASE("serve_certificate: its own CA, for localhost and the list's first hosts only", "[serve_certificate]") {
    const shoal::serve_certificate c = shoal::make_serve_certificate(300);
    REQUIRE(c.cert);
    REQUIRE(c.key);
    CHECK(X509_check_private_key(c.cert.get(), c.key.get()) == 1);
    CHECK(verifies_as_own_ca(c.cert.get()));
    CHECK(X509_check_host(c.cert.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_host(c.cert.get(), "example.com", 0, 0, nullptr) == 0);
    CHECK(names_ip(c.cert.get(), "127.0.0.1"));
    CHECK(names_ip(c.cert.get(), shoal::serve_pages::host_address(299)));
    CHECK_FALSE(names_ip(c.cert.get(), shoal::serve_pages::host_address(300)));
    CHECK_FALSE(names_ip(c.cert.get(), "10.0.0.1"));
    // A new key each time.
    const shoal::serve_certificate other = shoal::make_serve_certificate(1);
    CHECK(EVP_PKEY_eq(c.key.get(), other.key.get()) != 1);
}

TEST_CASE("serve_certificate: the address serve is bound to is named too", "[serve_certificate]") {
    const auto v4 = shoal::make_serve_certificate(1, "127.0.0.5");
    CHECK(names_ip(v4.cert.get(), "127.0.0.5"));
    CHECK(names_ip(v4.cert.get(), "127.0.0.1"));
    const auto v6 = shoal::make_serve_certificate(1, "::1");
    CHECK(names_ip(v6.cert.get(), "::1"));
}

TEST_CASE("serve_certificate: at most max_hosts hosts are named", "[serve_certificate]") {
    const std::uint64_t max = shoal::serve_certificate::max_hosts;
    const shoal::serve_certificate c = shoal::make_serve_certificate(max + 100);
    CHECK(names_ip(c.cert.get(), shoal::serve_pages::host_address(max - 1)));
    CHECK_FALSE(names_ip(c.cert.get(), shoal::serve_pages::host_address(max)));
}

TEST_CASE("serve_certificate: pem() reads back as the same certificate", "[serve_certificate]") {
    const shoal::serve_certificate c = shoal::make_serve_certificate(4);
    const std::string pem = c.pem();
    CHECK(pem.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    REQUIRE(bio != nullptr);
    X509* back = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    REQUIRE(back != nullptr);
    CHECK(X509_cmp(back, c.cert.get()) == 0);
    X509_free(back);
}
