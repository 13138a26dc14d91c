// cpu_gauge: whether the CPU, not the network, is what limits a worker now.
//
// A worker asks this before it sends a lane to a host that is being fetched
// already, which opens another connection to it (over HTTPS another
// handshake, ~1 ms of CPU on each side). When the CPUs it may use are all
// busy and this process uses a good share of one, more fetches in flight
// cannot make the crawl faster, only cost connections: the lane waits
// instead. When the CPU has room (a latency-bound crawl, the end of a chunk),
// lanes join busy hosts as before, since more in flight then means more pages
// per second.
//
//   shoal::cpu_gauge gauge;           // a first reading
//   ... every 100 ms: gauge.sample(); if (gauge.saturated()) ...
//
// "The CPUs it may use": those of the process's affinity mask (taskset,
// docker --cpuset-cpus), from their lines in /proc/stat; and, under a cgroup
// CPU quota (docker --cpus, a Kubernetes limit), the quota: cgroup v2's
// cpu.max and cpu.stat, or v1's cpu.cfs_quota_us, cpu.cfs_period_us and
// cpuacct.usage. The idle share is the smaller of the two.
// This process's own time comes from getrusage. Where /proc/stat cannot be
// read, saturated() stays false: the behaviour without the gauge.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

class cpu_gauge {
public:
    // Saturated from a sample in which the CPUs were idle less than
    // max_idle_share of the interval and this process used at least
    // min_own_share of one CPU...
    static constexpr double max_idle_share = 0.10;
    static constexpr double min_own_share = 0.25;
    // ...until a sample where they were idle at least this share, or this
    // process used less than this share of a CPU. (A single sample a little
    // under the first pair is noise on a busy machine; waking every waiting
    // lane for it would open hundreds of connections at once.)
    static constexpr double room_idle_share = 0.20;
    static constexpr double room_own_share = 0.10;

    // Where the gauge reads; tests give files of their own.
    struct sources {
        std::string proc_stat = "/proc/stat";
        std::string self_cgroup = "/proc/self/cgroup";
        std::string cgroup_root = "/sys/fs/cgroup";
        std::vector<unsigned> cpus;  // empty: this process's affinity mask
        std::function<double()> own_cpu_seconds;  // empty: getrusage of this process
    };

    cpu_gauge() : cpu_gauge(sources{}) {}
    explicit cpu_gauge(sources from);

    // Reads the times again; saturated() then describes the interval since
    // the last sample (or construction).
    void sample();

    // As of the last sample; before the first one, what assume() said
    // (false if nothing).
    bool saturated() const { return saturated_; }
    void assume(bool saturated) { saturated_ = saturated; }

    // The CPU quota found when the gauge was made (CPUs' worth), 0 if none.
    double quota_cpus() const { return quota_cpus_; }

private:
    struct reading {
        std::uint64_t busy = 0, idle = 0;  // ticks of the CPUs this process may use
        std::uint64_t quota_used_us = 0;   // the quota's cgroup's usage_usec
        double own_s = 0;                  // this process's user + system seconds
        double wall_s = 0;
    };
    std::optional<reading> read() const;

    sources from_;
    double quota_cpus_ = 0;
    std::string quota_usage_;  // that cgroup's usage: cpu.stat (v2) or cpuacct.usage (v1)
    bool quota_v1_ = false;
    std::optional<reading> last_;
    bool saturated_ = false;
};

namespace detail {
// The rule above for one interval, from state `was`: idle_share of the CPUs
// this process may use, own_share of one CPU used by this process.
bool cpu_saturated(bool was, double idle_share, double own_share);

// The idle share of one interval: of the CPUs' ticks, and, under a quota of
// quota_cpus (0: none), of the quota (quota_used_s of quota_cpus x wall_s),
// whichever is smaller.
double idle_share(std::uint64_t busy_ticks, std::uint64_t idle_ticks, double quota_cpus, double quota_used_s,
                  double wall_s);

// Busy and idle ticks (idle + iowait are idle) from /proc/stat's text: the
// sum of the "cpuN" lines for N in `cpus`, or the "cpu" line (all CPUs)
// when `cpus` is empty. nullopt when no such line is there.
struct cpu_ticks {
    std::uint64_t busy = 0, idle = 0;
};
std::optional<cpu_ticks> parse_proc_stat(std::string_view text, const std::vector<unsigned>& cpus = {});

// cgroup v2: the path of this process's cgroup from /proc/self/cgroup (its
// "0::" line), the quota in a cpu.max ("200000 100000" is 2 CPUs; "max ..."
// none), and usage_usec in a cpu.stat.
std::optional<std::string> cgroup_v2_path(std::string_view self_cgroup);
std::optional<double> parse_cpu_max(std::string_view text);
std::optional<std::uint64_t> parse_cpu_usage_us(std::string_view text);

// cgroup v1: the path in the hierarchy of the cpu controller (a line like
// "4:cpu,cpuacct:/docker/x"), the quota from cpu.cfs_quota_us and
// cpu.cfs_period_us ("-1": none), and cpuacct.usage (nanoseconds) in
// microseconds.
std::optional<std::string> cgroup_v1_cpu_path(std::string_view self_cgroup);
std::optional<double> parse_cfs_quota(std::string_view quota_us, std::string_view period_us);
std::optional<std::uint64_t> parse_cpuacct_usage_us(std::string_view text);
}  // namespace detail

}  // namespace shoal
