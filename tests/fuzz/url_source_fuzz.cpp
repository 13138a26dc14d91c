// Fuzzes url_source's two ways of reading: next() over the whole list in a
// file, and next_at_hand() over the same bytes coming through a pipe in
// pieces of 1 to 4,096 bytes, the reader taking what is at hand after each
// piece (so it is told `later` in the middle of lines, of CRLFs, and of
// overlong lines it is skipping). Both must give the same lines, numbers and
// count; after the pipe's end, next_at_hand() must say `end`. A list whose
// first bytes are no text list is refused the same way by both.
//
// Input: two bytes seed the piece sizes; the rest is the list, where each
// 0x01 byte stands for 20,000 'x' bytes (so that short inputs make lines
// past the reader's 64 KiB buffer).
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/url_source.hpp"

namespace {

void write_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w <= 0) std::abort();
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    std::uint32_t x = data[0] | static_cast<std::uint32_t>(data[1]) << 8;
    std::string content;
    for (std::size_t i = 2; i < size; ++i) {
        if (data[i] == 0x01) content.append(20000, 'x');
        else content.push_back(static_cast<char>(data[i]));
        if (content.size() > (1u << 20)) return 0;
    }

    // The list in a file, read with next().
    const int file = ::memfd_create("urls", MFD_CLOEXEC);
    if (file < 0) std::abort();
    write_all(file, content.data(), content.size());
    if (::lseek(file, 0, SEEK_SET) != 0) std::abort();
    std::vector<shoal::input_line> want;
    std::uint64_t want_read = 0;
    bool want_refused = false;  // first bytes that are no text list (UTF-16, gzip, CR-only, ...)
    {
        shoal::url_source src(file);
        shoal::input_line line;
        try {
            while (src.next(line)) want.push_back(line);
        } catch (const shoal::setup_error&) {
            want_refused = true;
        }
        want_read = src.lines_read();
    }
    ::close(file);

    // The same bytes through a pipe, in pieces, taken as they come.
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) std::abort();
    std::vector<shoal::input_line> got;
    shoal::url_source src(p[0]);
    shoal::input_line line;
    auto take = [&] {
        for (;;) {
            const auto t = src.next_at_hand(line);
            if (t != shoal::url_source::taken::line) return t;
            got.push_back(line);
        }
    };
    // A refusal comes from the same first bytes either way: the reader
    // decides once it has the first line, 64 KiB, or the end.
    bool got_refused = false;
    try {
        for (std::size_t off = 0; off < content.size();) {
            x = x * 1103515245u + 12345u;
            const std::size_t piece = std::min<std::size_t>(1 + (x >> 16) % 4096, content.size() - off);
            write_all(p[1], content.data() + off, piece);
            off += piece;
            if (take() != shoal::url_source::taken::later) std::abort();  // the end has not come
        }
        ::close(p[1]);
        p[1] = -1;
        if (take() != shoal::url_source::taken::end) std::abort();
        if (src.next_at_hand(line) != shoal::url_source::taken::end) std::abort();
    } catch (const shoal::setup_error&) {
        got_refused = true;
    }
    if (p[1] >= 0) ::close(p[1]);
    ::close(p[0]);

    if (got_refused != want_refused) std::abort();
    if (got.size() != want.size() || src.lines_read() != want_read) std::abort();
    for (std::size_t i = 0; i < got.size(); ++i)
        if (got[i].number != want[i].number || got[i].text != want[i].text) std::abort();
    return 0;
}
