// `shoal serve` (see serve.hpp): the experiment site's HTTP/1.1 and HTTPS
// server. The only translation unit of the server that includes Asio and
// Asio's SSL; the pages come from serve_pages.
#include "shoal/serve.hpp"

#include <fcntl.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <span>
#include <vector>

#include "shoal/command_line.hpp"
#include "shoal/error.hpp"
#include "shoal/serve_certificate.hpp"
#include "shoal/serve_counters.hpp"
#include "shoal/serve_pages.hpp"
#include "shoal/serve_request.hpp"
#include "shoal/sys.hpp"

namespace shoal {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace pages = serve_pages;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

using serve_request::parse_status;
using serve_request::request_head;
constexpr auto use_tuple = net::as_tuple(net::use_awaitable);
constexpr unsigned max_processes = 256;
constexpr auto closing_grace = std::chrono::seconds(2);

// ---------------------------------------------------------------- signals

// Set by SIGINT or SIGTERM while no signal_set has them: during the startup
// (the pages of a large --page-size take many seconds to build, a long
// --url-file to write, children to start) and while the children stop.
// The startup looks at it between steps and inside the long ones.
std::atomic<bool> stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);  // so a signal handler may set it

void note_stop_signal(int) { stop_requested.store(true, std::memory_order_relaxed); }

// SIGINT and SIGTERM set stop_requested. Without SA_RESTART, so that a
// blocking open or write (a --url-file FIFO nobody reads) ends with EINTR.
void note_stop_signals() {
    struct sigaction sa {};
    sa.sa_handler = note_stop_signal;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

// Throws pages::stopped once SIGINT or SIGTERM has come.
void throw_if_stopped() {
    if (stop_requested.load(std::memory_order_relaxed)) throw pages::stopped();
}

// ---------------------------------------------------------------- TLS

// The server context, made before the fork: every process holds the same
// session-ticket keys, so a session from one resumes on any other.
std::unique_ptr<ssl::context> make_server_context(const serve_certificate& pair) {
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* c = ctx->native_handle();
    SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    // The client's order of cipher suites decides, as in nginx's default.
    SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_clear_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_clear_options(c, SSL_OP_NO_TICKET);
    if (SSL_CTX_use_certificate(c, pair.cert.get()) != 1 || SSL_CTX_use_PrivateKey(c, pair.key.get()) != 1 ||
        SSL_CTX_check_private_key(c) != 1)
        throw setup_error(exit_code::internal, "cannot load the TLS certificate into the server context");
    static const unsigned char session_context[] = "shoal serve";
    SSL_CTX_set_session_id_context(c, session_context, sizeof session_context - 1);
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(c, 20480);
    SSL_CTX_set_timeout(c, 3600);
    SSL_CTX_set_num_tickets(c, 1);
    return ctx;
}

// ---------------------------------------------------------------- listening

tcp::endpoint listen_endpoint(const serve_options& o) {
    boost::system::error_code ec;
    net::ip::address a = o.bind.empty() ? net::ip::address(net::ip::address_v4::any())
                                        : net::ip::make_address(o.bind, ec);
    if (ec) throw setup_error(exit_code::usage, "--bind " + o.bind + ": not an IP address");
    return tcp::endpoint(a, static_cast<unsigned short>(o.port));
}

// The address URLs must name when --bind gives one; "" when the server
// answers on every 127.x.y.z (no --bind, or 0.0.0.0 or ::).
std::string bound_host(const serve_options& o) {
    if (o.bind.empty()) return {};
    const net::ip::address a = listen_endpoint(o).address();
    if (a.is_unspecified()) return {};
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

// The range of ports the kernel gives client connections
// (net.ipv4.ip_local_port_range; 32768-60999 when unreadable).
std::pair<unsigned, unsigned> client_ports() {
    std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
    unsigned first = 32768, last = 60999;
    range >> first >> last;
    return {first, last};
}

// A listening socket on ep (SO_REUSEPORT when several processes share it).
int make_listener(const tcp::endpoint& ep, bool reuse_port) {
    const int fd = ::socket(ep.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) sys::throw_errno(exit_code::internal, "socket");
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        ::close(fd);
        sys::throw_errno(exit_code::internal, "setsockopt(SO_REUSEPORT)");
    }
    if (::bind(fd, ep.data(), static_cast<socklen_t>(ep.size())) != 0 || ::listen(fd, 4096) != 0) {
        const int err = errno;
        ::close(fd);
        std::ostringstream where;  // may change errno
        where << "cannot listen on " << ep << ": " << std::strerror(err);
        // With no listener there, a client's connection in TIME_WAIT holds
        // the port (after a crawl, for about a minute): ports in the range
        // the kernel gives clients are its.
        if (const auto [first, last] = client_ports(); err == EADDRINUSE && ep.port() >= first && ep.port() <= last)
            where << " (a port in " << first << "-" << last
                  << " may be held by a client connection in TIME_WAIT for about a minute after a crawl: choose "
                     "another, or --port 0 for a free one)";
        throw setup_error(exit_code::usage, where.str());
    }
    return fd;
}

unsigned bound_port(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        sys::throw_errno(exit_code::internal, "getsockname");
    if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

// SO_REUSEPORT lets any process of the same user share a port, another
// `shoal serve` too: before sharing it among its own processes, the first
// takes the port alone for a moment, so that a port in use is an error.
tcp::endpoint claim_port(tcp::endpoint ep) {
    const int fd = make_listener(ep, false);
    ep.port(static_cast<unsigned short>(bound_port(fd)));
    ::close(fd);
    return ep;
}

// ---------------------------------------------------------------- the server

// One client connection. Buffers are reused from request to request.
struct connection {
    connection* prev = nullptr;
    connection* next = nullptr;
    tcp::socket* socket = nullptr;   // the lowest layer, for the sweeper and stop()
    clock_type::time_point deadline; // the sweeper closes the connection after this
    std::vector<char> in;            // request bytes [begin, end)
    std::size_t begin = 0, end = 0;
    std::string head;                // response head
    std::string chunk_lines;         // chunk-size lines of a chunked body
    std::string dynamic;             // a body made per request (listing, stats)
    pages::body body;                // a product page in pieces
    std::vector<net::const_buffer> out;
    std::optional<net::steady_timer> delay;
    bool idle = false;  // no byte of a request yet: kept alive after a response, or new (a preconnect)
};

enum class after_response { keep, close, reset };

// What every process shares, and what outlives the io_context: connection
// coroutines still suspended when it is destroyed unlink from `live` here.
struct server_state {
    const serve_options& opt;
    const pages::site& site;
    ssl::context* tls;  // nullptr: plain HTTP
    serve_counters::slot& stats;
    serve_counters& all_stats;
    bool loopback_only;
    connection live;  // sentinel of the list of open connections
    bool stopping = false;

    server_state(const serve_options& o, const pages::site& s, ssl::context* t, serve_counters::slot& c,
                 serve_counters& all)
        : opt(o), site(s), tls(t), stats(c), all_stats(all), loopback_only(bound_host(o).empty()) {
        live.prev = live.next = &live;
        stats.pid.store(::getpid());
    }
};

// Links a connection into server_state::live for its lifetime.
class live_guard {
public:
    live_guard(server_state& s, connection& c) : c_(c) {
        c.next = s.live.next;
        c.prev = &s.live;
        s.live.next->prev = &c;
        s.live.next = &c;
    }
    ~live_guard() {
        c_.prev->next = c_.next;
        c_.next->prev = c_.prev;
    }
    live_guard(const live_guard&) = delete;
    live_guard& operator=(const live_guard&) = delete;

private:
    connection& c_;
};

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_hex(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v, 16);
    out.append(buf, r.ptr);
}

class server {
public:
    server(net::io_context& io, server_state& state, int listen_fd, tcp::endpoint ep)
        : io_(io),
          st_(state),
          acceptor_(io, ep.protocol(), listen_fd),
          sweeper_(io),
          cpu_timer_(io),
          rng_(std::random_device{}()) {}

    void start() {
        net::co_spawn(io_, accept_loop(), net::detached);
        net::co_spawn(io_, sweep_loop(), net::detached);
        net::co_spawn(io_, cpu_loop(), net::detached);
    }

    // Closes the listener and every connection; run() then returns.
    void stop() {
        st_.stopping = true;
        boost::system::error_code ec;
        acceptor_.close(ec);
        sweeper_.cancel();
        cpu_timer_.cancel();
        for (connection* c = st_.live.next; c != &st_.live; c = c->next) {
            if (c->delay) c->delay->cancel();
            c->socket->close(ec);
        }
        update_cpu(st_.stats);
    }

private:
    net::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor_.async_accept(use_tuple);
            if (st_.stopping || ec == net::error::operation_aborted) co_return;
            if (ec) {
                // Out of descriptors: idle kept-alive connections make room
                // for new ones (a client keeping thousands would otherwise
                // shut every other one out until --idle-timeout). Else, or
                // for another error, wait instead of spinning.
                // System-wide (ENFILE), what they free may go to another
                // process: one batch, then the wait.
                if (ec == net::error::no_descriptors && close_idle(32) > 0) continue;
                if (ec == boost::system::errc::too_many_files_open_in_system) close_idle(32);
                net::steady_timer t(io_, std::chrono::milliseconds(20));
                co_await t.async_wait(use_tuple);
                continue;
            }
            if (st_.loopback_only && !local_is_loopback(sock)) {
                st_.stats.refused.fetch_add(1, std::memory_order_relaxed);
                sock.close(ec);
                continue;
            }
            st_.stats.connections.fetch_add(1, std::memory_order_relaxed);
            sock.set_option(tcp::no_delay(true), ec);
            if (st_.tls != nullptr)
                net::co_spawn(io_, serve_tls(std::move(sock)), net::detached);
            else
                net::co_spawn(io_, serve_plain(std::move(sock)), net::detached);
        }
    }

    // Closes up to n idle connections (kept alive, or opened and silent),
    // the longest open first.
    std::size_t close_idle(std::size_t n) {
        std::size_t closed = 0;
        boost::system::error_code ec;
        for (connection* c = st_.live.prev; c != &st_.live && closed < n; c = c->prev)  // oldest last in
            if (c->idle && c->socket->is_open()) {
                c->socket->close(ec);
                ++closed;
            }
        return closed;
    }

    static bool local_is_loopback(tcp::socket& sock) {
        boost::system::error_code ec;
        const net::ip::address a = sock.local_endpoint(ec).address();
        if (ec) return false;
        if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
        return serve_request::is_loopback(a.to_string());
    }

    // Closes connections past their deadline: idle keep-alive connections,
    // slow request heads, TLS handshakes and shutdowns that do not finish.
    net::awaitable<void> sweep_loop() {
        while (!st_.stopping) {
            // Often enough that a deadline is met within a quarter of
            // --idle-timeout (10 ms at least, 500 ms at most).
            sweeper_.expires_after(std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(
                std::clamp(st_.opt.idle_timeout_s / 4, 0.01, 0.5))));
            co_await sweeper_.async_wait(use_tuple);
            if (st_.stopping) co_return;
            const auto now = clock_type::now();
            boost::system::error_code ec;
            for (connection* c = st_.live.next; c != &st_.live; c = c->next)
                if (c->deadline < now) c->socket->close(ec);
        }
    }

    net::awaitable<void> cpu_loop() {
        while (!st_.stopping) {
            update_cpu(st_.stats);
            cpu_timer_.expires_after(std::chrono::milliseconds(50));
            co_await cpu_timer_.async_wait(use_tuple);
        }
    }

    clock_type::time_point idle_deadline() const {
        return clock_type::now() + std::chrono::duration_cast<clock_type::duration>(
                                       std::chrono::duration<double>(st_.opt.idle_timeout_s));
    }

    net::awaitable<void> serve_plain(tcp::socket sock) {
        connection c;
        c.socket = &sock;
        c.deadline = idle_deadline();
        live_guard guard(st_, c);
        co_await session(sock, c);
    }

    net::awaitable<void> serve_tls(tcp::socket sock) {
        ssl::stream<tcp::socket> stream(std::move(sock), *st_.tls);
        connection c;
        c.socket = &stream.next_layer();
        c.deadline = idle_deadline();
        live_guard guard(st_, c);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
        if (ec || st_.stopping) co_return;
        if (SSL_session_reused(stream.native_handle()))
            st_.stats.tls_resumed.fetch_add(1, std::memory_order_relaxed);
        else
            st_.stats.tls_full.fetch_add(1, std::memory_order_relaxed);
        if (const SSL_CIPHER* cipher = SSL_get_current_cipher(stream.native_handle());
            cipher != nullptr && SSL_CIPHER_get_id(cipher) == TLS1_3_CK_AES_128_GCM_SHA256)
            st_.stats.tls_aes128.fetch_add(1, std::memory_order_relaxed);
        co_await session(stream, c);
    }

    // Reads requests and answers them until the connection closes.
    template <class Stream>
    net::awaitable<void> session(Stream& stream, connection& c) {
        c.in.resize(4096);
        std::uint64_t served = 0;
        for (;;) {
            request_head req;
            std::size_t used = 0;
            const parse_status status = serve_request::parse(
                std::string_view(c.in.data() + c.begin, c.end - c.begin), req, used);
            if (status == parse_status::incomplete) {
                // Keep the partial head at the front, with room to read more.
                if (c.begin > 0) {
                    std::memmove(c.in.data(), c.in.data() + c.begin, c.end - c.begin);
                    c.end -= c.begin;
                    c.begin = 0;
                }
                if (c.end == c.in.size()) c.in.resize(c.in.size() * 2);
                c.idle = c.end == 0;
                auto [ec, n] = co_await stream.async_read_some(
                    net::buffer(c.in.data() + c.end, c.in.size() - c.end), use_tuple);
                c.idle = false;
                if (ec || st_.stopping) co_return;
                // A head has --idle-timeout from its first byte: more bytes
                // of it do not move the deadline (one a second would).
                if (c.end == 0) c.deadline = idle_deadline();
                c.end += n;
                continue;
            }
            st_.stats.requests.fetch_add(1, std::memory_order_relaxed);
            if (++served % 64 == 0) update_cpu(st_.stats);
            after_response next;
            if (status == parse_status::ok) {
                c.begin += used;
                if (st_.opt.latency_ms > 0 || st_.opt.jitter_ms > 0) {
                    c.deadline = clock_type::time_point::max();  // the server's own delay is not idleness
                    if (!co_await delay(c)) co_return;
                    c.deadline = idle_deadline();
                }
                next = respond(c, req);
            } else {
                next = respond_error(c, status == parse_status::bad ? 400 : 431);
            }
            auto [ec, n] = co_await net::async_write(stream, c.out, use_tuple);
            st_.stats.bytes_sent.fetch_add(n, std::memory_order_relaxed);
            if (ec || st_.stopping) co_return;
            if (next == after_response::keep) {
                if (c.begin == c.end) c.begin = c.end = 0;
                c.deadline = idle_deadline();
                continue;
            }
            boost::system::error_code ignored;
            if (next == after_response::reset) {
                st_.stats.resets.fetch_add(1, std::memory_order_relaxed);
                c.socket->set_option(net::socket_base::linger(true, 0), ignored);
                c.socket->close(ignored);
                co_return;
            }
            co_await close_gracefully(stream, c);
            co_return;
        }
    }

    // Waits --latency plus up to --jitter. Returns false when stopped.
    net::awaitable<bool> delay(connection& c) {
        double ms = st_.opt.latency_ms;
        if (st_.opt.jitter_ms > 0)
            ms += std::uniform_real_distribution<double>(0, st_.opt.jitter_ms)(rng_);
        if (!c.delay) c.delay.emplace(io_);
        c.delay->expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double, std::milli>(ms)));
        auto [ec] = co_await c.delay->async_wait(use_tuple);
        co_return !ec && !st_.stopping;
    }

    net::awaitable<void> close_gracefully(tcp::socket& sock, connection&) {
        boost::system::error_code ec;
        sock.shutdown(tcp::socket::shutdown_send, ec);
        sock.close(ec);
        co_return;
    }

    // Sends close_notify and waits (briefly) for the client's.
    net::awaitable<void> close_gracefully(ssl::stream<tcp::socket>& stream, connection& c) {
        c.deadline = clock_type::now() + closing_grace;
        co_await stream.async_shutdown(use_tuple);
        boost::system::error_code ec;
        stream.next_layer().close(ec);
    }

    // Fills c.out with the response to req.
    // What a request is answered with; the body is c.body's parts or `single`.
    struct answer {
        int status = 200;
        std::string_view content_type = "text/html; charset=utf-8";
        bool gzip = false;
        std::string_view single;
        bool use_parts = false;
        bool reset = false;  // cut the connection halfway through the body
    };

    answer choose_answer(connection& c, const pages::route& r, bool gzip, bool head_only) {
        const serve_options& o = st_.opt;
        answer a;
        a.gzip = gzip;
        switch (r.kind) {
            case pages::page_kind::product:
                if (pages::answers_error(r.n, o.error_rate)) {
                    a.status = 500;
                    a.single = st_.site.error_page(gzip);
                    st_.stats.errors.fetch_add(1, std::memory_order_relaxed);
                } else {
                    st_.site.product(r.n, gzip, c.body);
                    a.use_parts = true;
                    a.reset = !head_only && pages::resets(r.n, o.reset_rate);
                }
                break;
            case pages::page_kind::listing:
                c.dynamic.clear();
                st_.site.listing_page(r.n, c.dynamic);
                a.single = gzip ? encoder_.encode(c.dynamic) : std::string_view(c.dynamic);
                break;
            case pages::page_kind::index:
                a.single = st_.site.index_page(gzip);
                break;
            case pages::page_kind::stats:
                update_cpu(st_.stats);
                c.dynamic = st_.all_stats.json();
                a.single = c.dynamic;
                a.content_type = "application/json";
                a.gzip = false;
                break;
            case pages::page_kind::not_found:
                a.status = 404;
                a.single = st_.site.not_found_page(gzip);
                break;
        }
        return a;
    }

    after_response respond(connection& c, const request_head& req) {
        const serve_options& o = st_.opt;
        const bool head_only = req.method == "HEAD";
        const bool keep = o.keep_alive && req.keep_alive;
        if (!head_only && req.method != "GET") return respond_error(c, 405);
        if (req.has_body) return respond_error(c, 400);  // bodies are not read

        const pages::route r = pages::parse_target(req.target);
        const answer a = choose_answer(c, r, o.gzip && req.gzip, head_only);
        std::span<const std::string_view> parts =
            a.use_parts ? std::span<const std::string_view>(c.body.parts.data(), c.body.count)
                        : std::span<const std::string_view>(&a.single, 1);
        const std::size_t size = a.use_parts ? c.body.size : a.single.size();
        const bool chunked = o.chunked && req.minor_version >= 1;

        // The head.
        std::string& h = c.head;
        h.clear();
        h += "HTTP/1.1 ";
        h += a.status == 200 ? "200 OK" : a.status == 404 ? "404 Not Found" : "500 Internal Server Error";
        h += "\r\nServer: shoal\r\nContent-Type: ";
        h += a.content_type;
        if (a.gzip) h += "\r\nContent-Encoding: gzip";
        if (r.kind != pages::page_kind::stats) h += "\r\nVary: Accept-Encoding";
        else h += "\r\nCache-Control: no-store";
        if (chunked) {
            h += "\r\nTransfer-Encoding: chunked";
        } else {
            h += "\r\nContent-Length: ";
            append_uint(h, size);
        }
        if (!keep) h += "\r\nConnection: close";
        else if (req.minor_version == 0) h += "\r\nConnection: keep-alive";
        h += "\r\n\r\n";

        // The buffers: head, then the body (as chunks, one per piece).
        c.out.clear();
        c.out.emplace_back(h.data(), h.size());
        if (!head_only) {
            if (chunked) add_chunked(c, parts);
            else
                for (std::string_view p : parts) c.out.emplace_back(p.data(), p.size());
        }
        if (a.reset) {
            keep_only(c, h.size() + size / 2);  // up to the middle of the body, then a reset
            return after_response::reset;
        }
        return keep ? after_response::keep : after_response::close;
    }

    // Cuts c.out after its first `bytes` bytes.
    static void keep_only(connection& c, std::size_t bytes) {
        std::size_t i = 0;
        for (; i < c.out.size() && bytes > 0; ++i) {
            if (c.out[i].size() >= bytes) {
                c.out[i] = net::const_buffer(c.out[i].data(), bytes);
                bytes = 0;
            } else {
                bytes -= c.out[i].size();
            }
        }
        c.out.resize(i);
    }

    static void add_chunked(connection& c, std::span<const std::string_view> parts) {
        // Each line is "[CRLF]SIZE CRLF"; the CRLF ends the chunk before it.
        std::string& lines = c.chunk_lines;
        lines.clear();
        std::size_t offsets[pages::body::max_parts + 2];
        std::size_t n = 0;
        for (std::string_view p : parts) {
            if (p.empty()) continue;
            offsets[n++] = lines.size();
            if (n > 1) lines += "\r\n";
            append_hex(lines, p.size());
            lines += "\r\n";
        }
        offsets[n] = lines.size();
        lines += n > 0 ? "\r\n0\r\n\r\n" : "0\r\n\r\n";
        offsets[n + 1] = lines.size();
        std::size_t k = 0;
        for (std::string_view p : parts) {
            if (p.empty()) continue;
            c.out.emplace_back(lines.data() + offsets[k], offsets[k + 1] - offsets[k]);
            c.out.emplace_back(p.data(), p.size());
            ++k;
        }
        c.out.emplace_back(lines.data() + offsets[n], offsets[n + 1] - offsets[n]);
    }

    // A bad request (400; a GET or HEAD with a body too), an oversized head
    // (431) or another method (405, whatever body it has): a short answer,
    // then the connection closes, any body unread.
    after_response respond_error(connection& c, int status) {
        std::string_view line = status == 400   ? "400 Bad Request"
                                : status == 431 ? "431 Request Header Fields Too Large"
                                                : "405 Method Not Allowed";
        std::string& h = c.head;
        h.clear();
        h += "HTTP/1.1 ";
        h += line;
        h += "\r\nServer: shoal\r\nContent-Type: text/plain\r\nContent-Length: ";
        append_uint(h, line.size() + 1);
        if (status == 405) h += "\r\nAllow: GET, HEAD";
        h += "\r\nConnection: close\r\n\r\n";
        h += line;
        h += '\n';
        c.out.clear();
        c.out.emplace_back(h.data(), h.size());
        return after_response::close;
    }

    net::io_context& io_;
    server_state& st_;
    tcp::acceptor acceptor_;
    net::steady_timer sweeper_;
    net::steady_timer cpu_timer_;
    pages::gzip_encoder encoder_;
    std::minstd_rand rng_;
};

// ---------------------------------------------------------------- processes

// Runs one server process until a signal (or, for the parent, --duration)
// stops it. The parent of other server processes also stops when one of
// them ends (a server short of a process would serve on, slower, unseen):
// it returns what became of it, "serve process 1234 was killed by signal
// 9 (SIGKILL)"; else "".
std::string serve_until_stopped(server_state& state, int listen_fd, const tcp::endpoint& ep,
                                bool parent) {
    net::io_context io(1);
    server srv(io, state, listen_fd, ep);
    net::signal_set signals(io, SIGINT, SIGTERM);
    net::signal_set child_ended(io);
    net::steady_timer duration(io);
    auto stop = [&] {
        srv.stop();
        signals.cancel();
        child_ended.cancel();
        duration.cancel();
        io.stop();
    };
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) stop();
    });
    std::string died;
    // Reaps a child that ended, if one has: true then.
    auto reap = [&] {
        int st = 0;
        const pid_t pid = ::waitpid(-1, &st, WNOHANG);
        if (pid <= 0) return false;
        died = "serve process " + std::to_string(pid) + (WIFSIGNALED(st) ? " was " : " ") + sys::describe_exit(st);
        stop();
        return true;
    };
    std::function<void()> watch_children = [&] {
        child_ended.async_wait([&](const boost::system::error_code& ec, int) {
            if (!ec && !reap()) watch_children();
        });
    };
    if (parent && state.opt.processes > 1) {
        child_ended.add(SIGCHLD);
        watch_children();
        net::post(io, [&] { reap(); });  // one that ended before SIGCHLD was watched
    }
    if (parent && state.opt.duration_s > 0) {
        duration.expires_after(std::chrono::duration_cast<clock_type::duration>(
            std::chrono::duration<double>(state.opt.duration_s)));
        duration.async_wait([&](const boost::system::error_code& ec) {
            if (!ec) stop();
        });
    }
    srv.start();
    // A signal that came before the signal_set took it over.
    if (stop_requested.load(std::memory_order_relaxed)) net::post(io, stop);
    io.run();
    return died;
}

// Stops the children: SIGTERM, then SIGKILL for those alive after 5 s.
void stop_children(const std::vector<pid_t>& children) {
    for (pid_t pid : children) ::kill(pid, SIGTERM);
    const auto give_up = clock_type::now() + std::chrono::seconds(5);
    std::vector<pid_t> left = children;
    while (!left.empty()) {
        std::erase_if(left, [](pid_t pid) {
            int st = 0;
            const pid_t r = ::waitpid(pid, &st, WNOHANG);
            return r == pid || (r < 0 && errno == ECHILD);
        });
        if (left.empty()) break;
        if (clock_type::now() > give_up) {
            for (pid_t pid : left) ::kill(pid, SIGKILL);
            for (pid_t pid : left) sys::retry_eintr([&] { return ::waitpid(pid, nullptr, 0); });
            break;
        }
        ::usleep(10 * 1000);
    }
}

// Writes the URL list to f in pieces of about 1 MB (lists may be long).
// Returns false on a write error.
// Bound to one address (--bind), every URL names it; else they spread over
// o.hosts loopback addresses.
bool write_url_list(std::FILE* f, const serve_options& o, unsigned port) {
    const std::string_view scheme = o.tls ? "https" : "http";
    const std::string one_host = bound_host(o);
    std::string text;
    for (std::uint64_t i = 1; i <= o.urls; ++i) {
        if (one_host.empty()) {
            text += pages::url_line(scheme, i, o.hosts, port);
        } else {
            text.append(scheme).append("://").append(one_host).append(":").append(std::to_string(port));
            text.append("/p/").append(std::to_string(i)).append(".html");
        }
        text += '\n';
        if (text.size() >= (1u << 20) || i == o.urls) {
            if (stop_requested.load(std::memory_order_relaxed)) return false;
            if (std::fwrite(text.data(), 1, text.size(), f) != text.size()) return false;
            text.clear();
        }
    }
    return std::fflush(f) == 0;
}

// Writes a whole file with write(f); throws setup_error(file) on failure.
// A regular file (or a new one) is written beside and renamed into place,
// so that a reader never sees half a list; a FIFO or a device in place.
template <class Write>
void write_file(const std::string& path, const char* what, Write write) {
    struct stat st{};
    const bool in_place = ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
    const std::string target = in_place ? path : path + ".shoal-tmp";
    std::FILE* f = std::fopen(target.c_str(), "wb");
    bool ok = f != nullptr && write(f);
    int err = errno;
    if (f != nullptr && std::fclose(f) != 0) {
        if (ok) err = errno;
        ok = false;
    }
    if (ok && !in_place && std::rename(target.c_str(), path.c_str()) != 0) {
        err = errno;
        ok = false;
    }
    if (!ok) {
        if (!in_place) ::unlink(target.c_str());
        throw_if_stopped();  // which cut the writing short
        throw setup_error(exit_code::file, std::string(what) + " " + path + ": " + std::strerror(err));
    }
}

std::string host_for_url(const tcp::endpoint& ep, const serve_options& o) {
    if (o.bind.empty()) return "127.0.0.1";
    const net::ip::address a = ep.address();
    if (a.is_unspecified()) return a.is_v4() ? "127.0.0.1" : "[::1]";
    return a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
}

bool parse_on_off(const std::string& v, const char* option) {
    if (v == "on") return true;
    if (v == "off") return false;
    throw setup_error(exit_code::usage,
                      std::string(option) + " " + v + ": expected on or off (see shoal serve --help)");
}

}  // namespace

bool parse_serve_options(int argc, char** argv, serve_options& o) {
    CLI::App app(
        "the built-in experiment site: a synthetic shop (product pages /p/N.html, listings "
        "/list/N.html, counters /stats) served on every 127.x.y.z address, for crawl "
        "benchmarks\nExit codes: 0 stopped by SIGINT, SIGTERM or --duration; 1 usage or a port "
        "that cannot be bound; 2 a file that cannot be written; 4 a server process that died "
        "(the others stop with it).",
        "shoal serve");
    app.formatter(std::make_shared<help_layout>("\nUsage: shoal serve [OPTIONS]\n"));
    add_help_and_version(app);
    std::string gzip = "on", keep_alive = "on", transfer = "length";
    app.add_option("--port", o.port, "TCP port (default 8080; 0 = pick a free port)")
        ->transform(whole_number(0, 65535))
        ->type_name("N");
    app.add_option("--bind", o.bind,
                   "listen on this address only, and name it in the URL list (default: 0.0.0.0, "
                   "answering only connections to 127.0.0.0/8, as 0.0.0.0 and :: given here do)")
        ->type_name("ADDR");
    app.add_option("--processes", o.processes,
                   "server processes sharing the port with SO_REUSEPORT (default 1, at most 256)")
        ->transform(whole_number(1u, max_processes))
        ->type_name("N");
    // The minimum is checked after parsing, with its reason.
    app.add_option("--page-size", o.page_size,
                   "approximate decoded size of a product page (default 19000), " +
                       size_text(pages::min_page_size) + " to " + size_text(std::uint64_t{64} << 20) +
                       "; K, M and G are 1024-based (64K, 8M)")
        ->transform(byte_size(0, std::uint64_t{64} << 20))
        ->type_name("BYTES");
    app.add_option("--latency", o.latency_ms, "delay before each response (default 0)")
        ->check(decimal_range(0.0, 3600e3))
        ->type_name("MS");
    app.add_option("--jitter", o.jitter_ms,
                   "extra uniform random delay of 0..MS per response (default 0)")
        ->check(decimal_range(0.0, 3600e3))
        ->type_name("MS");
    app.add_option("--gzip", gzip,
                   "gzip bodies when the request says Accept-Encoding: gzip (default on)")
        ->type_name("on|off");
    app.add_option("--transfer", transfer, "Content-Length or chunked bodies (default length)")
        ->type_name("length|chunked");
    app.add_option("--keep-alive", keep_alive,
                   "off: every response says Connection: close and the server closes (default on)")
        ->type_name("on|off");
    app.add_option("--error-rate", o.error_rate,
                   "fraction of product pages answered 500, chosen by the path (default 0)")
        ->check(decimal_range(0.0, 1.0))
        ->type_name("F");
    app.add_option("--reset-rate", o.reset_rate,
                   "fraction of the product pages not answered 500 whose connection is reset "
                   "mid-body, chosen by the path (default 0)")
        ->check(decimal_range(0.0, 1.0))
        ->type_name("F");
    app.add_flag("--tls", o.tls,
                 "HTTPS with a self-signed EC P-256 certificate made at start (SANs: localhost, "
                 "127.0.0.1, the first --hosts hosts, at most 4096, and the --bind address)");
    app.add_option("--cert-out", o.cert_out,
                   "write that certificate (PEM) here, for clients' --ca-file")
        ->check(non_empty_path())
        ->type_name("PATH");
    app.add_option("--hosts", o.hosts,
                   "127.x.y.z hosts the URL list spreads over (default 256): 127.0.0.1..254, "
                   "127.0.1.1..254, ...")
        ->transform(whole_number(std::uint64_t{1}, pages::max_hosts))
        ->type_name("H");
    app.add_option("--urls", o.urls, "URLs in the list (default 20000)")
        ->transform(whole_number(std::int64_t{1}, std::int64_t{1} << 40))
        ->type_name("N");
    app.add_flag("--print-urls", o.print_urls,
                 "print the URL list for these options to stdout and exit (no server)");
    app.add_option("--url-file", o.url_file,
                   "also write the URL list to PATH once listening, then serve")
        ->check(non_empty_path())
        ->type_name("PATH");
    app.add_option("--duration", o.duration_s,
                   "stop by itself after S seconds (default, or 0: until SIGINT or SIGTERM)")
        ->check(decimal_range(0.0, 1e9))
        ->type_name("S");
    app.add_option("--idle-timeout", o.idle_timeout_s,
                   "close keep-alive connections idle this long, and request heads slower than "
                   "this (default 60)")
        ->check(decimal_range(0.001, 1e6))
        ->type_name("S");
    if (!parse_command(app, argc, argv, "serve")) return false;
    o.gzip = parse_on_off(gzip, "--gzip");
    o.keep_alive = parse_on_off(keep_alive, "--keep-alive");
    if (transfer != "length" && transfer != "chunked")
        throw setup_error(exit_code::usage, "--transfer " + transfer +
                                                ": expected length or chunked (see shoal serve --help)");
    o.chunked = transfer == "chunked";
    if (o.page_size < pages::min_page_size)
        throw setup_error(
            exit_code::usage,
            "--page-size " + size_text(o.page_size) + ": the smallest is " + size_text(pages::min_page_size) +
                " (a product page's head, header, buy box and footer alone are about 5.8 KB)");
    if (o.print_urls && o.port == 0)
        throw setup_error(exit_code::usage, "--print-urls needs a --port other than 0");
    if (!o.cert_out.empty() && !o.tls)
        throw setup_error(exit_code::usage, "--cert-out needs --tls (there is no certificate without it)");
    if (!o.cert_out.empty() && !o.url_file.empty()) {
        // Compared as paths, and as files when one exists already (a link).
        struct stat a{}, b{};
        std::error_code ec;
        const bool same = std::filesystem::absolute(o.cert_out, ec).lexically_normal() ==
                              std::filesystem::absolute(o.url_file, ec).lexically_normal() ||
                          (::stat(o.cert_out.c_str(), &a) == 0 && ::stat(o.url_file.c_str(), &b) == 0 &&
                           a.st_dev == b.st_dev && a.st_ino == b.st_ino);
        const bool device = ::stat(o.url_file.c_str(), &b) == 0 && !S_ISREG(b.st_mode);  // /dev/null twice is fine
        if (same && !device)
            throw setup_error(exit_code::usage, "--cert-out and --url-file name the same file " + o.url_file +
                                                    ": one would be written over the other");
    }
    if (o.tls && std::min(o.hosts, o.urls) > serve_certificate::max_hosts)
        std::fprintf(stderr,
                     "shoal serve: warning: the certificate names the first %llu of the %llu hosts: a client "
                     "that checks it (crawl --ca-file) fails on the others; crawl --insecure does not\n",
                     static_cast<unsigned long long>(serve_certificate::max_hosts),
                     static_cast<unsigned long long>(o.hosts));
    if (!bound_host(o).empty()) {
        if (app.count("--hosts") > 0 && o.hosts > 1)
            throw setup_error(exit_code::usage,
                              "--hosts spreads the URL list over 127.x.y.z, which only the default --bind "
                              "answers on; with --bind " + o.bind + " every URL names that address");
        o.hosts = 1;
    }
    return true;
}

namespace {

// The server's TLS context, and the certificate written to --cert-out.
std::unique_ptr<ssl::context> make_tls(const serve_options& o) {
    // Bound to one address (--bind), the certificate names it too.
    const std::string bound = bound_host(o).empty() ? std::string() : listen_endpoint(o).address().to_string();
    const serve_certificate pair = make_serve_certificate(o.hosts, bound);
    if (!o.cert_out.empty()) {
        const std::string pem = pair.pem();
        write_file(o.cert_out, "--cert-out",
                   [&](std::FILE* f) { return std::fwrite(pem.data(), 1, pem.size(), f) == pem.size(); });
    }
    return make_server_context(pair);
}

// Forks processes 1 to P - 1. Each binds ep too, says so on a pipe, and
// serves until stopped. Returns once all listen; throws (with none left
// running) if one did not within 20 s.
std::vector<pid_t> start_children(const serve_options& o, const tcp::endpoint& ep, int listen_fd,
                                  const pages::site& site, ssl::context* tls, serve_counters& stats) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) sys::throw_errno(exit_code::internal, "pipe");
    std::fflush(nullptr);
    const pid_t parent = ::getpid();
    std::vector<pid_t> children;
    for (unsigned i = 1; i < o.processes; ++i) {
        const pid_t pid = ::fork();
        if (pid < 0) {
            stop_children(children);
            sys::throw_errno(exit_code::internal, "fork");
        }
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (::getppid() != parent) ::_exit(0);
            ::close(ready[0]);
            ::close(listen_fd);
            int code = 0;
            try {
                sys::set_process_title("shoal: serve " + std::to_string(i) + "/" + std::to_string(o.processes) +
                                       " port " + std::to_string(ep.port()));
                const int fd = make_listener(ep, true);
                sys::write_all(ready[1], "r", 1);
                ::close(ready[1]);
                server_state state(o, site, tls, stats.at(i), stats);
                serve_until_stopped(state, fd, ep, false);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "shoal: serve process %u: %s\n", i, e.what());
                code = static_cast<int>(exit_code::internal);
            }
            std::fflush(nullptr);
            ::_exit(code);
        }
        children.push_back(pid);
    }
    ::close(ready[1]);
    // Wait until every child listens (or has died trying).
    std::size_t listening = 0;
    const auto give_up = clock_type::now() + std::chrono::seconds(20);
    while (listening + 1 < o.processes && clock_type::now() < give_up &&
           !stop_requested.load(std::memory_order_relaxed)) {
        pollfd p{ready[0], POLLIN, 0};
        if (sys::retry_eintr([&] { return ::poll(&p, 1, 100); }) <= 0) continue;
        char buf[64];
        const ssize_t n = sys::retry_eintr([&] { return ::read(ready[0], buf, sizeof buf); });
        if (n <= 0) break;
        listening += static_cast<std::size_t>(n);
    }
    ::close(ready[0]);
    if (listening + 1 < o.processes) {
        stop_children(children);
        throw_if_stopped();
        throw setup_error(exit_code::internal, "a serve process did not start listening");
    }
    return children;
}

void print_listening(const serve_options& o, const tcp::endpoint& ep) {
    char by_itself[64];
    std::snprintf(by_itself, sizeof by_itself, ", or it stops by itself after %.10g s", o.duration_s);
    std::printf(
        "shoal serve: listening on %s://%s:%u/ (%u process%s, page size %zu, gzip %s, transfer "
        "%s, keep-alive %s, latency %.10g ms, jitter %.10g ms, error rate %g, reset rate %g, %llu "
        "host%s, pid %d; stop with SIGINT or SIGTERM%s)\n",
        o.tls ? "https" : "http", host_for_url(ep, o).c_str(), static_cast<unsigned>(ep.port()), o.processes,
        o.processes == 1 ? "" : "es", o.page_size, o.gzip ? "on" : "off", o.chunked ? "chunked" : "length",
        o.keep_alive ? "on" : "off", o.latency_ms, o.jitter_ms, o.error_rate, o.reset_rate,
        static_cast<unsigned long long>(o.hosts), o.hosts == 1 ? "" : "s", static_cast<int>(::getpid()),
        o.duration_s > 0 ? by_itself : "");
    std::fflush(stdout);
}

// Serves until a signal or --duration stops the server. Throws
// pages::stopped when SIGINT or SIGTERM comes before it listens.
void serve(const serve_options& o) {
    // Everything the processes share is made before the fork.
    const pages::site site(o.page_size, &stop_requested);
    throw_if_stopped();
    tcp::endpoint ep = listen_endpoint(o);
    if (o.processes > 1) ep = claim_port(ep);
    const int listen_fd = make_listener(ep, o.processes > 1);
    // The certificate (and --cert-out) once the port is ours: a port in use
    // leaves no new certificate behind.
    std::unique_ptr<ssl::context> tls;
    if (o.tls) tls = make_tls(o);
    const unsigned port = bound_port(listen_fd);
    ep.port(static_cast<unsigned short>(port));
    serve_counters stats(o.processes);
    std::vector<pid_t> children;
    try {
        children = start_children(o, ep, listen_fd, site, tls.get(), stats);
        sys::set_process_title("shoal: serve 0/" + std::to_string(o.processes) + " port " + std::to_string(port));
        if (!o.url_file.empty())
            write_file(o.url_file, "--url-file", [&](std::FILE* f) { return write_url_list(f, o, port); });
        throw_if_stopped();
    } catch (...) {
        stop_children(children);
        ::close(listen_fd);
        throw;
    }
    print_listening(o, ep);
    std::string died;
    {
        server_state state(o, site, tls.get(), stats.at(0), stats);
        died = serve_until_stopped(state, listen_fd, ep, true);
    }
    // The signal_set gave SIGINT and SIGTERM back to their default action:
    // another one must not kill the parent before its children are reaped.
    note_stop_signals();
    stop_children(children);
    if (!died.empty())
        throw setup_error(exit_code::internal, died + "; the server stopped, with its other processes");
}

}  // namespace

int run_serve_command(int argc, char** argv) {
    serve_options o;
    if (!parse_serve_options(argc, argv, o)) return 0;
    if (o.print_urls) {
        sys::require_open_stdout("the URL list");
        if (!write_url_list(stdout, o, o.port))
            throw setup_error(exit_code::file, std::string("stdout: ") + std::strerror(errno));
        return 0;
    }
    sys::init_process_title(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    sys::raise_fd_limit();
    note_stop_signals();
    try {
        serve(o);
    } catch (const pages::stopped&) {
        // Stopped before listening: as quietly as a running server stops.
    }
    return 0;
}

}  // namespace shoal
