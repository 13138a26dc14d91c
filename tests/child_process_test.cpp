// child_process: real children started in their own process groups, their
// exit codes, CPU and output files, the time limit and the stop flag, and a
// grandchild that does not outlive its group.
#include "shoal/child_process.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "support/process.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::test::temp_dir;
using steady = std::chrono::steady_clock;

volatile std::sig_atomic_t no_stop = 0;

}  // namespace

TEST_CASE("child_process: exit code, output files and their tail", "[child_process]") {
    temp_dir dir;
    const auto start = steady::now();
    const pid_t pid = shoal::spawn_child(
        {"/bin/sh", "-c", "echo one; echo two; echo; echo three; echo oops >&2; exit 3"}, dir / "out",
        dir / "err", SIGKILL);
    REQUIRE(pid > 0);
    CHECK(::getpgid(pid) == pid);  // a group of its own
    const shoal::child_exit ex = shoal::wait_child(pid, start, 30, no_stop);
    CHECK(ex.code == 3);
    CHECK_FALSE(ex.timed_out);
    CHECK_FALSE(ex.interrupted);
    CHECK(ex.wall_s > 0);
    CHECK(ex.wall_s < 10);
    CHECK(shoal::tail_of(dir / "out") == "one two three");
    CHECK(shoal::tail_of(dir / "out", 2) == "two three");
    CHECK(shoal::tail_of(dir / "err") == "oops");
    CHECK(shoal::tail_of(dir / "missing").empty());
}

TEST_CASE("child_process: past the time limit the whole group is stopped", "[child_process]") {
    temp_dir dir;
    const auto pid_file = dir / "grandchild.pid";
    const auto start = steady::now();
    // The shell ignores SIGTERM, so it takes the SIGKILL 3 s later; its
    // background sleep is in the same group.
    const pid_t pid = shoal::spawn_child(
        {"/bin/sh", "-c", "trap '' TERM; sleep 60 & echo $! > " + pid_file.string() + "; while :; do sleep 1; done"},
        dir / "out", dir / "err", SIGKILL);
    const shoal::child_exit ex = shoal::wait_child(pid, start, 0.5, no_stop);
    CHECK(ex.timed_out);
    CHECK_FALSE(ex.interrupted);
    CHECK(ex.code == 128 + SIGKILL);
    CHECK(ex.wall_s >= 0.5);
    CHECK(ex.wall_s < 10);
    const pid_t grandchild = std::stoi(shoal::test::read_file(pid_file));
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = ::kill(grandchild, 0) != 0;  // reaped by init once killed
        if (!gone) std::this_thread::sleep_for(20ms);
    }
    CHECK(gone);
}

TEST_CASE("child_process: the stop flag ends the child as interrupted", "[child_process]") {
    temp_dir dir;
    volatile std::sig_atomic_t stop = 1;
    const auto start = steady::now();
    const pid_t pid = shoal::spawn_child({"/bin/sleep", "60"}, dir / "out", dir / "err", SIGKILL);
    const shoal::child_exit ex = shoal::wait_child(pid, start, 60, stop);
    CHECK(ex.interrupted);
    CHECK_FALSE(ex.timed_out);
    CHECK(ex.code == 128 + SIGTERM);
    CHECK(ex.wall_s < 10);
}
