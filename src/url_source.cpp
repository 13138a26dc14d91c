// Streaming reader of URL lists: a fixed buffer, one line at a time.
#include "shoal/url_source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "shoal/sys.hpp"

namespace shoal {
namespace {

constexpr std::size_t buffer_bytes = 1 << 16;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Trims blanks; returns false for blank and comment lines.
bool usable(const char*& b, const char*& e) {
    while (b < e && is_blank(*b)) ++b;
    while (e > b && is_blank(e[-1])) --e;
    return b < e && *b != '#';
}

}  // namespace

url_source::url_source(int fd) : fd_(fd), buf_(buffer_bytes) {}

bool url_source::fill() {
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buf_.size()) return true;  // a full buffer without newline: caller cuts
    ssize_t n = sys::retry_eintr([&] { return ::read(fd_, buf_.data() + end_, buf_.size() - end_); });
    if (n < 0) sys::throw_errno(exit_code::file, "cannot read the URL list");
    if (n == 0) eof_ = true;
    end_ += static_cast<std::size_t>(n);
    return n > 0;
}

url_source::parsed url_source::parse(input_line& out) {
    for (;;) {
        const char* data = buf_.data();
        if (skipping_) {
            auto nl = static_cast<const char*>(std::memchr(data + begin_, '\n', end_ - begin_));
            if (nl != nullptr) {
                begin_ = static_cast<std::size_t>(nl - data) + 1;
                skipping_ = false;
                continue;
            }
            begin_ = end_ = 0;  // the long line's bytes so far are dropped
            if (!eof_) return parsed::need_input;
            skipping_ = false;
            continue;
        }
        auto nl = static_cast<const char*>(std::memchr(data + begin_, '\n', end_ - begin_));
        if (nl == nullptr && !eof_ && end_ - begin_ < buf_.size()) return parsed::need_input;
        if (nl == nullptr && begin_ == end_) return parsed::end;
        bool overlong = nl == nullptr && !eof_;  // buffer full without newline
        const char* b = data + begin_;
        const char* e = nl != nullptr ? nl : data + end_;
        ++line_no_;
        // A UTF-8 byte order mark, as Windows editors write at the start of a
        // file: also at the start of a later line (`cat a.txt b.txt`).
        if (e - b >= 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;
        bool keep = usable(b, e);
        if (keep) {
            out.number = line_no_;
            out.text.assign(b, std::min<std::size_t>(e - b, max_line_bytes + 1));
        }
        if (overlong) {
            begin_ = end_;
            skipping_ = true;  // the rest of the line, as it comes
        } else {
            begin_ = nl != nullptr ? static_cast<std::size_t>(nl - data) + 1 : end_;
        }
        if (keep) return parsed::line;
    }
}

bool url_source::next(input_line& out) {
    for (;;) {
        switch (parse(out)) {
            case parsed::line: return true;
            case parsed::end: return false;
            case parsed::need_input: fill(); break;
        }
    }
}

url_source::taken url_source::next_at_hand(input_line& out) {
    // An endless line (`shoal crawl /dev/zero`) never ends a call: after this
    // many reads without a line, the caller gets control back (and hears
    // signals) before the next.
    constexpr int max_reads = 16;
    for (int reads = 0;;) {
        switch (parse(out)) {
            case parsed::line: return taken::line;
            case parsed::end: return taken::end;
            case parsed::need_input: {
                if (reads++ == max_reads) return taken::later;
                // Readable, hung up or in error: read() then does not wait.
                pollfd p{fd_, POLLIN, 0};
                int n = sys::retry_eintr([&] { return ::poll(&p, 1, 0); });
                if (n < 0) sys::throw_errno(exit_code::file, "cannot read the URL list");
                if (n == 0) return taken::later;
                fill();
                break;
            }
        }
    }
}

namespace {

// Counts the lines of a regular file from fd's offset on, and puts the
// offset back; -1 for anything else.
std::int64_t count_lines_from(int fd) {
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return -1;
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at < 0) return -1;
    url_source src(fd);
    input_line line;
    std::int64_t n = 0;
    try {
        while (src.next(line)) ++n;
    } catch (...) {
        n = -1;
    }
    if (::lseek(fd, at, SEEK_SET) != at) return -1;
    return n;
}

}  // namespace

std::int64_t count_url_lines(const std::string& path) {
    if (path == "-") return count_lines_from(STDIN_FILENO);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    const std::int64_t n = count_lines_from(fd);
    ::close(fd);
    return n;
}

}  // namespace shoal
