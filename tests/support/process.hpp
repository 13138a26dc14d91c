// Helpers for the integration tests: temp directories, running the real `shoal`
// binary with a hard timeout, the local test site (tools/local_site.py) as an
// RAII child process, and reading JSONL output.
//
//   shoal::test::temp_dir dir;
//   shoal::test::local_site site;                 // python3 tools/local_site.py
//   auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", ...}, "", 60s);
//   auto records = shoal::test::read_jsonl(dir.path() / "out.jsonl");
//
// Every child started here is killed by the helper that started it, never by name.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class temp_dir {
public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

struct process_result {
    int exit_code = -1;  // the exit status, or 128 + signal number if killed by a signal
    bool timed_out = false;
    std::string out;
    std::string err;
    std::chrono::milliseconds elapsed{0};
};

// Runs argv (argv[0] looked up on PATH), feeding stdin_text to its standard
// input and collecting its standard output and error. The child gets its own
// process group; if it (or anything it forked holding its pipes) is still
// running after `timeout`, that process group is sent SIGKILL.
process_result run_process(const std::vector<std::string>& argv, const std::string& stdin_text = "",
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Writes `text` to `path`, replacing it. Throws std::runtime_error on failure.
void write_file(const std::filesystem::path& path, const std::string& text);
// Returns the whole file, or throws std::runtime_error.
std::string read_file(const std::filesystem::path& path);

struct tls_files {
    std::filesystem::path cert;
    std::filesystem::path key;
};

// tools/local_site.py (or another test server) as a child process on
// 127.0.0.1, on a port it picks.
// The constructor waits (up to 10 s) for the port file and throws if the
// server does not come up; the destructor sends SIGTERM and waits, SIGKILL after 3 s.
class local_site {
public:
    // script: the server to run, relative to the source tree; any server
    // taking --port, --port-file, --max-seconds and --tls-cert/--tls-key.
    explicit local_site(std::optional<tls_files> tls = std::nullopt,
                        std::vector<std::string> extra_args = {},
                        const std::string& script = "tools/local_site.py");
    ~local_site();
    local_site(const local_site&) = delete;
    local_site& operator=(const local_site&) = delete;

    int port() const { return port_; }
    // "http://127.0.0.1:PORT" + path (https when serving TLS). REQUIRES: path starts with '/'.
    std::string url(const std::string& path) const;
    // GETs path over a fresh plain-HTTP connection and returns the body ("" on failure).
    // Only for a site without TLS.
    std::string get(const std::string& path) const;

private:
    temp_dir dir_;
    pid_t pid_ = -1;
    int port_ = 0;
    bool tls_ = false;
};

// The test CA and certificates made by tools/make_test_ca.sh, created once per
// test run in a temp directory: ca.crt, server.*, expired.*, wronghost.*.
const std::filesystem::path& test_ca_dir();

// Parses every line of a JSONL file (Boost.JSON, which rejects invalid UTF-8).
// Throws std::runtime_error naming the line if one is not a JSON object.
std::vector<boost::json::object> read_jsonl(const std::filesystem::path& path);

// Splits CSV text into rows of fields (RFC 4180: quoted fields may hold
// commas, doubled quotes and line breaks; rows end with CRLF or LF).
std::vector<std::vector<std::string>> parse_csv(std::string_view csv);
std::vector<boost::json::object> parse_jsonl(const std::string& text);

// A port on 127.0.0.1 that nobody listens on (bound, read, closed).
int unused_port();

}  // namespace shoal::test

namespace shoal::test {

// A child process running in the background in its own process group, with
// stdout and stderr going to files, and stdin from /dev/null or from `in`
// (e.g. a FIFO the test writes). The destructor SIGKILLs its process group
// if it is still running.
class background_process {
public:
    background_process(const std::vector<std::string>& argv, const std::filesystem::path& out,
                       const std::filesystem::path& err, const std::filesystem::path& in = "/dev/null");
    ~background_process();
    background_process(const background_process&) = delete;
    background_process& operator=(const background_process&) = delete;

    pid_t pid() const { return pid_; }
    // Waits up to timeout. Returns the exit status (128 + signal if killed),
    // or nullopt if it is still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

// PIDs of the direct children of `parent` whose command line (process title)
// starts with `prefix`.
std::vector<pid_t> children_titled(pid_t parent, const std::string& prefix);

// A process's command line (its title, up to the first NUL), or "" when it
// has gone (reading /proc of a process that exits meanwhile fails: ESRCH).
std::string title_of(pid_t pid);

// Waits up to `timeout` until nothing holds the lock (flock) a shoal run
// keeps on its output file `path` from start until its writer ends, so that
// a run started next is not refused as a second writer. A missing file is
// free. True once free. Reaping a SIGKILLed supervisor does not mean its
// writer has ended: each process of a killed group exits on its own time.
bool wait_until_unlocked(const std::filesystem::path& path, std::chrono::milliseconds timeout);

}  // namespace shoal::test

namespace shoal::test {

// A TCP socket on 127.0.0.1 that listens but never accepts. The kernel still
// completes connections into its backlog, so a client connects, sends its
// request (or TLS hello) and never hears back. connected() tells whether any
// client got that far, e.g. to prove that a refused run fetched nothing.
class silent_listener {
public:
    silent_listener();  // throws std::runtime_error
    ~silent_listener();
    silent_listener(const silent_listener&) = delete;
    silent_listener& operator=(const silent_listener&) = delete;

    int port() const { return port_; }
    // scheme + "://127.0.0.1:PORT" + path.
    std::string url(const std::string& scheme, const std::string& path) const;
    // True when a connection waits in the backlog.
    bool connected() const;

private:
    int fd_ = -1;
    int port_ = 0;
};

// The non-empty lines of a process's stderr.
std::vector<std::string> nonempty_lines(const std::string& text);

}  // namespace shoal::test
