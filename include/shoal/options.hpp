// The command line of `shoal crawl` (the contract in the README and
// DESIGN.md), parsed into one plain struct that every process reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/proxy.hpp"

namespace shoal {

enum class output_format { jsonl, csv };

struct crawl_options {
    std::string input = "-";   // URL file; "-" = stdin
    std::string output = "-";  // result file; "-" = stdout
    output_format format = output_format::jsonl;
    std::string format_name;       // --format as given; empty: by the output's extension
    bool format_given = false;
    unsigned processes = 0;        // worker processes alive at once (0 = CPU count)
    unsigned concurrency = 512;    // fetches in flight per worker
    // Lines per chunk; 0 until parsed: then default_chunk_size(concurrency)
    // unless --chunk-size was given.
    std::size_t chunk_size = 0;
    unsigned per_host = 0;         // 0 = no limit
    double per_host_rate = 0;      // requests per second to one host; 0 = no limit
    std::string rules;             // rules file; empty = built-in rules
    double timeout_s = 30;         // one attempt, every phase
    std::size_t max_body = 8u << 20;  // decoded bytes
    unsigned retries = 2;
    unsigned max_redirects = 10;
    bool insecure = false;
    std::string ca_file;
    std::string user_agent = "shoal/0.1";
    bool robots = false;           // obey each site's robots.txt
    std::vector<std::pair<std::string, std::string>> headers;
    std::string proxy;             // --proxy as given (checked by parse_command_line); empty = none
    bool resume = false;
    bool force = false;            // resume even when the options differ
    std::string stats_path;
    double grace_s = 10;           // how long in-flight fetches may finish after a signal
    bool progress = true;          // progress line when stderr is a terminal
    bool quiet = false;            // no summary on stderr
};

// --chunk-size when it is not given: 10,000 lines, or 10 per fetch in flight
// if that is more, so that each lane fetches about 10 lines or more of a chunk
// on connections it keeps (a chunk's connections end with its worker).
std::size_t default_chunk_size(unsigned concurrency);

// What an open-file limit of fd_limit descriptors fits: worker processes
// (up to 2 x P alive, each holding pipes in the supervisor and the writer)
// and fetches in flight per worker (each lane's connection, and room for
// kept-alive ones). crawl lowers --processes and --concurrency to these,
// with a warning; bench runs its points at them.
std::size_t processes_fitting(std::size_t fd_limit);
std::size_t concurrency_fitting(std::size_t fd_limit);

// The proxy of --proxy, or none. REQUIRES: o came from parse_command_line,
// which has refused a --proxy that does not parse.
std::optional<proxy_server> proxy_of(const crawl_options& o);

// What the command line asked for.
struct command {
    enum class kind { crawl, help, version } what = kind::help;
    crawl_options crawl;
    std::string help_text;
};

// Parses argv. Throws setup_error(exit_code::usage) with a one-line message
// on bad usage; `--help` gives kind::help with the text to print.
command parse_command_line(int argc, char** argv);

// The options a resumed run must share with the run that wrote the output,
// as one line (used to refuse resuming with different options).
// `rules_hash` is the --rules file's rule_file::content_hash, the hash of
// the bytes the run read (a pipe, such as --rules /dev/stdin, is read only
// once); it is not used without --rules. Free text (paths, the user agent,
// header values) is written in "..." with '"' and '\' escaped when it holds
// a space, a tab, '"', '\', '@' or a line break, so that no two option sets
// give one line; header names are lower-cased, as HTTP compares them.
//
// `list` says how much of a regular URL file is hashed: a run's first
// fingerprint hashes fresh_list_extent(), the whole list up to 64 KiB, and
// says how many bytes that was; a resumed run hashes what the run it
// resumes did (list_extent_of its fingerprint), so lines added at the end
// of a list meanwhile change nothing, and a list cut shorter than that does.
inline constexpr std::size_t list_prefix_bytes = 64 << 10;
struct list_extent {
    bool legacy = false;  // a fingerprint older than the byte count: list_prefix_bytes, unsaid
    std::size_t bytes = list_prefix_bytes;
};
list_extent fresh_list_extent(const crawl_options& o);
std::string resume_fingerprint(const crawl_options& o, std::uint64_t rules_hash, list_extent list);

// The list extent a fingerprint hashed; nullopt when it hashed none (stdin,
// a FIFO) or is not one.
std::optional<list_extent> list_extent_of(std::string_view fingerprint);

}  // namespace shoal
