// Tests for `shoal bench`: the sweep's defaults, and the real binary running
// small sweeps against the real `shoal serve` on loopback (HTTP, HTTPS, wrk
// when it is installed), plus its usage and output errors.
#include "shoal/bench.hpp"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include "shoal/sys.hpp"
#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

using namespace std::chrono_literals;
using shoal::test::read_file;
using shoal::test::run_process;
using shoal::test::temp_dir;

using csv_row = std::map<std::string, std::string>;

// bench.csv as one map per row, keyed by the header's names.
std::vector<csv_row> read_csv(const std::filesystem::path& path) {
    std::istringstream in(read_file(path));
    std::string line;
    std::vector<std::string> head;
    std::vector<csv_row> rows;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::vector<std::string> cells;
        std::istringstream cs(line);
        std::string cell;
        while (std::getline(cs, cell, ',')) cells.push_back(cell);
        if (!line.empty() && line.back() == ',') cells.push_back("");
        if (head.empty()) {
            head = cells;
            continue;
        }
        REQUIRE(cells.size() == head.size());
        csv_row row;
        for (std::size_t i = 0; i < head.size(); ++i) row[head[i]] = cells[i];
        rows.push_back(row);
    }
    return rows;
}

const csv_row* find_row(const std::vector<csv_row>& rows, const std::string& mode, const std::string& tool,
                        const std::string& in_flight) {
    for (const csv_row& r : rows)
        if (r.at("mode") == mode && r.at("tool") == tool && r.at("in_flight") == in_flight) return &r;
    return nullptr;
}

bool wrk_installed() {
    return run_process({"sh", "-c", "command -v wrk"}, "", 10s).exit_code == 0;
}

// A figure printed from a NaN ("nan", "-nan") as a word of its own.
bool shows_nan(const std::string& text) {
    static const std::regex nan_word(R"(\bnan\b)", std::regex::icase);
    return std::regex_search(text, nan_word);
}

// A `wrk` in dir/bin running the shell `script`, and the PATH that finds it first.
std::string fake_wrk(const temp_dir& dir, const std::string& script) {
    std::filesystem::create_directories(dir / "bin");
    shoal::test::write_file(dir / "bin" / "wrk", "#!/bin/sh\n" + script + "\n");
    std::filesystem::permissions(dir / "bin" / "wrk", std::filesystem::perms::owner_all);
    const char* path = std::getenv("PATH");
    return "PATH=" + (dir / "bin").string() + ":" + (path ? path : "/usr/bin:/bin");
}

// Waits up to `timeout` until `path` holds `text` (the child may not have made it yet).
bool wait_for_text(const std::filesystem::path& path, const std::string& text, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!std::filesystem::exists(path) || read_file(path).find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

}  // namespace

TEST_CASE("bench: sweep defaults", "[bench]") {
    shoal::bench::bench_options o;
    const unsigned cpus = shoal::sys::cpu_count();
    CHECK(shoal::bench::processes_for(o) ==
          (cpus > 1 ? std::vector<unsigned>{1, cpus} : std::vector<unsigned>{1}));
    CHECK(shoal::bench::concurrency_for(o, "keep-alive") == std::vector<unsigned>{16, 64, 256, 1024});
    CHECK(shoal::bench::concurrency_for(o, "latency") == std::vector<unsigned>{100, 1000, 10000});
    CHECK(shoal::bench::repeats_for(o) == 3);
    CHECK(shoal::bench::urls_for(o, "https", 2, 64) == 20000);
    // Latency: 3 s at P*C/latency, at least 1000 and 10 per fetch in flight,
    // at most 50000 unless 10 per fetch in flight needs more.
    CHECK(shoal::bench::urls_for(o, "latency", 1, 100) == 3000);
    CHECK(shoal::bench::urls_for(o, "latency", 1, 10) == 1000);
    CHECK(shoal::bench::urls_for(o, "latency", 1, 1000) == 30000);
    CHECK(shoal::bench::urls_for(o, "latency", 2, 1000) == 50000);
    CHECK(shoal::bench::urls_for(o, "latency", 2, 10000) == 200000);
    o.latency_ms = 1000;
    CHECK(shoal::bench::urls_for(o, "latency", 1, 100) == 1000);
    CHECK(shoal::bench::urls_for(o, "latency", 1, 1000) == 10000);

    o.quick = true;
    CHECK(shoal::bench::processes_for(o) == std::vector<unsigned>{1});
    CHECK(shoal::bench::concurrency_for(o, "close") == std::vector<unsigned>{16, 64});
    CHECK(shoal::bench::repeats_for(o) == 1);
    CHECK(shoal::bench::urls_for(o, "close", 1, 16) == 2000);

    // Explicit lists win, sorted and without duplicates; --urls wins everywhere.
    o.concurrency = {64, 4, 64};
    o.urls = 300;
    CHECK(shoal::bench::concurrency_for(o, "latency") == std::vector<unsigned>{4, 64});
    CHECK(shoal::bench::urls_for(o, "latency", 1, 64) == 300);
}

TEST_CASE("bench: a quick HTTP sweep against the real serve", "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({SHOAL_BINARY, "bench", "--quick", "--modes", "keep-alive,close", "--processes", "1",
                          "--concurrency", "4,16", "--repeat", "1", "--urls", "300", "--no-wrk", "--out",
                          out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);

    const std::vector<csv_row> rows = read_csv(out / "bench.csv");
    CHECK(rows.size() == 4);
    for (const char* mode : {"keep-alive", "close"})
        for (const char* in_flight : {"4", "16"}) {
            INFO(mode << " " << in_flight);
            const csv_row* row = find_row(rows, mode, "shoal", in_flight);
            REQUIRE(row);
            CHECK(row->at("processes") == "1");
            CHECK(row->at("urls") == "300");
            CHECK(row->at("repeats") == "1");
            CHECK(std::stod(row->at("pages_per_s")) > 0);
            CHECK(std::stod(row->at("client_cpu_us_per_page")) > 0);
            CHECK(std::stod(row->at("server_cpu_us_per_page")) >= 0);
            CHECK(row->at("correct_percent") == "100.000");
            CHECK(row->at("tls_resumed_share").empty());
        }

    const std::string md = read_file(out / "bench.md");
    CHECK(md.find("## keep-alive") != std::string::npos);
    CHECK(md.find("## close") != std::string::npos);
    CHECK(md.find("--keep-alive off") != std::string::npos);
    CHECK(md.find("| shoal | 1 | 16 | 16 | 300 |") != std::string::npos);
    CHECK(md.find("| shoal | 1 | 4 | 4 | 300 |") != std::string::npos);
    CHECK(md.find("- command: `") != std::string::npos);
    CHECK(md.find("wrk reference") == std::string::npos);
    CHECK(md.find("`shoal serve`, without wrk.") != std::string::npos);
    // The tables also go to stdout.
    CHECK(r.out.find("| shoal | 1 | 16 | 16 | 300 |") != std::string::npos);

    const std::string svg = read_file(out / "bench.svg");
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find("keep-alive, P=1: 16 in flight") != std::string::npos);
    CHECK(svg.find("close, P=1: 4 in flight") != std::string::npos);
    CHECK(r.err.find("[4/4]") != std::string::npos);
}

TEST_CASE("bench: a point the open-file limit does not fit runs, and is labelled, as crawl lowers it",
          "[bench][integration]") {
    // At 300 descriptors crawl runs at most (300 - 64) / 2 = 118 fetches per
    // worker: -c 500 and -c 1000 both run as 118, one row.
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({"prlimit", "--nofile=300:300", SHOAL_BINARY, "bench", "--modes", "keep-alive",
                          "--processes", "1", "--concurrency", "16,500,1000", "--repeat", "1", "--urls", "1000",
                          "--no-wrk", "--out", out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const std::vector<csv_row> rows = read_csv(out / "bench.csv");
    CHECK(rows.size() == 2);
    CHECK(find_row(rows, "keep-alive", "shoal", "16"));
    CHECK(find_row(rows, "keep-alive", "shoal", "118"));
    CHECK_FALSE(find_row(rows, "keep-alive", "shoal", "500"));
    const std::string md = read_file(out / "bench.md");
    CHECK_THAT(md, Catch::Contains("keep-alive: P=1 C=500 does not fit the open-file limit (300): crawl runs it as "
                                   "P=1 C=118"));
    CHECK_THAT(md, Catch::Contains("P=1 C=1000 does not fit"));
    CHECK(r.err.find("[2/2]") != std::string::npos);
}

TEST_CASE("bench: a latency point given fewer than 10 URLs per fetch in flight says so", "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({SHOAL_BINARY, "bench", "--modes", "latency", "--latency", "20", "--processes", "1",
                          "--concurrency", "10,50", "--urls", "200", "--repeat", "1", "--no-wrk", "--out",
                          out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const std::string md = read_file(out / "bench.md");
    CHECK_THAT(md, Catch::Contains("latency: P=1 C=50 has 200 URLs, fewer than 10 per fetch in flight"));
    CHECK_THAT(md, !Catch::Contains("P=1 C=10 has"));  // 20 per fetch in flight
}

TEST_CASE("bench: a run that wrote only part of its records says how many", "[bench][integration]") {
    // The crawl's writer dies after about 200 KB of records (fault injection).
    temp_dir dir;
    auto r = run_process({"env", "SHOAL_FAULT_WRITER_DIE_AT=200000", SHOAL_BINARY, "bench", "--modes",
                          "keep-alive", "--processes", "1", "--concurrency", "16", "--urls", "2000", "--repeat",
                          "1", "--no-wrk", "--out", (dir / "report").string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code != 0);
    CHECK_THAT(r.err, Catch::Contains(" of 2,000 pages in "));
    CHECK_THAT(r.err, !Catch::Contains(": 2,000 pages in "));
    // Its note names the crawl's error, without advice to resume a file bench removes.
    const std::string report = shoal::test::read_file(dir / "report" / "bench.md");
    CHECK_THAT(report, Catch::Contains("crawl exited with"));
    CHECK_THAT(report, !Catch::Contains("--resume"));
}

TEST_CASE("bench: an HTTPS point reports TLS resumption", "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({SHOAL_BINARY, "bench", "--modes", "https", "--processes", "1", "--concurrency", "8",
                          "--repeat", "1", "--urls", "200", "--hosts", "16", "--no-wrk", "--out", out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const std::vector<csv_row> rows = read_csv(out / "bench.csv");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].at("mode") == "https");
    CHECK(rows[0].at("correct_percent") == "100.000");
    CHECK(std::stod(rows[0].at("pages_per_s")) > 0);
    REQUIRE_FALSE(rows[0].at("tls_resumed_share").empty());
    const double share = std::stod(rows[0].at("tls_resumed_share"));
    CHECK((share >= 0 && share <= 1));
    CHECK(read_file(out / "bench.md").find("TLS resumed %") != std::string::npos);
}

TEST_CASE("bench: wrk reference rows when wrk is installed", "[bench][integration]") {
    if (!wrk_installed()) {
        WARN("wrk is not on PATH: skipped");
        return;
    }
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({SHOAL_BINARY, "bench", "--modes", "keep-alive", "--processes", "1", "--concurrency",
                          "8", "--repeat", "1", "--urls", "200", "--wrk-seconds", "1", "--out", out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const std::vector<csv_row> rows = read_csv(out / "bench.csv");
    const csv_row* wrk = find_row(rows, "keep-alive", "wrk", "8");
    REQUIRE(wrk);
    CHECK(std::stod(wrk->at("pages_per_s")) > 0);
    CHECK(wrk->at("correct_percent").empty());
    CHECK(wrk->at("urls").empty());  // wrk runs for a duration
    const std::string md = read_file(out / "bench.md");
    CHECK(md.find("| wrk |") != std::string::npos);
    CHECK(md.find("x |") != std::string::npos);  // the shoal/wrk ratio
    CHECK(read_file(out / "bench.svg").find("wrk, keep-alive") != std::string::npos);
}

TEST_CASE("bench: usage and output errors", "[bench]") {
    temp_dir dir;
    for (std::vector<std::string> bad : {
             std::vector<std::string>{"--modes", "fast"},
             {"--processes", "0"},
             {"--concurrency", "4,x"},
             {"--repeat", "0"},
             {"--latency", "-5"},
             {"--serve-processes", "300"},
             {"stray"},
         }) {
        std::vector<std::string> argv = {SHOAL_BINARY, "bench", "--out", (dir / "x").string()};
        argv.insert(argv.end(), bad.begin(), bad.end());
        auto r = run_process(argv, "", 20s);
        INFO(bad[0]);
        CHECK(r.exit_code == 1);
        CHECK(r.err.rfind("shoal: ", 0) == 0);
        CHECK(r.err.find('\n') == r.err.size() - 1);  // one line
    }
    CHECK_FALSE(std::filesystem::exists(dir / "x"));
    // Each count of a list is decimal digits, said so by name.
    auto words = run_process({SHOAL_BINARY, "bench", "--out", (dir / "x").string(), "--concurrency", "16,abc"}, "", 20s);
    CHECK(words.err == "shoal: --concurrency: 'abc' is not a whole number from 1 to 100000 (see shoal bench --help)\n");
    auto hex = run_process({SHOAL_BINARY, "bench", "--out", (dir / "x").string(), "--processes", "0x2"}, "", 20s);
    CHECK(hex.err == "shoal: --processes: '0x2' is not a whole number from 1 to 1024 (see shoal bench --help)\n");
    // An empty item is a typo, not a shorter list.
    for (std::vector<std::string> empty : {std::vector<std::string>{"--processes", "1,,2"},
                                           {"--concurrency=16,"}, {"--modes", ",https"}, {"--modes="}}) {
        std::vector<std::string> argv = {SHOAL_BINARY, "bench", "--out", (dir / "x").string()};
        argv.insert(argv.end(), empty.begin(), empty.end());
        auto e = run_process(argv, "", 20s);
        INFO(empty[0]);
        CHECK(e.exit_code == 1);
        CHECK(e.err.find(": an empty item in '") != std::string::npos);
    }
    CHECK(run_process({SHOAL_BINARY, "bench", "--out", (dir / "x").string(), "--processes", "1,,2"}, "", 20s).err ==
          "shoal: --processes: an empty item in '1,,2' (see shoal bench --help)\n");

    auto r = run_process({SHOAL_BINARY, "bench", "--quick", "--out", "/dev/null/report"}, "", 20s);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("shoal: cannot make --out /dev/null/report: "));
    // Only the last directory is made: a typo in a parent makes no tree.
    const std::string typo = (dir / "no-such" / "report").string();
    auto deep = run_process({SHOAL_BINARY, "bench", "--quick", "--out", typo}, "", 20s);
    CHECK(deep.exit_code == 2);
    CHECK(deep.err == "shoal: cannot make --out " + typo + ": its parent directory " + (dir / "no-such").string() +
                          " does not exist (shoal bench makes only the last one)\n");
    CHECK_FALSE(std::filesystem::exists(dir / "no-such"));
    auto slash = run_process({SHOAL_BINARY, "bench", "--quick", "--out", typo + "/"}, "", 20s);
    CHECK(slash.err == "shoal: cannot make --out " + typo + "/: its parent directory " + (dir / "no-such").string() +
                           " does not exist (shoal bench makes only the last one)\n");

    auto help = run_process({SHOAL_BINARY, "bench", "--help"}, "", 20s);
    CHECK(help.exit_code == 0);
    CHECK(help.out.find("--concurrency") != std::string::npos);
}

TEST_CASE("bench: interrupted before any run, an earlier report stays as it was", "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    std::filesystem::create_directory(out);
    shoal::test::write_file(out / "bench.md", "an earlier report\n");
    // One run of 30 pages at 1 s each, one at a time: far from done at 1.5 s.
    shoal::test::background_process bench({SHOAL_BINARY, "bench", "--modes", "latency", "--latency", "1000",
                                           "--processes", "1", "--concurrency", "1", "--urls", "30", "--repeat",
                                           "1", "--no-wrk", "--hosts", "1", "--out", out.string()},
                                          dir / "stdout", dir / "stderr");
    std::this_thread::sleep_for(1500ms);
    ::kill(bench.pid(), SIGINT);
    auto status = bench.wait(30s);
    const std::string err = read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 3);
    CHECK(read_file(out / "bench.md") == "an earlier report\n");
    CHECK_FALSE(std::filesystem::exists(out / "bench.csv"));
    CHECK(err.find("no run was made; " + out.string() + " is left as it was") != std::string::npos);
}

TEST_CASE("bench: serve killed during the sweep, the report still goes to stdout and names the signal",
          "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    // Runs of 20 pages at 200 ms, 2 at a time: about 2 s each, 50 of them.
    shoal::test::background_process bench({SHOAL_BINARY, "bench", "--modes", "latency", "--latency", "200",
                                           "--processes", "1", "--concurrency", "2", "--urls", "20", "--repeat",
                                           "50", "--no-wrk", "--hosts", "1", "--out", out.string()},
                                          dir / "stdout", dir / "stderr");
    // Once the first run is reported the second is under way: serve dies in it.
    REQUIRE(wait_for_text(dir / "stderr", "[1/50]", 30s));
    std::this_thread::sleep_for(500ms);
    const std::vector<pid_t> serve = shoal::test::children_titled(bench.pid(), "shoal: serve");
    REQUIRE(serve.size() == 1);
    ::kill(serve[0], SIGKILL);
    auto status = bench.wait(60s);
    const std::string err = read_file(dir / "stderr");
    INFO(err);
    REQUIRE(status.has_value());
    CHECK(*status == 4);
    const std::string md = read_file(out / "bench.md");
    CHECK_THAT(md, Catch::Contains("the sweep stopped early: shoal serve (latency) ended during the sweep: "
                                   "killed by signal 9 (SIGKILL)"));
    CHECK_THAT(md, !Catch::Contains("exit status 137"));
    // The same report goes to stdout, as after Ctrl-C.
    CHECK(read_file(dir / "stdout") == md);
    // The run serve died in got no /stats figure: its line says so.
    CHECK_THAT(err, Catch::Contains("run 2/50: "));
    CHECK_THAT(err, Catch::Contains("server CPU not measured"));
    CHECK_FALSE(shows_nan(err));
    CHECK_FALSE(shows_nan(md));
}

TEST_CASE("bench: a wrk run that fails or prints no result is shown and noted as failed, never as nan",
          "[bench][integration]") {
    struct fake {
        std::string script;
        std::string problem;  // as the progress line and the note say it
        std::string detail;   // what wrk said, quoted after it
    };
    for (const fake& f : {
             fake{"echo 'unable to connect to 127.0.0.1:1 Connection refused' >&2; exit 1", "wrk failed (exit 1): ",
                  "unable to connect to 127.0.0.1:1 Connection refused"},
             fake{"echo '  100 requests in 1.00s, 1.00MB read'", "wrk printed no result: ",
                  "100 requests in 1.00s, 1.00MB read"},
             fake{"echo '  5 requests in .s'; echo 'Requests/sec: .'", "wrk printed no result: ",
                  "5 requests in .s Requests/sec: ."},
         }) {
        INFO(f.script);
        temp_dir dir;
        const auto out = dir / "report";
        auto r = run_process({"env", fake_wrk(dir, f.script), SHOAL_BINARY, "bench", "--modes", "keep-alive",
                              "--processes", "1", "--concurrency", "1", "--repeat", "1", "--urls", "100",
                              "--wrk-seconds", "1", "--out", out.string()},
                             "", 60s);
        INFO(r.err);
        REQUIRE_FALSE(r.timed_out);
        // wrk is the reference: its failure is noted, the crawl runs decide the exit code.
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("keep-alive wrk -t 1 -c 1 run 1/1: " + f.problem + f.detail + "\n"));
        CHECK_FALSE(shows_nan(r.err));
        const std::string md = read_file(out / "bench.md");
        CHECK_THAT(md, Catch::Contains("- keep-alive wrk -c 1 run 1: " + f.problem + f.detail + "\n"));
        CHECK_FALSE(shows_nan(md));
        const std::vector<csv_row> rows = read_csv(out / "bench.csv");
        const csv_row* wrk = find_row(rows, "keep-alive", "wrk", "1");
        REQUIRE(wrk);
        CHECK(wrk->at("pages_per_s").empty());  // a failed run has no figure
    }
}

TEST_CASE("bench: a hung wrk is stopped 10 s after --wrk-seconds", "[bench][integration]") {
    temp_dir dir;
    const auto out = dir / "report";
    auto r = run_process({"env", fake_wrk(dir, "sleep 60"), SHOAL_BINARY, "bench", "--modes", "keep-alive",
                          "--processes", "1", "--concurrency", "1", "--repeat", "1", "--urls", "100",
                          "--wrk-seconds", "1", "--out", out.string()},
                         "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.elapsed < 25s);  // 1 s + 10 s, then SIGTERM; the crawl run takes about a second
    CHECK_THAT(r.err, Catch::Contains("run 1/1: wrk killed after the time limit of 11 s"));
    CHECK_FALSE(shows_nan(r.err));
    CHECK_THAT(read_file(out / "bench.md"), Catch::Contains("- keep-alive wrk -c 1 run 1: wrk killed after the time "
                                                            "limit of 11 s"));
}
