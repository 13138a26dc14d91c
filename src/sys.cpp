// POSIX helpers: EINTR-safe writes, descriptor flags, process titles, limits.
#include "shoal/sys.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

extern char** environ;

namespace shoal::sys {

bool write_all(int fd, const void* data, std::size_t n, std::size_t* written) {
    auto p = static_cast<const char*>(data);
    if (written != nullptr) *written = 0;
    while (n > 0) {
        ssize_t w = retry_eintr([&] { return ::write(fd, p, n); });
        if (w < 0) return false;
        p += w;
        n -= static_cast<std::size_t>(w);
        if (written != nullptr) *written += static_cast<std::size_t>(w);
    }
    return true;
}

void throw_errno(exit_code code, const std::string& what) {
    throw setup_error(code, what + ": " + std::strerror(errno));
}

void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        throw_errno(exit_code::internal, "fcntl(O_NONBLOCK)");
}

void set_cloexec(int fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
        throw_errno(exit_code::internal, "fcntl(FD_CLOEXEC)");
}

namespace {
char* title_begin = nullptr;
std::size_t title_capacity = 0;
}  // namespace

void init_process_title(int argc, char** argv) {
    if (argc < 1 || argv[0] == nullptr) return;
    // argv and environ strings lie back to back; once environ is copied to the
    // heap, that whole area can hold the title.
    char* end = argv[0] + std::strlen(argv[0]) + 1;
    for (int i = 1; i < argc; ++i)
        if (argv[i] == end) end = argv[i] + std::strlen(argv[i]) + 1;
    std::size_t env_count = 0;
    while (environ != nullptr && environ[env_count] != nullptr) ++env_count;
    auto copy = new char*[env_count + 1];
    for (std::size_t i = 0; i < env_count; ++i) {
        if (environ[i] == end) end = environ[i] + std::strlen(environ[i]) + 1;
        copy[i] = ::strdup(environ[i]);
    }
    copy[env_count] = nullptr;
    environ = copy;
    title_begin = argv[0];
    title_capacity = static_cast<std::size_t>(end - argv[0]);
    for (int i = 1; i < argc; ++i) argv[i] = nullptr;
}

void set_process_title(std::string_view title) {
    std::string comm(title.substr(0, 15));
    ::prctl(PR_SET_NAME, comm.c_str(), 0, 0, 0);
    if (title_begin == nullptr || title_capacity < 2) return;
    std::size_t n = std::min(title.size(), title_capacity - 1);
    std::memcpy(title_begin, title.data(), n);
    std::memset(title_begin + n, 0, title_capacity - n);
}

std::size_t raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit want = rl;
        want.rlim_cur = rl.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
    }
    return static_cast<std::size_t>(rl.rlim_cur);
}

unsigned cpu_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof(set), &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n > 0) return static_cast<unsigned>(n);
    }
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<unsigned>(n) : 1u;
}

}  // namespace shoal::sys
