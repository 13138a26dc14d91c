// Tests for url_source and count_url_lines: URL lists fed through a real
// pipe and a real temporary file, read as next() and as next_at_hand() does,
// including overlong lines and lines that straddle the reader's 64 KiB buffer.
#include "shoal/url_source.hpp"

#include "shoal/error.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace {

using shoal::input_line;
using shoal::url_source;

constexpr std::size_t max_line = url_source::max_line_bytes;

// A temporary file holding `content`, removed when the object goes away.
class temp_file {
public:
    explicit temp_file(std::string_view content) {
        const char* dir = std::getenv("TMPDIR");
        path_ = std::string(dir != nullptr && *dir != '\0' ? dir : "/tmp") + "/shoal_url_source_XXXXXX";
        int fd = ::mkstemp(path_.data());
        REQUIRE(fd >= 0);
        std::size_t done = 0;
        while (done < content.size()) {
            ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            REQUIRE(n > 0);
            done += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    ~temp_file() { ::unlink(path_.c_str()); }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::vector<input_line> drain(url_source& src) {
    std::vector<input_line> out;
    input_line line;
    while (src.next(line)) out.push_back(line);
    return out;
}

struct read_result {
    std::vector<input_line> lines;
    std::uint64_t lines_read = 0;
};

// Reads `content` through a temporary file.
read_result read_via_file(std::string_view content) {
    temp_file f(content);
    int fd = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    url_source src(fd);
    read_result r;
    r.lines = drain(src);
    r.lines_read = src.lines_read();
    ::close(fd);
    return r;
}

// A thread writing `content` to wfd in pieces of `piece` bytes, pausing
// `pause` after each, then closing wfd.
std::thread write_in_pieces(int wfd, std::string_view content, std::size_t piece,
                            std::chrono::microseconds pause = {}) {
    return std::thread([content, piece, pause, wfd] {
        std::size_t done = 0;
        while (done < content.size()) {
            std::size_t n = std::min(piece, content.size() - done);
            ssize_t w = ::write(wfd, content.data() + done, n);
            if (w <= 0) break;
            done += static_cast<std::size_t>(w);
            if (pause.count() > 0) std::this_thread::sleep_for(pause);
        }
        ::close(wfd);
    });
}

// Reads `content` through a pipe, written by another thread in pieces of
// `piece` bytes so that the reader sees short reads.
read_result read_via_pipe(std::string_view content, std::size_t piece = 4093) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::thread writer = write_in_pieces(fds[1], content, piece);
    read_result r;
    {
        url_source src(fds[0]);
        r.lines = drain(src);
        r.lines_read = src.lines_read();
    }
    writer.join();
    ::close(fds[0]);
    return r;
}

// Reads `content` with next_at_hand() through a pipe written by another
// thread in pieces, pausing between them, so the reader is told `later` in
// the middle of lines (and of an overlong line it is skipping). On `later`
// it waits for the pipe (10 s at most, then fails).
read_result read_at_hand(std::string_view content, std::size_t piece = 4093) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::thread writer = write_in_pieces(fds[1], content, piece, std::chrono::microseconds(200));
    read_result r;
    {
        url_source src(fds[0]);
        input_line line;
        for (bool more = true; more;) {
            switch (src.next_at_hand(line)) {
                case url_source::taken::line: r.lines.push_back(line); break;
                case url_source::taken::end: more = false; break;
                case url_source::taken::later: {
                    pollfd p{fds[0], POLLIN, 0};
                    more = ::poll(&p, 1, 10000) == 1;
                    CHECK(more);
                    break;
                }
            }
        }
        r.lines_read = src.lines_read();
    }
    writer.join();
    ::close(fds[0]);
    return r;
}

void check_same(const read_result& a, const read_result& b) {
    REQUIRE(a.lines.size() == b.lines.size());
    for (std::size_t i = 0; i < a.lines.size(); ++i) {
        CHECK(a.lines[i].number == b.lines[i].number);
        CHECK(a.lines[i].text == b.lines[i].text);
    }
    CHECK(a.lines_read == b.lines_read);
}

// Every way of reading must give the same answer; returns the file's.
read_result read_both(std::string_view content) {
    read_result f = read_via_file(content);
    check_same(f, read_via_pipe(content));
    check_same(f, read_at_hand(content));
    return f;
}

}  // namespace

TEST_CASE("url_source: blank lines and comments are skipped, numbers count them", "[url_source]") {
    const std::string content =
        "http://a.example/1\n"
        "\n"
        "# a comment\n"
        "   # an indented comment\n"
        "http://a.example/2\n"
        "   \t  \n"
        "http://a.example/3#frag\n";
    auto r = read_both(content);
    REQUIRE(r.lines.size() == 3);
    CHECK(r.lines[0].number == 1);
    CHECK(r.lines[0].text == "http://a.example/1");
    CHECK(r.lines[1].number == 5);
    CHECK(r.lines[1].text == "http://a.example/2");
    CHECK(r.lines[2].number == 7);
    CHECK(r.lines[2].text == "http://a.example/3#frag");  // '#' inside a line is kept
    CHECK(r.lines_read == 7);
}

TEST_CASE("url_source: CRLF and surrounding blanks are trimmed", "[url_source]") {
    const std::string content =
        "http://a.example/1\r\n"
        "  \thttp://a.example/2 \t \r\n"
        "\r\n"
        "#c\r\n"
        "http://a.example/3\r\n";
    auto r = read_both(content);
    REQUIRE(r.lines.size() == 3);
    CHECK(r.lines[0].text == "http://a.example/1");
    CHECK(r.lines[1].text == "http://a.example/2");
    CHECK(r.lines[1].number == 2);
    CHECK(r.lines[2].text == "http://a.example/3");
    CHECK(r.lines[2].number == 5);
}

TEST_CASE("url_source: a UTF-8 byte order mark at the start of a line is not part of it",
          "[url_source]") {
    // Windows editors save "UTF-8" files with one at the start; lists joined
    // with `cat a.txt b.txt` have one at the start of b's first line.
    auto url = read_both("\xEF\xBB\xBFhttp://a.example/1\n\xEF\xBB\xBFhttp://a.example/2\n");
    REQUIRE(url.lines.size() == 2);
    CHECK(url.lines[0].text == "http://a.example/1");
    CHECK(url.lines[1].text == "http://a.example/2");
    auto comment = read_both("\xEF\xBB\xBF# a comment\nhttp://a.example/2\n\xEF\xBB\xBF\n\xEF\xBB\xBF# another\n");
    REQUIRE(comment.lines.size() == 1);
    CHECK(comment.lines[0].number == 2);
    // Only one: a second is the line's own.
    auto twice = read_both("\xEF\xBB\xBF\xEF\xBB\xBFhttp://a.example/1\n");
    REQUIRE(twice.lines.size() == 1);
    CHECK(twice.lines[0].text == "\xEF\xBB\xBFhttp://a.example/1");
}

TEST_CASE("url_source: next_at_hand gives control back on an endless line (/dev/zero)", "[url_source]") {
    // /dev/zero is always readable and never has a newline: line 1 comes
    // cut, then each call reads a bounded amount of its rest and returns `later`.
    int fd = ::open("/dev/zero", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    url_source src(fd);
    input_line line;
    REQUIRE(src.next_at_hand(line) == url_source::taken::line);
    CHECK(line.number == 1);
    CHECK(line.text == std::string(url_source::max_line_bytes + 1, '\0'));
    for (int i = 0; i < 5; ++i) CHECK(src.next_at_hand(line) == url_source::taken::later);
    CHECK(src.lines_read() == 1);
    ::close(fd);
}

TEST_CASE("url_source: last line without a newline", "[url_source]") {
    auto r = read_both("http://a.example/1\nhttp://a.example/2");
    REQUIRE(r.lines.size() == 2);
    CHECK(r.lines[1].number == 2);
    CHECK(r.lines[1].text == "http://a.example/2");
    CHECK(r.lines_read == 2);

    auto single = read_both("  http://only.example/  ");
    REQUIRE(single.lines.size() == 1);
    CHECK(single.lines[0].number == 1);
    CHECK(single.lines[0].text == "http://only.example/");
}

namespace {

// Rewrites the file at path with `content` in place (the same inode), as
// `cp shorter.txt urls.txt` does.
void rewrite_in_place(const std::string& path, const std::string& content) {
    int w = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    REQUIRE(w >= 0);
    REQUIRE(::write(w, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    ::close(w);
}

}  // namespace

TEST_CASE("url_source: a file cut shorter while it is read is an error, its torn line not a line",
          "[url_source]") {
    // 4,000 lines (about 100 KB): the first 64 KiB are read with the first line.
    std::string content;
    for (int n = 1; n <= 4000; ++n) content += "http://a.example/p/" + std::to_string(n) + ".html\n";
    temp_file f(content);
    int fd = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    url_source src(fd, "URL file u.txt");
    input_line line;
    REQUIRE(src.next(line));
    // Rewritten in place with its first 100 lines (as `cp shorter.txt u.txt` does).
    const std::string shorter = content.substr(0, content.find("http://a.example/p/101.html"));
    rewrite_in_place(f.path(), shorter);
    // The lines in the buffer are whole lines of the list; then the error,
    // where the buffer ends inside a line.
    std::uint64_t last = 1;
    try {
        while (src.next(line)) {
            CHECK(line.text == "http://a.example/p/" + std::to_string(line.number) + ".html");
            last = line.number;
        }
        FAIL("the end of the shorter file was taken as the end of the list");
    } catch (const shoal::setup_error& e) {
        CHECK(e.code() == shoal::exit_code::file);
        CHECK_THAT(e.what(), Catch::StartsWith("URL file u.txt was cut shorter while it was read (to " +
                                               std::to_string(shorter.size()) + " bytes, after 65536 were read)"));
    }
    CHECK(last > 100);
    CHECK(last < 4000);
    ::close(fd);
}

TEST_CASE("url_source: a file cut shorter past where reading had got to is an error at its new end",
          "[url_source]") {
    std::string content;
    for (int n = 1; n <= 8000; ++n) content += "http://a.example/p/" + std::to_string(n) + ".html\n";
    temp_file f(content);
    int fd = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    url_source src(fd, "URL file u.txt");
    input_line line;
    REQUIRE(src.next(line));
    // Rewritten in place with its first 6,000 lines: past the first 64 KiB read.
    const std::string shorter = content.substr(0, content.find("http://a.example/p/6001.html"));
    REQUIRE(shorter.size() > 65536);
    rewrite_in_place(f.path(), shorter);
    std::uint64_t last = 1;
    try {
        while (src.next(line)) last = line.number;
        FAIL("the end of the shorter file was taken as the end of the list");
    } catch (const shoal::setup_error& e) {
        CHECK(e.code() == shoal::exit_code::file);
        CHECK(std::string(e.what()) == "URL file u.txt was cut shorter while it was read (to " +
                                           std::to_string(shorter.size()) + " bytes, from " +
                                           std::to_string(content.size()) + " when the run began)");
    }
    CHECK(last == 6000);
    ::close(fd);
}

TEST_CASE("url_source: empty input and input of only skipped lines", "[url_source]") {
    auto empty = read_both("");
    CHECK(empty.lines.empty());
    CHECK(empty.lines_read == 0);

    auto blank = read_both("\n\n# x\n\r\n");
    CHECK(blank.lines.empty());
    CHECK(blank.lines_read == 4);
}

TEST_CASE("url_source: next() keeps returning false at the end", "[url_source]") {
    temp_file f("http://a.example/\n");
    int fd = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    url_source src(fd);
    input_line line;
    CHECK(src.next(line));
    CHECK_FALSE(src.next(line));
    CHECK_FALSE(src.next(line));
    ::close(fd);
}

TEST_CASE("url_source: a line longer than max_line_bytes is cut, the next is intact", "[url_source]") {
    for (std::size_t len : {max_line, max_line + 1, max_line + 2, std::size_t{20000},
                            std::size_t{65535}, std::size_t{65536}, std::size_t{65537}}) {
        INFO("long line of " << len << " bytes");
        std::string long_line = "http://long.example/";
        while (long_line.size() < len) long_line += static_cast<char>('a' + long_line.size() % 26);
        const std::string content = "http://a.example/first\n" + long_line + "\nhttp://a.example/next\n";
        auto r = read_both(content);
        REQUIRE(r.lines.size() == 3);
        CHECK(r.lines[0].text == "http://a.example/first");
        CHECK(r.lines[1].number == 2);
        const std::size_t kept = std::min(len, max_line + 1);
        CHECK(r.lines[1].text.size() == kept);
        CHECK(r.lines[1].text == long_line.substr(0, kept));
        CHECK(r.lines[2].number == 3);
        CHECK(r.lines[2].text == "http://a.example/next");
        CHECK(r.lines_read == 3);
    }
}

TEST_CASE("url_source: a 200 KB line then a normal line", "[url_source]") {
    std::string huge = "http://huge.example/";
    huge.append(200 * 1024, 'x');
    const std::string content = huge + "\nhttp://a.example/after\n\nhttp://a.example/last";
    auto r = read_both(content);
    REQUIRE(r.lines.size() == 3);
    CHECK(r.lines[0].number == 1);
    CHECK(r.lines[0].text.size() == max_line + 1);
    CHECK(r.lines[0].text == huge.substr(0, max_line + 1));
    CHECK(r.lines[1].number == 2);
    CHECK(r.lines[1].text == "http://a.example/after");
    CHECK(r.lines[2].number == 4);
    CHECK(r.lines[2].text == "http://a.example/last");
}

TEST_CASE("url_source: an overlong comment or last line", "[url_source]") {
    std::string huge_comment = "#";
    huge_comment.append(150 * 1024, 'c');
    auto r = read_both(huge_comment + "\nhttp://a.example/1\n");
    REQUIRE(r.lines.size() == 1);
    CHECK(r.lines[0].number == 2);
    CHECK(r.lines[0].text == "http://a.example/1");

    std::string huge_last = "http://a.example/";
    huge_last.append(100 * 1024, 'z');
    auto last = read_both("http://a.example/1\n" + huge_last);  // no newline at the end
    REQUIRE(last.lines.size() == 2);
    CHECK(last.lines[1].number == 2);
    CHECK(last.lines[1].text == huge_last.substr(0, max_line + 1));
    CHECK(last.lines_read == 2);
}

TEST_CASE("url_source: a line past 64 KiB of blanks is blank, a URL inside them is the URL, text after them makes it too long",
          "[url_source]") {
    const std::string url = "http://a.example/x";
    const std::string pad(70000, ' ');
    const std::string content = url + "/1\n" +       // 1
                                pad + url + "/2\n" +  // 2 blanks, then the URL
                                url + "/3" + pad + "junk\n" +  // 3 text far after the URL
                                std::string(65536, '\t') + "\n" +  // 4 only blanks
                                pad + "# a comment\n" +  // 5 a comment after the blanks
                                url + "/6" + pad + "\r\n" +  // 6 the URL, then blanks
                                "\xEF\xBB\xBF" + pad + url + "/7\n" +  // 7 a byte order mark first
                                url + "/8\n";
    auto r = read_both(content);
    REQUIRE(r.lines.size() == 6);
    CHECK(r.lines[0].number == 1);
    CHECK(r.lines[1].number == 2);
    CHECK(r.lines[1].text == url + "/2");
    CHECK(r.lines[2].number == 3);
    CHECK(r.lines[2].text.size() == max_line + 1);  // too long: the worker says so
    CHECK(r.lines[2].text == (url + "/3" + pad).substr(0, max_line + 1));
    CHECK(r.lines[3].number == 6);
    CHECK(r.lines[3].text == url + "/6");
    CHECK(r.lines[4].number == 7);
    CHECK(r.lines[4].text == url + "/7");
    CHECK(r.lines[5].number == 8);
    CHECK(r.lines[5].text == url + "/8");
    CHECK(r.lines_read == 8);
}

TEST_CASE("url_source: a UTF-16, compressed or CR-ended list is refused at its first bytes, naming it",
          "[url_source]") {
    const std::string cr_only = "http://a.example/1\rhttp://a.example/2\r";
    for (const auto& [content, said] : std::vector<std::pair<std::string, std::string>>{
             {std::string("\xFF\xFEh\0t\0", 6), "is UTF-16"},
             {std::string("\x1F\x8B\x08\0\0\0\0\0\0\x03", 10), "is gzip-compressed"},
             {"BZh91AY&SY", "is bzip2-compressed"},
             {std::string("\xFD" "7zXZ\0\0\x04", 8), "is xz-compressed"},
             {"\x28\xB5\x2F\xFD\x04", "is zstd-compressed"},
             {cr_only, "has lines ended by CR alone"},
             {std::string("\xFF\xFE\0\0h\0\0\0", 8), "is UTF-32"},
             {std::string("h\0t\0t\0p\0:\0/\0/\0a\0\n\0", 18), "has NUL bytes between its characters"},
             {std::string("h\0\0\0t\0\0\0t\0\0\0p\0\0\0", 16), "has NUL bytes between its characters"},
         }) {
        INFO(said);
        CHECK(shoal::unreadable_list_reason(content).find(said) != std::string::npos);
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        REQUIRE(::write(fds[1], content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        ::close(fds[1]);
        url_source src(fds[0], "the URL list on stdin");
        input_line line;
        CHECK_THROWS_WITH(src.next(line), Catch::StartsWith("the URL list on stdin " + said));
        ::close(fds[0]);
    }
    // Text lists are not: CRLF, a CR inside a line of an LF list, "BZh" without its digit.
    const std::vector<std::string> text_lists = {"http://a.example/1\r\nhttp://a.example/2\r\n", "a\rb\nc\n",
                                                 "BZh\n", "http://a.example/1\r", std::string(),
                                                 "\xEF\xBB\xBFhttp://a.example/\n"};
    for (const std::string& ok : text_lists)
        CHECK(shoal::unreadable_list_reason(ok).empty());
}

TEST_CASE("url_source: lines spanning the 64 KiB buffer boundary", "[url_source]") {
    // Lines of many lengths, so that buffer refills fall inside lines, inside
    // CRLF pairs and right on newlines, with skipped lines mixed in.
    std::string content;
    std::vector<std::pair<std::uint64_t, std::string>> expected;
    std::uint64_t number = 0;
    std::uint32_t seed = 12345;
    while (content.size() < 300 * 1024) {
        seed = seed * 1103515245u + 12345u;
        ++number;
        const unsigned kind = (seed >> 16) % 10;
        if (kind == 0) {
            content += "\n";
        } else if (kind == 1) {
            content += "# comment " + std::to_string(number) + "\n";
        } else {
            std::string url = "http://h" + std::to_string(number % 97) + ".example/p/" + std::to_string(number);
            url.append((seed >> 8) % 300, 'q');
            expected.emplace_back(number, url);
            content += (kind == 2 ? "  " + url + " \r\n" : url + (kind == 3 ? "\r\n" : "\n"));
        }
    }
    // 0: a regular file; otherwise a pipe written in pieces of that size.
    for (std::size_t piece : {std::size_t{0}, std::size_t{1000}, std::size_t{7}}) {
        INFO("pipe writes of " << piece << " bytes (0: file)");
        auto r = piece == 0 ? read_via_file(content) : read_via_pipe(content, piece);
        REQUIRE(r.lines.size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            if (r.lines[i].number != expected[i].first || r.lines[i].text != expected[i].second) {
                INFO("line index " << i);
                CHECK(r.lines[i].number == expected[i].first);
                CHECK(r.lines[i].text == expected[i].second);
            }
        }
        CHECK(r.lines_read == number);
    }
}

TEST_CASE("url_source: next_at_hand never waits: later until a line's newline or the end comes", "[url_source]") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    auto put = [w = fds[1]](std::string_view s) {
        REQUIRE(::write(w, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
    };
    url_source src(fds[0]);
    input_line line;
    CHECK(src.next_at_hand(line) == url_source::taken::later);
    put("http://a/1\n\nhttp://a/");
    REQUIRE(src.next_at_hand(line) == url_source::taken::line);
    CHECK(line.number == 1);
    CHECK(line.text == "http://a/1");
    CHECK(src.next_at_hand(line) == url_source::taken::later);  // line 3 has no newline yet
    CHECK(src.next_at_hand(line) == url_source::taken::later);
    put("3\n# comment\n");
    REQUIRE(src.next_at_hand(line) == url_source::taken::line);
    CHECK(line.number == 3);
    CHECK(line.text == "http://a/3");
    CHECK(src.next_at_hand(line) == url_source::taken::later);
    put("http://a/5");
    ::close(fds[1]);  // the end: a last line without its newline counts
    REQUIRE(src.next_at_hand(line) == url_source::taken::line);
    CHECK(line.number == 5);
    CHECK(line.text == "http://a/5");
    CHECK(src.next_at_hand(line) == url_source::taken::end);
    CHECK(src.next_at_hand(line) == url_source::taken::end);
    CHECK(src.lines_read() == 5);
    ::close(fds[0]);
}

TEST_CASE("url_source: count_url_lines on a file, -1 for non-files", "[url_source]") {
    temp_file f("http://a/1\n\n# c\nhttp://a/2\r\n   \nhttp://a/3");
    CHECK(shoal::count_url_lines(f.path()) == 3);

    temp_file empty("");
    CHECK(shoal::count_url_lines(empty.path()) == 0);

    std::string huge = "http://a/";
    huge.append(100 * 1024, 'x');
    temp_file with_long(huge + "\nhttp://b/\n");
    CHECK(shoal::count_url_lines(with_long.path()) == 2);

    CHECK(shoal::count_url_lines("/tmp") == -1);  // a directory
    CHECK(shoal::count_url_lines("/nonexistent/shoal/urls.txt") == -1);
}

namespace {

// Puts fd on this process's stdin while it lives, then the old stdin back.
class stdin_from {
public:
    explicit stdin_from(int fd) : saved_(::dup(STDIN_FILENO)) {
        REQUIRE(saved_ >= 0);
        REQUIRE(::dup2(fd, STDIN_FILENO) == STDIN_FILENO);
    }
    ~stdin_from() {
        ::dup2(saved_, STDIN_FILENO);
        ::close(saved_);
    }
    stdin_from(const stdin_from&) = delete;
    stdin_from& operator=(const stdin_from&) = delete;

private:
    int saved_;
};

}  // namespace

TEST_CASE("url_source: count_url_lines(\"-\") counts a regular file on stdin from its offset, -1 for a pipe",
          "[url_source]") {
    SECTION("a regular file, partly read already: the rest is counted and the offset put back") {
        temp_file f("http://a/1\nhttp://a/2\n# c\nhttp://a/3\n");
        int fd = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
        REQUIRE(fd >= 0);
        REQUIRE(::lseek(fd, 11, SEEK_SET) == 11);  // past "http://a/1\n"
        stdin_from in(fd);
        CHECK(shoal::count_url_lines("-") == 2);
        CHECK(::lseek(STDIN_FILENO, 0, SEEK_CUR) == 11);
        ::close(fd);
    }
    SECTION("a pipe is not counted, and nothing is read from it") {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        REQUIRE(::write(fds[1], "http://a/1\n", 11) == 11);
        {
            stdin_from in(fds[0]);
            CHECK(shoal::count_url_lines("-") == -1);
        }
        char buf[32];
        CHECK(::read(fds[0], buf, sizeof buf) == 11);
        ::close(fds[0]);
        ::close(fds[1]);
    }
}
