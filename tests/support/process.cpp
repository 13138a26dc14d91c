// Test helpers: child processes with hard timeouts, the local test site, JSONL.
#include "support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#ifndef SHOAL_SOURCE_DIR
#error "SHOAL_SOURCE_DIR must be defined (the source tree, as a string literal)"
#endif

namespace shoal::test {
namespace {

using steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

// Writing to a child that has exited must be an EPIPE, not the end of the test run.
void ignore_sigpipe() {
    static std::once_flag once;
    std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    out.reserve(argv.size() + 1);
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

int wait_status_to_code(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

// Waits for pid until `deadline`; returns its wait status, or nullopt if still running.
std::optional<int> wait_until(pid_t pid, steady::time_point deadline) {
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) return status;
        if (r < 0 && errno != EINTR) return -1;
        if (steady::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

int wait_blocking(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

}  // namespace

temp_dir::temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base && *base ? base : "/tmp") + "/shoal-test-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) fail("mkdtemp " + templ);
    path_ = templ;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream s;
    s << f.rdbuf();
    return s.str();
}

process_result run_process(const std::vector<std::string>& argv, const std::string& stdin_text,
                           std::chrono::milliseconds timeout) {
    ignore_sigpipe();
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 ||
        ::pipe2(err, O_CLOEXEC) != 0) {
        fail("pipe2");
    }
    auto args = c_argv(argv);
    const auto start = steady::now();
    const auto deadline = start + timeout;

    pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        // The child: its own process group, so a timeout can take its workers too.
        ::setpgid(0, 0);
        ::dup2(in[0], 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::setpgid(pid, pid);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);

    process_result result;
    int in_fd = in[1];
    ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
    std::size_t written = 0;
    if (stdin_text.empty()) {
        ::close(in_fd);
        in_fd = -1;
    }
    int fds[2] = {out[0], err[0]};
    std::string* sinks[2] = {&result.out, &result.err};

    // Feed stdin and drain stdout/stderr until both reach EOF or the deadline passes.
    while (fds[0] >= 0 || fds[1] >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        if (left.count() <= 0) {
            result.timed_out = true;
            break;
        }
        pollfd p[3];
        int n = 0;
        for (int fd : fds) p[n++] = pollfd{fd, POLLIN, 0};
        p[n++] = pollfd{in_fd, POLLOUT, 0};
        int r = ::poll(p, n, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (r < 0 && errno != EINTR) fail("poll");
        if (r <= 0) continue;
        for (int i = 0; i < 2; ++i) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t got = ::read(fds[i], buf, sizeof buf);
            if (got > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(got));
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                ::close(fds[i]);
                fds[i] = -1;
            }
        }
        if (in_fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = ::write(in_fd, stdin_text.data() + written, stdin_text.size() - written);
            if (w > 0) written += static_cast<std::size_t>(w);
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) {
                ::close(in_fd);
                in_fd = -1;
            }
        }
    }
    for (int fd : {fds[0], fds[1], in_fd}) {
        if (fd >= 0) ::close(fd);
    }

    std::optional<int> status;
    if (!result.timed_out) status = wait_until(pid, deadline);
    if (!status) {
        // Out of time: the whole process group this helper created goes, hard.
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        status = wait_blocking(pid);
    }
    result.exit_code = wait_status_to_code(*status);
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    return result;
}

local_site::local_site(std::optional<tls_files> tls, std::vector<std::string> extra_args,
                       const std::string& script)
    : tls_(tls.has_value()) {
    const fs::path port_file = dir_.path() / "port";
    std::vector<std::string> argv = {"python3",
                                     std::string(SHOAL_SOURCE_DIR) + "/" + script,
                                     "--port",
                                     "0",
                                     "--port-file",
                                     port_file.string(),
                                     "--max-seconds",
                                     "300"};
    if (tls) {
        argv.insert(argv.end(), {"--tls-cert", tls->cert.string(), "--tls-key", tls->key.string()});
    }
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto args = c_argv(argv);

    pid_ = ::fork();
    if (pid_ < 0) fail("fork");
    if (pid_ == 0) {
        // The server dies with the test process even if nobody runs our destructor.
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        int devnull = ::open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            ::dup2(devnull, 0);
            ::dup2(devnull, 1);
        }
        ::execvp(args[0], args.data());
        ::_exit(127);
    }

    // Wait for the port file (written atomically by the server once it listens).
    const auto deadline = steady::now() + std::chrono::seconds(10);
    while (steady::now() < deadline) {
        std::error_code ec;
        if (fs::exists(port_file, ec)) {
            port_ = std::atoi(read_file(port_file).c_str());
            if (port_ > 0) return;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error(script + " exited early, status " +
                                     std::to_string(wait_status_to_code(status)));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    wait_blocking(pid_);
    pid_ = -1;
    throw std::runtime_error("local_site.py did not write its port file within 10 s");
}

local_site::~local_site() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_until(pid_, steady::now() + std::chrono::seconds(3))) {
        ::kill(pid_, SIGKILL);
        wait_blocking(pid_);
    }
}

std::string local_site::url(const std::string& path) const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::string local_site::get(const std::string& path) const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string response;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
        if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
            char buf[16384];
            ssize_t n;
            while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
                response.append(buf, static_cast<std::size_t>(n));
            }
        }
    }
    ::close(fd);
    auto body = response.find("\r\n\r\n");
    return body == std::string::npos ? "" : response.substr(body + 4);
}

const fs::path& test_ca_dir() {
    static temp_dir dir;
    static std::once_flag once;
    std::call_once(once, [] {
        auto r = run_process(
            {"bash", std::string(SHOAL_SOURCE_DIR) + "/tools/make_test_ca.sh", dir.path().string()},
            "", std::chrono::seconds(30));
        if (r.exit_code != 0) {
            throw std::runtime_error("tools/make_test_ca.sh failed: " + r.err);
        }
    });
    return dir.path();
}

std::vector<boost::json::object> parse_jsonl(const std::string& text) {
    std::vector<boost::json::object> records;
    std::size_t pos = 0;
    std::size_t number = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        std::string_view line(text.data() + pos, end - pos);
        pos = end + 1;
        ++number;
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(line, ec);
        if (ec || !v.is_object()) {
            throw std::runtime_error("JSONL line " + std::to_string(number) + " is not a JSON object (" +
                                     (ec ? ec.message() : "not an object") +
                                     "): " + std::string(line.substr(0, 200)));
        }
        records.push_back(std::move(v.as_object()));
    }
    return records;
}

std::vector<boost::json::object> read_jsonl(const fs::path& path) {
    return parse_jsonl(read_file(path));
}

std::vector<std::vector<std::string>> parse_csv(std::string_view csv) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < csv.size(); ++i) {
        char c = csv[i];
        if (quoted) {
            if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') ++i;
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
        } else {
            field += c;
        }
    }
    if (rows.back().empty() && field.empty()) rows.pop_back();
    return rows;
}

int unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        fail("bind");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace shoal::test

namespace shoal::test {

background_process::background_process(const std::vector<std::string>& argv,
                                       const std::filesystem::path& out,
                                       const std::filesystem::path& err, const std::filesystem::path& in) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::setpgid(0, 0);
        int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = ::open(in.c_str(), O_RDONLY);
        if (o < 0 || e < 0 || n < 0) ::_exit(127);
        ::dup2(n, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::setpgid(pid_, pid_);
}

background_process::~background_process() {
    if (pid_ > 0 && !status_) {
        ::kill(-pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
    }
}

std::optional<int> background_process::wait(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int st = 0;
        pid_t r = ::waitpid(pid_, &st, WNOHANG);
        if (r == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return status_;
        }
        if (std::chrono::steady_clock::now() >= until) return std::nullopt;
        ::usleep(20 * 1000);
    }
}

std::string title_of(pid_t pid) {
    // POSIX reads: an ifstream throws when the read fails because the
    // process has gone, which is no error here.
    const int fd = ::open(("/proc/" + std::to_string(pid) + "/cmdline").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    std::string t;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) t.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return t.substr(0, t.find('\0'));
}

bool wait_until_unlocked(const fs::path& path, std::chrono::milliseconds timeout) {
    const auto until = steady::now() + timeout;
    for (;;) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno == ENOENT;
        // A file system without locks: shoal goes on without one, and so may we.
        const bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK;
        ::close(fd);  // lets the lock go too
        if (free) return true;
        if (steady::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::vector<pid_t> children_titled(pid_t parent, const std::string& prefix) {
    std::vector<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 1));
        std::string state;
        pid_t ppid = 0;
        rest >> state >> ppid;
        if (ppid != parent) continue;
        const auto pid = static_cast<pid_t>(std::stoi(name));
        if (title_of(pid).rfind(prefix, 0) == 0) out.push_back(pid);
    }
    return out;
}

}  // namespace shoal::test

namespace shoal::test {

silent_listener::silent_listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) fail("socket");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 128) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd_);
        fail("silent_listener");
    }
    port_ = ntohs(addr.sin_port);
}

silent_listener::~silent_listener() {
    if (fd_ >= 0) ::close(fd_);
}

std::string silent_listener::url(const std::string& scheme, const std::string& path) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
}

bool silent_listener::connected() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

std::vector<std::string> nonempty_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
    return lines;
}

}  // namespace shoal::test
