// Tests for chunker: chunk sizes, chunk ids, skipping done lines on resume,
// the end of the input, dealing by host, and cutting lines that come over
// time (next_at_hand).
#include "shoal/chunker.hpp"
#include "shoal/error.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <random>
#include <set>
#include <string>
#include <utility>
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

// A pipe whose writing end the test holds, to hand the chunker lines over
// time. Closes what is still open when destroyed.
class held_pipe {
public:
    held_pipe() { REQUIRE(::pipe(fds_) == 0); }
    ~held_pipe() {
        close_write();
        ::close(fds_[0]);
    }
    held_pipe(const held_pipe&) = delete;
    held_pipe& operator=(const held_pipe&) = delete;
    int fd() const { return fds_[0]; }
    void put(const std::string& s) {
        REQUIRE(::write(fds_[1], s.data(), s.size()) == static_cast<ssize_t>(s.size()));
    }
    void close_write() {
        if (fds_[1] >= 0) ::close(fds_[1]);
        fds_[1] = -1;
    }

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

TEST_CASE("chunker: a list that fails to read partway hands out the lines read before, then throws",
          "[chunker]") {
    // "http://h/1\n" .. "http://h/9\n" are 11 bytes each: the read fails
    // (EIO, fault injection) after 100 bytes, in line 10.
    const std::string text = numbered_urls(20);
    ::setenv("SHOAL_FAULT_LIST_EIO_AFTER", "100", 1);
    for (bool at_hand : {false, true}) {
        INFO("next_at_hand: " << at_hand);
        list_pipe in(text);
        shoal::url_source src(in.fd(), "URL file test.txt");
        shoal::chunker ch(src, 1000);
        std::vector<std::uint64_t> got;
        bool threw = false;
        try {
            for (int calls = 0; calls < 100; ++calls) {
                auto c = at_hand ? ch.next_at_hand(std::chrono::steady_clock::now() + std::chrono::hours(1))
                                 : ch.next();
                if (!c) break;
                for (const auto& l : c->lines) got.push_back(l.number);
            }
        } catch (const shoal::setup_error& e) {
            threw = true;
            CHECK_THAT(e.what(), Catch::StartsWith("cannot read URL file test.txt: Input/output error"));
        }
        CHECK(threw);
        CHECK(got == std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9});
    }
    ::unsetenv("SHOAL_FAULT_LIST_EIO_AFTER");
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

TEST_CASE("chunker: next() says the input is exhausted once the last chunk is out", "[chunker]") {
    // Dealt 2 ways: windows of 6 lines. 10 lines: the second window meets the end.
    list_pipe in(numbered_urls(10));
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 3, nullptr, shoal::chunk_dealing{2, 1});
    std::size_t lines = 0;
    while (!chunks.exhausted()) {
        auto c = chunks.next();
        REQUIRE(c);
        lines += c->lines.size();
    }
    CHECK(lines == 10);  // exhausted right after the last, without another call
    CHECK_FALSE(chunks.next());
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
    shoal::chunker chunks(src, 4, [&asked](const shoal::input_line& l) {
        asked.push_back(l.number);
        return l.number % 3 == 0;  // lines 3, 6, 9, 12 are already done
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
    shoal::chunker chunks(src, 10, [](const shoal::input_line& l) { return l.number == 4; });
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
        shoal::chunker chunks(src, 2, [](const shoal::input_line&) { return true; });
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

namespace {

// The host of each line of a chunk, as the chunker groups them.
std::set<std::string> hosts_of(const shoal::chunk& c) {
    std::set<std::string> hosts;
    std::string h;
    for (const auto& l : c.lines) {
        shoal::detail::host_of_line(l.text, h);
        hosts.insert(h);
    }
    return hosts;
}

}  // namespace

TEST_CASE("chunker: host_of_line takes the host without userinfo, port or case", "[chunker]") {
    const std::pair<const char*, const char*> cases[] = {
        {"http://Example.COM/a", "example.com"},
        {"https://user:pw@example.com:8443/x?y#z", "example.com"},
        {"http://127.0.3.9:18080", "127.0.3.9"},
        {"http://[::1]:8080/p", "[::1]"},
        {"https://a.example?q=1", "a.example"},
        {"not a url", "not a url"},  // its own group
        {"http://", ""},
    };
    std::string h;
    for (const auto& [line, host] : cases) {
        INFO(line);
        shoal::detail::host_of_line(line, h);
        CHECK(h == host);
    }
}

TEST_CASE("chunker: dealing by host gives each host's lines to one chunk", "[chunker]") {
    // 2,000 lines over 40 hosts in round-robin order (the worst case for
    // consecutive chunks: every chunk would meet every host).
    std::string list;
    for (int i = 1; i <= 2000; ++i) list += "http://h" + std::to_string(i % 40) + ".test/" + std::to_string(i) + "\n";
    list_pipe in(list);
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 500, {}, shoal::chunk_dealing{4, 1});
    std::vector<shoal::chunk> got;
    while (auto c = chunks.next()) got.push_back(std::move(*c));
    REQUIRE(got.size() == 4);
    std::set<std::string> seen;
    std::set<std::uint64_t> numbers;
    for (const auto& c : got) {
        CHECK(c.lines.size() == 500);  // 40 hosts of 50 lines: 10 hosts each
        for (std::size_t i = 1; i < c.lines.size(); ++i) CHECK(c.lines[i - 1].number < c.lines[i].number);
        for (const auto& l : c.lines) {
            CHECK(l.text.substr(l.text.rfind('/') + 1) == std::to_string(l.number));
            numbers.insert(l.number);
        }
        auto hosts = hosts_of(c);
        CHECK(hosts.size() == 10);
        for (const auto& h : hosts) CHECK(seen.insert(h).second);  // in no other chunk
    }
    CHECK(numbers.size() == 2000);
    // Chunks are handed out by their first line, ids in that order.
    for (std::size_t i = 1; i < got.size(); ++i) {
        CHECK(got[i - 1].lines.front().number < got[i].lines.front().number);
        CHECK(got[i - 1].id < got[i].id);
    }
}

TEST_CASE("chunker: a host with more than a chunk's share is split, chunks stay within the size", "[chunker]") {
    // 900 lines of one host and 100 of others, dealt 2 ways with chunks of
    // at most 600: the big host fills one chunk and spills into the other.
    std::string list;
    for (int i = 1; i <= 1000; ++i)
        list += (i % 10 == 0 ? "http://other" + std::to_string(i) + ".test/" : std::string("http://big.test/")) +
                std::to_string(i) + "\n";
    list_pipe in(list);
    shoal::url_source src(in.fd());
    shoal::chunker chunks(src, 600, {}, shoal::chunk_dealing{2, 1});
    auto a = chunks.next();
    auto b = chunks.next();
    REQUIRE(a);
    REQUIRE(b);
    CHECK_FALSE(chunks.next());
    CHECK(a->lines.size() == 500);
    CHECK(b->lines.size() == 500);
    CHECK(hosts_of(*a).count("big.test") == 1);
    CHECK(hosts_of(*b).count("big.test") == 1);
    CHECK(hosts_of(*a).size() + hosts_of(*b).size() == 102);  // the 100 small hosts once each
}

TEST_CASE("chunker: dealing reads windows of ways x chunk_size lines, skips done lines, "
          "and does not cut below min_lines",
          "[chunker]") {
    std::string list;
    for (int i = 1; i <= 1000; ++i) list += "http://h" + std::to_string(i % 7) + ".test/" + std::to_string(i) + "\n";
    SECTION("windows") {
        list_pipe in(list);
        shoal::url_source src(in.fd());
        std::vector<std::uint64_t> asked;
        shoal::chunker chunks(
            src, 100, [&asked](const shoal::input_line& l) { asked.push_back(l.number); return l.number % 2 == 0; },
            shoal::chunk_dealing{3, 1});
        auto first = chunks.next();
        REQUIRE(first);
        CHECK(asked.size() == 599);  // 300 odd lines kept: the window is full at line 599
        std::size_t total = first->lines.size();
        std::uint64_t max_in_window = 0;
        for (const auto& l : first->lines) max_in_window = std::max(max_in_window, l.number);
        CHECK(max_in_window <= 599);
        while (auto c = chunks.next()) {
            CHECK(c->lines.size() <= 100);
            for (const auto& l : c->lines) CHECK(l.number % 2 == 1);
            total += c->lines.size();
        }
        CHECK(total == 500);
        CHECK(chunks.skipped() == 500);
    }
    SECTION("min_lines") {
        list_pipe in(list);
        shoal::url_source src(in.fd());
        // 1,000 lines, 8 ways, chunks of up to 1,000, but none below 400: 2 chunks.
        shoal::chunker chunks(src, 1000, {}, shoal::chunk_dealing{8, 400});
        std::vector<std::size_t> sizes;
        while (auto c = chunks.next()) sizes.push_back(c->lines.size());
        REQUIRE(sizes.size() == 2);
        CHECK(sizes[0] + sizes[1] == 1000);
    }
}

TEST_CASE("chunker: random lists dealt by host lose and repeat no line, chunks in order, within the size",
          "[chunker]") {
    std::minstd_rand rng(5);
    for (int round = 0; round < 60; ++round) {
        const int lines = 1 + static_cast<int>(rng() % 1500);
        const unsigned hosts = 1 + rng() % 60;
        const std::size_t size = 1 + rng() % 400;
        const unsigned ways = 1 + rng() % 6;
        const std::size_t min_lines = 1 + rng() % 50;
        // Skewed: host 0 takes about a third of the lines.
        std::string list;
        for (int i = 1; i <= lines; ++i) {
            unsigned h = rng() % 3 == 0 ? 0 : rng() % hosts;
            list += "http://H" + std::to_string(h) + ".test:80/" + std::to_string(i) + "\n";
        }
        INFO("round " << round << ": " << lines << " lines, " << hosts << " hosts, size " << size << ", ways "
                      << ways << ", min_lines " << min_lines);
        list_pipe in(list);
        shoal::url_source src(in.fd());
        shoal::chunker chunks(src, size, {}, shoal::chunk_dealing{ways, min_lines});
        std::set<std::uint64_t> seen;
        std::size_t total = 0;
        while (auto c = chunks.next()) {
            REQUIRE(!c->lines.empty());
            CHECK(c->lines.size() <= size);
            for (std::size_t i = 0; i < c->lines.size(); ++i) {
                if (i > 0) CHECK(c->lines[i - 1].number < c->lines[i].number);
                CHECK(seen.insert(c->lines[i].number).second);
            }
            total += c->lines.size();
        }
        CHECK(total == static_cast<std::size_t>(lines));
        CHECK(seen.size() == static_cast<std::size_t>(lines));
    }
}

TEST_CASE("chunker: next_at_hand cuts K lines at once, fewer once the first has waited, the rest at the end",
          "[chunker]") {
    using namespace std::chrono_literals;
    using shoal::chunker;
    held_pipe in;
    shoal::url_source src(in.fd());
    chunker chunks(src, 3, [](const shoal::input_line& l) { return l.number == 6; });  // line 6 is done
    auto numbers = [](const shoal::chunk& c) {
        std::vector<std::uint64_t> n;
        for (const auto& l : c.lines) n.push_back(l.number);
        return n;
    };
    const auto t0 = chunker::clock::now();

    CHECK_FALSE(chunks.next_at_hand(t0));  // nothing has come
    CHECK_FALSE(chunks.cut_due());
    CHECK_FALSE(chunks.exhausted());

    in.put("http://h/1\nhttp://h/2\n");
    CHECK_FALSE(chunks.next_at_hand(t0));
    REQUIRE(chunks.cut_due() == t0 + chunker::patience);
    CHECK_FALSE(chunks.next_at_hand(t0 + chunker::patience - 1ms));

    in.put("# 3\nhttp://h/4\nhttp://h/5\n");  // K lines at hand: cut at once
    auto c = chunks.next_at_hand(t0 + 10ms);
    REQUIRE(c);
    CHECK(numbers(*c) == std::vector<std::uint64_t>{1, 2, 4});
    const auto t1 = t0 + 20ms;  // line 5 is taken now, and waits from here
    CHECK_FALSE(chunks.next_at_hand(t1));
    REQUIRE(chunks.cut_due() == t1 + chunker::patience);
    in.put("http://h/6\n");  // done: skipped, so it neither waits nor counts
    CHECK_FALSE(chunks.next_at_hand(t1 + chunker::patience - 1ms));
    CHECK(chunks.skipped() == 1);
    auto d = chunks.next_at_hand(t1 + chunker::patience);  // waited long enough
    REQUIRE(d);
    CHECK(numbers(*d) == std::vector<std::uint64_t>{5});
    CHECK(d->id == c->id + 1);
    CHECK_FALSE(chunks.cut_due());

    in.put("http://h/7\n");
    in.close_write();  // the end cuts what has come at once
    auto e = chunks.next_at_hand(t1 + 1s);
    REQUIRE(e);
    CHECK(numbers(*e) == std::vector<std::uint64_t>{7});
    CHECK(chunks.exhausted());
    CHECK_FALSE(chunks.next_at_hand(t1 + 2s));
}

TEST_CASE("chunker: next_at_hand deals a window of ways x K lines by host, and a short one once it has waited",
          "[chunker]") {
    using namespace std::chrono_literals;
    using shoal::chunker;
    held_pipe in;
    shoal::url_source src(in.fd());
    chunker chunks(src, 4, {}, shoal::chunk_dealing{2, 2});  // 2 chunks of <= 4 lines from 8
    auto hosts = [](const shoal::chunk& c) {
        std::set<std::string> h;
        for (const auto& l : c.lines) h.insert(l.text.substr(0, l.text.find('/', 7)));
        return h;
    };
    const auto t0 = chunker::clock::now();
    // Lines 1-8 over hosts a, b, a, b, ...: a full window at once.
    std::string list;
    for (int i = 1; i <= 8; ++i) list += std::string("http://") + (i % 2 ? "a" : "b") + "/" + std::to_string(i) + "\n";
    in.put(list);
    auto c1 = chunks.next_at_hand(t0);
    auto c2 = chunks.next_at_hand(t0);
    REQUIRE(c1);
    REQUIRE(c2);
    CHECK(c1->lines.size() == 4);
    CHECK(c2->lines.size() == 4);
    CHECK(hosts(*c1).size() == 1);  // one host each
    CHECK(hosts(*c2).size() == 1);
    CHECK(hosts(*c1) != hosts(*c2));
    CHECK(c1->lines.front().number == 1);  // handed out by their first line
    CHECK_FALSE(chunks.next_at_hand(t0));

    // Three lines, then silence: too few to deal (fewer than 2 x 2), cut as
    // one chunk once the first has waited.
    in.put("http://a/9\nhttp://b/10\nhttp://c/11\n");
    CHECK_FALSE(chunks.next_at_hand(t0 + 1ms));
    CHECK_FALSE(chunks.next_at_hand(t0 + 1ms + chunker::patience - 1ms));
    auto c3 = chunks.next_at_hand(t0 + 1ms + chunker::patience);
    REQUIRE(c3);
    CHECK(c3->lines.size() == 3);
    in.close_write();
    CHECK_FALSE(chunks.next_at_hand(t0 + 2s));
    CHECK(chunks.exhausted());
}
