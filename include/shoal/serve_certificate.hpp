// serve_certificate: the self-signed certificate `shoal serve --tls` makes
// at start, an EC P-256 key and a certificate that is its own CA, valid for
// localhost, 127.0.0.1 and the first hosts of the URL list, so that a crawl
// verifies it with --ca-file (the PEM that --cert-out writes).
//
//   serve_certificate c = make_serve_certificate(256);
//   SSL_CTX_use_certificate(ctx, c.cert.get()); SSL_CTX_use_PrivateKey(ctx, c.key.get());
//   write(c.pem());
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace shoal {

struct serve_certificate {
    struct free_key {
        void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    };
    struct free_cert {
        void operator()(X509* p) const { X509_free(p); }
    };
    // The most hosts named in the certificate (its subjectAltName).
    static constexpr std::uint64_t max_hosts = 4096;

    std::unique_ptr<X509, free_cert> cert;
    std::unique_ptr<EVP_PKEY, free_key> key;

    // The certificate in PEM. Throws setup_error(internal) if it cannot.
    std::string pem() const;
};

// A new key and certificate naming localhost, 127.0.0.1 and the addresses
// of the first min(hosts, max_hosts) hosts (serve_pages::host_address), and
// also_ip when given (the address of `serve --bind`, IPv4 or IPv6).
// Throws setup_error(internal) if OpenSSL fails.
serve_certificate make_serve_certificate(std::uint64_t hosts, std::string_view also_ip = {});

}  // namespace shoal
