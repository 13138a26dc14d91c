// Process-pool tests: the real `shoal crawl` binary's worker processes as
// `ps` sees them: bounded in number, titled by role, and a chunk whose last
// slow fetch is still running does not hold back the next chunk.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace {

using namespace std::chrono_literals;
using shoal::test::background_process;
using shoal::test::local_site;
using shoal::test::temp_dir;
using shoal::test::title_of;

}  // namespace

TEST_CASE("pool: workers are bounded, titled, and overlap at chunk boundaries", "[pool]") {
    local_site site;
    temp_dir dir;
    // 6 chunks of 5 lines; in each, one page takes 1.5 s and the others are fast.
    std::string text;
    for (int i = 1; i <= 30; ++i) {
        std::string path = "/p/" + std::to_string(i) + ".html";
        text += site.url(i % 5 == 1 ? "/slow/1500" + path : path) + "\n";
    }
    shoal::test::write_file(dir / "urls.txt", text);
    background_process shoal({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                              (dir / "out.jsonl").string(), "-p", "1", "-c", "5", "--chunk-size", "5"},
                             dir / "stdout", dir / "stderr");
    std::size_t most_workers = 0;
    bool saw_writer = false;
    std::string a_worker_title;
    std::optional<int> status;
    while (!(status = shoal.wait(50ms))) {
        auto workers = shoal::test::children_titled(shoal.pid(), "shoal: worker ");
        most_workers = std::max(most_workers, workers.size());
        if (!workers.empty() && a_worker_title.empty()) a_worker_title = title_of(workers.front());
        saw_writer = saw_writer || !shoal::test::children_titled(shoal.pid(), "shoal: writer").empty();
    }
    INFO(shoal::test::read_file(dir / "stderr"));
    CHECK(*status == 0);
    CHECK(shoal::test::read_jsonl(dir / "out.jsonl").size() == 30);
    CHECK(saw_writer);
    // One worker takes lines; one more may be finishing its last slow fetch.
    CHECK(most_workers == 2);
    CHECK(a_worker_title.rfind("shoal: worker 1 lines 1-5", 0) == 0);
}

TEST_CASE("pool: --per-host holds over all workers together", "[pool]") {
    auto max_active = [](const local_site& site) {
        auto stats = boost::json::parse(site.get("/stats")).as_object();
        return stats.at("max_active").to_number<int>();
    };
    auto run = [](const local_site& site, const temp_dir& dir, std::vector<std::string> extra) {
        // The site as localhost, with and without its last dot: one host, one budget.
        const std::string port = std::to_string(site.port());
        std::string text;
        for (int i = 1; i <= 60; ++i)
            text += (i % 2 == 0 ? "http://localhost:" : "http://localhost.:") + port + "/slow/150/p/" +
                    std::to_string(i) + ".html\n";
        shoal::test::write_file(dir / "urls.txt", text);
        std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                         (dir / "out.jsonl").string(), "-q", "-p", "3", "-c", "20",
                                         "--chunk-size", "10"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto r = shoal::test::run_process(argv, "", 120s);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        auto records = shoal::test::read_jsonl(dir / "out.jsonl");
        REQUIRE(records.size() == 60);
        for (const auto& rec : records) CHECK(rec.at("status") == 200);
    };
    {
        local_site site;
        temp_dir dir;
        run(site, dir, {"--per-host", "2"});
        CHECK(max_active(site) <= 2);
        CHECK(max_active(site) >= 1);
    }
    {
        // The same crawl without the limit does go wider, so the check above can fail.
        local_site site;
        temp_dir dir;
        run(site, dir, {});
        CHECK(max_active(site) > 2);
    }
}

TEST_CASE("pool: fetches waiting for --per-host room take the connection the last one left", "[pool]") {
    // 30 slow pages of one host at --per-host 1 and 64 lanes: the lanes
    // wait their turn, and each takes the kept-alive connection over.
    local_site site;
    temp_dir dir;
    std::string text;
    for (int i = 1; i <= 30; ++i) text += site.url("/slow/20/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       (dir / "out.jsonl").string(), "-q", "-p", "1", "-c", "64",
                                       "--per-host", "1", "--stats", (dir / "stats.json").string()},
                                      "", 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(shoal::test::read_jsonl(dir / "out.jsonl").size() == 30);
    auto fetch = boost::json::parse(shoal::test::read_file(dir / "stats.json")).at("fetch").as_object();
    CHECK(fetch.at("connections") == 1);
    CHECK(fetch.at("reused") == 29);
    auto served = boost::json::parse(site.get("/stats")).as_object();
    CHECK(served.at("connections").to_number<int>() == 2);  // shoal's one and this /stats request's
}

TEST_CASE("pool: a worker's fetches waiting for --per-host room go in the order they came", "[pool]") {
    // 24 lines of one host, 8 lanes, one slot: lines 2-8 wait in the queue
    // while line 1 is fetched. The lane that fetched line 1 takes line 9
    // and joins the queue behind them: the site sees the lines in order.
    // (The lane that released the slot took it back, and line 9 went second.)
    local_site site;
    temp_dir dir;
    std::string text;
    std::vector<std::string> paths;
    for (int i = 1; i <= 24; ++i) {
        paths.push_back("/slow/20/p/" + std::to_string(i) + ".html");
        text += site.url(paths.back()) + "\n";
    }
    shoal::test::write_file(dir / "urls.txt", text);
    // The CPU counts as having room, so the waiting lines go to idle lanes at once.
    auto r = shoal::test::run_process({"env", "SHOAL_FAULT_CPU_SATURATED=0", SHOAL_BINARY, "crawl",
                                       (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(), "-q",
                                       "-p", "1", "-c", "8", "--per-host", "1"},
                                      "", 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(shoal::test::read_jsonl(dir / "out.jsonl").size() == 24);
    std::vector<std::string> requested;
    const boost::json::value asked = boost::json::parse(site.get("/requested"));
    for (const auto& v : asked.as_array()) requested.emplace_back(v.as_string());
    CHECK(requested == paths);
}

TEST_CASE("pool: --per-host-rate spaces each host's requests over all workers together", "[pool]") {
    // Two hosts (two sites), 12 lines each, interleaved; chunks of 6
    // consecutive lines, so both workers fetch from both hosts at once.
    local_site a, b;
    temp_dir dir;
    std::string text;
    for (int i = 1; i <= 12; ++i)
        text += a.url("/p/" + std::to_string(i) + ".html") + "\n" + b.url("/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto r = shoal::test::run_process({"env", "SHOAL_FAULT_NO_DEALING=1", SHOAL_BINARY, "crawl",
                                       (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(),
                                       "-q", "-p", "2", "-c", "8", "--chunk-size", "6",
                                       "--per-host-rate", "10"},
                                      "", 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 24);
    for (const auto& rec : records) CHECK(rec.at("status") == 200);
    for (const local_site* site : {&a, &b}) {
        auto arrivals = boost::json::parse(site->get("/arrivals")).as_array();
        REQUIRE(arrivals.size() == 12);
        std::vector<double> t;
        for (const auto& v : arrivals) t.push_back(v.to_number<double>());
        std::sort(t.begin(), t.end());
        std::vector<double> gaps;
        for (std::size_t i = 1; i < t.size(); ++i) gaps.push_back(t[i] - t[i - 1]);
        INFO("gaps (s): " << boost::json::serialize(boost::json::value_from(gaps)));
        // Turns are 100 ms apart; a timer that fires late narrows one gap
        // and widens the next, so single gaps are checked loosely and the
        // whole span (11 turns) closely.
        CHECK(*std::min_element(gaps.begin(), gaps.end()) >= 0.05);
        CHECK(t.back() - t.front() >= 1.05);
        // Each host keeps its own turns: with one schedule for both, every
        // gap would be 200 ms.
        std::sort(gaps.begin(), gaps.end());
        CHECK(gaps[gaps.size() / 2] < 0.18);
    }
}

TEST_CASE("pool: hundreds of short-lived workers settle cleanly", "[pool]") {
    // Input-error lines finish at once, so workers exit while the writer is
    // still draining their pipes: the supervisor must not start more than it
    // can track (a regression: it once overran its ledger table).
    temp_dir dir;
    std::string text;
    for (int i = 1; i <= 3000; ++i) text += "http://127.0.0.1:0/p/" + std::to_string(i) + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       (dir / "out.jsonl").string(), "-q", "-p", "2",
                                       "--chunk-size", "5", "--per-host", "4"},
                                      "", 120s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 3000);
    std::set<std::int64_t> lines;
    for (const auto& rec : records) {
        lines.insert(rec.at("line").to_number<std::int64_t>());
        CHECK(rec.at("error").at("stage") == "input");
    }
    CHECK(lines.size() == 3000);
}

TEST_CASE("pool: without --chunk-size, chunks hold 10,000 lines or 10 per fetch in flight", "[pool]") {
    // 25,000 lines that fail at once (port 0): the workers started say how
    // the list was cut. Nothing is handed back, so that they say only that.
    temp_dir dir;
    std::string text;
    for (int i = 1; i <= 25000; ++i) text += "http://127.0.0.1:0/p/" + std::to_string(i) + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto workers_started = [&](std::vector<std::string> options) {
        std::vector<std::string> argv = {"env",  "SHOAL_FAULT_NO_HAND_BACK=1", SHOAL_BINARY, "crawl",
                                         (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(),
                                         "-q", "-p", "1", "--stats", (dir / "stats.json").string()};
        argv.insert(argv.end(), options.begin(), options.end());
        auto r = shoal::test::run_process(argv, "", 120s);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(shoal::test::read_jsonl(dir / "out.jsonl").size() == 25000);
        const auto stats = boost::json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
        return stats.at("workers").at("started").to_number<int>();
    };
    CHECK(workers_started({"-c", "100"}) == 3);                            // 10,000 a chunk
    CHECK(workers_started({"-c", "2000"}) == 2);                           // 20,000 a chunk
    CHECK(workers_started({"-c", "2000", "--chunk-size", "5000"}) == 5);  // as given
}
