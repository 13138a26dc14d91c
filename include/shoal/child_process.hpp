// child_process: the programs `shoal bench` runs and measures (serve, crawl,
// wrk), each in a process group of its own with its output in files, waited
// for under a time limit.
//
//   pid_t pid = shoal::spawn_child({"/usr/bin/wrk", ...}, "wrk.out", "wrk.err", SIGKILL);
//   shoal::child_exit ex = shoal::wait_child(pid, start, 30.0, stop_flag);
//   if (ex.code != 0) report(shoal::tail_of("wrk.err"));
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace shoal {

// Starts argv (argv[0] an absolute path) with stdin from /dev/null and stdout
// and stderr to files, in its own process group (so Ctrl-C reaches only the
// caller, and a runaway can be killed with everything it forked). The child
// gets death_signal if the caller dies first. Throws setup_error if it cannot
// fork.
pid_t spawn_child(const std::vector<std::string>& argv, const std::filesystem::path& out,
                  const std::filesystem::path& err, int death_signal);

struct child_exit {
    int code = -1;  // exit status, or 128 + signal
    double wall_s = 0;
    double cpu_s = 0;  // user + system of the child and every descendant it waited for
    bool timed_out = false;
    bool interrupted = false;
};

// Waits for pid (started at `start`) until it exits. Past limit_s, or once
// `stop` is set (a signal handler's flag), its process group gets SIGTERM,
// then SIGKILL 3 s later.
child_exit wait_child(pid_t pid, std::chrono::steady_clock::time_point start, double limit_s,
                      const volatile std::sig_atomic_t& stop);

// The last `lines` non-empty lines of a file, joined by spaces ("" if none).
std::string tail_of(const std::filesystem::path& path, std::size_t lines = 3);

}  // namespace shoal
