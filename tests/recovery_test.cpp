// Recovery tests: the real `shoal crawl` binary with workers killed under it,
// interrupted by SIGINT and resumed, resuming from a torn output file, and the
// writer killed or its file full mid-run.
// Each run checks for exactly one record per URL line.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
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

std::vector<std::string> slow_pages(const local_site& site, int n, int ms) {
    std::vector<std::string> urls;
    for (int i = 1; i <= n; ++i)
        urls.push_back(site.url("/slow/" + std::to_string(ms) + "/p/" + std::to_string(i) + ".html"));
    return urls;
}

fs::path write_urls(const temp_dir& dir, const std::vector<std::string>& urls) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    return dir / "urls.txt";
}

// line -> record; fails the test on a duplicate line.
std::map<std::int64_t, json::object> records_by_line(const fs::path& out) {
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) {
        auto line = rec.at("line").to_number<std::int64_t>();
        INFO("duplicate record for line " << line);
        REQUIRE(by_line.count(line) == 0);
        by_line.emplace(line, std::move(rec));
    }
    return by_line;
}

// Every line 1..n has one record: status 200 and the page's own title.
void require_all_pages(const std::map<std::int64_t, json::object>& by_line, int n) {
    REQUIRE(by_line.size() == static_cast<std::size_t>(n));
    for (int i = 1; i <= n; ++i) {
        auto it = by_line.find(i);
        REQUIRE(it != by_line.end());
        INFO(json::serialize(it->second));
        CHECK(it->second.at("status") == 200);
        CHECK(json::value_to<std::string>(it->second.at("title")) ==
              "Product " + std::to_string(i) + " | Test Shop");
    }
}

std::vector<std::string> crawl_args(const fs::path& urls, const fs::path& out,
                                    std::vector<std::string> extra) {
    std::vector<std::string> argv = {SHOAL_BINARY, "crawl", urls.string(), "-o", out.string(), "-q"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

// `shoal crawl` in the background over n pages of site that take ms each,
// writing dir/out.jsonl (stdout and stderr beside it).
background_process slow_crawl(const local_site& site, const temp_dir& dir, int n, int ms,
                              std::vector<std::string> extra) {
    auto urls = write_urls(dir, slow_pages(site, n, ms));
    return background_process(crawl_args(urls, dir / "out.jsonl", std::move(extra)), dir / "stdout",
                              dir / "stderr");
}

// Waits up to `timeout` for a run that was told to stop, and returns its
// stderr (dir/stderr) once it has exited with 3 (interrupted).
// The run's worker processes, once there are `count` of them (up to 10 s).
std::vector<pid_t> workers_of(const background_process& run, std::size_t count) {
    std::vector<pid_t> workers;
    for (int i = 0; i < 200 && workers.size() < count; ++i) {
        std::this_thread::sleep_for(50ms);
        workers = shoal::test::children_titled(run.pid(), "shoal: worker");
    }
    return workers;
}

// `--resume` of the run in dir finishes it: every one of its n pages once.
void resume_finishes(const temp_dir& dir, int n) {
    auto r = shoal::test::run_process(crawl_args(dir / "urls.txt", dir / "out.jsonl", {"--resume"}), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(dir / "out.jsonl"), n);
}

std::string stopped_run_err(background_process& run, const temp_dir& dir, std::chrono::milliseconds timeout) {
    const auto status = run.wait(timeout);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    return err;
}

// The lines of the records a FIFO's reader wrote to `got`, each checked
// to come once.
std::set<std::int64_t> lines_once(const fs::path& got) {
    std::set<std::int64_t> lines;
    for (const auto& rec : shoal::test::read_jsonl(got))
        CHECK(lines.insert(rec.at("line").to_number<std::int64_t>()).second);
    return lines;
}

}  // namespace

TEST_CASE("recovery: SIGKILLed workers lose no line and duplicate none", "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 400;
    background_process shoal = slow_crawl(site, dir, n, 100, {"-p", "2", "-c", "10", "--chunk-size", "60"});
    // Kill a few workers while they have fetches in flight.
    int killed = 0;
    for (int round = 0; round < 40 && killed < 3; ++round) {
        std::this_thread::sleep_for(300ms);
        auto workers = shoal::test::children_titled(shoal.pid(), "shoal: worker");
        if (workers.empty()) continue;
        ::kill(workers.front(), SIGKILL);
        ++killed;
    }
    auto status = shoal.wait(60s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(killed >= 1);
    require_all_pages(records_by_line(dir / "out.jsonl"), n);
    CHECK(shoal::test::read_file(dir / "stderr").find("without a record run") != std::string::npos);
}

TEST_CASE("recovery: a line that kills every worker ends as a crash record", "[recovery]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int i = 1; i <= 30; ++i) lines.push_back(site.url("/p/" + std::to_string(i) + ".html"));
    lines[16] = site.url("/p/17.html?poison=1");
    auto urls = write_urls(dir, lines);
    auto argv = crawl_args(urls, dir / "out.jsonl", {"-p", "2", "-c", "4", "--chunk-size", "10"});
    std::vector<std::string> env_argv = {"env", "SHOAL_FAULT_ABORT_URL=poison"};
    env_argv.insert(env_argv.end(), argv.begin(), argv.end());
    auto r = shoal::test::run_process(env_argv, "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    auto by_line = records_by_line(dir / "out.jsonl");
    REQUIRE(by_line.size() == 30);
    for (const auto& [line, rec] : by_line) {
        INFO(json::serialize(rec));
        if (line == 17) {
            CHECK(rec.at("error").at("stage") == "crash");
            CHECK(rec.at("status").is_null());
        } else {
            CHECK(rec.at("status") == 200);
        }
    }
}

TEST_CASE("recovery: Ctrl-C stops with exit 3 and --resume finishes exactly once", "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 300;
    auto urls = write_urls(dir, slow_pages(site, n, 150));
    const fs::path out = dir / "out.jsonl";
    {
        background_process shoal(crawl_args(urls, out, {"-p", "2", "-c", "5", "--chunk-size", "50"}),
                                 dir / "stdout", dir / "stderr");
        std::this_thread::sleep_for(1500ms);
        ::kill(-shoal.pid(), SIGINT);  // the whole group, as Ctrl-C in a terminal does
        auto status = shoal.wait(30s);
        INFO(shoal::test::read_file(dir / "stderr"));
        REQUIRE(status.has_value());
        CHECK(*status == 3);
        CHECK(shoal::test::read_file(dir / "stderr").find("--resume") != std::string::npos);
    }
    auto partial = records_by_line(out);
    CHECK(partial.size() > 0);
    CHECK(partial.size() < static_cast<std::size_t>(n));

    const fs::path stats = dir / "stats.json";
    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume", "--stats", stats.string()}), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(out), n);
    // The resumed run's counts are its own records; already_done the ones before.
    const auto summary = json::parse(shoal::test::read_file(stats)).as_object();
    CHECK(summary.at("already_done").to_number<std::size_t>() == partial.size());
    CHECK(summary.at("records").to_number<std::size_t>() == n - partial.size());
}

TEST_CASE("recovery: Ctrl-C does not wait out --grace for fetches that wait for their turn", "[recovery]") {
    // One request every 5 s to the host: line 1 goes at once, line 2 waits
    // for its turn, line 3 is not started. The grace is for requests sent;
    // the waiting fetch ends at once, without a record, left for --resume.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html"), site.url("/p/3.html")});
    const fs::path out = dir / "out.jsonl";
    const std::vector<std::string> pacing = {"-p", "1", "--per-host-rate", "0.2", "--grace", "120"};
    {
        background_process shoal(crawl_args(urls, out, pacing), dir / "stdout", dir / "stderr");
        auto first_written = [&] { return fs::exists(out) && !shoal::test::read_file(out).empty(); };
        for (int i = 0; i < 200 && !first_written(); ++i) std::this_thread::sleep_for(50ms);
        REQUIRE(records_by_line(out).size() == 1);
        ::kill(-shoal.pid(), SIGINT);
        auto status = shoal.wait(60s);  // the grace would keep it 120 s
        INFO(shoal::test::read_file(dir / "stderr"));
        REQUIRE(status.has_value());
        CHECK(*status == 3);
    }
    CHECK(records_by_line(out).size() == 1);
    auto pacing_resumed = pacing;
    pacing_resumed.push_back("--resume");
    auto r = shoal::test::run_process(crawl_args(urls, out, pacing_resumed), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(out), 3);
}

TEST_CASE("recovery: a stopped run's output is started over only with --force", "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 200;
    auto urls = write_urls(dir, slow_pages(site, n, 150));
    const fs::path out = dir / "out.jsonl";
    {
        background_process shoal(crawl_args(urls, out, {"-p", "2", "-c", "5", "--chunk-size", "50"}),
                                 dir / "stdout", dir / "stderr");
        std::this_thread::sleep_for(1500ms);
        ::kill(-shoal.pid(), SIGINT);
        auto status = shoal.wait(30s);
        INFO(shoal::test::read_file(dir / "stderr"));
        REQUIRE(status.has_value());
        REQUIRE(*status == 3);
    }
    const std::string stopped = shoal::test::read_file(out);
    REQUIRE_FALSE(stopped.empty());

    // The same command again, without --resume, would throw those records away.
    auto refused = shoal::test::run_process(crawl_args(urls, out, {}), "", 60s);
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("did not finish") && Catch::Contains("--resume") &&
                                Catch::Contains("--force"));
    CHECK(shoal::test::read_file(out) == stopped);

    // Refused again: the refusal left the run file as it was.
    auto again_refused = shoal::test::run_process(crawl_args(urls, out, {"-p", "2", "-c", "20"}), "", 60s);
    CHECK(again_refused.exit_code == 1);
    auto over = shoal::test::run_process(crawl_args(urls, out, {"--force", "-p", "2", "-c", "20"}), "", 60s);
    INFO(over.err);
    REQUIRE(over.exit_code == 0);
    require_all_pages(records_by_line(out), n);

    // A finished run's output is replaced by the next run as before.
    auto again = shoal::test::run_process(crawl_args(urls, out, {"-p", "2", "-c", "20"}), "", 60s);
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    require_all_pages(records_by_line(out), n);
}

TEST_CASE("recovery: --resume cuts a torn last line and skips done lines", "[recovery]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int i = 1; i <= 6; ++i) lines.push_back(site.url("/p/" + std::to_string(i) + ".html"));
    auto urls = write_urls(dir, lines);
    const fs::path out = dir / "out.jsonl";
    // A first run over lines 1-3 only, then a torn record for line 4.
    auto first = shoal::test::run_process(crawl_args(urls, out, {}), "", 60s);
    REQUIRE(first.exit_code == 0);
    std::string text;
    for (const auto& rec : shoal::test::read_jsonl(out))
        if (rec.at("line").to_number<int>() <= 3) text += json::serialize(rec) + "\n";
    text += R"({"line":4,"url":"http://torn)";
    shoal::test::write_file(out, text);

    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("torn") != std::string::npos);
    require_all_pages(records_by_line(out), 6);
}

TEST_CASE("recovery: --resume with other options is refused unless forced", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "out.jsonl";
    REQUIRE(shoal::test::run_process(crawl_args(urls, out, {}), "", 60s).exit_code == 0);
    auto refused = shoal::test::run_process(
        crawl_args(urls, out, {"--resume", "--user-agent", "other/1.0"}), "", 60s);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("--force") != std::string::npos);
    auto forced = shoal::test::run_process(
        crawl_args(urls, out, {"--resume", "--force", "--user-agent", "other/1.0"}), "", 60s);
    CHECK(forced.exit_code == 0);
    require_all_pages(records_by_line(out), 2);
}

TEST_CASE("recovery: Ctrl-C lets fetches in flight finish within the grace time", "[recovery]") {
    // Every page takes 1.5 s; Ctrl-C comes 0.3 s after both workers run (so a
    // slow start, under sanitizers, is no stop before the handlers are set),
    // when 10 fetches are in flight and none has finished. They must finish
    // and be written: the signal every process of the group gets (Ctrl-C, or
    // kill -TERM of the group) must count as one stop request.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 20, 1500));
    const fs::path out = dir / "out.jsonl";
    background_process shoal(crawl_args(urls, out, {"-p", "2", "-c", "5", "--chunk-size", "10"}),
                             dir / "stdout", dir / "stderr");
    const auto started = std::chrono::steady_clock::now();
    while (shoal::test::children_titled(shoal.pid(), "shoal: worker").size() < 2 &&
           std::chrono::steady_clock::now() - started < 20s)
        std::this_thread::sleep_for(20ms);
    std::this_thread::sleep_for(300ms);
    ::kill(-shoal.pid(), GENERATE(SIGINT, SIGTERM));
    auto status = shoal.wait(30s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    auto done = records_by_line(out);
    CHECK(done.size() == 10);
    for (const auto& [line, rec] : done) CHECK(rec.at("status") == 200);
}

TEST_CASE("recovery: a full disk stops the run with exit 2 and a clear message", "[recovery]") {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 200, 0));
    auto r = shoal::test::run_process(crawl_args(urls, "/dev/full", {}), "", 60s);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("No space left on device") != std::string::npos);
    CHECK(shoal::test::nonempty_lines(r.err).size() == 1);
    CHECK_FALSE(fs::exists("/dev/full.shoal-run"));
}

namespace {

// The output ends on a whole record: empty, or its last byte ends a line.
void require_whole_records(const fs::path& out, const std::string& row_end = "\n") {
    const std::string text = shoal::test::read_file(out);
    INFO(out.string() << " is " << text.size() << " bytes, ending: "
                      << text.substr(text.size() > 200 ? text.size() - 200 : 0));
    REQUIRE((text.empty() || text.ends_with(row_end)));
}

// line -> CSV row of a shoal CSV output (the header skipped); fails the test on a
// duplicate line. The test pages' fields hold no quoted line breaks.
std::map<std::int64_t, std::string> csv_rows_by_line(const fs::path& out) {
    std::map<std::int64_t, std::string> by_line;
    const std::string text = shoal::test::read_file(out);
    std::size_t pos = 0;
    bool header = true;
    while (pos < text.size()) {
        std::size_t end = text.find("\r\n", pos);
        REQUIRE(end != std::string::npos);
        std::string row = text.substr(pos, end - pos);
        pos = end + 2;
        if (header) {
            CHECK(row.rfind("line,url,", 0) == 0);
            header = false;
            continue;
        }
        INFO(row);
        auto line = std::stoll(row.substr(0, row.find(',')));
        REQUIRE(by_line.count(line) == 0);
        by_line.emplace(line, row);
    }
    return by_line;
}

}  // namespace

TEST_CASE("recovery: a SIGKILLed writer stops the run in one line, and --resume finishes exactly once",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 300;
    auto urls = write_urls(dir, slow_pages(site, n, 100));
    const fs::path out = dir / "out.jsonl";
    {
        background_process shoal(crawl_args(urls, out, {"-p", "2", "-c", "5", "--chunk-size", "50"}),
                                 dir / "stdout", dir / "stderr");
        // Records reach the file at least once a second: let a few batches land.
        std::this_thread::sleep_for(2500ms);
        auto writers = shoal::test::children_titled(shoal.pid(), "shoal: writer");
        REQUIRE(writers.size() == 1);
        ::kill(writers.front(), SIGKILL);
        auto status = shoal.wait(15s);
        const std::string err = shoal::test::read_file(dir / "stderr");
        INFO(err);
        REQUIRE(status.has_value());
        CHECK(*status == 4);
        auto lines = shoal::test::nonempty_lines(err);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find("writer process was killed by signal") != std::string::npos);
        CHECK(lines[0].find("--resume") != std::string::npos);
    }
    require_whole_records(out);
    auto partial = records_by_line(out);
    CHECK(partial.size() > 0);
    CHECK(partial.size() < static_cast<std::size_t>(n));

    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 90s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(out), n);
}

TEST_CASE("recovery: a writer killed in the middle of a record leaves no torn record",
          "[recovery]") {
    // SHOAL_FAULT_WRITER_DIE_AT makes the writer write the output up to that
    // byte, inside a record, and SIGKILL itself: the supervisor must cut the
    // torn record off, in JSONL and in CSV (whose rows end in CRLF).
    local_site site;
    temp_dir dir;
    const int n = 120;
    auto urls = write_urls(dir, slow_pages(site, n, 0));
    const bool csv = GENERATE(false, true);
    INFO((csv ? "CSV" : "JSONL"));
    const fs::path out = dir / (csv ? "out.csv" : "out.jsonl");
    const std::size_t die_at = 5000;
    auto argv = crawl_args(urls, out, {"-p", "1", "-c", "4"});
    std::vector<std::string> env_argv = {"env", "SHOAL_FAULT_WRITER_DIE_AT=" + std::to_string(die_at)};
    env_argv.insert(env_argv.end(), argv.begin(), argv.end());
    auto r = shoal::test::run_process(env_argv, "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 4);
    auto lines = shoal::test::nonempty_lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("torn record") != std::string::npos);
    CHECK(fs::file_size(out) < die_at);
    require_whole_records(out, csv ? "\r\n" : "\n");
    std::size_t before = csv ? csv_rows_by_line(out).size() : records_by_line(out).size();
    CHECK(before > 0);

    auto resumed = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 90s);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("torn") == std::string::npos);  // nothing left to cut
    if (csv) {
        auto rows = csv_rows_by_line(out);
        REQUIRE(rows.size() == static_cast<std::size_t>(n));
        for (int i = 1; i <= n; ++i) {
            INFO("line " << i);
            REQUIRE(rows.count(i) == 1);
            CHECK(rows.at(i).find(",200,") != std::string::npos);
            CHECK(rows.at(i).find("Product " + std::to_string(i) + " | Test Shop") != std::string::npos);
        }
    } else {
        require_all_pages(records_by_line(out), n);
    }
}

TEST_CASE("recovery: a file size limit hit mid-run (EFBIG) stops with exit 2 on a whole record",
          "[recovery]") {
    // RLIMIT_FSIZE makes a real output file "full" part-way: the write that
    // crosses it is cut short, then fails with EFBIG (SIGXFSZ ignored). The
    // run must stop with exit 2 and one line, the file must end on a whole
    // record, and --resume without the limit must finish exactly once.
    local_site site;
    temp_dir dir;
    const int n = 300;
    const std::uintmax_t limit = 30000;
    auto urls = write_urls(dir, slow_pages(site, n, 50));
    const fs::path out = dir / "out.jsonl";
    // About 40 records a second, written at least once a second: the limit
    // is crossed by the third or fourth batch, inside a record.
    auto argv = crawl_args(urls, out, {"-p", "1", "-c", "2"});
    std::vector<std::string> limited = {"prlimit", "--fsize=" + std::to_string(limit)};
    limited.insert(limited.end(), argv.begin(), argv.end());
    auto r = shoal::test::run_process(limited, "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 2);
    auto lines = shoal::test::nonempty_lines(r.err);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("File too large") != std::string::npos);
    CHECK(lines[0].find("ends on a whole record") != std::string::npos);
    CHECK(lines[0].find("--resume") != std::string::npos);
    CHECK(fs::file_size(out) <= limit);
    CHECK(fs::file_size(out) > limit / 4);  // several batches landed before the limit
    require_whole_records(out);
    auto partial = records_by_line(out);
    CHECK(partial.size() > 0);
    CHECK(partial.size() < static_cast<std::size_t>(n));

    auto resumed = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 90s);
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("torn") == std::string::npos);  // the failed run cut it already
    require_all_pages(records_by_line(out), n);
}

TEST_CASE("recovery: SIGUSR1 sent to every process of a run loses and duplicates nothing", "[recovery]") {
    // The supervisor asks workers with SIGUSR1 to hand lines back; the same
    // signal from anyone else must not end a process (its default action)
    // or lose a line. The supervisor and the writer keep it blocked; a
    // worker that gets it unasked hands lines back, which run in a new worker.
    local_site site;
    temp_dir dir;
    const int n = 300;
    background_process shoal = slow_crawl(site, dir, n, 50,
                                          {"-p", "2", "-c", "4", "--chunk-size", "100", "--stats",
                                           (dir / "stats.json").string()});
    int sent = 0;
    for (int round = 0; round < 8; ++round) {
        std::this_thread::sleep_for(150ms);
        std::vector<pid_t> targets = {shoal.pid()};
        for (const char* title : {"shoal: writer", "shoal: worker"})
            for (pid_t p : shoal::test::children_titled(shoal.pid(), title)) targets.push_back(p);
        for (pid_t p : targets)
            if (::kill(p, SIGUSR1) == 0) ++sent;
    }
    auto status = shoal.wait(60s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 0);
    CHECK(sent > 8);
    require_all_pages(records_by_line(dir / "out.jsonl"), n);
    // No worker died of it: nothing was run again.
    CHECK(shoal::test::read_file(dir / "stderr").find("without a record") == std::string::npos);
    const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    INFO(json::serialize(stats));
    CHECK(stats.at("workers").at("lines_handed_back").to_number<std::uint64_t>() > 0);
}

TEST_CASE("recovery: lines handed back from worker to worker are counted once each", "[recovery]") {
    // One chunk of 100 slow lines and 8 worker slots: lines are handed on,
    // and some handed on again by the worker that got them.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 100, 20));
    auto r = shoal::test::run_process(
        crawl_args(urls, dir / "out.jsonl", {"-p", "8", "--stats", (dir / "stats.json").string()}), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(dir / "out.jsonl"), 100);
    const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    INFO(json::serialize(stats));
    const auto handed = stats.at("workers").at("lines_handed_back").to_number<std::uint64_t>();
    CHECK(handed > 0);
    CHECK(handed <= 100);  // was up to 140: a line handed on twice counted twice
    CHECK(stats.at("interrupted") == false);
    CHECK(stats.at("workers").at("started").to_number<std::uint64_t>() > 2);
}

TEST_CASE("recovery: Ctrl-C with the records on stdout redirected to a file advises -o FILE --resume",
          "[recovery]") {
    local_site site;
    // -o - (the default) and -o /dev/stdout alike: the same command's
    // redirection would empty the file before --resume reads it.
    for (const char* to : {"-", "/dev/stdout"}) {
        INFO("-o " << to);
        temp_dir dir;
        auto urls = write_urls(dir, slow_pages(site, 40, 300));
        const fs::path out = dir / "stdout";
        {
            background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", to, "-q", "-c", "2"}, out,
                                     dir / "stderr");
            std::this_thread::sleep_for(1s);
            ::kill(shoal.pid(), SIGINT);
            const std::string err = stopped_run_err(shoal, dir, 30s);
            INFO(err);
            CHECK(err.find("run the same command with -o " + out.string() + " --resume instead of the redirection") !=
                  std::string::npos);
            CHECK(shoal::test::read_jsonl(out).size() < 40);  // whole records only
        }
        // As advised: the run goes on in that file, each line once.
        auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume", "-c", "4"}), "", 60s);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        require_all_pages(records_by_line(out), 40);
    }
}

TEST_CASE("recovery: Ctrl-C with the records on stdout redirected to a .csv name advises a rename", "[recovery]") {
    // stdout is JSONL: -o out.csv would read it back as CSV.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 40, 300));
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-q", "-c", "2"}, dir / "out.csv",
                             dir / "stderr");
    std::this_thread::sleep_for(1s);
    ::kill(shoal.pid(), SIGINT);
    const std::string err = stopped_run_err(shoal, dir, 30s);
    INFO(err);
    CHECK(err.find("as JSONL: to finish, rename it to a name that does not end in .csv") != std::string::npos);
}

TEST_CASE("recovery: SIGQUIT (Ctrl-backslash) stops at once with exit 3 and --resume finishes", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 200, 200));
    const fs::path out = dir / "out.jsonl";
    {
        background_process shoal(
            crawl_args(urls, out, {"-c", "4", "--grace", "30", "--stats", (dir / "stats.json").string()}),
            dir / "stdout", dir / "stderr");
        std::this_thread::sleep_for(1s);
        const auto sent = std::chrono::steady_clock::now();
        ::kill(-shoal.pid(), SIGQUIT);  // the whole group, as Ctrl-\ in a terminal does
        const std::string err = stopped_run_err(shoal, dir, 20s);
        INFO(err);
        CHECK(std::chrono::steady_clock::now() - sent < 10s);  // not the 30 s --grace
        CHECK(err.find("stopping now") != std::string::npos);
        CHECK(err.find("--resume") != std::string::npos);
        require_whole_records(out);
        const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
        CHECK(stats.at("interrupted") == true);
    }
    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume", "-c", "16"}), "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(out), 200);
}

TEST_CASE("recovery: a reader that stops reading the output FIFO does not hold a stopped run", "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path fifo = dir / "records.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Opens the FIFO and never reads it: the pipe fills, the writer blocks.
    background_process reader({"bash", "-c", "exec 3<" + fifo.string() + "; sleep 60"}, dir / "reader.out",
                              dir / "reader.err");
    auto urls = write_urls(dir, slow_pages(site, 2000, 0));
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", fifo.string(), "--no-progress",
                              "--grace", "1"},
                             dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(2s);
    REQUIRE_FALSE(shoal.wait(0ms).has_value());  // blocked on the full FIFO
    SECTION("one Ctrl-C: ended once it has written nothing for --grace") {
        ::kill(shoal.pid(), SIGINT);
        const std::string err = stopped_run_err(shoal, dir, 15s);
        INFO(err);
        CHECK(err.find("stopped while the output took no more records for 1 s") != std::string::npos);
    }
    SECTION("two: stopped now") {
        ::kill(shoal.pid(), SIGINT);
        std::this_thread::sleep_for(300ms);
        ::kill(shoal.pid(), SIGINT);
        const std::string err = stopped_run_err(shoal, dir, 15s);
        INFO(err);
        CHECK(err.find("stopped now, before the writer had written every record it held") != std::string::npos);
    }
}

TEST_CASE("recovery: an output FIFO that no process reads is waited for, and Ctrl-C ends the wait", "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path fifo = dir / "records.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto urls = write_urls(dir, slow_pages(site, 5, 0));
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", fifo.string(), "-q"}, dir / "stdout",
                             dir / "stderr");
    std::this_thread::sleep_for(1s);
    CHECK(shoal::test::read_file(dir / "stderr").find("waiting for a process to read the FIFO") !=
          std::string::npos);
    ::kill(shoal.pid(), SIGINT);
    const std::string err = stopped_run_err(shoal, dir, 10s);  // was killed by the signal: 130
    INFO(err);
    CHECK(err.find("interrupted while waiting for a process to read the FIFO") != std::string::npos);
}

TEST_CASE("recovery: a slow reader of the output FIFO gets every record of a stopped run", "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path fifo = dir / "records.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Reads on, slowly: about 400 records a second (no process started per
    // line, which on a loaded machine stalled the reader past --grace).
    background_process reader({"python3", "-c",
                               "import sys, time\n"
                               "for line in sys.stdin:\n"
                               "    sys.stdout.write(line); sys.stdout.flush(); time.sleep(0.0025)\n"},
                              dir / "got.jsonl", dir / "reader.err", fifo);
    auto urls = write_urls(dir, slow_pages(site, 3000, 0));
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", fifo.string(), "--no-progress",
                              "--grace", "2", "-p", "1", "-c", "8"},
                             dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(2s);
    ::kill(shoal.pid(), SIGINT);
    // Not ended while it writes on: exit 3, or 0 when the fetches had all
    // ended and the stop only waited for their records to be written.
    const auto status = shoal.wait(60s);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK((*status == 3 || *status == 0));
    CHECK(err.find("took no more records") == std::string::npos);
    CHECK(err.find("stopped now") == std::string::npos);
    REQUIRE(reader.wait(20s).has_value());
    const auto lines = lines_once(dir / "got.jsonl");  // whole records, each line once
    CHECK(lines.size() > 0);
    if (*status == 0) CHECK(lines.size() == 3000);
}

TEST_CASE("recovery: Ctrl-C while workers only write records they hold does not wait out --grace", "[recovery]") {
    // ftp:// lines get their records at once (unsupported_scheme): the
    // workers' lanes are done while their records still wait for a slowly
    // read FIFO. A stop then has no fetch to wait for: the run ends once the
    // records are written, not after --grace (a timer nobody cancelled).
    temp_dir dir;
    const fs::path fifo = dir / "records.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    background_process reader({"python3", "-c",
                               "import sys, time\n"
                               "with open(sys.argv[1], 'rb') as f, open(sys.argv[2], 'wb') as out:\n"
                               "    while True:\n"
                               "        b = f.read(65536)\n"
                               "        if not b: break\n"
                               "        out.write(b)\n"
                               "        time.sleep(0.02)\n",
                               fifo.string(), (dir / "got.jsonl").string()},
                              dir / "reader.out", dir / "reader.err");
    std::vector<std::string> lines;
    for (int i = 1; i <= 20000; ++i) lines.push_back("ftp://h" + std::to_string(i % 100) + ".example/" + std::to_string(i));
    auto urls = write_urls(dir, lines);
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", fifo.string(), "--no-progress",
                              "--grace", "60", "-p", "2", "--chunk-size", "5000"},
                             dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(500ms);
    const auto stop = std::chrono::steady_clock::now();
    ::kill(shoal.pid(), SIGINT);
    const auto status = shoal.wait(30s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK((*status == 0 || *status == 3));
    CHECK(std::chrono::steady_clock::now() - stop < 20s);  // it waited 60 s
    REQUIRE(reader.wait(20s).has_value());
    const auto seen = lines_once(dir / "got.jsonl");
    if (*status == 0) CHECK(seen.size() == 20000);
}

TEST_CASE("recovery: a stop that comes when every line has its record leaves a complete run", "[recovery]") {
    // 400 fast pages in one chunk, fetched well before the stop; the records
    // wait for a slow reader of the output FIFO (about 100 a second).
    local_site site;
    temp_dir dir;
    const fs::path fifo = dir / "records.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    background_process reader(
        {"bash", "-c", "while IFS= read -r l; do printf '%s\\n' \"$l\"; sleep 0.01; done < " + fifo.string()},
        dir / "got.jsonl", dir / "reader.err");
    auto urls = write_urls(dir, slow_pages(site, 400, 0));
    background_process shoal({SHOAL_BINARY, "crawl", urls.string(), "-o", fifo.string(), "--no-progress",
                              "--stats", (dir / "stats.json").string()},
                             dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(2s);
    ::kill(shoal.pid(), SIGINT);
    const auto status = shoal.wait(60s);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 0);  // was 3, with every record written
    REQUIRE(reader.wait(20s).has_value());
    CHECK(shoal::test::read_jsonl(dir / "got.jsonl").size() == 400);
    const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    CHECK(stats.at("interrupted") == false);
}

TEST_CASE("recovery: a stop the supervisor hears only after every record is written leaves a complete run",
          "[recovery]") {
    // The supervisor is held (SIGSTOP) once its writer and worker run; the
    // worker fetches the 40 slow pages and the writer writes them all; then
    // the stop comes, and the supervisor goes on (SIGCONT).
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 40, 300));
    const fs::path out = dir / "out.jsonl";
    background_process shoal(crawl_args(urls, out, {"-p", "1", "-c", "40", "--stats", (dir / "stats.json").string()}),
                             dir / "stdout", dir / "stderr");
    const std::string children = "/proc/" + std::to_string(shoal.pid()) + "/task/" + std::to_string(shoal.pid()) +
                                 "/children";
    auto count_children = [&] {
        std::istringstream in(shoal::test::read_file(children));
        return std::distance(std::istream_iterator<std::string>(in), std::istream_iterator<std::string>());
    };
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (count_children() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(5ms);
    REQUIRE(count_children() >= 2);  // the writer and the worker
    ::kill(shoal.pid(), SIGSTOP);
    auto written = [&] {
        const std::string text = shoal::test::read_file(out);
        return std::count(text.begin(), text.end(), '\n');
    };
    while (written() < 40 && std::chrono::steady_clock::now() < give_up + 10s) std::this_thread::sleep_for(20ms);
    REQUIRE(written() == 40);
    std::this_thread::sleep_for(300ms);  // the worker ends
    ::kill(shoal.pid(), SIGINT);
    ::kill(shoal.pid(), SIGCONT);
    const auto status = shoal.wait(30s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 0);  // was 3: the end of the list was not known yet
    require_all_pages(records_by_line(out), 40);
    const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    CHECK(stats.at("interrupted") == false);
}

TEST_CASE("recovery: one SIGTERM sent twice at once (as coreutils timeout does) is one graceful stop",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    auto shoal = slow_crawl(site, dir, 60, 400, {"-c", "4", "--grace", "10"});
    std::this_thread::sleep_for(1s);
    ::kill(shoal.pid(), SIGTERM);
    ::kill(shoal.pid(), SIGTERM);
    const std::string err = stopped_run_err(shoal, dir, 30s);
    INFO(err);
    CHECK(err.find("stopping: in-flight fetches may finish") != std::string::npos);
    CHECK(err.find("stopping now") == std::string::npos);  // was a stop-now now and then
    require_whole_records(dir / "out.jsonl");
}

TEST_CASE("recovery: --stats that cannot be written at the end leaves a complete run", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 20, 0));
    const fs::path out = dir / "out.jsonl";
    SECTION("/dev/full") {
        auto r = shoal::test::run_process(crawl_args(urls, out, {"--stats", "/dev/full"}), "", 60s);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("cannot write --stats /dev/full: No space left on device (the records are whole)") !=
              std::string::npos);
    }
    SECTION("a FIFO that no process reads") {
        const fs::path fifo = dir / "stats.fifo";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        auto r = shoal::test::run_process(crawl_args(urls, out, {"--stats", fifo.string()}), "", 60s);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("a FIFO that no process reads") != std::string::npos);
    }
    require_all_pages(records_by_line(out), 20);
    // The run is marked complete: running the command again is no resume of an unfinished one.
    CHECK(shoal::test::read_file(dir / "out.jsonl.shoal-run").find("complete") != std::string::npos);
    auto again = shoal::test::run_process(crawl_args(urls, out, {}), "", 60s);
    INFO(again.err);
    CHECK(again.exit_code == 0);
}

TEST_CASE("recovery: an output deleted or moved during the run is an error, not a complete run", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 40, 100));
    const fs::path out = dir / "out.jsonl";
    background_process shoal(crawl_args(urls, out, {"-c", "2"}), dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(700ms);
    SECTION("deleted") {
        fs::remove(out);
        auto status = shoal.wait(30s);
        const std::string err = shoal::test::read_file(dir / "stderr");
        INFO(err);
        REQUIRE(status.has_value());
        CHECK(*status == 2);
        CHECK(err.find("was deleted during the run") != std::string::npos);
    }
    SECTION("moved, another file put in its place") {
        fs::rename(out, dir / "out.old");
        shoal::test::write_file(out, "{\"line\":1}\n");
        auto status = shoal.wait(30s);
        const std::string err = shoal::test::read_file(dir / "stderr");
        INFO(err);
        REQUIRE(status.has_value());
        CHECK(*status == 2);  // was 0, with the run file saying complete beside the other file
        CHECK(err.find("was moved or replaced during the run: the records are in " + (dir / "out.old").string()) !=
              std::string::npos);
        CHECK(shoal::test::read_jsonl(dir / "out.old").size() == 40);
    }
}

TEST_CASE("recovery: an output cut by another program during the run is an error, and --resume fills it in",
          "[recovery]") {
    // One worker, two fetches at a time, 60 pages of 100 ms: about 3 s, the
    // writer flushing every second.
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, slow_pages(site, 60, 100));
    const fs::path out = dir / "out.jsonl";
    background_process shoal(crawl_args(urls, out, {"-p", "1", "-c", "2"}), dir / "stdout", dir / "stderr");
    // Cut to nothing (logrotate's copytruncate) once records are in it.
    auto size = [&] {
        std::error_code ec;
        const auto n = fs::file_size(out, ec);
        return ec ? std::uintmax_t{0} : n;
    };
    for (int i = 0; i < 200 && size() == 0; ++i) std::this_thread::sleep_for(20ms);
    REQUIRE(size() > 0);
    fs::resize_file(out, 0);
    auto status = shoal.wait(30s);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 2);  // was 0, the run marked complete with its first records gone
    CHECK(err.find("was cut or written to by another program during the run") != std::string::npos);
    CHECK(shoal::test::read_file(dir / "out.jsonl.shoal-run").find("complete") == std::string::npos);
    auto resumed = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    require_all_pages(records_by_line(out), 60);
}

TEST_CASE("recovery: an endless line (/dev/zero) gets its record, and SIGTERM stops the run", "[recovery]") {
    // The input never ends and never has a newline: line 1 is cut at
    // 8192 bytes, the rest skipped as it comes, and the supervisor hears
    // signals meanwhile.
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    background_process shoal({SHOAL_BINARY, "crawl", "/dev/zero", "-o", out.string(), "-q"}, dir / "stdout",
                             dir / "stderr");
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    auto has_bytes = [&] {
        std::error_code ec;
        auto size = fs::file_size(out, ec);
        return !ec && size > 0;
    };
    while (!has_bytes() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
    ::kill(shoal.pid(), SIGTERM);
    auto status = shoal.wait(15s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    auto records = shoal::test::read_jsonl(out);
    REQUIRE(records.size() == 1);
    CHECK(records[0].at("line") == 1);
    CHECK(records[0].at("error").at("code") == "too_long");
    CHECK(json::value_to<std::string>(records[0].at("url")) == std::string(8192, '\0'));
}

TEST_CASE("recovery: a CSV torn inside a field of several lines resumes exactly once", "[recovery]") {
    // A raw field keeps the page's line breaks, so a CSV record spans
    // several lines; the torn one must be cut whole and its line fetched
    // again, not taken for done from its first line.
    local_site site;
    temp_dir dir;
    const int n = 5;
    std::vector<std::string> lines;
    for (int i = 1; i <= n; ++i) lines.push_back(site.url("/echo-headers?n=" + std::to_string(i)));
    auto urls = write_urls(dir, lines);
    shoal::test::write_file(dir / "rules.toml",
                            "[[rule]]\nname = \"headers\"\npattern = '(?s)<ul>(.*?)</ul>'\ntype = \"raw\"\n");
    const fs::path out = dir / "out.csv";
    auto args = crawl_args(urls, out, {"--rules", (dir / "rules.toml").string()});
    REQUIRE(shoal::test::run_process(args, "", 60s).exit_code == 0);
    std::string text = shoal::test::read_file(out);
    REQUIRE(text.size() > 10);
    REQUIRE(text.substr(text.size() - 9) == "</li>\n\"\r\n");  // the last field spans lines
    fs::resize_file(out, text.size() - 10);                   // torn inside it

    args.push_back("--resume");
    auto r = shoal::test::run_process(args, "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("torn") != std::string::npos);
    const auto rows = shoal::test::parse_csv(shoal::test::read_file(out));
    REQUIRE(rows.size() == 1 + n);
    std::map<std::string, int> seen;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        REQUIRE(rows[i].size() == rows[0].size());
        CHECK(rows[i][2] == "200");
        CHECK(rows[i].back().find("User-Agent: shoal/") != std::string::npos);
        ++seen[rows[i][0]];
    }
    for (int i = 1; i <= n; ++i) CHECK(seen[std::to_string(i)] == 1);
}

TEST_CASE("recovery: Ctrl-C after a worker died leaves its lines to --resume, without hanging", "[recovery]") {
    // With -p 1, a dead worker's lines wait for a free slot while the next
    // worker takes lines; once stopping, no worker starts, so the run must
    // end without them.
    local_site site;
    temp_dir dir;
    const int n = 40;
    background_process shoal = slow_crawl(site, dir, n, 1500, {"-p", "1", "-c", "10", "--chunk-size", "20", "--grace", "2"});
    const std::vector<pid_t> workers = workers_of(shoal, 2);
    REQUIRE(workers.size() == 2);  // worker 1 finishing its last fetches, worker 2 taking lines
    for (pid_t w : workers)
        if (shoal::test::title_of(w).rfind("shoal: worker 1 ", 0) == 0) ::kill(w, SIGKILL);
    std::this_thread::sleep_for(300ms);
    ::kill(shoal.pid(), SIGINT);
    auto status = shoal.wait(20s);
    INFO(shoal::test::read_file(dir / "stderr"));
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    resume_finishes(dir, n);
}

TEST_CASE("recovery: a worker held (SIGSTOP) at a stop is ended after --grace, its lines left to --resume",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 40;
    background_process shoal = slow_crawl(site, dir, n, 400, {"-p", "2", "-c", "4", "--chunk-size", "20", "--grace", "2"});
    const std::vector<pid_t> workers = workers_of(shoal, 2);
    REQUIRE(workers.size() == 2);
    ::kill(workers[0], SIGSTOP);
    std::this_thread::sleep_for(300ms);
    const auto stop = std::chrono::steady_clock::now();
    ::kill(shoal.pid(), SIGINT);
    auto status = shoal.wait(20s);
    const std::string err = shoal::test::read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    CHECK(std::chrono::steady_clock::now() - stop < 3800ms);  // --grace and a second, not twice --grace
    CHECK(err.find("1 worker did not end within --grace (2 s) and was ended; its lines without a record, if any, "
                   "are left to --resume") != std::string::npos);
    CHECK(err.find("took no more records") == std::string::npos);  // the output was never at fault
    CHECK(err.find("run the same command with --resume") != std::string::npos);
    resume_finishes(dir, n);
}

TEST_CASE("recovery: a writer held (SIGSTOP) at a stop is ended, and the message says so, not that the output "
          "took nothing",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 30;
    background_process shoal = slow_crawl(site, dir, n, 300, {"-p", "1", "-c", "4", "--grace", "1"});
    std::vector<pid_t> writer;
    for (int i = 0; i < 200 && writer.empty(); ++i) {
        std::this_thread::sleep_for(50ms);
        writer = shoal::test::children_titled(shoal.pid(), "shoal: writer");
    }
    REQUIRE(writer.size() == 1);
    ::kill(writer[0], SIGSTOP);
    std::this_thread::sleep_for(300ms);
    ::kill(shoal.pid(), SIGINT);
    const std::string err = stopped_run_err(shoal, dir, 20s);
    CHECK(err.find("stopped while the writer process was held stopped (SIGSTOP, SIGTSTP or a debugger) and wrote "
                   "nothing for 1 s") != std::string::npos);
    CHECK(err.find("took no more records") == std::string::npos);
    resume_finishes(dir, n);
}

TEST_CASE("recovery: one run at a time writes an output, and a --resume right after a killed supervisor "
          "finishes exactly once",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const int n = 120;
    background_process shoal = slow_crawl(site, dir, n, 300,
                                          {"-p", "2", "-c", "5", "--chunk-size", "30", "--stats",
                                           (dir / "stats.json").string()});
    const fs::path urls = dir / "urls.txt", out = dir / "out.jsonl";
    std::this_thread::sleep_for(800ms);
    for (bool resume : {false, true}) {
        auto args = crawl_args(urls, out, {});
        if (resume) args.push_back("--resume");
        auto second = shoal::test::run_process(args, "", 30s);
        INFO(second.err);
        CHECK(second.exit_code == 2);
        CHECK(second.err.find("another shoal run is writing") != std::string::npos);
    }
    // Nor through stdout appended to it (-o -, the default).
    const std::string before = shoal::test::read_file(out);
    auto appended = shoal::test::run_process(
        {"/bin/sh", "-c", "exec \"$0\" crawl \"$1\" -q >> \"$2\"", SHOAL_BINARY, urls.string(), out.string()}, "",
        30s);
    INFO(appended.err);
    CHECK(appended.exit_code == 2);
    CHECK(appended.err.find("another shoal run is writing the file stdout goes to (" + out.string() + ")") !=
          std::string::npos);
    CHECK(shoal::test::read_file(out).starts_with(before));
    // The supervisor alone is killed: its writer and workers finish what
    // is in flight meanwhile, then end. A --resume started at once is
    // refused until the writer has ended, and then finishes the list.
    ::kill(shoal.pid(), SIGKILL);
    REQUIRE(shoal.wait(10s).has_value());
    shoal::test::process_result r;
    const auto deadline = std::chrono::steady_clock::now() + 40s;
    do {
        r = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    } while (r.exit_code == 2 && std::chrono::steady_clock::now() < deadline);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    require_all_pages(records_by_line(out), n);
    // The writer of the killed run said the run stopped short, in its
    // stderr and its --stats, with the workers it saw started.
    CHECK(shoal::test::read_file(dir / "stderr").find("the run's supervisor process is gone") != std::string::npos);
    const auto stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    CHECK(stats.at("interrupted") == true);
    CHECK(stats.at("workers").at("started").to_number<int>() >= 2);
}

TEST_CASE("recovery: --resume checks the list and the rules by content, not by how their paths are spelled",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const std::vector<std::string> lines = {site.url("/p/1.html"), site.url("/p/2.html")};
    auto urls = write_urls(dir, lines);
    const fs::path rules = dir / "rules.toml", out = dir / "out.jsonl";
    const std::string rules_text = "[[rule]]\nname = \"title\"\npattern = '(?is)<title>(.*?)</title>'\n";
    shoal::test::write_file(rules, rules_text);
    REQUIRE(shoal::test::run_process(crawl_args(urls, out, {"--rules", rules.string()}), "", 60s).exit_code == 0);

    auto resume = [&](const fs::path& list) {
        return shoal::test::run_process(crawl_args(list, out, {"--rules", rules.string(), "--resume"}), "", 60s);
    };
    // The same file by another path.
    auto same = resume(dir / "." / "urls.txt");
    INFO(same.err);
    CHECK(same.exit_code == 0);
    // The rules edited.
    shoal::test::write_file(rules, rules_text + "# edited\n");
    auto edited = resume(urls);
    CHECK(edited.exit_code == 1);
    CHECK(edited.err.find("--force") != std::string::npos);
    shoal::test::write_file(rules, rules_text);
    // Another list under the same name.
    write_urls(dir, {lines[1], lines[0]});
    auto other = resume(urls);
    CHECK(other.exit_code == 1);
    CHECK(other.err.find("--force") != std::string::npos);
    CHECK(records_by_line(out).size() == 2);
}

TEST_CASE("recovery: --resume compares rules read from a pipe by their content", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "out.jsonl";
    const std::string rules = "[[rule]]\nname = \"title\"\npattern = '(?is)<title>(.*?)</title>'\n";
    const std::string other = "[[rule]]\nname = \"title\"\npattern = '(?is)<h1>(.*?)</h1>'\n";
    auto run = [&](const std::string& stdin_rules, std::vector<std::string> extra) {
        extra.insert(extra.begin(), {"--rules", "/dev/stdin"});
        return shoal::test::run_process(crawl_args(urls, out, extra), stdin_rules, 60s);
    };
    REQUIRE(run(rules, {}).exit_code == 0);
    auto refused = run(other, {"--resume"});
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("--force"));
    CHECK(run(rules, {"--resume"}).exit_code == 0);
    CHECK(run(other, {"--resume", "--force"}).exit_code == 0);
    require_all_pages(records_by_line(out), 2);
}

TEST_CASE("recovery: --resume takes lines added at the end of a list, of any size", "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    auto pages = [&](int from, int to) {
        std::vector<std::string> urls;
        for (int n = from; n <= to; ++n) urls.push_back(site.url("/p/" + std::to_string(n) + ".html"));
        return urls;
    };
    auto urls = write_urls(dir, pages(1, 20));  // far under 64 KiB: the whole list is hashed
    auto first = shoal::test::run_process(crawl_args(urls, out, {}), "", 60s);
    REQUIRE(first.exit_code == 0);
    write_urls(dir, pages(1, 30));
    auto grown = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(grown.err);
    REQUIRE(grown.exit_code == 0);  // was refused as "options that differ"
    CHECK_THAT(grown.err, Catch::Contains("20 lines already done"));
    require_all_pages(records_by_line(out), 30);
    // A list cut shorter than what the run hashed is not the same list.
    write_urls(dir, pages(1, 10));
    auto cut = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(cut.err);
    CHECK(cut.exit_code == 1);
    CHECK_THAT(cut.err, Catch::Contains("is not the list the run that wrote"));
    CHECK_THAT(cut.err, Catch::Contains("it is shorter ("));
    CHECK_THAT(cut.err, Catch::Contains("(lines were removed)"));
    // Long enough, but its start changed: the bytes differ.
    write_urls(dir, pages(1, 30));
    std::string changed = shoal::test::read_file(urls);
    changed.replace(changed.find("/p/1.html"), 9, "/p/9.html");
    shoal::test::write_file(urls, changed);
    auto other = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(other.err);
    CHECK(other.exit_code == 1);
    CHECK_THAT(other.err, Catch::Contains("bytes differ (lines added at its end are fine"));
    // The same list under another path is another run's list: the options message.
    fs::copy_file(urls, dir / "copy.txt");
    auto moved = shoal::test::run_process(crawl_args(dir / "copy.txt", out, {"--resume"}), "", 60s);
    INFO(moved.err);
    CHECK(moved.exit_code == 1);
    CHECK_THAT(moved.err, Catch::Contains("--resume with options that differ"));
}

TEST_CASE("recovery: a run file of an older shoal, without the bytes hashed, resumes its list", "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    REQUIRE(shoal::test::run_process(crawl_args(urls, out, {}), "", 60s).exit_code == 0);
    // input=PATH@HASH:N ... as an older shoal wrote it: input=PATH@HASH ...
    std::string run_file = shoal::test::read_file(dir / "out.jsonl.shoal-run");
    const std::size_t colon = run_file.find(':', run_file.find('@'));
    REQUIRE(colon != std::string::npos);
    run_file.erase(colon, run_file.find(' ', colon) - colon);
    shoal::test::write_file(dir / "out.jsonl.shoal-run", run_file);
    auto same = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(same.err);
    CHECK(same.exit_code == 0);
    require_all_pages(records_by_line(out), 2);
}

TEST_CASE("recovery: --resume of a long list cut shorter past its hashed start says so, exit 2",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    // 1,000 lines of over 80 bytes: 80 KB, more than the 64 KiB hashed.
    auto pages = [&](int to) {
        std::vector<std::string> urls;
        for (int n = 1; n <= to; ++n)
            urls.push_back(site.url("/p/" + std::to_string(n) + ".html?pad=" + std::string(50, 'x')));
        return urls;
    };
    auto urls = write_urls(dir, pages(1000));
    REQUIRE(fs::file_size(urls) > 80000);
    REQUIRE(shoal::test::run_process(crawl_args(urls, out, {}), "", 120s).exit_code == 0);
    write_urls(dir, pages(900));
    REQUIRE(fs::file_size(urls) > 70000);
    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(r.err);
    CHECK(r.exit_code == 2);  // was 0, with 1,000 records for a list of 900
    CHECK_THAT(r.err, Catch::Contains("holds records of lines up to 1000, but " + urls.string() +
                                      " has 900 lines: the list was cut shorter since the run began"));
    CHECK(shoal::test::read_file(dir / "out.jsonl.shoal-run").find("complete") == std::string::npos);
}

TEST_CASE("recovery: --resume tells one header from two, and takes header names in any case", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "out.jsonl";
    auto run = [&](std::vector<std::string> extra) {
        return shoal::test::run_process(crawl_args(urls, out, extra), "", 60s);
    };
    REQUIRE(run({"--header", "X-A: 1 header=X-B:2"}).exit_code == 0);
    auto refused = run({"--resume", "--header", "X-A: 1", "--header", "X-B: 2"});
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("--force"));
    CHECK(run({"--resume", "--header", "x-a:1 header=X-B:2"}).exit_code == 0);
    require_all_pages(records_by_line(out), 2);
}

TEST_CASE("recovery: --resume of an output that does not exist says so and runs the whole list", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "typo.jsonl";
    auto r = shoal::test::run_process(crawl_args(urls, out, {"--resume"}), "", 60s);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("resume: " + out.string() + " does not exist; the run starts at the first line"));
    require_all_pages(records_by_line(out), 2);
    // The run file names the options, --header values among them: its owner's only.
    struct stat st{};
    REQUIRE(::stat((out.string() + ".shoal-run").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("recovery: --resume refuses an output that shoal did not write, and cuts nothing of it", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const std::string shoal_csv = "line,url,status,final_url,title\r\n1,http://x/,200,,\r\n";
    const std::pair<std::string, std::string> cases[] = {
        {"out.csv", "a,b,c\n1,2,3\n4,5"},
        {"out.csv", "{\"line\":1,\"url\":\"x\"}\n{\"line\":2"},
        // A shoal CSV, or another program's lines, under a JSONL name.
        {"out.jsonl", shoal_csv},
        {"out.jsonl", "url,price\nhttp://x/,1\n"},
    };
    for (const auto& [name, foreign] : cases) {
        INFO(name << ": " << foreign);
        const fs::path out = dir / name;
        const bool csv = name == "out.csv";
        shoal::test::write_file(out, foreign);
        for (bool force : {false, true}) {
            std::vector<std::string> extra = {"--resume"};
            if (force) extra.push_back("--force");
            auto r = shoal::test::run_process(crawl_args(urls, out, extra), "", 60s);
            INFO(r.err);
            CHECK(r.exit_code == 1);
            CHECK_THAT(r.err, Catch::Contains(csv ? "not a shoal CSV output" : "not a shoal JSONL output"));
            CHECK(shoal::test::read_file(out) == foreign);
            CHECK_FALSE(fs::exists(out.string() + ".shoal-run"));  // a plain run after it is not told to --resume
        }
        fs::remove(out);
    }
}

TEST_CASE("recovery: the run file sits beside the file an output link names, where --resume finds it",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    fs::create_directory(dir / "real");
    fs::create_directory(dir / "links");
    const fs::path real = dir / "real" / "out.jsonl";
    const fs::path link = dir / "links" / "out.jsonl";
    fs::create_symlink(real, link);
    REQUIRE(shoal::test::run_process(crawl_args(urls, link, {}), "", 60s).exit_code == 0);
    CHECK(fs::exists(dir / "real" / "out.jsonl.shoal-run"));
    CHECK_FALSE(fs::exists(dir / "links" / "out.jsonl.shoal-run"));
    // Resumed by the real name with other options: the fingerprint is found and compared.
    auto refused = shoal::test::run_process(crawl_args(urls, real, {"--resume", "--user-agent", "other/1.0"}), "", 60s);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("--force"));
    require_all_pages(records_by_line(real), 2);
}

TEST_CASE("recovery: --resume refuses a list with a line inserted past its hashed start and first done lines",
          "[recovery]") {
    // Lines that are no URLs: records without a fetch. 2,500 lines of 60
    // bytes: the insertion at line 1,500 is past the first 64 KiB and past
    // the first 1,024 done lines, and shifts the last ones.
    temp_dir dir;
    std::string list, edited;
    for (int n = 1; n <= 2500; ++n) {
        char line[64];
        std::snprintf(line, sizeof line, "not a url %045d\n", n);
        list += line;
        if (n == 1500) edited += "not a url, inserted\n";
        edited += line;
    }
    const fs::path urls = dir / "urls.txt", out = dir / "out.jsonl";
    shoal::test::write_file(urls, list);
    auto args = [&](std::vector<std::string> extra) {
        std::vector<std::string> argv = {SHOAL_BINARY, "crawl", urls.string(), "-o", out.string(), "-q"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    };
    REQUIRE(shoal::test::run_process(args({}), "", 60s).exit_code == 0);
    const std::string before = shoal::test::read_file(out);
    shoal::test::write_file(urls, edited);
    auto refused = shoal::test::run_process(args({"--resume"}), "", 60s);
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("this is not the list the run started with"));
    CHECK(shoal::test::read_file(out) == before);
    // Starting over as the message says.
    CHECK_THAT(refused.err, Catch::Contains("start over: without --resume, with --force"));
    auto over = shoal::test::run_process(args({"--force"}), "", 60s);
    INFO(over.err);
    CHECK(over.exit_code == 0);
    CHECK(shoal::test::read_file(out).find("not a url, inserted") != std::string::npos);
}

TEST_CASE("recovery: --resume from stdin refuses another list before fetching any of it, and takes the same one",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    // Lines whose url field the writer escapes or cuts: quotes, a backslash,
    // a comma, invalid UTF-8, a line over 8192 bytes, a line that is no URL.
    std::vector<std::string> lines;
    for (int i = 1; i <= 5; ++i) lines.push_back(site.url("/p/" + std::to_string(i) + ".html"));
    lines.push_back(site.url("/p/6.html?q=\"a,b\"\\c"));
    lines.push_back("http://bad\xff" "byte.example/");
    lines.push_back(site.url("/p/7.html?") + std::string(9000, 'x'));
    lines.push_back("not a url, \"quoted\"");
    std::string list;
    for (const auto& l : lines) list += l + "\n";
    std::string other;
    for (int i = 100; i <= 104; ++i) other += site.url("/p/" + std::to_string(i) + ".html") + "\n";

    for (const char* name : {"out.jsonl", "out.csv"}) {
        INFO(name);
        const fs::path out = dir / name;
        auto args = [&](std::vector<std::string> extra) {
            std::vector<std::string> argv = {SHOAL_BINARY, "crawl", "-", "-o", out.string(), "-q"};
            argv.insert(argv.end(), extra.begin(), extra.end());
            return argv;
        };
        auto first = shoal::test::run_process(args({}), list, 60s);
        INFO(first.err);
        REQUIRE(first.exit_code == 0);
        const std::string before = shoal::test::read_file(out);

        auto refused = shoal::test::run_process(args({"--resume"}), other, 60s);
        INFO(refused.err);
        CHECK(refused.exit_code == 1);
        CHECK(refused.err.find("line 1 of the URL list on stdin is '" + site.url("/p/100.html") + "'") !=
              std::string::npos);
        CHECK(refused.err.find("this is not the list the run started with. Nothing was fetched") !=
              std::string::npos);
        CHECK(shoal::test::read_file(out) == before);

        // The same lines again: every one is done, nothing is refused.
        auto same = shoal::test::run_process(args({"--resume"}), list, 60s);
        INFO(same.err);
        CHECK(same.exit_code == 0);
        CHECK(shoal::test::read_file(out) == before);
    }
    const std::string asked = site.get("/requested");
    CHECK(asked.find("/p/100.html") == std::string::npos);
    CHECK(asked.find("/p/5.html") != std::string::npos);
}

TEST_CASE("recovery: a --resume --force refused before any fetch leaves the run file as it was", "[recovery]") {
    local_site site;
    temp_dir dir;
    std::string list, other;
    for (int i = 1; i <= 6; ++i) list += site.url("/p/" + std::to_string(i) + ".html") + "\n";
    for (int i = 100; i <= 105; ++i) other += site.url("/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "a.txt", list);
    shoal::test::write_file(dir / "b.txt", other);
    const fs::path out = dir / "out.jsonl";
    auto crawl = [&](const char* input, std::vector<std::string> extra) {
        std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / input).string(), "-o", out.string(), "-q"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return shoal::test::run_process(argv, "", 60s);
    };
    auto first = crawl("a.txt", {});
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const std::string run_file = shoal::test::read_file(dir / "out.jsonl.shoal-run");
    const std::string records = shoal::test::read_file(out);

    // Another list: its first line is not the record's, so nothing is fetched.
    auto refused = crawl("b.txt", {"--resume", "--force"});
    INFO(refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("Nothing was fetched"));
    CHECK(shoal::test::read_file(dir / "out.jsonl.shoal-run") == run_file);
    CHECK(shoal::test::read_file(out) == records);

    // The right command still resumes, with no --force: nothing is left to do.
    auto again = crawl("a.txt", {"--resume"});
    INFO(again.err);
    CHECK(again.exit_code == 0);
    CHECK(shoal::test::read_file(out) == records);
    CHECK(site.get("/requested").find("/p/100.html") == std::string::npos);

    // A CSV whose columns other rules would change is refused (not even
    // --force mixes them): the run file is the earlier run's still.
    shoal::test::write_file(dir / "r1.toml", "[[rule]]\nname = 'aaa'\npattern = '<title>([^<]*)'\n");
    shoal::test::write_file(dir / "r2.toml", "[[rule]]\nname = 'bbb'\npattern = '<title>([^<]*)'\n");
    const std::string csv = (dir / "out.csv").string();
    auto csv_crawl = [&](const char* rules, std::vector<std::string> extra) {
        std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / "a.txt").string(), "-o", csv, "-q",
                                         "--rules", (dir / rules).string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return shoal::test::run_process(argv, "", 60s);
    };
    REQUIRE(csv_crawl("r1.toml", {}).exit_code == 0);
    const std::string csv_run_file = shoal::test::read_file(csv + ".shoal-run");
    auto columns = csv_crawl("r2.toml", {"--resume", "--force"});
    INFO(columns.err);
    CHECK(columns.exit_code == 1);
    CHECK_THAT(columns.err, Catch::Contains("not even --force"));
    CHECK(shoal::test::read_file(csv + ".shoal-run") == csv_run_file);
    auto csv_again = csv_crawl("r1.toml", {"--resume"});
    INFO(csv_again.err);
    CHECK(csv_again.exit_code == 0);
}

TEST_CASE("recovery: lines appended to a list whose last line had no line end are named as joined to it",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    const std::string a = site.url("/p/1.html"), b = site.url("/p/2.html"), c = site.url("/p/3.html");
    shoal::test::write_file(dir / "urls.txt", a + "\n" + b);  // no line end after the last line
    auto first = shoal::test::run_process(crawl_args(dir / "urls.txt", dir / "out.jsonl", {}), "", 60s);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const std::string records = shoal::test::read_file(dir / "out.jsonl");
    shoal::test::write_file(dir / "urls.txt", a + "\n" + b + c + "\n");  // what `echo URL >> urls.txt` does
    auto resumed = shoal::test::run_process(crawl_args(dir / "urls.txt", dir / "out.jsonl", {"--resume"}), "", 60s);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("line 2 of " + (dir / "urls.txt").string() + " is '" + b + c +
                                            "', whose start '" + b + "' is the URL the record of line 2") &&
                                Catch::Contains("the list's last line had no line end, and what was added after it "
                                                "joined it. Nothing was fetched; put a line break after '" + b +
                                                "' and resume"));
    CHECK(shoal::test::read_file(dir / "out.jsonl") == records);
    // With the line break, the added line is crawled.
    shoal::test::write_file(dir / "urls.txt", a + "\n" + b + "\n" + c + "\n");
    auto fixed = shoal::test::run_process(crawl_args(dir / "urls.txt", dir / "out.jsonl", {"--resume"}), "", 60s);
    INFO(fixed.err);
    CHECK(fixed.exit_code == 0);
    CHECK(shoal::test::read_jsonl(dir / "out.jsonl").size() == 3);
}

TEST_CASE("recovery: a joined last line found while workers run stops them at once", "[recovery]") {
    local_site site;
    temp_dir dir;
    // Lines 1-10 fail at once (a closed port), 11-20 take 3 s each, line 21 is the last, without a line end.
    std::string list;
    for (int i = 1; i <= 10; ++i) list += "http://127.0.0.1:1/x" + std::to_string(i) + "\n";
    for (int i = 11; i <= 20; ++i) list += site.url("/slow/3000/p/" + std::to_string(i) + ".html") + "\n";
    const std::string last = site.url("/p/30.html"), added = site.url("/p/31.html");
    shoal::test::write_file(dir / "urls.txt", list + last);
    auto first = shoal::test::run_process(
        crawl_args(dir / "urls.txt", dir / "out.jsonl", {"--retries", "0", "-c", "32"}), "", 60s);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    // Only the last line's record is kept: the others are to do again.
    std::string kept;
    std::istringstream records(shoal::test::read_file(dir / "out.jsonl"));
    for (std::string line; std::getline(records, line);)
        if (line.find("\"line\":21,") != std::string::npos) kept = line + "\n";
    REQUIRE_FALSE(kept.empty());
    shoal::test::write_file(dir / "out.jsonl", kept);
    shoal::test::write_file(dir / "urls.txt", list + last + added + "\n");
    const auto start = std::chrono::steady_clock::now();
    auto resumed = shoal::test::run_process(
        crawl_args(dir / "urls.txt", dir / "out.jsonl",
                   {"--resume", "--retries", "0", "-p", "2", "-c", "1", "--chunk-size", "10"}),
        "", 60s);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("what was added after it joined it. Stopping; put a line break after"));
    CHECK(resumed.err.find("did not end within --grace") == std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 9s);  // not the 30 s of lines 11-20 one by one
}

TEST_CASE("recovery: records sent to a file through stdout get a run file, and -o FILE --resume checks the options",
          "[recovery]") {
    local_site site;
    temp_dir dir;
    std::string list;
    for (int i = 1; i <= 5; ++i) list += site.url("/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", list);
    const fs::path out = dir / "so.jsonl";
    auto through_stdout = shoal::test::run_process(
        {"sh", "-c", std::string(SHOAL_BINARY) + " crawl \"$0\" -q > \"$1\"", (dir / "urls.txt").string(), out.string()},
        "", 60s);
    INFO(through_stdout.err);
    REQUIRE(through_stdout.exit_code == 0);
    CHECK(shoal::test::read_jsonl(out).size() == 5);
    const std::string run_file = shoal::test::read_file(dir / "so.jsonl.shoal-run");
    CHECK_THAT(run_file, Catch::Contains("retries="));
    CHECK_THAT(run_file, Catch::EndsWith("complete\n"));
    // A resume with other options is refused, as for -o FILE.
    auto other = shoal::test::run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "--resume", "--retries", "0", "-q"}, "",
        60s);
    INFO(other.err);
    CHECK(other.exit_code == 1);
    CHECK_THAT(other.err, Catch::Contains("--resume with options that differ"));
    auto same = shoal::test::run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "--resume", "-q"}, "", 60s);
    INFO(same.err);
    CHECK(same.exit_code == 0);
    CHECK(shoal::test::read_jsonl(out).size() == 5);
}

TEST_CASE("recovery: --resume says when the output holds more than one record of a line", "[recovery]") {
    local_site site;
    temp_dir dir;
    std::string list;
    for (int i = 1; i <= 4; ++i) list += site.url("/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", list);
    const fs::path out = dir / "out.jsonl";
    const std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "-q"};
    auto first = shoal::test::run_process(argv, "", 60s);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    const std::string records = shoal::test::read_file(out);
    shoal::test::write_file(out, records + records);  // appended to itself
    auto resumed = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(),
                                             "-q", "--resume"},
                                            "", 60s);
    INFO(resumed.err);
    CHECK(resumed.exit_code == 0);
    CHECK_THAT(resumed.err, Catch::Contains("resume: 4 records of " + out.string() + " are for a line an earlier "
                                            "record has"));
    CHECK_THAT(resumed.err, Catch::Contains("resume: 4 lines already done"));
    CHECK(shoal::test::read_file(out) == records + records);
}

TEST_CASE("recovery: a file size limit smaller than the run file is an error message, not SIGXFSZ", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "out.jsonl";
    auto argv = crawl_args(urls, out, {});
    std::vector<std::string> limited = {"prlimit", "--fsize=100"};
    limited.insert(limited.end(), argv.begin(), argv.end());
    auto r = shoal::test::run_process(limited, "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("File too large"));
    // No temporary run file is left beside the output.
    for (const auto& entry : fs::directory_iterator(dir.path()))
        CHECK(entry.path().filename().string().find(".shoal-run.") == std::string::npos);
}

TEST_CASE("recovery: --resume with other options names the ones that differ", "[recovery]") {
    local_site site;
    temp_dir dir;
    auto urls = write_urls(dir, {site.url("/p/1.html"), site.url("/p/2.html")});
    const fs::path out = dir / "out.jsonl";
    auto first = shoal::test::run_process(crawl_args(urls, out, {"--timeout", "30", "--user-agent", "a b/1"}), "", 60s);
    INFO(first.err);
    REQUIRE(first.exit_code == 0);
    auto other = shoal::test::run_process(
        crawl_args(urls, out, {"--resume", "--timeout", "5", "--retries", "0", "--user-agent", "a b/1", "--robots"}),
        "", 60s);
    INFO(other.err);
    CHECK(other.exit_code == 1);
    CHECK_THAT(other.err, Catch::Contains("--resume with options that differ from the run that wrote " +
                                          out.string() + ": --retries 0 (was 2), --robots (was without it), "
                                                         "--timeout 5 (was 30); use the same options, or add --force"));
    // Flags by presence, rule files by path, or by what changed in them.
    shoal::test::write_file(dir / "r.toml", "[[rule]]\nname = 'a'\npattern = '<title>([^<]*)'\n");
    auto with_rules = shoal::test::run_process(
        crawl_args(urls, out, {"--force", "--timeout", "30", "--user-agent", "a b/1", "--rules", (dir / "r.toml").string()}),
        "", 60s);
    REQUIRE(with_rules.exit_code == 0);
    shoal::test::write_file(dir / "r.toml", "[[rule]]\nname = 'a'\npattern = '<h1>([^<]*)'\n");
    auto changed = shoal::test::run_process(
        crawl_args(urls, out, {"--resume", "--timeout", "30", "--user-agent", "a b/1", "--rules",
                               (dir / "r.toml").string(), "--insecure"}),
        "", 60s);
    INFO(changed.err);
    CHECK(changed.exit_code == 1);
    CHECK_THAT(changed.err, Catch::Contains(": --insecure (was without it), --rules " + (dir / "r.toml").string() +
                                            " (its content changed since that run); use the same options"));
    auto none = shoal::test::run_process(
        crawl_args(urls, out, {"--resume", "--timeout", "30", "--user-agent", "a b/1"}), "", 60s);
    CHECK_THAT(none.err, Catch::Contains(": --rules none (was " + (dir / "r.toml").string() + "); use the same"));
}
