// Tests for cpu_gauge: reading /proc/stat's "cpu" line, the saturation rule,
// and a gauge over a stat file the test writes.
#include "shoal/cpu_gauge.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/process.hpp"

namespace fs = std::filesystem;

TEST_CASE("cpu_gauge: the cpu line of /proc/stat, idle and iowait as idle", "[cpu_gauge]") {
    auto t = shoal::detail::parse_proc_stat("cpu  10 2 30 400 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1 1\n");
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

TEST_CASE("cpu_gauge: saturated when the machine is nearly never idle and this process is busy",
          "[cpu_gauge]") {
    using shoal::detail::cpu_saturated;
    // From not saturated: under 10% idle and a quarter of a CPU or more.
    CHECK(cpu_saturated(false, 95, 5, 0.05, 0.1));        // 5% idle, half a CPU
    CHECK_FALSE(cpu_saturated(false, 90, 10, 0.05, 0.1)); // 10% idle: room
    CHECK_FALSE(cpu_saturated(false, 100, 0, 0.01, 0.1)); // others keep the CPUs busy, not this process
    CHECK(cpu_saturated(false, 100, 0, 0.025, 0.1));      // a quarter of a CPU is enough
    // From saturated: only 20% idle or under a tenth of a CPU gives room.
    CHECK(cpu_saturated(true, 85, 15, 0.02, 0.1));        // 15% idle, a fifth of a CPU: still
    CHECK_FALSE(cpu_saturated(true, 80, 20, 0.05, 0.1));
    CHECK_FALSE(cpu_saturated(true, 100, 0, 0.009, 0.1));
    // No ticks or no time: as it was.
    CHECK_FALSE(cpu_saturated(false, 0, 0, 0.05, 0.1));
    CHECK(cpu_saturated(true, 0, 0, 0.05, 0.1));
    CHECK(cpu_saturated(true, 100, 0, 0.05, 0));
}

TEST_CASE("cpu_gauge: a stat file that shows idle CPUs, or none at all, is not saturation", "[cpu_gauge]") {
    shoal::test::temp_dir dir;
    const fs::path stat = dir / "stat";
    std::ofstream(stat) << "cpu  100 0 100 800 0 0 0 0 0 0\n";
    shoal::cpu_gauge gauge(stat.string());
    CHECK_FALSE(gauge.saturated());
    gauge.assume(true);  // what the worker does until its first reading
    CHECK(gauge.saturated());
    std::ofstream(stat) << "cpu  150 0 150 900 0 0 0 0 0 0\n";  // 50% idle since
    gauge.sample();
    CHECK_FALSE(gauge.saturated());

    shoal::cpu_gauge missing((dir / "none").string());
    missing.assume(true);
    missing.sample();
    CHECK_FALSE(missing.saturated());

}

TEST_CASE("cpu_gauge: this machine's /proc/stat has the line the gauge reads", "[cpu_gauge]") {
    std::ifstream in("/proc/stat");
    std::string first;
    REQUIRE(std::getline(in, first));
    auto t = shoal::detail::parse_proc_stat(first + "\n");
    REQUIRE(t);
    CHECK(t->busy + t->idle > 0);
}
