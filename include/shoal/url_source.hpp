// url_source: streams a URL list line by line, never holding the whole file.
//
//   shoal::url_source src(fd);
//   shoal::input_line line;
//   while (src.next(line)) use(line.number, line.text);
//
// Blank lines and lines whose first non-blank character is '#' are skipped;
// CRLF is accepted and surrounding spaces and tabs are trimmed. `number` is
// the 1-based line number in the file.
//
// Input that comes over time (a pipe) can be taken without waiting for it:
//
//   switch (src.next_at_hand(line)) { case taken::line: ...; case taken::later: ...poll the fd...;
//                                     case taken::end: ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

struct input_line {
    std::uint64_t number = 0;
    std::string text;  // at most max_line_bytes + 1 bytes; longer lines are cut there
};

class url_source {
public:
    // Lines longer than this are cut to max_line_bytes + 1 bytes, so that the
    // worker rejects them as too long without the supervisor holding them.
    static constexpr std::size_t max_line_bytes = 8192;

    // Reads from fd (not owned); `name` says which list in messages ("URL
    // file urls.txt"). REQUIRES: fd open for reading.
    explicit url_source(int fd, std::string name = "the URL list");
    url_source(const url_source&) = delete;
    url_source& operator=(const url_source&) = delete;

    // Fills `out` with the next usable line. Returns false at end of input.
    // Throws setup_error(exit_code::file) on a read error, and when the
    // list's first bytes show it is no text list shoal can read (see
    // unreadable_list_reason).
    bool next(input_line& out);

    enum class taken { line, later, end };
    // Like next(), but reads only while the fd has data (poll, no timeout):
    // `later` when the next line has not come yet, or when 16 reads (1 MiB)
    // brought no line end (call again). Never waits.
    taken next_at_hand(input_line& out);

    // For a list that cannot be looked at before it is read (a pipe): reads
    // once, without waiting (call when fd is readable), and returns true once
    // the first line is whole (or the list ended, or the buffer is full),
    // after refusing a list whose first bytes show it is no text list, as
    // next() does. What it read is kept for next().
    bool read_head();
    // Whether the list ended before its first byte (an empty pipe).
    bool ended_empty() const;

    int fd() const { return fd_; }

    std::uint64_t lines_read() const { return line_no_; }

private:
    enum class parsed { line, need_input, end };
    // The next usable line from the buffer, without reading.
    parsed parse(input_line& out);
    bool fill();

    // A line longer than the buffer, taken piece by piece: it is blank, a
    // comment, a URL between long runs of blanks, or too long. Too long is
    // known before its end (`shoal crawl /dev/zero`): it is given then.
    struct long_line {
        std::uint64_t number = 0;
        std::string text;         // its first max_line_bytes + 1 bytes from the first non-blank
        std::uint64_t taken = 0;  // bytes from the first non-blank on
        std::uint64_t length = 0;  // of those, up to the last non-blank
        bool given = false;        // decided, and given if usable: the rest is skipped
        void take(const char* b, const char* e);
        bool decided() const { return length > max_line_bytes; }
        // Whether it is a usable line; if so, puts it in out.
        bool give(input_line& out);
    };

    int fd_;
    std::string name_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    bool in_long_line_ = false;  // long_ takes the rest of a line, up to its newline
    long_line long_;
    std::uint64_t line_no_ = 0;
    std::uint64_t bytes_read_ = 0;
    std::uint64_t fault_after_ = 0;  // SHOAL_FAULT_LIST_EIO_AFTER (0: none)
    std::uint64_t size_at_start_ = 0;  // a regular file's size when opened (0: not one)
};

// Why a list that starts with `head` cannot be read as one URL per line
// (its first bytes: all of the list, or at least its first line or 64 KiB):
// UTF-16 or UTF-32 (with a byte order mark, or NUL bytes between the
// characters of its first 64 bytes), compressed (gzip, bzip2, xz, zstd), or lines ended by CR
// alone (classic Mac OS); empty when none of these. The reason says what to do.
std::string unreadable_list_reason(std::string_view head);

// Counts the lines url_source would yield from a regular file without
// keeping them; "-" is stdin, counted from its offset, which is put back.
// Returns -1 when path (or stdin) is not a regular file (a pipe, a terminal).
std::int64_t count_url_lines(const std::string& path);

}  // namespace shoal
