// Streaming reader of URL lists: a fixed buffer, one line at a time.
#include "shoal/url_source.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "shoal/error.hpp"
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

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string unreadable_list_reason(std::string_view head) {
    using namespace std::string_view_literals;
    if (starts_with(head, "\xFF\xFE\0\0"sv) || starts_with(head, "\0\0\xFE\xFF"sv))
        return "is UTF-32 (it starts with a UTF-32 byte order mark); shoal reads UTF-8 lists: convert it "
               "first, e.g. iconv -f UTF-32 -t UTF-8 LIST > LIST.utf8";
    if (starts_with(head, "\xFF\xFE") || starts_with(head, "\xFE\xFF"))
        return "is UTF-16 (it starts with a UTF-16 byte order mark); shoal reads UTF-8 lists: convert it "
               "first, e.g. iconv -f UTF-16 -t UTF-8 LIST > LIST.utf8";
    const struct {
        std::string_view magic, name, reader;
    } compressed[] = {
        {"\x1F\x8B", "gzip", "zcat"},
        {"BZh", "bzip2", "bzcat"},
        {std::string_view("\xFD" "7zXZ\0", 6), "xz", "xzcat"},
        {"\x28\xB5\x2F\xFD", "zstd", "zstdcat"},
    };
    for (const auto& c : compressed)
        if (starts_with(head, c.magic) && (c.name != "bzip2" || (head.size() > 3 && head[3] >= '1' && head[3] <= '9')))
            return "is " + std::string(c.name) + "-compressed; shoal reads text lists: " + std::string(c.reader) +
                   " LIST | shoal crawl - ...";
    // UTF-16 or UTF-32 without a byte order mark: a NUL beside every
    // character ("h\0t\0t\0p\0"); no URL list starts so. (NULs alone, as
    // /dev/zero gives, are one endless line, which gets its record.)
    // Only the first line's bytes (at most 64): a pipe's come in pieces, and
    // the first line is what is sure to be there when this is asked.
    const std::size_t nl = head.find('\n');
    const std::string_view start = head.substr(0, std::min<std::size_t>(64, nl == std::string_view::npos ? head.size() : nl + 1));
    const auto nuls = static_cast<std::size_t>(std::count(start.begin(), start.end(), '\0'));
    if (start.size() >= 8 && nuls * 3 >= start.size() && (start.size() - nuls) * 8 >= start.size())
        return "has NUL bytes between its characters: UTF-16 or UTF-32 without a byte order mark? shoal reads "
               "UTF-8 lists: convert it first, e.g. iconv -f UTF-16LE -t UTF-8 LIST > LIST.utf8";
    // Lines ended by CR alone: one line of URLs, CR between them.
    if (head.find('\n') == std::string_view::npos) {
        const std::size_t cr = head.find('\r');
        if (cr != std::string_view::npos && head.find_first_not_of(" \t\r\f\v", cr) != std::string_view::npos)
            return "has lines ended by CR alone (classic Mac OS); shoal reads lines ended by LF or CRLF: "
                   "convert it first, e.g. tr '\\r' '\\n' < LIST > LIST.unix";
    }
    return {};
}

url_source::url_source(int fd, std::string name) : fd_(fd), name_(std::move(name)), buf_(buffer_bytes) {
    // Fault injection for the tests: reads fail (EIO) once this many bytes
    // of the list have been read, as a failing disk's would partway.
    if (const char* v = std::getenv("SHOAL_FAULT_LIST_EIO_AFTER")) fault_after_ = std::strtoull(v, nullptr, 10);
    struct stat st{};
    if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) size_at_start_ = static_cast<std::uint64_t>(st.st_size);
}

void url_source::long_line::take(const char* b, const char* e) {
    if (taken == 0)
        while (b < e && is_blank(*b)) ++b;
    for (; b < e; ++b) {
        if (text.size() <= max_line_bytes) text += *b;
        ++taken;
        if (!is_blank(*b)) length = taken;
    }
}

bool url_source::long_line::give(input_line& out) {
    given = true;
    if (length == 0 || text[0] == '#') return false;
    out.number = number;
    out.text.assign(text, 0, static_cast<std::size_t>(std::min<std::uint64_t>(length, max_line_bytes + 1)));
    return true;
}

bool url_source::fill() {
    if (begin_ > 0) {
        std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
    }
    if (end_ == buf_.size()) return true;  // a full buffer without newline: caller cuts
    std::size_t room = buf_.size() - end_;
    if (fault_after_ > 0) {
        if (bytes_read_ >= fault_after_) {
            errno = EIO;
            sys::throw_errno(exit_code::file, "cannot read " + name_);
        }
        room = std::min<std::size_t>(room, fault_after_ - bytes_read_);
    }
    ssize_t n = sys::retry_eintr([&] { return ::read(fd_, buf_.data() + end_, room); });
    if (n < 0) sys::throw_errno(exit_code::file, "cannot read " + name_);
    bytes_read_ += static_cast<std::uint64_t>(n);
    if (n == 0) {
        // A file cut shorter while it is read (rewritten in place: `cp
        // shorter.txt urls.txt`) ends before where reading got to: its end
        // is no end of the list, and the line read last may be torn.
        struct stat st{};
        const off_t at = ::lseek(fd_, 0, SEEK_CUR);
        if (at > 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < at)
            throw setup_error(exit_code::file, name_ + " was cut shorter while it was read (to " +
                                                   std::to_string(st.st_size) + " bytes, after " +
                                                   std::to_string(at) + " were read)");
        // Cut shorter past where reading had got to: it ends before the
        // end it had when the run began, and its later lines are lost.
        if (at >= 0 && static_cast<std::uint64_t>(at) < size_at_start_)
            throw setup_error(exit_code::file, name_ + " was cut shorter while it was read (to " +
                                                   std::to_string(at) + " bytes, from " +
                                                   std::to_string(size_at_start_) + " when the run began)");
        eof_ = true;
    }
    end_ += static_cast<std::size_t>(n);
    return n > 0;
}

url_source::parsed url_source::parse(input_line& out) {
    for (;;) {
        const char* data = buf_.data();
        if (in_long_line_) {
            auto nl = static_cast<const char*>(std::memchr(data + begin_, '\n', end_ - begin_));
            if (!long_.decided()) long_.take(data + begin_, nl != nullptr ? nl : data + end_);
            if (nl != nullptr) begin_ = static_cast<std::size_t>(nl - data) + 1;
            else begin_ = end_ = 0;  // taken: the buffer is free for the rest
            if (nl == nullptr && !eof_) {
                if (long_.decided() && !long_.given && long_.give(out)) return parsed::line;
                return parsed::need_input;
            }
            in_long_line_ = false;
            const bool usable_line = !long_.given && long_.give(out);
            long_ = {};
            if (usable_line) return parsed::line;
            continue;
        }
        auto nl = static_cast<const char*>(std::memchr(data + begin_, '\n', end_ - begin_));
        if (nl == nullptr && !eof_ && end_ - begin_ < buf_.size()) return parsed::need_input;
        if (nl == nullptr && begin_ == end_) return parsed::end;
        if (line_no_ == 0) {
            const std::string why = unreadable_list_reason({data + begin_, end_ - begin_});
            if (!why.empty()) throw setup_error(exit_code::file, name_ + " " + why);
        }
        const char* b = data + begin_;
        const char* e = nl != nullptr ? nl : data + end_;
        ++line_no_;
        // A UTF-8 byte order mark, as Windows editors write at the start of a
        // file: also at the start of a later line (`cat a.txt b.txt`).
        if (e - b >= 3 && std::memcmp(b, "\xEF\xBB\xBF", 3) == 0) b += 3;
        if (nl == nullptr && !eof_) {  // the buffer is full without a newline
            long_.number = line_no_;
            long_.take(b, e);
            begin_ = end_;
            in_long_line_ = true;  // the rest of the line, as it comes
            continue;
        }
        begin_ = nl != nullptr ? static_cast<std::size_t>(nl - data) + 1 : end_;
        if (usable(b, e)) {
            out.number = line_no_;
            out.text.assign(b, std::min<std::size_t>(e - b, max_line_bytes + 1));
            return parsed::line;
        }
    }
}

bool url_source::ended_empty() const { return eof_ && bytes_read_ == 0; }

bool url_source::read_head() {
    auto whole = [&] {
        return eof_ || end_ == buf_.size() || std::memchr(buf_.data(), '\n', end_) != nullptr;
    };
    if (!whole()) fill();
    if (!whole()) return false;
    if (const std::string why = unreadable_list_reason({buf_.data(), end_}); !why.empty())
        throw setup_error(exit_code::file, name_ + " " + why);
    return true;
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
                if (n < 0) sys::throw_errno(exit_code::file, "cannot read " + name_);
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
