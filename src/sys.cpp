// POSIX helpers: EINTR-safe writes, atomic file replacement, descriptor flags,
// process titles, limits.
#include "shoal/sys.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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

namespace {

// The process's umask, read without changing it (Linux 4.7+ shows it in
// /proc/self/status); falls back to setting and restoring it.
mode_t current_umask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8));
    mode_t mask = ::umask(022);
    ::umask(mask);
    return mask;
}

// Removes a failed temporary. Returns false with errno = err.
bool remove_temporary(const std::string& tmp, int err) {
    ::unlink(tmp.c_str());
    errno = err;
    return false;
}

}  // namespace

int standard_stream_for(const std::string& path) {
    struct stat named{};
    if (path.empty() || ::stat(path.c_str(), &named) != 0 || !S_ISREG(named.st_mode)) return -1;
    for (int fd : {STDOUT_FILENO, STDERR_FILENO}) {
        struct stat st{};
        if (::fstat(fd, &st) == 0 && st.st_dev == named.st_dev && st.st_ino == named.st_ino) return fd;
    }
    return -1;
}

bool process_stopped(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    // "PID (COMM) STATE ...": COMM may hold spaces and parentheses, the state follows its last ')'.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return false;
    return stat[close + 2] == 'T' || stat[close + 2] == 't';
}

std::string path_of_fd(int fd) {
    std::error_code ec;
    const std::string path = std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd), ec).string();
    if (ec || !path.starts_with('/') || path.ends_with(" (deleted)")) return {};
    return path;
}

const char* kernel_file_system(int fd) {
    struct statfs fs{};
    if (::fstatfs(fd, &fs) != 0) return nullptr;
    switch (static_cast<unsigned long>(fs.f_type)) {
        case PROC_SUPER_MAGIC: return "proc";
        case SYSFS_MAGIC: return "sysfs";
        case CGROUP_SUPER_MAGIC:
        case CGROUP2_SUPER_MAGIC: return "cgroup";
        case DEBUGFS_MAGIC: return "debugfs";
        case TRACEFS_MAGIC: return "tracefs";
        case SECURITYFS_MAGIC: return "securityfs";
        case BPF_FS_MAGIC: return "bpf";
        default: return nullptr;
    }
}

bool write_file_atomically(const std::string& given, std::string_view content, mode_t mode) {
    if (const int stream = standard_stream_for(given); stream >= 0)
        return write_all(stream, content.data(), content.size());
    // A device or a FIFO (/dev/stdout, a pipe) is written in place: a rename
    // would put a regular file where it was.
    struct stat st{};
    if (::stat(given.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        // O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead
        // of blocking; the writes then block as usual.
        int fd = ::open(given.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) return false;
        (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        const bool ok = write_all(fd, content.data(), content.size());
        const int err = errno;
        ::close(fd);
        errno = err;
        return ok;
    }
    // A link is written through: the file it names is replaced, not the
    // link. (Followed by hand: a link to a file not made yet has no
    // canonical path.)
    std::filesystem::path link = given;
    std::error_code ec;
    for (int hops = 0; hops < 40 && std::filesystem::is_symlink(std::filesystem::symlink_status(link, ec)); ++hops) {
        auto to = std::filesystem::read_symlink(link, ec);
        if (ec) break;
        link = to.is_absolute() ? to : link.parent_path() / to;
    }
    const std::string path = link.string();

    // Create a temporary with a name no other file has
    std::string tmp = path + ".XXXXXX";
    int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd < 0) return false;

    // Give it the mode a plain create would; mkstemp makes it 0600. Best
    // effort: some file systems refuse modes, and the content matters more.
    (void)::fchmod(fd, mode & 0777 & ~current_umask());

    // Write it, close it, and put it in place
    if (!write_all(fd, content.data(), content.size())) {
        int err = errno;
        ::close(fd);
        return remove_temporary(tmp, err);
    }
    if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0)
        return remove_temporary(tmp, errno);
    return true;
}

namespace {

std::string temp_root() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

}  // namespace

private_dir::private_dir(std::string_view prefix) : owner_(static_cast<int>(::getpid())) {
    remove_abandoned(prefix);
    std::string templ = temp_root() + "/" + std::string(prefix) + "-XXXXXX";
    if (!::mkdtemp(templ.data())) throw_errno(exit_code::file, "cannot make a directory " + templ);
    path_ = std::move(templ);
    lock_fd_ = ::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        if (lock_fd_ >= 0) ::close(lock_fd_);
        ::rmdir(path_.c_str());
        errno = err;
        throw_errno(exit_code::file, "cannot lock the directory " + path_);
    }
}

private_dir::~private_dir() {
    if (static_cast<int>(::getpid()) != owner_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    ::close(lock_fd_);
}

std::size_t private_dir::remove_abandoned(std::string_view prefix, std::chrono::seconds quiet) {
    const std::string root = temp_root();
    DIR* dir = ::opendir(root.c_str());
    if (dir == nullptr) return 0;
    const std::string start = std::string(prefix) + "-";
    const auto now = std::chrono::system_clock::now();
    std::size_t removed = 0;
    while (const dirent* e = ::readdir(dir)) {
        const std::string_view name = e->d_name;
        // mkdtemp's six characters after the prefix, nothing else
        if (name.size() != start.size() + 6 || !name.starts_with(start)) continue;
        const std::string path = root + "/" + std::string(name);
        const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        const bool candidate =
            ::fstat(fd, &st) == 0 && st.st_uid == ::geteuid() &&
            now - std::chrono::system_clock::from_time_t(st.st_mtime) > quiet &&
            ::flock(fd, LOCK_EX | LOCK_NB) == 0;  // nobody holds it: its run is over
        if (candidate) {
            std::error_code ec;
            if (std::filesystem::remove_all(path, ec) > 0 && !ec) ++removed;
        }
        ::close(fd);
    }
    ::closedir(dir);
    return removed;
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
bool standard_closed[3] = {false, false, false};  // by fill_standard_fds
}  // namespace

void fill_standard_fds() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
        standard_closed[fd] = true;
        // The lowest free number is fd itself: 0, 1 and 2 are filled in order.
        const int null = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (null >= 0 && null != fd) {
            ::dup2(null, fd);
            ::close(null);
        }
    }
}

bool standard_fd_was_closed(int fd) { return fd >= 0 && fd <= 2 && standard_closed[fd]; }

bool names_closed_stdin(const std::string& path) {
    if (!standard_closed[STDIN_FILENO] || path == "/dev/null") return false;
    struct stat named{}, in{};
    return ::stat(path.c_str(), &named) == 0 && ::fstat(STDIN_FILENO, &in) == 0 && named.st_dev == in.st_dev &&
           named.st_ino == in.st_ino;
}

void require_open_stdout(std::string_view what) {
    if (standard_fd_was_closed(STDOUT_FILENO))
        throw setup_error(exit_code::file, "cannot write " + std::string(what) + " to stdout: it is closed");
}

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

std::string describe_exit(int status) {
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char* name = ::sigabbrev_np(sig);  // "KILL"; nullptr for a number with no name
        return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
    }
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace shoal::sys
