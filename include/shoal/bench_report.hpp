// bench_report: the outputs of `shoal bench` (bench.csv, bench.md, bench.svg),
// written by pure functions over result rows. bench.cpp measures; this file
// only formats, so the tables and the plot can be tested with made-up rows.
//
//   std::vector<bench::result_row> rows = ...;    // one row per measured point
//   bench::report_context ctx = ...;              // command line, machine, modes
//   write(out / "bench.csv", bench::to_csv(rows));
//   write(out / "bench.md", bench::to_markdown(rows, ctx));
//   write(out / "bench.svg", bench::to_svg(rows, ctx));
//
// A row holds every run of one point; the functions report the median (and
// the min and max of pages/s), and the lowest correct percentage.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace shoal::bench {

inline constexpr double no_value = std::numeric_limits<double>::quiet_NaN();

// What one run of one point measured. NaN where not measured (no_value).
struct run_sample {
    double pages_per_s = no_value;             // pages (wrk: requests) / wall second
    double wall_s = no_value;                  // wall time of the run
    double client_cpu_us_per_page = no_value;  // user + system CPU of the client tree
    double server_cpu_us_per_page = no_value;  // CPU of `shoal serve`, from its /stats
    double tls_resumed_share = no_value;       // resumed / all TLS handshakes, 0..1
    double correct_percent = no_value;         // records with status 200, exact title and price
};

// One point of a sweep: a tool at a number of processes x concurrency.
struct result_row {
    std::string mode;          // "keep-alive", "close", "https", "latency"
    std::string tool;          // "shoal" or "wrk"
    unsigned processes = 0;    // crawl worker processes (wrk: threads)
    unsigned concurrency = 0;  // fetches in flight per process (wrk: connections per thread)
    std::size_t urls = 0;      // URLs per run (wrk: 0, it runs for a duration)
    std::vector<run_sample> runs;

    unsigned in_flight() const { return processes * concurrency; }
};

// How `shoal serve` ran for a mode, for the report's text.
struct mode_setup {
    std::string name;         // as in result_row::mode
    std::string description;  // one sentence
    std::string serve_args;   // e.g. "--keep-alive off"
    std::string crawl_args;   // extra crawl options, e.g. "--insecure"
};

struct report_context {
    std::string command_line;  // the exact bench command line
    std::string crawl_command; // how each crawl ran, e.g. "shoal crawl URLS -p P -c C ..."
    std::string wrk_command;   // how wrk ran; "" when it did not
    unsigned cpus = 0;
    std::string cpu_model;
    std::string kernel;
    std::string date;          // when the sweep ran (UTC)
    double latency_ms = 100;   // the latency mode's per-page delay: ideal = P*C/latency
    std::vector<mode_setup> modes;
    std::vector<std::string> notes;  // e.g. "wrk is not on PATH: no reference rows"
};

// The median of the finite values (the mean of the middle two for an even
// count). NaN when there are none.
double median(std::vector<double> values);
double min_of(const std::vector<double>& values);  // NaN when none is finite
double max_of(const std::vector<double>& values);

// Per-row figures over its runs: medians, except correct (the lowest run).
double median_pages_per_s(const result_row& row);
double lowest_correct_percent(const result_row& row);

// The ideal pages/s of a latency-bound site: in_flight / latency.
double ideal_pages_per_s(unsigned in_flight, double latency_ms);

// bench.csv: a header, then one row per point (RFC 4180 quoting, CRLF).
// Columns: mode,tool,processes,concurrency,in_flight,urls,repeats,
// pages_per_s,pages_per_s_min,pages_per_s_max,client_cpu_us_per_page,
// server_cpu_us_per_page,tls_resumed_share,correct_percent,wall_s.
// Values that were not measured are empty fields.
std::string to_csv(const std::vector<result_row>& rows);

// bench.md: the command line, the machine, then one table per mode in the
// order of ctx.modes (shoal rows, then wrk rows), with shoal/wrk ratios at
// equal mode and in-flight count and, for the latency mode, the ideal rate.
std::string to_markdown(const std::vector<result_row>& rows, const report_context& ctx);

// The table of one mode (as in to_markdown), or "" if no row has that mode.
std::string markdown_table(const std::vector<result_row>& rows, const std::string& mode,
                           const report_context& ctx);

// bench.svg: a self-contained SVG with two panels over in-flight fetches
// (log2 axis): pages/s (log10 axis) and client CPU us/page. One polyline per
// mode x processes for shoal, one dashed polyline per mode for wrk, and a
// dotted ideal line for the latency mode; a legend; no external resources.
std::string to_svg(const std::vector<result_row>& rows, const report_context& ctx);

// Axis ticks, exposed for tests. log2_ticks: the powers of two covering
// [lo, hi]. log10_ticks: 1-2-5 steps per decade when the range spans at most
// two decades, else whole decades. linear_ticks: 0 up to a 1-2-5 step just above hi.
std::vector<double> log2_ticks(double lo, double hi);
std::vector<double> log10_ticks(double lo, double hi);
std::vector<double> linear_ticks(double hi);

// "12,345" style: digits grouped by thousands, `decimals` after the point.
std::string group_thousands(double value, int decimals = 0);

}  // namespace shoal::bench
