#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "shoal/literal_search.hpp"

using shoal::find_ascii_nocase;
constexpr auto npos = std::string_view::npos;

namespace {

// The obvious definition, to compare the fast search with.
std::size_t naive(std::string_view text, std::string_view lit) {
    auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lit.size() > text.size()) return npos;
    for (std::size_t i = 0; i + lit.size() <= text.size(); ++i) {
        std::size_t k = 0;
        while (k < lit.size() && fold(text[i + k]) == lit[k]) ++k;
        if (k == lit.size()) return i;
    }
    return npos;
}

}  // namespace

TEST_CASE("literal_search: finds literals in any ASCII case", "[literal_search]") {
    CHECK(find_ascii_nocase("<html><TITLE>x</TITLE>", "<title") == 6);
    CHECK(find_ascii_nocase("a ItemProp=\"price\"", "itemprop") == 2);
    CHECK(find_ascii_nocase("no such thing here", "price") == npos);
    CHECK(find_ascii_nocase("", "x") == npos);
    CHECK(find_ascii_nocase("abc", "") == 0);
    CHECK(find_ascii_nocase("ab", "abc") == npos);
    // The first occurrence, also when a later one is in lower case.
    std::string page(5000, ' ');
    page += "PRICE";
    page += std::string(100, ' ');
    page += "price";
    CHECK(find_ascii_nocase(page, "price") == 5000);
    // At the very end, past the last full 16-byte block.
    CHECK(find_ascii_nocase(std::string(37, '-') + "og:title", "og:title") == 37);
    // Near misses in every 64-byte step (first, second and last bytes right,
    // a middle one wrong), then the literal where a step starts and ends.
    std::string near;
    for (int i = 0; i < 40; ++i) near += "PRxcE prIcx xricE-";
    CHECK(find_ascii_nocase(near, "price") == npos);
    for (std::size_t at : {std::size_t{64}, std::size_t{128 - 5}, std::size_t{191}}) {
        std::string with = near;
        with.replace(at, 5, "PrIcE");
        CHECK(find_ascii_nocase(with, "price") == at);
    }
}

TEST_CASE("literal_search: bytes that are not letters match exactly", "[literal_search]") {
    // '|' is '\\' | 0x20 and '\x1c' | 0x20 is '<': folding must not make them equal.
    CHECK(find_ascii_nocase(std::string(40, '\\') + "\x1ctitle", "<title") == npos);
    CHECK(find_ascii_nocase("\"PRICE\"", "\"price\"") == 0);
    CHECK(find_ascii_nocase("price:amount", "price:amount") == 0);
    CHECK(find_ascii_nocase("price\x1a" "amount", "price:amount") == npos);
    // Non-ASCII bytes are never folded.
    CHECK(find_ascii_nocase("caf\xC3\x89 caf\xC3\xA9", "caf\xC3\xA9") == 6);
}

TEST_CASE("literal_search: agrees with a naive search on random text", "[literal_search]") {
    std::mt19937 rng(12345);
    const std::string alphabet = "aApPrRiIcCeE<>\"':_ \x1c\\|\xC3\xA9";
    const std::string literals[] = {"price", "<title", "\"price\"", "p", "pp", "price:amount",
                                    "e\xC3", "search_now_price", "aaaaaaaaaaaaaaaaaaaa"};
    // Up to 600 bytes: several 64-byte steps of the AVX2 scan, and the
    // 32-byte and byte-by-byte tails after them.
    for (int round = 0; round < 3000; ++round) {
        std::string text(rng() % 600, ' ');
        for (auto& c : text) c = alphabet[rng() % alphabet.size()];
        for (const auto& lit : literals) {
            INFO("text: " << text << " literal: " << lit);
            REQUIRE(find_ascii_nocase(text, lit) == naive(text, lit));
        }
    }
}

TEST_CASE("literal_search: every occurrence, in order, up to the room given", "[literal_search]") {
    std::size_t at[8];
    const std::string text = "x \"Price\" y PRICE:Amount price:amount search_now_price";
    const std::size_t n = shoal::find_every_nocase(text, "price", at);
    REQUIRE(n == 4);
    CHECK(at[0] == 3);
    CHECK(at[1] == 12);
    CHECK(at[2] == 25);
    CHECK(at[3] == 49);
    CHECK(shoal::matches_nocase_at(text, 2, "\"price\""));
    CHECK(shoal::matches_nocase_at(text, 12, "price:amount"));
    CHECK_FALSE(shoal::matches_nocase_at(text, 3, "price:amount"));
    CHECK_FALSE(shoal::matches_nocase_at(text, 49, "price!"));  // past the end
    CHECK_FALSE(shoal::matches_nocase_at(text, text.size() + 1, "p"));
    // Overlapping occurrences, and a full list stops there.
    CHECK(shoal::find_every_nocase("aaaa", "aa", at) == 3);
    CHECK(shoal::find_every_nocase(std::string(100, 'a'), "a", std::span(at, 5)) == 5);
    CHECK(at[4] == 4);
    CHECK(shoal::find_every_nocase("", "a", at) == 0);
    CHECK(shoal::find_every_nocase("abc", "", at) == 0);

    std::mt19937 rng(777);
    const std::string alphabet = "pPrRiIcCeE\"':_ amountAMOUNT";
    std::size_t all[400];
    for (int round = 0; round < 3000; ++round) {
        std::string page(rng() % 300, ' ');
        for (auto& c : page) c = alphabet[rng() % alphabet.size()];
        for (std::string_view lit : {"price", "p", "pp", "price:amount", "\"price\""}) {
            INFO("text: " << page << " literal: " << lit);
            std::vector<std::size_t> want;
            for (std::size_t from = 0;;) {
                std::size_t k = naive(std::string_view(page).substr(from), lit);
                if (k == npos) break;
                want.push_back(from + k);
                from += k + 1;
            }
            const std::size_t got = shoal::find_every_nocase(page, lit, all);
            REQUIRE(std::vector<std::size_t>(all, all + got) == want);
            for (std::size_t w : want) CHECK(shoal::matches_nocase_at(page, w, lit));
        }
    }
}

TEST_CASE("literal_search: find_lt_pair finds a '<' followed by one of a few pairs of bytes", "[literal_search]") {
    constexpr shoal::lt_pairs starts{"!-", "sc", "st", "te", "ti", "/t"};
    CHECK(shoal::find_lt_pair("<p>a</p><!-- c -->", starts) == 8);
    CHECK(shoal::find_lt_pair("<p><SCRIPT>", starts) == 3);
    CHECK(shoal::find_lt_pair("<span><Style>", starts) == 6);
    CHECK(shoal::find_lt_pair("<td><tr><th><table><sd><ss><!x><TITLE>", starts) == 31);
    CHECK(shoal::find_lt_pair("<td>a</TD>", starts) == 5);
    CHECK(shoal::find_lt_pair("<p>< sc <!", starts) == npos);
    CHECK(shoal::find_lt_pair("text <s", starts) == npos);  // one byte after the '<'
    CHECK(shoal::find_lt_pair("", starts) == npos);
    // Past the vector steps (64 and 32 bytes) and in the tail after them.
    for (std::size_t at : {0, 31, 32, 62, 63, 64, 95, 100, 126, 127, 128, 197}) {
        std::string page(200, 'x');
        page[at] = '<';
        page[at + 1] = at % 2 ? 'T' : '/';
        page[at + 2] = at % 2 ? 'I' : 't';
        INFO("at " << at);
        CHECK(shoal::find_lt_pair(page, starts) == at);
        CHECK(shoal::find_lt_pair(std::string_view(page).substr(0, at + 2), starts) == npos);
    }
    // Random text against a naive scan; bytes that fold like letters
    // ('\x01' | 0x20 is '!', '\r' | 0x20 is '-') are no letters.
    std::mt19937 rng(99);
    const std::string alphabet = "<<<!-sScCtTeEiI/xdD \x01\r\x0f";
    auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (int round = 0; round < 5000; ++round) {
        std::string page(rng() % 300, ' ');
        for (auto& c : page) c = alphabet[rng() % alphabet.size()];
        std::size_t want = npos;
        for (std::size_t i = 0; i + 2 < page.size() && want == npos; ++i) {
            const std::string pair{fold(page[i + 1]), fold(page[i + 2])};
            if (page[i] == '<' && (pair == "!-" || pair == "sc" || pair == "st" || pair == "te" || pair == "ti" ||
                                   pair == "/t"))
                want = i;
        }
        INFO("text: " << page);
        REQUIRE(shoal::find_lt_pair(page, starts) == want);
    }
}
