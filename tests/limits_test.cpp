// Resource-limit tests: the real `shoal crawl` under low open-file limits
// (prlimit), and a worker that runs out of descriptors mid-run. Concurrency
// that cannot fit is clamped with a warning; a fetch that meets EMFILE waits
// for a descriptor instead of failing its URL.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using shoal::test::background_process;
using shoal::test::local_site;
using shoal::test::temp_dir;

fs::path write_urls(const temp_dir& dir, const local_site& site, const std::string& prefix, int n) {
    std::string text;
    for (int i = 1; i <= n; ++i) text += site.url(prefix + "/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    return dir / "urls.txt";
}

// `prlimit --nofile=SOFT:HARD shoal crawl URLS -o OUT -q OPTIONS...`
std::vector<std::string> limited_crawl(const std::string& nofile, const fs::path& urls,
                                       const fs::path& out, const std::vector<std::string>& options) {
    std::vector<std::string> argv = {"prlimit", "--nofile=" + nofile, SHOAL_BINARY, "crawl",
                                     urls.string(), "-o", out.string(), "-q"};
    argv.insert(argv.end(), options.begin(), options.end());
    return argv;
}

// Every line 1..n has exactly one record: the product page, no error.
// Returns the records by line.
std::map<std::int64_t, json::object> require_all_pages(const fs::path& out, int n) {
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) {
        auto line = rec.at("line").to_number<std::int64_t>();
        INFO("duplicate record for line " << line);
        REQUIRE(by_line.count(line) == 0);
        by_line.emplace(line, std::move(rec));
    }
    REQUIRE(by_line.size() == static_cast<std::size_t>(n));
    for (int i = 1; i <= n; ++i) {
        auto it = by_line.find(i);
        REQUIRE(it != by_line.end());
        INFO(json::serialize(it->second));
        CHECK(it->second.at("status") == 200);
        CHECK(it->second.at("error").is_null());
        CHECK(json::value_to<std::string>(it->second.at("title")) ==
              "Product " + std::to_string(i) + " | Test Shop");
    }
    return by_line;
}

// "Max open files" soft and hard limits of a process, from /proc/PID/limits.
std::pair<std::string, std::string> open_file_limits(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("Max open files", 0) != 0) continue;
        std::istringstream rest(line.substr(14));
        std::string soft, hard;
        rest >> soft >> hard;
        return {soft, hard};
    }
    return {};
}

}  // namespace

TEST_CASE("limits: --concurrency that does not fit a 256-descriptor limit is clamped with a warning",
          "[limits]") {
    local_site site;
    temp_dir dir;
    const int n = 200;
    auto urls = write_urls(dir, site, "/slow/300", n);
    const fs::path out = dir / "out.jsonl";
    auto r = shoal::test::run_process(
        limited_crawl("256:256", urls, out, {"-c", "2000", "-p", "2", "--chunk-size", "100"}), "", 120s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    auto lines = shoal::test::nonempty_lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] ==
          "shoal: warning: 2000 fetches in flight per worker (--concurrency) do not fit the "
          "open-file limit 256; using 96");
    require_all_pages(out, n);
    // 96 lanes per worker, 100 lines per worker, 0.3 s a page: about two rounds.
    CHECK(r.elapsed < 30s);
}

TEST_CASE("limits: --processes that does not fit a small open-file limit is clamped, one too small for one "
          "worker refused",
          "[limits]") {
    local_site site;
    temp_dir dir;
    const int n = 40;
    auto urls = write_urls(dir, site, "", n);
    const fs::path out = dir / "out.jsonl";
    // 32 descriptors: 12 for the run, 4 per worker, so 5 workers, not 16.
    auto r = shoal::test::run_process(limited_crawl("32:32", urls, out, {"-p", "16", "--chunk-size", "1"}), "", 120s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("shoal: warning: 16 worker processes (--processes) do not fit the "
                                      "open-file limit 32; using 5"));
    require_all_pages(out, n);

    auto tiny = shoal::test::run_process(limited_crawl("10:10", urls, dir / "tiny.jsonl", {}), "", 60s);
    INFO(tiny.err);
    CHECK(tiny.exit_code == 1);
    CHECK_THAT(tiny.err, Catch::Contains("the open-file limit is 10 (ulimit -n) and cannot be raised; shoal needs at "
                                         "least 16"));
    CHECK_FALSE(fs::exists(dir / "tiny.jsonl"));
}

TEST_CASE("limits: the soft open-file limit is raised to the hard limit at start", "[limits]") {
    local_site site;
    temp_dir dir;
    const int n = 40;
    auto urls = write_urls(dir, site, "/slow/1500", n);
    const fs::path out = dir / "out.jsonl";
    // A soft limit of 256 would clamp -c 1000; the hard limit of 4096 fits it.
    background_process shoal(limited_crawl("256:4096", urls, out, {"-c", "1000", "-p", "1"}),
                             dir / "stdout", dir / "stderr");
    std::pair<std::string, std::string> worker_limits;
    for (int i = 0; i < 100 && worker_limits.first.empty(); ++i) {
        std::this_thread::sleep_for(50ms);
        for (pid_t w : shoal::test::children_titled(shoal.pid(), "shoal: worker"))
            worker_limits = open_file_limits(w);
    }
    auto supervisor_limits = open_file_limits(shoal.pid());
    auto status = shoal.wait(60s);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(supervisor_limits.first == "4096");
    CHECK(worker_limits.first == "4096");
    CHECK(worker_limits.second == "4096");
    CHECK(err.find("does not fit") == std::string::npos);
    require_all_pages(out, n);
}

TEST_CASE("limits: a worker out of file descriptors mid-run waits and fetches again", "[limits]") {
    // SHOAL_FAULT_HOLD_FDS=2: after its first record, the worker opens
    // descriptors until EMFILE and holds them for 2 s. Every page closes its
    // connection, so each fetch needs a new socket and meets EMFILE while
    // they are held. It must wait, not fail: no error record, no crash, and
    // no retry used up (--retries 0).
    local_site site;
    temp_dir dir;
    const int n = 80;
    auto urls = write_urls(dir, site, "/close", n);
    const fs::path out = dir / "out.jsonl";
    std::vector<std::string> argv = {"env", "SHOAL_FAULT_HOLD_FDS=2"};
    auto crawl = limited_crawl("512:512", urls, out,
                               {"-p", "1", "-c", "4", "--retries", "0", "--timeout", "5"});
    argv.insert(argv.end(), crawl.begin(), crawl.end());
    auto r = shoal::test::run_process(argv, "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("fault injection: holding") != std::string::npos);
    CHECK(r.err.find("(Too many open files)") != std::string::npos);  // the hold did reach EMFILE
    CHECK(r.err.find("out of file descriptors") != std::string::npos);
    auto by_line = require_all_pages(out, n);
    // The fetches that met EMFILE waited out the hold.
    int waited = 0;
    for (const auto& [line, rec] : by_line)
        if (rec.at("elapsed_ms").to_number<double>() >= 1500.0) ++waited;
    CHECK(waited >= 1);
    CHECK(r.elapsed < 30s);
}
