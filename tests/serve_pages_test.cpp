// Unit tests of serve_pages (the experiment site's pages) and of the server's
// request parser: deterministic facts, gzip bodies assembled from deflate
// segments, and what the built-in extractor finds on the pages.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>
#include <string>

#include "shoal/extractor.hpp"
#include "shoal/serve_pages.hpp"
#include "support/gunzip.hpp"

namespace {

namespace pages = shoal::serve_pages;
using shoal::test::gunzip;

}  // namespace

TEST_CASE("serve pages: titles and prices are deterministic and well formed", "[serve]") {
    CHECK(pages::product_title(17) == pages::product_title(17));
    CHECK(pages::product_price(17).amount == pages::product_price(17).amount);
    std::set<std::string> titles;
    for (std::uint64_t n = 1; n <= 2000; ++n) {
        const std::string t = pages::product_title(n);
        INFO(n << ": " << t);
        REQUIRE(!t.empty());
        CHECK(t.find("  ") == std::string::npos);
        titles.insert(t);
        const pages::price p = pages::product_price(n);
        CHECK(p.currency == "USD");
        REQUIRE(p.amount.size() >= 4);
        CHECK(p.amount[p.amount.size() - 3] == '.');
        const double v = std::stod(p.amount);
        CHECK(v >= 4.99);
        CHECK(v <= 2504.98);
        // The shown price is the amount with a dollar sign and thousands separators.
        std::string shown = pages::price_text(n);
        REQUIRE(shown[0] == '$');
        shown.erase(0, 1);
        if (auto comma = shown.find(','); comma != std::string::npos) shown.erase(comma, 1);
        CHECK(shown == p.amount);
    }
    CHECK(titles.size() > 1900);  // nearly all distinct
}

TEST_CASE("serve pages: URL-list hosts skip .0 and .255", "[serve]") {
    CHECK(pages::host_address(0) == "127.0.0.1");
    CHECK(pages::host_address(1) == "127.0.0.2");
    CHECK(pages::host_address(253) == "127.0.0.254");
    CHECK(pages::host_address(254) == "127.0.1.1");
    CHECK(pages::host_address(254 * 256) == "127.1.0.1");
    for (std::uint64_t j = 0; j < 5000; ++j) {
        const std::string h = pages::host_address(j);
        const std::string last = h.substr(h.rfind('.') + 1);
        CHECK(last != "0");
        CHECK(last != "255");
    }
    CHECK(pages::url_line("http", 1, 256, 8080) == "http://127.0.0.1:8080/p/1.html");
    CHECK(pages::url_line("https", 258, 256, 443) == "https://127.0.0.2:443/p/258.html");
    CHECK(pages::url_line("http", 65, 64, 1) == "http://127.0.0.1:1/p/65.html");
}

TEST_CASE("serve pages: targets", "[serve]") {
    using pages::page_kind;
    CHECK(pages::parse_target("/").kind == page_kind::index);
    CHECK(pages::parse_target("/?x=1").kind == page_kind::index);
    CHECK(pages::parse_target("/stats").kind == page_kind::stats);
    auto r = pages::parse_target("/p/123.html?utm=1");
    CHECK(r.kind == page_kind::product);
    CHECK(r.n == 123);
    r = pages::parse_target("/list/7.html");
    CHECK(r.kind == page_kind::listing);
    CHECK(r.n == 7);
    for (const char* bad : {"/p/0.html", "/p/012.html", "/p/.html", "/p/1x.html", "/p/1.htm",
                            "/p/1234567890123456789.html", "/list/0.html", "/x", "/p/", ""})
        CHECK(pages::parse_target(bad).kind == page_kind::not_found);
}

TEST_CASE("serve pages: error and reset choices follow the rate", "[serve]") {
    int errors = 0, resets = 0, both = 0;
    for (std::uint64_t n = 1; n <= 10000; ++n) {
        const bool e = pages::answers_error(n, 0.1), r = pages::resets(n, 0.2);
        errors += e;
        resets += r;
        both += e && r;
        if (e) CHECK(pages::answers_error(n, 0.5));  // more at a higher rate
        CHECK_FALSE(pages::answers_error(n, 0));
        CHECK(pages::resets(n, 1));
    }
    CHECK(errors > 850);
    CHECK(errors < 1150);
    CHECK(resets > 1800);
    CHECK(resets < 2200);
    CHECK(both < 400);  // independent: about 200
}

TEST_CASE("serve pages: gzip bodies decompress to the page", "[serve]") {
    for (std::size_t size : {std::size_t{0}, std::size_t{1000}, std::size_t{19000},
                             std::size_t{120000}}) {
        const pages::site site(size);
        pages::body plain, gz;
        std::size_t total = 0, total_gz = 0;
        for (std::uint64_t n : {1ull, 2ull, 99ull, 1000ull, 123456789ull, 999999999999999999ull}) {
            INFO("page size " << size << ", page " << n);
            site.product(n, false, plain);
            site.product(n, true, gz);
            const std::string page = plain.joined();
            REQUIRE(page.size() == plain.size);
            REQUIRE(gz.joined().size() == gz.size);
            CHECK(page == site.product_page(n));
            CHECK(gunzip(gz.joined()) == page);
            CHECK(page.starts_with("<!DOCTYPE html>"));
            CHECK(page.ends_with("</html>\n"));
            total += page.size();
            total_gz += gz.size;
        }
        if (size == 19000) {
            // About the requested size, and compressing like a real page: 3-5x.
            CHECK(total / 6 > 13000);
            CHECK(total / 6 < 26000);
            const double ratio = static_cast<double>(total) / static_cast<double>(total_gz);
            CHECK(ratio > 2.7);
            CHECK(ratio < 5.5);
        }
    }
}

TEST_CASE("serve pages: min_page_size is about the smallest page the site makes", "[serve]") {
    // Asked for less, every product page is the parts all pages carry: none reaches it.
    const pages::site smallest(0);
    const pages::site at_min(pages::min_page_size);
    std::size_t largest = 0, total = 0;
    for (std::uint64_t n = 1; n <= 1000; ++n) {
        largest = std::max(largest, smallest.product_page(n).size());
        total += at_min.product_page(n).size();
    }
    CHECK(largest < pages::min_page_size);
    // At the minimum, the mean is the size asked for, give or take 5%.
    CHECK(total / 1000 > pages::min_page_size * 95 / 100);
    CHECK(total / 1000 < pages::min_page_size * 105 / 100);
}

TEST_CASE("serve pages: a body can be refilled in place", "[serve]") {
    const pages::site site(19000);
    pages::body b;
    site.product(5, true, b);
    site.product(6, true, b);
    CHECK(gunzip(b.joined()) == site.product_page(6));
    site.product(5, false, b);
    CHECK(b.joined() == site.product_page(5));
}

TEST_CASE("serve pages: the built-in extractor finds the title and price", "[serve]") {
    const pages::site site(19000);
    const shoal::extractor& ex = shoal::extractor::builtin();
    for (std::uint64_t n = 1; n <= 300; ++n) {
        INFO("page " << n);
        const shoal::extraction e = ex.extract(site.product_page(n));
        REQUIRE(e.title);
        CHECK(*e.title == pages::product_title(n));
        REQUIRE(e.price);
        CHECK(e.price->amount == pages::product_price(n).amount);
        CHECK(e.price->currency == "USD");
    }
    // A listing's price is its first product's.
    const shoal::extraction e = ex.extract(site.listing_page(3));
    CHECK(e.title == std::optional<std::string>("Products, page 3"));
    REQUIRE(e.price);
    CHECK(e.price->amount == pages::product_price(41).amount);
}

TEST_CASE("serve pages: listing, index and fixed pages", "[serve]") {
    const pages::site site(19000);
    const std::string list = site.listing_page(2);
    for (std::uint64_t k = 21; k <= 40; ++k)
        CHECK(list.find("href=\"/p/" + std::to_string(k) + ".html\"") != std::string::npos);
    CHECK(list.find("href=\"/p/41.html\"") == std::string::npos);
    CHECK(gunzip(site.index_page(true)) == site.index_page(false));
    CHECK(gunzip(site.not_found_page(true)) == site.not_found_page(false));
    CHECK(gunzip(site.error_page(true)) == site.error_page(false));
    pages::gzip_encoder enc;
    CHECK(gunzip(enc.encode(list)) == list);
    CHECK(gunzip(enc.encode("")).empty());
}
