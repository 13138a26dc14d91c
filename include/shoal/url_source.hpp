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

    // Reads from fd (not owned). REQUIRES: fd open for reading.
    explicit url_source(int fd);
    url_source(const url_source&) = delete;
    url_source& operator=(const url_source&) = delete;

    // Fills `out` with the next usable line. Returns false at end of input.
    // Throws setup_error(exit_code::file) on a read error.
    bool next(input_line& out);

    enum class taken { line, later, end };
    // Like next(), but reads only while the fd has data (poll, no timeout):
    // `later` when the next line has not come yet, or when 16 reads (1 MiB)
    // brought no line end (call again). Never waits.
    taken next_at_hand(input_line& out);

    int fd() const { return fd_; }

    std::uint64_t lines_read() const { return line_no_; }

private:
    enum class parsed { line, need_input, end };
    // The next usable line from the buffer, without reading.
    parsed parse(input_line& out);
    bool fill();

    int fd_;
    std::vector<char> buf_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    bool skipping_ = false;  // the rest of an overlong line, up to its newline
    std::uint64_t line_no_ = 0;
};

// Counts the lines url_source would yield from a regular file without
// keeping them; "-" is stdin, counted from its offset, which is put back.
// Returns -1 when path (or stdin) is not a regular file (a pipe, a terminal).
std::int64_t count_url_lines(const std::string& path);

}  // namespace shoal
