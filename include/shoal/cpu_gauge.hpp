// cpu_gauge: whether the CPU, not the network, is what limits a worker now.
//
// A worker asks this before it sends a lane to a host that is being fetched
// already, which opens another connection to it (over HTTPS another
// handshake, ~1 ms of CPU on each side). When the machine's CPUs are all busy
// and this process uses a good share of one, more fetches in flight cannot
// make the crawl faster, only cost connections: the lane waits instead. When
// the CPU has room (a latency-bound crawl, the end of a chunk), lanes join
// busy hosts as before, since more in flight then means more pages per second.
//
//   shoal::cpu_gauge gauge;           // a first reading
//   ... every 100 ms: gauge.sample(); if (gauge.saturated()) ...
//
// Machine time comes from /proc/stat (all CPUs), this process's from
// getrusage. Where /proc/stat cannot be read, or a container's quota is all
// it may use of a bigger machine's idle CPUs, saturated() stays false: the
// behaviour without the gauge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

class cpu_gauge {
public:
    // Saturated from a sample in which the machine was idle less than
    // max_idle_share of the interval and this process used at least
    // min_own_share of one CPU...
    static constexpr double max_idle_share = 0.10;
    static constexpr double min_own_share = 0.25;
    // ...until a sample where the machine was idle at least this share, or
    // this process used less than this share of a CPU. (A single sample a
    // little under the first pair is noise on a busy machine; waking every
    // waiting lane for it would open hundreds of connections at once.)
    static constexpr double room_idle_share = 0.20;
    static constexpr double room_own_share = 0.10;

    // stat_path: where the machine's CPU times are (tests give a file of their own).
    explicit cpu_gauge(std::string stat_path = "/proc/stat");

    // Reads the times again; saturated() then describes the interval since
    // the last sample (or construction).
    void sample();

    // As of the last sample; before the first one, what assume() said
    // (false if nothing).
    bool saturated() const { return saturated_; }
    void assume(bool saturated) { saturated_ = saturated; }

private:
    struct reading {
        std::uint64_t busy = 0, idle = 0;  // machine ticks, all CPUs
        double own_s = 0;                  // this process's user + system seconds
        double wall_s = 0;
    };
    std::optional<reading> read() const;

    std::string stat_path_;
    std::optional<reading> last_;
    bool saturated_ = false;
};

namespace detail {
// The rule above, for an interval of busy_ticks and idle_ticks on the
// machine and own_s CPU seconds of this process in wall_s seconds, from
// state `was`. An interval with no ticks or no time changes nothing.
bool cpu_saturated(bool was, std::uint64_t busy_ticks, std::uint64_t idle_ticks, double own_s, double wall_s);

// The "cpu" line of /proc/stat: busy and idle ticks (idle + iowait are idle).
// nullopt when the text has no such line.
struct cpu_ticks {
    std::uint64_t busy = 0, idle = 0;
};
std::optional<cpu_ticks> parse_proc_stat(std::string_view text);
}  // namespace detail

}  // namespace shoal
