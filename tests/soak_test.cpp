// Fault-injection soak: the real `shoal crawl` over thousands of URLs while
// workers are SIGKILLed at random, and while the whole process group is
// SIGKILLed at random moments and the crawl resumed, again and again. Each
// final output must hold exactly one record per line, identical (apart from
// timings) to an undisturbed run's.
#include <catch2/catch.hpp>

#include <signal.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using shoal::test::background_process;
using shoal::test::local_site;
using shoal::test::temp_dir;

// 4,000 URLs by default; SHOAL_SOAK_URLS=30000 for a longer soak (README).
int soak_url_count() {
    const char* v = std::getenv("SHOAL_SOAK_URLS");
    int n = v != nullptr ? std::atoi(v) : 0;
    return n >= 500 ? n : 4000;
}

// line -> the record without its timing; REQUIREs one record per line.
std::map<std::int64_t, std::string> comparable(const fs::path& out) {
    std::map<std::int64_t, std::string> by_line;
    for (auto rec : shoal::test::read_jsonl(out)) {
        auto line = rec.at("line").to_number<std::int64_t>();
        rec.erase("elapsed_ms");
        INFO("duplicate record for line " << line);
        REQUIRE(by_line.count(line) == 0);
        by_line.emplace(line, json::serialize(rec));
    }
    return by_line;
}

std::vector<std::string> args(const fs::path& urls, const fs::path& out, bool resume) {
    std::vector<std::string> a = {SHOAL_BINARY, "crawl", urls.string(), "-o", out.string(), "-q",
                                  "-p", "2", "-c", "32", "--chunk-size", "400", "--retries", "0"};
    if (resume) a.push_back("--resume");
    return a;
}

void require_same(const std::map<std::int64_t, std::string>& got,
                  const std::map<std::int64_t, std::string>& want) {
    REQUIRE(got.size() == want.size());
    for (const auto& [line, rec] : want) {
        auto it = got.find(line);
        REQUIRE(it != got.end());
        CHECK(it->second == rec);
    }
}

}  // namespace

TEST_CASE("soak: random worker kills and process-group kills lose and duplicate nothing",
          "[soak]") {
    local_site site;
    temp_dir dir;
    const int url_count = soak_url_count();
    std::string text;
    for (int i = 1; i <= url_count; ++i) {
        // A mix of pages, redirects, gzip and errors, so records differ.
        std::string n = std::to_string(i);
        std::string path = i % 10 == 3 ? "/redirect/1/p/" + n + ".html"
                           : i % 10 == 5 ? "/gzip/p/" + n + ".html"
                           : i % 50 == 7 ? "/status/404"
                                         : "/p/" + n + ".html";
        text += site.url(path) + "\n";
        if (i % 500 == 0) text += "not a url " + n + "\n";
    }
    shoal::test::write_file(dir / "urls.txt", text);
    const fs::path urls = dir / "urls.txt";

    // The undisturbed run.
    const auto limit = std::chrono::seconds(120 + url_count / 100);
    auto calm = shoal::test::run_process(args(urls, dir / "calm.jsonl", false), "", limit);
    INFO(calm.err);
    REQUIRE(calm.exit_code == 0);
    const auto want = comparable(dir / "calm.jsonl");
    REQUIRE(want.size() == static_cast<std::size_t>(url_count + url_count / 500));

    std::mt19937 rng(20261122);
    SECTION("workers SIGKILLed at random") {
        background_process shoal(args(urls, dir / "out.jsonl", false), dir / "stdout", dir / "stderr");
        int kills = 0;
        std::optional<int> status;
        while (!(status = shoal.wait(std::chrono::milliseconds(60 + rng() % 120)))) {
            // Workers running a single line are left alone: a line that dies
            // alone max_deaths times is, by design, a poison line (crash record).
            std::vector<pid_t> workers;
            for (pid_t w : shoal::test::children_titled(shoal.pid(), "shoal: worker")) {
                const std::string title = shoal::test::title_of(w);
                auto range = title.substr(title.rfind(' ') + 1);
                auto dash = range.find('-');
                if (dash != std::string::npos && range.substr(0, dash) != range.substr(dash + 1))
                    workers.push_back(w);
            }
            if (workers.empty() || kills >= std::max(8, url_count / 1000)) continue;
            ::kill(workers[rng() % workers.size()], SIGKILL);
            ++kills;
        }
        INFO(shoal::test::read_file(dir / "stderr"));
        CHECK(*status == 0);
        CHECK(kills > 0);
        require_same(comparable(dir / "out.jsonl"), want);
    }
    SECTION("the whole process group SIGKILLed at random, then resumed") {
        int rounds = 0;
        for (; rounds < 6; ++rounds) {
            background_process shoal(args(urls, dir / "out.jsonl", rounds > 0), dir / "stdout",
                                     dir / "stderr");
            auto status = shoal.wait(std::chrono::milliseconds(200 + rng() % 600));
            if (status) {
                INFO("round " << rounds << " ended by itself");
                INFO(shoal::test::read_file(dir / "stderr"));
                REQUIRE(*status == 0);
                break;
            }
            ::kill(-shoal.pid(), SIGKILL);
            REQUIRE(shoal.wait(10s).has_value());
            // Reaping the supervisor does not mean its writer has ended: each
            // process of the group dies on its own time, and on a loaded
            // machine the writer can still hold the output's lock when the
            // next run starts, which that run then refuses (exit 2, as the
            // README says). The next run starts once the lock is free.
            INFO("round " << rounds << ": the killed run's writer still holds the lock on out.jsonl");
            REQUIRE(shoal::test::wait_until_unlocked(dir / "out.jsonl", 30s));
        }
        if (rounds == 6) {
            auto last = shoal::test::run_process(args(urls, dir / "out.jsonl", true), "", limit);
            INFO(last.err);
            REQUIRE(last.exit_code == 0);
        }
        require_same(comparable(dir / "out.jsonl"), want);
    }
}
