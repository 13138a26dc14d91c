// line_picker: the order lanes take lines in. No network: origins are busy or
// have a free connection as the test says.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "shoal/line_picker.hpp"

namespace {

using shoal::input_line;
using shoal::line_picker;
using shoal::picked_line;

std::vector<input_line> lines_of(const std::vector<std::string>& urls) {
    std::vector<input_line> v;
    for (std::size_t i = 0; i < urls.size(); ++i) v.push_back({i + 1, urls[i]});
    return v;
}

std::uint64_t number(const std::optional<picked_line>& p) {
    REQUIRE(p);
    return p->line->number;
}

// `lanes` lanes over 2,000 lines for `hosts` hosts, fetches ending in random
// order; a fetch to an origin without a free connection opens one.
struct simulation {
    std::multiset<std::uint64_t> seen;  // line numbers handed out
    std::size_t connections = 0;
    std::size_t most_waiting = 0;
    bool exhausted = false;
    std::multiset<std::uint64_t> given;  // line numbers given away
    std::vector<std::pair<std::size_t, std::size_t>> gives;  // (left before, given) per give_away()
};

// give_every > 0: after every give_every-th fetch, the picker gives lines away.
simulation simulate(std::size_t window, std::size_t lanes = 8, unsigned hosts = 23,
                    std::size_t give_every = 0) {
    simulation sim;
    std::minstd_rand rng(7);
    std::vector<std::string> urls;
    for (int i = 0; i < 2000; ++i)
        urls.push_back("http://h" + std::to_string(rng() % hosts) + "/p/" + std::to_string(i));
    auto lines = lines_of(urls);
    std::multiset<std::string> idle;  // free connections, as a fetcher keeps them
    line_picker picker(lines, window, [&](const std::string& o) { return idle.count(o) > 0; });
    std::vector<std::string> lane_origin(lanes);  // what each lane fetches now ("" = free)
    auto start = [&](std::size_t lane, const std::optional<picked_line>& p) {
        if (!p) return;
        sim.seen.insert(p->line->number);
        lane_origin[lane] = p->origin;
        auto it = idle.find(p->origin);
        if (it != idle.end()) idle.erase(it);
        else ++sim.connections;
    };
    for (std::size_t fetches = 1;; ++fetches) {
        if (give_every > 0 && fetches % give_every == 0) {
            const std::size_t before = picker.left();
            for (std::size_t i : picker.give_away()) sim.given.insert(lines[i].number);
            sim.gives.emplace_back(before, before - picker.left());
        }
        for (std::size_t lane = 0; lane < lane_origin.size(); ++lane)
            if (lane_origin[lane].empty()) start(lane, picker.next(""));
        sim.most_waiting = std::max(sim.most_waiting, picker.waiting());
        std::vector<std::size_t> busy;
        for (std::size_t i = 0; i < lane_origin.size(); ++i)
            if (!lane_origin[i].empty()) busy.push_back(i);
        if (busy.empty()) break;
        const std::size_t lane = busy[rng() % busy.size()];
        const std::string done = std::exchange(lane_origin[lane], "");
        idle.insert(done);
        start(lane, picker.next(done));
    }
    sim.exhausted = picker.exhausted();
    return sim;
}

}  // namespace

TEST_CASE("line_picker: distinct hosts go in file order", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://b/1", "https://a/1", "http://a:8080/1"});
    line_picker picker(lines, 10, [](const std::string&) { return false; });
    for (std::uint64_t n = 1; n <= 4; ++n) CHECK(number(picker.next("")) == n);
    CHECK(picker.exhausted());
    CHECK_FALSE(picker.next(""));
}

TEST_CASE("line_picker: a line for a busy origin waits for the lane that ends its fetch", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://a/2", "http://b/1", "http://a/3", "http://c/1"});
    line_picker picker(lines, 10, [](const std::string&) { return false; });
    auto first = picker.next("");
    CHECK(number(first) == 1);
    CHECK(first->origin == "http://a:80");
    CHECK_FALSE(picker.done_with("http://c:80"));  // c/1 is not looked at yet
    // a is busy with no free connection: a/2 waits, b/1 goes.
    CHECK(number(picker.next("")) == 3);
    CHECK(picker.waiting() == 1);
    // b's lane ends: nothing waits for b, so the next new line; a/3 waits too.
    CHECK(number(picker.next("http://b:80")) == 5);
    CHECK(picker.waiting() == 2);
    CHECK_FALSE(picker.exhausted());
    // Every line has been looked at: b and c get no more lines; a does.
    // b's fetch has ended; c/1's is in flight, and might still wait for a
    // connection.
    CHECK(picker.done_with("http://b:80"));
    CHECK_FALSE(picker.done_with("http://c:80"));
    CHECK_FALSE(picker.done_with("http://a:80"));
    // a's lane ends: a's lines go on it, in file order.
    CHECK(number(picker.next("http://a:80")) == 2);
    CHECK(number(picker.next("http://a:80")) == 4);
    CHECK(picker.exhausted());
    CHECK_FALSE(picker.done_with("http://a:80"));  // a/3 in flight
    CHECK_FALSE(picker.next("http://a:80"));
    CHECK(picker.done_with("http://a:80"));
    CHECK_FALSE(picker.next("http://c:80"));
    CHECK(picker.done_with("http://c:80"));
}

TEST_CASE("line_picker: an origin is done once its last line's fetch ends, before the rest is looked at",
          "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://b/1", "http://a/2", "http://c/1", "bad"});
    line_picker picker(lines, 10, [](const std::string&) { return false; });
    CHECK_FALSE(picker.done_with("http://b:80"));
    CHECK(number(picker.next("")) == 1);
    CHECK(number(picker.next("")) == 2);
    CHECK_FALSE(picker.done_with("http://b:80"));  // b/1 in flight
    // b's fetch ends; a/2 waits behind a/1, so c/1 goes.
    CHECK(number(picker.next("http://b:80")) == 4);
    CHECK(picker.done_with("http://b:80"));        // line 5 not looked at yet
    CHECK_FALSE(picker.done_with("http://a:80"));  // a/2 to come
    CHECK_FALSE(picker.done_with("http://c:80"));  // c/1 in flight
    // An origin no line names (a redirect's) is done only when every line is.
    CHECK_FALSE(picker.done_with("https://z:443"));
    CHECK(number(picker.next("http://c:80")) == 5);  // the bad line
    CHECK(picker.done_with("http://c:80"));
    CHECK_FALSE(picker.done_with("https://z:443"));  // a/2 still waits
    CHECK(number(picker.next("http://a:80")) == 3);
    CHECK(picker.done_with("https://z:443"));
    CHECK_FALSE(picker.done_with("http://a:80"));  // a/2 in flight
    CHECK_FALSE(picker.next("http://a:80"));
    CHECK(picker.done_with("http://a:80"));
}

TEST_CASE("line_picker: a busy origin with a free kept-alive connection does not wait", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://a/2"});
    line_picker picker(lines, 10, [](const std::string& o) { return o == "http://a:80"; });
    CHECK(number(picker.next("")) == 1);
    CHECK(number(picker.next("")) == 2);
    CHECK(picker.waiting() == 0);
}

TEST_CASE("line_picker: at most `window` lines wait, past it a line goes at once", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://a/2", "http://a/3", "http://a/4"});
    line_picker picker(lines, 2, [](const std::string&) { return false; });
    CHECK(number(picker.next("")) == 1);
    CHECK(number(picker.next("")) == 4);  // 2 and 3 wait, the window is full
    CHECK(picker.waiting() == 2);
    // Every line looked at: what waits goes to any lane, on a new connection.
    CHECK(number(picker.next("")) == 2);
    CHECK(number(picker.next("")) == 3);
    CHECK(picker.exhausted());
}

TEST_CASE("line_picker: bad URLs go at once, with no origin", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "not a url", "http://a/2", "ftp://a/"});
    line_picker picker(lines, 10, [](const std::string&) { return false; });
    CHECK(number(picker.next("")) == 1);
    auto bad = picker.next("");
    CHECK(number(bad) == 2);
    CHECK(bad->origin.empty());
    CHECK(std::holds_alternative<shoal::url_error>(bad->url));
    CHECK(number(picker.next("")) == 4);  // a/2 waits behind a/1
    CHECK(number(picker.next("http://a:80")) == 3);
}


TEST_CASE("line_picker: random lanes get every line exactly once, on fewer connections", "[line_picker]") {
    const simulation in_order = simulate(0);  // no line ever waits: file order
    const simulation picked = simulate(16);
    for (const auto* sim : {&in_order, &picked}) {
        CHECK(sim->exhausted);
        REQUIRE(sim->seen.size() == 2000);
        CHECK(std::set<std::uint64_t>(sim->seen.begin(), sim->seen.end()).size() == 2000);
    }
    CHECK(in_order.most_waiting == 0);
    CHECK(picked.most_waiting <= 16);
    INFO("connections in file order " << in_order.connections << ", picked " << picked.connections);
    CHECK(picked.connections * 3 < in_order.connections * 2);
    CHECK(picked.connections >= 23);
}

TEST_CASE("line_picker: many more lanes than hosts open fewer connections than file order",
          "[line_picker]") {
    // 400 lanes, 150 hosts: every line is looked at early and waits, and
    // lanes take from the longest queue; lanes moving between short queues
    // would each open a connection per move.
    const simulation in_order = simulate(0, 400, 150);
    const simulation picked = simulate(64 * 400, 400, 150);
    CHECK(picked.exhausted);
    REQUIRE(picked.seen.size() == 2000);
    INFO("connections in file order " << in_order.connections << ", picked " << picked.connections);
    CHECK(picked.connections < in_order.connections);
}

TEST_CASE("line_picker: once every line is looked at, the longest queue goes first", "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://b/1", "http://b/2", "http://a/2", "http://a/3",
                           "http://a/4", "http://b/3"});
    line_picker picker(lines, 10, [](const std::string&) { return false; });
    CHECK(number(picker.next("")) == 1);  // a
    CHECK(number(picker.next("")) == 2);  // b
    // The rest wait (a busy, b busy), every line is looked at, a has 3 waiting, b 2.
    CHECK(number(picker.next("")) == 4);
    CHECK(picker.waiting() == 4);
    CHECK(number(picker.next("")) == 3);  // 2 each now: either; b's is line 3
    CHECK(number(picker.next("http://b:80")) == 7);  // b's lane takes b's last
    CHECK(number(picker.next("")) == 5);
    CHECK(number(picker.next("")) == 6);
    CHECK(picker.exhausted());
}

TEST_CASE("line_picker: without open_more, a lane is not sent to a busy origin, but its own lines still go",
          "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://b/1", "http://a/2", "http://a/3", "http://b/2"});
    bool a_idle = false;
    line_picker picker(lines, 10, [&](const std::string& o) { return a_idle && o == "http://a:80"; });
    CHECK(number(picker.next("", false)) == 1);  // a: nobody fetches it yet
    CHECK(number(picker.next("", false)) == 2);  // b likewise
    // Every line looked at, all waiting for busy a and b: a third lane waits.
    CHECK_FALSE(picker.next("", false));
    CHECK_FALSE(picker.exhausted());
    CHECK(picker.waiting() == 3);
    // Allowed, it takes the longest queue (a's) on a new connection.
    CHECK(number(picker.next("", true)) == 3);
    // A lane whose fetch to b ended takes b's next line either way.
    CHECK(number(picker.next("http://b:80", false)) == 5);
    // b has no line left: that lane may not join a (busy, no free connection)...
    CHECK_FALSE(picker.next("http://b:80", false));
    // ...but may once a has a free kept-alive connection: none is opened.
    a_idle = true;
    CHECK(number(picker.next("", false)) == 4);
    CHECK(picker.exhausted());
    CHECK_FALSE(picker.next("", false));
}

TEST_CASE("line_picker: give_away hands over about half of what is left, whole origins, in file order",
          "[line_picker]") {
    // 4 hosts x 5 lines, interleaved, and a bad line: nothing handed out yet.
    std::vector<std::string> urls;
    for (int i = 0; i < 20; ++i) urls.push_back("http://h" + std::to_string(i % 4) + "/" + std::to_string(i));
    urls.push_back("not a url");
    auto lines = lines_of(urls);
    // Every origin has a free connection: nothing waits, lines go in file order.
    line_picker picker(lines, 100, [](const std::string&) { return true; });
    CHECK(picker.left() == 21);
    auto given = picker.give_away();
    REQUIRE(given.size() == 10);
    CHECK(std::is_sorted(given.begin(), given.end()));
    std::set<std::string> hosts;
    for (std::size_t i : given) hosts.insert(urls[i].substr(0, 9));
    CHECK(hosts == std::set<std::string>{"http://h0", "http://h1"});  // the first two, whole
    CHECK(picker.left() == 11);
    CHECK(picker.done_with("http://h0:80"));  // no line of h0 is left here
    CHECK_FALSE(picker.done_with("http://h2:80"));
    // The picker hands out exactly the rest: h2, h3 and the bad line.
    std::vector<std::uint64_t> rest;
    while (auto p = picker.next("")) rest.push_back(p->line->number);
    CHECK(rest == std::vector<std::uint64_t>{3, 4, 7, 8, 11, 12, 15, 16, 19, 20, 21});
    CHECK(picker.exhausted());
    CHECK(picker.left() == 0);
    CHECK(picker.give_away().empty());
}

TEST_CASE("line_picker: give_away splits an origin too large for half, giving its later lines",
          "[line_picker]") {
    std::vector<std::string> urls;
    for (int i = 0; i < 9; ++i) urls.push_back("http://big/" + std::to_string(i));
    urls.push_back("http://small/1");
    auto lines = lines_of(urls);
    line_picker picker(lines, 100, [](const std::string&) { return false; });
    CHECK(number(picker.next("")) == 1);  // big/0 in flight; the rest is left
    CHECK(picker.left() == 9);
    // Half of 9 is 4; small (1 line) fits but leaves a quarter unmet: big's last 3 go too.
    auto given = picker.give_away();
    CHECK(given == std::vector<std::size_t>{6, 7, 8, 9});
    CHECK(picker.left() == 5);
    std::vector<std::uint64_t> rest;
    for (std::string done = "http://big:80"; auto p = picker.next(done);) rest.push_back(p->line->number);
    CHECK(rest == std::vector<std::uint64_t>{2, 3, 4, 5, 6});
    CHECK(picker.exhausted());
}

TEST_CASE("line_picker: give_away takes lines that wait, ranked or not, and keeps bad URLs",
          "[line_picker]") {
    auto lines = lines_of({"http://a/1", "http://b/1", "http://a/2", "http://a/3", "http://b/2", "http://b/3",
                           "http://b/4", "bad"});
    line_picker picker(lines, 100, [](const std::string&) { return false; });
    CHECK(number(picker.next("")) == 1);  // a
    CHECK(number(picker.next("")) == 2);  // b
    CHECK(number(picker.next("")) == 8);  // every other line waits; the bad line goes
    CHECK(picker.waiting() == 5);         // a: 2, b: 3
    CHECK_FALSE(picker.next("", false));  // the queues are ranked now; no lane joins a busy one
    auto given = picker.give_away();      // half of 5: a's 2 waiting lines
    CHECK(given == std::vector<std::size_t>{2, 3});
    CHECK(picker.waiting() == 3);
    CHECK_FALSE(picker.done_with("http://a:80"));  // a/1 in flight, the rest given away
    CHECK(number(picker.next("http://a:80")) == 5);  // b's queue is the longest, and the only one
    CHECK(picker.done_with("http://a:80"));
    CHECK(number(picker.next("http://b:80")) == 6);
    CHECK(number(picker.next("http://b:80")) == 7);
    CHECK(picker.exhausted());

    auto lone = lines_of({"http://a/1", "bad", "worse"});
    line_picker one(lone, 100, [](const std::string&) { return false; });
    CHECK(one.give_away().empty());  // one fetchable line: nothing to share
    CHECK(one.left() == 3);
}

TEST_CASE("line_picker: lines given away mid-crawl are never handed out, and every line goes exactly once",
          "[line_picker]") {
    for (std::size_t every : {7u, 50u, 300u}) {
        const simulation sim = simulate(64 * 8, 8, 23, every);
        INFO("give_away after every " << every << " fetches");
        CHECK(sim.exhausted);
        std::multiset<std::uint64_t> all = sim.seen;
        all.insert(sim.given.begin(), sim.given.end());
        REQUIRE(all.size() == 2000);
        CHECK(std::set<std::uint64_t>(all.begin(), all.end()).size() == 2000);
        CHECK_FALSE(sim.given.empty());
        for (auto [before, gave] : sim.gives) {
            if (before >= 2) CHECK(gave * 4 >= before);  // at least a quarter
            CHECK(gave <= before / 2);                   // at most half
        }
    }
}
