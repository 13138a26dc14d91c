// Tests for shoal::locale_currency (the currency a page's language or
// host suggests) and its use by the built-in price extraction.
#include "shoal/currency_locale.hpp"
#include "shoal/extractor.hpp"

#include <catch2/catch.hpp>
#include <string>

namespace {

std::string lang_page(const std::string& lang, const std::string& body) {
    return "<!DOCTYPE html>\n<html " + lang + ">\n<head><title>T</title></head><body>" + body + "</body></html>";
}

// The built-in price's amount and currency for html fetched from url.
std::string price_of(const std::string& html, const std::string& url = "https://shop.example/p/1") {
    const auto e = shoal::extractor::builtin().extract(html, "", url);
    return e.price ? e.price->amount + " " + e.price->currency : std::string("none");
}

}  // namespace

TEST_CASE("currency_locale: the lang region, else the language, else the host's country domain",
          "[currency_locale]") {
    using shoal::locale_currency;
    CHECK(locale_currency(lang_page("lang=\"da\"", ""), "") == "DKK");
    CHECK(locale_currency(lang_page("lang=\"nb-NO\"", ""), "") == "NOK");
    CHECK(locale_currency(lang_page("class=x lang='en-AU'", ""), "") == "AUD");
    CHECK(locale_currency(lang_page("LANG=es_MX", ""), "") == "MXN");
    CHECK(locale_currency(lang_page("lang=\"zh-Hant-TW\"", ""), "") == "TWD");
    CHECK(locale_currency(lang_page("lang=\"zh-CN\"", ""), "") == "CNY");
    CHECK(locale_currency(lang_page("lang=\"zh-Hant\"", ""), "").empty());
    CHECK(locale_currency(lang_page("lang=\"is\"", ""), "") == "ISK");
    // No lang that suggests one: the host's top-level domain.
    CHECK(locale_currency(lang_page("lang=\"en\"", ""), "https://www.shop.com.au/p/1") == "AUD");
    CHECK(locale_currency(lang_page("", ""), "http://butik.dk:8080/x?y=z") == "DKK");
    CHECK(locale_currency(lang_page("lang=\"de\"", ""), "https://shop.de/").empty());
    CHECK(locale_currency(lang_page("lang=\"en\"", ""), "https://127.0.0.1/").empty());
    // Country domains taken for their look say nothing (".co" for "company").
    CHECK(locale_currency(lang_page("lang=\"en\"", ""), "https://shop.example.co/p").empty());
    CHECK(locale_currency(lang_page("", ""), "https://ice.is/").empty());
    CHECK(locale_currency(lang_page("lang=\"is\"", ""), "https://ice.is/") == "ISK");
    // Not another attribute's lang, nor one after the <html> tag.
    CHECK(locale_currency(lang_page("data-lang=\"da\" xml:lang=\"sv\"", ""), "").empty());
    CHECK(locale_currency("<html><body><p lang=\"da\">x</p>", "").empty());
}

TEST_CASE("currency_locale: a shared symbol's currency follows the locale, a declared or bare one does not",
          "[currency_locale]") {
    CHECK(price_of(lang_page("lang=\"da\"", "<h1>P</h1><span class=\"price\">199,00 kr.</span>")) == "199.00 DKK");
    CHECK(price_of(lang_page("lang=\"nb\"", "<h1>P</h1><span class=\"price\">kr 199,-</span>")) == "199 NOK");
    CHECK(price_of(lang_page("lang=\"zh-CN\"", "<h1>P</h1><span class=\"price\">\uffe53999.00</span>")) ==
          "3999.00 CNY");
    CHECK(price_of(lang_page("lang=\"en\"", "<h1>P</h1><span class=\"price\">$129.95</span>"),
                   "https://shop.com.au/p/1") == "129.95 AUD");
    // Without a locale: the symbol's usual currency.
    CHECK(price_of(lang_page("lang=\"en\"", "<h1>P</h1><span class=\"price\">199,00 kr.</span>")) == "199.00 SEK");
    // A symbol of one currency stays it: no locale turns EUR into DKK.
    CHECK(price_of(lang_page("lang=\"da\"", "<h1>P</h1><span class=\"price\">19,99 \u20ac</span>")) == "19.99 EUR");
    // A price that names no currency gets none from the locale.
    CHECK(price_of(lang_page("lang=\"da\"", "<h1>P</h1><span class=\"price\">199,00</span>")) == "199.00 ");
    // Nor is it read otherwise: a meta's "1.299" stays 1.299, as without the locale.
    CHECK(price_of(lang_page("lang=\"da\"", "<meta itemprop=\"price\" content=\"1.299\">")) == "1.299 ");
    // A declared currency wins, on the page or in the price's JSON-LD object.
    CHECK(price_of(lang_page("lang=\"en-AU\"", "<meta property=\"product:price:currency\" content=\"USD\"><h1>P</h1>"
                                               "<span class=\"price\">$10.00</span>")) == "10.00 USD");
    CHECK(price_of(lang_page("lang=\"en-AU\"", "<script type=\"application/ld+json\">{\"offers\":{\"price\":\"$10.00\","
                                               "\"priceCurrency\":\"USD\"}}</script>")) == "10.00 USD");
}
