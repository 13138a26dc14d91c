// The supervisor process: chunking, the bounded worker pool, reaping and
// re-running (see supervisor.hpp).
#include "shoal/supervisor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "shoal/chunker.hpp"
#include "shoal/control.hpp"
#include "shoal/done_lines.hpp"
#include "shoal/error.hpp"
#include "shoal/fetcher.hpp"
#include "shoal/frame.hpp"
#include "shoal/host_limiter.hpp"
#include "shoal/host_pacer.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/record.hpp"
#include "shoal/resume.hpp"
#include "shoal/robots.hpp"
#include "shoal/sys.hpp"
#include "shoal/tls_session_store.hpp"
#include "shoal/url_source.hpp"
#include "shoal/worker.hpp"
#include "shoal/writer.hpp"

namespace shoal {
namespace {

// The smallest open-file limit a run works with (one worker).
constexpr std::size_t min_fd_limit = 16;

int signal_pipe[2] = {-1, -1};

extern "C" void on_signal(int sig) {
    int saved = errno;
    char c = static_cast<char>(sig);
    (void)!::write(signal_pipe[1], &c, 1);
    errno = saved;
}

void install_signal_handlers() {
    if (::pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        sys::throw_errno(exit_code::internal, "pipe");
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::sigaction(sig, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    // A file size limit smaller than the run file (or --stats) is an EFBIG
    // the write reports, as the writer's is, not a death by SIGXFSZ.
    ::signal(SIGXFSZ, SIG_IGN);
    // Workers are forked with SIGUSR1 (hand lines back) blocked, and
    // unblock it once they handle it: one sent earlier waits for that.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    ::sigprocmask(SIG_BLOCK, &usr1, nullptr);
}

// In a new child: signals back to their defaults, the supervisor's own
// descriptors closed, and an end tied to the supervisor's life.
void become_child(int control_fd) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::signal(sig, SIG_DFL);
    ::close(signal_pipe[0]);
    ::close(signal_pipe[1]);
    if (control_fd >= 0) ::close(control_fd);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
}

// Forks a child of the supervisor. Every signal is blocked across the
// fork: one that came between the fork and become_child() would run the
// supervisor's handler in the child, which writes to the supervisor's
// signal pipe (a SIGTERM meant for a worker reached the supervisor, and
// the worker never saw it). The child gets the default handlers, then the
// supervisor's mask back, with SIGTERM still blocked when `hold_sigterm`:
// a worker unblocks it once its handler is in place, so that a SIGTERM
// sent right after the fork waits for it. Returns fork()'s result.
pid_t fork_child(int control_fd, bool hold_sigterm) {
    sigset_t all, old;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    const pid_t pid = ::fork();
    const int fork_errno = errno;
    if (pid != 0) {
        ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
        errno = fork_errno;
        return pid;
    }
    become_child(control_fd);
    if (hold_sigterm) ::sigaddset(&old, SIGTERM);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return 0;
}

using sys::describe_exit;

bool clean_exit(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// Ends the run with an exit status; what happened is already on stderr.
struct run_stopped {
    int code;
};

struct running_chunk {
    chunk work;
    pid_t pid = -1;
    unsigned worker_no = 0;
    unsigned ledger = 0;  // its row in the host limiter
    int status_fd = -1;
    bool draining = false;  // all lines taken: its slot is free for the next chunk
    bool reaped = false;
    int exit_status = 0;
    bool pipe_ended = false;  // the writer saw the end of its records pipe
    std::string status;       // bytes from status_fd not yet a whole note
    bool asked = false;       // to hand lines back; no answer yet
    bool declined = false;    // it had none worth handing back
    std::vector<bool> handed;  // lines it handed back (empty: none)
};

class crawl_run {
public:
    explicit crawl_run(const crawl_options& o) : o_(o) {}

    int run() {
        prepare();
        try {
            return loop();
        } catch (const run_stopped& stop) {
            return stop.code;
        }
    }

private:
    void prepare() {
        clamp_concurrency();
        // A --ca-file is loaded now, so a bad one stops the run before any
        // fetch; the system store (~70 ms to parse), or the context of
        // --insecure (OpenSSL's setup, ~4 ms), only once a chunk has an https
        // URL (see spawn()).
        if (!o_.ca_file.empty()) make_tls_context();
        // Rules are compiled once, here: a bad file stops the run before any
        // fetch, and every forked worker inherits the compiled programs.
        if (!o_.rules.empty()) {
            const rule_file f = load_rule_file(o_.rules);  // read once: --rules may be a pipe
            rules_file_ = extractor::from_rules(f);
            rules_hash_ = f.content_hash;
        }
        (void)rules();  // the built-in rules too: compiled here, not in each worker
        open_input();
        refuse_shared_files();
        check_stats_path();
        // Heard from here on: a stop during --resume's read of a large output
        // ends the run as a stop does (exit 3), not by the signal's default.
        install_signal_handlers();
        source_ = std::make_unique<url_source>(input_fd_, list_name());
        wait_for_list_head();
        open_output();
        empty_old_stats();
        make_control_pair(control_);
        // At most 2 x P workers are alive (P taking lines, P finishing).
        for (unsigned l = 2 * o_.processes; l > 0; --l) free_ledgers_.push_back(l - 1);
        if (o_.per_host > 0)
            limiter_ = std::make_unique<host_limiter>(o_.per_host, 2 * o_.processes, o_.concurrency);
        // --robots: a site's Crawl-delay spaces its requests over all workers.
        if (o_.per_host_rate > 0 || o_.robots) pacer_ = std::make_unique<host_pacer>(o_.per_host_rate);
        // --robots: what workers learn of a site's robots.txt, for the others.
        if (o_.robots) robots_dir_.emplace("shoal-robots");
        start_writer();
        // Lines are dealt by host, P chunks from each window of P x K lines
        // (see chunker.hpp). A pipe's are taken as they come: the loop polls
        // it beside the workers, so that a slow producer's first lines start
        // within a second and signals are heard meanwhile. For the tests that
        // need every worker to meet every host, chunks can be runs of
        // consecutive lines instead (SHOAL_FAULT_NO_DEALING=1).
        chunk_dealing dealing{o_.processes, std::min<std::size_t>(o_.chunk_size, o_.concurrency)};
        if (const char* v = std::getenv("SHOAL_FAULT_NO_DEALING"); v != nullptr && *v == '1') dealing = {};
        streaming_ = total_ < 0;
        chunker_ = std::make_unique<chunker>(
            *source_, o_.chunk_size,
            [this](const input_line& line) {
                if (!done_.test(line.number)) return false;
                if (!other_list_ && !same_url_as_record(earlier_, line, o_.format)) other_list_ = line;
                return true;
            },
            dealing);
        sys::set_process_title("shoal: supervisor " + o_.input);
        // For the tests that count each worker's connections: no worker is
        // asked to hand lines back.
        if (const char* v = std::getenv("SHOAL_FAULT_NO_HAND_BACK")) no_hand_back_ = *v == '1';
    }

    void clamp_concurrency() {
        std::size_t limit = sys::raise_fd_limit();
        if (limit < min_fd_limit)
            throw setup_error(exit_code::usage, "the open-file limit is " + std::to_string(limit) +
                                                    " (ulimit -n) and cannot be raised; shoal needs at least " +
                                                    std::to_string(min_fd_limit));
        if (const std::size_t p_fit = processes_fitting(limit); o_.processes > p_fit) {
            std::fprintf(stderr,
                         "shoal: warning: %u worker processes (--processes) do not fit the "
                         "open-file limit %zu; using %zu\n",
                         o_.processes, limit, p_fit);
            o_.processes = static_cast<unsigned>(p_fit);
        }
        // Kept-alive connections get what the lanes leave, up to 2 per lane
        // and 1024 more (lanes spread over many hosts leave a few idle
        // connections on each; many names of one server, more than it may
        // have descriptors for).
        if (const std::size_t fit = concurrency_fitting(limit); o_.concurrency > fit) {
            std::fprintf(stderr,
                         "shoal: warning: %u fetches in flight per worker (--concurrency) do not "
                         "fit the open-file limit %zu; using %zu\n",
                         o_.concurrency, limit, fit);
            o_.concurrency = static_cast<unsigned>(fit);
        }
        std::size_t spare = limit > 64 + o_.concurrency ? limit - 64 - o_.concurrency : 1;
        idle_cap_ = std::min<std::size_t>(2 * std::size_t{o_.concurrency} + 1024, spare);
    }

    void open_input() {
        // /dev/stdin with stdin closed would be the /dev/null put in its place.
        if ((o_.input == "-" && sys::standard_fd_was_closed(STDIN_FILENO)) || sys::names_closed_stdin(o_.input))
            throw setup_error(exit_code::file, "cannot read the URL list from stdin: it is closed");
        if (o_.input == "-") {
            input_fd_ = STDIN_FILENO;
        } else {
            input_fd_ = ::open(o_.input.c_str(), O_RDONLY | O_CLOEXEC);
            if (input_fd_ < 0) sys::throw_errno(exit_code::file, "cannot open URL file " + o_.input);
            struct stat st{};
            if (::fstat(input_fd_, &st) == 0 && S_ISDIR(st.st_mode))
                throw setup_error(exit_code::file, "URL file " + o_.input + " is a directory");
        }
        refuse_unreadable_list();
        total_ = count_url_lines(o_.input);
    }

    // A list saved as UTF-16 (PowerShell 5's `>`, Notepad's "Unicode"),
    // compressed, or with lines ended by CR alone would give invalid_url
    // records, or one for the whole list. Refused here when the list can be
    // read without taking its bytes (a file, or stdin redirected from one);
    // url_source refuses a pipe's when its first bytes come.
    void refuse_unreadable_list() const {
        struct stat st{};
        if (::fstat(input_fd_, &st) != 0 || !S_ISREG(st.st_mode)) return;
        // From where the list is read: stdin may start past the file's start.
        const off_t at = ::lseek(input_fd_, 0, SEEK_CUR);
        if (at < 0) return;
        std::string head(64 * 1024, '\0');
        const ssize_t n = ::pread(input_fd_, head.data(), head.size(), at);
        if (n <= 0) return;
        head.resize(static_cast<std::size_t>(n));
        if (const std::string why = unreadable_list_reason(head); !why.empty())
            throw setup_error(exit_code::file, list_name() + " " + why);
    }

    // A list that cannot be looked at before it is read (a pipe) is
    // refused for its first bytes (compressed, UTF-16) once they come: the
    // run waits for them before the output is opened, so that a refused
    // list empties no earlier run's records.
    void wait_for_list_head() {
        struct stat st{};
        if (::fstat(input_fd_, &st) != 0 || S_ISREG(st.st_mode)) return;
        for (;;) {
            pollfd fds[2] = {{signal_pipe[0], POLLIN, 0}, {input_fd_, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                sys::throw_errno(exit_code::internal, "poll");
            }
            if (fds[0].revents) {
                char sigs[64];
                const ssize_t n = ::read(signal_pipe[0], sigs, sizeof sigs);
                for (ssize_t i = 0; i < n; ++i)
                    if (sigs[i] != SIGCHLD)
                        throw setup_error(exit_code::interrupted,
                                          "interrupted while waiting for the first line of " + list_name() +
                                              "; nothing was written");
            }
            if (fds[1].revents && source_->read_head()) break;
        }
        // A pipe that ends before its first byte is an empty list; more
        // often a command before it that failed (zcat of a missing file).
        // An earlier run's records are not emptied for it.
        struct stat out{};
        const bool pipe = S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);  // not /dev/null, an empty list by name
        if (pipe && source_->ended_empty() && !o_.resume && o_.output != "-" && ::stat(o_.output.c_str(), &out) == 0 &&
            S_ISREG(out.st_mode) && out.st_size > 0)
            throw setup_error(exit_code::file,
                              list_name() + " is empty (did the command before the pipe fail?); " + o_.output +
                                  " keeps the " + std::to_string(out.st_size) +
                                  " bytes it holds. To empty it, crawl an empty list: shoal crawl /dev/null -o " +
                                  o_.output);
    }

    // The URL list as messages name it.
    std::string list_name() const {
        return o_.input == "-" ? std::string("the URL list on stdin") : "URL file " + o_.input;
    }

    // The files a run writes (the records, --stats) must be neither the
    // files it reads (the URL list, --rules, --ca-file) nor each other: the
    // records would be written over the URL list, or after it as more input.
    // Compared by identity (device and inode), so links and other spellings
    // of a path are seen; only regular files (two writers to /dev/null are fine).
    void refuse_shared_files() {
        // A file that exists: its device and inode; one not yet made (an
        // output): its path in one spelling. Not a regular file: nothing.
        auto id_of = [](int fd, const std::string& path) -> std::string {
            struct stat st{};
            int rc = fd >= 0 ? ::fstat(fd, &st) : ::stat(path.c_str(), &st);
            if (rc == 0)
                return S_ISREG(st.st_mode) ? std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)
                                           : std::string();
            if (fd >= 0 || errno != ENOENT) return {};
            std::error_code ec;
            auto p = std::filesystem::weakly_canonical(path, ec);
            return ec ? std::string() : "new:" + p.string();
        };
        auto path_id = [&](const std::string& path) { return path.empty() ? std::string() : id_of(-1, path); };
        struct named {
            std::string what, id;
        };
        const named read[] = {
            {o_.input == "-" ? "the URL list on stdin" : "the URL file " + o_.input, id_of(input_fd_, "")},
            {"the --rules file " + o_.rules, path_id(o_.rules)},
            {"the --ca-file " + o_.ca_file, path_id(o_.ca_file)},
        };
        const named written[] = {
            {o_.output == "-" ? "stdout" : "the output " + o_.output,
             o_.output == "-" ? id_of(STDOUT_FILENO, "") : path_id(o_.output)},
            {"--stats " + o_.stats_path, path_id(o_.stats_path)},
        };
        for (const named& w : written) {
            if (w.id.empty()) continue;
            for (const named& r : read)
                if (r.id == w.id)
                    throw setup_error(exit_code::usage,
                                      w.what + " is the same file as " + r.what + "; refusing to write over it");
        }
        if (!written[0].id.empty() && written[0].id == written[1].id)
            throw setup_error(exit_code::usage, written[1].what + " is the same file as " + written[0].what +
                                                    "; the summary would replace the records");
    }

    // --stats is written at the end: a path that cannot be written is refused
    // now, before any fetch, not after the whole crawl.
    void check_stats_path() {
        const std::string& path = o_.stats_path;
        if (path.empty()) return;
        auto directory_of = [](const std::filesystem::path& p) {
            const std::filesystem::path dir = p.parent_path();
            return dir.empty() ? std::string(".") : dir.string();
        };
        struct stat st{};
        if (::stat(path.c_str(), &st) == 0) {
            if (S_ISDIR(st.st_mode))
                throw setup_error(exit_code::file, "cannot write --stats " + path + ": it is a directory");
            if (::access(path.c_str(), W_OK) != 0)
                sys::throw_errno(exit_code::file, "cannot write --stats " + path);
            if (!S_ISREG(st.st_mode) || sys::standard_stream_for(path) >= 0) return;  // written in place
            // A regular file is replaced by a new one beside it (the file a
            // link names, beside it): that directory must take it too.
            std::error_code ec;
            const std::filesystem::path real = std::filesystem::canonical(path, ec);
            const std::string dir = directory_of(ec ? std::filesystem::path(path) : real);
            if (::access(dir.c_str(), W_OK | X_OK) != 0)
                sys::throw_errno(exit_code::file,
                                 "cannot write --stats " + path + " (it is replaced through its directory " + dir + ")");
            return;
        }
        // A new file: its directory must take it (nothing is created here).
        if (::access(directory_of(path).c_str(), W_OK | X_OK) != 0)
            sys::throw_errno(exit_code::file, "cannot write --stats " + path);
    }

    // The writer replaces --stats at the end of a run. An older file is
    // emptied now, once the run is sure to start: a run that then fails
    // (exit 2 or 4, the writer killed) must not leave the last run's
    // numbers to be read as its own.
    void empty_old_stats() const {
        // The file stdout or stderr goes to is not emptied: its
        // redirection said what to keep, and the summary is added to it.
        if (o_.stats_path.empty() || sys::standard_stream_for(o_.stats_path) >= 0) return;
        struct stat st{};
        if (::stat(o_.stats_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) return;
        if (::truncate(o_.stats_path.c_str(), 0) != 0) sys::throw_errno(exit_code::file, "cannot write --stats " + o_.stats_path);
    }

    // Opens the -o FIFO for writing. When no process reads it yet, the open
    // waits for one: that is said, and a Ctrl-C, SIGTERM or SIGHUP ends the
    // wait with exit 3, nothing written (it killed shoal, exit 130).
    int open_fifo_output() {
        const char* path = o_.output.c_str();
        if (const int fd = ::open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC); fd >= 0) {
            (void)::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);  // a reader is there
            return fd;
        } else if (errno != ENXIO) {
            return fd;  // the caller says what is wrong
        }
        std::fprintf(stderr, "shoal: waiting for a process to read the FIFO %s\n", path);
        struct sigaction wake{};
        wake.sa_handler = [](int) {};  // no SA_RESTART: the open returns EINTR
        sigemptyset(&wake.sa_mask);
        const int stops[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
        struct sigaction before[std::size(stops)];
        for (std::size_t i = 0; i < std::size(stops); ++i) ::sigaction(stops[i], &wake, &before[i]);
        const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
        const int err = errno;
        for (std::size_t i = 0; i < std::size(stops); ++i) ::sigaction(stops[i], &before[i], nullptr);
        if (fd < 0 && err == EINTR)
            throw setup_error(exit_code::interrupted, "interrupted while waiting for a process to read the FIFO " +
                                                          o_.output + "; nothing was written");
        errno = err;
        return fd;
    }

    void open_output() {
        warn_csv_name_for_jsonl();
        warn_tokenless_user_agent();
        if (o_.output == "-") {
            sys::require_open_stdout("the records");
            refuse_kernel_file(STDOUT_FILENO, "the records to stdout");
            output_fd_ = STDOUT_FILENO;
            csv_header_ = o_.format == output_format::csv;
            // Redirected to a regular file: as -o FILE, one run at a time,
            // and a run file beside it, so that the -o FILE --resume a stop
            // advises checks the options (and a later run over the file
            // without --resume is refused while the run is unfinished).
            if (struct stat st{}; ::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode)) {
                const std::string path = sys::path_of_fd(STDOUT_FILENO);
                lock_output("the file stdout goes to" + (path.empty() ? std::string() : " (" + path + ")"));
                if (!path.empty() && path.front() == '/') {
                    stdout_run_ = o_;
                    stdout_run_->output = path;
                    stdout_run_->resume = false;
                    stdout_run_->force = true;  // the shell emptied it, or appends on purpose (>>)
                    check_fingerprint(*stdout_run_, fingerprint());
                }
            }
            return;
        }
        if (o_.output.back() == '/')
            throw setup_error(exit_code::file, "cannot write the output " + o_.output +
                                                   ": the name ends in '/', a directory's; give a file");
        warn_other_extension();
        const int stream = sys::standard_stream_for(o_.output);
        if (stream == STDERR_FILENO)
            throw setup_error(exit_code::usage,
                              "the output " + o_.output +
                                  " is the file stderr goes to: warnings and the summary would be "
                                  "written among the records; give -o another file");
        // Stdout opened to append (the shell's >>): a fresh run adds to the
        // file, as with -o -, instead of replacing what it holds.
        bool shell_appends = false;
        if (stream == STDOUT_FILENO) {
            // -o /dev/stdout with stdout redirected to a file: the shell
            // writes through its own descriptor, at its own offset. Appending
            // there too puts what it writes after the run after the records,
            // not over the first of them.
            const int fl = ::fcntl(STDOUT_FILENO, F_GETFL);
            shell_appends = fl >= 0 && (fl & O_APPEND) != 0;
            if (fl < 0 || ::fcntl(STDOUT_FILENO, F_SETFL, fl | O_APPEND) != 0)
                sys::throw_errno(exit_code::file, "cannot set O_APPEND on stdout");
        }
        struct stat pre{};
        const bool exists = ::stat(o_.output.c_str(), &pre) == 0;
        // Only a regular file can be read back: a FIFO or a device would be
        // read as if it held records (and a FIFO would wait for a writer).
        if (o_.resume && exists && !S_ISREG(pre.st_mode))
            throw setup_error(exit_code::usage,
                              "--resume needs a regular output file; " + o_.output + " is not one");
        // A regular file is opened readable too, to find its last whole
        // record if a write is torn (not a FIFO: that would be a reader).
        // Always appending: records go after what the file holds once
        // emptied, cut or read back.
        const bool file = !exists || S_ISREG(pre.st_mode);
        const int flags = O_CREAT | O_CLOEXEC | O_APPEND;
        if (exists && S_ISFIFO(pre.st_mode)) output_fd_ = open_fifo_output();
        else output_fd_ = ::open(o_.output.c_str(), (file ? O_RDWR : O_WRONLY) | flags, 0644);
        if (output_fd_ < 0 && file && errno == EACCES)
            output_fd_ = ::open(o_.output.c_str(), O_WRONLY | flags, 0644);
        if (output_fd_ < 0) sys::throw_errno(exit_code::file, "cannot open output " + o_.output);
        refuse_kernel_file(output_fd_, "the output " + o_.output);
        struct stat st{};
        const bool regular = ::fstat(output_fd_, &st) == 0 && S_ISREG(st.st_mode);
        if (regular) lock_output(o_.output);
        // Only a regular file can be resumed, so only it gets a fingerprint
        // (no "/dev/null.shoal-run").
        std::uint64_t already = 0;
        if (o_.resume) {
            refuse_foreign_output();  // before the run file is written: nothing of this run stays
            replaced_run_file_ = check_fingerprint(o_, fingerprint());  // refuse before reading or cutting the file
            try {
                earlier_ = load_existing_output(o_.output, o_.format, done_);
                refuse_other_columns(earlier_);
            } catch (...) {
                // Refused before any fetch: the run file is the earlier run's again.
                if (replaced_run_file_) restore_run_file(o_, *replaced_run_file_);
                throw;
            }
            existing_output& e = earlier_;
            already = e.records;
            if (e.cut_bytes > 0)
                std::fprintf(stderr, "shoal: resume: cut a torn last record (%llu bytes) off %s\n",
                             static_cast<unsigned long long>(e.cut_bytes), o_.output.c_str());
            if (e.unreadable > 0)
                std::fprintf(stderr, "shoal: resume: %llu %s of %s %s not records; kept as they are\n",
                             static_cast<unsigned long long>(e.unreadable), e.unreadable == 1 ? "line" : "lines",
                             o_.output.c_str(), e.unreadable == 1 ? "is" : "are");
            if (e.duplicates > 0)
                std::fprintf(stderr,
                             "shoal: resume: %llu %s of %s %s a line an earlier record has (the file holds "
                             "another copy of records: it was appended to itself, or two runs wrote it); kept as "
                             "they are, so the file will hold more than one record per line\n",
                             static_cast<unsigned long long>(e.duplicates), e.duplicates == 1 ? "record" : "records",
                             o_.output.c_str(), e.duplicates == 1 ? "is for" : "are for");
            if (!exists)  // a typo in -o would crawl the whole list again
                std::fprintf(stderr, "shoal: resume: %s does not exist; the run starts at the first line\n",
                             o_.output.c_str());
            else
                std::fprintf(stderr, "shoal: resume: %llu %s already done\n",
                             static_cast<unsigned long long>(already), already == 1 ? "line" : "lines");
        } else if (regular) {
            // A fresh run's file is emptied once it is open and locked and
            // the fingerprint is written.
            check_fingerprint(o_, fingerprint());
            if (!shell_appends && ::ftruncate(output_fd_, 0) != 0)
                sys::throw_errno(exit_code::file, "cannot empty output " + o_.output);
        }
        if (regular && ::fstat(output_fd_, &st) != 0) sys::throw_errno(exit_code::file, "cannot read " + o_.output);
        if (regular) extent_.set(static_cast<std::uint64_t>(st.st_size));
        resumable_output_ = regular;
        csv_header_ = o_.format == output_format::csv && (!regular || st.st_size == 0);
        if (total_ >= 0) total_ = std::max<std::int64_t>(0, total_ - static_cast<std::int64_t>(already));
    }

    // A file of a kernel file system (/proc, /sys): as root it opens for
    // writing, then fails on the first record.
    static void refuse_kernel_file(int fd, const std::string& what) {
        if (const char* kernel = sys::kernel_file_system(fd))
            throw setup_error(exit_code::file, "cannot write " + what + ": it is a file of the kernel's " + kernel +
                                                   " file system, which holds settings, not records");
    }

    // --robots obeys the groups for the User-Agent's product token: one that
    // starts with none ("(compatible; X)") is held to the `*` groups only.
    void warn_tokenless_user_agent() const {
        if (!o_.robots || !robots_token(o_.user_agent).empty()) return;
        std::fprintf(stderr,
                     "shoal: warning: --user-agent '%s' starts with no product token (letters, digits, '_' or "
                     "'-', as in 'PriceBot/2.0'): robots.txt groups that name a crawler never apply to it, only "
                     "'User-agent: *' ones\n",
                     o_.user_agent.c_str());
    }

    // The format follows the name: .csv is CSV, anything else JSONL. A name
    // that suggests another format (out.tsv, out.jsonl.gz) gets a warning.
    void warn_other_extension() const {
        const std::string& path = o_.output;
        if (path.rfind("/dev/", 0) == 0) return;
        const std::size_t slash = path.rfind('/');
        const std::size_t dot = path.rfind('.');
        if (dot == std::string::npos || (slash != std::string::npos && dot < slash) || dot + 1 == path.size()) return;
        const std::string ext = path.substr(dot + 1);
        if (o_.format_given) {
            // --format against the name's format: shoal diff (and people) go by the name.
            const bool named_csv = ext.size() == 3 && matches_nocase_at(ext, 0, "csv");
            bool named_jsonl = false;
            for (std::string_view known : {"jsonl", "ndjson", "json"})
                named_jsonl = named_jsonl || (ext.size() == known.size() && matches_nocase_at(ext, 0, known));
            const bool csv = o_.format == output_format::csv;
            if ((csv && named_jsonl) || (!csv && named_csv))
                std::fprintf(stderr,
                             "shoal: warning: %s: --format %s writes %s into a file whose name says %s; "
                             "shoal diff reads a file by its name\n",
                             path.c_str(), csv ? "csv" : "jsonl", csv ? "CSV" : "JSONL", csv ? "JSONL" : "CSV");
            return;
        }
        for (std::string_view known : {"jsonl", "ndjson", "json", "csv"})
            if (ext.size() == known.size() && matches_nocase_at(ext, 0, known)) return;
        std::fprintf(stderr,
                     "shoal: warning: %s: .%s is neither .jsonl nor .csv; writing JSONL, uncompressed\n",
                     path.c_str(), ext.c_str());
    }

    // One run at a time writes an output file: a second run, or a --resume
    // started while the writer of a killed run still finishes, would put its
    // records among the first's. The lock belongs to the open file, so the
    // writer, which inherits the descriptor, holds it until it exits.
    void lock_output(const std::string& shown) {
        if (::flock(output_fd_, LOCK_EX | LOCK_NB) == 0) return;
        if (errno == EWOULDBLOCK)
            throw setup_error(exit_code::file, "another shoal run is writing " + shown +
                                                   " (or the writer of a stopped run is still finishing); "
                                                   "run again once it has ended");
        // A file system without locks: go on without one.
    }

    // shoal starts every CSV with its header, and every JSONL output with a
    // record ({"line":...): a file to resume that starts otherwise is
    // another program's (or the other format under this name), refused
    // before anything in it is cut.
    void refuse_foreign_output() const {
        const bool csv = o_.format == output_format::csv;
        const std::string_view expected = csv ? "line," : "{\"line\":";
        char start[8] = {};
        const ssize_t n = ::pread(output_fd_, start, expected.size(), 0);
        // A start of NUL bytes is what a power failure may leave of a shoal
        // output (the size grew, the data never came): --resume keeps them.
        if (n <= 0 || start[0] == '\0' ||
            std::string_view(start, static_cast<std::size_t>(n)) == expected.substr(0, static_cast<std::size_t>(n)))
            return;
        throw setup_error(exit_code::usage,
                          "--resume: " + o_.output +
                              (csv ? " does not start with shoal's CSV header (line,url,...): it is not a shoal CSV "
                                     "output (a JSONL one resumes with --format jsonl), so not even --force appends "
                                     "to it"
                                   : " does not start with a shoal record ({\"line\":...): it is not a shoal JSONL "
                                     "output (a CSV one resumes under its .csv name, or with --format csv), so not "
                                     "even --force appends to it"));
    }

    // A CSV's rows must match its header: rules with other fields (allowed
    // with --force) would add rows of another width under it.
    void refuse_other_columns(const existing_output& e) {
        if (o_.format != output_format::csv || !e.has_csv_header) return;
        std::string want;
        append_csv_header(want, rules().field_names());
        want.erase(want.find_last_not_of("\r\n") + 1);
        if (e.csv_header != want)
            throw setup_error(exit_code::usage, "--resume: the columns of " + o_.output +
                                                    " differ from this run's (rules with other fields); "
                                                    "not even --force mixes them in one CSV");
    }

    void start_writer() {
        writer_pid_ = fork_child(control_[0], false);
        if (writer_pid_ < 0) sys::throw_errno(exit_code::internal, "fork");
        if (writer_pid_ == 0) {
            if (input_fd_ != STDIN_FILENO) ::close(input_fd_);
            writer_setup s{o_, control_[1], output_fd_, done_, total_, csv_header_,
                           rules().field_names(), extent_, earlier_.records};
            std::fflush(stdout);
            ::_exit(run_writer(s));
        }
        ::close(control_[1]);
        // A regular output file stays open here, to cut a torn record off it
        // if the writer dies mid-write.
        struct stat st{};
        if (output_fd_ == STDOUT_FILENO) {
            output_fd_ = -1;  // stdout is never cut: it may hold other text
        } else if (!(::fstat(output_fd_, &st) == 0 && S_ISREG(st.st_mode))) {
            ::close(output_fd_);
            output_fd_ = -1;
        }
    }

    const extractor& rules() const { return rules_file_ ? *rules_file_ : extractor::builtin(); }

    // The run's options as the output's run file keeps them, made once: the
    // URL file is hashed when the run starts, not again when it ends.
    const std::string& fingerprint() {
        if (fingerprint_.empty()) {
            // A resumed run hashes as much of the list as the run it resumes.
            list_extent list = fresh_list_extent(o_);
            if (o_.resume)
                if (const auto had = recorded_fingerprint(o_))
                    if (const auto extent = list_extent_of(*had)) list = *extent;
            fingerprint_ = resume_fingerprint(o_, rules_hash_, list);
        }
        return fingerprint_;
    }

    // Workers that still take new lines.
    unsigned taking() const {
        unsigned n = 0;
        for (const auto& [id, rc] : running_)
            if (!rc.reaped && !rc.draining) ++n;
        return n;
    }

    // Chunks not yet settled: their workers are alive, or reaped while the
    // writer still drains their pipes. Each holds a host-limiter ledger.
    std::size_t unsettled() const { return running_.size(); }

    // A worker could start now: fewer than P take lines, fewer than 2 x P
    // are unsettled, and the run is not stopping.
    bool slot_free() const {
        return !stopping_ && taking() < o_.processes && unsettled() < 2 * o_.processes;
    }

    // A pipe's next lines would start a worker now (see fill_pool).
    bool wants_input() const { return streaming_ && !input_done_ && queued_.empty() && slot_free(); }

    void fill_pool() {
        while (slot_free()) {
            std::optional<chunk> c;
            if (!queued_.empty()) {
                c = std::move(queued_.front());
                queued_.pop_front();
            } else if (!input_done_) {
                c = next_chunk();
            }
            if (other_list_) return refuse_other_list();  // nothing of c is fetched
            if (!c) return;
            spawn(std::move(*c));
        }
    }

    // The next chunk of the list. A list that cannot be read on (a read
    // error, first bytes that are no text list) ends the input: the chunks
    // under way finish, and finish() says why the run is not complete.
    std::optional<chunk> next_chunk() {
        try {
            if (streaming_) {
                auto c = chunker_->next_at_hand(std::chrono::steady_clock::now());
                if (!c && chunker_->exhausted()) input_done_ = true;
                return c;
            }
            auto c = chunker_->next();
            // Known as soon as the last chunk is out: a stop that comes when
            // its records are all written leaves nothing to --resume.
            if (!c || chunker_->exhausted()) input_done_ = true;
            return c;
        } catch (const setup_error& e) {
            input_failed_ = e.what();
            input_done_ = true;
            return std::nullopt;
        }
    }

    // The resumed run's input gave a line that the output's record of that
    // line does not match: another list than the one the run started with.
    // Its records would be taken for the old list's lines: the run stops.
    void refuse_other_list() {
        if (stopping_) return;
        stopping_ = true;
        const char* list = o_.input == "-" ? "the URL list on stdin" : o_.input.c_str();
        const auto number = static_cast<unsigned long long>(other_list_->number);
        const std::string line = other_list_->text.substr(0, 200);
        const char* what_now = workers_started_ == 0 ? "Nothing was fetched" : "Stopping";
        // The list's last line had no line end and lines were added after it.
        const std::size_t joined = other_list_->number == earlier_.last_line
                                       ? joined_url_length(earlier_, *other_list_, o_.format)
                                       : 0;
        if (joined > 0) {
            const std::string url = other_list_->text.substr(0, joined);
            std::fprintf(stderr,
                         "shoal: resume: line %llu of %s is '%s', whose start '%s' is the URL the record of line "
                         "%llu in %s has: the list's last line had no line end, and what was added after it "
                         "joined it. %s; put a line break after '%s' and resume\n",
                         number, list, line.c_str(), url.c_str(), number, o_.output.c_str(), what_now, url.c_str());
        } else {
            std::fprintf(stderr,
                         "shoal: resume: line %llu of %s is '%s', but the record of line %llu in %s is "
                         "for another URL: this is not the list the run started with. %s; resume with "
                         "that list, or start over: without --resume, with --force (its records are then "
                         "replaced)\n",
                         number, list, line.c_str(), number, o_.output.c_str(), what_now);
        }
        // Nothing of this run is in the output: its run file is the earlier run's again.
        if (workers_started_ == 0 && replaced_run_file_) restore_run_file(o_, *replaced_run_file_);
        for (const auto& [id, rc] : running_)
            if (!rc.reaped) ::kill(rc.pid, SIGTERM);
    }

    void make_tls_context() {
        fetch_config tls_settings;
        tls_settings.insecure = o_.insecure;
        tls_settings.ca_file = o_.ca_file;
        tls_ = make_tls_client_context(tls_settings);
    }

    // Whether a line of c looks like an https URL. A worker that meets https
    // anyway (a redirect) makes a context of its own, and says so: the
    // workers after it then get the supervisor's (tls_wanted_).
    static bool has_https(const chunk& c) {
        for (const input_line& l : c.lines) {
            std::string_view t = l.text;
            while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
            if (matches_nocase_at(t, 0, "https:")) return true;
        }
        return false;
    }

    void spawn(chunk c) {
        // Made here, before the fork, so that every worker inherits it. The
        // system store does not fail to load in practice; if it did, each
        // worker would try (and report) on its own, as without this.
        if (!tls_ && !tls_failed_ && (tls_wanted_ || has_https(c))) {
            try {
                make_tls_context();
            } catch (const setup_error& e) {
                tls_failed_ = true;
                std::fprintf(stderr, "shoal: warning: %s\n", e.what());
            }
        }
        int records[2], status[2];
        if (::pipe2(records, O_CLOEXEC) != 0 || ::pipe2(status, O_CLOEXEC) != 0)
            sys::throw_errno(exit_code::internal, "pipe");
        control_message open;
        open.kind = control_kind::open_chunk;
        open.chunk_id = c.id;
        open.count = c.lines.size();
        open.fd = records[0];
        if (!send_control(control_[0], open)) writer_gone();
        ::close(records[0]);
        unsigned no = ++workers_started_;
        std::uint64_t id = c.id;
        running_chunk& rc = running_[id];
        rc.work = std::move(c);
        rc.worker_no = no;
        if (free_ledgers_.empty()) throw std::logic_error("no free host-limiter ledger");
        rc.ledger = free_ledgers_.back();
        free_ledgers_.pop_back();
        pid_t pid = fork_child(control_[0], true);
        if (pid < 0) sys::throw_errno(exit_code::internal, "fork");
        if (pid == 0) {
            ::signal(SIGINT, SIG_IGN);  // the supervisor decides: it forwards SIGTERM
            ::signal(SIGHUP, SIG_IGN);
            ::signal(SIGQUIT, SIG_IGN);
            ::close(status[0]);
            if (output_fd_ > STDERR_FILENO) ::close(output_fd_);
            for (const auto& [other_id, other] : running_)
                if (other.status_fd >= 0) ::close(other.status_fd);
            worker_setup s{o_, rc.work, rules(), no, limiter_.get(), rc.ledger, pacer_.get(), idle_cap_,
                           records[1], status[1], tls_, &tls_sessions_,
                           robots_dir_ ? std::string_view(robots_dir_->path()) : std::string_view()};
            ::_exit(run_worker(s));
        }
        ::close(records[1]);
        ::close(status[1]);
        rc.pid = pid;
        rc.status_fd = status[0];
    }

    int loop() {
        // A stop that came while the run was being set up (a long --resume
        // read) is heard before any worker starts.
        if (pollfd p{signal_pipe[0], POLLIN, 0}; ::poll(&p, 1, 0) > 0) on_signals();
        for (;;) {
            fill_pool();
            balance();
            // Once stopping, no worker starts: chunks still queued (a dead
            // worker's lines, lines handed back) are left to --resume.
            if (running_.empty() && (stopping_ || (queued_.empty() && input_done_))) return finish();
            std::vector<pollfd> fds{{signal_pipe[0], POLLIN, 0}, {control_[0], POLLIN, 0}};
            // Lines from a pipe are taken (by fill_pool) when a worker could
            // start on them: more input, or the time to cut what has come.
            int timeout_ms = 1000;
            std::size_t first_status = 2;
            if (wants_input()) {
                fds.push_back({input_fd_, POLLIN, 0});
                first_status = 3;
                if (auto due = chunker_->cut_due()) {
                    auto left = std::chrono::ceil<std::chrono::milliseconds>(due.value() -
                                                                             std::chrono::steady_clock::now());
                    timeout_ms = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, timeout_ms));
                }
            }
            for (const auto& [id, rc] : running_)
                if (rc.status_fd >= 0) fds.push_back({rc.status_fd, POLLIN, 0});
            if (const int due_ms = end_writer_when_due(); due_ms >= 0) timeout_ms = std::min(timeout_ms, due_ms);
            if (const int due_ms = end_workers_when_due(); due_ms >= 0) timeout_ms = std::min(timeout_ms, due_ms);
            int n = ::poll(fds.data(), fds.size(), timeout_ms);
            if (n < 0 && errno != EINTR) sys::throw_errno(exit_code::internal, "poll");
            if (n <= 0) continue;
            if (fds[0].revents) on_signals();
            if (fds[1].revents) on_control();
            for (std::size_t i = first_status; i < fds.size(); ++i)
                if (fds[i].revents) on_status(fds[i].fd);
            settle();
        }
    }

    void on_signals() {
        char sigs[64];
        ssize_t n = ::read(signal_pipe[0], sigs, sizeof sigs);
        for (ssize_t i = 0; i < n; ++i) {
            if (sigs[i] == SIGCHLD) reap();
            else on_stop_signal(sigs[i] == SIGQUIT);
        }
    }

    // A first SIGINT, SIGTERM or SIGHUP lets in-flight fetches end within
    // --grace; a second one, or SIGQUIT (Ctrl-\), stops the workers at once.
    // The same stop sent twice at once (coreutils timeout signals the run,
    // then its process group) is one stop.
    void on_stop_signal(bool quit) {
        using clock = std::chrono::steady_clock;
        const auto now = clock::now();
        if (!stopping_ && !quit) {
            stopping_ = true;
            stop_at_ = now;
            // On a terminal the message starts below the echoed ^C.
            std::fprintf(stderr,
                         "%sshoal: stopping: in-flight fetches may finish within %.0f s "
                         "(press Ctrl-C again to stop now)\n",
                         ::isatty(STDERR_FILENO) ? "\n" : "", o_.grace_s);
            for (const auto& [id, rc] : running_)
                if (!rc.reaped) ::kill(rc.pid, SIGTERM);
            return;
        }
        if (!quit && !stop_now_ && stop_at_ && now - *stop_at_ < std::chrono::milliseconds(250)) return;
        stopping_ = true;
        if (!stop_at_) stop_at_ = now;
        if (!stop_now_) {
            std::fprintf(stderr, "%sshoal: stopping now\n", quit && ::isatty(STDERR_FILENO) ? "\n" : "");
            stop_now_at_ = now;
        }
        stop_now_ = true;
        for (const auto& [id, rc] : running_)
            if (!rc.reaped) ::kill(rc.pid, SIGKILL);
    }

    // Whether the output moved on since last asked: the writer wrote to it,
    // or (a pipe, a FIFO) its reader took some of what it holds.
    bool output_moved() {
        const std::uint64_t written = extent_.get();
        int unread = -1;
        const int fd = output_fd_ >= 0 ? output_fd_ : STDOUT_FILENO;
        struct stat st{};
        if (::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && ::ioctl(fd, FIONREAD, &unread) != 0) unread = -1;
        const bool moved = written != output_written_ || unread != output_unread_;
        output_written_ = written;
        output_unread_ = unread;
        return moved;
    }

    // Once the run stops, the workers have --grace to end their fetches,
    // and the writer writes what it holds for as long as the output takes
    // it. A writer (and the workers waiting for it) whose output takes
    // nothing for --grace past that, or that is still at it a second after
    // a stop-now, is ended: one blocked on an output that takes nothing (a FIFO whose
    // reader stopped reading) would hold the run forever. Returns how long
    // to wait before looking again (-1: no need).
    int end_writer_when_due() {
        using clock = std::chrono::steady_clock;
        if (!stopping_ || writer_pid_ <= 0 || writer_ended_) return -1;
        const auto now = clock::now();
        if (!stop_at_) stop_at_ = now;  // stopped by the run itself (another list)
        if (output_moved() || !last_output_move_) last_output_move_ = now;
        const auto grace = std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>(std::max(1.0, o_.grace_s)));
        // The output's stillness counts from the end of the workers' grace:
        // their last records may come only then.
        const clock::time_point due = stop_now_ ? *stop_now_at_ + std::chrono::seconds(1)
                                                : std::max(*stop_at_ + grace, *last_output_move_) + grace;
        if (now < due) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(due - now);
            return static_cast<int>(std::min<std::int64_t>(left.count(), 100));
        }
        writer_was_stopped_ = sys::process_stopped(writer_pid_);  // held by SIGSTOP: not the output's doing
        ::kill(writer_pid_, SIGKILL);
        for (const auto& [id, rc] : running_)
            if (!rc.reaped) ::kill(rc.pid, SIGKILL);
        writer_ended_ = true;
        return -1;
    }

    // Workers have --grace to end their fetches once the run stops. One
    // still there past that, while the output takes no records (a worker
    // hung, or held by SIGSTOP: the writer waits for it), is ended, so that
    // the run ends with the others' records written; its unfinished lines
    // are left to --resume. A worker that waits to hand over records an
    // output takes slowly is not (the output moves). Returns how long to
    // wait before looking again (-1: no need).
    int end_workers_when_due() {
        using clock = std::chrono::steady_clock;
        if (!stopping_ || stop_now_ || !stop_at_ || !last_output_move_ || workers_ended_) return -1;
        const auto grace = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o_.grace_s));
        const clock::time_point due = std::max(*stop_at_ + grace, *last_output_move_) + std::chrono::seconds(1);
        const auto now = clock::now();
        if (now < due) {
            auto left = std::chrono::ceil<std::chrono::milliseconds>(due - now);
            return static_cast<int>(std::min<std::int64_t>(left.count(), 100));
        }
        workers_ended_ = true;
        reap();  // one that has just exited is not one that did not end
        int ended = 0;
        for (const auto& [id, rc] : running_)
            if (!rc.reaped && ::kill(rc.pid, SIGKILL) == 0) ++ended;
        // The writer gets a whole --grace from here to write what the
        // others sent (end_writer_when_due counts the output's stillness).
        if (ended > 0) last_output_move_ = now;
        if (ended > 0)
            std::fprintf(stderr,
                         "shoal: %d worker%s did not end within --grace (%.0f s) and %s ended; %s lines without "
                         "a record, if any, are left to --resume\n",
                         ended, ended == 1 ? "" : "s", o_.grace_s, ended == 1 ? "was" : "were",
                         ended == 1 ? "its" : "their");
        return -1;
    }

    // Whether the writer's end (wait status) is the SIGKILL of
    // end_writer_when_due(), not an exit of its own just before it.
    bool ended_by_us(int status) const {
        return writer_ended_ && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    }

    // What a writer ended by end_writer_when_due() leaves, in one line;
    // returns the run's exit status (interrupted).
    int writer_was_ended() {
        // A regular file is cut back to its last whole record; what a pipe
        // has taken cannot be: its last record may be cut off.
        std::string ends = "; the last record it took may be cut off";
        if (resumable_output_) {
            ends = "; " + o_.output + " ends on a whole record; to finish, run the same command with --resume";
            if (cut_torn_tail(output_fd_, extent_.get(), o_.format) < 0)
                ends = "; cannot cut a torn record off " + o_.output + ": " + std::strerror(errno);
        }
        const char* output = o_.output == "-" ? "stdout" : o_.output.c_str();
        if (stop_now_)
            std::fprintf(stderr,
                         "shoal: stopped now, before the writer had written every record it held: those "
                         "are not in %s%s\n",
                         output, ends.c_str());
        else if (writer_was_stopped_)
            std::fprintf(stderr,
                         "shoal: stopped while the writer process was held stopped (SIGSTOP, SIGTSTP or a "
                         "debugger) and wrote nothing for %.0f s: the records not yet written are not in %s%s\n",
                         std::max(1.0, o_.grace_s), output, ends.c_str());
        else
            std::fprintf(stderr,
                         "shoal: stopped while the output took no more records for %.0f s (%s): the "
                         "records not yet written are not in it%s\n",
                         std::max(1.0, o_.grace_s), output, ends.c_str());
        return static_cast<int>(exit_code::interrupted);
    }

    // Waits for the writer to exit, hearing signals (a stop signal now is a
    // stop-now) and ending it when due. Returns its wait status.
    int wait_for_writer() {
        for (;;) {
            int status = 0;
            const pid_t r = ::waitpid(writer_pid_, &status, WNOHANG);
            if (r == writer_pid_) {
                writer_pid_ = -1;
                return status;
            }
            if (r < 0 && errno != EINTR) sys::throw_errno(exit_code::internal, "waitpid");
            const int due_ms = end_writer_when_due();
            pollfd fd{signal_pipe[0], POLLIN, 0};
            if (::poll(&fd, 1, due_ms < 0 ? 100 : std::max(due_ms, 1)) > 0) {
                char sigs[64];
                const ssize_t n = ::read(signal_pipe[0], sigs, sizeof sigs);
                for (ssize_t i = 0; i < n; ++i) {
                    if (sigs[i] == SIGCHLD) continue;
                    if (stopping_ || sigs[i] == SIGQUIT) {
                        on_stop_signal(sigs[i] == SIGQUIT);
                    } else {  // every line has its record: only the writing is left
                        stopping_ = true;
                        stop_at_ = std::chrono::steady_clock::now();
                        std::fprintf(stderr, "%sshoal: stopping: writing the last records (press Ctrl-C again to stop now)\n",
                                     ::isatty(STDERR_FILENO) ? "\n" : "");
                    }
                }
            }
        }
    }

    void reap() {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == writer_pid_) {
                writer_status_ = status;
                writer_pid_ = -1;
                writer_gone();
            }
            for (auto& [id, rc] : running_) {
                if (rc.pid == pid) {
                    rc.reaped = true;
                    rc.exit_status = status;
                }
            }
        }
    }

    void on_control() {
        control_message m;
        int rc = receive_control(control_[0], m);
        if (rc <= 0) {
            // The writer closed its end: it is gone; reap() will tell how.
            int status = 0;
            if (writer_pid_ > 0 && ::waitpid(writer_pid_, &status, 0) == writer_pid_) {
                writer_status_ = status;
                writer_pid_ = -1;
            }
            writer_gone();
        }
        if (m.kind == control_kind::chunk_done) {
            auto it = running_.find(m.chunk_id);
            if (it != running_.end()) it->second.pipe_ended = true;
        }
    }

    void on_status(int fd) {
        char buf[4096];
        ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        for (auto& [id, rc] : running_) {
            if (rc.status_fd != fd) continue;
            if (n > 0) rc.status.append(buf, static_cast<std::size_t>(n));
            worker_status note;
            for (int got; (got = take_worker_status(rc.status, note)) != 0;) {
                if (got < 0) {
                    std::fprintf(stderr, "shoal: worker %u sent a status byte 0x%02x that is no note; ignored\n",
                                 rc.worker_no, static_cast<unsigned char>(rc.status[0]));
                    rc.status.erase(0, 1);
                } else if (note.note == worker_note::draining) {
                    rc.draining = true;
                } else if (note.note == worker_note::own_tls) {
                    tls_wanted_ = true;
                } else {
                    take_back(rc, note.lines);
                }
            }
            if (n <= 0) {
                ::close(fd);
                rc.status_fd = -1;
                rc.asked = false;  // it will not answer now
                rc.declined = true;
            }
        }
    }

    // Near the end of the input a worker slot can be free with nothing left
    // to start, while another worker still has many lines it has not begun
    // (it met slower hosts, or got less of the CPU). Then the taking worker
    // with the most lines without a record is asked (SIGUSR1) to hand about
    // half of those it has not started back, which run in a new worker
    // beside it: the run ends when the work does, not when the unluckiest
    // worker does. One request at a time; a worker that had none worth
    // handing back is not asked again.
    void balance() {
        if (no_hand_back_ || !input_done_ || !queued_.empty() || !slot_free()) return;
        for (const auto& [id, rc] : running_)
            if (rc.asked && !rc.reaped) return;  // one request at a time
        running_chunk* most = nullptr;
        std::size_t most_left = 0;
        for (auto& [id, rc] : running_) {
            if (rc.reaped || rc.draining || rc.declined) continue;
            std::size_t left = 0;
            for (std::size_t i = 0; i < rc.work.lines.size(); ++i)
                if (!done_.test(rc.work.lines[i].number) && !(i < rc.handed.size() && rc.handed[i])) ++left;
            if (left > most_left) {
                most_left = left;
                most = &rc;
            }
        }
        if (most == nullptr || most_left < 2) return;
        if (::kill(most->pid, SIGUSR1) == 0) most->asked = true;
    }

    // A worker's answer to balance(): the indexes of the lines it handed
    // back, none when it had none worth it. They become a new chunk.
    void take_back(running_chunk& rc, const std::vector<std::uint32_t>& indexes) {
        rc.asked = false;
        if (indexes.empty()) {
            rc.declined = true;
            return;
        }
        if (rc.handed.empty()) rc.handed.assign(rc.work.lines.size(), false);
        chunk c;
        c.id = chunker_->new_id();
        for (std::uint32_t i : indexes) {
            if (i >= rc.work.lines.size() || rc.handed[i]) continue;
            rc.handed[i] = true;
            c.lines.push_back(rc.work.lines[i]);
        }
        if (c.lines.empty()) return;
        // Each line once: one handed back again by the worker it went to is
        // not counted twice.
        if (!rc.work.handed_back) lines_handed_back_ += c.lines.size();
        c.handed_back = true;
        queued_.push_back(std::move(c));
    }

    // Finishes chunks whose worker is reaped and whose pipe the writer closed.
    void settle() {
        for (auto it = running_.begin(); it != running_.end();) {
            running_chunk& rc = it->second;
            if (!rc.reaped || !rc.pipe_ended) {
                ++it;
                continue;
            }
            if (rc.status_fd >= 0) ::close(rc.status_fd);
            if (limiter_) limiter_->release_all(rc.ledger);  // what a dead worker held
            free_ledgers_.push_back(rc.ledger);
            std::vector<input_line> missing;
            for (std::size_t i = 0; i < rc.work.lines.size(); ++i) {
                auto& line = rc.work.lines[i];
                const bool handed = i < rc.handed.size() && rc.handed[i];  // another chunk has it
                if (!done_.test(line.number) && !handed) missing.push_back(std::move(line));
            }
            if (!missing.empty() && !stopping_) rerun(rc, std::move(missing));
            else if (!missing.empty()) lines_left_ = true;
            it = running_.erase(it);
        }
    }

    void rerun(const running_chunk& rc, std::vector<input_line> missing) {
        unsigned deaths = rc.work.deaths + 1;
        // Only a line that ran alone is to blame for its worker's death: one
        // left over from a bigger chunk may simply have been unlucky.
        const bool alone = rc.work.lines.size() == 1;
        const bool poison = alone && deaths >= max_deaths;
        const bool one = missing.size() == 1;
        std::fprintf(stderr, "shoal: worker %u (lines %llu-%llu) %s; %zu %s without a record %s\n",
                     rc.worker_no, static_cast<unsigned long long>(rc.work.lines.front().number),
                     static_cast<unsigned long long>(rc.work.lines.back().number),
                     describe_exit(rc.exit_status).c_str(), missing.size(), one ? "line" : "lines",
                     poison ? "gets a crash record" : one ? "runs again" : "run again");
        if (poison) {
            crash_record(missing.front(), rc.exit_status, deaths);
            return;
        }
        // After the first death the lines run together again; after more,
        // in halves, to isolate a line that kills its worker.
        std::size_t parts = deaths >= 2 ? 2 : 1;
        std::size_t per = (missing.size() + parts - 1) / parts;
        for (std::size_t start = 0; start < missing.size(); start += per) {
            chunk c;
            c.id = chunker_->new_id();
            c.deaths = deaths;
            c.handed_back = rc.work.handed_back;
            auto first = missing.begin() + static_cast<std::ptrdiff_t>(start);
            auto last = missing.begin() + static_cast<std::ptrdiff_t>(std::min(start + per, missing.size()));
            c.lines.assign(std::make_move_iterator(first), std::make_move_iterator(last));
            // A line split off on its own starts counting its own deaths: only
            // a line that kills max_deaths workers alone gets a crash record.
            if (c.lines.size() == 1 && !alone) c.deaths = 0;
            queued_.push_back(std::move(c));
        }
    }

    void crash_record(const input_line& line, int status, unsigned deaths) {
        record r;
        r.line = line.number;
        r.url = line.text;
        r.stage = error_stage::crash;
        r.error_code = "worker_died";
        r.error_message = "the worker crawling this line died " + std::to_string(deaths) +
                          " times (last: " + describe_exit(status) + ")";
        r.fields = rules().empty_fields();
        control_message m;
        m.kind = control_kind::records;
        append_frame(r, m.payload);
        if (!send_control(control_[0], m)) writer_gone();
    }

    // The writer ended before the run did: a full disk (it exited 2 and
    // said so), or it was killed. Workers stop at once; their lines without
    // a record are for --resume.
    [[noreturn]] void writer_gone() {
        for (const auto& [id, rc] : running_)
            if (!rc.reaped) ::kill(rc.pid, SIGKILL);
        if (writer_pid_ > 0) {
            int status = 0;
            while (::waitpid(writer_pid_, &status, 0) < 0 && errno == EINTR) {
            }
            writer_status_ = status;
            writer_pid_ = -1;
        }
        if (ended_by_us(writer_status_)) throw run_stopped{writer_was_ended()};
        throw run_stopped{writer_failed(writer_status_)};
    }

    // After the writer exited with `status` (not a clean exit): cuts a torn
    // record off the output, says what happened in one line, and returns the
    // exit status of the run: 2 for an output error (the writer has said
    // which), 4 when the writer was killed or failed otherwise.
    int writer_failed(int status) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
            (void)cut_torn_tail(output_fd_, extent_.get(), o_.format);  // the writer did, unless it was cut short
            return 2;
        }
        // Only a regular -o file can be cut and resumed.
        std::string ends, next = "; run the same command to crawl again";
        if (output_fd_ >= 0) {
            ends = "; " + o_.output + " ends on a whole record";
            std::int64_t cut = cut_torn_tail(output_fd_, extent_.get(), o_.format);
            if (cut > 0) ends += " (a torn record of " + std::to_string(cut) + " bytes was cut off)";
            if (cut < 0) ends = "; cannot cut a torn record off " + o_.output + ": " + std::strerror(errno);
            next = "; run the same command with --resume to finish";
        }
        std::string how = (WIFSIGNALED(status) ? "was " : "") + describe_exit(status);
        std::fprintf(stderr, "shoal: the writer process %s%s%s\n", how.c_str(), ends.c_str(), next.c_str());
        return static_cast<int>(exit_code::internal);
    }

    int finish() {
        control_message m;
        m.kind = control_kind::finish;
        m.chunk_id = workers_started_;
        m.count = lines_handed_back_;
        // A stop that came when every line had its record (the input read,
        // nothing dropped or queued) leaves a complete run, as does one
        // while the writer finishes it, unless the writer has to be ended.
        const bool interrupted =
            input_failed_ || (stopping_ && (lines_left_ || !queued_.empty() || !input_done_));
        if (interrupted) m.payload = "interrupted";
        send_control(control_[0], m);
        const int status = wait_for_writer();
        if (ended_by_us(status)) return writer_was_ended();
        // Every record written, the --stats file not: the run is complete.
        const bool stats_unwritten = WIFEXITED(status) && WEXITSTATUS(status) == writer_exit_stats_unwritten;
        if (!clean_exit(status) && !stats_unwritten) return writer_failed(status);
        if (other_list_) return static_cast<int>(exit_code::usage);
        if (input_failed_) {
            std::string then;
            if (source_ && source_->lines_read() > 0)
                then = resumable_output_ ? "; the records of the lines read before it are whole: to finish "
                                           "once the list reads, run the same command with --resume"
                                         : "; the records of the lines read before it are whole";
            std::fprintf(stderr, "shoal: %s%s\n", input_failed_->c_str(), then.c_str());
            return static_cast<int>(exit_code::file);
        }
        if (interrupted) {
            // Through stdout (-o - or -o /dev/stdout, > FILE), the same
            // command's redirection would empty the file first.
            const std::string file = stdout_file();
            if (resumable_output_ && file.empty())
                std::fprintf(stderr,
                             "shoal: interrupted; the output holds whole records. To finish, run the "
                             "same command with --resume\n");
            else if (!file.empty() && (o_.format_given || (o_.format == output_format::csv) == file.ends_with(".csv")))
                std::fprintf(stderr,
                             "shoal: interrupted; the records so far are whole. They went to %s "
                             "through stdout: to finish, run the same command with -o %s --resume "
                             "instead of the redirection\n",
                             file.c_str(), file.c_str());
            else if (!file.empty())  // -o NAME.csv would read the JSONL back as CSV
                std::fprintf(stderr,
                             "shoal: interrupted; the records so far are whole. They went to %s "
                             "through stdout, as JSONL: to finish, rename it to a name that does not "
                             "end in .csv and run the same command with -o NEWNAME --resume\n",
                             file.c_str());
            else
                std::fprintf(stderr,
                             "shoal: interrupted; the records so far are whole. Only a regular -o file "
                             "can be resumed: run the command again to crawl the whole list\n");
            return static_cast<int>(exit_code::interrupted);
        }
        if (const std::uint64_t lines = source_ ? source_->lines_read() : 0; earlier_.last_line > lines) {
            // The list lost lines since the run began: records of lines it
            // no longer has are in the output, which is no run of this list.
            std::fprintf(stderr,
                         "shoal: %s holds records of lines up to %llu, but %s has %llu lines: the list "
                         "was cut shorter since the run began; those records are not of this list\n",
                         o_.output.c_str(), static_cast<unsigned long long>(earlier_.last_line),
                         o_.input == "-" ? "stdin" : o_.input.c_str(), static_cast<unsigned long long>(lines));
            return static_cast<int>(exit_code::file);
        }
        if (resumable_output_) mark_run_complete(o_, fingerprint());
        if (stdout_run_) mark_run_complete(*stdout_run_, fingerprint());
        return stats_unwritten ? static_cast<int>(exit_code::file) : 0;
    }

    // Records to stdout, and stdout a file named .csv: the format comes from
    // -o's name, JSONL for '-' and /dev/stdout, unless --format says.
    void warn_csv_name_for_jsonl() const {
        if (o_.format_given || o_.format != output_format::jsonl) return;
        const std::string file = stdout_file();
        if (file.size() > 4 && matches_nocase_at(file, file.size() - 4, ".csv"))
            std::fprintf(stderr,
                         "shoal: warning: the records go through stdout to %s, as JSONL (the format "
                         "comes from -o's name): add --format csv for CSV\n",
                         file.c_str());
    }

    // The regular file the records went to through stdout (-o - or -o
    // /dev/stdout, and > FILE), or "".
    std::string stdout_file() const {
        struct stat st{};
        if ((o_.output != "-" && sys::standard_stream_for(o_.output) != STDOUT_FILENO) ||
            ::fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode))
            return {};
        return sys::path_of_fd(STDOUT_FILENO);
    }

    crawl_options o_;
    int input_fd_ = -1, output_fd_ = -1;
    int control_[2] = {-1, -1};
    std::int64_t total_ = -1;
    std::size_t idle_cap_ = 0;
    std::shared_ptr<const tls_client_context> tls_;  // made once, inherited by every worker
    tls_session_store tls_sessions_;                 // mapped before the first fork
    bool tls_failed_ = false;
    bool tls_wanted_ = false;  // a worker met https through a redirect
    output_extent extent_;  // how far the output holds whole records
    std::unique_ptr<host_limiter> limiter_;
    std::unique_ptr<host_pacer> pacer_;
    std::optional<sys::private_dir> robots_dir_;  // removed when the run ends
    std::unique_ptr<extractor> rules_file_;
    std::uint64_t rules_hash_ = 0;  // of the --rules file's bytes, as read
    std::string fingerprint_;       // resume_fingerprint(), made once
    // -o - onto a regular file: the options its run file is written by (output: that file's path).
    std::optional<crawl_options> stdout_run_;
    // The output's run file before --resume --force replaced another run's (see restore_run_file).
    std::optional<std::string> replaced_run_file_;
    std::vector<unsigned> free_ledgers_;
    bool csv_header_ = false;
    bool resumable_output_ = false;  // -o is a regular file: --resume can finish the run
    done_lines done_;
    existing_output earlier_;  // with --resume: what the output held
    // A line of the input whose record in the output is another URL's.
    std::optional<input_line> other_list_;
    pid_t writer_pid_ = -1;
    int writer_status_ = 0;
    std::unique_ptr<url_source> source_;
    std::unique_ptr<chunker> chunker_;
    std::map<std::uint64_t, running_chunk> running_;
    // Chunks to start before reading more input: the lines a dead worker left
    // without a record, the lines a worker handed back.
    std::deque<chunk> queued_;
    std::uint64_t lines_handed_back_ = 0;
    bool no_hand_back_ = false;  // SHOAL_FAULT_NO_HAND_BACK
    unsigned workers_started_ = 0;
    bool streaming_ = false;  // the input is not a regular file: taken as it comes
    bool input_done_ = false;
    std::optional<std::string> input_failed_;  // why the list could not be read to its end
    bool stopping_ = false;
    bool stop_now_ = false;      // a second stop signal, or SIGQUIT
    bool workers_ended_ = false;  // end_workers_when_due() has ended the workers left
    bool writer_ended_ = false;  // killed by end_writer_when_due
    bool writer_was_stopped_ = false;  // ... while held by SIGSTOP
    bool lines_left_ = false;    // lines a stopped run leaves without a record (to --resume)
    std::optional<std::chrono::steady_clock::time_point> stop_at_, stop_now_at_, last_output_move_;
    std::uint64_t output_written_ = 0;  // the output extent when output_moved() last looked
    int output_unread_ = -1;            // bytes a pipe output held then (-1: not a pipe)
};

}  // namespace

int run_crawl(const crawl_options& options) {
    crawl_run run(options);
    return run.run();
}

}  // namespace shoal
