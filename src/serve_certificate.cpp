// The self-signed certificate of `shoal serve --tls` (see serve_certificate.hpp).
#include "shoal/serve_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "shoal/error.hpp"
#include "shoal/serve_pages.hpp"

namespace shoal {
namespace {

[[noreturn]] void failure(const char* what) {
    throw setup_error(exit_code::internal, std::string("cannot make the TLS certificate: ") + what);
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, ctx, nid, value.c_str());
    if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) {
        X509_EXTENSION_free(ext);
        failure(OBJ_nid2sn(nid));
    }
    X509_EXTENSION_free(ext);
}

}  // namespace

serve_certificate make_serve_certificate(std::uint64_t hosts, std::string_view also_ip) {
    serve_certificate c;
    c.key.reset(EVP_EC_gen("P-256"));
    if (!c.key) failure("EC key generation");
    c.cert.reset(X509_new());
    if (!c.cert) failure("X509_new");
    X509* cert = c.cert.get();
    X509_set_version(cert, 2);
    BIGNUM* serial = BN_new();
    const bool serial_set = serial != nullptr && BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
                            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != nullptr;
    BN_free(serial);
    if (!serial_set) failure("serial number");
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, c.key.get());
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("shoal"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("shoal serve"), -1,
                               -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    std::string san = "DNS:localhost";
    for (std::uint64_t j = 0; j < std::min(hosts, serve_certificate::max_hosts); ++j)
        san += ",IP:" + serve_pages::host_address(j);
    if (!also_ip.empty()) san.append(",IP:").append(also_ip);
    add_extension(cert, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign");
    add_extension(cert, &ctx, NID_ext_key_usage, "serverAuth");
    add_extension(cert, &ctx, NID_subject_key_identifier, "hash");
    add_extension(cert, &ctx, NID_authority_key_identifier, "keyid:always");
    add_extension(cert, &ctx, NID_subject_alt_name, san);
    if (X509_sign(cert, c.key.get(), EVP_sha256()) <= 0) failure("signing");
    return c;
}

std::string serve_certificate::pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr || PEM_write_bio_X509(bio, cert.get()) != 1) {
        BIO_free(bio);
        failure("PEM encoding");
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
}

}  // namespace shoal
