// Tests for host_pacer: the spacing of requests to one host, kept in memory
// that forked processes share.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "shoal/host_pacer.hpp"

using namespace std::chrono_literals;
using shoal::host_pacer;

TEST_CASE("host_pacer: requests to one host are spaced by the interval, other hosts apart", "[pacer]") {
    host_pacer pacer(10.0);  // 100 ms apart
    REQUIRE(pacer.interval() == 100ms);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(pacer.reserve("http://a:80", t0) == 0ns);
    CHECK(pacer.reserve("http://a:80", t0) == 100ms);
    CHECK(pacer.reserve("http://a:80", t0 + 50ms) == 150ms);  // its turn is t0 + 200 ms
    CHECK(pacer.reserve("http://b:80", t0) == 0ns);             // another host: its own turns
    CHECK(pacer.reserve("https://a:443", t0) == 0ns);           // another scheme and port too
    // Long after the last turn, a request goes at once and the next waits a full interval.
    CHECK(pacer.reserve("http://a:80", t0 + 10s) == 0ns);
    CHECK(pacer.reserve("http://a:80", t0 + 10s + 30ms) == 70ms);
}

TEST_CASE("host_pacer: a rate under one per second spaces by seconds", "[pacer]") {
    host_pacer pacer(0.5);
    CHECK(pacer.interval() == 2s);
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(pacer.reserve("http://a:80", t0) == 0ns);
    CHECK(pacer.reserve("http://a:80", t0 + 1s) == 1s);
}

TEST_CASE("host_pacer: processes forked after it share one schedule", "[pacer]") {
    host_pacer pacer(1000.0);  // 1 ms apart
    const auto t0 = std::chrono::steady_clock::now();
    constexpr int each = 200;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(fds[0]);
        for (int i = 0; i < each; ++i) {
            const std::int64_t w = pacer.reserve("http://shared:80", t0).count();
            if (::write(fds[1], &w, sizeof w) != sizeof w) ::_exit(1);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::vector<std::int64_t> waits;
    for (int i = 0; i < each; ++i) waits.push_back(pacer.reserve("http://shared:80", t0).count());
    std::int64_t w = 0;
    while (::read(fds[0], &w, sizeof w) == sizeof w) waits.push_back(w);
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    // Both processes asked at the same instant: together they got every turn
    // from 0 to 399 ms once, none twice.
    REQUIRE(waits.size() == 2 * each);
    std::sort(waits.begin(), waits.end());
    for (int i = 0; i < 2 * each; ++i) CHECK(waits[i] == std::int64_t{i} * 1'000'000);
}

TEST_CASE("host_pacer: a request may ask for a longer interval (a Crawl-delay), never a shorter one",
          "[pacer]") {
    host_pacer pacer(10.0);  // 100 ms apart
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(pacer.reserve("http://a:80", t0, 2s) == 0ns);
    CHECK(pacer.reserve("http://a:80", t0, 2s) == 2s);     // 2 s after the first
    CHECK(pacer.reserve("http://a:80", t0, 10ms) == 4s);   // 2 s after the second
    CHECK(pacer.reserve("http://a:80", t0) == 4100ms);     // 100 ms after the third
    // Without a rate of its own it spaces only what a request asks for.
    host_pacer none(0.0);
    CHECK(none.interval() == 0ns);
    CHECK(none.reserve("http://b:80", t0, 500ms) == 0ns);
    CHECK(none.reserve("http://b:80", t0, 500ms) == 500ms);
    CHECK(none.reserve("http://b:80", t0 + 2s) == 0ns);
    CHECK(none.reserve("http://b:80", t0 + 2s) == 0ns);
}

TEST_CASE("host_pacer: a turn held back to a time moves only later, and takes no turn itself", "[pacer]") {
    host_pacer pacer(10.0);  // 100 ms apart
    const auto t0 = std::chrono::steady_clock::now();
    CHECK(pacer.reserve("http://a:80", t0) == 0ns);  // robots.txt, say; the next turn is t0 + 100 ms
    pacer.hold_until("http://a:80", t0 + 1s);        // its Crawl-delay: 1 s
    CHECK(pacer.reserve("http://a:80", t0) == 1s);   // not 1.1 s
    CHECK(pacer.reserve("http://a:80", t0) == 1100ms);
    pacer.hold_until("http://a:80", t0 + 500ms);     // earlier than the next turn: no change
    CHECK(pacer.reserve("http://a:80", t0) == 1200ms);
}
