// Tests for chunker: chunk sizes, chunk ids, skipping done lines on resume,
// and the end of the input.
#include "shoal/chunker.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

namespace {

// A URL list in a pipe, small enough to fit the pipe buffer, so the test can
// write it all before reading. Closes both ends when destroyed.
class list_pipe {
public:
    explicit list_pipe(const std::string& content) {
        REQUIRE(content.size() < 60000);
        REQUIRE(::pipe(fds_) == 0);
        REQUIRE(::write(fds_[1], content.data(), content.size()) == static_cast<ssize_t>(content.size()));
        ::close(fds_[1]);
    }
    ~list_pipe() { ::close(fds_[0]); }
    list_pipe(const list_pipe&) = delete;
    list_pipe& operator=(const list_pipe&) = delete;
    int fd() const { return fds_[0]; }

private:
    int fds_[2];
};

// n URL lines "http://h/<i>", numbered 1..n.
std::string numbered_urls(int n) {
    std::string s;
    for (int i = 1; i <= n; ++i) s += "http://h/" + std::to_string(i) + "\n";
    return s;
}

}  // namespace

TEST_CASE("chunker: chunks hold at most chunk_size lines, in order", "[chunker]") {
    list_pipe in(numbered_urls(10));
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 3);
    std::vector<std::size_t> sizes;
    std::vector<std::uint64_t> numbers;
    while (auto c = chunks.next()) {
        sizes.push_back(c->lines.size());
        CHECK(c->deaths == 0);
        for (const auto& l : c->lines) {
            CHECK(l.text == "http://h/" + std::to_string(l.number));
            numbers.push_back(l.number);
        }
    }
    CHECK(sizes == std::vector<std::size_t>{3, 3, 3, 1});
    std::vector<std::uint64_t> want(10);
    for (std::size_t i = 0; i < want.size(); ++i) want[i] = i + 1;
    CHECK(numbers == want);
    CHECK(chunks.skipped() == 0);
}

TEST_CASE("chunker: an exact multiple gives no empty trailing chunk", "[chunker]") {
    list_pipe in(numbered_urls(6));
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 3);
    auto a = chunks.next();
    auto b = chunks.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK(a->lines.size() == 3);
    CHECK(b->lines.size() == 3);
    CHECK_FALSE(chunks.next());
    CHECK_FALSE(chunks.next());  // stays exhausted
}

TEST_CASE("chunker: ids increase and new_id continues the sequence", "[chunker]") {
    list_pipe in(numbered_urls(7));
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 2);
    std::vector<std::uint64_t> ids;
    while (auto c = chunks.next()) ids.push_back(c->id);
    REQUIRE(ids.size() == 4);
    for (std::size_t i = 1; i < ids.size(); ++i) CHECK(ids[i] > ids[i - 1]);
    std::set<std::uint64_t> unique(ids.begin(), ids.end());
    CHECK(unique.size() == ids.size());
    // Ids for re-runs never collide with those already handed out.
    const std::uint64_t rerun = chunks.new_id();
    CHECK(rerun > ids.back());
    CHECK(chunks.new_id() > rerun);
}

TEST_CASE("chunker: skipped (done) lines are left out and do not shrink chunks", "[chunker]") {
    list_pipe in(numbered_urls(12));
    shoal::url_source src(in.fd());
    std::vector<std::uint64_t> asked;
    shoal::chunker chunks(src, 4, [&asked](std::uint64_t n) {
        asked.push_back(n);
        return n % 3 == 0;  // lines 3, 6, 9, 12 are already done
    });
    std::vector<std::vector<std::uint64_t>> got;
    while (auto c = chunks.next()) {
        got.emplace_back();
        for (const auto& l : c->lines) got.back().push_back(l.number);
    }
    const std::vector<std::vector<std::uint64_t>> want{{1, 2, 4, 5}, {7, 8, 10, 11}};
    CHECK(got == want);
    CHECK(chunks.skipped() == 4);
    CHECK(asked.size() == 12);
}

TEST_CASE("chunker: skip sees the file's line numbers, not the usable line count", "[chunker]") {
    list_pipe in("# header\n\nhttp://h/3\nhttp://h/4\n\nhttp://h/6\n");
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 10, [](std::uint64_t n) { return n == 4; });
    auto c = chunks.next();
    REQUIRE(c);
    REQUIRE(c->lines.size() == 2);
    CHECK(c->lines[0].number == 3);
    CHECK(c->lines[0].text == "http://h/3");
    CHECK(c->lines[1].number == 6);
    CHECK(chunks.skipped() == 1);
    CHECK_FALSE(chunks.next());
}

TEST_CASE("chunker: all lines done or empty input gives no chunk", "[chunker]") {
    SECTION("everything skipped") {
        list_pipe in(numbered_urls(5));
        shoal::url_source src(in.fd());
        shoal::chunker chunks(src, 2, [](std::uint64_t) { return true; });
        CHECK_FALSE(chunks.next());
        CHECK(chunks.skipped() == 5);
    }
    SECTION("empty input") {
        list_pipe in("");
        shoal::url_source src(in.fd());
        shoal::chunker chunks(src, 2);
        CHECK_FALSE(chunks.next());
        CHECK(chunks.skipped() == 0);
    }
}

TEST_CASE("chunker: a chunk size of one", "[chunker]") {
    list_pipe in(numbered_urls(3));
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 1);
    for (std::uint64_t n = 1; n <= 3; ++n) {
        auto c = chunks.next();
        REQUIRE(c);
        REQUIRE(c->lines.size() == 1);
        CHECK(c->lines[0].number == n);
    }
    CHECK_FALSE(chunks.next());
}
