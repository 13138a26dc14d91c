// progress: counts of a run as records reach the writer, the live progress
// line on a terminal, and the summary (text on stderr, JSON for --stats).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shoal/record.hpp"

namespace shoal {

class run_stats {
public:
    run_stats();
    void add(const record& r);
    void add(const fetch_counters& c) { fetch_ += c; }
    // From the supervisor at the end: workers forked, lines handed back.
    void set_workers(std::uint64_t started, std::uint64_t lines_handed_back) {
        workers_ = started;
        lines_handed_back_ = lines_handed_back;
    }
    // From the supervisor at the end: the run was stopped (Ctrl-C, SIGTERM).
    void set_interrupted(bool interrupted) { interrupted_ = interrupted; }
    // Lines whose records the output held before this run (--resume): the
    // counts are of this run's records only.
    void set_already_done(std::uint64_t lines) { already_done_ = lines; }

    std::uint64_t records() const { return records_; }
    std::uint64_t errors() const { return errors_; }
    double seconds() const;

    // Multi-line human summary, and the same as one JSON object.
    std::string summary() const;
    std::string json() const;

    // Latency quantile in ms (q in [0,1]) over fetched records.
    double latency_ms(double q) const;

private:
    std::chrono::steady_clock::time_point start_;
    std::uint64_t records_ = 0, errors_ = 0, bytes_ = 0, fetched_ = 0;
    std::array<std::uint64_t, 7> by_class_{};  // none, 1xx .. 5xx, other (600-999)
    std::array<std::uint64_t, 10> by_stage_{};
    // Errors by code ("timeout", "robots_disallowed"): shoal's own codes, a
    // few dozen at most, so the map stays small whatever the list's length.
    std::map<std::string, std::uint64_t, std::less<>> by_code_;
    std::uint64_t with_title_ = 0, with_price_ = 0;
    std::vector<std::uint32_t> latency_;  // log-scale buckets, ~1% wide
    fetch_counters fetch_;                // from the workers that finished their chunk
    bool interrupted_ = false;
    std::uint64_t workers_ = 0, lines_handed_back_ = 0;
    std::uint64_t already_done_ = 0;
};

// Redraws one status line on stderr at most a few times a second.
class progress_line {
public:
    // total < 0: unknown (stdin). Draws nothing unless enabled.
    progress_line(bool enabled, std::int64_t total);
    void update(const run_stats& s, bool force = false);
    void finish();  // clears the line

private:
    bool enabled_;
    std::int64_t total_;
    std::chrono::steady_clock::time_point last_{};
    bool drawn_ = false;
};

}  // namespace shoal
