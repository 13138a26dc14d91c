// fetcher: one HTTP/1.1 GET per URL, over plain TCP or TLS, with keep-alive
// connection reuse per host, a DNS cache, redirects, retries with backoff, a
// cap on the body, and one deadline per attempt that covers every phase
// (connect, TLS, request, response, body). decode_body() undoes gzip and
// deflate afterwards.
//
// All of Beast lives behind this header in fetcher.cpp, which is compiled
// once; HTTPS connections are tls_client_streams (OpenSSL in tls_engine.cpp).
// One fetcher per worker process, on the worker's io_context;
// any number of coroutines may call fetch() at once.
//
//   shoal::fetcher f(io, cfg);
//   shoal::fetch_result r = co_await f.fetch(url);   // never throws for per-URL failures
//   std::string scratch;
//   std::string_view page = shoal::decode_body(r, cfg.max_body, scratch);
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shoal/proxy.hpp"
#include "shoal/record.hpp"
#include "shoal/url.hpp"

namespace boost::asio {
class io_context;
}

namespace shoal {

class host_limiter;
class host_pacer;
class tls_session_store;

// A TLS client context (OpenSSL SSL_CTX with its CA store), opaque here.
struct tls_client_context;

// Why a URL was not fetched (see fetch_config::gate).
struct fetch_refusal {
    std::string code;     // snake_case, e.g. "robots_disallowed"
    std::string message;
};

// Asked before a fetch sends anything to a URL: none, or why not.
using fetch_gate = std::function<boost::asio::awaitable<std::optional<fetch_refusal>>(const target_url&)>;

struct fetch_config {
    double timeout_s = 30;
    std::size_t max_body = 8u << 20;
    unsigned retries = 2;
    unsigned max_redirects = 10;
    host_limiter* limiter = nullptr;  // --per-host over all workers; nullptr = no limit
    unsigned ledger = 0;              // this worker's ledger in the limiter
    unsigned limiter_entries = 0;     // its entries: fetches in flight at most
    host_pacer* pacer = nullptr;      // --per-host-rate over all workers; nullptr = no limit
    std::size_t idle_cap = 512;  // kept-alive connections over all origins
    bool insecure = false;
    std::string ca_file;
    std::string user_agent = "shoal/0.1";
    std::vector<std::pair<std::string, std::string>> headers;
    // Made once by the supervisor, before forking: each worker inherits it
    // with its CA store loaded, instead of loading the store (~70 ms of
    // CPU for Debian's) in every worker. Null: the fetcher makes its own on
    // the first https URL.
    std::shared_ptr<const tls_client_context> tls;
    // Sessions shared with the run's other workers (nullptr: this fetcher's own only).
    tls_session_store* shared_sessions = nullptr;
    // Called once when the fetcher makes a context of its own (tls is null
    // and an https URL came, e.g. through a redirect).
    std::function<void()> made_own_tls_context;
    // Called before each new connection's socket is opened (fault injection:
    // the worker's descriptor hold takes the ones freed since its last look).
    std::function<void()> before_connect;
    // --proxy: every connection goes to it (see proxy.hpp); none when empty.
    std::optional<proxy_server> proxy;
    // How far apart requests to an origin must be at least (a robots.txt
    // Crawl-delay), on top of pacer's interval; needs pacer. Empty: none.
    std::function<std::chrono::nanoseconds(const std::string& origin)> min_spacing;
    // Around a retry's backoff: backoff_begins() as the fetch starts to wait,
    // backoff_ends() (awaited) once the wait is over, before the next attempt,
    // also when the run stopped meanwhile. The worker lets another line take
    // the fetch's place among its --concurrency meanwhile. Empty: nothing.
    std::function<void()> backoff_begins;
    std::function<boost::asio::awaitable<void>()> backoff_ends;
    // Asked before a fetch sends anything to a URL: the line's, then each
    // redirect's. A refusal ends the fetch (stage request, its code and
    // message; the status of a redirect before it stays). Empty: no gate.
    fetch_gate gate;
};

struct fetch_result {
    int status = -1;             // last HTTP status received, -1 if none
    std::string final_url;       // after redirects
    std::string body;            // as received, at most max_body bytes: see decode_body()
    bool body_cut = false;       // fetch_ungated: body is the start of a longer one
    std::string content_type;
    std::string content_encoding;  // what decode_body() undoes (gzip, deflate)
    std::string transfer_codings;  // of those, the ones Transfer-Encoding named (for messages)
    std::uint32_t attempts = 0;  // tries of the last request (1 + retries used)
    error_stage stage = error_stage::none;
    std::string error_code;
    std::string error_message;
    // The run stopped (fetcher::stop) before the fetch's next request was
    // sent (its first, a retry, a redirect's next hop): the fetch has no
    // outcome, and its line no record.
    bool abandoned = false;
};


// Undoes the Content-Encoding of a fetched body, capped at max_body, and
// returns the decoded body: `scratch` holds it, or for a body that was not
// encoded it is f.body itself. A body that cannot be decoded (corrupt, cut
// off before its compressed stream ends, larger than max_body decoded, an
// unknown encoding) makes the fetch an error (stage body or decode) and
// returns what could be decoded; a body_cut one decodes as far as it goes. The worker decodes
// after fetching, so that a fetch hands over the compressed bytes and its
// connection is free for the next request at once.
std::string_view decode_body(fetch_result& f, std::size_t max_body, std::string& scratch);

// The TLS client context for these settings (insecure, ca_file): made once
// per run, so a bad --ca-file stops the run before any fetch. Throws
// setup_error(exit_code::usage).
std::shared_ptr<const tls_client_context> make_tls_client_context(const fetch_config& cfg);

class fetcher {
public:
    // Without cfg.tls, the TLS context is made on the first https fetch.
    fetcher(boost::asio::io_context& io, fetch_config cfg);
    ~fetcher();
    fetcher(const fetcher&) = delete;
    fetcher& operator=(const fetcher&) = delete;

    boost::asio::awaitable<fetch_result> fetch(target_url url);
    // The same without asking cfg.gate, for the gate's own fetches
    // (robots.txt), and whatever cfg.max_body says: a body longer than
    // prefix_limit bytes as sent is read up to there, kept, and body_cut set
    // (its connection is closed). It follows at least 5 redirects.
    boost::asio::awaitable<fetch_result> fetch_ungated(target_url url, std::size_t prefix_limit);

    // A request to origin has just ended (the gate's robots.txt fetch, which
    // told a Crawl-delay of `spacing`): the next request to origin, of any
    // worker, waits at least that long from now. Nothing without cfg.pacer.
    void space_next(const std::string& origin, std::chrono::nanoseconds spacing);

    // The run is stopping: no request starts from now on, and the fetches
    // waiting to send one (for a --per-host slot, a --per-host-rate turn or
    // a Crawl-delay, a retry's backoff) end at once, abandoned, as do those
    // whose robots.txt fetch is abandoned so. Fetches under way (resolving,
    // connecting, sent) go on.
    void stop();

    // Closes idle kept-alive connections: all, or those to one origin.
    void close_idle();
    void close_idle(const std::string& origin);
    // Whether a kept-alive connection to origin (target_url::origin()) is free.
    bool has_idle(const std::string& origin) const;
    const fetch_counters& counters() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace shoal
