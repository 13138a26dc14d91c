// End to end: the bookshop listing of issue 3 through the real `shoal` binary.
// tools/local_site.py serves /gbk/N.html, GBK search pages declared gb2312 in
// <meta http-equiv> only, with ten books each; data/rules/dangdang.toml reads them
// into fields.items. Checked through `shoal crawl` (JSONL and CSV) and
// `shoal extract` on a saved copy of a page.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
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

const std::string dangdang = std::string(SHOAL_SOURCE_DIR) + "/data/rules/dangdang.toml";

constexpr int kPages = 6;
constexpr int kItemsPerPage = 10;

struct book {
    std::string title;   // "书名K"
    std::string amount;  // "59.00"
    std::string raw;     // "¥59.00"
};

// The books of /gbk/N.html as tools/local_site.py's gbk_page writes them: book i
// (1-based) is number K = (N - 1) * 10 + i, titled " 书名K" (the rule's pattern
// eats the leading space), at &yen;P.00 with P = 59 + (i - 1) * 3.
std::vector<book> books_of_page(int n) {
    std::vector<book> out;
    for (int i = 1; i <= kItemsPerPage; ++i) {
        const int k = (n - 1) * kItemsPerPage + i;
        const std::string price = std::to_string(59 + (i - 1) * 3) + ".00";
        out.push_back({"书名" + std::to_string(k), price, "¥" + price});
    }
    return out;
}

// Checks that `items` is exactly the books of page n, as {"title", "price"} objects.
void check_items(const json::value& items, int n) {
    INFO("items: " << json::serialize(items));
    REQUIRE(items.is_array());
    const auto expected = books_of_page(n);
    REQUIRE(items.as_array().size() == expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("item " << i);
        const json::value& item = items.as_array()[i];
        REQUIRE(item.is_object());
        CHECK(item.as_object().size() == 2);  // exactly "title" and "price"
        REQUIRE(item.as_object().contains("title"));
        REQUIRE(item.as_object().contains("price"));
        CHECK(item.at("title") == json::value(expected[i].title));
        const json::value& price = item.at("price");
        REQUIRE(price.is_object());
        CHECK(price.at("amount") == json::value(expected[i].amount));
        CHECK(price.at("currency") == json::value("CNY"));
        CHECK(price.at("raw") == json::value(expected[i].raw));
    }
}

std::string listing_urls(const local_site& site) {
    std::string text;
    for (int n = 1; n <= kPages; ++n)
        text += site.url("/gbk/" + std::to_string(n) + ".html") + "\n";
    return text;
}

// The page number N of a URL ending in /gbk/N.html.
int page_of(const std::string& url) {
    const auto slash = url.rfind('/');
    return std::stoi(url.substr(slash + 1));
}

}  // namespace

TEST_CASE("listing: GBK search pages through shoal crawl with the dangdang preset, JSONL",
          "[listing][crawl]") {
    local_site site;
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", listing_urls(site));
    auto r = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.jsonl").string(), "--rules", dangdang, "-p", "2", "-q"},
                         "", 120s);
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");  // valid UTF-8 JSON
    REQUIRE(records.size() == kPages);
    std::map<int, json::object> by_page;
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        REQUIRE(rec.at("url").is_string());
        by_page[page_of(std::string(rec.at("url").as_string()))] = rec;
    }
    REQUIRE(by_page.size() == kPages);
    for (const auto& [n, rec] : by_page) {
        INFO("page " << n << ": " << json::serialize(rec));
        CHECK(rec.at("line") == n);
        CHECK(rec.at("status") == 200);
        CHECK(rec.at("error").is_null());
        const auto expected = books_of_page(n);
        // The record's title and price are the first book's.
        CHECK(rec.at("title") == json::value(expected[0].title));
        REQUIRE(rec.at("price").is_object());
        CHECK(rec.at("price").at("amount") == json::value(expected[0].amount));
        CHECK(rec.at("price").at("currency") == json::value("CNY"));
        CHECK(rec.at("price").at("raw") == json::value(expected[0].raw));
        REQUIRE(rec.at("fields").is_object());
        const json::object& fields = rec.at("fields").as_object();
        REQUIRE(fields.contains("items"));
        check_items(fields.at("items"), n);
        // The whole title and price arrays go to fields too.
        REQUIRE(fields.contains("title"));
        REQUIRE(fields.at("title").is_array());
        REQUIRE(fields.at("title").as_array().size() == expected.size());
        REQUIRE(fields.contains("price"));
        REQUIRE(fields.at("price").is_array());
        REQUIRE(fields.at("price").as_array().size() == expected.size());
        for (std::size_t i = 0; i < expected.size(); ++i) {
            CHECK(fields.at("title").as_array()[i] == json::value(expected[i].title));
            CHECK(fields.at("price").as_array()[i].at("amount") == json::value(expected[i].amount));
        }
    }
}

TEST_CASE("listing: GBK search pages through shoal crawl to CSV have a fields.items column",
          "[listing][crawl]") {
    local_site site;
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", listing_urls(site));
    auto r = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.csv").string(), "--rules", dangdang, "-p", "2", "-q"},
                         "", 120s);
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    const std::string text = shoal::test::read_file(dir / "out.csv");
    INFO("csv:\n" << text);
    const auto rows = shoal::test::parse_csv(text);
    REQUIRE(rows.size() == kPages + 1);
    const auto& header = rows[0];
    const std::vector<std::string> fixed = {
        "line",           "url",          "status",     "final_url", "title",    "price_amount",
        "price_currency", "price_raw",    "elapsed_ms", "bytes",     "attempts", "error_stage",
        "error_code",     "error_message"};
    REQUIRE(header.size() > fixed.size());
    const auto fixed_end = header.begin() + static_cast<std::ptrdiff_t>(fixed.size());
    CHECK(std::vector<std::string>(header.begin(), fixed_end) == fixed);
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    REQUIRE(col.count("fields.items"));
    std::map<int, bool> seen;
    for (std::size_t k = 1; k < rows.size(); ++k) {
        const auto& row = rows[k];
        REQUIRE(row.size() == header.size());
        const int n = page_of(row[col["url"]]);
        INFO("page " << n);
        seen[n] = true;
        CHECK(row[col["line"]] == std::to_string(n));
        CHECK(row[col["status"]] == "200");
        const auto expected = books_of_page(n);
        CHECK(row[col["title"]] == expected[0].title);
        CHECK(row[col["price_amount"]] == expected[0].amount);
        CHECK(row[col["price_currency"]] == "CNY");
        CHECK(row[col["price_raw"]] == expected[0].raw);
        CHECK(row[col["error_stage"]].empty());
        // Arrays are written as JSON.
        json::value items;
        try {
            items = json::parse(row[col["fields.items"]]);
        } catch (const std::exception& e) {
            FAIL("fields.items is not JSON: " << e.what() << ": " << row[col["fields.items"]]);
        }
        check_items(items, n);
    }
    CHECK(seen.size() == kPages);
}

TEST_CASE("listing: shoal extract on a saved listing page gives the crawl's items",
          "[listing][extract]") {
    local_site site;
    temp_dir dir;
    const int n = 3;
    const std::string path = "/gbk/" + std::to_string(n) + ".html";
    const std::string page = site.get(path);
    REQUIRE_FALSE(page.empty());
    // The saved page is GBK bytes, not UTF-8: the extractor must convert it.
    REQUIRE(page.find("charset=gb2312") != std::string::npos);
    shoal::test::write_file(dir / "page.html", page);

    auto r = run_process(
        {SHOAL_BINARY, "extract", "--rules", dangdang, (dir / "page.html").string()}, "", 60s);
    INFO("stderr: " << r.err << "\nstdout: " << r.out);
    REQUIRE(r.exit_code == 0);
    const auto records = shoal::test::parse_jsonl(r.out);
    REQUIRE(records.size() == 1);
    const json::object& rec = records[0];
    CHECK(rec.at("line") == 1);
    CHECK(rec.at("url") == json::value((dir / "page.html").string()));
    CHECK(rec.at("status").is_null());
    CHECK(rec.at("error").is_null());
    const auto expected = books_of_page(n);
    CHECK(rec.at("title") == json::value(expected[0].title));
    REQUIRE(rec.at("price").is_object());
    CHECK(rec.at("price").at("amount") == json::value(expected[0].amount));
    CHECK(rec.at("price").at("currency") == json::value("CNY"));
    REQUIRE(rec.at("fields").is_object());
    REQUIRE(rec.at("fields").as_object().contains("items"));
    check_items(rec.at("fields").at("items"), n);

    // The same page through `shoal crawl` gives exactly the same fields.
    shoal::test::write_file(dir / "urls.txt", site.url(path) + "\n");
    auto c = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.jsonl").string(), "--rules", dangdang, "-q"},
                         "", 60s);
    INFO("crawl stderr: " << c.err);
    REQUIRE(c.exit_code == 0);
    const auto crawled = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(crawled.size() == 1);
    CHECK(crawled[0].at("fields") == rec.at("fields"));
    CHECK(crawled[0].at("title") == rec.at("title"));
    CHECK(crawled[0].at("price") == rec.at("price"));

    // With --url, the record names it; the items do not change.
    auto u = run_process({SHOAL_BINARY, "extract", "--rules", dangdang, "--url", site.url(path),
                          (dir / "page.html").string()},
                         "", 60s);
    INFO("stderr: " << u.err);
    REQUIRE(u.exit_code == 0);
    const auto with_url = shoal::test::parse_jsonl(u.out);
    REQUIRE(with_url.size() == 1);
    CHECK(with_url[0].at("url") == json::value(site.url(path)));
    CHECK(with_url[0].at("fields") == rec.at("fields"));
}
