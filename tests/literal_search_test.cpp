#include <catch2/catch.hpp>

#include <random>
#include <string>

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
    for (int round = 0; round < 3000; ++round) {
        std::string text(rng() % 200, ' ');
        for (auto& c : text) c = alphabet[rng() % alphabet.size()];
        for (const auto& lit : literals) {
            INFO("text: " << text << " literal: " << lit);
            REQUIRE(find_ascii_nocase(text, lit) == naive(text, lit));
        }
    }
}

TEST_CASE("literal_search: one pass over an anchor finds each literal's first occurrence",
          "[literal_search]") {
    const std::string_view literals[] = {"price:amount", "\"price\"", "search_now_price", "price",
                                         "pricecurrency", "\"pricecurrency\"", "priceprice"};
    std::size_t at[std::size(literals)];
    shoal::find_all_nocase("x \"Price\" y PRICE:Amount price:amount search_now_price", "price",
                           literals, at);
    CHECK(at[0] == 12);
    CHECK(at[1] == 2);
    CHECK(at[2] == 38);
    CHECK(at[3] == 3);
    CHECK(at[4] == npos);
    CHECK(at[5] == npos);
    CHECK(at[6] == npos);

    std::mt19937 rng(777);
    const std::string alphabet = "pPrRiIcCeE\"':_ amountAMOUNT";
    for (int round = 0; round < 3000; ++round) {
        std::string text(rng() % 300, ' ');
        for (auto& c : text) c = alphabet[rng() % alphabet.size()];
        shoal::find_all_nocase(text, "price", literals, at);
        for (std::size_t i = 0; i < std::size(literals); ++i) {
            INFO("text: " << text << " literal: " << literals[i]);
            REQUIRE(at[i] == naive(text, literals[i]));
        }
    }
}
