// Tests for url_table and entry_arena: entries come back as they went in,
// a repeated URL replaces its entry, and URLs whose hashes collide (all of
// them, or only in the index's low bits) are still told apart.
#include "shoal/url_table.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

shoal::diff_entry full_entry(std::uint64_t line, int status, const std::string& title) {
    shoal::diff_entry e;
    e.line = line;
    e.status = status;
    e.title = title;
    e.price = shoal::price{"1299.00", "EUR", "1.299,00 €"};
    e.error_stage = "body";
    e.error_code = "body_too_large";
    return e;
}

void check_same(const shoal::diff_entry& a, const shoal::diff_entry& b) {
    CHECK(a.line == b.line);
    CHECK(a.status == b.status);
    CHECK(a.title == b.title);
    REQUIRE(a.price.has_value() == b.price.has_value());
    if (a.price) {
        CHECK(a.price->amount == b.price->amount);
        CHECK(a.price->currency == b.price->currency);
        CHECK(a.price->raw == b.price->raw);
    }
    CHECK(a.error_stage == b.error_stage);
    CHECK(a.error_code == b.error_code);
}

std::uint64_t same_hash(std::string_view) {
    return 42;
}

// Collides in the index's low bits only: the stored high half tells URLs apart.
std::uint64_t low_bits_collide(std::string_view url) {
    return shoal::default_url_hash(url) & 0xFFFFFFFF00000000u;
}

std::string url_of(int i) {
    return "http://shop.test/p/" + std::to_string(i) + ".html";
}

}  // namespace

TEST_CASE("url_table: entries come back as they were put", "[url_table]") {
    shoal::entry_arena arena;
    const shoal::diff_entry empty;
    const auto full = full_entry(18446744073709551615u, 404, "Lamp, \"big\"\nand bright");
    shoal::diff_entry odd;
    odd.status = -7;                      // JSONL takes any integer
    odd.title = std::string(10000, 't');  // longer than a block's share: a block of its own
    odd.price = shoal::price{"5", "", ""};
    odd.error_code = "timeout";  // a code without a stage still counts as an error

    CHECK(arena.append("http://a/", empty) == 0);
    CHECK(arena.append("http://b/", full) == 1);
    CHECK(arena.append("", odd) == 2);
    REQUIRE(arena.size() == 3);
    CHECK(arena.url(0) == "http://a/");
    CHECK(arena.url(1) == "http://b/");
    CHECK(arena.url(2).empty());
    check_same(arena.entry(0), empty);
    check_same(arena.entry(1), full);
    check_same(arena.entry(2), odd);

    arena.replace(0, "http://a2/", full);
    CHECK(arena.url(0) == "http://a2/");
    check_same(arena.entry(0), full);
    check_same(arena.entry(1), full);

    // Enough entries for several blocks; the first ones do not move.
    const std::string_view first = arena.url(1);
    for (int i = 0; i < 20000; ++i) arena.append(url_of(i), full_entry(i, 200, url_of(i)));
    CHECK(first == "http://b/");
    CHECK(first.data() == arena.url(1).data());
    CHECK(arena.url(3 + 19999) == url_of(19999));
    CHECK(arena.entry(3 + 12345).title == url_of(12345));
}

TEST_CASE("url_table: a repeated URL replaces its entry", "[url_table]") {
    shoal::url_table table;
    CHECK(table.find("http://a/") == shoal::url_table::npos);
    CHECK(table.put("http://a/", full_entry(1, 200, "one")));
    CHECK(table.put("http://b/", full_entry(2, 200, "two")));
    CHECK_FALSE(table.put("http://a/", full_entry(3, 404, "three")));
    REQUIRE(table.size() == 2);
    CHECK(table.find("http://a/") == 0);  // numbered by the first put
    CHECK(table.at("http://a/").line == 3);
    CHECK(table.at("http://a/").title == "three");
    CHECK(table.url(1) == "http://b/");
    CHECK_THROWS_AS(table.at("http://c/"), std::out_of_range);
    CHECK_FALSE(table.contains("http://a"));
    CHECK_FALSE(table.contains(""));  // never put
}

TEST_CASE("url_table: URLs whose hashes collide are told apart", "[url_table]") {
    for (shoal::url_hash_fn hash : {&same_hash, &low_bits_collide, &shoal::default_url_hash}) {
        shoal::url_table table(hash);
        CHECK(table.hash() == hash);
        const int n = hash == &shoal::default_url_hash ? 50000 : 2000;  // one long probe run else
        for (int i = 0; i < n; ++i) CHECK(table.put(url_of(i), full_entry(i, 200, "t")));
        // Every third URL again: replaced, not added.
        for (int i = 0; i < n; i += 3)
            CHECK_FALSE(table.put(url_of(i), full_entry(i + n, 301, "r")));
        REQUIRE(table.size() == static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            const std::size_t at = table.find(url_of(i));
            REQUIRE(at == static_cast<std::size_t>(i));
            CHECK(table.url(at) == url_of(i));
            const auto e = table.entry(at);
            CHECK(e.line == static_cast<std::uint64_t>(i % 3 == 0 ? i + n : i));
            CHECK(e.status == (i % 3 == 0 ? 301 : 200));
        }
        CHECK(table.find(url_of(n)) == shoal::url_table::npos);
        CHECK(table.find("http://shop.test/p/1.htm") == shoal::url_table::npos);
    }
}

TEST_CASE("url_table: a moved table keeps its entries, the one moved from is empty",
          "[url_table]") {
    shoal::url_table from;
    from.put("http://a/", full_entry(1, 200, "one"));
    shoal::url_table to(std::move(from));
    CHECK(to.size() == 1);
    CHECK(to.at("http://a/").title == "one");
    // The moved-from table is empty, and writing to it leaves `to` alone.
    CHECK(from.size() == 0);  // NOLINT(bugprone-use-after-move)
    CHECK(from.put("http://b/", full_entry(2, 200, "two")));
    CHECK(from.at("http://b/").title == "two");
    CHECK(to.at("http://a/").title == "one");
    CHECK_FALSE(to.contains("http://b/"));
    to = std::move(from);
    CHECK(to.size() == 1);
    CHECK(to.at("http://b/").line == 2);
}
