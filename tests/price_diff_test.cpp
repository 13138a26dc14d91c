// End to end: two crawls of one shop whose prices change in between, compared by
// the real `shoal diff`. tools/local_site.py runs twice on the same fixed port,
// first as it is, then with --price-shift -15: product N ($N.99) then costs
// $N.99 x 0.85 rounded half up to cents, except when N is divisible by 7, and
// pages whose N is divisible by 11 get " (new)" at the end of their title.
#include <algorithm>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <set>
#include <sstream>
#include <string>
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
using shoal::test::run_process;
using shoal::test::temp_dir;

// 40 product pages: 1..39 and 77 (which 7 and 11 both divide: same price, new title).
std::vector<int> pages() {
    std::vector<int> out;
    for (int n = 1; n <= 39; ++n) out.push_back(n);
    out.push_back(77);
    return out;
}

std::int64_t old_cents(int n) {
    return std::int64_t{n} * 100 + 99;
}

std::int64_t new_cents(int n) {
    if (n % 7 == 0) return old_cents(n);
    return (old_cents(n) * 85 + 50) / 100;  // x 0.85, half up (positive amounts)
}

std::string amount(std::int64_t cents) {
    std::string c = std::to_string(cents % 100);
    if (c.size() < 2) c = "0" + c;
    return std::to_string(cents / 100) + "." + c;
}

// (new - old) / old x 100, rounded half away from zero to one decimal, exactly.
std::string pct(std::int64_t o, std::int64_t n) {
    const std::int64_t num = (n - o) * 1000;  // tenths of a percent, times o
    const std::int64_t mag = (2 * (num < 0 ? -num : num) + o) / (2 * o);
    const bool neg = num < 0 && mag != 0;
    return std::string(neg ? "-" : "") + std::to_string(mag / 10) + "." + std::to_string(mag % 10);
}

std::string title(int n, bool shifted) {
    return "Product " + std::to_string(n) + " | Test Shop" +
           (shifted && n % 11 == 0 ? " (new)" : "");
}

// Crawls /p/N.html for every page on `site` into `out`.
void crawl(const local_site& site, const temp_dir& dir, const fs::path& out) {
    std::string urls;
    for (int n : pages()) urls += site.url("/p/" + std::to_string(n) + ".html") + "\n";
    shoal::test::write_file(dir / "urls.txt", urls);
    auto r = run_process(
        {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", out.string(), "-p", "2", "-q"},
        "", 120s);
    INFO("crawl stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const auto records = shoal::test::read_jsonl(out);
    REQUIRE(records.size() == pages().size());
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        CHECK(rec.at("status") == 200);
        CHECK(rec.at("price").is_object());
    }
}

struct diff_line {
    json::object obj;
    std::string raw;  // the line as written, to read the pct number's exact text
};

std::map<std::string, diff_line> by_url(const std::string& out) {
    std::map<std::string, diff_line> m;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        auto objs = shoal::test::parse_jsonl(line + "\n");
        REQUIRE(objs.size() == 1);
        const std::string url(objs[0].at("url").as_string());
        INFO(url);
        CHECK(m.count(url) == 0);
        m[url] = {objs[0], line};
    }
    return m;
}

// The text of the "pct" member of a diff line, as written ("-15.1", "null").
std::string pct_text(const std::string& raw) {
    const auto at = raw.find("\"pct\":");
    if (at == std::string::npos) return "<none>";
    const auto start = at + 6;
    const auto end = raw.find_first_of(",}", start);
    return raw.substr(start, end - start);
}

std::vector<std::string> strings(const json::value& v) {
    std::vector<std::string> out;
    for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
    return out;
}

}  // namespace

TEST_CASE("price diff: two crawls of a shop whose prices fell by 15 percent",
          "[price-diff][diff]") {
    temp_dir dir;
    const int port = shoal::test::unused_port();
    const fs::path old_path = dir / "old.jsonl", new_path = dir / "new.jsonl";
    std::map<int, std::string> url_of;
    {
        local_site site(std::nullopt, {"--port", std::to_string(port)});
        REQUIRE(site.port() == port);
        for (int n : pages()) url_of[n] = site.url("/p/" + std::to_string(n) + ".html");
        crawl(site, dir, old_path);
    }
    {
        local_site site(std::nullopt, {"--port", std::to_string(port), "--price-shift", "-15"});
        REQUIRE(site.port() == port);
        crawl(site, dir, new_path);
    }

    // The crawls themselves: the prices and titles the site is meant to serve.
    std::map<std::string, json::object> old_recs, new_recs;
    for (const auto& rec : shoal::test::read_jsonl(old_path))
        old_recs[std::string(rec.at("url").as_string())] = rec;
    for (const auto& rec : shoal::test::read_jsonl(new_path))
        new_recs[std::string(rec.at("url").as_string())] = rec;
    for (int n : pages()) {
        INFO("page " << n);
        REQUIRE(old_recs.count(url_of[n]));
        REQUIRE(new_recs.count(url_of[n]));
        CHECK(old_recs[url_of[n]].at("price").at("amount") == json::value(amount(old_cents(n))));
        CHECK(new_recs[url_of[n]].at("price").at("amount") == json::value(amount(new_cents(n))));
        CHECK(old_recs[url_of[n]].at("title") == json::value(title(n, false)));
        CHECK(new_recs[url_of[n]].at("title") == json::value(title(n, true)));
    }

    {  // jsonl: price_down with the exact pct, title_changed where 11 divides N
        auto r = run_process(
            {SHOAL_BINARY, "diff", old_path.string(), new_path.string(), "--format", "jsonl"}, "",
            30s);
        INFO("stderr: " << r.err << "\nstdout: " << r.out);
        REQUIRE(r.exit_code == 1);
        auto m = by_url(r.out);
        std::set<std::string> expected_urls;
        for (int n : pages()) {
            if (n % 7 != 0 || n % 11 == 0) expected_urls.insert(url_of[n]);
        }
        std::set<std::string> got_urls;
        for (const auto& [url, line] : m) got_urls.insert(url);
        CHECK(got_urls == expected_urls);
        for (int n : pages()) {
            INFO("page " << n);
            auto it = m.find(url_of[n]);
            if (n % 7 == 0 && n % 11 != 0) {
                CHECK(it == m.end());
                continue;
            }
            REQUIRE(it != m.end());
            const json::object& o = it->second.obj;
            INFO(it->second.raw);
            std::vector<std::string> kinds;
            if (n % 7 != 0) kinds.push_back("price_down");
            if (n % 11 == 0) kinds.push_back("title_changed");
            CHECK(o.at("change") == json::value(kinds.front()));
            CHECK(strings(o.at("changes")) == kinds);
            CHECK(o.at("old").at("price").at("amount") == json::value(amount(old_cents(n))));
            CHECK(o.at("new").at("price").at("amount") == json::value(amount(new_cents(n))));
            CHECK(o.at("old").at("title") == json::value(title(n, false)));
            CHECK(o.at("new").at("title") == json::value(title(n, true)));
            if (n % 7 != 0) {
                CHECK(pct_text(it->second.raw) == pct(old_cents(n), new_cents(n)));
            } else {
                CHECK(o.at("pct").is_null());
            }
        }
        // Rounding to cents makes some changes differ from -15.0 (page 1: 1.99 -> 1.69).
        CHECK(pct(old_cents(1), new_cents(1)) == "-15.1");
        CHECK(pct_text(m.at(url_of[1]).raw) == "-15.1");
    }

    {  // --only price keeps only the price changes
        auto r = run_process({SHOAL_BINARY, "diff", old_path.string(), new_path.string(),
                              "--format", "jsonl", "--only", "price"},
                             "", 30s);
        INFO("stderr: " << r.err << "\nstdout: " << r.out);
        REQUIRE(r.exit_code == 1);
        auto m = by_url(r.out);
        std::size_t expected = 0;
        for (int n : pages()) {
            INFO("page " << n);
            auto it = m.find(url_of[n]);
            if (n % 7 == 0) {
                CHECK(it == m.end());  // 7 and 77: no price change (77's title changed)
                continue;
            }
            ++expected;
            REQUIRE(it != m.end());
            CHECK(it->second.obj.at("change") == json::value("price_down"));
            CHECK(strings(it->second.obj.at("changes")) == std::vector<std::string>{"price_down"});
            CHECK(pct_text(it->second.raw) == pct(old_cents(n), new_cents(n)));
        }
        CHECK(m.size() == expected);
    }

    {  // --only title keeps only the title changes
        auto r = run_process({SHOAL_BINARY, "diff", old_path.string(), new_path.string(),
                              "--format", "jsonl", "--only", "title"},
                             "", 30s);
        INFO("stderr: " << r.err << "\nstdout: " << r.out);
        REQUIRE(r.exit_code == 1);
        auto m = by_url(r.out);
        std::set<std::string> got, want;
        for (const auto& [url, line] : m) {
            got.insert(url);
            CHECK(strings(line.obj.at("changes")) == std::vector<std::string>{"title_changed"});
        }
        for (int n : pages()) {
            if (n % 11 == 0) want.insert(url_of[n]);
        }
        CHECK(got == want);
    }

    {  // csv: a header and one row per changed URL
        auto r = run_process(
            {SHOAL_BINARY, "diff", old_path.string(), new_path.string(), "--format", "csv"}, "",
            30s);
        INFO("stderr: " << r.err << "\nstdout: " << r.out);
        REQUIRE(r.exit_code == 1);
        std::vector<std::string> rows;
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) rows.push_back(line);
        }
        REQUIRE_FALSE(rows.empty());
        CHECK(rows[0] ==
              "change,changes,url,old_status,new_status,old_title,new_title,old_price_amount,"
              "old_price_currency,new_price_amount,new_price_currency,pct,old_error_stage,old_error_code,"
              "new_error_stage,new_error_code");
        std::size_t changed = 0;
        for (int n : pages()) changed += (n % 7 != 0 || n % 11 == 0) ? 1 : 0;
        CHECK(rows.size() == changed + 1);
        // Page 10: $10.99 -> $9.34, -15.0 %.
        const std::string row10 = "price_down,price_down," + url_of[10] +
                                  ",200,200,Product 10 | Test Shop,Product 10 | Test Shop,10.99,"
                                  "USD,9.34,USD,-15.0,,,,";
        CHECK(std::find(rows.begin(), rows.end(), row10) != rows.end());
    }

    {  // a run against itself: exit 0 and no output
        auto r = run_process({SHOAL_BINARY, "diff", old_path.string(), old_path.string()}, "", 30s);
        INFO("stderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.empty());
        auto j = run_process(
            {SHOAL_BINARY, "diff", new_path.string(), new_path.string(), "--format", "jsonl"}, "",
            30s);
        CHECK(j.exit_code == 0);
        CHECK(j.out.empty());
    }
}
