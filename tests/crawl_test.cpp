// Integration tests: the real `shoal crawl` binary against tools/local_site.py on
// 127.0.0.1, checked against the record contract in DESIGN.md.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
using shoal::test::local_site;
using shoal::test::process_result;
using shoal::test::run_process;
using shoal::test::temp_dir;

struct crawl_result {
    process_result proc;
    std::vector<json::object> records;
    std::map<std::int64_t, json::object> by_line;
};

std::string join_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

void index_records(crawl_result& r) {
    for (const auto& rec : r.records) {
        const json::value* line = rec.if_contains("line");
        INFO(json::serialize(rec));
        REQUIRE(line != nullptr);
        REQUIRE(line->is_number());
        auto n = line->to_number<std::int64_t>();
        CHECK(r.by_line.count(n) == 0);  // one record per line, never two
        r.by_line.emplace(n, rec);
    }
}

// Runs `shoal crawl DIR/urls.txt -o DIR/out.jsonl OPTIONS...` with a hard timeout.
crawl_result crawl(const temp_dir& dir, const std::vector<std::string>& lines,
                   const std::vector<std::string>& options = {},
                   std::chrono::milliseconds timeout = 120s) {
    const fs::path urls = dir / "urls.txt";
    const fs::path out = dir / "out.jsonl";
    shoal::test::write_file(urls, join_lines(lines));
    std::vector<std::string> argv = {SHOAL_BINARY, "crawl", urls.string(), "-o", out.string()};
    argv.insert(argv.end(), options.begin(), options.end());
    crawl_result r;
    r.proc = run_process(argv, "", timeout);
    INFO("stderr: " << r.proc.err);
    REQUIRE_FALSE(r.proc.timed_out);
    if (fs::exists(out)) r.records = shoal::test::read_jsonl(out);
    index_records(r);
    return r;
}

// The 1-based line numbers of the lines that are neither blank nor comments.
std::set<std::int64_t> url_lines(const std::vector<std::string>& lines) {
    std::set<std::int64_t> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string l = lines[i];
        while (!l.empty() && (l.back() == '\r' || l.back() == ' ')) l.pop_back();
        if (!l.empty() && l[0] != '#') out.insert(static_cast<std::int64_t>(i + 1));
    }
    return out;
}

// REQUIRES exit code 0 and exactly one record for each URL line.
void require_complete(const crawl_result& r, const std::vector<std::string>& lines) {
    INFO("stderr: " << r.proc.err);
    REQUIRE(r.proc.exit_code == 0);
    const auto want = url_lines(lines);
    REQUIRE(r.records.size() == want.size());
    std::set<std::int64_t> got;
    for (const auto& [n, rec] : r.by_line) got.insert(n);
    REQUIRE(got == want);
}

bool is_null_or_missing(const json::object& rec, std::string_view key) {
    const json::value* v = rec.if_contains(key);
    return v == nullptr || v->is_null();
}

std::optional<std::int64_t> int_field(const json::object& rec, std::string_view key) {
    const json::value* v = rec.if_contains(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->to_number<std::int64_t>();
}

std::optional<std::string> str_field(const json::object& rec, std::string_view key) {
    const json::value* v = rec.if_contains(key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

std::optional<std::string> sub_field(const json::object& rec, std::string_view outer,
                                     std::string_view key) {
    const json::value* v = rec.if_contains(outer);
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return str_field(v->as_object(), key);
}

std::optional<std::int64_t> status(const json::object& rec) { return int_field(rec, "status"); }
std::optional<std::string> title(const json::object& rec) { return str_field(rec, "title"); }
std::optional<std::string> stage(const json::object& rec) { return sub_field(rec, "error", "stage"); }
std::optional<std::string> amount(const json::object& rec) { return sub_field(rec, "price", "amount"); }
std::optional<std::string> currency(const json::object& rec) {
    return sub_field(rec, "price", "currency");
}

std::string product_title(int n) { return "Product " + std::to_string(n) + " | Test Shop"; }

// Checks a successful product-page record for page n.
void check_product(const json::object& rec, int n, const std::string& final_url) {
    INFO(json::serialize(rec));
    CHECK(status(rec) == 200);
    CHECK(is_null_or_missing(rec, "error"));
    CHECK(title(rec) == product_title(n));
    CHECK(amount(rec) == std::to_string(n) + ".99");
    CHECK(currency(rec) == "USD");
    CHECK(str_field(rec, "final_url") == final_url);
    CHECK(int_field(rec, "bytes").value_or(0) > 0);
}

void check_stage(const json::object& rec, std::initializer_list<const char*> stages) {
    INFO(json::serialize(rec));
    auto s = stage(rec);
    REQUIRE(s.has_value());
    bool ok = false;
    for (const char* want : stages) ok = ok || *s == want;
    CHECK(ok);
}

}  // namespace

TEST_CASE("crawl: plain pages give status title and price", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {"# product pages", ""};
    for (int n = 1; n <= 20; ++n) lines.push_back(site.url("/p/" + std::to_string(n) + ".html"));
    lines.insert(lines.begin() + 7, "");
    lines.insert(lines.begin() + 12, "# another comment");
    lines[15] += "\r";  // CRLF line endings are accepted
    auto r = crawl(dir, lines, {"-p", "1"});
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) {
        std::string url = lines[static_cast<std::size_t>(n - 1)];
        if (url.back() == '\r') url.pop_back();
        int page = std::stoi(url.substr(url.rfind('/') + 1));
        INFO(json::serialize(rec));
        CHECK(str_field(rec, "url") == url);
        CHECK(int_field(rec, "attempts") == 1);
        CHECK(sub_field(rec, "price", "raw") == "$" + std::to_string(page) + ".99");
        check_product(rec, page, url);
    }
}

TEST_CASE("crawl: gzip deflate and chunked bodies are decoded", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (const char* kind : {"gzip", "deflate", "chunked"}) {
        for (int n = 1; n <= 5; ++n) {
            lines.push_back(site.url("/" + std::string(kind) + "/p/" + std::to_string(n) + ".html"));
        }
    }
    auto r = crawl(dir, lines);
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) {
        const std::string& url = lines[static_cast<std::size_t>(n - 1)];
        check_product(rec, static_cast<int>((n - 1) % 5 + 1), url);
    }
}

TEST_CASE("crawl: relative and absolute and 303/307/308 redirects are followed", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {
        site.url("/redirect/1/p/11.html"),          site.url("/redirect/4/p/12.html"),
        site.url("/redirect-abs/p/13.html"),        site.url("/redirect-code/301/p/14.html"),
        site.url("/redirect-code/303/p/15.html"),   site.url("/redirect-code/307/p/16.html"),
        site.url("/redirect-code/308/p/17.html"),
    };
    auto r = crawl(dir, lines);
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) {
        int page = static_cast<int>(10 + n);
        check_product(rec, page, site.url("/p/" + std::to_string(page) + ".html"));
        CHECK(str_field(rec, "url") == lines[static_cast<std::size_t>(n - 1)]);
    }
}

TEST_CASE("crawl: redirect loops and redirects to ftp fail at stage redirect", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/redirect-loop"), site.url("/redirect-ftp"),
                                      site.url("/p/1.html")};
    auto r = crawl(dir, lines, {}, 60s);
    require_complete(r, lines);
    check_stage(r.by_line.at(1), {"redirect"});
    check_stage(r.by_line.at(2), {"redirect"});
    check_product(r.by_line.at(3), 1, lines[2]);
}

TEST_CASE("crawl: a redirect whose next hop gets no answer keeps the redirect's status", "[crawl]") {
    // status is the last HTTP status received: the 302, then a refused connection.
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/to-port/1/p/1.html")};
    auto r = crawl(dir, lines, {"--retries", "1"}, 60s);
    require_complete(r, lines);
    check_stage(r.by_line.at(1), {"connect"});
    CHECK(status(r.by_line.at(1)) == 302);
}

TEST_CASE("crawl: HTTP error statuses are recorded as statuses", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/status/404"), site.url("/status/500"),
                                      site.url("/status/410"), site.url("/no/such/page")};
    auto r = crawl(dir, lines, {"--retries", "1"});
    require_complete(r, lines);
    CHECK(status(r.by_line.at(1)) == 404);
    CHECK(int_field(r.by_line.at(1), "attempts") == 1);  // 4xx is not retried
    CHECK(status(r.by_line.at(2)) == 500);
    CHECK(int_field(r.by_line.at(2), "attempts") == 2);  // 5xx is, --retries 1 times
    CHECK(status(r.by_line.at(3)) == 410);
    CHECK(status(r.by_line.at(4)) == 404);
}

TEST_CASE("crawl: connection refused fails at stage connect", "[crawl]") {
    temp_dir dir;
    const int port = shoal::test::unused_port();
    std::vector<std::string> lines = {"http://127.0.0.1:" + std::to_string(port) + "/p/1.html"};
    auto r = crawl(dir, lines, {"--retries", "0"}, 60s);
    require_complete(r, lines);
    const auto& rec = r.by_line.at(1);
    INFO(json::serialize(rec));
    CHECK(is_null_or_missing(rec, "status"));
    check_stage(rec, {"connect"});
}

TEST_CASE("crawl: --timeout bounds hanging and trickling responses", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/hang"), site.url("/trickle"), site.url("/p/2.html")};
    auto r = crawl(dir, lines, {"--timeout", "1", "--retries", "0"}, 60s);
    require_complete(r, lines);
    CHECK(r.proc.elapsed < 10s);
    check_stage(r.by_line.at(1), {"request", "response", "body"});
    CHECK(is_null_or_missing(r.by_line.at(1), "status"));
    check_stage(r.by_line.at(2), {"request", "response", "body"});
    check_product(r.by_line.at(3), 2, lines[2]);
}

TEST_CASE("crawl: --retries recovers from 503 and 429", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/flaky/a/2/p/5.html"), site.url("/429/b/2/p/6.html"),
                                      site.url("/flaky/c/5/p/7.html")};
    auto r = crawl(dir, lines, {"--retries", "2"}, 90s);
    require_complete(r, lines);
    check_product(r.by_line.at(1), 5, lines[0]);
    CHECK(int_field(r.by_line.at(1), "attempts") == 3);
    check_product(r.by_line.at(2), 6, lines[1]);
    CHECK(int_field(r.by_line.at(2), "attempts") == 3);
    // Out of retries: the last status is what the record holds.
    CHECK(status(r.by_line.at(3)) == 503);
    CHECK(int_field(r.by_line.at(3), "attempts") == 3);
}

TEST_CASE("crawl: a Retry-After given as an HTTP-date is waited for", "[crawl]") {
    local_site site;
    temp_dir dir;
    // The date is 2 s ahead when sent, in whole seconds: the wait is over 1 s.
    // In each of the three forms of RFC 9110.
    std::vector<std::string> lines = {site.url("/429date/d/1/p/3.html"), site.url("/429date850/d/1/p/4.html"),
                                      site.url("/429dateasc/d/1/p/5.html")};
    auto r = crawl(dir, lines, {"--retries", "1"}, 60s);
    require_complete(r, lines);
    for (int line = 1; line <= 3; ++line) {
        INFO("line " << line);
        check_product(r.by_line.at(line), line + 2, lines[static_cast<std::size_t>(line - 1)]);
        CHECK(int_field(r.by_line.at(line), "attempts") == 2);
        const double elapsed = r.by_line.at(line).at("elapsed_ms").to_number<double>();
        CHECK(elapsed > 1000.0);
        CHECK(elapsed < 5000.0);
    }
}

TEST_CASE("crawl: a 429 with Retry-After holds back every request to its site, not only its own retry",
          "[crawl]") {
    // One worker (the pause is a worker's), one request at a time to the
    // site; each URL's first request is
    // answered 429 with Retry-After: 2. The next request, another URL's
    // included, comes 2 s after each 429.
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/429wait/a/1/p/1.html"), site.url("/429wait/b/1/p/2.html"),
                                      site.url("/429wait/c/1/p/3.html")};
    auto r = crawl(dir, lines, {"--retries", "1", "--per-host", "1", "-p", "1"}, 60s);
    require_complete(r, lines);
    for (int line = 1; line <= 3; ++line) CHECK(int_field(r.by_line.at(line), "attempts") == 2);
    auto arrivals = json::parse(site.get("/arrivals")).as_array();
    REQUIRE(arrivals.size() == 6);
    std::vector<double> t;
    for (const auto& v : arrivals) t.push_back(v.to_number<double>());
    std::sort(t.begin(), t.end());
    INFO("arrivals (s): " << json::serialize(json::value_from(t)));
    // Three 429s, each followed by a 2 s pause of the whole site.
    CHECK(t[1] - t[0] >= 1.9);  // was 0: the next URL's request went out at once
    CHECK(t.back() - t.front() >= 5.7);
}

TEST_CASE("crawl: a fetch waiting for its retry holds no place among --concurrency", "[crawl]") {
    // One lane: while line 1 waits out its backoffs (0.1 s and more each),
    // lines 2 to 6 are fetched on its place, and their records come first.
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/flaky/w/2/p/1.html")};
    for (int n = 2; n <= 6; ++n) lines.push_back(site.url("/p/" + std::to_string(n) + ".html"));
    auto r = crawl(dir, lines, {"-p", "1", "-c", "1", "--retries", "2"}, 60s);
    require_complete(r, lines);
    check_product(r.by_line.at(1), 1, lines[0]);
    CHECK(int_field(r.by_line.at(1), "attempts") == 3);
    for (int n = 2; n <= 6; ++n) check_product(r.by_line.at(n), n, lines[static_cast<std::size_t>(n - 1)]);
    REQUIRE(r.records.size() == 6);
    CHECK(r.records.back().at("line") == 1);  // written last: the others did not wait for it
}

TEST_CASE("crawl: lines that are not usable http(s) URLs get input errors", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {"not a url",          site.url("/p/1.html"),
                                      "ftp://x/y",          "http://",
                                      "# comment",          "http://127.0.0.1:99999/",
                                      site.url("/p/2.html")};
    auto r = crawl(dir, lines, {}, 60s);
    require_complete(r, lines);
    for (std::int64_t n : {1, 3, 4, 6}) {
        const auto& rec = r.by_line.at(n);
        INFO(json::serialize(rec));
        check_stage(rec, {"input"});
        CHECK(is_null_or_missing(rec, "status"));
    }
    check_product(r.by_line.at(2), 1, lines[1]);
    check_product(r.by_line.at(7), 2, lines[6]);
}

TEST_CASE("crawl: every record has the rule file's fields, those of failed fetches too", "[crawl]") {
    local_site site;
    temp_dir dir;
    shoal::test::write_file(dir / "rules.toml", "[[rule]]\nname = \"h1\"\npattern = '<h1>(.*?)</h1>'\n"
                                                "[[rule]]\nname = \"links\"\npattern = 'href=\"([^\"]*)\"'\n"
                                                "all = true\n");
    std::vector<std::string> lines = {"not a url", site.url("/p/1.html"),
                                      "http://127.0.0.1:" + std::to_string(shoal::test::unused_port()) + "/"};
    auto r = crawl(dir, lines, {"--rules", (dir / "rules.toml").string(), "--retries", "0"}, 60s);
    require_complete(r, lines);
    for (std::int64_t n : {1, 3}) {
        const auto& rec = r.by_line.at(n);
        INFO(json::serialize(rec));
        CHECK(json::serialize(rec.at("fields")) == R"({"h1":null,"links":[]})");  // was {}
    }
    const auto& page = r.by_line.at(2).at("fields").as_object();
    CHECK(page.at("h1").is_string());
    CHECK(page.at("links").is_array());
}

TEST_CASE("crawl: 500 URLs through 8 lanes", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int n = 1; n <= 500; ++n) lines.push_back(site.url("/p/" + std::to_string(n) + ".html"));
    auto r = crawl(dir, lines, {"-c", "8", "-p", "1"});
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) check_product(rec, static_cast<int>(n), lines[n - 1]);
}

TEST_CASE("crawl: 3 processes over 8 chunks give one record per line", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int n = 1; n <= 400; ++n) lines.push_back(site.url("/p/" + std::to_string(n) + ".html"));
    auto r = crawl(dir, lines, {"-p", "3", "--chunk-size", "50", "-c", "16"});
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) {
        INFO(json::serialize(rec));
        CHECK(status(rec) == 200);
        CHECK(title(rec) == product_title(static_cast<int>(n)));
    }
}

TEST_CASE("crawl: slow pages are fetched concurrently", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int n = 1; n <= 200; ++n) {
        lines.push_back(site.url("/slow/500/p/" + std::to_string(n) + ".html"));
    }
    auto r = crawl(dir, lines, {"-c", "100", "-p", "1"});
    require_complete(r, lines);
    CHECK(r.proc.elapsed < 20s);  // one at a time would take 100 s
    for (const auto& [n, rec] : r.by_line) CHECK(status(rec) == 200);
}

TEST_CASE("crawl: keep-alive connections are reused", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int n = 1; n <= 200; ++n) lines.push_back(site.url("/conn-id?n=" + std::to_string(n)));
    const std::string stats_path = (dir / "stats.json").string();
    auto r = crawl(dir, lines, {"-c", "4", "-p", "1", "--stats", stats_path});
    require_complete(r, lines);
    std::set<std::string> conns;
    for (const auto& [n, rec] : r.by_line) {
        INFO(json::serialize(rec));
        CHECK(status(rec) == 200);
        conns.insert(title(rec).value_or(""));
    }
    CHECK(conns.size() <= 20);
    std::string stats_text = site.get("/stats");
    INFO("/stats: " << stats_text);
    auto stats = json::parse(stats_text).as_object();
    CHECK(stats.at("connections").to_number<std::int64_t>() <= 21);  // + the /stats request
    CHECK(stats.at("requests").to_number<std::int64_t>() == 201);
    // --stats counts the same connections, and the requests on kept-alive ones.
    auto run = json::parse(shoal::test::read_file(stats_path)).as_object();
    INFO("--stats: " << json::serialize(run));
    const auto& fetch = run.at("fetch").as_object();
    const auto opened = fetch.at("connections").to_number<std::int64_t>();
    CHECK(opened == stats.at("connections").to_number<std::int64_t>() - 1);
    CHECK(fetch.at("reused").to_number<std::int64_t>() == 200 - opened);
    CHECK(fetch.at("tls_handshakes").to_number<std::int64_t>() == 0);
    CHECK(fetch.at("ca_store_loads").to_number<std::int64_t>() == 0);
}

TEST_CASE("crawl: a kept-alive connection closes once its origin has no line left in the chunk",
          "[crawl]") {
    // 127.0.0.2 to .21 have one line each; .22 has the first line and the
    // last. One lane. When the page at .1 counts the site's open
    // connections, only .22's (its last line is still to come) and the
    // counting one are open: the others closed after their only line,
    // although the chunk's last lines were not looked at yet.
    std::vector<std::string> args;
    for (int h = 2; h <= 22; ++h) {
        args.push_back("--also-bind");
        args.push_back("127.0.0." + std::to_string(h));
    }
    local_site site(std::nullopt, args);
    temp_dir dir;
    auto at = [&](int h, const std::string& path) {
        return "http://127.0.0." + std::to_string(h) + ":" + std::to_string(site.port()) + path;
    };
    std::vector<std::string> lines = {at(22, "/conn-id")};
    for (int h = 2; h <= 21; ++h) lines.push_back(at(h, "/p/" + std::to_string(h) + ".html"));
    for (int n = 1; n <= 8; ++n) lines.push_back(at(1, "/p/" + std::to_string(n) + ".html"));
    lines.push_back(at(1, "/conn-id"));           // 30
    lines.push_back(at(1, "/open-connections"));  // 31
    lines.push_back(at(1, "/conn-id"));           // 32: .1's last line
    lines.push_back(at(22, "/conn-id"));          // 33
    auto r = crawl(dir, lines, {"-c", "1", "-p", "1"});
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) CHECK(status(rec) == 200);
    CHECK(title(r.by_line.at(31)) == "open 2");
    // An origin's last line goes on the connection its lane just used.
    REQUIRE(title(r.by_line.at(30)));
    CHECK(title(r.by_line.at(32)) == title(r.by_line.at(30)));
    // .22's connection was kept for its last line, and used for it.
    REQUIRE(title(r.by_line.at(1)));
    CHECK(title(r.by_line.at(33)) == title(r.by_line.at(1)));
}

TEST_CASE("crawl: Connection: close answers are handled", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines;
    for (int n = 1; n <= 60; ++n) lines.push_back(site.url("/close/p/" + std::to_string(n) + ".html"));
    auto r = crawl(dir, lines, {"-c", "4", "-p", "1"});
    require_complete(r, lines);
    for (const auto& [n, rec] : r.by_line) check_product(rec, static_cast<int>(n), lines[n - 1]);
}

TEST_CASE("crawl: --user-agent and --header are sent", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/echo-headers"),
                                      site.url("/echo-headers?title=X-Test")};
    auto r = crawl(dir, lines, {"--user-agent", "shoal-test/1.0", "--header", "X-Test: 1"});
    require_complete(r, lines);
    CHECK(title(r.by_line.at(1)) == "shoal-test/1.0");
    CHECK(title(r.by_line.at(2)) == "1");
}

TEST_CASE("crawl: the Host header, and --header replacing a default header", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/echo-headers?title=Host"),
                                      site.url("/echo-headers?title=Accept")};
    auto plain = crawl(dir, lines, {"-p", "1"});
    require_complete(plain, lines);
    const std::string port = lines[0].substr(lines[0].find("127.0.0.1:") + 10,
                                             lines[0].find("/echo") - lines[0].find("127.0.0.1:") - 10);
    CHECK(title(plain.by_line.at(1)) == "127.0.0.1:" + port);
    CHECK(title(plain.by_line.at(2)) == "text/html,application/xhtml+xml,*/*;q=0.8");

    temp_dir dir2;
    auto custom = crawl(dir2, lines, {"-p", "1", "--header", "Host: shop.example",
                                      "--header", "accept: text/plain"});
    require_complete(custom, lines);
    CHECK(title(custom.by_line.at(1)) == "shop.example");
    CHECK(title(custom.by_line.at(2)) == "text/plain");
}

TEST_CASE("crawl: a GBK page title is decoded from its meta charset", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/gbk/1.html"), site.url("/gbk/7.html")};
    auto r = crawl(dir, lines);
    require_complete(r, lines);
    CHECK(status(r.by_line.at(1)) == 200);
    CHECK(title(r.by_line.at(1)) == "图书列表 第1页 - 测试书店");
    CHECK(title(r.by_line.at(2)) == "图书列表 第7页 - 测试书店");
}

TEST_CASE("crawl: header charsets and invalid bytes still give valid UTF-8", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/latin1"), site.url("/bad-utf8")};
    auto r = crawl(dir, lines);  // read_jsonl rejects invalid UTF-8
    require_complete(r, lines);
    CHECK(title(r.by_line.at(1)) == "Café crème à 2,50 EUR");
    const auto& bad = r.by_line.at(2);
    INFO(json::serialize(bad));
    CHECK(status(bad) == 200);
    REQUIRE(title(bad).has_value());
    CHECK(title(bad)->rfind("bad ", 0) == 0);
    CHECK(amount(bad) == "5.00");
}

TEST_CASE("crawl: HTTPS with the test CA", "[crawl][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    const std::string ca_file = (ca / "ca.crt").string();
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/p/3.html"), site.url("/redirect/2/p/4.html"),
                                      site.url("/gzip/p/5.html")};

    SECTION("--ca-file trusts it") {
        auto r = crawl(dir, lines, {"--ca-file", ca_file, "--retries", "0"});
        require_complete(r, lines);
        check_product(r.by_line.at(1), 3, lines[0]);
        check_product(r.by_line.at(2), 4, site.url("/p/4.html"));
        check_product(r.by_line.at(3), 5, lines[2]);
    }
    SECTION("without --ca-file it is not trusted") {
        auto r = crawl(dir, lines, {"--retries", "0"});
        require_complete(r, lines);
        for (const auto& [n, rec] : r.by_line) {
            check_stage(rec, {"tls"});
            CHECK(is_null_or_missing(rec, "status"));
        }
    }
    SECTION("--insecure skips verification") {
        auto r = crawl(dir, lines, {"--insecure", "--retries", "0"});
        require_complete(r, lines);
        check_product(r.by_line.at(1), 3, lines[0]);
    }
}

TEST_CASE("crawl: the CA file is read once, at start, for every worker", "[crawl][tls]") {
    // URLs come through a FIFO, one chunk (so one worker process) per line.
    // Once the first record is out, the CA file is removed: workers forked
    // after that still verify with the store the supervisor loaded.
    const auto& ca = shoal::test::test_ca_dir();
    local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    const fs::path ca_file = dir / "ca.crt";
    fs::copy_file(ca / "ca.crt", ca_file);
    const fs::path fifo = dir / "urls.fifo";
    const fs::path out = dir / "out.jsonl";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    shoal::test::background_process proc({SHOAL_BINARY, "crawl", fifo.string(), "-o", out.string(),
                                          "--chunk-size", "1", "-p", "1", "--retries", "0", "-q",
                                          "--ca-file", ca_file.string()},
                                         dir / "stdout.txt", dir / "stderr.txt");
    // Open the FIFO for writing once the crawl has opened it for reading.
    int fd = -1;
    for (auto give_up = std::chrono::steady_clock::now() + 20s; fd < 0;) {
        fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) break;
        REQUIRE(errno == ENXIO);
        REQUIRE_FALSE(proc.wait(0ms));
        REQUIRE(std::chrono::steady_clock::now() < give_up);
        std::this_thread::sleep_for(20ms);
    }
    auto send = [&](const std::string& line) {
        const std::string text = line + "\n";
        REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    };
    auto records_out = [&] {
        return fs::exists(out) ? shoal::test::read_jsonl(out).size() : std::size_t{0};
    };
    send(site.url("/p/1.html"));
    for (auto give_up = std::chrono::steady_clock::now() + 30s; records_out() < 1;) {
        REQUIRE(std::chrono::steady_clock::now() < give_up);
        std::this_thread::sleep_for(20ms);
    }
    fs::remove(ca_file);
    send(site.url("/p/2.html"));
    send(site.url("/p/3.html"));
    ::close(fd);
    const auto status = proc.wait(60s);
    INFO("stderr: " << shoal::test::read_file(dir / "stderr.txt"));
    REQUIRE(status);
    CHECK(*status == 0);
    const auto records = shoal::test::read_jsonl(out);
    REQUIRE(records.size() == 3);
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        const auto n = rec.at("line").to_number<int>();
        check_product(rec, n, site.url("/p/" + std::to_string(n) + ".html"));
    }
}

TEST_CASE("crawl: the system CA store is loaded only for a list with https URLs", "[crawl][tls]") {
    // OpenSSL reads the system store from SSL_CERT_FILE when it is set.
    const auto& ca = shoal::test::test_ca_dir();
    temp_dir dir;
    SECTION("an http-only list never opens it") {
        // A FIFO with no writer: opening it would block the run for good.
        local_site site;
        const fs::path fifo = dir / "store.fifo";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        const fs::path out = dir / "out.jsonl";
        auto r = run_process({"env", "SSL_CERT_FILE=" + fifo.string(), SHOAL_BINARY, "crawl", "-", "-o",
                              out.string(), "-q"},
                             site.url("/p/1.html") + "\n" + site.url("/p/2.html") + "\n", 30s);
        INFO(r.err);
        REQUIRE_FALSE(r.timed_out);
        CHECK(r.exit_code == 0);
        CHECK(shoal::test::read_jsonl(out).size() == 2);
    }
    SECTION("an https list verifies with it, loaded when its chunk starts") {
        local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
        const fs::path out = dir / "out.jsonl";
        auto r = run_process({"env", "SSL_CERT_FILE=" + (ca / "ca.crt").string(), SHOAL_BINARY, "crawl",
                              "-", "-o", out.string(), "-q", "--retries", "0"},
                             site.url("/p/1.html") + "\n", 30s);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        const auto records = shoal::test::read_jsonl(out);
        REQUIRE(records.size() == 1);
        check_product(records[0], 1, site.url("/p/1.html"));
    }
}

TEST_CASE("crawl: once a worker meets https through a redirect, the workers after it inherit the "
          "CA store",
          "[crawl][tls]") {
    // Six one-line chunks of http URLs, each redirected to an https site
    // that the system store (SSL_CERT_FILE, the test CA) verifies. The first
    // worker, and the one started beside it before the first has said
    // anything, load the store themselves; once the first has said so, the
    // supervisor loads it before it forks the rest, which inherit it. Each
    // worker used to load it: 6 loads.
    const auto& ca = shoal::test::test_ca_dir();
    local_site tls_site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    local_site site;
    temp_dir dir;
    std::string list;
    std::vector<std::string> finals;
    for (int n = 1; n <= 6; ++n) {
        const std::string page = "/p/" + std::to_string(n) + ".html";
        list += site.url("/to-https/" + std::to_string(tls_site.port()) + page) + "\n";
        finals.push_back(tls_site.url(page));
    }
    const fs::path out = dir / "out.jsonl", stats = dir / "stats.json";
    auto r = run_process({"env", "SSL_CERT_FILE=" + (ca / "ca.crt").string(), SHOAL_BINARY, "crawl",
                          "-", "-o", out.string(), "-q", "-p", "1", "--chunk-size", "1",
                          "--stats", stats.string()},
                         list, 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto records = shoal::test::read_jsonl(out);
    REQUIRE(records.size() == 6);
    for (const auto& rec : records) {
        const auto n = rec.at("line").to_number<int>();
        check_product(rec, n, finals.at(static_cast<std::size_t>(n - 1)));
    }
    const auto run = json::parse(shoal::test::read_file(stats)).as_object();
    INFO("--stats: " << json::serialize(run));
    const auto loads = run.at("fetch").at("ca_store_loads").to_number<std::int64_t>();
    CHECK(loads >= 1);
    CHECK(loads <= 2);
}

TEST_CASE("crawl: host names are resolved and verified by name over HTTPS", "[crawl][tls]") {
    // The certificate is checked against the name (its DNS SAN), with SNI;
    // a name's last dot ("localhost.") is in neither.
    const auto& ca = shoal::test::test_ca_dir();
    local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    const std::string port = std::to_string(site.port());
    std::vector<std::string> lines;
    for (int n = 1; n <= 6; ++n)
        lines.push_back((n <= 4 ? "https://localhost:" : "https://localhost.:") + port + "/p/" + std::to_string(n) + ".html");
    auto r = crawl(dir, lines, {"--ca-file", (ca / "ca.crt").string(), "--retries", "0", "-c", "3"});
    require_complete(r, lines);
    for (int n = 1; n <= 6; ++n) check_product(r.by_line.at(n), n, lines[static_cast<std::size_t>(n - 1)]);
}

TEST_CASE("crawl: a certificate chain verifies against its root or its intermediate alone",
          "[crawl][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    local_site site(shoal::test::tls_files{ca / "chained.crt", ca / "chained.key"});
    for (const char* trusted : {"ca.crt", "intermediate.crt"}) {
        INFO("--ca-file " << trusted);
        temp_dir dir;
        std::vector<std::string> lines = {site.url("/p/1.html")};
        auto r = crawl(dir, lines, {"--ca-file", (ca / trusted).string(), "--retries", "0"});
        require_complete(r, lines);
        check_product(r.by_line.at(1), 1, lines[0]);
    }
}

TEST_CASE("crawl: expired and wrong-host certificates fail at stage tls", "[crawl][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    const std::string ca_file = (ca / "ca.crt").string();
    for (const char* name : {"expired", "wronghost"}) {
        INFO("certificate: " << name);
        local_site site(shoal::test::tls_files{ca / (std::string(name) + ".crt"),
                                               ca / (std::string(name) + ".key")});
        temp_dir dir;
        std::vector<std::string> lines = {site.url("/p/1.html")};
        auto r = crawl(dir, lines, {"--ca-file", ca_file, "--retries", "0"});
        require_complete(r, lines);
        check_stage(r.by_line.at(1), {"tls"});
        CHECK(is_null_or_missing(r.by_line.at(1), "status"));
        const auto message = r.by_line.at(1).at("error").at("message").as_string();
        if (std::string(name) == "wronghost")
            CHECK(message == "certificate verify failed: IP address mismatch (the certificate does not name 127.0.0.1)");
    }
}

TEST_CASE("crawl: --max-body and gzip bombs stop at the body cap", "[crawl]") {
    local_site site;
    temp_dir dir;
    SECTION("--max-body 1000") {
        std::vector<std::string> lines = {site.url("/big/100000"), site.url("/big/500")};
        auto r = crawl(dir, lines, {"--max-body", "1000", "--retries", "0"});
        require_complete(r, lines);
        check_stage(r.by_line.at(1), {"body"});
        CHECK(status(r.by_line.at(2)) == 200);
        CHECK(is_null_or_missing(r.by_line.at(2), "error"));
    }
    SECTION("--max-body 1K: 1024 bytes") {
        std::vector<std::string> lines = {site.url("/big/1025"), site.url("/big/1024")};
        auto r = crawl(dir, lines, {"--max-body", "1K", "--retries", "0"});
        require_complete(r, lines);
        check_stage(r.by_line.at(1), {"body"});
        CHECK(status(r.by_line.at(2)) == 200);
        CHECK(is_null_or_missing(r.by_line.at(2), "error"));
    }
    SECTION("a 64 MiB gzip bomb against the default cap") {
        std::vector<std::string> lines = {site.url("/gzip-bomb"), site.url("/p/9.html")};
        auto r = crawl(dir, lines, {"--retries", "0"}, 60s);
        require_complete(r, lines);
        check_stage(r.by_line.at(1), {"body", "decode"});
        check_product(r.by_line.at(2), 9, lines[1]);
    }
}

TEST_CASE("crawl: CSV output has a header and one row per line", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/p/1.html"), "", "not a url", site.url("/gbk/2.html"),
                                      site.url("/status/404")};
    shoal::test::write_file(dir / "urls.txt", join_lines(lines));
    auto p = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.csv").string()},
                         "", 60s);
    INFO("stderr: " << p.err);
    REQUIRE(p.exit_code == 0);
    const std::string csv = shoal::test::read_file(dir / "out.csv");
    const auto rows = shoal::test::parse_csv(csv);
    INFO(csv);
    REQUIRE(rows.size() == 1 + 4);
    const auto& header = rows[0];
    CHECK(std::find(header.begin(), header.end(), "line") != header.end());
    CHECK(std::find(header.begin(), header.end(), "url") != header.end());
    CHECK(std::find(header.begin(), header.end(), "status") != header.end());
    CHECK(std::find(header.begin(), header.end(), "title") != header.end());
    for (const auto& row : rows) CHECK(row.size() == header.size());
    CHECK(csv.find("Product 1 | Test Shop") != std::string::npos);
    CHECK(csv.find("图书列表 第2页") != std::string::npos);
}

TEST_CASE("crawl: -o - writes JSONL to stdout and crawl - reads URLs from stdin", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {"# from stdin", site.url("/p/4.html"), "",
                                      site.url("/p/5.html")};
    SECTION("-o -") {
        shoal::test::write_file(dir / "urls.txt", join_lines(lines));
        auto p = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", "-"}, "",
                             60s);
        INFO("stderr: " << p.err);
        REQUIRE(p.exit_code == 0);
        auto records = shoal::test::parse_jsonl(p.out);
        REQUIRE(records.size() == 2);
        std::map<std::int64_t, json::object> by_line;
        for (auto& rec : records) by_line.emplace(*int_field(rec, "line"), rec);
        check_product(by_line.at(2), 4, lines[1]);
        check_product(by_line.at(4), 5, lines[3]);
    }
    SECTION("crawl -") {
        const fs::path out = dir / "out.jsonl";
        auto p = run_process({SHOAL_BINARY, "crawl", "-", "-o", out.string()}, join_lines(lines),
                             60s);
        INFO("stderr: " << p.err);
        REQUIRE(p.exit_code == 0);
        auto records = shoal::test::read_jsonl(out);
        REQUIRE(records.size() == 2);
        std::map<std::int64_t, json::object> by_line;
        for (auto& rec : records) by_line.emplace(*int_field(rec, "line"), rec);
        check_product(by_line.at(2), 4, lines[1]);
        check_product(by_line.at(4), 5, lines[3]);
    }
}

namespace {

// The writing end of a FIFO whose reader is a child being started: opened
// without waiting forever (10 s) if the child never opens its end.
class fifo_writer {
public:
    explicit fifo_writer(const fs::path& fifo) {
        for (auto until = std::chrono::steady_clock::now() + 10s; fd_ < 0;) {
            fd_ = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd_ >= 0 || errno != ENXIO || std::chrono::steady_clock::now() > until) break;
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(fd_ >= 0);
        REQUIRE(::fcntl(fd_, F_SETFL, 0) == 0);  // writes wait again
    }
    ~fifo_writer() { close(); }
    fifo_writer(const fifo_writer&) = delete;
    fifo_writer& operator=(const fifo_writer&) = delete;
    void write(const std::string& text) {
        REQUIRE(::write(fd_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// Waits (up to 30 s) until `path` holds `n` whole JSONL records; returns how many it holds.
std::size_t wait_for_records(const fs::path& path, std::size_t n) {
    std::size_t have = 0;
    for (auto until = std::chrono::steady_clock::now() + 30s; std::chrono::steady_clock::now() < until;) {
        if (fs::exists(path)) {
            const std::string text = shoal::test::read_file(path);
            have = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
            if (have >= n) break;
        }
        std::this_thread::sleep_for(50ms);
    }
    return have;
}

}  // namespace

TEST_CASE("crawl: a slow producer's lines on stdin start before the input ends, and Ctrl-C is heard "
          "while it is silent",
          "[crawl][stdin]") {
    // At -c 2000 a chunk holds 20,000 lines. From a pipe, the lines that
    // have come are cut into a chunk a second after the first of them, so
    // they are fetched while the producer has not closed its end.
    local_site site;
    temp_dir dir;
    const fs::path fifo = dir / "in.fifo", out = dir / "out.jsonl";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    shoal::test::background_process shoal({SHOAL_BINARY, "crawl", "-", "-o", out.string(), "-q", "-c", "2000"},
                                          dir / "stdout", dir / "stderr", fifo);
    fifo_writer producer(fifo);
    producer.write("# two lines, then silence\n" + site.url("/p/1.html") + "\n" + site.url("/p/2.html") + "\n");
    REQUIRE(wait_for_records(out, 2) == 2);
    REQUIRE_FALSE(shoal.wait(0ms).has_value());  // it waits for more input

    SECTION("more lines, then the end of the input") {
        producer.write(site.url("/p/3.html") + "\n");
        REQUIRE(wait_for_records(out, 3) == 3);
        producer.write(site.url("/p/4.html") + "\n");
        producer.close();
        REQUIRE(shoal.wait(30s) == 0);
        std::map<std::int64_t, json::object> by_line;
        for (auto& rec : shoal::test::read_jsonl(out)) by_line.emplace(*int_field(rec, "line"), rec);
        REQUIRE(by_line.size() == 4);
        for (int n = 1; n <= 4; ++n) check_product(by_line.at(n + 1), n, site.url("/p/" + std::to_string(n) + ".html"));
    }
    SECTION("SIGINT while the producer is silent stops the run at once, resumable") {
        ::kill(shoal.pid(), SIGINT);
        REQUIRE(shoal.wait(10s) == 3);
        CHECK(shoal::test::read_jsonl(out).size() == 2);
        CHECK(shoal::test::read_file(dir / "stderr").find("--resume") != std::string::npos);
    }
}

TEST_CASE("crawl: a stop before a pipe's first line ends the run with nothing written", "[crawl][stdin]") {
    // The output is opened once the first line has come (a refused list
    // must not empty an earlier run's records); a stop before that ends the
    // run there: exit 3, the earlier output as it was.
    temp_dir dir;
    const fs::path fifo = dir / "in.fifo", out = dir / "out.jsonl";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    shoal::test::write_file(out, "earlier\n");
    shoal::test::background_process shoal({SHOAL_BINARY, "crawl", "-", "-o", out.string()}, dir / "stdout",
                                          dir / "stderr", fifo);
    fifo_writer producer(fifo);
    // Waiting in poll() for the list: its signal handlers are in place.
    const std::string wchan = "/proc/" + std::to_string(shoal.pid()) + "/wchan";
    for (auto until = std::chrono::steady_clock::now() + 10s;
         shoal::test::read_file(wchan).find("poll") == std::string::npos;) {
        REQUIRE(std::chrono::steady_clock::now() < until);
        std::this_thread::sleep_for(10ms);
    }
    std::this_thread::sleep_for(100ms);
    REQUIRE_FALSE(shoal.wait(0ms).has_value());
    ::kill(shoal.pid(), SIGINT);
    REQUIRE(shoal.wait(10s) == 3);
    CHECK(shoal::test::read_file(dir / "stderr") ==
          "shoal: interrupted while waiting for the first line of the URL list on stdin; nothing was written\n");
    CHECK(shoal::test::read_file(out) == "earlier\n");
    CHECK_FALSE(fs::exists(out.string() + ".shoal-run"));
}

TEST_CASE("crawl: exit codes for usage and input errors", "[crawl]") {
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "http://127.0.0.1:9/\n");
    const std::string urls = (dir / "urls.txt").string();
    const std::string out = (dir / "out.jsonl").string();
    auto zero_lanes = run_process({SHOAL_BINARY, "crawl", urls, "-o", out, "-c", "0"}, "", 30s);
    CHECK(zero_lanes.exit_code == 1);
    auto unknown = run_process({SHOAL_BINARY, "crawl", urls, "-o", out, "--no-such-option"}, "", 30s);
    CHECK(unknown.exit_code == 1);
    auto missing = run_process(
        {SHOAL_BINARY, "crawl", (dir / "missing.txt").string(), "-o", out}, "", 30s);
    CHECK(missing.exit_code == 2);
    CHECK_FALSE(missing.err.empty());
}

TEST_CASE("crawl: a closed stdin or stdout is refused, not taken for an empty list or the output file",
          "[crawl]") {
    // With stdin closed, the first file shoal opened used to get number 0
    // and was read as the URL list: a "complete" run of 0 records.
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "http://127.0.0.1:9/\n");
    const std::string out = (dir / "out.jsonl").string();
    auto no_stdin = run_process({"sh", "-c", "exec \"$0\" crawl - -o \"$1\" <&-", SHOAL_BINARY, out}, "", 30s);
    CHECK(no_stdin.exit_code == 2);
    CHECK(no_stdin.err == "shoal: cannot read the URL list from stdin: it is closed\n");
    for (const char* name : {"/dev/stdin", "/dev/fd/0"}) {
        INFO(name);
        auto named = run_process({"sh", "-c", "exec \"$0\" crawl \"$1\" -o \"$2\" <&-", SHOAL_BINARY, name, out}, "", 30s);
        CHECK(named.exit_code == 2);
        CHECK(named.err == "shoal: cannot read the URL list from stdin: it is closed\n");
    }
    CHECK_FALSE(fs::exists(out));
    auto no_stdout = run_process(
        {"sh", "-c", "exec \"$0\" crawl \"$1\" -o - >&-", SHOAL_BINARY, (dir / "urls.txt").string()}, "", 30s);
    CHECK(no_stdout.exit_code == 2);
    CHECK(no_stdout.err == "shoal: cannot write the records to stdout: it is closed\n");
    // A closed stderr only loses the messages: the run is whole.
    auto no_stderr = run_process({"sh", "-c", "exec \"$0\" crawl \"$1\" -o \"$2\" -q --retries 0 2>&-",
                                  SHOAL_BINARY, (dir / "urls.txt").string(), out},
                                 "", 30s);
    CHECK(no_stderr.exit_code == 0);
    CHECK(shoal::test::read_jsonl(out).size() == 1);
}

TEST_CASE("crawl: on a terminal, the progress line shows only when the records go elsewhere", "[crawl]") {
    // script(1) runs shoal on a pseudo-terminal: stdout and stderr are both it.
    local_site site;
    temp_dir dir;
    std::string text;
    for (int i = 1; i <= 4; ++i) text += site.url("/slow/300/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto on_terminal = [&](const std::string& extra) {
        const std::string command = std::string("'") + SHOAL_BINARY + "' crawl '" + (dir / "urls.txt").string() +
                                    "' -p 1 -c 1" + extra;
        auto r = run_process({"script", "-qec", command, "/dev/null"}, "", 60s);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        return r.out;
    };
    // Records on the terminal: no progress line among them.
    const std::string records = on_terminal("");
    CHECK(records.find("\"line\":4") != std::string::npos);
    CHECK(records.find("\033[K") == std::string::npos);
    // Records to a file: the progress line is drawn.
    const std::string to_file = on_terminal(" -o '" + (dir / "out.jsonl").string() + "'");
    CHECK(to_file.find("\r\033[K") != std::string::npos);
    CHECK(shoal::test::read_jsonl(dir / "out.jsonl").size() == 4);
}

TEST_CASE("extract, diff and serve --print-urls refuse a closed stdout, as crawl does", "[crawl]") {
    // What they write would go to /dev/null, and exit 0 would say it worked.
    temp_dir dir;
    shoal::test::write_file(dir / "p.html", "<title>T</title>");
    shoal::test::write_file(dir / "old.jsonl", "{\"line\":1,\"url\":\"http://s/a\",\"status\":200,\"price\":null}\n");
    auto closed = [](std::vector<std::string> args) {
        args.insert(args.begin(), {"sh", "-c", "exec \"$0\" \"$@\" >&-", SHOAL_BINARY});
        return run_process(args, "", 30s);
    };
    auto extract = closed({"extract", (dir / "p.html").string()});
    CHECK(extract.exit_code == 2);
    CHECK(extract.err == "shoal: cannot write the records to stdout: it is closed\n");
    auto diff = closed({"diff", (dir / "old.jsonl").string(), (dir / "old.jsonl").string()});
    CHECK(diff.exit_code == 2);
    CHECK(diff.err == "shoal diff: cannot write the changes to stdout: it is closed\n");
    auto urls = closed({"serve", "--print-urls", "--urls", "3", "--port", "18099"});
    CHECK(urls.exit_code == 2);
    CHECK(urls.err == "shoal: cannot write the URL list to stdout: it is closed\n");
}

TEST_CASE("crawl: --header credentials and Host stay on the URL's origin through redirects", "[crawl]") {
    local_site site;
    local_site other;
    temp_dir dir;
    const std::string to_other = "/to-port/" + std::to_string(other.port());
    const std::string to_self = "/to-port/" + std::to_string(site.port());
    std::vector<std::string> lines = {site.url(to_self + "/echo-headers?title=Authorization"),
                                      site.url(to_other + "/echo-headers?title=Authorization"),
                                      site.url(to_other + "/echo-headers?title=Cookie"),
                                      site.url(to_other + "/echo-headers?title=X-Test"),
                                      site.url(to_other + "/echo-headers?title=Host")};
    auto r = crawl(dir, lines,
                   {"--header", "Authorization: Bearer s3cret", "--header", "Cookie: id=1", "--header",
                    "X-Test: 1", "--header", "Host: shop.example"});
    require_complete(r, lines);
    CHECK(title(r.by_line.at(1)) == "Bearer s3cret");  // a redirect on the same origin keeps them
    CHECK(title(r.by_line.at(2)) == "(none)");
    CHECK(title(r.by_line.at(3)) == "(none)");
    CHECK(title(r.by_line.at(4)) == "1");  // other headers go everywhere
    CHECK(title(r.by_line.at(5)) == "127.0.0.1:" + std::to_string(other.port()));
}

TEST_CASE("crawl: --stats writes a JSON summary", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/p/1.html"), site.url("/status/404"), "not a url",
                                      site.url("/status/999")};
    const std::string stats_path = (dir / "stats.json").string();
    auto r = crawl(dir, lines, {"--stats", stats_path});
    require_complete(r, lines);
    const std::string text = shoal::test::read_file(stats_path);
    INFO(text);
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(v.is_object());
    CHECK(v.at("records") == 4);
    CHECK(v.at("status").at("2xx") == 1);
    CHECK(v.at("status").at("4xx") == 1);
    CHECK(v.at("status").at("no_status") == 1);  // the input error
    CHECK(v.at("status").at("other") == 1);       // 999, which the record keeps
    // Only the line that is not a URL is an error; a 404 is an answer.
    CHECK(v.at("errors") == 1);
    const auto& codes = v.at("error_codes").as_object();
    REQUIRE(codes.size() == 1);
    CHECK(codes.begin()->key() == r.by_line.at(3).at("error").at("code").as_string());
    CHECK(codes.begin()->value() == 1);
    CHECK(status(r.by_line.at(4)) == 999);
    CHECK(int_field(r.by_line.at(4), "attempts") == 1);  // not retried as a 5xx is
    CHECK(text.back() == '\n');

    SECTION("through a link: the file it names is replaced, the link stays") {
        fs::create_directory(dir / "real");
        const fs::path link = dir / "stats-link.json";
        fs::create_symlink(dir / "real" / "stats.json", link);
        temp_dir run;
        auto again = crawl(run, lines, {"--stats", link.string()});
        require_complete(again, lines);
        CHECK(fs::is_symlink(fs::symlink_status(link)));
        CHECK(json::parse(shoal::test::read_file(dir / "real" / "stats.json")).is_object());
    }
    SECTION("into a FIFO: written in place, the FIFO stays") {
        const fs::path fifo = dir / "stats.fifo";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        const fs::path got = dir / "got.json";
        auto res = run_process({"sh", "-c",
                                "cat \"$1\" > \"$2\" & \"$3\" crawl \"$4\" -o \"$5\" -q --stats \"$1\"; s=$?; wait; exit $s",
                                "sh", fifo.string(), got.string(), SHOAL_BINARY, (dir / "urls.txt").string(),
                                (dir / "fifo-out.jsonl").string()},
                               "", 60s);
        INFO(res.err);
        CHECK(res.exit_code == 0);
        CHECK(fs::is_fifo(fifo));
        CHECK(json::parse(shoal::test::read_file(got)).is_object());
    }
    SECTION("a run that fails (exit 2) leaves no numbers of the run before") {
        auto failed = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", "/dev/full", "-q",
                                   "--stats", stats_path},
                                  "", 60s);
        INFO(failed.err);
        CHECK(failed.exit_code == 2);
        CHECK(shoal::test::read_file(stats_path).empty());
    }
}

TEST_CASE("crawl: --stats and -o naming the file a shell redirected stdout or stderr to, or a kernel file", "[crawl]") {
    local_site site;
    temp_dir dir;
    std::vector<std::string> lines = {site.url("/p/1.html"), site.url("/p/2.html"), site.url("/p/3.html")};
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    const std::string urls = (dir / "urls.txt").string(), log = (dir / "crawl.log").string();
    // sh -c SCRIPT sh SHOAL URLS LOG OUT
    auto shell = [&](const std::string& script) {
        auto r = run_process({"sh", "-c", script, "sh", SHOAL_BINARY, urls, log, (dir / "out.jsonl").string()},
                             "", 60s);
        INFO(r.err);
        return r;
    };
    // The log a shell appends stderr to keeps what it held; the summary is added.
    auto stats_into_log = [&](const std::string& stats) {
        shoal::test::write_file(log, "old line\n");
        auto r = shell("\"$1\" crawl \"$2\" -o \"$4\" -q --stats " + stats + " 2>>\"$3\"; s=$?; echo after >> \"$3\"; exit $s");
        CHECK(r.exit_code == 0);
        auto got = shoal::test::nonempty_lines(shoal::test::read_file(log));
        INFO(shoal::test::read_file(log));
        REQUIRE(got.size() == 3);
        CHECK(got[0] == "old line");
        CHECK(json::parse(got[1]).at("records") == 3);
        CHECK(got[2] == "after");
    };
    SECTION("--stats /dev/stderr with 2>>log") { stats_into_log("/dev/stderr"); }
    SECTION("--stats naming the log itself") { stats_into_log("\"$3\""); }
    SECTION("--stats /dev/stdout with >log") {
        auto r = shell("{ echo before; \"$1\" crawl \"$2\" -o \"$4\" -q --stats /dev/stdout; s=$?; echo after; exit $s; } > \"$3\"");
        CHECK(r.exit_code == 0);
        auto got = shoal::test::nonempty_lines(shoal::test::read_file(log));
        REQUIRE(got.size() == 3);
        CHECK(got[0] == "before");
        CHECK(json::parse(got[1]).at("records") == 3);
        CHECK(got[2] == "after");
    }
    SECTION("-o /dev/stdout with >file: what the shell writes after the run comes after the records") {
        auto r = shell("{ \"$1\" crawl \"$2\" -o /dev/stdout -q; s=$?; echo after; exit $s; } > \"$3\"");
        CHECK(r.exit_code == 0);
        auto got = shoal::test::nonempty_lines(shoal::test::read_file(log));
        INFO(shoal::test::read_file(log));
        REQUIRE(got.size() == 4);
        for (int i = 0; i < 3; ++i) CHECK(json::parse(got[i]).at("status") == 200);
        CHECK(got[3] == "after");
    }
    SECTION("-o /dev/stdout with >>file adds to the file, as -o - does") {
        shoal::test::write_file(log, "{\"kept\":1}\n");
        auto r = shell("\"$1\" crawl \"$2\" -o /dev/stdout -q >> \"$3\"");
        CHECK(r.exit_code == 0);
        auto got = shoal::test::nonempty_lines(shoal::test::read_file(log));
        INFO(shoal::test::read_file(log));
        REQUIRE(got.size() == 4);
        CHECK(got[0] == "{\"kept\":1}");
        for (int i = 1; i < 4; ++i) CHECK(json::parse(got[i]).at("status") == 200);
    }
    SECTION("-o /dev/stderr with 2>file is refused: the summary would be among the records") {
        shoal::test::write_file(log, "old line\n");
        auto r = shell("\"$1\" crawl \"$2\" -o /dev/stderr 2>>\"$3\"");
        CHECK(r.exit_code == 1);
        const std::string got = shoal::test::read_file(log);
        CHECK(got.starts_with("old line\nshoal: the output /dev/stderr is the file stderr goes to"));
    }
    SECTION("-o a name that ends in '/' is refused, whether or not the directory exists") {
        for (std::string name : {"\"$4\"/", "\"$4\".csv/", "\"$(dirname \"$4\")\"/"}) {
            auto r = shell("\"$1\" crawl \"$2\" -q -o " + name);
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::EndsWith("/: the name ends in '/', a directory's; give a file\n"));
        }
    }
    SECTION("-o a kernel file (/proc/self/comm opens for writing as any user) is refused before the run") {
        auto r = shell("\"$1\" crawl \"$2\" -o /proc/self/comm -q");
        CHECK(r.exit_code == 2);
        CHECK(r.err == "shoal: cannot write the output /proc/self/comm: it is a file of the kernel's proc file "
                       "system, which holds settings, not records\n");
        // The same file as stdout (the shell opens it for shoal).
        auto piped = shell("exec \"$1\" crawl \"$2\" -q > /proc/self/comm");
        CHECK(piped.exit_code == 2);
        CHECK(piped.err == "shoal: cannot write the records to stdout: it is a file of the kernel's proc file "
                           "system, which holds settings, not records\n");
    }
}

TEST_CASE("crawl: the bundled example site matches tools/example-expected.tsv", "[crawl][example]") {
    const std::string src = SHOAL_SOURCE_DIR;
    local_site site(std::nullopt, {"--root", src + "/data/example-site"});
    temp_dir dir;
    // The list uses the placeholder port 18080; point it at this server.
    std::vector<std::string> lines;
    {
        std::istringstream in(shoal::test::read_file(src + "/data/example-urls.txt"));
        const std::string placeholder = "127.0.0.1:18080";
        for (std::string l; std::getline(in, l);) {
            auto at = l.find(placeholder);
            if (at != std::string::npos) {
                l.replace(at, placeholder.size(), "127.0.0.1:" + std::to_string(site.port()));
            }
            lines.push_back(l);
        }
    }
    auto r = crawl(dir, lines, {"-p", "1"});
    require_complete(r, lines);

    std::istringstream expected(shoal::test::read_file(src + "/tools/example-expected.tsv"));
    int checked = 0;
    for (std::string row; std::getline(expected, row);) {
        if (row.empty() || row[0] == '#' || row.rfind("line\t", 0) == 0) continue;
        std::vector<std::string> cols;
        std::istringstream fields(row);
        for (std::string f; std::getline(fields, f, '\t');) cols.push_back(f);
        REQUIRE(cols.size() == 6);
        const auto& rec = r.by_line.at(std::stoll(cols[0]));
        INFO(row << "\n" << json::serialize(rec));
        if (cols[2] == "-") {
            check_stage(rec, {"input"});
        } else {
            CHECK(status(rec) == std::stoll(cols[2]));
        }
        if (cols[2] != "404") {  // an error page's title is the server's business
            CHECK(title(rec) == (cols[3] == "-" ? std::nullopt : std::optional(cols[3])));
        }
        CHECK(amount(rec) == (cols[4] == "-" ? std::nullopt : std::optional(cols[4])));
        CHECK(currency(rec) == (cols[5] == "-" ? std::nullopt : std::optional(cols[5])));
        ++checked;
    }
    CHECK(checked == static_cast<int>(r.records.size()));
}

TEST_CASE("crawl: shoal --help names every command, shoal crawl --help every option", "[crawl]") {
    auto top = run_process({SHOAL_BINARY, "--help"}, "", 20s);
    CHECK(top.exit_code == 0);
    for (const char* name : {"crawl", "shoal serve", "shoal bench", "shoal extract", "shoal diff"}) {
        INFO(name);
        CHECK(top.out.find(name) != std::string::npos);
    }
    auto crawl = run_process({SHOAL_BINARY, "crawl", "--help"}, "", 20s);
    CHECK(crawl.exit_code == 0);
    for (const char* option : {"--output", "--processes", "--concurrency", "--chunk-size",
                               "--per-host", "--per-host-rate", "--rules", "--timeout", "--max-body", "--retries",
                               "--insecure", "--ca-file", "--user-agent", "--robots", "--header", "--resume",
                               "--stats"}) {
        INFO(option);
        CHECK(crawl.out.find(option) != std::string::npos);
    }
    // Size bounds in both forms, as the errors give them; the default as it is written.
    CHECK_THAT(crawl.out, Catch::Contains("1 byte to 4G (4294967296 bytes)"));
    CHECK_THAT(crawl.out, Catch::Contains("--max-body BYTES=8M "));
}

TEST_CASE("crawl: every command's --help fits 100 columns and reads the same way", "[crawl]") {
    for (const char* command : {"", "crawl", "serve", "bench", "extract", "diff"}) {
        INFO(command);
        std::vector<std::string> line = {SHOAL_BINARY};
        if (*command != '\0') line.emplace_back(command);
        line.emplace_back("--help");
        auto help = run_process(line, "", 20s);
        CHECK(help.exit_code == 0);
        std::size_t longest = 0, lines = 0;
        for (std::size_t at = 0; at < help.out.size();) {
            std::size_t end = help.out.find('\n', at);
            if (end == std::string::npos) end = help.out.size();
            longest = std::max(longest, end - at);
            ++lines;
            at = end + 1;
        }
        CHECK(lines > 5);
        CHECK(longest <= 100);
        CHECK_THAT(help.out, Catch::Contains("-h,--help                   print this help and exit\n"));
        CHECK_THAT(help.out, Catch::Contains("Usage: shoal "));
    }
}

TEST_CASE("crawl: --version prints the version after shoal alone and after every command",
          "[crawl]") {
    const std::vector<std::vector<std::string>> lines = {
        {"--version"},
        {"crawl", "--version"},
        {"crawl", "urls.txt", "-c", "0", "--version"},  // whatever else the line holds
        {"serve", "--version"},
        {"serve", "--port", "0", "--version"},
        {"bench", "--version"},
        {"extract", "--version"},
        {"extract", "page.html", "--version"},
        {"diff", "--version"},
        {"diff", "old.jsonl", "new.jsonl", "--version"},
    };
    for (const auto& args : lines) {
        std::vector<std::string> argv = {SHOAL_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        INFO(argv[1] << " " << argv.back());
        auto r = run_process(argv, "", 20s);
        CHECK(r.exit_code == 0);
        CHECK(r.out == "shoal 0.1.0\n");
        CHECK(r.err.empty());
    }
    // Every command's --help lists it.
    for (const char* command : {"crawl", "serve", "bench", "extract", "diff"}) {
        INFO(command << " --help");
        auto help = run_process({SHOAL_BINARY, command, "--help"}, "", 20s);
        CHECK(help.exit_code == 0);
        CHECK_THAT(help.out, Catch::Contains("  --version ") && Catch::Contains("print the version"));
    }
    // After "--", --version is an operand: a URL file of that name.
    auto operand = run_process({SHOAL_BINARY, "crawl", "-o", "-", "--", "--version"}, "", 20s);
    CHECK(operand.exit_code == 2);
    CHECK(operand.out.empty());
}

TEST_CASE("crawl: --format chooses the records' format whatever the output's name", "[crawl]") {
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "not a url\n");
    const std::string urls = (dir / "urls.txt").string();
    // CSV into a .txt file, and JSONL into a .csv one: no warning.
    auto csv = run_process({SHOAL_BINARY, "crawl", urls, "-o", (dir / "o.txt").string(), "--format", "csv", "-q"}, "", 30s);
    CHECK(csv.exit_code == 0);
    CHECK(csv.err.empty());
    CHECK(shoal::test::read_file(dir / "o.txt").starts_with("line,url,"));
    // The output's first bytes say its format: a resume in the other one
    // is refused, saying why.
    auto resumed = run_process({SHOAL_BINARY, "crawl", urls, "-o", (dir / "o.txt").string(), "--resume", "-q"}, "", 30s);
    CHECK(resumed.exit_code == 1);
    CHECK_THAT(resumed.err, Catch::Contains("or with --format csv"));
    auto other_format = run_process(
        {SHOAL_BINARY, "crawl", urls, "-o", (dir / "o.txt").string(), "--format", "jsonl", "--resume", "-q"}, "", 30s);
    CHECK(other_format.exit_code == 1);
    auto same = run_process({SHOAL_BINARY, "crawl", urls, "-o", (dir / "o.txt").string(), "--format", "csv", "--resume", "-q"},
                            "", 30s);
    CHECK(same.exit_code == 0);
    // The format -o's name gives anyway changes nothing: a run of out.csv
    // resumes with --format csv, and the other way round.
    const std::string named = (dir / "named.csv").string();
    CHECK(run_process({SHOAL_BINARY, "crawl", urls, "-o", named, "-q"}, "", 30s).exit_code == 0);
    CHECK(run_process({SHOAL_BINARY, "crawl", urls, "-o", named, "--format", "csv", "--resume", "-q"}, "", 30s)
              .exit_code == 0);
    auto jsonl = run_process({SHOAL_BINARY, "crawl", urls, "-o", (dir / "o.csv").string(), "--format", "jsonl", "-q"},
                             "", 30s);
    CHECK(jsonl.exit_code == 0);
    CHECK(shoal::test::read_jsonl(dir / "o.csv").size() == 1);
    // Through stdout to a file named .csv: JSONL by default, with a
    // warning that says how to get CSV; with --format csv, CSV.
    const std::string so = (dir / "so.csv").string();
    for (const char* to : {"-", "/dev/stdout"}) {
        INFO(to);
        auto warned = run_process({"sh", "-c", "exec \"$0\" crawl \"$1\" -o \"$2\" -q > \"$3\"", SHOAL_BINARY, urls, to, so},
                                  "", 30s);
        CHECK(warned.exit_code == 0);
        CHECK(warned.err == "shoal: warning: the records go through stdout to " + so +
                                ", as JSONL (the format comes from -o's name): add --format csv for CSV\n");
        CHECK(shoal::test::read_jsonl(so).size() == 1);
        auto chosen = run_process(
            {"sh", "-c", "exec \"$0\" crawl \"$1\" -o \"$2\" --format csv -q > \"$3\"", SHOAL_BINARY, urls, to, so}, "",
            30s);
        CHECK(chosen.exit_code == 0);
        CHECK(chosen.err.empty());
        CHECK(shoal::test::read_file(so).starts_with("line,url,"));
    }
    auto other = run_process({SHOAL_BINARY, "crawl", urls, "-o", "-", "--format", "xml"}, "", 30s);
    CHECK(other.exit_code == 1);
    CHECK_THAT(other.err, Catch::Contains("--format"));
    auto no_agent = run_process({SHOAL_BINARY, "crawl", urls, "-o", "-", "--user-agent", " "}, "", 30s);
    CHECK(no_agent.exit_code == 1);
    CHECK_THAT(no_agent.err, Catch::Contains("the User-Agent is empty"));
}

TEST_CASE("crawl: an output name with another extension gets JSONL and a warning", "[crawl]") {
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "not a url\n");
    for (const std::string name : {"out.txt", "out.jsonl.gz"}) {
        const fs::path out = dir / name;
        auto r = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "-q"}, "", 30s);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.find("warning: " + out.string() + ": ." + name.substr(name.rfind('.') + 1) +
                         " is neither .jsonl nor .csv") != std::string::npos);
        CHECK(shoal::test::read_jsonl(out).size() == 1);
    }
    auto plain = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", (dir / "o.JSONL").string(), "-q"},
                             "", 30s);
    CHECK(plain.exit_code == 0);
    CHECK(plain.err.empty());
}
