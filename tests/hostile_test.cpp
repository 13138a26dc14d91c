// Integration tests: the real `shoal crawl` against tests/hostile_server.py, a
// loopback server that breaks HTTP on purpose. Each hostile behaviour must end
// as one error record with the right stage, within the time and memory bounds,
// never as a crash, a hang or a run that does not exit 0.
#include <catch2/catch.hpp>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/hostile_site.hpp"
#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using shoal::test::hostile_site;
using shoal::test::process_result;
using shoal::test::temp_dir;

// The options of every run unless a test says otherwise: a short deadline, a 1 MB
// cap and no retries, so each hostile line costs one attempt of at most 2 s.
const std::vector<std::string> k_fast = {"--timeout", "2", "--max-body", "1000000", "--retries",
                                         "0"};

// AddressSanitizer's shadow memory and quarantine make every process
// larger; the bounds still catch unbounded growth (hundreds of MB) there.
#ifdef __SANITIZE_ADDRESS__
constexpr long k_rss_scale = 4;
#else
constexpr long k_rss_scale = 1;
#endif
constexpr long k_max_rss_kib = 200 * 1024 * k_rss_scale;

struct crawl_run {
    process_result proc;
    std::string raw;                         // the output file, byte for byte
    std::map<std::int64_t, json::object> by_line;
    long peak_rss_kib = -1;                  // largest RSS of shoal and its reaped children
};

// Runs `shoal crawl` over `urls` (one per line) with `options`, under a python3
// wrapper that reports the peak RSS of the whole process tree (getrusage of
// RUSAGE_CHILDREN after waiting). REQUIREs what every run owes: it ends in time,
// exits 0, and writes exactly one valid UTF-8 JSON record per line.
crawl_run crawl(const temp_dir& dir, const std::vector<std::string>& urls,
                const std::vector<std::string>& options = k_fast,
                std::chrono::milliseconds timeout = 120s) {
    const fs::path url_file = dir / "urls.txt";
    const fs::path out = dir / "out.jsonl";
    const fs::path rss = dir / "rss.txt";
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    shoal::test::write_file(url_file, text);

    std::vector<std::string> argv = {
        "python3", "-c",
        "import resource, subprocess, sys\n"
        "code = subprocess.call(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
        "sys.exit(code)\n",
        rss.string(), SHOAL_BINARY, "crawl", url_file.string(), "-o", out.string()};
    argv.insert(argv.end(), options.begin(), options.end());

    crawl_run r;
    r.proc = shoal::test::run_process(argv, "", timeout);
    INFO("stderr: " << r.proc.err);
    REQUIRE_FALSE(r.proc.timed_out);
    REQUIRE(r.proc.exit_code == 0);
    if (fs::exists(rss)) r.peak_rss_kib = std::atol(shoal::test::read_file(rss).c_str());

    REQUIRE(fs::exists(out));
    r.raw = shoal::test::read_file(out);
    CHECK(r.raw.find('\0') == std::string::npos);  // NUL bytes are escaped, never raw
    auto records = shoal::test::read_jsonl(out);   // throws on invalid UTF-8 or JSON
    CHECK(records.size() == urls.size());
    for (auto& rec : records) {
        INFO(json::serialize(rec).substr(0, 500));
        const json::value* line = rec.if_contains("line");
        REQUIRE(line != nullptr);
        REQUIRE(line->is_int64());
        auto n = line->as_int64();
        CHECK(n >= 1);
        CHECK(n <= static_cast<std::int64_t>(urls.size()));
        CHECK(r.by_line.count(n) == 0);  // one record per line, never two
        r.by_line.emplace(n, std::move(rec));
    }
    REQUIRE(r.by_line.size() == urls.size());
    return r;
}

const json::value* field(const json::object& rec, std::string_view key) { return rec.if_contains(key); }

std::optional<std::string> str_field(const json::object& rec, std::string_view key) {
    const json::value* v = field(rec, key);
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return std::string(v->as_string());
}

std::optional<std::int64_t> status(const json::object& rec) {
    const json::value* v = field(rec, "status");
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->to_number<std::int64_t>();
}

bool status_is_null(const json::object& rec) {
    const json::value* v = field(rec, "status");
    return v != nullptr && v->is_null();
}

bool error_is_null(const json::object& rec) {
    const json::value* v = field(rec, "error");
    return v != nullptr && v->is_null();
}

std::optional<std::string> error_field(const json::object& rec, std::string_view key) {
    const json::value* v = field(rec, "error");
    if (v == nullptr || !v->is_object()) return std::nullopt;
    return str_field(v->as_object(), key);
}

double elapsed_ms(const json::object& rec) {
    const json::value* v = field(rec, "elapsed_ms");
    return v != nullptr && v->is_number() ? v->to_number<double>() : -1.0;
}

std::string brief(const json::object& rec) { return json::serialize(rec).substr(0, 600); }

// The record failed at `stage` (and with `code`, when one is given).
void check_error(const json::object& rec, const std::string& stage,
                 std::optional<std::string> code = std::nullopt) {
    INFO(brief(rec));
    CHECK(error_field(rec, "stage") == stage);
    if (code) CHECK(error_field(rec, "code") == *code);
    CHECK(error_field(rec, "code").value_or("").size() > 0);
}

// The record is the normal /ok page.
void check_ok(const json::object& rec) {
    INFO(brief(rec));
    CHECK(status(rec) == 200);
    CHECK(error_is_null(rec));
    CHECK(str_field(rec, "title") == "ok");
    const json::value* price = field(rec, "price");
    CHECK((price != nullptr && price->is_object()));
    if (price == nullptr || !price->is_object()) return;  // CHECK, not REQUIRE: report every line
    CHECK(str_field(price->as_object(), "amount") == "1.00");
    CHECK(str_field(price->as_object(), "currency") == "USD");
}

}  // namespace

TEST_CASE("hostile: trickling, silent and slow-header servers run into --timeout", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/trickle"), site.url("/silent"),
                                     site.url("/slow-headers"), site.url("/ok")};
    auto r = crawl(dir, urls);
    CHECK(r.proc.elapsed < 15s);

    // The head of /trickle arrived at once; its body stalls.
    check_error(r.by_line.at(1), "body", "timeout");
    CHECK(status(r.by_line.at(1)) == 200);
    // Nothing, or a few bytes of the status line: no status was received.
    check_error(r.by_line.at(2), "response", "timeout");
    CHECK(status_is_null(r.by_line.at(2)));
    check_error(r.by_line.at(3), "response", "timeout");
    CHECK(status_is_null(r.by_line.at(3)));
    // The message says where the attempt was when its time ran out.
    CHECK(error_field(r.by_line.at(1), "message") == "timed out reading the body (--timeout bounds each attempt)");
    CHECK(error_field(r.by_line.at(2), "message") ==
          "timed out waiting for the response headers (--timeout bounds each attempt)");
    for (int line = 1; line <= 3; ++line) {
        INFO(brief(r.by_line.at(line)));
        CHECK(elapsed_ms(r.by_line.at(line)) < 6000.0);
    }
    check_ok(r.by_line.at(4));
}

TEST_CASE("hostile: endless and oversized headers fail at stage response", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/endless-headers"), site.url("/huge-header"),
                                     site.url("/ok")};
    auto r = crawl(dir, urls);
    CHECK(r.proc.elapsed < 15s);
    for (int line = 1; line <= 2; ++line) {
        const auto& rec = r.by_line.at(line);
        check_error(rec, "response");
        INFO(brief(rec));
        // The head never ended, so no status counts as received (a 200 from the
        // status line alone is tolerated).
        CHECK((status_is_null(rec) || status(rec) == 200));
    }
    check_ok(r.by_line.at(3));
    CHECK(r.peak_rss_kib > 0);
    CHECK(r.peak_rss_kib < k_max_rss_kib);
}

TEST_CASE("hostile: bodies over --max-body stop at the cap in bounded memory", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    SECTION("50 MB body, endless chunked body and a 1 GiB gzip bomb against a 1 MB cap") {
        std::vector<std::string> urls = {site.url("/big-body"), site.url("/endless-chunked"),
                                         site.url("/bomb"), site.url("/deflate-bomb"),
                                         site.url("/ok")};
        // The test server builds its bombs on first use (about 2 s of CPU),
        // so these fetches get a longer deadline than the stalling cases.
        auto r = crawl(dir, urls, {"--timeout", "10", "--max-body", "1000000", "--retries", "0"});
        CHECK(r.proc.elapsed < 30s);
        for (int line = 1; line <= 4; ++line) {
            const auto& rec = r.by_line.at(line);
            check_error(rec, "body", "body_too_large");
            INFO(brief(rec));
            CHECK(status(rec) == 200);
        }
        check_ok(r.by_line.at(5));
        INFO("peak RSS KiB " << r.peak_rss_kib);
        CHECK(r.peak_rss_kib > 0);
        CHECK(r.peak_rss_kib < k_max_rss_kib);
    }
    SECTION("the gzip bomb against the default 8 MiB cap") {
        std::vector<std::string> urls = {site.url("/bomb"), site.url("/bomb"), site.url("/ok")};
        auto r = crawl(dir, urls, {"--timeout", "10", "--retries", "0"});
        CHECK(r.proc.elapsed < 30s);
        check_error(r.by_line.at(1), "body", "body_too_large");
        check_error(r.by_line.at(2), "body", "body_too_large");
        check_ok(r.by_line.at(3));
        INFO("peak RSS KiB " << r.peak_rss_kib);
        CHECK(r.peak_rss_kib > 0);
        CHECK(r.peak_rss_kib < k_max_rss_kib);
    }
}

TEST_CASE("hostile: broken framing and corrupt gzip fail at stage body or decode", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/bad-chunked"), site.url("/short-body"),
                                     site.url("/reset-mid-body"), site.url("/corrupt-gzip"),
                                     site.url("/ok")};
    auto r = crawl(dir, urls);
    CHECK(r.proc.elapsed < 15s);
    check_error(r.by_line.at(1), "body");
    check_error(r.by_line.at(2), "body");
    check_error(r.by_line.at(3), "body");
    check_error(r.by_line.at(4), "decode");
    CHECK(error_field(r.by_line.at(2), "message") == "the connection closed before the whole body came");
    CHECK(error_field(r.by_line.at(1), "message").value_or("").rfind("bad chunked encoding (", 0) == 0);
    for (int line = 1; line <= 4; ++line) {
        INFO(brief(r.by_line.at(line)));
        CHECK(status(r.by_line.at(line)) == 200);
    }
    check_ok(r.by_line.at(5));
}

TEST_CASE("hostile: an unsupported Content-Encoding after a gzip page keeps nothing of that page",
          "[hostile]") {
    // One worker, one lane: the br answer is decoded right after the gzip
    // page, with the worker's decoding buffer still holding that page.
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> options = k_fast;
    options.insert(options.end(), {"-p", "1", "-c", "1"});
    auto r = crawl(dir, {site.url("/gzip-ok"), site.url("/brotli")}, options);
    check_ok(r.by_line.at(1));
    const json::object& br = r.by_line.at(2);
    INFO(brief(br));
    check_error(br, "decode", "unsupported_encoding");
    CHECK(error_field(br, "message") == "Content-Encoding 'br' is not supported");
    CHECK(status(br) == 200);
    CHECK(field(br, "title")->is_null());
    CHECK(field(br, "price")->is_null());
    CHECK(field(br, "bytes")->to_number<std::int64_t>() == 0);
}

TEST_CASE("hostile: a transfer coding before chunked and stacked content codings are undone",
          "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> options = k_fast;
    options.insert(options.end(), {"-p", "1", "-c", "1"});  // one connection: framing must hold
    auto r = crawl(dir, {site.url("/te-gzip-chunked"), site.url("/gzip-gzip"), site.url("/ok")},
                   options);
    check_ok(r.by_line.at(1));  // was the gzip bytes as the page, without an error
    check_ok(r.by_line.at(2));  // was unsupported_encoding
    check_ok(r.by_line.at(3));
    // A transfer coding shoal does not know is named as one.
    auto unknown = crawl(dir, {site.url("/te-unknown")}, options);
    check_error(unknown.by_line.at(1), "decode", "unsupported_encoding");
    CHECK(error_field(unknown.by_line.at(1), "message") == "Transfer-Encoding 'foo' is not supported");
}

TEST_CASE("hostile: a last chunk whose line comes in two pieces ends the body, plain and over TLS",
          "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    hostile_site plain;
    hostile_site tls(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    std::vector<std::string> options = k_fast;
    // One connection: each response must end where it does for the next to be read.
    options.insert(options.end(), {"-p", "1", "-c", "1", "--ca-file", (ca / "ca.crt").string()});
    for (const hostile_site* site : {&plain, &tls}) {
        auto r = crawl(dir, {site->url("/split-last-chunk"), site->url("/split-last-chunk-after-data"),
                             site->url("/ok")},
                       options);
        const json::object& empty = r.by_line.at(1);
        INFO(brief(empty));
        CHECK(status(empty) == 200);
        CHECK(error_is_null(empty));
        CHECK(field(empty, "bytes")->to_number<std::int64_t>() == 0);
        check_ok(r.by_line.at(2));
        check_ok(r.by_line.at(3));
    }
}

TEST_CASE("hostile: chunked twice, a coding after chunked and status 000 are malformed responses",
          "[hostile]") {
    hostile_site site;
    temp_dir dir;
    auto r = crawl(dir, {site.url("/chunked-twice"), site.url("/chunked-then-gzip"), site.url("/status-000"),
                         site.url("/ok")},
                   k_fast);
    for (int line = 1; line <= 3; ++line) {
        INFO(brief(r.by_line.at(line)));
        check_error(r.by_line.at(line), "response", "bad_response");
        CHECK(elapsed_ms(r.by_line.at(line)) < 1500.0);  // at once, not at the body's timeout
    }
    CHECK(error_field(r.by_line.at(1), "message") == "not a well-formed HTTP/1.x response (bad Transfer-Encoding)");
    CHECK(error_field(r.by_line.at(3), "message") == "not a well-formed HTTP/1.x response (bad status)");
    check_ok(r.by_line.at(4));
    // A head whose lines end in LF alone is refused, and named so.
    auto lf = crawl(dir, {site.url("/lf-only")}, k_fast);
    check_error(lf.by_line.at(1), "response", "bad_response");
    CHECK(error_field(lf.by_line.at(1), "message") ==
          "not a well-formed HTTP/1.x response: its lines end in LF alone, not CRLF");
    // Trailer fields without end are named as such, not as a chunk-size line.
    auto trailers = crawl(dir, {site.url("/endless-trailers")}, k_fast);
    check_error(trailers.by_line.at(1), "body", "trailers_too_large");
    CHECK(error_field(trailers.by_line.at(1), "message") == "trailer fields after the last chunk over 128 KiB");
}

TEST_CASE("hostile: several Content-Type fields are read as browsers read them", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    auto r = crawl(dir, {site.url("/two-content-types"), site.url("/content-type-kept")});
    for (int line : {1, 2}) {
        // The last that parses counts; one of the same type without a
        // charset keeps the charset before it; */* and garbage count not.
        INFO(brief(r.by_line.at(line)));
        CHECK(str_field(r.by_line.at(line), "title") == "\u0426\u0435\u043d\u0430");
    }
}

TEST_CASE("hostile: a 101 to a plain GET is a bad response, status 101 kept", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    auto r = crawl(dir, {site.url("/switching-protocols"), site.url("/ok")});
    const json::object& rec = r.by_line.at(1);
    check_error(rec, "response", "bad_response");
    INFO(brief(rec));
    CHECK(status(rec) == 101);
    CHECK(error_field(rec, "message") == "101 Switching Protocols to a request that asked for no upgrade");
    check_ok(r.by_line.at(2));
}

TEST_CASE("hostile: garbage instead of a response fails at stage response", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/garbage-status"), site.url("/http09"),
                                     site.url("/no-headers-close"), site.url("/huge-content-length"),
                                     site.url("/ok")};
    auto r = crawl(dir, urls);
    CHECK(r.proc.elapsed < 15s);
    for (int line = 1; line <= 4; ++line) check_error(r.by_line.at(line), "response");
    CHECK(error_field(r.by_line.at(1), "message").value_or("").rfind("not a well-formed HTTP/1.x response (", 0) == 0);
    CHECK(status_is_null(r.by_line.at(1)));
    CHECK(status_is_null(r.by_line.at(2)));
    for (int line = 3; line <= 4; ++line) {
        INFO(brief(r.by_line.at(line)));
        CHECK((status_is_null(r.by_line.at(line)) || status(r.by_line.at(line)) == 200));
    }
    check_ok(r.by_line.at(5));
}

// One connection (-p 1 -c 1), so every fetch reuses what the one before left behind.
const std::vector<std::string> k_one_connection = {"--timeout", "2", "--max-body", "1000000",
                                                   "--retries", "0", "-p", "1", "-c", "1"};

TEST_CASE("hostile: 1xx interim responses are skipped, never taken as the answer", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/continue-then-ok"), site.url("/ok"),
                                     site.url("/endless-continue"), site.url("/ok"),
                                     site.url("/ok")};
    auto r = crawl(dir, urls, k_one_connection);
    CHECK(r.proc.elapsed < 15s);
    check_ok(r.by_line.at(1));
    check_ok(r.by_line.at(2));
    // Interim responses forever: no final status ever came.
    check_error(r.by_line.at(3), "response");
    {
        INFO(brief(r.by_line.at(3)));
        CHECK(status_is_null(r.by_line.at(3)));
    }
    // The rest of the 100s must not be read as the next pages' answers.
    check_ok(r.by_line.at(4));
    check_ok(r.by_line.at(5));
}

TEST_CASE("hostile: bytes past Content-Length do not poison a kept-alive connection",
          "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/excess-body"), site.url("/ok"),
                                     site.url("/excess-body"), site.url("/ok"), site.url("/ok")};
    auto r = crawl(dir, urls, k_one_connection);
    CHECK(r.proc.elapsed < 15s);
    for (int line : {1, 3}) {
        INFO(brief(r.by_line.at(line)));
        CHECK(status(r.by_line.at(line)) == 200);
    }
    for (int line : {2, 4, 5}) check_ok(r.by_line.at(line));
}

TEST_CASE("hostile: what a server sends on an idle kept-alive connection is no answer to the next request",
          "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    for (bool tls : {false, true}) {
        INFO((tls ? "https" : "http"));
        hostile_site site(tls ? std::optional(shoal::test::tls_files{ca / "server.crt", ca / "server.key"})
                              : std::nullopt);
        temp_dir dir;
        // Two requests a second on one connection: each late answer (0.3 s after
        // the page) waits in the idle connection when the next request is due.
        std::vector<std::string> urls = {site.url("/late-extra"), site.url("/ok"), site.url("/ok"),
                                         site.url("/late-408"),   site.url("/ok"), site.url("/ok"),
                                         site.url("/408-next"),   site.url("/ok"), site.url("/ok")};
        std::vector<std::string> args = k_one_connection;
        args.insert(args.end(), {"--per-host-rate", "2", "--ca-file", (ca / "ca.crt").string()});
        auto r = crawl(dir, urls, args);
        REQUIRE(r.by_line.size() == urls.size());
        // Ten requests (line 8 twice) half a second apart: the request sent
        // again after the 408 takes a turn of its own.
        CHECK(r.proc.elapsed >= 4450ms);
        for (int line = 1; line <= static_cast<int>(urls.size()); ++line) {
            INFO("line " << line);
            check_ok(r.by_line.at(line));
            // A 408 on a reused connection goes again on a new one, without counting an attempt.
            const json::value* attempts = field(r.by_line.at(line), "attempts");
            CHECK((attempts != nullptr && attempts->is_number() && attempts->to_number<int>() == 1));
        }
    }
}

TEST_CASE("hostile: a request sent again after a 408 goes on a new connection, not another idle one",
          "[hostile]") {
    // Four turns a second. Line 1 holds connection A for 0.3 s, so line 2
    // (0.25 s) opens B; line 3 (0.5 s) reuses A: 408. Its request again
    // (0.75 s) finds B idle, timed out too: on B it would get a second 408.
    hostile_site site;
    temp_dir dir;
    const std::vector<std::string> args = {"--timeout", "2", "--retries", "0", "-p", "1", "-c", "2",
                                           "--per-host-rate", "4"};
    auto r = crawl(dir, {site.url("/408-next-slow"), site.url("/408-next-slow"), site.url("/ok")}, args);
    for (int line = 1; line <= 3; ++line) {
        INFO("line " << line);
        check_ok(r.by_line.at(line));
    }
}

TEST_CASE("hostile: a request that says Connection: close keeps no connection, whatever the server does",
          "[hostile]") {
    hostile_site site;  // keeps every connection open
    temp_dir dir;
    const std::vector<std::string> urls(5, site.url("/ok"));
    std::vector<std::string> args = k_one_connection;
    const std::string stats = (dir / "stats.json").string();
    args.insert(args.end(), {"--header", "Connection: close", "--stats", stats});
    auto r = crawl(dir, urls, args);
    for (int line = 1; line <= 5; ++line) check_ok(r.by_line.at(line));
    const auto fetch = json::parse(shoal::test::read_file(stats)).at("fetch").as_object();
    INFO("--stats: " << json::serialize(fetch));
    CHECK(fetch.at("connections").to_number<std::int64_t>() == 5);
    CHECK(fetch.at("reused").to_number<std::int64_t>() == 0);
}

TEST_CASE("hostile: an endless chunk-size line is refused at a line limit", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    // The server sends a 64 MiB chunk-extension, then nothing. A client with a
    // line limit refuses it at once; one that buffers the line whole grows by
    // 64 MiB, parses it again on every read, and only stops at --timeout.
    std::vector<std::string> urls = {site.url("/endless-chunk-line"), site.url("/ok")};
    auto r = crawl(dir, urls, {"--timeout", "10", "--max-body", "1000000", "--retries", "0"});
    check_error(r.by_line.at(1), "body");
    {
        INFO(brief(r.by_line.at(1)));
        CHECK(status(r.by_line.at(1)) == 200);
        CHECK(elapsed_ms(r.by_line.at(1)) < 5000.0);
    }
    check_ok(r.by_line.at(2));
    INFO("peak RSS KiB " << r.peak_rss_kib);
    CHECK(r.peak_rss_kib > 0);
    CHECK(r.peak_rss_kib < 48 * 1024 * k_rss_scale);
}

TEST_CASE("hostile: redirect loops, long chains and javascript: Locations", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/redirect-loop"),        site.url("/redirect-javascript"),
                                     site.url("/redirect-chain/3"),     site.url("/redirect-chain/30"),
                                     site.url("/redirect-relative-weird"), site.url("/ok")};
    auto r = crawl(dir, urls);
    CHECK(r.proc.elapsed < 15s);
    check_error(r.by_line.at(1), "redirect");
    check_error(r.by_line.at(2), "redirect");
    check_ok(r.by_line.at(3));
    CHECK(str_field(r.by_line.at(3), "final_url") == site.url("/redirect-chain/0"));
    check_error(r.by_line.at(4), "redirect");
    // A protocol-relative Location keeps the scheme and goes to the named host.
    check_ok(r.by_line.at(5));
    CHECK(str_field(r.by_line.at(5), "final_url") == site.url("/ok"));
    check_ok(r.by_line.at(6));
}

TEST_CASE("hostile: a Location too long to follow is shown cut in the message", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    auto r = crawl(dir, {site.url("/redirect-huge"), site.url("/redirect-huge-scheme")});
    check_error(r.by_line.at(1), "redirect", "too_long");
    const std::string message = error_field(r.by_line.at(1), "message").value_or("");
    CHECK(message.size() < 400);
    CHECK_THAT(message, Catch::StartsWith("redirect to '/ok?aaaa") && Catch::Contains("... (20004 bytes)"));
    // The parser's message, which names the scheme, is cut too.
    check_error(r.by_line.at(2), "redirect", "unsupported_scheme");
    CHECK(error_field(r.by_line.at(2), "message").value_or("").size() < 700);
}

TEST_CASE("hostile: NUL bytes, megabyte titles, binary and invalid UTF-8 give valid JSON",
          "[hostile]") {
    hostile_site site;
    temp_dir dir;
    SECTION("pages under the cap") {
        const std::int64_t cap = 4000000;
        std::vector<std::string> urls = {site.url("/nul-title"),      site.url("/invalid-utf8-title"),
                                         site.url("/binary"),         site.url("/binary-as-html"),
                                         site.url("/mega-title"),     site.url("/ok")};
        auto r = crawl(dir, urls, {"--timeout", "10", "--max-body", std::to_string(cap), "--retries", "0"});
        CHECK(r.proc.elapsed < 20s);
        INFO("peak RSS KiB " << r.peak_rss_kib);
        CHECK(r.peak_rss_kib > 0);
        CHECK(r.peak_rss_kib < k_max_rss_kib);
        for (int line = 1; line <= 5; ++line) {
            INFO(brief(r.by_line.at(line)));
            CHECK(status(r.by_line.at(line)) == 200);
            CHECK(error_is_null(r.by_line.at(line)));
        }
        {
            const auto& rec = r.by_line.at(1);
            INFO(brief(rec));
            auto t = str_field(rec, "title");
            REQUIRE(t.has_value());
            CHECK(t->find('a') != std::string::npos);
            CHECK(t->find('c') != std::string::npos);
        }
        {
            const auto& rec = r.by_line.at(2);
            INFO(brief(rec));
            auto t = str_field(rec, "title");
            REQUIRE(t.has_value());
            CHECK(t->rfind("caf", 0) == 0);
            CHECK(t->find("\xEF\xBF\xBD") != std::string::npos);  // U+FFFD for the invalid bytes
            CHECK(t->find(" ok") != std::string::npos);
        }
        {
            const auto& rec = r.by_line.at(3);
            INFO(brief(rec));
            CHECK(field(rec, "title") != nullptr);
            CHECK(field(rec, "title")->is_null());
        }
        {
            const auto& rec = r.by_line.at(5);
            INFO(brief(rec));
            const json::value* t = field(rec, "title");
            REQUIRE(t != nullptr);
            if (t->is_string()) {
                CHECK(static_cast<std::int64_t>(t->as_string().size()) <= cap);
                CHECK(t->as_string().find_first_not_of('M') == std::string::npos);
            }
        }
        check_ok(r.by_line.at(6));
        CHECK(r.raw.size() < static_cast<std::size_t>(2 * cap));
    }
    SECTION("a 2 MiB title over a 1 MB cap") {
        std::vector<std::string> urls = {site.url("/mega-title"), site.url("/ok")};
        auto r = crawl(dir, urls);
        CHECK(r.proc.elapsed < 15s);
        check_error(r.by_line.at(1), "body", "body_too_large");
        check_ok(r.by_line.at(2));
        CHECK(r.raw.size() < 1000000);
    }
}

TEST_CASE("hostile: 200 URLs with every tenth hostile, the rest are all fetched", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    const std::vector<std::string> hostile = {
        "/trickle",        "/silent",        "/slow-headers",   "/endless-headers", "/huge-header",
        "/big-body",       "/endless-chunked", "/bomb",         "/corrupt-gzip",    "/bad-chunked",
        "/short-body",     "/reset-mid-body", "/garbage-status", "/http09",         "/no-headers-close",
        "/redirect-loop",  "/redirect-javascript", "/redirect-chain/30", "/trickle", "/silent"};
    std::vector<std::string> urls;
    for (int i = 0; i < 200; ++i) {
        urls.push_back(site.url(i % 10 == 9 ? hostile[static_cast<std::size_t>(i / 10)] : "/ok"));
    }
    std::vector<std::string> options = k_fast;
    options.insert(options.end(), {"-p", "2", "-c", "8", "--chunk-size", "50"});
    auto r = crawl(dir, urls, options);
    CHECK(r.proc.elapsed < 60s);
    for (int i = 0; i < 200; ++i) {
        const auto& rec = r.by_line.at(i + 1);
        if (i % 10 == 9) {
            INFO(brief(rec));
            CHECK_FALSE(error_is_null(rec));
        } else {
            check_ok(rec);
        }
    }
    INFO("peak RSS KiB " << r.peak_rss_kib);
    CHECK(r.peak_rss_kib > 0);
    CHECK(r.peak_rss_kib < k_max_rss_kib);
}

TEST_CASE("hostile: retried timeouts and resets stay within --retries x --timeout", "[hostile]") {
    hostile_site site;
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/trickle"), site.url("/silent"),
                                     site.url("/reset-mid-body"), site.url("/short-body"),
                                     site.url("/ok")};
    auto r = crawl(dir, urls, {"--timeout", "1", "--retries", "2", "--max-body", "1000000"});
    CHECK(r.proc.elapsed < 20s);
    check_error(r.by_line.at(1), "body", "timeout");
    check_error(r.by_line.at(2), "response", "timeout");
    check_error(r.by_line.at(3), "body");
    check_error(r.by_line.at(4), "body", "truncated_body");  // closed mid-body: retried as a reset is
    for (int line = 1; line <= 4; ++line) {
        const auto& rec = r.by_line.at(line);
        INFO(brief(rec));
        const json::value* attempts = field(rec, "attempts");
        REQUIRE(attempts != nullptr);
        CHECK(attempts->to_number<std::int64_t>() == 3);
        CHECK(elapsed_ms(rec) < 12000.0);
    }
    check_ok(r.by_line.at(5));
}

TEST_CASE("hostile: the same misbehaviours over TLS", "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    hostile_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    std::vector<std::string> urls = {site.url("/trickle"),        site.url("/silent"),
                                     site.url("/garbage-status"), site.url("/bomb"),
                                     site.url("/short-body"),     site.url("/reset-mid-body"),
                                     site.url("/ok"),             site.url("/close-delimited")};
    std::vector<std::string> options = k_fast;
    options.insert(options.end(), {"--ca-file", (ca / "ca.crt").string()});
    auto r = crawl(dir, urls, options);
    CHECK(r.proc.elapsed < 15s);
    check_error(r.by_line.at(1), "body", "timeout");
    check_error(r.by_line.at(2), "response", "timeout");
    CHECK(status_is_null(r.by_line.at(2)));
    check_error(r.by_line.at(3), "response");
    CHECK(status_is_null(r.by_line.at(3)));
    check_error(r.by_line.at(4), "body", "body_too_large");
    // The server's close_notify ends the stream early; its reset is seen
    // when it comes, as over plain HTTP, not at the deadline.
    check_error(r.by_line.at(5), "body", "truncated_body");
    check_error(r.by_line.at(6), "body", "connection_reset");
    CHECK(elapsed_ms(r.by_line.at(6)) < 1500.0);
    check_ok(r.by_line.at(7));
    // A body that ends with the connection, closed without close_notify, is whole.
    check_ok(r.by_line.at(8));
    CHECK(r.peak_rss_kib < k_max_rss_kib);
}

TEST_CASE("hostile: a server that speaks only TLS 1.0 and 1.1 is told apart, --insecure too",
          "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    shoal::test::local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"}, {},
                                 "tests/old_tls_server.py");
    temp_dir dir;
    std::vector<std::string> options = k_fast;
    options.push_back("--insecure");
    auto r = crawl(dir, {site.url("/ok")}, options);
    const json::object& rec = r.by_line.at(1);
    check_error(rec, "tls", "tls_error");
    CHECK(error_field(rec, "message").value_or("").rfind(
              "the server speaks no TLS version shoal does (1.2 and 1.3;", 0) == 0);
}

TEST_CASE("hostile: a server that wants a client certificate says so at stage tls, --insecure too",
          "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    for (const char* version : {"1.2", "1.3"}) {
        shoal::test::local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"},
                                     {"--client-cert-tls", version}, "tests/old_tls_server.py");
        for (bool insecure : {false, true}) {
            INFO("TLS " << version << (insecure ? ", --insecure" : ", --ca-file"));
            temp_dir dir;
            std::vector<std::string> options = k_fast;
            if (insecure) options.push_back("--insecure");
            else options.insert(options.end(), {"--ca-file", (ca / "ca.crt").string()});
            auto r = crawl(dir, {site.url("/ok")}, options);
            const json::object& rec = r.by_line.at(1);
            // Not a certificate check (--insecure makes none; the server's certificate is good).
            check_error(rec, "tls", "tls_error");
            CHECK_THAT(error_field(rec, "message").value_or(""), Catch::Contains("client certificate"));
        }
    }
}

TEST_CASE("hostile: a server that asked for a client certificate and reset the connection is said so",
          "[hostile][tls]") {
    // Its certificate_required alert overtaken by the reset: the client sees
    // only the reset, after a handshake in which a certificate was asked for.
    const auto& ca = shoal::test::test_ca_dir();
    shoal::test::local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"},
                                 {"--client-cert-reset"}, "tests/old_tls_server.py");
    temp_dir dir;
    auto r = crawl(dir, {site.url("/ok")},
                   {"--timeout", "2", "--retries", "1", "--ca-file", (ca / "ca.crt").string()});
    const json::object& rec = r.by_line.at(1);
    check_error(rec, "tls", "tls_error");
    CHECK_THAT(error_field(rec, "message").value_or(""), Catch::Contains("asked for a client certificate"));
    // Tried again as a reset is (a server that only asks may have reset it for another reason).
    CHECK(rec.at("attempts").as_int64() == 2);
}

TEST_CASE("hostile: a connection closed in the TLS handshake is tried again, and said so", "[hostile][tls]") {
    const auto& ca = shoal::test::test_ca_dir();
    shoal::test::local_site site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"},
                                 {"--close-in-handshake"}, "tests/old_tls_server.py");
    temp_dir dir;
    std::vector<std::string> options = {"--timeout", "2", "--retries", "2", "--insecure"};
    auto r = crawl(dir, {site.url("/ok")}, options);
    const json::object& rec = r.by_line.at(1);
    check_error(rec, "tls", "tls_truncated");
    CHECK(error_field(rec, "message") == "the connection closed in the TLS handshake");
    const json::value* attempts = field(rec, "attempts");
    CHECK((attempts != nullptr && attempts->is_number() && attempts->to_number<int>() == 3));
}

TEST_CASE("hostile: TLS handshakes that stall or meet plain HTTP fail at stage tls in time",
          "[hostile][tls]") {
    // A listener that never accepts: the kernel completes the TCP connection,
    // the ClientHello goes out, and no answer ever comes. The hostile server
    // without TLS answers a ClientHello with a plain-HTTP 400.
    const auto& ca = shoal::test::test_ca_dir();
    shoal::test::silent_listener silent;
    hostile_site plain;
    hostile_site tls_site(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    std::string plain_as_https = plain.url("/ok");
    plain_as_https.replace(0, 4, "https");
    std::vector<std::string> urls = {silent.url("https", "/ok"), plain_as_https,
                                     silent.url("http", "/ok"), tls_site.url("/ok")};
    std::vector<std::string> options = k_fast;
    options.insert(options.end(), {"--ca-file", (ca / "ca.crt").string()});
    auto r = crawl(dir, urls, options);
    CHECK(r.proc.elapsed < 15s);
    CHECK(silent.connected());
    check_error(r.by_line.at(1), "tls", "timeout");
    check_error(r.by_line.at(2), "tls", "tls_error");
    CHECK_THAT(error_field(r.by_line.at(2), "message").value_or(""),
               Catch::StartsWith("the server did not answer in TLS (plain HTTP on this port?"));
    // Over plain HTTP the silence is a response that never starts.
    check_error(r.by_line.at(3), "response", "timeout");
    for (int line = 1; line <= 3; ++line) {
        INFO(brief(r.by_line.at(line)));
        CHECK(status_is_null(r.by_line.at(line)));
        CHECK(elapsed_ms(r.by_line.at(line)) < 6000.0);
    }
    check_ok(r.by_line.at(4));
}
