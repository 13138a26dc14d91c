// child_process: the programs `shoal bench` runs (see child_process.hpp).
#include "shoal/child_process.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "shoal/error.hpp"
#include "shoal/sys.hpp"

namespace shoal {

namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

pid_t spawn_child(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
                  int death_signal) {
    std::vector<std::string> args = argv;
    std::vector<char*> cargs;
    for (std::string& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    const std::string out_s = out.string(), err_s = err.string();
    const pid_t parent = ::getpid();
    // Every signal stays blocked until the child has its default handlers:
    // one that came before would run the caller's handler in the child.
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t pid = ::fork();
    if (pid != 0) ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) sys::throw_errno(exit_code::internal, "fork");
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, death_signal);
        if (::getppid() != parent) ::_exit(127);
        for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_DFL);
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        const int in = ::open("/dev/null", O_RDONLY);
        const int o = ::open(out_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err_s.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0 || o < 0 || e < 0) ::_exit(127);
        ::dup2(in, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        ::execv(cargs[0], cargs.data());
        ::dprintf(2, "exec %s: %s\n", cargs[0], std::strerror(errno));
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also here, so the group exists before the parent signals it
    return pid;
}

child_exit wait_child(pid_t pid, steady::time_point start, double limit_s, const volatile std::sig_atomic_t& stop) {
    child_exit info;
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    const steady::time_point deadline =
        start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(limit_s));
    steady::time_point kill_at{};
    bool stopping = false, killed = false;
    for (;;) {
        int status = 0;
        rusage ru{};
        const pid_t r = ::wait4(pid, &status, WNOHANG, &ru);
        if (r == pid) {
            info.wall_s = sys::seconds_since(start);
            info.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            info.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
            break;
        }
        if (r < 0 && errno != EINTR) {
            info.wall_s = sys::seconds_since(start);
            break;
        }
        const steady::time_point now = steady::now();
        if (!stopping && (stop || now >= deadline)) {
            info.interrupted = stop != 0;
            info.timed_out = !info.interrupted;
            ::kill(-pid, SIGTERM);
            stopping = true;
            kill_at = now + std::chrono::seconds(3);
        } else if (stopping && !killed && now >= kill_at) {
            ::kill(-pid, SIGKILL);
            killed = true;
        }
        if (pidfd >= 0) {
            pollfd p{pidfd, POLLIN, 0};
            ::poll(&p, 1, 50);
        } else {
            ::usleep(2000);
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    // A killed supervisor may leave workers behind in its group.
    if (info.timed_out || info.interrupted) ::kill(-pid, SIGKILL);
    return info;
}

std::string tail_of(const fs::path& path, std::size_t lines) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> all;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) all.push_back(line);
    }
    std::string tail;
    for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
        tail += (tail.empty() ? "" : " ") + all[i];
    return tail;
}

}  // namespace shoal
