// The writer process (see writer.hpp).
#include "shoal/writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "shoal/control.hpp"
#include "shoal/frame.hpp"
#include "shoal/progress.hpp"
#include "shoal/sys.hpp"

namespace shoal {
namespace {

constexpr std::size_t flush_bytes = 256 * 1024;
constexpr std::size_t read_bytes = 256 * 1024;
// Records reach the file at least this often while they keep arriving.
constexpr auto flush_interval = std::chrono::seconds(1);
using clock_type = std::chrono::steady_clock;

bool is_full_disk(int err) { return err == ENOSPC || err == EDQUOT || err == EFBIG; }

struct open_pipe {
    int fd = -1;
    std::uint64_t chunk_id = 0;
    std::uint64_t received = 0;
    frame_decoder decoder;
};

class output_writer {
public:
    explicit output_writer(const writer_setup& s)
        // Records written to a terminal would start on the progress line's
        // screen line: they go there alone.
        : s_(s), progress_(s.options.progress && ::isatty(s.output_fd) != 1, s.total) {
        struct stat st{};
        regular_ = ::fstat(s.output_fd, &st) == 0 && S_ISREG(st.st_mode);
        // Only an -o file starts where the supervisor measured it; stdout
        // redirected to a file may hold other text before: never cut that.
        cuttable_ = regular_ && s.options.output != "-";
        if (const char* v = std::getenv("SHOAL_FAULT_WRITER_DIE_AT")) die_at_ = std::strtoull(v, nullptr, 10);
        stats_.set_already_done(s.already_done);
    }

    int run() {
        if (s_.write_csv_header) append_csv_header(out_, s_.field_names);
        std::vector<char> buf(read_bytes);
        bool finishing = false;
        while (!finishing || !pipes_.empty()) {
            std::vector<pollfd> fds;
            if (!finishing) fds.push_back({s_.control_fd, POLLIN, 0});
            for (auto& [fd, p] : pipes_) fds.push_back({fd, POLLIN, 0});
            int n = sys::retry_eintr([&] { return ::poll(fds.data(), fds.size(), 250); });
            if (n < 0) return fail("poll");
            for (const auto& pfd : fds) {
                if (pfd.revents == 0) continue;
                if (pfd.fd == s_.control_fd) {
                    if (!on_control(finishing)) finishing = true;
                } else {
                    on_pipe(pipes_.at(pfd.fd), buf);
                }
            }
            bool due = n == 0 || out_.size() >= flush_bytes ||
                       clock_type::now() - last_flush_ >= flush_interval;
            if (!out_.empty() && due && !flush()) return 2;
            progress_.update(stats_);
        }
        if (!flush()) return 2;
        if (regular_ && ::fsync(s_.output_fd) != 0) {
            std::fprintf(stderr, "shoal: cannot sync the output: %s\n", std::strerror(errno));
            return 2;
        }
        if (struct stat st{}; regular_ && ::fstat(s_.output_fd, &st) == 0) {
            if (st.st_nlink == 0) {
                std::fprintf(stderr,
                             "shoal: the output %s was deleted during the run: the records written to "
                             "it are gone\n",
                             s_.options.output.c_str());
                return 2;
            }
            // Moved or replaced: the run's file is no longer at its name.
            struct stat named{};
            if (cuttable_ && (::stat(s_.options.output.c_str(), &named) != 0 || named.st_ino != st.st_ino ||
                              named.st_dev != st.st_dev)) {
                const std::string now_at = sys::path_of_fd(s_.output_fd);
                std::fprintf(stderr,
                             "shoal: the output %s was moved or replaced during the run: the records "
                             "are in %s\n",
                             s_.options.output.c_str(), now_at.empty() ? "the file it was moved to" : now_at.c_str());
                return 2;
            }
            // Cut (logrotate's copytruncate, `: > out.jsonl`) or written to
            // by another program: records are missing, or others are mixed in.
            if (cuttable_ && static_cast<std::uint64_t>(st.st_size) != s_.extent.get()) {
                std::fprintf(stderr,
                             "shoal: the output %s was cut or written to by another program during the run "
                             "(it holds %llu bytes where this run's records end at byte %llu): records may "
                             "be missing; run the same command with --resume to write them\n",
                             s_.options.output.c_str(), static_cast<unsigned long long>(st.st_size),
                             static_cast<unsigned long long>(s_.extent.get()));
                return 2;
            }
        }
        progress_.finish();
        return finish_report();
    }

private:
    // Returns false when the supervisor said finish or went away.
    bool on_control(bool& finishing) {
        control_message m;
        int rc = receive_control(s_.control_fd, m);
        if (rc <= 0) {
            // The supervisor is gone without saying finish (killed): the
            // run stops short of its end, whatever the pipes still bring.
            supervisor_gone_ = true;
            stats_.set_workers(chunks_opened_, 0);
            stats_.set_interrupted(true);
            return false;
        }
        switch (m.kind) {
            case control_kind::open_chunk: {
                auto& p = pipes_[m.fd];
                p.fd = m.fd;
                p.chunk_id = m.chunk_id;
                ++chunks_opened_;
                break;
            }
            case control_kind::records: {
                frame_decoder d;
                d.feed(m.payload.data(), m.payload.size());
                record r;
                while (d.next(r) == frame_decoder::status::record) accept(r);
                break;
            }
            case control_kind::finish:
                stats_.set_workers(m.chunk_id, m.count);
                stats_.set_interrupted(m.payload == "interrupted");
                finishing = true;
                return false;
            default:
                break;
        }
        return true;
    }

    void on_pipe(open_pipe& p, std::vector<char>& buf) {
        ssize_t n = sys::retry_eintr([&] { return ::read(p.fd, buf.data(), buf.size()); });
        if (n > 0) {
            p.decoder.feed(buf.data(), static_cast<std::size_t>(n));
            record r;
            frame_decoder::status st;
            while ((st = p.decoder.next(r)) == frame_decoder::status::record) {
                accept(r);
                ++p.received;
            }
            if (st != frame_decoder::status::corrupt) return;
            std::fprintf(stderr, "shoal: corrupt frame from chunk %llu; its missing lines are re-run\n",
                         static_cast<unsigned long long>(p.chunk_id));
        } else if (n < 0 && errno == EAGAIN) {
            return;
        }
        // End of the pipe (or corruption): a torn last frame is dropped whole.
        stats_.add(p.decoder.counters());
        control_message done;
        done.kind = control_kind::chunk_done;
        done.chunk_id = p.chunk_id;
        done.count = p.received;
        ::close(p.fd);
        pipes_.erase(p.fd);
        (void)send_control(s_.control_fd, done);
    }

    void accept(const record& r) {
        if (!s_.done.set(r.line)) return;  // a line already has its record
        if (s_.options.format == output_format::csv) append_csv_row(r, out_, s_.field_names);
        else append_jsonl(r, out_);
        stats_.add(r);
    }

    // Writes the buffered records. On failure, cuts a regular file back to
    // its last whole record and says so in one line.
    bool flush() {
        last_flush_ = clock_type::now();
        if (out_.empty()) return true;
        if (die_at_ > 0) die_if_due();
        // A regular file's extent moves by whole writes, so that it stays on
        // a record boundary (see cut_torn_tail). Into a pipe the records go
        // 64 KiB at a time, so that the supervisor sees a writer that a slow
        // reader holds move on (it ends one that does not once stopping).
        const std::size_t piece = cuttable_ ? out_.size() : std::size_t{64} << 10;
        for (std::size_t at = 0; at < out_.size();) {
            const std::size_t n = std::min(piece, out_.size() - at);
            std::size_t written = 0;
            if (!sys::write_all(s_.output_fd, out_.data() + at, n, &written)) {
                int err = errno;
                report_write_error(err);
                return false;
            }
            s_.extent.set(s_.extent.get() + written);
            at += n;
        }
        out_.clear();
        return true;
    }

    void report_write_error(int err) {
        const char* path = s_.options.output == "-" ? "(stdout)" : s_.options.output.c_str();
        if (!cuttable_) {
            std::fprintf(stderr, "shoal: cannot write the output %s: %s\n", path, std::strerror(err));
            return;
        }
        std::int64_t cut = cut_torn_tail(s_.output_fd, s_.extent.get(), s_.options.format);
        if (cut < 0) {
            std::fprintf(stderr,
                         "shoal: cannot write the output %s: %s; cutting its torn last record "
                         "failed too (%s); run the same command with --resume, which cuts it\n",
                         path, std::strerror(err), std::strerror(errno));
            return;
        }
        std::fprintf(stderr,
                     "shoal: cannot write the output %s: %s; it ends on a whole record; %s run "
                     "the same command with --resume\n",
                     path, std::strerror(err), is_full_disk(err) ? "make room, then" : "to finish,");
    }

    // Fault injection: write up to byte die_at_ of the file, then die hard.
    void die_if_due() {
        std::uint64_t at = s_.extent.get();
        if (at + out_.size() <= die_at_) return;
        (void)sys::write_all(s_.output_fd, out_.data(), static_cast<std::size_t>(die_at_ - at));
        ::kill(::getpid(), SIGKILL);
    }

    int fail(const char* what) {
        std::fprintf(stderr, "shoal: writer: %s: %s\n", what, std::strerror(errno));
        return 4;
    }

    int finish_report() {
        if (!s_.options.quiet) std::fputs(stats_.summary().c_str(), stderr);
        if (supervisor_gone_)
            std::fprintf(stderr, "shoal: the run's supervisor process is gone (killed?): the run stopped "
                                 "before its end; the output holds whole records%s\n",
                         cuttable_ ? ": to finish, run the same command with --resume" : "");
        if (s_.options.stats_path.empty()) return 0;
        if (!sys::write_file_atomically(s_.options.stats_path, stats_.json() + "\n")) {
            // A FIFO that no process reads is refused, not waited for.
            const std::string why = errno == ENXIO ? "a FIFO that no process reads" : std::strerror(errno);
            std::fprintf(stderr, "shoal: cannot write --stats %s: %s (the records are whole)\n",
                         s_.options.stats_path.c_str(), why.c_str());
            return writer_exit_stats_unwritten;
        }
        return 0;
    }

    const writer_setup& s_;
    bool regular_ = false;   // a regular file: fsync at the end
    bool cuttable_ = false;  // an -o regular file: cut back to whole records on failure
    std::uint64_t die_at_ = 0;
    std::uint64_t chunks_opened_ = 0;  // one per worker started
    bool supervisor_gone_ = false;     // its control socket ended without "finish"
    clock_type::time_point last_flush_ = clock_type::now();
    std::map<int, open_pipe> pipes_;
    std::string out_;
    run_stats stats_;
    progress_line progress_;
};

}  // namespace

output_extent::output_extent() {
    void* p = ::mmap(nullptr, sizeof(std::uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                     -1, 0);
    if (p == MAP_FAILED) sys::throw_errno(exit_code::internal, "cannot map the output extent");
    bytes_ = static_cast<std::uint64_t*>(p);
}

output_extent::~output_extent() {
    if (bytes_ != nullptr) ::munmap(bytes_, sizeof(std::uint64_t));
}

void output_extent::set(std::uint64_t bytes) noexcept { __atomic_store_n(bytes_, bytes, __ATOMIC_RELEASE); }

std::uint64_t output_extent::get() const noexcept { return __atomic_load_n(bytes_, __ATOMIC_ACQUIRE); }

std::int64_t cut_torn_tail(int fd, std::uint64_t extent, output_format format) {
    struct stat st{};
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size <= extent) return 0;
    // What follows extent is at most one batch of records: read it to keep
    // its whole ones. Anything larger is not ours to scan; cut it all.
    std::uint64_t keep = extent;
    if (size - extent <= (std::uint64_t{64} << 20)) {
        std::string tail(static_cast<std::size_t>(size - extent), '\0');
        std::size_t got = 0;
        while (got < tail.size()) {
            ssize_t n = sys::retry_eintr([&] {
                return ::pread(fd, tail.data() + got, tail.size() - got, static_cast<off_t>(extent + got));
            });
            if (n <= 0) break;  // unreadable (a write-only fd): keep what is read
            got += static_cast<std::size_t>(n);
        }
        tail.resize(got);
        std::size_t end = 0;  // just past the last whole row
        if (format == output_format::jsonl) {
            std::size_t nl = tail.rfind('\n');  // JSON strings hold no raw newline
            if (nl != std::string::npos) end = nl + 1;
        } else {
            bool quoted = false;  // "" inside quotes toggles twice: still quoted
            for (std::size_t i = 0; i < tail.size(); ++i) {
                if (tail[i] == '"') quoted = !quoted;
                else if (!quoted && tail[i] == '\n' && i > 0 && tail[i - 1] == '\r') end = i + 1;
            }
        }
        keep = extent + end;
    }
    if (keep >= size) return 0;
    if (sys::retry_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(keep)); }) != 0) return -1;
    return static_cast<std::int64_t>(size - keep);
}

int run_writer(const writer_setup& setup) {
    sys::set_process_title("shoal: writer " + setup.options.output);
    // The supervisor decides when the run ends; the writer drains until told.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGQUIT, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    // Past RLIMIT_FSIZE a write fails with EFBIG, handled like a full disk,
    // instead of the signal killing the writer half-way through a record.
    ::signal(SIGXFSZ, SIG_IGN);
    output_writer w(setup);
    return w.run();
}

}  // namespace shoal
