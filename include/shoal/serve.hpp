// serve: `shoal serve`, the built-in experiment site. A small, fast HTTP/1.1
// (and HTTPS) server for the synthetic shop of serve_pages.hpp, made to be
// crawled on loopback while it shares the machine with the crawler: a
// keep-alive request costs it a few microseconds of CPU, gzip included.
//
//   shoal serve --port 0 --processes 2 --tls --cert-out ca.pem --url-file urls.txt
//   shoal serve: listening on https://127.0.0.1:41234/ (2 processes, ...)
//   shoal crawl urls.txt --ca-file ca.pem -o out.jsonl
//
// Processes: the parent binds the port (SO_REUSEPORT), forks --processes - 1
// children that bind it too, prints the listening line once every process
// listens, and serves as process 0. Each process runs one single-threaded
// io_context with one coroutine per connection. SIGINT, SIGTERM or
// --duration stop the parent, which stops its children (SIGTERM, then
// SIGKILL after 5 s), waits for them, and exits 0. Children die with the
// parent (PR_SET_PDEATHSIG). SIGINT or SIGTERM before the listening line
// (a large --page-size takes many seconds to build) stops the startup
// within a fraction of a second, and it exits 0 likewise.
//
// /stats answers JSON summed over all processes (counters in shared memory
// mapped before the fork):
//   {"processes":2,"requests":..,"connections":..,"connections_refused":..,
//    "tls_handshakes_full":..,"tls_handshakes_resumed":..,"bytes_sent":..,
//    "responses_500":..,"resets":..,"cpu_seconds":..,"cpu_user_seconds":..,
//    "cpu_system_seconds":..,"per_process":[{"pid":..,"requests":..,"connections":..},..]}
// requests counts every request, /stats included; bytes_sent counts HTTP
// bytes (head and body) before TLS; cpu_* is getrusage of each process,
// refreshed every 50 ms and every 64 requests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shoal {

struct serve_options {
    unsigned port = 8080;  // 0: any free port
    std::string bind;      // empty: 0.0.0.0, answering only on 127.0.0.0/8
    unsigned processes = 1;
    std::size_t page_size = 19000;
    double latency_ms = 0;
    double jitter_ms = 0;
    bool gzip = true;
    bool chunked = false;
    bool keep_alive = true;
    double error_rate = 0;
    double reset_rate = 0;
    bool tls = false;
    std::string cert_out;
    std::uint64_t hosts = 256;
    std::uint64_t urls = 20000;
    bool print_urls = false;
    std::string url_file;
    double duration_s = 0;       // 0: until SIGINT or SIGTERM
    double idle_timeout_s = 60;  // idle keep-alive and slow request heads are closed after this
};

// Runs `shoal serve [options]`; argv[0] is the program, argv[1] "serve".
// Returns 0 after a stop by signal or --duration (help and --print-urls
// too). Throws setup_error: exit_code::usage for a bad command line or a
// port that cannot be bound, exit_code::file when --url-file or --cert-out
// cannot be written.
int run_serve_command(int argc, char** argv);

// Parses the options after "serve" (argv[0] the program, argv[1] "serve").
// Returns false after printing --help. Throws setup_error(usage).
bool parse_serve_options(int argc, char** argv, serve_options& out);

}  // namespace shoal
