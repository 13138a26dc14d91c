// bench: `shoal bench`, throughput sweeps of `shoal crawl` against the
// built-in experiment site `shoal serve`, with wrk as a reference.
//
//   shoal bench --quick                          # a few seconds: is the setup sane?
//   shoal bench --modes keep-alive,https --processes 1,2 --concurrency 64,256
//
// For each mode it starts one `shoal serve --port 0` (this same binary) with
// the mode's options, and for each point (P processes, C fetches per process)
// runs `shoal crawl` over the site's URL list R times, the repeats
// interleaved across points so noise spreads evenly. Each run is timed (wall
// clock, start to exit), its CPU taken from wait4's rusage of the crawl
// supervisor (which waits for its workers and writer), the server's CPU and
// TLS handshakes from serve's /stats, and every record checked against the
// page's expected title and price (serve_pages.hpp). Each crawl has a time
// limit; past it the crawl's process group is killed and the run reported.
// wrk, when on PATH, runs at the same in-flight counts on one page.
// Results go to DIR/bench.csv, bench.md and bench.svg (bench_report.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace shoal::bench {

// The sweep modes, in report order.
inline const std::vector<std::string> all_modes = {"keep-alive", "close", "https", "latency"};

struct bench_options {
    std::vector<std::string> modes = all_modes;
    std::vector<unsigned> processes;    // empty: 1 and the CPU count (--quick: 1)
    std::vector<unsigned> concurrency;  // empty: the mode's default (see concurrency_for)
    std::size_t urls = 0;               // 0: 20000 (--quick: 2000); latency: see urls_for
    unsigned hosts = 256;
    unsigned repeat = 0;                // 0: 3 (--quick: 1)
    unsigned latency_ms = 100;
    unsigned serve_processes = 1;
    unsigned wrk_seconds = 0;           // 0: 3 s (--quick: 1 s)
    std::string out = "shoal-bench";
    bool wrk = true;
    bool quick = false;
};

// Parses `shoal bench ...` (argv[1] is "bench"). Returns nullopt after
// printing --help. Throws setup_error(exit_code::usage) with one line on a
// bad option or value.
std::optional<bench_options> parse_bench_options(int argc, char** argv);

// The sweep of a mode, after defaults.
std::vector<unsigned> processes_for(const bench_options& o);
// CPU-bound modes: 16,64,256,1024 (--quick: 16,64); latency: 100,1000,10000
// (--quick: 100,500); --concurrency replaces both.
std::vector<unsigned> concurrency_for(const bench_options& o, const std::string& mode);
// URLs per run: --urls if given. Else 20000 (--quick: 2000) for the CPU-bound
// modes, and for the latency mode enough for 3 s (--quick: 1 s) at the ideal
// rate P*C/latency, at least 10 per fetch in flight and 1000, at most 50000
// unless 10 per fetch in flight needs more.
std::size_t urls_for(const bench_options& o, const std::string& mode, unsigned processes,
                     unsigned concurrency);
unsigned repeats_for(const bench_options& o);

// Runs `shoal bench`. Returns 0 when every run finished with every record
// correct, 3 when interrupted (the results so far are written), 4 when a run
// was incomplete, incorrect or timed out, or serve failed. Throws
// setup_error: exit_code::usage for bad options, exit_code::file when --out
// cannot be written.
int run_bench_command(int argc, char** argv);

}  // namespace shoal::bench
