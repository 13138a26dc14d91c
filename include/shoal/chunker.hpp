// chunker: cuts the stream of URL lines into chunks of at most K lines, each
// run by one worker process. Lines already done (a resumed run) are skipped
// here, so workers only see what is left to do.
//
// By default chunks are runs of consecutive lines. With dealing.ways = P > 1
// the chunker reads a window of up to P x K lines and deals it by host (the
// origin_hash of the lowercased host: hosts whose hashes meet go together)
// into up to P chunks of about equal size, so that each host's lines in the window
// go to one worker (split only when one host has more than a chunk's share).
// Workers started together then meet disjoint sets of hosts: one connection,
// and over HTTPS one handshake, per host instead of one per host and worker.
// Each chunk's lines stay in file order.
//
// Input that comes over time (a pipe) is taken with next_at_hand(), which
// never waits for input: the lines that have come are cut into a window
// (dealt as above) once there are ways x K of them, once the input has
// ended, or once the first of them has waited `patience`, so that a slow
// producer's lines start without waiting for a whole window.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "shoal/url_source.hpp"

namespace shoal {

struct chunk {
    std::uint64_t id = 0;
    std::vector<input_line> lines;
    unsigned deaths = 0;  // workers that died running (a superset of) these lines
    bool handed_back = false;  // lines a worker handed back (not a chunk of the input)
};

struct chunk_dealing {
    unsigned ways = 1;          // chunks dealt from one window (1: consecutive lines)
    std::size_t min_lines = 1;  // a window is not dealt into chunks smaller than this
};

class chunker {
public:
    // skip(line) tells which lines need no record (already done).
    chunker(url_source& source, std::size_t chunk_size,
            std::function<bool(const input_line&)> skip = {}, chunk_dealing dealing = {});

    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds patience{1000};

    // The next chunk, or nullopt when the input is exhausted. Waits for input.
    // Throws the source's error (setup_error) once the lines read before it
    // are handed out; next_at_hand() the same.
    std::optional<chunk> next();

    // The next chunk from the lines at hand (see the top), without waiting
    // for input; nullopt when there is none to cut yet (cut_due()) or the
    // input is exhausted (exhausted()). `now` is the time the lines taken in
    // this call count as come.
    std::optional<chunk> next_at_hand(clock::time_point now);
    // When the lines taken so far are cut however few; nullopt when none.
    std::optional<clock::time_point> cut_due() const;
    // The input has ended and every line is handed out (known once a read
    // met the end: a list that fills its last window exactly is known to
    // end at the next call).
    bool exhausted() const { return ended_ && waiting_.empty() && dealt_.empty(); }

    // Chunk ids are also handed out for re-runs of a dead worker's lines.
    std::uint64_t new_id() { return next_id_++; }

    std::uint64_t skipped() const { return skipped_; }

private:
    void read_window();
    // Deals a window's lines into chunks (see the top), onto dealt_.
    void deal(std::vector<input_line> window);
    std::optional<chunk> next_dealt();
    void rethrow_failure();

    url_source& source_;
    std::size_t chunk_size_;
    std::function<bool(const input_line&)> skip_;
    chunk_dealing dealing_;
    std::deque<std::vector<input_line>> dealt_;  // chunks of the window, not handed out yet
    std::vector<input_line> waiting_;            // next_at_hand: lines taken, not cut yet
    clock::time_point first_came_{};             // when waiting_'s first line was taken
    bool ended_ = false;                         // next_at_hand: the source has ended
    // The source's error (a read error, a list that is no text list): the
    // lines read before it are handed out first, then it is thrown.
    std::exception_ptr failure_;
    std::uint64_t next_id_ = 1;
    std::uint64_t skipped_ = 0;
};

namespace detail {
// The host of a URL line as the chunker groups it: the authority without
// userinfo and port, ASCII-lowercased into `out`. A line without "://" is
// its own group (the whole line), so malformed lines spread like any other.
void host_of_line(std::string_view line, std::string& out);
}  // namespace detail

}  // namespace shoal
