// Tests for cpu_gauge: reading /proc/stat (all CPUs or some), cgroup v2
// quotas, the saturation rule, and gauges over files the test writes.
#include "shoal/cpu_gauge.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/process.hpp"

namespace fs = std::filesystem;

namespace {

const char* const two_cpus =
    "cpu  10 2 30 400 5 6 7 8 9 10\n"
    "cpu0 4 1 10 300 5 1 1 1 0 0\n"
    "cpu1 6 1 20 100 0 5 6 7 0 0\n"
    "intr 1 2 3\n";

// Sources in dir: a /proc/stat of one busy line (written here), dir/self as
// /proc/self/cgroup (the test writes it), `root` as the cgroup mount, and a
// process that uses a whole second of CPU between any two readings (so that
// "this process is busy" holds, and the files decide).
shoal::cpu_gauge::sources written_sources(const shoal::test::temp_dir& dir, const fs::path& root) {
    std::ofstream(dir / "stat") << "cpu  100 0 100 800 0 0 0 0 0 0\n";
    shoal::cpu_gauge::sources from;
    from.proc_stat = (dir / "stat").string();
    from.self_cgroup = (dir / "self").string();
    from.cgroup_root = root.string();
    from.own_cpu_seconds = [seconds = 0.0]() mutable { return seconds += 1.0; };
    return from;
}

// Lets the steady clock move between two readings.
void tick() { std::this_thread::sleep_for(std::chrono::milliseconds(2)); }

}  // namespace

TEST_CASE("cpu_gauge: the cpu line of /proc/stat, idle and iowait as idle", "[cpu_gauge]") {
    auto t = shoal::detail::parse_proc_stat(two_cpus);
    REQUIRE(t);
    CHECK(t->idle == 405);
    CHECK(t->busy == 10 + 2 + 30 + 6 + 7 + 8);  // guest time is inside user already
    // Older kernels: four fields only.
    t = shoal::detail::parse_proc_stat("cpu 1 2 3 4\n");
    REQUIRE(t);
    CHECK(t->idle == 4);
    CHECK(t->busy == 6);
    CHECK_FALSE(shoal::detail::parse_proc_stat("cpu0 1 2 3 4\n"));
    CHECK_FALSE(shoal::detail::parse_proc_stat("intr 1 2 3\n"));
    CHECK_FALSE(shoal::detail::parse_proc_stat("cpu 1 2 x 4\n"));
    CHECK_FALSE(shoal::detail::parse_proc_stat("cpu 1 2\n"));
    CHECK_FALSE(shoal::detail::parse_proc_stat(""));
}

TEST_CASE("cpu_gauge: the lines of the CPUs a process may use, summed", "[cpu_gauge]") {
    auto one = shoal::detail::parse_proc_stat(two_cpus, {1});
    REQUIRE(one);
    CHECK(one->idle == 100);
    CHECK(one->busy == 6 + 1 + 20 + 5 + 6 + 7);
    auto both = shoal::detail::parse_proc_stat(two_cpus, {0, 1});
    REQUIRE(both);
    CHECK(both->idle == 405);
    CHECK(both->busy == 4 + 1 + 10 + 1 + 1 + 1 + 6 + 1 + 20 + 5 + 6 + 7);
    CHECK_FALSE(shoal::detail::parse_proc_stat(two_cpus, {7}));  // no such CPU
}

TEST_CASE("cpu_gauge: cgroup v2 path, cpu.max and cpu.stat", "[cpu_gauge]") {
    using namespace shoal::detail;
    CHECK(cgroup_v2_path("0::/system.slice/shoal.service\n") == std::optional<std::string>("/system.slice/shoal.service"));
    CHECK(cgroup_v2_path("12:cpu,cpuacct:/x\n0::/\n") == std::optional<std::string>("/"));
    CHECK_FALSE(cgroup_v2_path("4:memory:/x\n1:cpu:/\n"));  // cgroup v1 only
    CHECK(parse_cpu_max("200000 100000\n") == std::optional<double>(2.0));
    CHECK(parse_cpu_max("50000 100000") == std::optional<double>(0.5));
    CHECK_FALSE(parse_cpu_max("max 100000\n"));
    CHECK_FALSE(parse_cpu_max("garbage"));
    CHECK(parse_cpu_usage_us("usage_usec 123456\nuser_usec 100000\n") == std::optional<std::uint64_t>(123456));
    CHECK(parse_cpu_usage_us("nr_periods 0\nusage_usec 7\n") == std::optional<std::uint64_t>(7));
    CHECK_FALSE(parse_cpu_usage_us("user_usec 1\n"));
}

TEST_CASE("cpu_gauge: the idle share is the smaller of the CPUs' and the quota's", "[cpu_gauge]") {
    using shoal::detail::idle_share;
    CHECK(idle_share(80, 20, 0, 0, 0.1) == Approx(0.2));
    // A quota of 2 CPUs used 1.9 CPUs' worth in 0.1 s: 5% left, though the
    // machine's CPUs were 20% idle.
    CHECK(idle_share(80, 20, 2.0, 0.19, 0.1) == Approx(0.05));
    CHECK(idle_share(80, 20, 2.0, 0.05, 0.1) == Approx(0.2));  // the quota has more room
    CHECK(idle_share(80, 20, 2.0, 0.30, 0.1) == Approx(0.0));  // over it (bursts): none
}

TEST_CASE("cpu_gauge: saturated when the CPUs are nearly never idle and this process is busy",
          "[cpu_gauge]") {
    using shoal::detail::cpu_saturated;
    // From not saturated: under 10% idle and a quarter of a CPU or more.
    CHECK(cpu_saturated(false, 0.05, 0.5));
    CHECK_FALSE(cpu_saturated(false, 0.10, 0.5));  // 10% idle: room
    CHECK_FALSE(cpu_saturated(false, 0.0, 0.1));   // others keep the CPUs busy, not this process
    CHECK(cpu_saturated(false, 0.0, 0.25));        // a quarter of a CPU is enough
    // From saturated: only 20% idle or under a tenth of a CPU gives room.
    CHECK(cpu_saturated(true, 0.15, 0.2));
    CHECK_FALSE(cpu_saturated(true, 0.20, 0.5));
    CHECK_FALSE(cpu_saturated(true, 0.0, 0.09));
}

TEST_CASE("cpu_gauge: a stat file that shows idle CPUs, or none at all, is not saturation", "[cpu_gauge]") {
    shoal::test::temp_dir dir;
    shoal::cpu_gauge::sources from;
    from.proc_stat = (dir / "stat").string();
    from.self_cgroup = (dir / "none").string();
    std::ofstream(dir / "stat") << "cpu  100 0 100 800 0 0 0 0 0 0\n";
    shoal::cpu_gauge gauge(from);
    CHECK_FALSE(gauge.saturated());
    gauge.assume(true);  // what the worker does until its first reading
    CHECK(gauge.saturated());
    std::ofstream(dir / "stat") << "cpu  150 0 150 900 0 0 0 0 0 0\n";  // 50% idle since
    gauge.sample();
    CHECK_FALSE(gauge.saturated());
    CHECK(gauge.quota_cpus() == 0);

    from.proc_stat = (dir / "missing").string();
    shoal::cpu_gauge missing(from);
    missing.assume(true);
    missing.sample();
    CHECK_FALSE(missing.saturated());
}

TEST_CASE("cpu_gauge: readings turn saturation on when the CPUs are busy, off at 20% idle", "[cpu_gauge]") {
    shoal::test::temp_dir dir;
    std::ofstream(dir / "self") << "0::/\n";
    shoal::cpu_gauge gauge(written_sources(dir, dir / "cgroup"));
    tick();
    std::ofstream(dir / "stat") << "cpu  300 0 300 800 0 0 0 0 0 0\n";  // 400 busy ticks, none idle
    gauge.sample();
    CHECK(gauge.saturated());
    tick();
    std::ofstream(dir / "stat") << "cpu  340 0 340 815 0 0 0 0 0 0\n";  // 15% idle: still
    gauge.sample();
    CHECK(gauge.saturated());
    tick();
    std::ofstream(dir / "stat") << "cpu  380 0 380 835 0 0 0 0 0 0\n";  // 20% idle: room
    gauge.sample();
    CHECK_FALSE(gauge.saturated());
}

TEST_CASE("cpu_gauge: the strictest cgroup v2 quota from the process's cgroup up to the root", "[cpu_gauge]") {
    shoal::test::temp_dir dir;
    const fs::path root = dir / "cgroup";
    fs::create_directories(root / "kubepods" / "pod1" / "shoal");
    std::ofstream(root / "cpu.max") << "max 100000\n";
    std::ofstream(root / "kubepods" / "cpu.max") << "400000 100000\n";
    std::ofstream(root / "kubepods" / "pod1" / "cpu.max") << "150000 100000\n";
    std::ofstream(root / "kubepods" / "pod1" / "cpu.stat") << "usage_usec 1000\n";
    std::ofstream(root / "kubepods" / "pod1" / "shoal" / "cpu.max") << "max 100000\n";
    std::ofstream(dir / "self") << "0::/kubepods/pod1/shoal\n";
    const shoal::cpu_gauge::sources from = written_sources(dir, root);
    shoal::cpu_gauge gauge(from);
    CHECK(gauge.quota_cpus() == Approx(1.5));
    // The machine's CPUs half idle, but the quota's cgroup used 10 s of CPU
    // since: saturated; then none more: room.
    tick();
    std::ofstream(dir / "stat") << "cpu  150 0 150 900 0 0 0 0 0 0\n";
    std::ofstream(root / "kubepods" / "pod1" / "cpu.stat") << "usage_usec 10001000\n";
    gauge.sample();
    CHECK(gauge.saturated());
    tick();
    std::ofstream(dir / "stat") << "cpu  200 0 200 1000 0 0 0 0 0 0\n";
    gauge.sample();
    CHECK_FALSE(gauge.saturated());

    std::ofstream(dir / "self") << "0::/\n";  // at the root: no quota
    shoal::cpu_gauge unlimited(from);
    CHECK(unlimited.quota_cpus() == 0);
}

TEST_CASE("cpu_gauge: this machine's /proc/stat has the line the gauge reads", "[cpu_gauge]") {
    std::ifstream in("/proc/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto all = shoal::detail::parse_proc_stat(text);
    REQUIRE(all);
    CHECK(all->busy + all->idle > 0);
    auto first = shoal::detail::parse_proc_stat(text, {0});
    REQUIRE(first);
    CHECK(first->busy + first->idle <= all->busy + all->idle);
}

TEST_CASE("cpu_gauge: cgroup v1 cpu path, cfs quota and cpuacct usage", "[cpu_gauge]") {
    using namespace shoal::detail;
    CHECK(cgroup_v1_cpu_path("5:memory:/x\n4:cpu,cpuacct:/docker/abc\n0::/\n") ==
          std::optional<std::string>("/docker/abc"));
    CHECK(cgroup_v1_cpu_path("1:cpu:/\n2:cpuacct:/\n") == std::optional<std::string>("/"));
    CHECK_FALSE(cgroup_v1_cpu_path("2:cpuacct:/\n3:cpuset:/\n0::/\n"));  // "cpuacct" and "cpuset" are not "cpu"
    CHECK(parse_cfs_quota("150000\n", "100000\n") == std::optional<double>(1.5));
    CHECK_FALSE(parse_cfs_quota("-1\n", "100000\n"));
    CHECK_FALSE(parse_cfs_quota("x", "100000"));
    CHECK(parse_cpuacct_usage_us("68961425997760\n") == std::optional<std::uint64_t>(68961425997));
    CHECK_FALSE(parse_cpuacct_usage_us("none"));
}

TEST_CASE("cpu_gauge: a cgroup v1 quota, in the process's cgroup or at the root a container sees", "[cpu_gauge]") {
    shoal::test::temp_dir dir;
    const fs::path root = dir / "cgroup";
    fs::create_directories(root / "cpu" / "docker" / "abc");
    std::ofstream(root / "cpu" / "cpu.cfs_quota_us") << "-1\n";
    std::ofstream(root / "cpu" / "cpu.cfs_period_us") << "100000\n";
    std::ofstream(root / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us") << "150000\n";
    std::ofstream(root / "cpu" / "docker" / "abc" / "cpu.cfs_period_us") << "100000\n";
    std::ofstream(root / "cpu" / "docker" / "abc" / "cpuacct.usage") << "1000000\n";
    std::ofstream(dir / "self") << "4:cpu,cpuacct:/docker/abc\n0::/\n";
    const shoal::cpu_gauge::sources from = written_sources(dir, root);
    shoal::cpu_gauge gauge(from);
    CHECK(gauge.quota_cpus() == Approx(1.5));
    // cpuacct.usage is in nanoseconds: 10 s more since the first reading.
    tick();
    std::ofstream(dir / "stat") << "cpu  150 0 150 900 0 0 0 0 0 0\n";
    std::ofstream(root / "cpu" / "docker" / "abc" / "cpuacct.usage") << "10001000000\n";
    gauge.sample();
    CHECK(gauge.saturated());

    // Inside a container the path names a cgroup the mount does not show;
    // the quota is on the mount's root.
    std::ofstream(root / "cpu" / "cpu.cfs_quota_us") << "50000\n";
    std::ofstream(dir / "self") << "4:cpu,cpuacct:/docker/other\n0::/\n";
    CHECK(shoal::cpu_gauge(from).quota_cpus() == Approx(0.5));
}
