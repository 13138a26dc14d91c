// HTTP/1.1 and HTTPS fetching with Boost.Beast and OpenSSL (see fetcher.hpp).
// The only translation unit that includes Beast (HTTPS over tls_client_stream).
#include "shoal/fetcher.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include "shoal/charset.hpp"
#include "shoal/content_decoder.hpp"
#include "shoal/error.hpp"
#include "shoal/host_limiter.hpp"
#include "shoal/host_pacer.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/tls_client_stream.hpp"
#include "shoal/tls_session_store.hpp"

namespace shoal {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;
using namespace net::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t max_header_bytes = 64 * 1024;
constexpr std::size_t max_idle_per_origin = 64;
// How long a request waiting for --per-host room sleeps at most before it
// looks again (room another worker makes is seen no sooner).
constexpr std::chrono::milliseconds max_slot_poll{50};
constexpr std::size_t read_buffer_bytes = 32 * 1024;
constexpr std::size_t max_buffer_bytes = 128 * 1024;
constexpr unsigned max_interim_responses = 16;
constexpr std::size_t max_spare_buffers = 256;
// How long a new TLS connection waits for the session that another one to
// its host is bringing (its handshake and first answer), before it makes a
// full handshake of its own: this, or a quarter of the attempt's --timeout
// if that is less.
constexpr auto session_wait = std::chrono::seconds(2);

using tls_stream = tls_client_stream;

// One open connection. Exactly one of plain/tls is set.
struct connection {
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<tls_stream> tls;
    // A TLS exchange on it ended well. OpenSSL takes a connection freed
    // without a sent close_notify for a broken one and marks its session,
    // which the fetcher keeps and offers again, not resumable; such a
    // connection is ended as if shut down, so that its session stays good.
    bool session_good = false;
    // The session the fetcher last kept from it (identity only): an exchange
    // on a kept-alive connection seldom brings a new one.
    const SSL_SESSION* session_seen = nullptr;
    // It makes the full handshake that other connections to its origin wait
    // for (see fetcher::impl::session_wanted), until its first exchange ends.
    bool brings_session = false;

    connection() = default;
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection() {
        if (!tls || !session_good) return;
        SSL* ssl_handle = tls->native_handle();
        SSL_set_shutdown(ssl_handle, SSL_get_shutdown(ssl_handle) | SSL_SENT_SHUTDOWN);
    }
    // Bounded: the parser needs a header or a chunk-size line whole in the
    // buffer, so an endless one fails at this size instead of growing memory.
    beast::flat_buffer buffer{max_buffer_bytes};
    std::string request;  // the request being sent, its capacity reused

    beast::tcp_stream& tcp() { return plain ? *plain : tls->next_layer(); }
};

// What one request/response exchange gave.
struct attempt {
    error_stage stage = error_stage::none;
    std::string code, message;
    bool retryable = false;
    int status = -1;
    std::string location, content_type, content_encoding, transfer_codings;
    double retry_after_s = 0;
    std::string raw_body;
    bool body_cut = false;
    bool abandoned = false;  // the run stopped while it waited to send (see fetcher::stop)
};

// The Content-Type a response's fields give, as the Fetch standard's
// "extract a MIME type" reads them (every field, split at commas outside
// quotes): the last value that parses (type/subtype, not */*) counts, and
// one of the same type and subtype without a charset keeps the charset an
// earlier one gave. Written "type/subtype" or "type/subtype; charset=X",
// all that the fetch uses; "" when no value parses.
std::string fetch_content_type(std::string_view fields) {
    auto is_token = [](std::string_view s) {
        return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
        });
    };
    std::string essence, charset, result;
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i <= fields.size(); ++i) {
        if (i < fields.size() && (fields[i] != ',' || quoted)) {
            if (fields[i] == '"') quoted = !quoted;
            continue;
        }
        const std::string_view value = fields.substr(start, i - start);
        start = i + 1;
        std::string_view type = trim_blanks(value.substr(0, value.find(';')));
        const std::size_t slash = type.find('/');
        if (slash == std::string_view::npos || !is_token(type.substr(0, slash)) || !is_token(type.substr(slash + 1)))
            continue;
        std::string this_essence(type);
        for (char& c : this_essence) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (this_essence == "*/*") continue;
        std::string this_charset = content_type_charset(value.substr(std::min(value.size(), value.find(';'))));
        if (this_essence != essence) {
            essence = this_essence;
            charset = this_charset;
        } else if (this_charset.empty()) {
            this_charset = charset;
        }
        result = this_essence;
        if (!this_charset.empty()) result += "; charset=" + this_charset;
    }
    return result;
}

// A response parser that keeps what a fetch uses and nothing else: the
// status, five header values and the body, appended as it arrives. Beast's
// response_parser would store every header in its own allocation, and zero
// the body's room before copying into it.
class response_reader final : public http::basic_parser<false> {
public:
    int status = 0;
    std::string location, content_type, content_encoding, retry_after;
    std::string transfer_codings;  // Transfer-Encoding's codings other than chunked
    std::string body;
    // Set keep_at_most to keep a longer body's start: reading stops with
    // error::body_limit once more arrives, and cut is set.
    std::size_t keep_at_most = std::numeric_limits<std::size_t>::max();
    bool cut = false;

private:
    bool chunked = false;  // a Transfer-Encoding field named chunked
    using string_view = beast::string_view;
    using error_code = boost::system::error_code;

    void on_request_impl(http::verb, string_view, string_view, int, error_code&) override {}
    void on_response_impl(int code, string_view, int, error_code& ec) override {
        status = code;
        if (code < 100) ec = http::error::bad_status;  // "000": no HTTP status (RFC 9110 15: 100-599)
    }
    // The first of repeated fields counts, as with message::operator[],
    // but for Content-Type (see fetch_content_type); coding lists given in
    // several fields are one list.
    void on_field_impl(http::field f, string_view, string_view value, error_code& ec) override {
        auto keep = [&](std::string& to) {
            if (to.empty()) to.assign(value.data(), value.size());
        };
        auto add = [](std::string& to, string_view item) {
            if (!to.empty()) to += ", ";
            to.append(item.data(), item.size());
        };
        switch (f) {
            case http::field::location: keep(location); break;
            case http::field::content_type: add(content_type, value); break;
            case http::field::content_encoding: add(content_encoding, value); break;
            case http::field::retry_after: keep(retry_after); break;
            case http::field::transfer_encoding:
                // Beast frames the body by "chunked"; a coding before it
                // (gzip) is undone with the content codings, after them.
                // Chunked twice, or a coding after it, frames no body
                // (RFC 9112 6.1): a malformed response, in one field or several.
                for (const auto& item : http::token_list(value)) {
                    if (chunked) {
                        ec = http::error::bad_transfer_encoding;
                        return;
                    }
                    if (beast::iequals(item, "chunked")) chunked = true;
                    else add(transfer_codings, item);
                }
                break;
            default: break;
        }
    }
    void on_header_impl(error_code&) override {
        // One field, the usual case, is kept as sent; several (joined with
        // commas above) are read as one value of each.
        if (content_type.find(',') != std::string::npos) content_type = fetch_content_type(content_type);
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, error_code&) override {
        // body_limit() has already refused a longer Content-Length; no more
        // than keep_at_most of one is kept.
        if (length) body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, keep_at_most)));
    }
    std::size_t on_body_impl(string_view piece, error_code& ec) override { return keep(piece, ec); }
    void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, string_view piece, error_code& ec) override {
        return keep(piece, ec);
    }
    std::size_t keep(string_view piece, error_code& ec) {
        if (piece.size() > keep_at_most - body.size()) {
            body.append(piece.data(), keep_at_most - body.size());
            cut = true;
            ec = http::error::body_limit;
            return 0;
        }
        body.append(piece.data(), piece.size());
        return piece.size();
    }
    void on_finish_impl(error_code&) override {}
};

// Whether unread chunked bytes start with the last chunk: the line ending
// the chunk before, then a size of zeros ("0", "000") and its end or an
// extension.
bool last_chunk_at(std::string_view unread) {
    if (unread.starts_with("\r\n")) unread.remove_prefix(2);
    std::size_t zeros = 0;
    while (zeros < unread.size() && unread[zeros] == '0') ++zeros;
    return zeros > 0 && zeros < unread.size() && (unread[zeros] == '\r' || unread[zeros] == ';' ||
                                                  unread[zeros] == ' ' || unread[zeros] == '\t');
}

// Reading a response as http::async_read_header and http::async_read do,
// with less per response: what the buffer already holds (most bodies
// come with their header) is parsed at once, and only what is missing is
// read from the stream, with no composed operations or post around it.
enum class read_goal { header, message };

bool goal_met(const response_reader& p, read_goal goal) {
    return goal == read_goal::header ? p.is_header_done() : p.is_done();
}

// Parses what buffer holds. True when the goal is met or ec says why not;
// false when the stream must be read for more.
bool parse_buffered(beast::flat_buffer& buffer, response_reader& p, read_goal goal,
                    boost::system::error_code& ec) {
    p.eager(goal == read_goal::message);
    for (;;) {
        if (goal_met(p, goal)) return true;
        if (buffer.size() == 0) return false;
        const std::size_t used = p.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == http::error::need_more) {
            ec = {};
            return false;
        }
        if (ec) return true;
    }
}

// Reads until the goal is met: the error, if any, as Beast's reads give it
// (end_of_stream for a close before any byte, partial_message after some).
// REQUIRES: parse_buffered() has just asked for more. Every parse follows
// a read, as in Beast: the parser is not given the same bytes twice (it
// asserts against that on a last chunk's line cut short).
template <class Stream>
net::awaitable<boost::system::error_code> read_response(Stream& stream, beast::flat_buffer& buffer,
                                                        response_reader& p, read_goal goal) {
    boost::system::error_code ec;
    do {
        const std::size_t size = beast::read_size(buffer, 65536);  // never past max_size()
        if (size == 0) co_return http::error::buffer_overflow;
        auto [rec, n] = co_await stream.async_read_some(buffer.prepare(size), use_tuple);
        buffer.commit(n);
        if (rec == net::error::eof) {
            if (!p.got_some()) co_return http::error::end_of_stream;
            p.put_eof(ec);
            co_return ec;
        }
        if (rec) co_return rec;
    } while (!parse_buffered(buffer, p, goal, ec));
    co_return ec;
}

bool is_redirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string code_of(const boost::system::error_code& ec) {
    if (ec == beast::error::timeout) return "timeout";
    if (ec == net::error::connection_refused) return "connection_refused";
    if (ec == net::error::connection_reset) return "connection_reset";
    if (ec == net::error::eof || ec == http::error::end_of_stream) return "connection_closed";
    if (ec == net::error::host_not_found || ec == net::error::host_not_found_try_again)
        return "dns_not_found";
    if (ec == net::error::network_unreachable) return "network_unreachable";
    if (ec == net::error::host_unreachable) return "host_unreachable";
    if (ec == net::error::broken_pipe) return "broken_pipe";
    if (ec == net::error::no_descriptors ||
        ec == boost::system::error_code(ENFILE, boost::system::system_category()))
        return "too_many_open_files";  // EMFILE, ENFILE: the worker waits and fetches again
    if (ec == http::error::body_limit) return "body_too_large";
    if (ec == http::error::header_limit) return "header_too_large";
    if (ec == http::error::partial_message) return "truncated_body";
    if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
        return "bad_chunked_encoding";
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category())
        return "bad_response";
    if (ec.category() == net::error::get_ssl_category()) {
        if (ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED)
            return "certificate_verify_failed";
        return "tls_error";
    }
    if (ec == net::ssl::error::stream_truncated) return "tls_truncated";
    return "io_error";
}

bool is_transient(const boost::system::error_code& ec) {
    return ec == beast::error::timeout || ec == net::error::connection_refused ||
           ec == net::error::connection_reset || ec == net::error::eof ||
           ec == http::error::end_of_stream || ec == http::error::partial_message ||
           ec == net::ssl::error::stream_truncated || ec == net::error::network_unreachable ||
           ec == net::error::host_unreachable || ec == net::error::broken_pipe ||
           ec == net::error::host_not_found_try_again || ec == net::error::no_descriptors;
}

// What went wrong, said for a user: the library's own words ("partial
// message", "end of stream") only where nothing better is known.
std::string message_of(const boost::system::error_code& ec, error_stage stage) {
    if (ec == beast::error::timeout) {
        switch (stage) {
            case error_stage::connect: return "timed out connecting (--timeout bounds each attempt)";
            case error_stage::tls: return "timed out in the TLS handshake (--timeout bounds each attempt)";
            case error_stage::request: return "timed out sending the request (--timeout bounds each attempt)";
            case error_stage::response:
                return "timed out waiting for the response headers (--timeout bounds each attempt)";
            default: return "timed out reading the body (--timeout bounds each attempt)";
        }
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof)
        return stage == error_stage::body ? "the server closed the connection in the middle of the body"
                                          : "the server closed the connection without answering";
    if (ec == http::error::partial_message)
        return stage == error_stage::body ? "the connection closed before the whole body came"
                                          : "the connection closed in the middle of the response headers";
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
        return "response headers over 64 KiB";
    if (ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension)
        return "bad chunked encoding (" + ec.message() + ")";
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category())
        return "not a well-formed HTTP/1.x response (" + ec.message() + ")";
    if (ec.category() == net::error::get_ssl_category()) {
        switch (ERR_GET_REASON(static_cast<unsigned long>(ec.value()))) {
            case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
            case SSL_R_UNSUPPORTED_PROTOCOL:
                return "the server speaks no TLS version shoal does (1.2 and 1.3; older ones are "
                       "insecure and refused, --insecure too): " + ec.message();
            case SSL_R_WRONG_VERSION_NUMBER:
                return "the server did not answer in TLS (plain HTTP on this port? then the URL is http://): " +
                       ec.message();
            case SSL_R_EXCESSIVE_MESSAGE_SIZE:
                return "a handshake message over OpenSSL's size limit (a certificate chain over 100 KB?): " +
                       ec.message();
            case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
                return "the server refused the handshake (no cipher in common, or it wants a client "
                       "certificate, which shoal does not send): " + ec.message();
            case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
                return "the server wants a client certificate, which shoal does not send: " + ec.message();
            default:
                break;
        }
    }
    if (ec == net::ssl::error::stream_truncated)
        return stage == error_stage::body  ? "the connection closed (without TLS close_notify) before the whole body came"
               : stage == error_stage::tls ? "the connection closed in the TLS handshake"
                                           : "the connection closed without TLS close_notify";
    return ec.message();
}

void fail(attempt& a, error_stage stage, const boost::system::error_code& ec) {
    a.stage = stage;
    a.code = code_of(ec);
    a.message = message_of(ec, stage);
    a.retryable = is_transient(ec);
    // TLS 1.3 ends the client's handshake before the server has checked it:
    // a server that wants a client certificate says so at the first read.
    if (ec.category() == net::error::get_ssl_category() &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)
        a.stage = error_stage::tls;
}

// Text from a server as an error message shows it: at most `most` bytes
// (cut between characters), then how long it was. A Location header may be
// up to 64 KiB, a record's message need not.
std::string shown_text(std::string_view text, std::size_t most = 256) {
    if (text.size() <= most) return std::string(text);
    std::size_t cut = most;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return std::string(text.substr(0, cut)) + "... (" + std::to_string(text.size()) + " bytes)";
}

// The SSL ex_data slot marked when the server asked for a client
// certificate in the handshake.
int certificate_request_slot() {
    static const int slot = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return slot;
}

// OpenSSL's client certificate callback: marks the connection, sends none.
int note_certificate_request(SSL* ssl, X509** /*certificate*/, EVP_PKEY** /*key*/) {
    SSL_set_ex_data(ssl, certificate_request_slot(), ssl);
    return 0;
}

// TLS 1.3 ends the client's handshake before the server has checked it. A
// server that asked for a client certificate and then ends the new
// connection before any byte of an answer most likely refused the missing
// certificate, its alert lost to a reset that overtook it: stage tls, and
// the message says what is known. Retried as the reset would be: a server
// that asks but does not require one may have ended it for another reason.
void blame_missing_client_certificate(attempt& a, tls_client_stream& tls) {
    if (a.stage == error_stage::tls || a.code == "timeout" ||
        SSL_get_ex_data(tls.native_handle(), certificate_request_slot()) == nullptr)
        return;
    a.stage = error_stage::tls;
    a.code = "tls_error";
    a.message = "the server asked for a client certificate, which shoal does not send, and ended the "
                "connection before answering: " + a.message;
}

// Retry-After as seconds to wait: delay-seconds, or an HTTP-date less the
// time now, in any of the three forms RFC 9110 5.6.7 has recipients read
// ("Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
// "Sun Nov  6 08:49:37 1994"); 0 for anything else, or a date past. At
// most an hour: the caller caps it lower.
double parse_retry_after(std::string_view v, std::time_t now = std::time(nullptr)) {
    v = trim_blanks(v);
    if (v.empty()) return 0;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        double s = 0;
        for (char c : v) {
            s = s * 10 + (c - '0');
            if (s > 3600) return 3600;
        }
        return s;
    }
    const std::string date(v);
    std::tm tm{};
    bool read = false;
    for (const char* form : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"}) {
        tm = {};
        const char* end = ::strptime(date.c_str(), form, &tm);
        if ((read = end != nullptr && *end == '\0')) break;
    }
    if (!read) return 0;
    const std::time_t at = ::timegm(&tm);
    if (at == static_cast<std::time_t>(-1) || at <= now) return 0;
    return std::min<double>(static_cast<double>(at - now), 3600);
}

// Whether this machine has ::1 (a kernel without IPv6, or with it turned
// off, has not); asked once per process.
bool ipv6_loopback_usable() {
    static const bool usable = [] {
        const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return bound;
    }();
    return usable;
}

// One client context: TLS 1.2+, sessions kept by the fetcher (no OpenSSL cache), and
// verification against the system store or --ca-file unless --insecure.
std::unique_ptr<ssl::context> make_tls_context(const fetch_config& cfg) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    // No client session cache: the fetcher keeps each host's session
    // itself. With SSL_SESS_CACHE_CLIENT, OpenSSL also marks a TLS 1.3
    // session not resumable once a handshake has resumed it (one use per
    // ticket), and the other connections to that host that offered it
    // after that made full handshakes (at 2 x 512 on the benchmark rig,
    // about 500 of its 2,580 handshakes). Servers take a
    // ticket again (nginx, shoal serve); one that does not makes a full
    // handshake, which brings a fresh session.
    SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_client_cert_cb(ctx->native_handle(), note_certificate_request);
    // A kept-alive connection at rest holds no record buffers (~34 KB).
    SSL_CTX_set_mode(ctx->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    // TLS 1.3 suites in browsers' order, AES-128-GCM first (OpenSSL's own
    // starts with AES-256-GCM-SHA384). Servers that follow the client's
    // order, as nginx does by default, then hash with SHA-256, which CPUs
    // with SHA extensions compute in hardware: a full handshake costs the
    // client about a sixth less CPU.
    if (SSL_CTX_set_ciphersuites(ctx->native_handle(),
                                 "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:"
                                 "TLS_CHACHA20_POLY1305_SHA256") != 1)
        throw setup_error(exit_code::internal, "cannot set the TLS 1.3 cipher suites");
    if (cfg.insecure) {
        ctx->set_verify_mode(ssl::verify_none);
        return ctx;
    }
    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    if (!cfg.ca_file.empty()) ctx->load_verify_file(cfg.ca_file, ec);
    else ctx->set_default_verify_paths(ec);
    if (ec)
        throw setup_error(exit_code::usage,
                          "cannot load CA certificates" +
                              (cfg.ca_file.empty() ? std::string() : " from " + cfg.ca_file) +
                              ": " + ec.message());
    // A trusted intermediate is trust enough, as in curl: a --ca-file with
    // a site's intermediate CA and not its root verifies that site.
    X509_STORE_set_flags(SSL_CTX_get_cert_store(ctx->native_handle()), X509_V_FLAG_PARTIAL_CHAIN);
    return ctx;
}

// What one request of a fetch is to do beside its URL.
struct request_plan {
    bool first_origin = true;  // no redirect has left the URL's origin: --header's credentials go
    std::size_t body_limit = 0;  // bytes of body as sent, at most
    bool cut_body = false;       // a longer body: keep its first body_limit bytes, not an error
    // A line's fetch gives its place among --concurrency up while it waits
    // out a retry's backoff (cfg.backoff_begins/ends); a robots.txt fetch,
    // which lanes of its site wait for, keeps it.
    bool gives_place_in_backoff = true;
};

}  // namespace

struct tls_client_context {
    std::unique_ptr<ssl::context> ctx;
};

std::shared_ptr<const tls_client_context> make_tls_client_context(const fetch_config& cfg) {
    auto t = std::make_shared<tls_client_context>();
    t->ctx = make_tls_context(cfg);
    return t;
}

struct fetcher::impl {
    net::io_context& io;
    fetch_config cfg;
    std::unique_ptr<ssl::context> tls_ctx;
    std::unordered_map<std::string, std::vector<std::unique_ptr<connection>>> idle;
    std::size_t idle_total = 0;  // kept-alive connections over all origins
    std::size_t idle_cap;        // at most one per lane, so descriptors stay bounded
    std::unordered_map<std::string, std::vector<tcp::endpoint>> dns_cache;
    std::unordered_map<std::string, SSL_SESSION*> sessions;
    std::string session_der;  // a session's bytes on their way from the shared store
    // Origins with no session yet whose first full handshake is under way
    // here. A TLS 1.3 session comes after the handshake, with the first
    // answer: connections to the origin opened meanwhile (lanes that join
    // a host with lines waiting) wait for it, up to session_wait, and
    // resume, instead of each making a full handshake. The timer wakes them.
    std::unordered_map<std::string, std::shared_ptr<net::steady_timer>> session_wanted;
    std::vector<unsigned> free_entries;  // host_limiter ledger entries not in use
    // This fetcher's requests waiting for --per-host room at an origin, in
    // the order they came: only the first tries for the slot (at once when a
    // request of this fetcher releases it, else every max_slot_poll at most,
    // for room other workers make); the others wait their turn.
    std::unordered_map<std::string, std::deque<net::steady_timer*>> slot_waiters;
    // Timers of the waits before a request is sent (a --per-host slot, a
    // --per-host-rate turn, a retry's backoff): stop() ends them.
    std::unordered_set<net::steady_timer*> waits;
    // Origins that answered 429 or 503 with Retry-After: no request of this
    // fetcher goes there before the time given, its retries' or others'.
    std::unordered_map<std::string, clock_type::time_point> paused_until;
    bool stopped = false;
    std::vector<beast::flat_buffer> spare_buffers;
    fetch_counters counters;
    std::minstd_rand rng{std::random_device{}()};

    std::string fixed_headers;   // request headers after Host, and the blank line
    std::string headers_elsewhere;  // the same for a redirect to another origin
    bool custom_host = false;    // --header 'Host: ...' replaces ours (on the first origin)
    bool asks_close = false;     // --header 'Connection: close': no connection is kept alive

    impl(net::io_context& io_, fetch_config cfg_)
        : io(io_), cfg(std::move(cfg_)), idle_cap(std::max<std::size_t>(cfg.idle_cap, 1)) {
        for (unsigned e = cfg.limiter_entries; e > 0; --e) free_entries.push_back(e - 1);
        make_fixed_headers();
    }

    // Our default headers, each unless --header gives its own, then --header's.
    void make_fixed_headers() {
        auto given = [&](std::string_view name) {
            for (const auto& h : cfg.headers)
                if (beast::iequals(h.first, name)) return true;
            return false;
        };
        custom_host = given("Host");
        for (const auto& [name, v] : cfg.headers)
            for (const auto& token : http::token_list(v))
                if (beast::iequals(name, "Connection") && beast::iequals(token, "close")) asks_close = true;
        const std::pair<const char*, std::string> defaults[] = {
            {"User-Agent", cfg.user_agent},
            {"Accept", "text/html,application/xhtml+xml,*/*;q=0.8"},
            {"Accept-Encoding", "gzip, deflate"},
        };
        for (const auto& [name, v] : defaults)
            if (!given(name)) fixed_headers += std::string(name) + ": " + v + "\r\n";
        headers_elsewhere = fixed_headers;
        for (const auto& [name, v] : cfg.headers) {
            fixed_headers += name + ": " + v + "\r\n";
            if (!meant_for_first_origin(name)) headers_elsewhere += name + ": " + v + "\r\n";
        }
        fixed_headers += "\r\n";
        headers_elsewhere += "\r\n";
    }

    // --header's credentials and Host are for the URL's own origin: a
    // redirect to another scheme, host or port does not get them (as curl).
    static bool meant_for_first_origin(std::string_view name) {
        for (std::string_view n : {"Authorization", "Cookie", "Proxy-Authorization", "Host"})
            if (beast::iequals(name, n)) return true;
        return false;
    }

    ~impl() {
        for (auto& [k, s] : sessions) SSL_SESSION_free(s);
    }

    // The supervisor's context, inherited with the fork; else one made on
    // the first https URL, so a chunk of plain-http URLs never pays for
    // loading the CA store.
    ssl::context& tls() {
        if (cfg.tls) return *cfg.tls->ctx;
        if (!tls_ctx) {
            tls_ctx = make_tls_context(cfg);
            if (!cfg.insecure && cfg.ca_file.empty()) ++counters.ca_store_loads;
            if (cfg.made_own_tls_context) cfg.made_own_tls_context();
        }
        return *tls_ctx;
    }

    clock_type::duration timeout() const {
        return std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(cfg.timeout_s));
    }

    // Waits on t (set to expire) unless stop() has come or comes meanwhile;
    // false then.
    net::awaitable<bool> wait_unless_stopped(net::steady_timer& t) {
        if (stopped) co_return false;
        waits.insert(&t);
        co_await t.async_wait(use_tuple);
        waits.erase(&t);
        co_return !stopped;
    }

    // A request's place in slot_waiters, given up when its frame ends
    // (it got the slot, the run stopped, or the frame was destroyed).
    struct slot_queue_place {
        impl& f;
        const std::string& origin;
        net::steady_timer* timer;
        ~slot_queue_place() {
            auto it = f.slot_waiters.find(origin);
            if (it == f.slot_waiters.end()) return;
            auto& q = it->second;
            const bool first = !q.empty() && q.front() == timer;
            if (auto me = std::find(q.begin(), q.end(), timer); me != q.end()) q.erase(me);
            if (q.empty()) f.slot_waiters.erase(it);
            else if (first) q.front()->cancel();  // the next one is first now: it tries
        }
    };

    // Waits until origin is below --per-host over all workers, after the
    // requests of this fetcher that came first. Returns the ledger entry to
    // release, or -1 when there is no limit or the run stopped meanwhile.
    net::awaitable<int> acquire(const std::string& origin) {
        if (cfg.limiter == nullptr || free_entries.empty()) co_return -1;
        unsigned entry = free_entries.back();
        if (!slot_waiters.contains(origin) && cfg.limiter->try_acquire(origin, cfg.ledger, entry)) {
            free_entries.pop_back();
            co_return static_cast<int>(entry);
        }
        free_entries.pop_back();
        net::steady_timer t(io);
        slot_waiters[origin].push_back(&t);
        slot_queue_place place{*this, origin, &t};
        auto poll = std::chrono::milliseconds(2);
        for (;;) {
            // The first polls (and is woken by a release); the others sleep
            // until they are first.
            const bool first = slot_waiters[origin].front() == &t;
            if (first) t.expires_after(poll);
            else t.expires_at(clock_type::time_point::max());
            if (!co_await wait_unless_stopped(t)) {
                free_entries.push_back(entry);
                co_return -1;
            }
            if (slot_waiters[origin].front() != &t) continue;
            if (cfg.limiter->try_acquire(origin, cfg.ledger, entry)) co_return static_cast<int>(entry);
            if (first) poll = std::min(poll * 2, max_slot_poll);
        }
    }

    // Seconds left of the pause origin asked for (see paused_until), 0 when none.
    double pause_left(const std::string& origin) {
        const auto it = paused_until.find(origin);
        if (it == paused_until.end()) return 0;
        const auto left = it->second - clock_type::now();
        if (left.count() > 0) return std::chrono::duration<double>(left).count();
        paused_until.erase(it);
        return 0;
    }

    void pause(const std::string& origin, double seconds) {
        const auto now = clock_type::now();
        if (paused_until.size() >= 1024)  // sites not asked again: their pauses are over
            std::erase_if(paused_until, [&](const auto& p) { return p.second <= now; });
        const auto until = now + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
        auto& at = paused_until[origin];
        at = std::max(at, until);
    }

    // Waits for origin's turn under --per-host-rate or a Crawl-delay: every
    // request (a retry, a redirect) takes one, whichever worker sends it.
    // False when the run stopped meanwhile.
    net::awaitable<bool> pace(const std::string& origin) {
        // A pause that began while this request waited for its slot.
        if (const double left = pause_left(origin); left > 0 && !co_await sleep(left)) co_return false;
        if (cfg.pacer == nullptr) co_return true;
        const std::chrono::nanoseconds at_least = cfg.min_spacing ? cfg.min_spacing(origin) : std::chrono::nanoseconds{};
        if (cfg.pacer->interval().count() == 0 && at_least.count() <= 0) co_return true;
        const auto wait = cfg.pacer->reserve(origin, at_least);
        if (wait.count() <= 0) co_return true;
        net::steady_timer t(io, std::chrono::duration_cast<clock_type::duration>(wait));
        co_return co_await wait_unless_stopped(t);
    }

    void space_next(const std::string& origin, std::chrono::nanoseconds spacing) {
        // The request just answered took its turn: the next is `spacing` from
        // now, or later if --per-host-rate already put it there.
        if (cfg.pacer != nullptr && spacing.count() > 0)
            cfg.pacer->hold_until(origin, std::chrono::steady_clock::now() + spacing);
    }

    void release(int entry, const std::string& origin) {
        if (entry < 0) return;
        cfg.limiter->release(cfg.ledger, static_cast<unsigned>(entry));
        free_entries.push_back(static_cast<unsigned>(entry));
        // The first request of this fetcher waiting for the origin tries at
        // once, before this one's lane can ask again: the slot, and the
        // connection just put back, are its.
        if (auto it = slot_waiters.find(origin); it != slot_waiters.end()) it->second.front()->cancel();
    }

    void stop() {
        stopped = true;
        for (net::steady_timer* t : waits) t->cancel();
    }

    static attempt abandoned_attempt() {
        attempt a;
        a.stage = error_stage::request;
        a.code = "stopped";
        a.message = "the run stopped before the request was sent";
        a.abandoned = true;
        return a;
    }

    // A kept-alive connection to origin that can carry the next request,
    // or nullptr. One the server wrote to or closed since its last response
    // is closed instead: bytes there (an unsolicited 408, a stray second
    // response) would be read as the next request's answer.
    std::unique_ptr<connection> take_idle(const std::string& origin) {
        auto it = idle.find(origin);
        if (it == idle.end()) return nullptr;
        while (!it->second.empty()) {
            auto c = std::move(it->second.back());
            it->second.pop_back();
            --idle_total;
            if (still_quiet(*c)) return c;
        }
        return nullptr;
    }

    // Whether nothing came on an idle connection since its last response,
    // and the server has not closed it: one non-blocking peek at its socket.
    static bool still_quiet(connection& c) {
        if (c.buffer.size() != 0 || (c.tls && c.tls->holds_input())) return false;
        char byte = 0;
        const ssize_t n = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
    }

    void put_idle(const std::string& origin, std::unique_ptr<connection> c) {
        auto& v = idle[origin];
        if (v.size() >= max_idle_per_origin) return;  // closes c
        if (idle_total >= idle_cap) evict_one(origin);
        c->tcp().expires_never();
        if (c->buffer.size() == 0) give_back_buffer(c->buffer);  // idle connections hold no buffer
        v.push_back(std::move(c));
        ++idle_total;
    }

    // Read buffers of connections at rest, for the next request to take
    // instead of allocating one: about as many as there are requests in
    // flight, never more than max_spare_buffers.
    void give_back_buffer(beast::flat_buffer& b) {
        if (b.capacity() >= read_buffer_bytes && spare_buffers.size() < max_spare_buffers) {
            b.clear();
            spare_buffers.push_back(std::move(b));
        }
        b = beast::flat_buffer{max_buffer_bytes};
    }

    void take_buffer(connection& c) {
        if (c.buffer.capacity() == 0 && !spare_buffers.empty()) {
            c.buffer = std::move(spare_buffers.back());
            spare_buffers.pop_back();
        }
        // Read in large pieces: a new flat_buffer would read 512 bytes
        // per system call.
        c.buffer.reserve(read_buffer_bytes);
    }

    // Closes one kept-alive connection to another origin than `keep`
    // (or to `keep` if it holds them all).
    // REQUIRES: idle holds an entry for keep (it is not erased here).
    void evict_one(const std::string& keep) {
        const std::size_t kept = idle.find(keep)->second.size();
        for (auto it = idle.begin(); it != idle.end();) {
            bool is_keep = it->first == keep;
            if (it->second.empty() && !is_keep) {
                it = idle.erase(it);
                continue;
            }
            if (!it->second.empty() && (!is_keep || idle_total == kept)) {
                it->second.pop_back();
                --idle_total;
                return;
            }
            ++it;
        }
    }

    // Resolves host (cached per fetcher; IP literals without a resolver call).
    net::awaitable<std::vector<tcp::endpoint>> resolve(const std::string& host, std::uint16_t port,
                                                       bool ip_literal, clock_type::time_point deadline,
                                                       boost::system::error_code& ec) {
        if (ip_literal) co_return std::vector<tcp::endpoint>{tcp::endpoint(net::ip::make_address(host), port)};
        // "localhost", "localhost." and names under it are the loopback
        // addresses, never asked of DNS (RFC 6761 6.3, as browsers do).
        if (const std::string_view name = without_root_dot(host);
            name == "localhost" || name.ends_with(".localhost")) {
            std::vector<tcp::endpoint> eps{tcp::endpoint(net::ip::address_v4::loopback(), port)};
            // ::1 only where it works: else its error would be the one said.
            if (ipv6_loopback_usable()) eps.emplace_back(net::ip::address_v6::loopback(), port);
            co_return eps;
        }
        auto it = dns_cache.find(host);
        if (it == dns_cache.end()) {
            tcp::resolver resolver(io);
            net::steady_timer timer(io, deadline);
            auto result = co_await (resolver.async_resolve(host, "", use_tuple) ||
                                    timer.async_wait(use_tuple));
            if (result.index() == 1) {
                ec = beast::error::timeout;
                co_return std::vector<tcp::endpoint>{};
            }
            auto [rec, results] = std::get<0>(result);
            if (rec) {
                ec = rec;
                co_return std::vector<tcp::endpoint>{};
            }
            std::vector<tcp::endpoint> eps;
            for (const auto& r : results) eps.push_back(r.endpoint());
            it = dns_cache.emplace(host, std::move(eps)).first;
        }
        std::vector<tcp::endpoint> eps = it->second;
        for (auto& ep : eps) ep.port(port);
        co_return eps;
    }

    // A connect-stage failure on the way to --proxy: the message names it.
    void fail_at_proxy(attempt& a, const boost::system::error_code& ec) {
        fail(a, error_stage::connect, ec);
        a.message = "proxy " + cfg.proxy->shown + ": " + a.message;
    }

    // Opens a CONNECT tunnel through --proxy to u's host and port on stream,
    // which is connected to the proxy. False, with a's error, when the proxy
    // does not answer 2xx (code proxy_error, retried as 5xx and 429 are).
    net::awaitable<bool> tunnel(beast::tcp_stream& stream, const target_url& u, attempt& a) {
        const std::string req = connect_request(u, *cfg.proxy, cfg.user_agent);
        auto [wec, wn] = co_await net::async_write(stream, net::buffer(req), use_tuple);
        if (wec) {
            fail_at_proxy(a, wec);
            co_return false;
        }
        response_reader answer;
        answer.header_limit(max_header_bytes);
        beast::flat_buffer buffer{max_header_bytes};
        auto [rec, rn] = co_await http::async_read_header(stream, buffer, answer, use_tuple);
        if (rec) {
            fail_at_proxy(a, rec);
            if (rec == http::error::buffer_overflow) a.code = "header_too_large";
            // Connected, the CONNECT sent: what did not come is its answer.
            if (a.code == "timeout")
                a.message = "proxy " + cfg.proxy->shown + ": no answer to CONNECT " + connect_authority(u) +
                            " within the timeout";
            co_return false;
        }
        const int st = answer.status;
        if (st < 200 || st > 299) {
            a.stage = error_stage::connect;
            a.code = "proxy_error";
            a.message = "proxy " + cfg.proxy->shown + " answered " + std::to_string(st) +
                        (st == 407 ? " (Proxy Authentication Required)" : "") + " to CONNECT " + connect_authority(u);
            a.retryable = st == 429 || (st >= 500 && st <= 599);
            a.retry_after_s = parse_retry_after(answer.retry_after);  // waited for as a site's
            co_return false;
        }
        if (buffer.size() != 0) {  // the site's bytes come only after our ClientHello
            a.stage = error_stage::connect;
            a.code = "proxy_error";
            a.message = "proxy " + cfg.proxy->shown + " sent bytes after its CONNECT answer";
            co_return false;
        }
        co_return true;
    }

    // Opens a new connection (TCP, then TLS for https).
    // origin: u.origin(), which the caller has already made.
    net::awaitable<std::unique_ptr<connection>> connect(const target_url& u, const std::string& origin,
                                                        clock_type::time_point deadline,
                                                        attempt& a) {
        boost::system::error_code ec;
        const proxy_server* proxy = cfg.proxy ? &*cfg.proxy : nullptr;
        // Not a ?: with a co_await in each arm: GCC 12 destroys the result twice.
        std::vector<tcp::endpoint> endpoints;
        if (proxy) endpoints = co_await resolve(proxy->host, proxy->port, proxy->ip_literal, deadline, ec);
        else endpoints = co_await resolve(u.host, u.port, u.ip_literal, deadline, ec);
        if (ec) {
            if (proxy) fail_at_proxy(a, ec);
            else fail(a, error_stage::connect, ec);
            co_return nullptr;
        }
        auto c = std::make_unique<connection>();
        if (cfg.before_connect) cfg.before_connect();
        beast::tcp_stream stream(io);
        stream.expires_at(deadline);
        auto [cec, ep] = co_await stream.async_connect(endpoints, use_tuple);
        if (cec == net::error::operation_aborted && !stream.socket().is_open()) {
            // Asio's connect loop reports a socket it could not open (EMFILE,
            // ENFILE, no IPv6) as "aborted": open one to learn why.
            boost::system::error_code oec;
            stream.socket().open(endpoints.front().protocol(), oec);
            cec = oec ? oec : net::error::no_descriptors;
        }
        // A loopback port nothing listens on, inside the ephemeral range, may
        // be the very port the kernel gives this socket: TCP then connects it
        // to itself, and the request would come back as the answer. Nothing
        // listens there: refused.
        if (!cec && ep.address().is_loopback() && stream.socket().local_endpoint(ec) == ep)
            cec = net::error::connection_refused;
        if (cec) {
            if (proxy) fail_at_proxy(a, cec);
            else fail(a, error_stage::connect, cec);
            co_return nullptr;
        }
        ++counters.connections;
        stream.socket().set_option(tcp::no_delay(true), ec);
        if (proxy && u.https && !co_await tunnel(stream, u, a)) co_return nullptr;
        if (!u.https) {
            c->plain = std::make_unique<beast::tcp_stream>(std::move(stream));
            co_return c;
        }
        c->tls = std::make_unique<tls_stream>(std::move(stream), tls().native_handle());
        if (!co_await handshake(*c, u, origin, deadline, a)) {
            if (c->brings_session) session_came(*c, origin);
            co_return nullptr;
        }
        co_return c;
    }

    // The session to offer origin, the one kept here or another worker's:
    // nullptr when there is none, after waiting for the one a handshake
    // under way here is bringing. With none coming, c is made the
    // connection that brings one.
    net::awaitable<SSL_SESSION*> session_for(connection& c, const std::string& origin,
                                             clock_type::time_point deadline) {
        if (SSL_SESSION* known = known_session(origin)) co_return known;
        auto w = session_wanted.find(origin);
        if (w == session_wanted.end()) {
            // Waiting may take a quarter of the attempt's time at most, so
            // that a fetch after it has the rest (a first URL that hangs
            // must not make the others to its host time out).
            const auto now = clock_type::now();
            const auto until = now + std::min<clock_type::duration>(session_wait, (deadline - now) / 4);
            c.brings_session = true;
            session_wanted.emplace(origin, std::make_shared<net::steady_timer>(io, until));
            if (cfg.shared_sessions == nullptr || cfg.shared_sessions->claim(origin, until)) co_return nullptr;
            // Another worker is making the full handshake: wait for the
            // session it will put in the table (polled, the pause doubling
            // from 2 to 32 ms), or until its claim runs out.
            for (auto pause = std::chrono::milliseconds(2); clock_type::now() < until;
                 pause = std::min(pause * 2, std::chrono::milliseconds(32))) {
                net::steady_timer t(io, pause);
                co_await t.async_wait(use_tuple);
                if (SSL_SESSION* known = known_session(origin)) {
                    session_came(c, origin);  // the connections waiting here resume it too
                    co_return known;
                }
                if (cfg.shared_sessions->claim(origin, until)) break;
            }
            co_return nullptr;
        }
        std::shared_ptr<net::steady_timer> timer = w->second;  // session_came() erases it
        co_await timer->async_wait(use_tuple);
        co_return known_session(origin);
    }

    // Origin's session, kept here or, failing that, another worker's from
    // the shared table; nullptr when there is none.
    SSL_SESSION* known_session(const std::string& origin) {
        auto found = sessions.find(origin);
        if (found == sessions.end()) found = adopt_shared_session(origin);
        return found == sessions.end() ? nullptr : found->second;
    }

    // c, which brings origin's session, has kept it or failed to: the
    // connections waiting for it go on.
    void session_came(connection& c, const std::string& origin) {
        c.brings_session = false;
        if (cfg.shared_sessions != nullptr && !sessions.contains(origin)) cfg.shared_sessions->unclaim(origin);
        auto w = session_wanted.find(origin);
        if (w == session_wanted.end()) return;
        w->second->cancel();
        session_wanted.erase(w);
    }

    net::awaitable<bool> handshake(connection& c, const target_url& u, const std::string& origin,
                                   clock_type::time_point deadline, attempt& a) {
        tls_stream& s = *c.tls;
        SSL* ssl_handle = s.native_handle();
        // A name's last dot ("example.com.") is in neither the server name
        // sent (RFC 6066) nor the certificate's names (as curl and browsers).
        const std::string name(without_root_dot(u.host));
        if (!u.ip_literal) SSL_set_tlsext_host_name(ssl_handle, name.c_str());
        if (!cfg.insecure) {
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl_handle);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            if (u.ip_literal) X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str());
            else X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
        }
        if (SSL_SESSION* offer = co_await session_for(c, origin, deadline)) SSL_set_session(ssl_handle, offer);
        ++counters.tls_handshakes;
        auto [ec] = co_await s.async_handshake(use_tuple);
        if (ec) {
            fail(a, error_stage::tls, ec);
            // With --insecure nothing was verified: OpenSSL's result is
            // not why the handshake failed.
            const long verify = cfg.insecure ? X509_V_OK : SSL_get_verify_result(ssl_handle);
            if (verify != X509_V_OK) {
                a.code = "certificate_verify_failed";
                a.message = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
                if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
                    a.message += " (the certificate does not name " + name + ")";
            }
            // A connection closed or reset in the handshake is tried again,
            // as one closed before its answer; a refused handshake is not.
            a.retryable = ec == beast::error::timeout || ec == net::ssl::error::stream_truncated ||
                          ec == net::error::eof || ec == net::error::connection_reset;
            co_return false;
        }
        if (SSL_session_reused(ssl_handle)) ++counters.tls_resumed;
        co_return true;
    }

    // The session another worker kept for origin, now also this fetcher's;
    // sessions.end() when there is none (or it does not decode).
    std::unordered_map<std::string, SSL_SESSION*>::iterator adopt_shared_session(const std::string& origin) {
        if (cfg.shared_sessions == nullptr || !cfg.shared_sessions->get(origin, session_der))
            return sessions.end();
        SSL_SESSION* sess = session_from_der(session_der);
        if (sess == nullptr) return sessions.end();
        return sessions.emplace(origin, sess).first;
    }

    // A session read from its DER; nullptr when it does not decode.
    static SSL_SESSION* session_from_der(std::string_view der) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        SSL_SESSION* sess = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(der.size()));
        if (sess == nullptr) ERR_clear_error();
        return sess;
    }

    // Keeps the session of a finished exchange for the next handshake to
    // origin, here and, after a full handshake, for the other workers: after
    // a resumption the table holds a session that works already. One the
    // server no longer takes makes a full handshake, which puts a fresh one.
    //
    // Both keep it without the server's certificate (without_peer_certificate):
    // OpenSSL's session holds the parsed certificate, and a chunk of distinct
    // hosts would otherwise hold one per host (a few KB each, far more for a
    // certificate with many names). A session resumed from such a lean one
    // has no certificate either, and is kept as it is.
    // c's exchange has ended well (see connection::session_good).
    void remember_session(connection& c, const std::string& origin) {
        c.session_good = true;
        SSL* ssl_handle = c.tls->native_handle();
        SSL_SESSION* current = SSL_get_session(ssl_handle);
        if (current == nullptr || current == c.session_seen) return;  // nothing new here
        c.session_seen = current;
        if (!SSL_SESSION_is_resumable(current)) return;
        SSL_SESSION* keep = nullptr;
        if (SSL_SESSION_get0_peer(current) != nullptr) {
            unsigned char* der = nullptr;  // one encoding pass, into memory OpenSSL allocates
            const int len = i2d_SSL_SESSION(current, &der);
            std::optional<std::string> lean;
            if (len > 0)
                lean = without_peer_certificate(
                    {reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)});
            OPENSSL_free(der);
            if (lean) {
                if (cfg.shared_sessions != nullptr && !SSL_session_reused(ssl_handle))
                    cfg.shared_sessions->put(origin, *lean);
                keep = session_from_der(*lean);
            }
        }
        if (keep == nullptr) {
            keep = current;
            SSL_SESSION_up_ref(keep);
        }
        auto [it, inserted] = sessions.try_emplace(origin, keep);
        if (!inserted) {
            SSL_SESSION_free(it->second);
            it->second = keep;
        }
    }

    template <class Stream>
    net::awaitable<void> exchange(Stream& stream, connection& c, const target_url& u, const request_plan& plan,
                                  attempt& a, bool& keep_alive, bool& got_bytes) {
        const bool first_origin = plan.first_origin;
        // Send the request: one buffer, the fixed headers made once.
        std::string& req = c.request;
        req.assign("GET ");
        // Through --proxy, a plain-http request names the whole URL; https
        // ones go in a tunnel, as if to the site.
        const bool to_proxy = cfg.proxy && !u.https;
        req += to_proxy ? u.url : u.target;
        req += " HTTP/1.1\r\n";
        if (to_proxy && !cfg.proxy->authorization.empty()) {
            req += "Proxy-Authorization: ";
            req += cfg.proxy->authorization;
            req += "\r\n";
        }
        if (!custom_host || !first_origin) {
            req += "Host: ";
            if (u.host.find(':') != std::string::npos) req += '[' + u.host + ']';
            else req += u.host;
            if (u.port != (u.https ? 443 : 80)) {
                req += ':';
                req += std::to_string(u.port);
            }
            req += "\r\n";
        }
        req += first_origin ? fixed_headers : headers_elsewhere;
        for (std::size_t sent = 0; sent < req.size();) {  // as net::async_write, less wrapped
            const net::const_buffer rest(req.data() + sent, req.size() - sent);
            auto [wec, wn] = co_await stream.async_write_some(rest, use_tuple);
            if (wec) {
                fail(a, error_stage::request, wec);
                co_return;
            }
            sent += wn;
        }
        // Read the response, skipping interim 1xx answers (100 Continue, 103
        // Early Hints): each gets a fresh parser, under the same deadline.
        std::optional<response_reader> parser;
        boost::system::error_code rec;
        for (unsigned interim = 0;; ++interim) {
            parser.emplace();
            parser->header_limit(max_header_bytes);
            if (plan.cut_body) {
                parser->body_limit(boost::none);
                parser->keep_at_most = plan.body_limit;
            } else {
                parser->body_limit(plan.body_limit);
            }
            if (!parse_buffered(c.buffer, *parser, read_goal::header, rec))
                rec = co_await read_response(stream, c.buffer, *parser, read_goal::header);
            got_bytes = got_bytes || parser->got_some();
            if (rec) break;
            const int st = parser->status;
            if (st < 100 || st >= 200 || st == 101) break;
            if (interim == max_interim_responses) {
                a.stage = error_stage::response;
                a.code = "too_many_interim_responses";
                a.message = "more than " + std::to_string(max_interim_responses) + " 1xx responses";
                co_return;
            }
        }
        if (!rec && parser->status == 101) {
            // A GET that asked for no upgrade: the connection speaks
            // something else now.
            a.status = 101;
            a.stage = error_stage::response;
            a.code = "bad_response";
            a.message = "101 Switching Protocols to a request that asked for no upgrade";
            co_return;
        }
        if (!rec) {
            if (!parse_buffered(c.buffer, *parser, read_goal::message, rec))
                rec = co_await read_response(stream, c.buffer, *parser, read_goal::message);
            if (rec == net::ssl::error::stream_truncated && parser->need_eof()) {
                // A body that ends where the connection does, closed without
                // TLS close_notify (as many servers do): the end of the body,
                // as browsers take it.
                rec = {};
                parser->put_eof(rec);
            }
            if (parser->cut) {
                rec = {};  // the start is what was asked for; the rest stays unread
                a.body_cut = true;
            }
        }
        if (to_proxy && parser->is_header_done() && parser->status == 407) {
            // Only a proxy asks for proxy credentials: as for a tunnel it refuses.
            a.stage = error_stage::connect;
            a.code = "proxy_error";
            a.message = "proxy " + cfg.proxy->shown + " answered 407 (Proxy Authentication Required)";
            co_return;
        }
        if (parser->is_header_done()) {
            a.status = parser->status;
            a.location = std::move(parser->location);
            a.content_type = std::move(parser->content_type);
            a.content_encoding = std::move(parser->content_encoding);
            if (!parser->transfer_codings.empty()) {
                if (!a.content_encoding.empty()) a.content_encoding += ", ";
                a.content_encoding += parser->transfer_codings;
                a.transfer_codings = std::move(parser->transfer_codings);
            }
            a.retry_after_s = parse_retry_after(parser->retry_after);
        }
        if (rec) {
            bool header_done = parser->is_header_done();
            fail(a, header_done ? error_stage::body : error_stage::response, rec);
            if (!header_done && rec == http::error::partial_message) a.code = "truncated_response";
            if (!header_done && a.code == "bad_response") {
                // A head whose lines end in LF alone reads as a bad reason
                // phrase or field: say what it is.
                const auto unread = c.buffer.data();
                const std::string_view head(static_cast<const char*>(unread.data()), unread.size());
                const std::size_t lf = head.find('\n');
                if (head.starts_with("HTTP/") && lf != std::string_view::npos && (lf == 0 || head[lf - 1] != '\r'))
                    a.message = "not a well-formed HTTP/1.x response: its lines end in LF alone, not CRLF";
            }
            if (rec == http::error::body_limit)
                a.message = "body larger than --max-body (" + std::to_string(plan.body_limit) +
                            " bytes) as sent; nothing of it is kept";
            if (rec == http::error::buffer_overflow) {
                // Beast reads the last chunk's line and its trailer fields as one.
                const auto unread = c.buffer.data();
                const bool trailers =
                    header_done && last_chunk_at(std::string_view(static_cast<const char*>(unread.data()), unread.size()));
                a.code = !header_done ? "header_too_large" : trailers ? "trailers_too_large" : "chunk_line_too_long";
                if (header_done)
                    a.message = trailers ? "trailer fields after the last chunk over 128 KiB"
                                         : "a chunk-size line over 128 KiB";
            }
            co_return;
        }
        keep_alive = parser->keep_alive() && !a.body_cut && !asks_close;  // RFC 9112 9.6: the request said close
        a.raw_body = std::move(parser->body);
    }

    // One request on a kept-alive or new connection. A kept-alive connection
    // that the server closed meanwhile is replaced once, without counting.
    net::awaitable<attempt> attempt_once(const target_url& u, const request_plan& plan) {
        // Once the run stops, no request starts: the fetch's line is left
        // for a rerun (--resume), not given a record.
        if (stopped) co_return abandoned_attempt();
        attempt a;
        const std::string origin = u.origin();
        const int entry = co_await acquire(origin);
        if (stopped || !co_await pace(origin)) {
            release(entry, origin);
            co_return abandoned_attempt();
        }
        auto deadline = clock_type::now() + timeout();
        for (int round = 0; round < 2; ++round) {
            // The request sent again takes a --per-host-rate turn of its own.
            if (round > 0) {
                const auto left = deadline - clock_type::now();  // the wait for a turn is not the attempt's
                if (stopped || !co_await pace(origin)) {
                    a = abandoned_attempt();
                    break;
                }
                deadline = clock_type::now() + left;
            }
            a = attempt{};
            // The request sent again goes on a new connection: another idle
            // one may have been timed out by the server as well (a second 408).
            auto c = round == 0 ? take_idle(origin) : nullptr;
            bool reused = c != nullptr;
            if (!c) c = co_await connect(u, origin, deadline, a);
            if (!c) break;
            if (reused) ++counters.reused;
            c->tcp().expires_at(deadline);
            take_buffer(*c);
            bool keep_alive = false, got_bytes = false;
            if (c->tls) co_await exchange(*c->tls, *c, u, plan, a, keep_alive, got_bytes);
            else co_await exchange(*c->plain, *c, u, plan, a, keep_alive, got_bytes);
            if (!reused && c->tls && a.stage != error_stage::none && !got_bytes)
                blame_missing_client_certificate(a, *c->tls);
            // A plain-http request through --proxy is answered by the proxy:
            // a failure there may be the proxy's, not the site's.
            if (cfg.proxy && !u.https && a.stage != error_stage::none && !a.message.starts_with("proxy "))
                a.message += " (through proxy " + cfg.proxy->shown + ")";
            // A stale keep-alive connection: the request goes again on a new
            // one, unless the run has stopped meanwhile. So it does after a
            // 408 there: a server that timed the idle connection out may
            // answer the next request so (RFC 9110 15.5.9 lets it be sent again).
            if (reused && ((a.stage != error_stage::none && !got_bytes && a.code != "timeout") ||
                           (a.stage == error_stage::none && a.status == 408))) {
                if (stopped) {
                    a = abandoned_attempt();
                    break;
                }
                continue;
            }
            if (a.stage == error_stage::none && c->tls) remember_session(*c, origin);
            if (c->brings_session) session_came(*c, origin);
            if (a.stage == error_stage::none) {
                // Bytes past the end of the response would be read as the
                // start of the next one: such a connection is not reused.
                if (keep_alive && c->buffer.size() == 0) put_idle(origin, std::move(c));
            }
            break;
        }
        release(entry, origin);
        co_return a;
    }

    // False when the run stopped meanwhile.
    net::awaitable<bool> sleep(double seconds) {
        net::steady_timer t(io, std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(seconds)));
        co_return co_await wait_unless_stopped(t);
    }

    double backoff(unsigned retry, double retry_after) {
        double base = 0.2 * static_cast<double>(1u << std::min(retry, 10u));
        std::uniform_real_distribution<double> jitter(0.5, 1.5);
        double wait = std::min(base * jitter(rng), 5.0);
        return std::min(std::max(wait, retry_after), 30.0);
    }

    // A request with retries on connect errors, timeouts, 429 and 5xx.
    net::awaitable<attempt> with_retries(const target_url& u, const request_plan& plan, std::uint32_t& attempts) {
        attempts = 0;
        int received = -1;  // the last status an attempt got
        const bool gives_place = plan.gives_place_in_backoff && cfg.backoff_begins && cfg.backoff_ends;
        for (;;) {
            // A pause its site asked for is waited out before the request
            // takes a --per-host slot, its place among -c another line's
            // meanwhile, as in a backoff.
            // (No origin string is made while no site asked for a pause.)
            if (const double left = paused_until.empty() ? 0 : pause_left(u.origin()); left > 0) {
                if (gives_place) cfg.backoff_begins();
                const bool waited = co_await sleep(left);
                if (gives_place) co_await cfg.backoff_ends();
                if (!waited) co_return abandoned_attempt();
            }
            attempt a = co_await attempt_once(u, plan);
            if (a.abandoned) co_return a;
            ++attempts;
            if (a.status != -1) received = a.status;
            else a.status = received;  // a 503, then a refused connection: 503
            bool retry_status = a.stage == error_stage::none && (a.status == 429 || (a.status >= 500 && a.status <= 599));
            // The site asks for a pause (429 Too Many Requests, 503 Service
            // Unavailable with Retry-After): every request to it waits it out.
            if (a.stage == error_stage::none && (a.status == 429 || a.status == 503) && a.retry_after_s > 0)
                pause(u.origin(), std::min(a.retry_after_s, 30.0));
            bool retry = retry_status || (a.stage != error_stage::none && a.retryable);
            if (!retry || attempts > cfg.retries) co_return a;
            if (gives_place) cfg.backoff_begins();
            const bool waited = co_await sleep(backoff(attempts - 1, a.retry_after_s));
            if (gives_place) co_await cfg.backoff_ends();
            if (!waited) co_return abandoned_attempt();
        }
    }

    net::awaitable<fetch_result> fetch(target_url url, bool gated, std::size_t body_limit,
                                       bool cut_body) {
        fetch_result r;
        // first_origin: still on the URL's own origin, no redirect has left it yet.
        request_plan plan{true, body_limit, cut_body, gated};
        for (unsigned redirects = 0;; ++redirects) {
            r.final_url = url.url;
            if (gated && cfg.gate) {
                std::optional<fetch_refusal> refusal = co_await cfg.gate(url);
                // A gate that waited (for a robots.txt) while the run
                // stopped may have no answer: the line is left for a rerun.
                if (stopped) {
                    r.abandoned = true;
                    co_return r;
                }
                if (refusal) {
                    r.stage = error_stage::request;
                    r.error_code = std::move(refusal->code);
                    r.error_message = std::move(refusal->message);
                    co_return r;
                }
            }
            attempt a = co_await with_retries(url, plan, r.attempts);
            if (a.abandoned) {
                r.abandoned = true;
                r.stage = a.stage;
                r.error_code = std::move(a.code);
                r.error_message = std::move(a.message);
                co_return r;
            }
            // The last status received: a redirect's stays when the next hop gets none.
            if (a.status != -1) r.status = a.status;
            if (a.stage != error_stage::none) {
                r.stage = a.stage;
                r.error_code = std::move(a.code);
                r.error_message = std::move(a.message);
                co_return r;
            }
            if (is_redirect(a.status) && !a.location.empty()) {
                // A robots.txt (the one fetch that is not gated) follows at
                // least five, as RFC 9309 2.3.1.2 asks, whatever --max-redirects says.
                const unsigned limit = gated ? cfg.max_redirects : std::max(cfg.max_redirects, 5u);
                if (redirects >= limit) {
                    r.stage = error_stage::redirect;
                    r.error_code = "too_many_redirects";
                    r.error_message = limit == 0 ? std::string("a redirect, and --max-redirects is 0")
                                                 : "more than " + std::to_string(limit) + " redirects";
                    co_return r;
                }
                auto next = resolve_location(url, a.location);
                if (auto* e = std::get_if<url_error>(&next)) {
                    r.stage = error_stage::redirect;
                    r.error_code = e->code;
                    // The URL parser's message may quote parts of it (a scheme, a port).
                    r.error_message = "redirect to '" + shown_text(a.location) + "': " + shown_text(e->message);
                    co_return r;
                }
                const target_url& to = std::get<target_url>(next);
                plan.first_origin =
                    plan.first_origin && to.https == url.https && to.port == url.port && to.host == url.host;
                url = std::move(std::get<target_url>(next));
                continue;
            }
            r.content_type = std::move(a.content_type);
            r.content_encoding = std::move(a.content_encoding);
            r.transfer_codings = std::move(a.transfer_codings);
            r.body = std::move(a.raw_body);
            r.body_cut = a.body_cut;
            co_return r;
        }
    }
};

std::string_view decode_body(fetch_result& f, std::size_t max_body, std::string& scratch) {
    if (f.stage != error_stage::none) return f.body;
    if (!needs_decoding(f.content_encoding) && f.body.size() <= max_body)
        return f.body;  // nothing to undo: no copy
    // scratch only grows from page to page: its first `size` bytes are this body.
    std::size_t size = 0;
    auto rc = decode_content_into(f.content_encoding, f.body, max_body, scratch, size);
    if (rc == decode_status::too_large) {
        f.stage = error_stage::body;
        f.error_code = "body_too_large";
        f.error_message = "decoded body larger than " + std::to_string(max_body) + " bytes";
    } else if (rc == decode_status::corrupt) {
        f.stage = error_stage::decode;
        f.error_code = "corrupt_encoding";
        f.error_message = "cannot decode the " + f.content_encoding + " body";
        // What came out before the damage was found may be damaged too: no
        // title or price is read from it (a cut-off stream's start is sound).
        return {};
    } else if (rc == decode_status::truncated && !f.body_cut) {
        f.stage = error_stage::decode;
        f.error_code = "corrupt_encoding";
        f.error_message = "the " + f.content_encoding + " body ends before its compressed stream does";
    } else if (rc == decode_status::unsupported) {
        f.stage = error_stage::decode;
        f.error_code = "unsupported_encoding";
        f.error_message = f.transfer_codings.empty() ? "Content-Encoding '" + f.content_encoding + "' is not supported"
                          : f.transfer_codings == f.content_encoding
                              ? "Transfer-Encoding '" + f.transfer_codings + "' is not supported"
                              : "the codings '" + f.content_encoding +
                                    "' (Content-Encoding, then Transfer-Encoding) are not all supported";
    }
    return std::string_view(scratch).substr(0, size);
}

fetcher::fetcher(net::io_context& io, fetch_config cfg)
    : impl_(std::make_unique<impl>(io, std::move(cfg))) {}

fetcher::~fetcher() = default;

net::awaitable<fetch_result> fetcher::fetch(target_url url) {
    return impl_->fetch(std::move(url), true, impl_->cfg.max_body, false);
}

net::awaitable<fetch_result> fetcher::fetch_ungated(target_url url, std::size_t prefix_limit) {
    return impl_->fetch(std::move(url), false, prefix_limit, true);
}

void fetcher::space_next(const std::string& origin, std::chrono::nanoseconds spacing) {
    impl_->space_next(origin, spacing);
}

void fetcher::stop() { impl_->stop(); }

void fetcher::close_idle() {
    impl_->idle.clear();
    impl_->idle_total = 0;
}

void fetcher::close_idle(const std::string& origin) {
    auto it = impl_->idle.find(origin);
    if (it == impl_->idle.end()) return;
    impl_->idle_total -= it->second.size();
    impl_->idle.erase(it);
}

bool fetcher::has_idle(const std::string& origin) const {
    auto it = impl_->idle.find(origin);
    return it != impl_->idle.end() && !it->second.empty();
}

const fetch_counters& fetcher::counters() const { return impl_->counters; }

}  // namespace shoal
