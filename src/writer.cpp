// The writer process (see writer.hpp).
#include "shoal/writer.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fcntl.h>
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

struct open_pipe {
    int fd = -1;
    std::uint64_t chunk_id = 0;
    std::uint64_t received = 0;
    frame_decoder decoder;
};

class output_writer {
public:
    explicit output_writer(const writer_setup& s)
        : s_(s), progress_(s.options.progress, s.total) {}

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
            if (out_.size() >= flush_bytes && !flush()) return 2;
            if (!out_.empty() && n == 0 && !flush()) return 2;
            progress_.update(stats_);
        }
        if (!flush()) return 2;
        struct stat st{};
        if (::fstat(s_.output_fd, &st) == 0 && S_ISREG(st.st_mode) && ::fsync(s_.output_fd) != 0) {
            std::fprintf(stderr, "shoal: cannot sync the output: %s\n", std::strerror(errno));
            return 2;
        }
        progress_.finish();
        return finish_report();
    }

private:
    // Returns false when the supervisor said finish or went away.
    bool on_control(bool& finishing) {
        control_message m;
        int rc = receive_control(s_.control_fd, m);
        if (rc <= 0) return false;
        switch (m.kind) {
            case control_kind::open_chunk: {
                auto& p = pipes_[m.fd];
                p.fd = m.fd;
                p.chunk_id = m.chunk_id;
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

    bool flush() {
        if (out_.empty()) return true;
        if (!sys::write_all(s_.output_fd, out_.data(), out_.size())) {
            std::fprintf(stderr, "shoal: cannot write the output %s: %s\n", s_.options.output.c_str(),
                         std::strerror(errno));
            return false;
        }
        out_.clear();
        return true;
    }

    int fail(const char* what) {
        std::fprintf(stderr, "shoal: writer: %s: %s\n", what, std::strerror(errno));
        return 4;
    }

    int finish_report() {
        if (!s_.options.quiet) std::fputs(stats_.summary().c_str(), stderr);
        if (s_.options.stats_path.empty()) return 0;
        std::string tmp = s_.options.stats_path + ".tmp";
        FILE* f = std::fopen(tmp.c_str(), "w");
        std::string j = stats_.json();
        if (f == nullptr || std::fwrite(j.data(), 1, j.size(), f) != j.size() || std::fclose(f) != 0 ||
            std::rename(tmp.c_str(), s_.options.stats_path.c_str()) != 0) {
            std::fprintf(stderr, "shoal: cannot write --stats %s: %s\n",
                         s_.options.stats_path.c_str(), std::strerror(errno));
            return 2;
        }
        return 0;
    }

    const writer_setup& s_;
    std::map<int, open_pipe> pipes_;
    std::string out_;
    run_stats stats_;
    progress_line progress_;
};

}  // namespace

int run_writer(const writer_setup& setup) {
    sys::set_process_title("shoal: writer " + setup.options.output);
    // The supervisor decides when the run ends; the writer drains until told.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGHUP, SIG_IGN);
    ::signal(SIGPIPE, SIG_IGN);
    output_writer w(setup);
    return w.run();
}

}  // namespace shoal
