// Dirty-input tests: the real `shoal crawl` over URL lists full of lines
// that are not usable URLs, and over command lines that must be refused
// before any fetch with one clear line and the documented exit code.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using shoal::test::local_site;
using shoal::test::temp_dir;

std::optional<std::string> str_field(const json::object& rec, std::string_view key) {
    const json::value* v = rec.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

std::optional<std::string> error_field(const json::object& rec, std::string_view key) {
    const json::value* v = rec.if_contains("error");
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return str_field(v->as_object(), key);
}

void check_input_error(const json::object& rec, std::optional<std::string> code = std::nullopt) {
    INFO(json::serialize(rec).substr(0, 400));
    CHECK(error_field(rec, "stage") == "input");
    if (code) CHECK(error_field(rec, "code") == *code);
    CHECK(rec.at("status").is_null());
    CHECK(rec.at("final_url").is_null());
}

void check_page(const json::object& rec, int n, const std::string& final_url) {
    INFO(json::serialize(rec).substr(0, 400));
    CHECK(rec.at("status") == 200);
    CHECK(rec.at("error").is_null());
    CHECK(str_field(rec, "title") == "Product " + std::to_string(n) + " | Test Shop");
    CHECK(str_field(rec, "final_url") == final_url);
}

}  // namespace

TEST_CASE("dirty input: every kind of bad line gets one record, the good lines are fetched",
          "[dirty]") {
    local_site site;
    temp_dir dir;
    const std::string base = site.url("");
    const std::string port = std::to_string(site.port());
    // line number -> text; the file has no newline after its last line.
    const std::vector<std::string> lines = {
        "  \t" + base + "/p/1.html \t ",                  // 1 blanks around the URL
        base + "/p/2.html\r",                             // 2 CRLF
        "not a url",                                      // 3
        "ftp://example.com/x",                            // 4 another scheme
        "mailto:someone@example.com",                     // 5
        "javascript:alert(1)",                            // 6
        "http://127.0.0.1:99999/",                        // 7 bad ports
        "http://127.0.0.1:0/",                            // 8
        "http://127.0.0.1:abc/",                          // 9
        "http://[::1]:" + port + "/p/3.html",             // 10 IPv6 literal, nobody listens on ::1
        "http://::1:" + port + "/p/3.html",               // 11 IPv6 literal without brackets
        "http://exa mple.com/",                           // 12 a space inside
        base + "/" + std::string(10000, 'a'),             // 13 longer than 8192 bytes
        base + "/p/4.html",                               // 14 intact after the long line
        base + "/p/\xff\xfe.html",                        // 15 invalid UTF-8 in the path
        "http://ex\xc3\x28mple.com/",                     // 16 invalid UTF-8 in the host
        base + std::string("/p/5\0.html", 10),            // 17 a NUL byte
        "# a comment",                                    // 18 skipped
        "",                                               // 19 skipped
        "   \t",                                          // 20 skipped
        "HTTP://127.0.0.1:" + port + "/p/6.html",         // 21 scheme in capitals
        // 22: an internationalised name: full-width "localhost", which UTS #46
        // maps to ASCII, so it stays on loopback.
        "http://\xef\xbd\x8c\xef\xbd\x8f\xef\xbd\x83\xef\xbd\x81\xef\xbd\x8c\xef\xbd\x88"
        "\xef\xbd\x8f\xef\xbd\x93\xef\xbd\x94:" + port + "/p/7.html",
        "http://[::1/",                                   // 23
        "https://",                                       // 24
        base + "/p/8.html",                               // 25 no newline at the end
    };
    std::string text;
    for (std::size_t i = 0; i < lines.size(); ++i) text += lines[i] + (i + 1 < lines.size() ? "\n" : "");
    shoal::test::write_file(dir / "urls.txt", text);
    const fs::path out = dir / "out.jsonl";
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       out.string(), "-q", "--timeout", "3", "--retries", "0"},
                                      "", 60s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    CHECK(r.elapsed < 20s);

    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) {  // throws on invalid UTF-8 or JSON
        auto n = rec.at("line").to_number<std::int64_t>();
        INFO("line " << n);
        REQUIRE(by_line.count(n) == 0);
        by_line.emplace(n, std::move(rec));
    }
    // Every line but the comment and the blank ones has its record.
    REQUIRE(by_line.size() == lines.size() - 3);
    for (int skipped : {18, 19, 20}) CHECK(by_line.count(skipped) == 0);

    check_page(by_line.at(1), 1, base + "/p/1.html");
    CHECK(str_field(by_line.at(1), "url") == base + "/p/1.html");  // trimmed
    check_page(by_line.at(2), 2, base + "/p/2.html");
    CHECK(str_field(by_line.at(2), "url") == base + "/p/2.html");
    check_input_error(by_line.at(3));
    for (int n : {4, 5, 6}) check_input_error(by_line.at(n), "unsupported_scheme");
    for (int n : {7, 8, 9}) check_input_error(by_line.at(n), "bad_port");
    {
        // Parsed as an IPv6 address and fetched: a connect error, not an input one.
        const auto& rec = by_line.at(10);
        INFO(json::serialize(rec));
        CHECK(error_field(rec, "stage") == "connect");
        CHECK(str_field(rec, "final_url") == lines[9]);
    }
    check_input_error(by_line.at(11));
    check_input_error(by_line.at(12));
    check_input_error(by_line.at(13), "too_long");
    CHECK(str_field(by_line.at(13), "url").value_or("").size() <= 8193);  // cut just past the limit
    check_page(by_line.at(14), 4, lines[13]);
    check_input_error(by_line.at(15));
    // Invalid bytes reach the record as U+FFFD, so the output stays UTF-8.
    CHECK(str_field(by_line.at(15), "url").value_or("").find("\xEF\xBF\xBD") != std::string::npos);
    check_input_error(by_line.at(16));
    check_input_error(by_line.at(17));
    check_page(by_line.at(21), 6, base + "/p/6.html");
    check_page(by_line.at(22), 7, "http://localhost:" + port + "/p/7.html");
    CHECK(str_field(by_line.at(22), "url") == lines[21]);  // the line as written
    check_input_error(by_line.at(23));
    check_input_error(by_line.at(24));
    check_page(by_line.at(25), 8, lines[24]);
}

TEST_CASE("dirty input: host names no resolver can look up are input records, not DNS lookups",
          "[dirty]") {
    local_site site;
    temp_dir dir;
    std::string long_name;
    while (long_name.size() < 250) long_name += std::string(49, 'a') + '.';
    long_name += "invalid";  // 257 bytes
    struct bad_line {
        std::string url;
        std::string says;
    };
    const std::vector<bad_line> bad = {
        {"http://a..b.invalid/x", "the host name has an empty label"},
        {"https://.shop.invalid/", "the host name has an empty label"},
        {"http://" + std::string(64, 'a') + ".invalid/", "the host name has a label longer than 63 bytes"},
        {"http://" + long_name + "/", "the host name is longer than 253 bytes"},
        {"http://xn--zz.invalid/", "'xn--zz' starts with xn-- but is not valid Punycode"},
        {"http://shop.xn--.invalid:8080/p/1.html", "'xn--' starts with xn-- but is not valid Punycode"},
    };
    std::string text;
    for (const auto& b : bad) text += b.url + "\n";
    text += site.url("") + "/p/1.html\n";  // the good line after them is fetched
    shoal::test::write_file(dir / "urls.txt", text);
    const fs::path out = dir / "out.jsonl";
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       out.string(), "-q", "--timeout", "3", "--retries", "0"},
                                      "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) by_line.emplace(rec.at("line").to_number<std::int64_t>(), rec);
    REQUIRE(by_line.size() == bad.size() + 1);
    for (std::size_t i = 0; i < bad.size(); ++i) {
        const json::object& rec = by_line.at(static_cast<std::int64_t>(i) + 1);
        check_input_error(rec, "bad_host");
        CHECK(str_field(rec, "url") == bad[i].url);
        CHECK_THAT(error_field(rec, "message").value_or(""), Catch::Contains(bad[i].says));
        CHECK(rec.at("attempts") == 0);
    }
    check_page(by_line.at(static_cast<std::int64_t>(bad.size()) + 1), 1, site.url("") + "/p/1.html");
}

TEST_CASE("dirty input: an empty list and a list of only blanks and comments finish empty",
          "[dirty]") {
    temp_dir dir;
    const std::string text = GENERATE(std::string(), std::string("\n\n# only a comment\r\n   \n\t\n"));
    shoal::test::write_file(dir / "urls.txt", text);
    const fs::path out = dir / "out.jsonl";
    const fs::path stats = dir / "stats.json";
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       out.string(), "-q", "--stats", stats.string()},
                                      "", 30s);
    INFO(r.err);
    REQUIRE_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    REQUIRE(fs::exists(out));
    CHECK(fs::file_size(out) == 0);
    auto summary = json::parse(shoal::test::read_file(stats)).as_object();
    CHECK(summary.at("records") == 0);
}

TEST_CASE("dirty input: a UTF-16, compressed or CR-ended list is refused before anything is written, saying what to do",
          "[dirty]") {
    temp_dir dir;
    // "http://127.0.0.1:1/a\r\n" as PowerShell's > writes it: UTF-16LE with a BOM.
    std::string utf16 = "\xFF\xFE";
    for (char c : std::string("http://127.0.0.1:1/a\r\n")) utf16 += std::string{c, '\0'};
    // The first bytes of `printf 'http://127.0.0.1:1/a\n' | gzip`.
    const std::string gzip("\x1F\x8B\x08\x00\x00\x00\x00\x00\x00\x03\xcb\x28\x29\x29", 14);
    const std::string cr_only = "http://127.0.0.1:1/a\rhttp://127.0.0.1:1/b\r";
    for (const auto& [list, said] : std::vector<std::pair<std::string, std::string>>{
             {utf16, "is UTF-16 (it starts with a UTF-16 byte order mark); shoal reads UTF-8 lists: convert it "
                     "first, e.g. iconv -f UTF-16 -t UTF-8 LIST > LIST.utf8"},
             {gzip, "is gzip-compressed; shoal reads text lists: zcat LIST | shoal crawl - ..."},
             {cr_only, "has lines ended by CR alone (classic Mac OS); shoal reads lines ended by LF or CRLF: "
                       "convert it first, e.g. tr '\\r' '\\n' < LIST > LIST.unix"}}) {
        shoal::test::write_file(dir / "list", list);
        const fs::path out = dir / "out.jsonl";
        const fs::path stats = dir / "stats.json";
        // A file, and stdin redirected from it: seen before anything is written.
        for (bool on_stdin : {false, true}) {
            INFO(said << ", on stdin: " << on_stdin);
            auto r = on_stdin ? shoal::test::run_process({"sh", "-c", "exec \"$0\" crawl - -o \"$1\" < \"$2\"",
                                                           SHOAL_BINARY, out.string(), (dir / "list").string()},
                                                          "", 30s)
                              : shoal::test::run_process(
                                    {SHOAL_BINARY, "crawl", (dir / "list").string(), "-o", out.string()}, "", 30s);
            CHECK(r.exit_code == 2);
            CHECK(r.err == "shoal: " + std::string(on_stdin ? "the URL list on stdin " : "URL file " +
                                                              (dir / "list").string() + " ") + said + "\n");
            CHECK_FALSE(fs::exists(out));
        }
        // Through a pipe, seen when its first bytes come, which the run
        // waits for before it opens the output: an earlier run's records,
        // run file and --stats stay as they were.
        INFO(said << ", through a pipe");
        shoal::test::write_file(out, "{\"line\":1}\n");
        shoal::test::write_file(out.string() + ".shoal-run", "earlier run\n");
        shoal::test::write_file(stats, "{}\n");
        auto piped = shoal::test::run_process(
            {SHOAL_BINARY, "crawl", "-", "-o", out.string(), "--stats", stats.string()}, list, 30s);
        CHECK(piped.exit_code == 2);
        CHECK(piped.err == "shoal: the URL list on stdin " + said + "\n");
        CHECK(shoal::test::read_file(out) == "{\"line\":1}\n");
        CHECK(shoal::test::read_file(out.string() + ".shoal-run") == "earlier run\n");
        CHECK(shoal::test::read_file(stats) == "{}\n");
        fs::remove(out);
        fs::remove(out.string() + ".shoal-run");
    }
}

TEST_CASE("dirty input: a pipe that ends before its first byte leaves an earlier output as it was", "[dirty]") {
    // `zcat missing.gz | shoal crawl - -o out.jsonl`: the command before the
    // pipe failed; the records of the run before are not emptied for it.
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    shoal::test::write_file(out, "{\"line\":1}\n");
    auto piped = shoal::test::run_process({SHOAL_BINARY, "crawl", "-", "-o", out.string()}, "", 30s);
    CHECK(piped.exit_code == 2);
    CHECK(piped.err == "shoal: the URL list on stdin is empty (did the command before the pipe fail?); " +
                           out.string() + " keeps the 11 bytes it holds. To empty it, crawl an empty list: "
                           "shoal crawl /dev/null -o " + out.string() + "\n");
    CHECK(shoal::test::read_file(out) == "{\"line\":1}\n");
    // An empty list by name is a complete run of nothing, as documented.
    auto named = shoal::test::run_process({SHOAL_BINARY, "crawl", "/dev/null", "-o", out.string(), "-q"}, "", 30s);
    CHECK(named.exit_code == 0);
    CHECK(shoal::test::read_file(out).empty());
    // With no earlier records, an empty pipe is an empty run too.
    auto fresh = shoal::test::run_process({SHOAL_BINARY, "crawl", "-", "-o", out.string(), "-q"}, "", 30s);
    CHECK(fresh.exit_code == 0);
}

TEST_CASE("dirty input: localhost, localhost. and names under .localhost are loopback, not DNS names", "[dirty]") {
    local_site site;  // on 127.0.0.1
    temp_dir dir;
    const std::string port = std::to_string(site.port());
    shoal::test::write_file(dir / "urls.txt", "http://localhost.:" + port + "/p/1.html\n" +
                                                  "http://shop.localhost:" + port + "/p/2.html\n" +
                                                  "http://a.b.LOCALHOST.:" + port + "/p/3.html\n");
    const fs::path out = dir / "out.jsonl";
    auto r = shoal::test::run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "-q", "--retries", "0"}, "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) by_line.emplace(rec.at("line").to_number<std::int64_t>(), rec);
    REQUIRE(by_line.size() == 3);
    check_page(by_line.at(1), 1, "http://localhost.:" + port + "/p/1.html");
    check_page(by_line.at(2), 2, "http://shop.localhost:" + port + "/p/2.html");
    check_page(by_line.at(3), 3, "http://a.b.localhost.:" + port + "/p/3.html");
}

TEST_CASE("dirty input: a list that fails to read partway ends the run after the lines read before it",
          "[dirty]") {
    local_site site;
    temp_dir dir;
    std::string text;
    std::vector<std::size_t> line_end;  // byte offset just past each line
    for (int n = 1; n <= 60; ++n) {
        text += site.url("/p/" + std::to_string(n) + ".html") + "\n";
        line_end.push_back(text.size());
    }
    shoal::test::write_file(dir / "urls.txt", text);
    // Reads fail (EIO) past the middle of line 31.
    const std::size_t fail_at = line_end[29] + 5;
    const fs::path out = dir / "out.jsonl";
    const std::vector<std::string> crawl = {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(),
                                            "-q", "-p", "2", "--chunk-size", "7"};
    std::vector<std::string> failing = {"env", "SHOAL_FAULT_LIST_EIO_AFTER=" + std::to_string(fail_at)};
    failing.insert(failing.end(), crawl.begin(), crawl.end());
    auto r = shoal::test::run_process(failing, "", 60s);
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err == "shoal: cannot read URL file " + (dir / "urls.txt").string() +
                       ": Input/output error; the records of the lines read before it are whole: to finish "
                       "once the list reads, run the same command with --resume\n");
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) {
        const auto n = rec.at("line").to_number<std::int64_t>();
        REQUIRE(by_line.count(n) == 0);
        by_line.emplace(n, std::move(rec));
    }
    REQUIRE(by_line.size() == 30);  // every line read whole, none after
    for (int n = 1; n <= 30; ++n) check_page(by_line.at(n), n, site.url("/p/" + std::to_string(n) + ".html"));
    std::vector<std::string> resume = crawl;
    resume.push_back("--resume");
    auto rest = shoal::test::run_process(resume, "", 60s);
    INFO(rest.err);
    CHECK(rest.exit_code == 0);
    CHECK(shoal::test::read_jsonl(out).size() == 60);
}

TEST_CASE("dirty input: lines past 64 KiB are blank, a URL among blanks, or too long, each as if short",
          "[dirty]") {
    local_site site;
    temp_dir dir;
    const std::string base = site.url("");
    const std::string pad(70000, ' ');
    shoal::test::write_file(dir / "urls.txt", base + "/p/1.html\n" +          // 1
                                                  pad + base + "/p/2.html\n" +  // 2 blanks, then a URL
                                                  base + "/p/3.html" + pad + "junk\n" +  // 3 too long
                                                  std::string(65536, '\t') + "\n" +     // 4 blank
                                                  base + "/p/5.html" + pad + "\n");     // 5 blanks after it
    const fs::path out = dir / "out.jsonl";
    auto r = shoal::test::run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "-q"}, "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(out)) by_line.emplace(rec.at("line").to_number<std::int64_t>(), rec);
    REQUIRE(by_line.size() == 4);
    check_page(by_line.at(1), 1, base + "/p/1.html");
    check_page(by_line.at(2), 2, base + "/p/2.html");
    check_input_error(by_line.at(3), "too_long");
    CHECK(by_line.count(4) == 0);
    check_page(by_line.at(5), 5, base + "/p/5.html");
}

TEST_CASE("dirty input: an unknown command is named as one, with the crawl command when it looks like a list",
          "[dirty]") {
    auto foo = shoal::test::run_process({SHOAL_BINARY, "foo"}, "", 30s);
    CHECK(foo.exit_code == 1);
    CHECK(foo.err == "shoal: unknown command 'foo'; the commands are crawl, extract, diff, serve and bench "
                     "(see shoal --help)\n");
    auto list = shoal::test::run_process({SHOAL_BINARY, "urls.txt", "-o", "x.jsonl"}, "", 30s);
    CHECK(list.exit_code == 1);
    CHECK_THAT(list.err, Catch::Contains("unknown command 'urls.txt'") &&
                             Catch::Contains("to crawl it: shoal crawl urls.txt"));
    // The command first: a list before it is named as the unknown command.
    auto before = shoal::test::run_process({SHOAL_BINARY, "urls.txt", "crawl", "-o", "x.jsonl"}, "", 30s);
    CHECK(before.exit_code == 1);
    CHECK_THAT(before.err, Catch::Contains("unknown command 'urls.txt'"));
    // "shoal help [COMMAND]" is its --help.
    auto help = shoal::test::run_process({SHOAL_BINARY, "help", "crawl"}, "", 30s);
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--concurrency"));
    CHECK(shoal::test::run_process({SHOAL_BINARY, "help", "serve"}, "", 30s).out.find("--page-size") != std::string::npos);
    CHECK(shoal::test::run_process({SHOAL_BINARY, "help"}, "", 30s).out.find("Other commands") != std::string::npos);
    CHECK(shoal::test::run_process({SHOAL_BINARY, "help", "help"}, "", 30s).out.find("Other commands") !=
          std::string::npos);
    // A misspelled option is named, with the one it is closest to.
    auto typo = shoal::test::run_process({SHOAL_BINARY, "crawl", "--concurency", "5", "urls.txt"}, "", 30s);
    CHECK(typo.exit_code == 1);
    CHECK(typo.err == "shoal: unknown option --concurency; did you mean --concurrency? (see shoal crawl --help)\n");
    auto far = shoal::test::run_process({SHOAL_BINARY, "crawl", "urls.txt", "--frobnicate=2"}, "", 30s);
    CHECK(far.err == "shoal: unknown option --frobnicate (see shoal crawl --help)\n");
    // So in the other commands, and for a misspelled command.
    CHECK(shoal::test::run_process({SHOAL_BINARY, "serve", "--page-szie", "8K"}, "", 30s).err ==
          "shoal: unknown option --page-szie; did you mean --page-size? (see shoal serve --help)\n");
    CHECK(shoal::test::run_process({SHOAL_BINARY, "diff", "--onyl", "price", "a.jsonl", "b.jsonl"}, "", 30s).err ==
          "shoal diff: unknown option --onyl; did you mean --only? (see shoal diff --help)\n");
    auto crwal = shoal::test::run_process({SHOAL_BINARY, "crwal", "urls.txt"}, "", 30s);
    CHECK(crwal.exit_code == 1);
    CHECK_THAT(crwal.err, Catch::StartsWith("shoal: unknown command 'crwal' (did you mean crawl?); the commands"));
    // Before any command, and short options: named, not "argument was not expected" or a missing file.
    CHECK(shoal::test::run_process({SHOAL_BINARY, "--verison"}, "", 30s).err ==
          "shoal: unknown option --verison; did you mean --version? (see shoal --help)\n");
    CHECK(shoal::test::run_process({SHOAL_BINARY, "crawl", "urls.txt", "-Z"}, "", 30s).err ==
          "shoal: unknown option -Z (a file named -Z is given as ./-Z; see shoal crawl --help)\n");
    auto dash = shoal::test::run_process({SHOAL_BINARY, "extract", "-dash.html"}, "", 30s);
    CHECK(dash.exit_code == 1);
    CHECK(dash.err == "shoal: unknown option -d in '-dash.html' (a file whose name starts with '-' is given as "
                      "./-dash.html; see shoal extract --help)\n");
    CHECK_THAT(shoal::test::run_process({SHOAL_BINARY, "diff", "-old.jsonl", "new.jsonl"}, "", 30s).err,
               Catch::StartsWith("shoal diff: unknown option -o in '-old.jsonl'"));
    // Flags run together: each is looked at.
    CHECK(shoal::test::run_process({SHOAL_BINARY, "diff", "-ax", "a.jsonl", "b.jsonl"}, "", 30s).err ==
          "shoal diff: unknown option -x in '-ax' (a file whose name starts with '-' is given as ./-ax; see shoal "
          "diff --help)\n");
    // Before the command: a crawl option is sent after it, a one-letter one gets no guess, '-' is stdin's.
    CHECK(shoal::test::run_process({SHOAL_BINARY, "--concurrency", "5", "crawl", "urls.txt"}, "", 30s).err ==
          "shoal: --concurrency is an option of crawl, given after it: shoal crawl URL_FILE --concurrency ... (see "
          "shoal crawl --help)\n");
    CHECK(shoal::test::run_process({SHOAL_BINARY, "--urls=5"}, "", 30s).err ==
          "shoal: unknown option --urls; a command's options go after the command (shoal COMMAND --urls ...) (see "
          "shoal --help)\n");
    CHECK(shoal::test::run_process({SHOAL_BINARY, "-x"}, "", 30s).err == "shoal: unknown option -x (see shoal --help)\n");
    // Crawl's options, short or misspelt, before the command.
    CHECK(shoal::test::run_process({SHOAL_BINARY, "-c", "5", "crawl", "urls.txt"}, "", 30s).err ==
          "shoal: -c is an option of crawl, given after it: shoal crawl URL_FILE -c ... (see shoal crawl --help)\n");
    CHECK(shoal::test::run_process({SHOAL_BINARY, "--resum", "crawl", "urls.txt"}, "", 30s).err ==
          "shoal: unknown option --resum; did you mean --resume? (see shoal --help)\n");
    auto stdin_first = shoal::test::run_process({SHOAL_BINARY, "-"}, "", 30s);
    CHECK(stdin_first.exit_code == 1);
    CHECK(stdin_first.err ==
          "shoal: '-' where the command goes; to crawl a list on stdin: shoal crawl - (see shoal --help)\n");
    // An option's value that starts with '-' is its value.
    CHECK_THAT(shoal::test::run_process({SHOAL_BINARY, "crawl", "urls.txt", "-c", "-5"}, "", 30s).err,
               Catch::Contains("--concurrency: '-5' is not a whole number from 1 to 100000"));
    CHECK(shoal::test::run_process({SHOAL_BINARY, "crawl", "-", "--format", "CSV", "-o", "-"}, "", 30s)
              .out.starts_with("line,url,"));
    // Another command's option given twice is said as crawl's is.
    auto twice = shoal::test::run_process({SHOAL_BINARY, "serve", "--duration", "1", "--duration", "2"}, "", 30s);
    CHECK(twice.exit_code == 1);
    CHECK(twice.err == "shoal: --duration: given more than once; give it once (see shoal serve --help)\n");
}

TEST_CASE("dirty input: bad command lines are refused before any fetch, in one line", "[dirty]") {
    // The URL file points at a listener that never accepts: any fetch would
    // leave a connection in its backlog.
    shoal::test::silent_listener listener;
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", listener.url("http", "/a") + "\n" +
                                                  listener.url("http", "/b") + "\n");
    fs::create_directory(dir / "a-directory");
    const std::string urls = (dir / "urls.txt").string();
    const std::string out = (dir / "out.jsonl").string();
    struct refused {
        std::vector<std::string> args;  // after `shoal crawl`
        int code;
        std::string says;  // part of the message
    };
    const std::vector<refused> cases = {
        {{urls, "-o", out, "-c", "0"}, 1, "--concurrency"},
        {{urls, "-o", out, "-c", "100001"}, 1, "--concurrency"},
        {{urls, "-o", out, "-p", "0"}, 1, "--processes"},
        {{urls, "-o", out, "--timeout", "0"}, 1, "--timeout: '0' is not from 0.001 to 86400"},
        {{urls, "-o", out, "--timeout", "-1"}, 1, "--timeout"},
        {{urls, "-o", out, "--timeout", "soon"}, 1, "--timeout"},
        {{urls, "-o", out, "--retries", "101"}, 1, "--retries"},
        {{urls, "-o", out, "--max-body", "0"}, 1, "--max-body: '0' is less than 1 byte"},
        {{urls, "-o", out, "--max-body", "0K"}, 1, "--max-body: '0K' (0 bytes) is less than 1 byte"},
        {{urls, "-o", out, "--max-body", "5G"}, 1,
         "--max-body: '5G' (5368709120 bytes) is more than 4G (4294967296 bytes)"},
        {{urls, "-o", out, "--max-body", "4294967297"}, 1, "--max-body: '4294967297' is more than 4G"},
        {{urls, "-o", out, "--max-body", "99999999999999999999999K"}, 1,
         "'99999999999999999999999K' is more than 4G (4294967296 bytes)"},
        {{urls, "-o", out, "--max-body", "8MB"}, 1, "--max-body: '8MB' is not a size in bytes"},
        {{urls, "-o", out, "--max-body", "1.5M"}, 1, "--max-body: '1.5M' is not a size in bytes"},
        {{urls, "-o", out, "--max-body", "M"}, 1, "--max-body: 'M' is not a size in bytes"},
        {{urls, "-o", out, "--max-body", "-1"}, 1, "--max-body"},
        {{urls, "-o", out, "--chunk-size", "0"}, 1, "--chunk-size"},
        {{urls, "-o", out, "--per-host", "0"}, 1, "--per-host"},
        {{urls, "-o", out, "--per-host-rate", "0"}, 1, "--per-host-rate: '0' is not from 0.001 to 1000000"},
        {{urls, "-o", out, "--per-host-rate", "fast"}, 1, "--per-host-rate"},
        {{urls, "-o", out, "--max-redirects", "1000"}, 1, "--max-redirects"},
        {{urls, "-o", out, "--grace", "-1"}, 1, "--grace: '-1' is not from 0 to 3600"},
        {{urls, "-o", out, "--header", "no colon"}, 1, "--header"},
        {{urls, "-o", out, "--ca-file", (dir / "missing.pem").string()}, 1, "missing.pem"},
        {{urls, "-o", out, "--rules", (dir / "missing.toml").string()}, 1, "missing.toml"},
        {{urls, "-o", out, "--no-such-option"}, 1, "--no-such-option"},
        {{(dir / "missing.txt").string(), "-o", out}, 2, "missing.txt"},
        {{(dir / "a-directory").string(), "-o", out}, 2, "a-directory"},
        {{urls, "-o", (dir / "no-such-dir" / "out.jsonl").string()}, 2, "no-such-dir"},
        {{urls, "-o", (dir / "a-directory").string()}, 2, "a-directory"},
        {{urls, "-o", out, "--stats", (dir / "no-such-dir" / "s.json").string()}, 2, "--stats"},
        // Not numbers, or numbers CLI11 would read as octal or hex: 0200000
        // is 65536 in octal, a valid --concurrency, but 200000 is too many.
        {{urls, "-o", out, "--timeout", "nan"}, 1, "--timeout"},
        {{urls, "-o", out, "--grace", "inf"}, 1, "--grace"},
        {{urls, "-o", out, "-p", "0x10"}, 1, "--processes"},
        {{urls, "-o", out, "-c", "0200000"}, 1, "--concurrency"},
        {{urls, "-o", out, "-p", "abc"}, 1, "--processes: 'abc' is not a whole number from 1 to 1024"},
        {{urls, "-o", out, "-c", "-1"}, 1, "--concurrency: '-1' is not a whole number from 1 to 100000"},
        {{urls, "-o", out, "-c", "0"}, 1, "--concurrency: '0' is not from 1 to 100000"},
        {{urls, "-o", out, "-c", "000"}, 1, "--concurrency: '000' is not from 1 to 100000"},
        {{urls, "-o", out, "--timeout", "30s"}, 1, "--timeout: '30s' is not a number from 0.001 to 86400"},
        {{urls, "-o", out, "-c"}, 1, "--concurrency: needs a value (N)"},
        // Headers that would break the request.
        {{urls, "-o", out, "--header", "Content-Length: 5"}, 1, "Content-Length"},
        {{urls, "-o", out, "--header", "transfer-encoding: chunked"}, 1, "transfer-encoding"},
        {{urls, "-o", out, "--header", "Bad(Name): v"}, 1, "Bad(Name)"},
        {{urls, "-o", out, "--header", "K: a\x01" "b"}, 1, "control character"},
        {{urls, "-o", out, "--user-agent", "a\x01" "b"}, 1, "--user-agent"},
        // Empty paths, and a --stats of '-'.
        {{urls, "-o", ""}, 1, "--output"},
        {{urls, "-o", out, "--stats", ""}, 1, "--stats"},
        {{urls, "-o", out, "--stats", "-"}, 1, "--stats"},
        {{urls, "-o", out, "--rules", ""}, 1, "--rules"},
        {{urls, "-o", out, "-c", "50", "-c", "200"}, 1, "--concurrency: given more than once"},
        // The summary over the records, even before the output exists.
        {{urls, "-o", out, "--stats", out}, 1, "same file"},
        {{urls, "-o", (dir / "." / "out.jsonl").string(), "--stats", out}, 1, "same file"},
        // A FIFO cannot be read back (and would wait for a writer).
        {{urls, "-o", (dir / "a-fifo").string(), "--resume"}, 1, "regular output file"},
    };
    REQUIRE(::mkfifo((dir / "a-fifo").c_str(), 0600) == 0);
    for (const auto& c : cases) {
        std::vector<std::string> argv = {SHOAL_BINARY, "crawl"};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        std::string shown;
        for (const auto& a : c.args) shown += a + " ";
        INFO("shoal crawl " << shown);
        auto r = shoal::test::run_process(argv, "", 30s);
        INFO("stderr: " << r.err);
        REQUIRE_FALSE(r.timed_out);
        CHECK(r.exit_code == c.code);
        auto lines = shoal::test::nonempty_lines(r.err);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].rfind("shoal: ", 0) == 0);
        CHECK(lines[0].find(c.says) != std::string::npos);
        CHECK(r.out.empty());
        CHECK(r.elapsed < 10s);
        CHECK_FALSE(fs::exists(out));  // not even created
        CHECK_FALSE(listener.connected());
    }
}

TEST_CASE("dirty input: the files a run writes are never the files it reads", "[dirty]") {
    // Records written over the URL list would destroy it; appended to it,
    // they would be read back as more lines. --stats is a file written too.
    shoal::test::silent_listener listener;
    temp_dir dir;
    const std::string list = listener.url("http", "/a") + "\n" + listener.url("http", "/b") + "\n";
    const fs::path urls = dir / "urls.txt", rules = dir / "rules.toml";
    shoal::test::write_file(urls, list);
    const std::string rules_text = "[[rule]]\nname = \"title\"\npattern = '<title>(.*?)</title>'\n";
    shoal::test::write_file(rules, rules_text);
    fs::create_symlink(urls, dir / "link.jsonl");
    const std::string u = urls.string(), bin = SHOAL_BINARY;
    struct refused {
        std::vector<std::string> argv;
        std::string says;
    };
    const std::vector<refused> cases = {
        {{bin, "crawl", u, "-o", u}, "the output " + u + " is the same file as the URL file"},
        {{bin, "crawl", u, "-o", (dir / "link.jsonl").string()}, "is the same file as the URL file"},
        {{bin, "crawl", u, "-o", (dir / "o.jsonl").string(), "--stats", u}, "--stats " + u},
        {{bin, "crawl", u, "-o", rules.string(), "--rules", rules.string()}, "the --rules file"},
        {{bin, "crawl", u, "-o", u, "--resume"}, "the URL file"},
        {{"sh", "-c", "exec \"$0\" crawl - -o \"$1\" < \"$1\"", bin, u}, "the URL list on stdin"},
        {{"sh", "-c", "exec \"$0\" crawl \"$1\" >> \"$1\"", bin, u}, "stdout is the same file"},
    };
    for (const auto& c : cases) {
        std::string shown;
        for (const auto& a : c.argv) shown += a + " ";
        INFO(shown);
        auto r = shoal::test::run_process(c.argv, "", 30s);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 1);
        auto lines = shoal::test::nonempty_lines(r.err);
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find(c.says) != std::string::npos);
        CHECK(shoal::test::read_file(urls) == list);
        CHECK(shoal::test::read_file(rules) == rules_text);
        CHECK_FALSE(fs::exists(dir / "o.jsonl"));
        CHECK_FALSE(listener.connected());
    }
}

TEST_CASE("dirty input: help that cannot be written, stdin named twice, a format against the name", "[dirty]") {
    // Help to a full disk is an error, not a silent exit 0.
    for (const char* command : {"crawl", "serve", "bench", "extract", "diff"}) {
        INFO(command);
        auto r = shoal::test::run_process({"sh", "-c", std::string(SHOAL_BINARY) + " " + command + " --help > /dev/full"},
                                          "", 30s);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("cannot write the help to stdout"));
    }
    // stdin holds one page.
    auto twice = shoal::test::run_process({SHOAL_BINARY, "extract", "-", "-"}, "<title>x</title>", 30s);
    CHECK(twice.exit_code == 1);
    CHECK_THAT(twice.err, Catch::Contains("'-' (a page from stdin) is given more than once"));
    auto empty = shoal::test::run_process({SHOAL_BINARY, "extract", ""}, "", 30s);
    CHECK(empty.exit_code == 1);
    CHECK_THAT(empty.err, Catch::Contains("an empty FILE name"));
    // --format against the output's name: a warning, and the one-record summary in the singular.
    local_site site;
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", site.url("/p/1.html") + "\n");
    auto csv_in_jsonl = shoal::test::run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(), "--format", "csv"}, "",
        30s);
    CHECK(csv_in_jsonl.exit_code == 0);
    CHECK_THAT(csv_in_jsonl.err, Catch::Contains("--format csv writes CSV into a file whose name says JSONL"));
    CHECK_THAT(csv_in_jsonl.err, Catch::Contains("shoal: 1 record in "));
}
