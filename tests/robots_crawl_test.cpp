// --robots end to end: the real binary against local sites whose robots.txt
// allows some paths, is missing, or cannot be had; /requested and /stats tell
// what each site was asked for.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace std::chrono_literals;
using shoal::test::local_site;
using shoal::test::temp_dir;
namespace json = boost::json;

namespace {

constexpr const char* k_robots =
    "User-agent: *\n"
    "Disallow: /p/1\n"
    "Allow: /p/1.html\n"
    "\n"
    "User-agent: otherbot\n"
    "Disallow: /\n";

// A site serving k_robots as its /robots.txt.
struct robots_site {
    temp_dir root;
    std::unique_ptr<local_site> site;
    robots_site() {
        shoal::test::write_file(root / "robots.txt", k_robots);
        site = std::make_unique<local_site>(std::nullopt, std::vector<std::string>{"--root", root.path().string()});
    }
};

// Runs shoal crawl over urls with options; returns the records by line.
std::map<std::int64_t, json::object> crawl(const temp_dir& dir, const std::vector<std::string>& urls,
                                           std::vector<std::string> options) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                     (dir / "out.jsonl").string(), "-q", "--retries", "0", "--timeout", "5"};
    argv.insert(argv.end(), options.begin(), options.end());
    auto r = shoal::test::run_process(argv, "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::int64_t, json::object> by_line;
    for (auto& rec : shoal::test::read_jsonl(dir / "out.jsonl"))
        by_line.emplace(rec.at("line").to_number<std::int64_t>(), std::move(rec));
    REQUIRE(by_line.size() == urls.size());
    return by_line;
}

std::vector<std::string> requested(const local_site& site) {
    std::vector<std::string> paths;
    const json::value list = json::parse(site.get("/requested"));
    for (const auto& v : list.as_array()) paths.emplace_back(v.as_string());
    return paths;
}

std::int64_t robots_requests(const local_site& site) {
    return json::parse(site.get("/stats")).at("robots").to_number<std::int64_t>();
}

// Refused before anything was sent to the URL (attempts: the tries of the
// request before it, a redirect's, or 0).
void check_refused(const json::object& rec, const std::string& code, int attempts = 0) {
    INFO(json::serialize(rec));
    CHECK(rec.at("error").at("stage") == "request");
    CHECK(rec.at("error").at("code").as_string() == code);
    CHECK(rec.at("title").is_null());
    CHECK(rec.at("price").is_null());
    CHECK(rec.at("attempts") == attempts);
}

}  // namespace

TEST_CASE("robots: disallowed URLs get a record and are never asked for and robots.txt is fetched once",
          "[robots_crawl]") {
    robots_site s;
    const local_site& site = *s.site;
    temp_dir dir;
    const std::vector<std::string> urls = {
        site.url("/p/1.html"),          // allowed: Allow /p/1.html is longer
        site.url("/p/12.html"),         // Disallow: /p/1
        site.url("/p/2.html"),
        site.url("/p/13.html?x=1"),     // Disallow: /p/1, with a query
        site.url("/redirect/1/p/14.html"),  // allowed, redirects into /p/14.html: disallowed
        site.url("/p/3.html"),
    };
    auto recs = crawl(dir, urls, {"--robots", "-p", "1", "-c", "4"});
    for (int line : {1, 3, 6}) {
        INFO(json::serialize(recs.at(line)));
        CHECK(recs.at(line).at("status") == 200);
        CHECK(recs.at(line).at("error").is_null());
        CHECK(recs.at(line).at("title").is_string());
    }
    check_refused(recs.at(2), "robots_disallowed");
    CHECK(recs.at(2).at("status").is_null());
    CHECK(recs.at(2).at("error").at("message").as_string() ==
          site.url("/robots.txt") + " disallows /p/12.html for 'shoal' (Disallow: /p/1)");
    check_refused(recs.at(4), "robots_disallowed");
    // The redirect was followed as far as the disallowed URL: its status stays.
    check_refused(recs.at(5), "robots_disallowed", 1);
    CHECK(recs.at(5).at("status") == 302);
    CHECK(recs.at(5).at("final_url").as_string() == site.url("/p/14.html"));

    const auto asked = requested(site);
    INFO(json::serialize(json::value_from(asked)));
    for (const char* never : {"/p/12.html", "/p/13.html?x=1", "/p/14.html"})
        CHECK(std::count(asked.begin(), asked.end(), never) == 0);
    CHECK(std::count(asked.begin(), asked.end(), "/p/1.html") == 1);
    CHECK(std::count(asked.begin(), asked.end(), "/robots.txt") == 1);
    CHECK(asked.front() == "/robots.txt");  // before any page of the site
    CHECK(robots_requests(site) == 1);
}

TEST_CASE("robots: the --user-agent's product token picks the group", "[robots_crawl]") {
    robots_site s;
    const local_site& site = *s.site;
    temp_dir dir;
    auto recs = crawl(dir, {site.url("/p/2.html"), site.url("/p/3.html")},
                      {"--robots", "--user-agent", "OtherBot/2.0 (+https://example.com/bot)"});
    for (const auto& [line, rec] : recs) {
        check_refused(rec, "robots_disallowed");
        CHECK(rec.at("error").at("message").as_string().ends_with("for 'OtherBot' (Disallow: /)"));
    }
    CHECK(requested(site) == std::vector<std::string>{"/robots.txt"});
}

TEST_CASE("robots: a missing robots.txt allows all and without --robots none is asked for",
          "[robots_crawl]") {
    temp_dir dir;
    const int code = GENERATE(404, 403, 410);
    INFO("robots.txt status " << code);
    local_site site(std::nullopt, {"--robots-status", std::to_string(code)});
    auto recs = crawl(dir, {site.url("/p/1.html"), site.url("/p/2.html")}, {"--robots"});
    for (const auto& [line, rec] : recs) CHECK(rec.at("status") == 200);
    CHECK(robots_requests(site) == 1);
    robots_site other;
    temp_dir dir2;
    auto plain = crawl(dir2, {other.site->url("/p/12.html")}, {});
    CHECK(plain.at(1).at("status") == 200);
    CHECK(robots_requests(*other.site) == 0);
}

TEST_CASE("robots: a redirected robots.txt is followed five hops, whatever --max-redirects says",
          "[robots_crawl]") {
    temp_dir root;
    shoal::test::write_file(root / "rules.txt", "User-agent: *\nDisallow: /p/\n");
    local_site site(std::nullopt, {"--root", root.path().string(), "--robots-redirect", "/redirect/3/rules.txt"});
    for (const char* limit : {"0", "1"}) {
        INFO("--max-redirects " << limit);
        temp_dir dir;
        // robots.txt -> /redirect/3/rules.txt -> /redirect/2/... -> /rules.txt: 4 hops.
        auto recs = crawl(dir, {site.url("/p/1.html")}, {"--robots", "--max-redirects", limit});
        check_refused(recs.at(1), "robots_disallowed");
    }
}

TEST_CASE("robots: an unreachable robots.txt (5xx, 429, no answer) keeps the whole site unfetched",
          "[robots_crawl]") {
    temp_dir dir;
    const int code = GENERATE(503, 500, 429);
    INFO("robots.txt status " << code);
    local_site site(std::nullopt, {"--robots-status", std::to_string(code)});
    auto recs = crawl(dir, {site.url("/p/1.html"), site.url("/p/2.html")}, {"--robots"});
    for (const auto& [line, rec] : recs) {
        check_refused(rec, "robots_unreachable");
        CHECK(rec.at("error").at("message").as_string() ==
              site.url("/robots.txt") + " answered " + std::to_string(code) +
                  ": the site counts as disallowed (RFC 9309), nothing of it is fetched");
    }
    CHECK(requested(site) == std::vector<std::string>{"/robots.txt"});
}

TEST_CASE("robots: an unreachable robots.txt is asked for once a minute by all workers together",
          "[robots_crawl]") {
    // 40 lines in chunks of 2, two workers at a time: 20 workers meet the
    // site. The first to fetch its robots.txt (a 503) tells the others.
    temp_dir dir;
    local_site site(std::nullopt, {"--robots-status", "503"});
    std::vector<std::string> lines;
    for (int n = 1; n <= 40; ++n) lines.push_back(site.url("/p/" + std::to_string(n) + ".html"));
    auto recs = crawl(dir, lines, {"--robots", "-p", "2", "--chunk-size", "2"});
    for (const auto& [line, rec] : recs) {
        check_refused(rec, "robots_unreachable");
        CHECK(rec.at("error").at("message").as_string() ==
              site.url("/robots.txt") + " answered 503: the site counts as disallowed (RFC 9309), nothing of it is "
                                        "fetched");
    }
    CHECK(robots_requests(site) == 1);  // was one a worker
    CHECK(requested(site) == std::vector<std::string>{"/robots.txt"});
}

TEST_CASE("robots: a robots.txt answered with a status HTTP does not define counts as unreachable",
          "[robots_crawl]") {
    // Not a "no rules" 4xx: the site is not taken to allow everything.
    temp_dir dir;
    local_site site(std::nullopt, {"--robots-status", "600"});
    auto recs = crawl(dir, {site.url("/p/1.html")}, {"--robots"});
    check_refused(recs.at(1), "robots_unreachable");
    CHECK(recs.at(1).at("error").at("message").as_string().find("answered 600") != std::string::npos);
    CHECK(requested(site) == std::vector<std::string>{"/robots.txt"});
}

TEST_CASE("robots: a robots.txt retried after a backoff does not hold up its site's lanes", "[robots_crawl]") {
    // One site, few lanes: while its robots.txt waits out a retry's
    // backoff, every lane waits for that robots.txt. Its retry must not
    // wait for a lane's place in turn (it keeps its own), or nothing moves.
    temp_dir dir;
    local_site site(std::nullopt, {"--robots-status", "503"});
    std::string text;
    for (int n = 1; n <= 12; ++n) text += site.url("/p/" + std::to_string(n) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    for (const char* lanes : {"1", "2"}) {
        INFO("-c " << lanes);
        auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                           (dir / "out.jsonl").string(), "-q", "--robots", "-p", "1", "-c", lanes,
                                           "--retries", "2"},
                                          "", 60s);
        INFO(r.err);
        REQUIRE_FALSE(r.timed_out);
        REQUIRE(r.exit_code == 0);
        const auto recs = shoal::test::read_jsonl(dir / "out.jsonl");
        CHECK(recs.size() == 12);
        for (const auto& rec : recs) check_refused(rec, "robots_unreachable");
    }
}

TEST_CASE("robots: a site that cannot be reached gets robots_unreachable with the reason",
          "[robots_crawl]") {
    temp_dir dir;
    const std::string down = "http://127.0.0.1:" + std::to_string(shoal::test::unused_port());
    auto recs = crawl(dir, {down + "/p/1.html", down + "/p/2.html"}, {"--robots"});
    for (const auto& [line, rec] : recs) {
        check_refused(rec, "robots_unreachable");
        const std::string message(rec.at("error").at("message").as_string());
        CHECK(message.starts_with(down + "/robots.txt could not be fetched ("));
        CHECK(message.find("refused") != std::string::npos);
    }
}

TEST_CASE("robots: --robots is part of what --resume compares, and only when given",
          "[robots_crawl]") {
    local_site site;
    temp_dir dir;
    crawl(dir, {site.url("/p/1.html")}, {});
    // A run without --robots fingerprints as runs did before the option came.
    CHECK(shoal::test::read_file(dir / "out.jsonl.shoal-run").find("robots") == std::string::npos);
    auto refused = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                             (dir / "out.jsonl").string(), "-q", "--retries", "0",
                                             "--timeout", "5", "--resume", "--robots"},
                                            "", 60s);
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("--robots (was without it)") != std::string::npos);
}

TEST_CASE("robots: a Crawl-delay spaces the site's requests over all workers together",
          "[robots_crawl]") {
    temp_dir root, dir;
    shoal::test::write_file(root / "robots.txt", "User-agent: *\nCrawl-delay: 0.25\n");
    local_site site(std::nullopt, {"--root", root.path().string()});
    // Six lines of one host in chunks of three: two workers fetch from it at once.
    std::string text;
    for (int i = 1; i <= 6; ++i) text += site.url("/p/" + std::to_string(i) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    auto r = shoal::test::run_process({"env", "SHOAL_FAULT_NO_DEALING=1", SHOAL_BINARY, "crawl",
                                       (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(), "-q",
                                       "-p", "2", "-c", "8", "--chunk-size", "3", "--robots"},
                                      "", 60s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    for (const auto& rec : shoal::test::read_jsonl(dir / "out.jsonl")) CHECK(rec.at("status") == 200);
    const auto paths = requested(site);
    const auto arrivals = json::parse(site.get("/arrivals")).as_array();
    REQUIRE(paths.size() == arrivals.size());
    std::vector<double> pages;
    double robots_at = -1;
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (paths[i].starts_with("/p/")) pages.push_back(arrivals[i].to_number<double>());
        if (paths[i] == "/robots.txt") robots_at = arrivals[i].to_number<double>();
    }
    REQUIRE(pages.size() == 6);
    // Once in the run: the other workers wait for the first one's.
    CHECK(std::count(paths.begin(), paths.end(), "/robots.txt") == 1);
    std::sort(pages.begin(), pages.end());
    // The robots.txt fetch is a request too: the first page comes a Crawl-delay after it.
    INFO("robots.txt at " << robots_at << ", first page at " << pages.front());
    CHECK(pages.front() - robots_at >= 0.25 * 0.9);
    std::vector<double> gaps;
    for (std::size_t i = 1; i < pages.size(); ++i) gaps.push_back(pages[i] - pages[i - 1]);
    INFO("gaps (s): " << json::serialize(json::value_from(gaps)));
    // Turns are 250 ms apart: single gaps are checked loosely (a late timer
    // narrows one gap and widens the next), the span of five turns closely.
    CHECK(*std::min_element(gaps.begin(), gaps.end()) >= 0.125);
    CHECK(pages.back() - pages.front() >= 5 * 0.25 * 0.9);
}

TEST_CASE("robots: a robots.txt larger than --max-body is read whole, up to 512 KiB", "[robots_crawl]") {
    temp_dir root, dir;
    // 8 KiB of comments first, the rule last; pages stay under the 1K cap.
    std::string text = "User-agent: *\n";
    for (int i = 0; i < 128; ++i) text += "# " + std::string(61, 'x') + "\n";
    text += "Disallow: /p/2\n";
    shoal::test::write_file(root / "robots.txt", text);
    local_site site(std::nullopt, {"--root", root.path().string()});
    auto recs = crawl(dir, {site.url("/p/1.html"), site.url("/p/2.html")}, {"--robots", "--max-body", "1K"});
    INFO(json::serialize(recs.at(1)));
    CHECK(recs.at(1).at("status") == 200);
    check_refused(recs.at(2), "robots_disallowed");
    CHECK(recs.at(2).at("error").at("message").as_string().ends_with("(Disallow: /p/2)"));
}

namespace {

// A robots.txt of more than 512 KiB as sent: "Disallow: /p/2" first, then
// comment lines of random hex (gzip halves them at best), then a
// "Disallow: /p/1" past the first 512 KiB, which is not read.
std::string big_robots(std::size_t comment_bytes) {
    std::string text = "User-agent: *\nDisallow: /p/2\n";
    std::uint64_t x = 88172645463325252ull;  // xorshift64: the same text every run
    while (text.size() < comment_bytes) {
        text += "# ";
        for (int i = 0; i < 64; ++i) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            text += "0123456789abcdef"[x & 15];
        }
        text += '\n';
    }
    return text + "Disallow: /p/1\n";
}

}  // namespace

TEST_CASE("robots: a robots.txt over 512 KiB is read up to there, not taken as unreachable",
          "[robots_crawl]") {
    temp_dir root, dir;
    shoal::test::write_file(root / "robots.txt", big_robots(700 * 1024));
    local_site site(std::nullopt, {"--root", root.path().string()});
    // A --max-body below the file's size does not matter either.
    auto recs = crawl(dir, {site.url("/p/1.html"), site.url("/p/2.html"), site.url("/p/3.html")},
                      {"--robots", "--max-body", "64K"});
    INFO(json::serialize(recs.at(1)));
    CHECK(recs.at(1).at("status") == 200);  // its rule lies past 512 KiB
    check_refused(recs.at(2), "robots_disallowed");
    CHECK(recs.at(3).at("status") == 200);
    CHECK(robots_requests(site) == 1);
}

TEST_CASE("robots: a gzip robots.txt over 512 KiB as sent is decoded as far as it was read",
          "[robots_crawl]") {
    temp_dir root, dir;
    // About 1.4 MiB of hex: well over 512 KiB once compressed.
    shoal::test::write_file(root / "robots.txt", big_robots(1400 * 1024));
    shoal::test::write_file(root / "robots.txt.content-encoding", "gzip");
    local_site site(std::nullopt, {"--root", root.path().string()});
    auto recs = crawl(dir, {site.url("/p/1.html"), site.url("/p/2.html")},
                      {"--robots", "--max-body", "64K"});
    INFO(json::serialize(recs.at(1)));
    CHECK(recs.at(1).at("status") == 200);
    check_refused(recs.at(2), "robots_disallowed");
}

TEST_CASE("robots: a --user-agent with no product token gets a warning: only * groups apply to it", "[robots_crawl]") {
    temp_dir root, dir;
    shoal::test::write_file(root / "robots.txt", "User-agent: *\nDisallow: /p/\n");
    local_site site(std::nullopt, {"--root", root.path().string()});
    shoal::test::write_file(dir / "urls.txt", site.url("/p/1.html") + "\n");
    auto r = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                       (dir / "out.jsonl").string(), "-q", "--robots", "--user-agent", "(weird)"},
                                      "", 60s);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("--user-agent '(weird)' starts with no product token"));
    const auto recs = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].at("error").at("code") == "robots_disallowed");
    // A token, or no --robots: no warning.
    auto named = shoal::test::run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                           (dir / "out.jsonl").string(), "-q", "--user-agent", "(weird)"},
                                          "", 60s);
    CHECK(named.err.find("product token") == std::string::npos);
}
