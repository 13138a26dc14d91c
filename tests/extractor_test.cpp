// Tests for the built-in extraction rules on small pages written in each
// markup style of the benchmark site (/work/shared/bench/make_site.py), plus
// title variants and pages without a title or a price.
#include "shoal/extractor.hpp"

#include <catch2/catch.hpp>
#include <chrono>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "shoal/charset.hpp"

namespace {

using shoal::extraction;

extraction run(const std::string& html) {
    return shoal::extractor::builtin().extract(html);
}

// A product page shaped like the benchmark's: head with title and metas,
// optional head extras, a price block, then related products whose prices
// come after the main one.
std::string product_page(const std::string& head_extra, const std::string& price_block,
                         const std::string& title_tag = "<title>Acme Pro Blender | ShopMart</title>") {
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" + title_tag +
           "\n<meta name=\"description\" content=\"Quality design, durable build.\">\n"
           "<meta property=\"og:type\" content=\"product\">\n"
           "<meta property=\"og:title\" content=\"Acme Pro Blender\">\n" +
           head_extra +
           "<link rel=\"canonical\" href=\"/p/1.html\">\n</head>\n<body class=\"product-page\">\n"
           "<div class=\"mini-cart\"><a href=\"/cart\">Cart (<span class=\"cart-count\">0</span>)</a></div>\n"
           "<main id=\"main\"><div class=\"product\">\n<h1 class=\"product-title\">Acme Pro Blender</h1>\n"
           "<div class=\"rating\" title=\"4.5 out of 5 stars\">321 ratings</div>\n" +
           price_block +
           "</div>\n<section class=\"related\"><h2>Customers also bought</h2>\n"
           "<div class=\"rel-item\"><a href=\"/p/7.html\">Globex Drone</a><span class=\"price\">$17.49</span></div>\n"
           "<div class=\"rel-item\"><a href=\"/p/9.html\">Stark Tent</a><span class=\"price\">$243.00</span></div>\n"
           "</section></main>\n<footer><p class=\"copy\">&copy; 2024 ShopMart.</p></footer>\n</body>\n</html>\n";
}

void check_price(const extraction& e, const std::string& amount, const std::string& currency) {
    REQUIRE(e.price.has_value());
    CHECK(e.price->amount == amount);
    CHECK(e.price->currency == currency);
}

void check_title(const extraction& e, const std::string& title) {
    REQUIRE(e.title);
    CHECK(*e.title == title);
}

}  // namespace

TEST_CASE("extractor: span.price in dollars, price-was after", "[extractor]") {
    auto e = run(product_page("",
        "<div class=\"price-box\"><span class=\"price\">$1,299.00</span> "
        "<s class=\"price-was\">$1,499.00</s></div>\n"));
    check_price(e, "1299.00", "USD");
    CHECK(e.price->raw == "$1,299.00");
    check_title(e, "Acme Pro Blender | ShopMart");
}

TEST_CASE("extractor: span.price in dollars, price-was before", "[extractor]") {
    auto e = run(product_page("",
        "<div class=\"price-box\"><span class=\"price-was\">List: $1,499.00</span>\n"
        "<span class=\"price\">$1,299.00</span></div>\n"));
    check_price(e, "1299.00", "USD");
}

TEST_CASE("extractor: product:price:amount meta", "[extractor]") {
    auto e = run(product_page(
        "<meta property=\"product:price:amount\" content=\"1299.00\">\n"
        "<meta property=\"product:price:currency\" content=\"USD\">\n",
        "<div class=\"price-box\"><span class=\"amount\">$1,299.00</span> "
        "<s class=\"price-was\">$1,499.00</s></div>\n"));
    check_price(e, "1299.00", "USD");
}

TEST_CASE("extractor: product:price:amount meta, attributes reversed, single quotes", "[extractor]") {
    auto e = run(product_page(
        "<meta content='849.99' property='product:price:amount' />\n"
        "<meta content='USD' property='product:price:currency' />\n",
        "<div class=\"price-box\"><span class=\"amount\">$849.99</span> "
        "<s class=\"price-was\">$999.00</s></div>\n"));
    check_price(e, "849.99", "USD");

    // The declared currency wins over the symbol shown on the page.
    auto eur = run(product_page(
        "<meta content='19.90' property='og:price:amount' />\n"
        "<meta content='eur' property='og:price:currency' />\n",
        "<span class=\"amount\">$19.90</span>\n"));
    check_price(eur, "19.90", "EUR");
}

TEST_CASE("extractor: itemprop=price with content", "[extractor]") {
    auto e = run(product_page("",
        "<div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\n"
        "<meta itemprop=\"priceCurrency\" content=\"USD\">\n"
        "<span itemprop=\"price\" content=\"1299.00\">$1,299.00</span>\n"
        "<link itemprop=\"availability\" href=\"https://schema.org/InStock\">In stock</div>\n"));
    check_price(e, "1299.00", "USD");
}

TEST_CASE("extractor: itemprop=price text only with priceCurrency", "[extractor]") {
    auto e = run(product_page("",
        "<div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">\n"
        "<span class=\"currency\" itemprop=\"priceCurrency\" content=\"USD\">$</span>"
        "<span itemprop=\"price\">1299.00</span></div>\n"));
    check_price(e, "1299.00", "USD");
}

TEST_CASE("extractor: JSON-LD offers with price as a string", "[extractor]") {
    const std::string ld =
        "<script type=\"application/ld+json\">{\"@context\": \"https://schema.org\", "
        "\"@type\": \"Product\", \"name\": \"Acme Pro Blender\", \"sku\": \"SKU0000001\", "
        "\"brand\": {\"@type\": \"Brand\", \"name\": \"Acme\"}, \"offers\": {\"@type\": \"Offer\", "
        "\"priceCurrency\": \"EUR\", \"availability\": \"https://schema.org/InStock\", "
        "\"url\": \"/p/1.html\", \"price\": \"1299.00\"}, \"aggregateRating\": "
        "{\"@type\": \"AggregateRating\", \"ratingValue\": 4.3, \"reviewCount\": 120}}</script>\n";
    auto e = run(product_page(ld,
        "<div class=\"pdp-price\"><span class=\"amount\">1.299,00&nbsp;&euro;</span> "
        "<span class=\"vat\">inkl. MwSt.</span></div>\n"));
    check_price(e, "1299.00", "EUR");
}

TEST_CASE("extractor: JSON-LD offers with price as a number", "[extractor]") {
    auto ld = [](const std::string& price) {
        return "<script type=\"application/ld+json\">{\"@context\": \"https://schema.org\", "
               "\"@type\": \"Product\", \"name\": \"Acme\", \"offers\": {\"@type\": \"Offer\", "
               "\"priceCurrency\": \"EUR\", \"url\": \"/p/1.html\", \"price\": " + price +
               "}, \"aggregateRating\": {\"ratingValue\": 4.3}}</script>\n";
    };
    const std::string visible = "<div class=\"pdp-price\"><span class=\"amount\">12,50&nbsp;&euro;</span></div>\n";
    check_price(run(product_page(ld("12.5"), visible)), "12.5", "EUR");
    check_price(run(product_page(ld("1299"), visible)), "1299", "EUR");
    check_price(run(product_page(ld("1299.99"), visible)), "1299.99", "EUR");
}

TEST_CASE("extractor: EU formatted span.price with nbsp and euro entities", "[extractor]") {
    auto e = run(product_page("",
        "<div class=\"price-box\"><span class=\"price\">1.299,00&nbsp;&euro;</span> "
        "<span class=\"price-was\">1.499,00&nbsp;&euro;</span></div>\n"));
    check_price(e, "1299.00", "EUR");
    CHECK(e.price->raw == "1.299,00 \u20ac");
}

TEST_CASE("extractor: GBK-listing style search_now_price (as UTF-8)", "[extractor]") {
    const std::string page =
        "<html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n"
        "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=GBK\" />\n"
        "<title>Python - \u7b2c3\u9875 - \u5f53\u5f53\u7f51</title>\n</head>\n<body>\n"
        "<ul class=\"bigimg\">\n"
        "<li ddt-pit=\"1\" class=\"line1\"><p class=\"name\" name=\"title\"><a title=\" Python\u7f16\u7a0b\">"
        "Python\u7f16\u7a0b</a></p>"
        "<p class=\"price\"><span class=\"search_now_price\">&yen;59.00</span>"
        "<a class=\"search_discount\" style=\"text-decoration:none;\">\u5b9a\u4ef7\uff1a</a>"
        "<span class=\"search_pre_price\">&yen;89.00</span>"
        "<span class=\"search_discount\">&nbsp;(6.63\u6298) </span></p></li>\n"
        "<li ddt-pit=\"2\" class=\"line2\"><p class=\"price\"><span class=\"search_now_price\">&yen;35.50</span>"
        "<span class=\"search_pre_price\">&yen;49.00</span></p></li>\n"
        "</ul>\n</body>\n</html>\n";
    auto e = run(page);
    REQUIRE(e.price.has_value());
    CHECK(e.price->amount == "59.00");  // the first item's price
    // No currency is declared: whatever parse_price makes of the bare yen sign.
    auto bare = shoal::parse_price("\u00a559.00");
    REQUIRE(bare.has_value());
    CHECK(e.price->currency == bare->currency);
    CHECK(e.price->currency == "JPY");
    check_title(e, "Python - \u7b2c3\u9875 - \u5f53\u5f53\u7f51");
}

TEST_CASE("extractor: currency hint for pages that name no currency", "[extractor]") {
    const std::string listing =
        "<head><title>Go\u8bed\u8a00 - \u5f53\u5f53\u7f51</title></head><body>"
        "<p class=\"price\"><span class=\"search_now_price\">&yen;59.00</span>"
        "<span class=\"search_pre_price\">&yen;89.00</span></p></body>";
    // A GB18030 page's "\u00a5" is yuan: the caller passes CNY.
    check_price(shoal::extractor::builtin().extract(listing, "CNY"), "59.00", "CNY");
    // A currency the page declares wins over the hint.
    const std::string declared = product_page(
        "<meta property=\"product:price:amount\" content=\"10.00\">\n"
        "<meta property=\"product:price:currency\" content=\"GBP\">\n",
        "<span class=\"amount\">10.00</span>\n");
    check_price(shoal::extractor::builtin().extract(declared, "CNY"), "10.00", "GBP");
    // A declared code that is not ISO 4217 declares nothing: the next one, else the hint.
    const std::string crypto = product_page(
        "<meta property=\"product:price:amount\" content=\"10.00\">\n"
        "<meta property=\"product:price:currency\" content=\"BTC\">\n",
        "<span class=\"amount\">10.00</span>\n");
    check_price(shoal::extractor::builtin().extract(crypto, "CNY"), "10.00", "CNY");
    check_price(shoal::extractor::builtin().extract(crypto), "10.00", "");
    const std::string second = product_page(
        "<meta property=\"product:price:amount\" content=\"10.00\">\n"
        "<meta property=\"product:price:currency\" content=\"US$\">\n"
        "<meta property=\"og:price:currency\" content=\"cad\">\n",
        "<span class=\"amount\">10.00</span>\n");
    check_price(shoal::extractor::builtin().extract(second, "CNY"), "10.00", "CAD");
    // A plain number with a hint takes the hint.
    check_price(shoal::extractor::builtin().extract("<span itemprop=\"price\">12.00</span>", "EUR"),
                "12.00", "EUR");
}

TEST_CASE("extractor: related-product prices after the main price do not win", "[extractor]") {
    // Cheaper and dearer related items, with and without structured data.
    auto span = run(product_page("", "<span class=\"price\">$59.99</span>\n"));
    check_price(span, "59.99", "USD");

    auto meta = run(product_page("<meta property=\"product:price:amount\" content=\"5.00\">\n",
                                 "<span class=\"amount\">$5.00</span>\n"));
    REQUIRE(meta.price);
    CHECK(meta.price->amount == "5.00");

    // No main price at all: the related items' prices are other products',
    // not this one's (a quote-only product, a price shown on request).
    CHECK_FALSE(run(product_page("", "<div class=\"buy\">Coming soon</div>\n")).price);
    CHECK_FALSE(run(product_page("", "<div class=\"buy\">Out of stock</div>\n")).price);
}

TEST_CASE("extractor: a visible price after the other products' area starts is not the product's", "[extractor]") {
    // OpenCart: the main price in a plain <h2>, the related cards' in class="price".
    CHECK_FALSE(run("<h1>Apple Cinema 30\"</h1><ul class=\"list-unstyled\"><li><h2>$98.00</h2></li></ul>"
                    "<h3>Related Products</h3><div class=\"product-thumb\"><div class=\"caption\"><h4><a href=\"#\">"
                    "iPhone</a></h4><p class=\"price\"> $123.20 </p></div></div>")
                    .price);
    // WooCommerce, a product without a price: an empty price element, then related products.
    CHECK_FALSE(run("<h1 class=\"product_title entry-title\">Corner Sofa</h1><p class=\"price\"></p><section "
                    "class=\"related products\"><h2>Related products</h2><span class=\"price\">$18.00</span></section>")
                    .price);
    // Up-sells and cross-sells by id or class; a structured price is still read.
    CHECK_FALSE(run("<h1>X</h1><div id=\"upsell-products\"><span class=\"price\">$5.00</span></div>").price);
    check_price(run("<h1>X</h1><div class=\"block crosssell\"><span class=\"price\">$5.00</span></div>"
                    "<script type=\"application/ld+json\">{\"offers\":{\"price\":\"7.00\",\"priceCurrency\":\"USD\"}}"
                    "</script>"),
                "7.00", "USD");
    // The main price before that area is the product's.
    check_price(run("<h1>X</h1><span class=\"price\">$9.00</span><section class=\"related\"><span class=\"price\">"
                    "$5.00</span></section>"),
                "9.00", "USD");
    // Not a mark: a word in a link, a longer word, a comment, before the <h1>, a page without one.
    for (const char* before : {"<a href=\"/related\">More</a>", "<div class=\"unrelated\">u</div>",
                               "<!-- <div class=\"related\"> -->", "<p data-related=\"1\">p</p>",
                               "<p>Read the related products guide.</p>"}) {
        INFO(before);
        check_price(run(std::string("<h1>X</h1>") + before + "<span class=\"price\">$9.00</span>"), "9.00", "USD");
    }
    check_price(run("<nav class=\"related\">n</nav><h1>X</h1><span class=\"price\">$9.00</span>"), "9.00", "USD");
    CHECK_FALSE(run("<h1>X</h1><p>Auf Anfrage</p><h3>\u00c4hnliche Produkte</h3><div class=\"price\">9,99 \u20ac</div>")
                    .price);
    check_price(run("<div class=\"related\">n</div><span class=\"price\">$9.00</span>"), "9.00", "USD");
}

TEST_CASE("extractor: a rule's literal first seen outside a match still finds the match later",
          "[extractor]") {
    // "price" first in text, then in an attribute that is not a class, then
    // as the class of the element that holds the price.
    auto later = run("<h2>Price history</h2><a data-price=\"x\">see</a><p>" + std::string(6000, 'x') +
                     "</p><span class=\"big price\">$12.50</span>");
    check_price(later, "12.50", "USD");
    // Attributes before the literal, inside the same tag.
    auto og = run("<meta data-a=\"1\" data-b=\"2\"\n  property=\"og:title\" content=\"Long Tag\">");
    check_title(og, "Long Tag");
    // A '>' inside a quoted value before the literal: rules that allow it
    // still see the whole tag.
    auto quoted = run("<meta content=\"Less > More\" property=\"og:title\">");
    check_title(quoted, "Less > More");
}

TEST_CASE("extractor: each occurrence of a rule's literal is tried in turn, the leftmost match wins",
          "[extractor]") {
    // "price" in quotes as a class before the JSON-LD "price" key: the JSON
    // rule (which outranks the class rule) skips the attribute and finds the key.
    auto json = run("<span class=\"price\">$3.00</span><p>" + std::string(3000, 'x') +
                    "</p><script type=\"application/ld+json\">{\"offers\": {\"price\": \"44.10\","
                    " \"priceCurrency\": \"EUR\"}}</script>");
    check_price(json, "44.10", "EUR");
    // Several occurrences in one tag, and in a long run of CSS without a '>'.
    auto css = run("<style>.price{color:red} .price-was{x:1} .price b{y:2}</style>"
                   "<div data-price=\"1\" title=\"price\" class=\"box\">no</div>"
                   "<SPAN CLASS=\"Sale PRICE now\">EUR 8,50</SPAN><span class=\"price\">$1.00</span>");
    check_price(css, "8.50", "EUR");
    // More occurrences without a match than are tried one by one (the
    // search then goes on from there in one pass): still the first match.
    std::string many;
    for (int i = 0; i < 100; ++i) many += "<p title=\"price " + std::to_string(i) + "\">price</p>\n";
    auto far = run(many + "<b class=\"price\">$7.25</b><i class=\"price\">$9.99</i>");
    check_price(far, "7.25", "USD");
    auto first_of_many = run("<p>price</p><b class=\"price\">$6.00</b>" + many + "<i class=\"price\">$9.99</i>");
    check_price(first_of_many, "6.00", "USD");
    // Whitespace between the literal and what follows it still matches.
    auto spaced = run("<b class=\"x\">\"price\"</b><script type=\"application/ld+json\">{\"price\"\n\t : 12.50}</script>");
    check_price(spaced, "12.50", "");
    auto class_spaced = run("<style>.price{}</style><span class='price\tbig'>$2.00</span>");
    check_price(class_spaced, "2.00", "USD");
    // No match anywhere after many occurrences.
    auto none = run(many);
    CHECK_FALSE(none.price);
    // More occurrences of "price" than are listed in the one pass: the
    // literals past the list are searched for after it.
    std::string crowd;
    for (int i = 0; i < 400; ++i) crowd += "<i>price</i>";
    auto past_list = run(crowd + "<meta property=\"product:price:amount\" content=\"3.10\">"
                                 "<b class=\"price\">$9.99</b>");
    check_price(past_list, "3.10", "");  // no currency on the page
    auto json_past_list = run(crowd + "<script type=\"application/ld+json\">{\"price\": \"4.20\"}</script>");
    check_price(json_past_list, "4.20", "");
}

TEST_CASE("extractor: title variants", "[extractor]") {
    auto title_of = [](const std::string& title_tag) {
        auto e = run(product_page("", "<span class=\"price\">$1.00</span>", title_tag));
        REQUIRE(e.title.has_value());
        return *e.title;
    };
    CHECK(title_of("<TITLE>Acme Blender - ShopMart</TITLE>") == "Acme Blender - ShopMart");
    CHECK(title_of("<title data-rh=\"true\">Acme Blender :: ShopMart</title>") == "Acme Blender :: ShopMart");
    CHECK(title_of("<title>\n      Acme   Blender\n  \u2013 ShopMart\n    </title>") == "Acme Blender \u2013 ShopMart");
    CHECK(title_of("<title>O&#39;Reilly 27&quot; Monitor | Ben &amp; Jerry&#39;s</title>") ==
          "O'Reilly 27\" Monitor | Ben & Jerry's");
    CHECK(title_of("<title>AT&amp;T Router &lt;X200&gt;</title>") == "AT&T Router <X200>");
    CHECK(title_of("<Title Lang='en'>Mixed Case</tItLe>") == "Mixed Case");
}

TEST_CASE("extractor: og:title when there is no title", "[extractor]") {
    auto e = run("<html><head><meta property=\"og:title\" content=\"Ben &amp; Jerry&#39;s Tub\">"
                 "</head><body><span class=\"price\">$4.99</span></body></html>");
    check_title(e, "Ben & Jerry's Tub");
    check_price(e, "4.99", "USD");

    auto rev = run("<head><meta content='Reversed  Title' property='og:title' /></head>");
    check_title(rev, "Reversed Title");
    // With name= in place of property=, as many pages write it.
    check_title(run("<head><meta name=\"og:title\" content=\"Named Title\"></head>"), "Named Title");
    check_title(run("<head><meta content=\"Named Reversed\" name=\"og:title\"></head>"), "Named Reversed");

    // An empty <title> falls back to og:title too.
    auto empty = run("<head><title>  </title><meta property=\"og:title\" content=\"From OG\"></head>");
    check_title(empty, "From OG");
}

TEST_CASE("extractor: no price and no title give nullopt", "[extractor]") {
    auto nothing = run("<html><body><p>Hello, world. Call for price.</p></body></html>");
    CHECK_FALSE(nothing.title.has_value());
    CHECK_FALSE(nothing.price.has_value());

    auto title_only = run("<html><head><title>Just a page</title></head><body>No offers today.</body></html>");
    check_title(title_only, "Just a page");
    CHECK_FALSE(title_only.price.has_value());

    auto empty = run("");
    CHECK_FALSE(empty.title.has_value());
    CHECK_FALSE(empty.price.has_value());
    CHECK(empty.fields.empty());

    // A price element without a number is no price.
    auto free_item = run("<span class=\"price\">Free</span>");
    CHECK_FALSE(free_item.price.has_value());
}

TEST_CASE("extractor: data/rules/default.toml gives the built-in results", "[extractor]") {
    auto from_file = shoal::extractor::from_file(SHOAL_SOURCE_DIR "/data/rules/default.toml");
    CHECK(from_file->field_names().empty());
    const shoal::extractor& builtin = shoal::extractor::builtin();
    std::vector<std::string> pages = {
        product_page("", "<div class=\"price-box\"><span class=\"price\">$1,299.00</span></div>\n"),
        product_page("<meta content='849.99' property='product:price:amount' />\n"
                     "<meta content='CAD' property='product:price:currency' />\n",
                     "<span class=\"amount\">$849.99</span>\n"),
        product_page("", "<span itemprop=\"price\" content=\"19.99\">19,99 €</span>"
                         "<meta itemprop=\"priceCurrency\" content=\"EUR\">\n",
                     "<title>  Caf&eacute; &amp;\n Bar </title>"),
        product_page("<script type=\"application/ld+json\">{\"price\": \"1299.5\", \"priceCurrency\": \"GBP\"}</script>\n",
                     "", "<meta property=\"og:title\" content=\"Only OG\">"),
        product_page("<script type=\"application/ld+json\">{\"price\": \"19,99 \u20ac\", \"priceCurrency\": \"USD\"}"
                     "</script>\n", ""),
        product_page("<meta property=\"product:price:amount\" content=\"29.99\">\n"
                     "<meta property=\"product:sale_price:amount\" content=\"19.99\">\n", ""),
        product_page("<meta property=\"og:price:amount\" content=\"1'234.50\">\n", ""),
        product_page("", "<div class=price>\u00a339.00</div>\n"),
        "<p>no title, no price</p>",
    };
    for (const auto& entry : std::filesystem::recursive_directory_iterator(SHOAL_SOURCE_DIR "/data/example-site")) {
        if (entry.path().extension() != ".html") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        pages.push_back(bytes.str());
    }
    REQUIRE(pages.size() > 20);
    for (const std::string& body : pages) {
        const std::string charset = shoal::detect_charset(body, "");
        const std::string text = shoal::to_utf8(body, charset);
        const auto hint = shoal::charset_currency_hint(charset);
        auto want = builtin.extract(text, hint);
        auto got = from_file->extract(text, hint, "http://127.0.0.1:18080/p/1.html");
        INFO(text.substr(0, 300));
        CHECK(got.title == want.title);
        REQUIRE(got.price.has_value() == want.price.has_value());
        if (want.price) {
            CHECK(got.price->amount == want.price->amount);
            CHECK(got.price->currency == want.price->currency);
            CHECK(got.price->raw == want.price->raw);
        }
        CHECK(got.fields.empty());
    }
}

TEST_CASE("extractor: structured prices read '.' as the decimal point", "[extractor]") {
    // Three decimals (KWD, BHD, OMR) in a meta, in microdata and in JSON-LD.
    auto meta = run("<meta property=\"product:price:amount\" content=\"12.500\">"
                    "<meta property=\"product:price:currency\" content=\"KWD\">");
    check_price(meta, "12.500", "KWD");
    auto og_reversed = run("<meta content=\"1.299\" property=\"og:price:amount\">");
    check_price(og_reversed, "1.299", "");
    auto microdata = run("<span itemprop=\"price\" content=\"12.500\">12.500 KWD</span>"
                         "<meta itemprop=\"priceCurrency\" content=\"KWD\">");
    check_price(microdata, "12.500", "KWD");
    auto ld_string = run("<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":"
                         "{\"@type\":\"Offer\",\"price\":\"12.500\",\"priceCurrency\":\"KWD\"}}</script>");
    check_price(ld_string, "12.500", "KWD");
    auto ld_number = run("<script type=\"application/ld+json\">{\"offers\":{\"price\":1.299,"
                         "\"priceCurrency\":\"USD\"}}</script>");
    check_price(ld_number, "1.299", "USD");
    CHECK(ld_number.price->raw == "1.299");
    // Shown to people, "1.299" keeps the locale rules, where a three-decimal
    // currency named next to it makes "12.500" 12.500.
    check_price(run("<span class=\"price\">1.299 \u20ac</span>"), "1299", "EUR");
    check_price(run("<span class=\"price\">KWD 12.500</span>"), "12.500", "KWD");
    check_price(run("<span itemprop=\"price\">1.299</span>"), "1299", "");
}

TEST_CASE("extractor: the JSON price is read only inside JSON-LD", "[extractor]") {
    // An analytics dataLayer before the Product offer.
    auto data_layer = run(
        "<script>window.dataLayer=[{\"ecommerce\":{\"items\":[{\"price\":\"5.00\"}]}}];</script>"
        "<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"@type\":\"Offer\","
        "\"price\":\"99.00\",\"priceCurrency\":\"USD\"}}</script>");
    check_price(data_layer, "99.00", "USD");
    // Product JSON in cents in a plain script does not outrank the visible price.
    auto cents = run("<script>var product = {\"price\": 4999, \"currency\":\"USD\"};</script>"
                     "<span class=\"price\">$49.99</span>");
    check_price(cents, "49.99", "USD");
    // A second JSON-LD block holds the offer; raw has no JSON comma.
    auto second = run("<script type='application/ld+json'>{\"@type\":\"BreadcrumbList\"}</script>"
                      "<script>var x = {\"price\": 1};</script>"
                      "<script type='application/ld+json'>{\"offers\":{\"price\": 1299.5, "
                      "\"priceCurrency\": \"GBP\"}}</script>");
    check_price(second, "1299.5", "GBP");
    CHECK(second.price->raw == "1299.5");
}

TEST_CASE("extractor: priceCurrency counts only in JSON-LD and microdata", "[extractor]") {
    // The schema.org key in the page's text (a how-to page) or in an
    // analytics script declares nothing.
    auto text = run("<p>Add <code>\"priceCurrency\": \"EUR\"</code> to the offer.</p>"
                    "<span class=\"price\">12.50</span>");
    check_price(text, "12.50", "");
    auto analytics = run("<script>gtag('event', 'view_item', {\"priceCurrency\": \"EUR\"});</script>"
                         "<span class=\"price\">12.50</span>");
    check_price(analytics, "12.50", "");
    auto commented = run("<!-- <script type=\"application/ld+json\">{\"priceCurrency\": \"EUR\"}</script> -->"
                         "<span class=\"price\">12.50</span>");
    check_price(commented, "12.50", "");
    // A bare word is no declaration either.
    check_price(run("<p>priceCurrency EUR</p><span class=\"price\">12.50</span>"), "12.50", "");
    // In JSON-LD and in microdata it is the page's currency.
    auto ld = run("<script>var c = {\"priceCurrency\": \"EUR\"};</script>"
                  "<script type=\"application/ld+json\">{\"@type\":\"Product\",\"name\":\"x\","
                  "\"offers\":{\"priceCurrency\": \"GBP\"}}</script><span class=\"price\">12.50</span>");
    check_price(ld, "12.50", "GBP");
    auto microdata = run("<meta itemprop=\"priceCurrency\" content=\"CHF\"><span class=\"price\">12.50</span>");
    check_price(microdata, "12.50", "CHF");
    // Spaces around the code, as some templates write it.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"priceCurrency\": \" GBP \"}}</script>"
                    "<span class=\"price\">12.50</span>"),
                "12.50", "GBP");
    check_price(run("<meta itemprop=\"priceCurrency\" content=\" CHF\"><span class=\"price\">12.50</span>"), "12.50",
                "CHF");
    check_price(run("<meta property=\"og:price:currency\" content=\"SEK \"><span class=\"price\">12.50</span>"),
                "12.50", "SEK");
}

TEST_CASE("extractor: cents raised in sup after a visible price", "[extractor]") {
    auto plain = run("<span class=\"price\">$19<sup>99</sup></span>");
    check_price(plain, "19.99", "USD");
    auto with_point = run("<span class=\"price\" data-price=\"49.99\">$49<sup>.99</sup></span>");
    check_price(with_point, "49.99", "USD");
    auto microdata = run("<span itemprop=\"price\">19<sup>99</sup></span>"
                         "<meta itemprop=\"priceCurrency\" content=\"USD\">");
    check_price(microdata, "19.99", "USD");
    auto euro = run("<span class=\"price\">19,<sup class=\"cents\">99</sup> \u20ac</span>");
    check_price(euro, "19.99", "EUR");
    auto thousands = run("<span class=\"price\">$1,299<sup>00</sup></span>");
    check_price(thousands, "1299.00", "USD");
    // A <sup> that holds no cents is not read.
    check_price(run("<span class=\"price\">$19<sup>*</sup></span>"), "19", "USD");
    check_price(run("<span class=\"price\">$19.99<sup>12</sup></span>"), "19.99", "USD");
}

TEST_CASE("extractor: a price element whose number sits in a child element", "[extractor]") {
    // The currency in a span of its own, then the number (Shopify, WooCommerce without a sale).
    check_price(run("<span class=\"price\"><span class=\"currency\">$</span>19.99</span>"), "19.99", "USD");
    check_price(run("<p class=\"price\"><span class=\"woocommerce-Price-amount amount\"><bdi>"
                    "<span class=\"woocommerce-Price-currencySymbol\">&#36;</span>24.50</bdi></span></p>"),
                "24.50", "USD");
    // Whitespace or a label before the child.
    check_price(run("<div class=\"price\">\n  <span>1.299,00</span> <span>\u20ac</span>\n</div>"), "1299.00", "EUR");
    check_price(run("<div class=\"price\">Price: <b>\u00a339.00</b></div>"), "39.00", "GBP");
    // The main price, not a related product's after it (the page the benchmark's shape).
    check_price(run(product_page("", "<div class=\"price\"><span class=\"sym\">$</span>1,299.00</div>\n")),
                "1299.00", "USD");
    // A struck one of these still gives way to the current price.
    check_price(run("<span class=\"price old-price\">\n <span>$</span>29.99</span>"
                    "<span class=\"price\"><span>$</span>19.99</span>"),
                "19.99", "USD");
    // An empty placeholder (filled by script) is passed over for the next price element.
    check_price(run("<span class=\"price\"></span><span class=\"price\">$5.00</span>"), "5.00", "USD");
}

TEST_CASE("extractor: a price element that holds no price gives way to the next one", "[extractor]") {
    // A label in an element of its own before the price.
    check_price(run("<span class=\"price\">Price:</span> <span class=\"price\">$19.99</span>"), "19.99", "USD");
    check_price(run(product_page("", "<div class=\"price-box\"><span class=\"price\">Price:</span>\n"
                                     "<span class=\"price\">$59.99</span></div>\n")),
                "59.99", "USD");
    check_price(run("<div class=\"price\">Call for price</div><span class=\"price\">5,00 \u20ac</span>"), "5.00",
                "EUR");
    // In a child element too.
    check_price(run("<p class=\"price\"><b>Our price</b></p><p class=\"price\"><b>\u00a339.00</b></p>"), "39.00",
                "GBP");
    // An old price without a number does not stand in for the price.
    check_price(run("<span class=\"price old-price\">Was:</span><span class=\"price old-price\">$12.00</span>"),
                "12.00", "USD");
    check_price(run("<span class=\"price old-price\">Was:</span><span class=\"price\">Now:</span>"
                    "<span class=\"price old-price\">$12.00</span><span class=\"price\">$9.00</span>"),
                "9.00", "USD");
    // A structured value that is no number gives way to the next one of its rule.
    check_price(run("<meta property=\"product:price:amount\" content=\"N/A\">"
                    "<meta property=\"product:price:amount\" content=\"12.50\">"),
                "12.50", "");
    // Still no price when no element holds one.
    CHECK_FALSE(run("<span class=\"price\">Price:</span><span class=\"price\">Free</span>").price);
    // Bounded: after 16 price elements without a number the rule gives up.
    std::string labels;
    for (int i = 0; i < 15; ++i) labels += "<span class=\"price\">Price:</span>\n";
    check_price(run(labels + "<span class=\"price\">$1.00</span>"), "1.00", "USD");
    labels += "<span class=\"price\">Price:</span>\n";
    CHECK_FALSE(run(labels + "<span class=\"price\">$1.00</span>").price);
}

TEST_CASE("extractor: a quoted structured value runs to its own closing quote", "[extractor]") {
    // Swiss shops write the apostrophe grouping into the meta as it is.
    check_price(run("<meta property=\"og:price:amount\" content=\"1'234.50\">"
                    "<meta property=\"og:price:currency\" content=\"CHF\">"),
                "1234.50", "CHF");
    check_price(run("<meta content=\"1'234.50\" property=\"product:price:amount\">"), "1234.50", "");
    check_price(run("<span itemprop=\"price\" content=\"2'499.00\">CHF 2'499.00</span>"), "2499.00", "");
    check_price(run("<span content=\"2'499.00\" itemprop=\"price\">CHF 2'499.00</span>"), "2499.00", "");
    check_price(run("<meta itemprop=\"lowPrice\" content=\"1'099.00\">"), "1099.00", "");
    // Single quotes hold a double quote as it is.
    check_price(run("<meta property='og:price:amount' content='12.50'>"), "12.50", "");
}

TEST_CASE("extractor: a price class with blanks around the class names", "[extractor]") {
    check_price(run("<span class=\"price \">$19.99</span>"), "19.99", "USD");
    check_price(run("<span class=\" price\">$19.99</span>"), "19.99", "USD");
    // Unquoted, as minifiers write it.
    check_price(run("<span class=price>$5.00</span>"), "5.00", "USD");
    check_price(run("<div class=price id=p1><span>\u20ac</span> 7,50</div>"), "7.50", "EUR");
    CHECK_FALSE(run("<span class=price-box>$5.00</span>").price);
    // Shopify's Dawn theme writes its classes over several lines.
    check_price(run("<div class=\"\n    price\n    price--large price--on-sale\">\n  <span>\u20ac39,00 EUR</span></div>"),
                "39.00", "EUR");
}

TEST_CASE("extractor: the current price wins over a struck or old one", "[extractor]") {
    auto struck = run("<s class=\"price old-price\">$29.99</s> <span class=\"price sale-price\">$19.99</span>");
    check_price(struck, "19.99", "USD");
    auto magento = run("<span class=\"old-price\"><span class=\"price\">$1,499.00</span></span>"
                       "<span class=\"special-price\"><span class=\"price\">$1,299.00</span></span>");
    check_price(magento, "1299.00", "USD");
    auto nested = run("<del>\n <span class=\"price\">$5.00</span></del><span class=\"price\">$4.00</span>");
    check_price(nested, "4.00", "USD");
    auto marked = run("<span class=\"price\" data-price-type=\"oldPrice\">$8.00</span>"
                      "<span class=\"price\">$6.00</span>");
    check_price(marked, "6.00", "USD");
    // <del>old</del> <ins>new</ins> inside the price element (WooCommerce).
    auto del_ins = run("<span class=\"price\"><del>$29.99</del> <ins>$19.99</ins></span>");
    check_price(del_ins, "19.99", "USD");
    auto woo = run(
        "<p class=\"price\"><del aria-hidden=\"true\"><span class=\"woocommerce-Price-amount amount\"><bdi>"
        "<span class=\"woocommerce-Price-currencySymbol\">&#36;</span>29.99</bdi></span></del> "
        "<ins><span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">"
        "&#36;</span>19.99</bdi></span></ins></p>");
    check_price(woo, "19.99", "USD");
    // An old price that is the only one is still the price.
    auto only_old = run("<span class=\"old-price\"><span class=\"price\">$12.00</span></span>");
    check_price(only_old, "12.00", "USD");
    // Magento 1 wraps the price in "regular-price" when there is no sale: no
    // old price, not one for the tier price after it.
    check_price(run("<div class=\"price-box\"><span class=\"regular-price\" id=\"product-price-421\"><span "
                    "class=\"price\">$210.00</span></span></div><ul class=\"tier-prices product-pricing\"><li "
                    "class=\"tier-price tier-0\">Buy 3 for <span class=\"price\">$199.00</span> each</li></ul>"),
                "210.00", "USD");
    auto only_del = run("<span class=\"price\"><del>$3.50</del></span>");
    check_price(only_del, "3.50", "USD");
    // BigCommerce: the MSRP and the price before a sale stand beside the price.
    check_price(run("<div class=\"price-section rrp-price--withoutTax\">MSRP: <span data-product-rrp-price-without-tax "
                    "class=\"price price--rrp\">$30.00</span></div>\n<div class=\"price-section\">Was: <span "
                    "class=\"price price--non-sale\">$27.00</span></div>\n<div class=\"price-section\"><span "
                    "data-product-price-without-tax class=\"price price--withoutTax\">$25.00</span></div>"),
                "25.00", "USD");
    // A mark is a word: "gold-price" and "bold-price" hold none, nor does an attribute's name.
    check_price(run("<h1>Ring</h1><span class=\"price gold-price\">$499.00</span>"
                    "<div class=\"related\"><span class=\"price\">$99.00</span></div>"),
                "499.00", "USD");
    check_price(run("<span class=\"price bold-price\">$19.99</span><span class=\"price\">$24.99</span>"), "19.99",
                "USD");
    check_price(run("<span class=\"price\" data-was-price=\"25.00\">$20.00</span><span class=\"price\">$9.00</span>"),
                "20.00", "USD");
    check_price(run("<span class=\"price product-old-price\">$25.00</span><span class=\"price\">$20.00</span>"),
                "20.00", "USD");
    // A word of a camelCase name too (xt:Commerce's productOldPrice).
    check_price(run("<h1>P</h1><span class=\"productOldPrice\"><span class=\"price\">30,00 EUR</span></span>"
                    "<span class=\"price\">25,00 EUR</span>"),
                "25.00", "EUR");
    // A closed old price before the current one does not mark it.
    auto after_old = run("<span class=\"price-was\">$9.00</span>\n<span class=\"price\">$7.00</span>");
    check_price(after_old, "7.00", "USD");
}

TEST_CASE("extractor: a price element is read as shown, struck prices and screen-reader text left out",
          "[extractor]") {
    // WooCommerce 8: the struck price, a screen-reader sentence naming it, then <ins>.
    const std::string woo8 =
        "<p class=\"price\"><del aria-hidden=\"true\"><span class=\"woocommerce-Price-amount amount\"><bdi>"
        "<span class=\"woocommerce-Price-currencySymbol\">&pound;</span>25.00</bdi></span></del> "
        "<span class=\"screen-reader-text\">Original price was: &pound;25.00.</span><ins aria-hidden=\"true\">"
        "<span class=\"woocommerce-Price-amount amount\"><bdi><span class=\"woocommerce-Price-currencySymbol\">"
        "&pound;</span>19.99</bdi></span></ins><span class=\"screen-reader-text\">Current price is: &pound;19.99."
        "</span></p>";
    check_price(run(woo8), "19.99", "GBP");
    // Not a related product's price after it, when the sale price is there.
    check_price(run(product_page("", woo8 + "\n")), "19.99", "GBP");
    check_price(run("<p class=\"price\"><del>&pound;25.00</del>&nbsp;<ins>&pound;19.99</ins></p>"), "19.99", "GBP");
    // Salesforce Commerce Cloud: the struck list price, then the sale price in a span.
    check_price(run("<div class=\"price\"><span><del><span class=\"strike-through list\"><span class=\"value\" "
                    "content=\"129.00\">$129.00</span></span></del><span class=\"sales\"><span class=\"value\" "
                    "content=\"89.00\">$89.00</span></span></span></div>"),
                "89.00", "USD");
    check_price(run("<span class=\"price\"><s>$129.00</s> $89.00</span>"), "89.00", "USD");
    check_price(run("<div class=\"price\"><span>MRP: <del>\u20b91,999</del></span> <span>\u20b91,499</span></div>"),
                "1499", "INR");
    // The struck price alone is still the price (an old one).
    check_price(run("<span class=\"price\"><s>$3.50</s></span>"), "3.50", "USD");
    // Cents in a <sup> with the currency in an element of its own, or in <sup> too.
    check_price(run("<span class=\"price\"><span>$</span>19<sup>99</sup></span>"), "19.99", "USD");
    check_price(run("<span class=\"price\"><sup>$</sup>19<sup>99</sup></span>"), "19.99", "USD");
    check_price(run("<span itemprop=\"price\"><span class=\"currency\">$</span>19<sup>99</sup></span>"), "19.99",
                "USD");
    // Cents in another child element.
    check_price(run("<span class=\"price\">$1,299<span class=\"cents\">.99</span></span>"), "1299.99", "USD");
    check_price(run("<span class=\"price\">12<small>,99 \u20ac</small></span>"), "12.99", "EUR");
    check_price(run("<span class=\"price\">\u20ac 12,<span class=\"decimals\">99</span></span>"), "12.99", "EUR");
    // itemprop="price" whose first child starts right after its tag.
    check_price(run("<span itemprop=\"price\"><span class=\"currency\">$</span>19.99</span>"), "19.99", "USD");
    // A comment first, as Vue and React leave them, or any element first.
    check_price(run("<div class=\"price\"><!----><span>$19.99</span></div>"), "19.99", "USD");
    check_price(run("<div class=\"price\"><!--[--><span>$19.99</span><!--]--></div>"), "19.99", "USD");
    check_price(run("<span itemprop=\"price\"><!-- -->$19.99</span>"), "19.99", "USD");
    check_price(run("<dl class=\"price\"><dt>Price</dt><dd>$20.00</dd></dl>"), "20.00", "USD");
    check_price(run("<div class=\"price\"><svg viewBox=\"0 0 8 8\"><path d=\"M0 0\"/></svg>\u20ac19,99</div>"), "19.99",
                "EUR");
    check_price(run("<div class=\"price\"><a href=\"/p/1\">$98.00</a></div>"), "98.00", "USD");
    // A commented-out price element whose first child is a comment is still
    // not the page's (the comment ends the outer one; the price is outside).
    CHECK_FALSE(run("<!-- old: <div class=\"price\"><!-- --> <span>$19.99</span></div>").price);
    // Two numbers in two elements stay two numbers.
    check_price(run("<span class=\"price\">$19.99<span class=\"was\">$29.99</span></span>"), "19.99", "USD");
    check_price(run("<span class=\"price\">$19<span>99</span></span>"), "19", "USD");
    // A number after another's currency keeps that currency the first one's.
    check_price(run("<span class=\"price\">20,00 \u20ac<span>25,00 \u20ac</span></span>"), "20.00", "EUR");
    check_price(run("<div class=\"price\"><span>1.299,00 z\u0142</span><span>1.499,00 z\u0142</span></div>"), "1299.00",
                "PLN");
    // French cents after the currency, in the text or raised.
    check_price(run("<div class=\"price\">19\u20ac99 <small>TTC</small></div>"), "19.99", "EUR");
    check_price(run("<div class=\"price\">19<sup>\u20ac99</sup></div>"), "19.99", "EUR");
    check_price(run("<div class=\"price\">19\u20ac<sup>99</sup></div>"), "19.99", "EUR");
    check_price(run("<div class=\"price\">19<span>\u20ac</span><span>99</span></div>"), "19.99", "EUR");
    // A currency of its own before the number stays glued to it as shown.
    const auto own = run("<span class=\"price\"><span>$</span>19.99</span>");
    check_price(own, "19.99", "USD");
    CHECK(own.price->raw == "$19.99");
}

TEST_CASE("extractor: an element whose only price is struck or old gives it as an old price", "[extractor]") {
    for (const char* block : {"<p class=\"price\">\n  <del>$30.00</del>\n</p>",
                              "<span itemprop=\"price\">\n<del>$30.00</del>\n</span>",
                              "<div class=\"price\"><span class=\"old-price\">$30.00</span></div>",
                              "<div class=\"price\"><span><s>$30.00</s></span></div>"}) {
        INFO(block);
        check_price(run(std::string("<h1>X</h1>") + block), "30.00", "USD");
        // And gives way to a current price of its rule after it.
        const std::string current = std::string(block).find("itemprop") != std::string::npos
                                        ? "<span itemprop=\"price\">$25.00</span>"
                                        : "<span class=\"price\">$25.00</span>";
        check_price(run(std::string("<h1>X</h1>") + block + current), "25.00", "USD");
    }
}

TEST_CASE("extractor: a price labelled as an old one (Was, UVP, List Price:) gives way to the current one",
          "[extractor]") {
    // The label in the element's text, before the price.
    check_price(run("<span class=\"price\">Was $29.99</span> <span class=\"price\">$19.99</span>"), "19.99", "USD");
    check_price(run("<div class=\"price\">UVP 39,99 \u20ac</div><div class=\"price\">29,99 \u20ac</div>"), "29.99",
                "EUR");
    check_price(run("<span class=\"price\"><span class=\"label\">Reg.</span> $49.00</span>"
                    "<span class=\"price\">$39.00</span>"),
                "39.00", "USD");
    // The label in the text or an element right before the price element.
    check_price(run("<p>List Price: <span class=\"price\">$59.99</span></p><p>Price: <span class=\"price\">$44.99</span>"
                    "</p>"),
                "44.99", "USD");
    check_price(run("<div><span>Typical price:</span>&nbsp;<span class=\"price\">\u00a325.00</span></div>"
                    "<div><span class=\"price\">\u00a320.00</span></div>"),
                "20.00", "GBP");
    check_price(run("<span class=\"price\">29,99 \u20ac</span> statt <span class=\"price\">39,99 \u20ac</span>"), "29.99",
                "EUR");
    check_price(run("<li>statt <span class=\"price\">39,99 \u20ac</span></li><li><span class=\"price\">29,99 \u20ac</span>"
                    "</li>"),
                "29.99", "EUR");
    // Labels in other languages, a reference price's (EU Omnibus, India's
    // MRP, a saving), a note in brackets and a full-width colon after one.
    check_price(run("<div class=\"normal_price\">\u901a\u5e38\u4fa1\u683c(\u7a0e\u8fbc)\uff1a\n<span class=\"price\">"
                    "6,050\u5186</span></div><dl class=\"sale_price\"><dt>\u8ca9\u58f2\u4fa1\u683c(\u7a0e\u8fbc)\uff1a</dt>"
                    "<dd class=\"price\">5,390\u5186</dd></dl>"),
                "5390", "JPY");
    check_price(run("<span class=\"price\">\u901a\u5e38\u4fa1\u683c \u00a52,200 \u8ca9\u58f2\u4fa1\u683c \u00a51,980</span>"),
                "1980", "JPY");
    for (const char* label : {"MRP:", "M.R.P.", "Vorher", "Voorheen", "Tidigare pris", "Prix barr\u00e9",
                              "Ancien prix", "De:", "Niedrigster Preis der letzten 30 Tage:", "You save",
                              "Sie sparen"}) {
        INFO(label);
        check_price(run(std::string("<span class=\"price\">") + label + " 40,00 \u20ac</span><span class=\"price\">"
                        "30,00 \u20ac</span>"),
                    "30.00", "EUR");
    }
    check_price(run("<p class=\"old\">De: <span class=\"price\">R$ 99,90</span></p><p>Por: <span class=\"price\">"
                    "R$ 79,90</span></p>"),
                "79.90", "BRL");
    // A reference price's label that goes on after it, before the element.
    check_price(run("<p>Niedrigster Preis der letzten 30 Tage: <span class=\"price\">24,99 \u20ac</span></p><p><span "
                    "class=\"price\">29,99 \u20ac</span></p>"),
                "29.99", "EUR");
    // Translations of "Regular price" and words that are also names are no labels.
    check_price(run("<span>Cena regularna:</span> <span class=\"price\">129,00 z\u0142</span><div class=\"price\">"
                    "5,00 z\u0142</div>"),
                "129.00", "PLN");
    check_price(run("<p class=\"brand\">Prima</p> <span class=\"price\">3,99 \u20ac</span><span class=\"price\">"
                    "1,00 \u20ac</span>"),
                "3.99", "EUR");
    // A current label with no price after it, or before the old number, reads nothing new.
    check_price(run("<span class=\"price\">Was $29.99 Only 2 left</span><span class=\"price\">$19.99</span>"), "19.99",
                "USD");
    check_price(run("<span class=\"price\">Was only $29.99</span><span class=\"price\">$19.99</span>"), "19.99", "USD");
    check_price(run("<h1>X</h1><span class=\"price\">Was $29.99 Sale ends 12/31</span>"), "29.99", "USD");
    // Old and current in one element: read from the current label.
    check_price(run("<span class=\"price\">Was $29.99 Now $19.99</span>"), "19.99", "USD");
    check_price(run("<div class=\"price\">Statt 39,99 \u20ac nur 29,99 \u20ac</div>"), "29.99", "EUR");
    // A labelled old price that is the only one is still the price.
    check_price(run("<h1>X</h1><span class=\"price\">Was $29.99</span>"), "29.99", "USD");
    check_price(run("<h1>X</h1>RRP <span class=\"price\">\u00a310.00</span>"), "10.00", "GBP");
    // Words that only hold a label's letters are none; "Regular price" labels the current price.
    check_price(run("<span class=\"price\">Wasabi $4.00</span><span class=\"price\">$3.00</span>"), "4.00", "USD");
    check_price(run("<p>Lowest in a decade, as it always was. <span class=\"price\">Sale $5.00</span></p>"
                    "<span class=\"price\">$3.00</span>"),
                "5.00", "USD");
    check_price(run("<p>Bestseller list <span class=\"price\">$8.00</span></p><span class=\"price\">$3.00</span>"),
                "8.00", "USD");
    check_price(run("<span class=\"visually-hidden\">Regular price</span> <span class=\"price\">$20.00</span>"
                    "<div class=\"related\"><span class=\"price\">$9.00</span></div>"),
                "20.00", "USD");
}

TEST_CASE("extractor: a price meta with name= instead of property= is read", "[extractor]") {
    check_price(run("<meta name=\"product:price:amount\" content=\"24.50\">"
                    "<meta name=\"product:price:currency\" content=\"EUR\"><span class=\"price\">$1.00</span>"),
                "24.50", "EUR");
    check_price(run("<meta content=\"19.00\" name=\"og:sale_price:amount\">"
                    "<meta name=\"og:price:amount\" content=\"29.00\">"),
                "19.00", "");
}

TEST_CASE("extractor: a price of zero gives way to any other price", "[extractor]") {
    // A header's empty cart before the product's price.
    check_price(run("<div class=\"mini-cart\"><span class=\"price\">$0.00</span></div><h1>Lamp</h1>"
                    "<span class=\"price\">$24.00</span>"),
                "24.00", "USD");
    // A placeholder meta before JSON-LD's price.
    check_price(run("<meta property=\"og:price:amount\" content=\"0.00\">"
                    "<script type=\"application/ld+json\">{\"offers\":{\"price\":\"49.00\",\"priceCurrency\":\"EUR\"}}"
                    "</script>"),
                "49.00", "EUR");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":0,\"priceCurrency\":\"EUR\"}}"
                    "</script><span class=\"price\">12,00 \u20ac</span>"),
                "12.00", "EUR");
    // An old price of the same rule after it too.
    check_price(run("<div class=\"cart\"><span class=\"price\">$0.00</span></div><h1>X</h1>"
                    "<span class=\"price\"><s>$30.00</s></span>"),
                "30.00", "USD");
    // Zero when no source gives another: a free product.
    check_price(run("<meta property=\"og:price:amount\" content=\"0\"><span class=\"price\">Free</span>"), "0", "");
    check_price(run("<span class=\"price\">$0.00</span><span class=\"price\">$0</span>"), "0.00", "USD");
}

TEST_CASE("extractor: a price without tax gives way to the price with tax beside it", "[extractor]") {
    // Magento 1 showing both: the price without tax comes first.
    check_price(run(product_page("", "<div class=\"price-box\"><span class=\"price-excluding-tax\"><span "
                                     "class=\"label\">Excl. Tax:</span> <span class=\"price\" "
                                     "id=\"price-excluding-tax-1\">\u20ac10.00</span></span>\n<span "
                                     "class=\"price-including-tax\"><span class=\"label\">Incl. Tax:</span> <span "
                                     "class=\"price\" id=\"price-including-tax-1\">\u20ac12.10</span></span></div>")),
                "12.10", "EUR");
    // Told by the label alone.
    check_price(run(product_page("", "<p>Excl. VAT: <span class=\"price\">\u00a3100.00</span></p><p>Incl. VAT: "
                                     "<span class=\"price\">\u00a3120.00</span></p>")),
                "120.00", "GBP");
    // A shop that shows the price without tax alone keeps it, not a related product's.
    check_price(run(product_page("", "<p>Excl. Tax: <span class=\"price\">\u20ac10.00</span></p>")), "10.00", "EUR");
    // Told by a label after it, in the element or right after it.
    check_price(run(product_page("", "<span class=\"price\">16,66 \u20ac HT</span> <span class=\"price\">19,99 "
                                     "\u20ac TTC</span>")),
                "19.99", "EUR");
    check_price(run(product_page("", "<span class=\"price\">16,80 \u20ac</span> <small>zzgl. MwSt.</small><br>"
                                     "<span class=\"price\">19,99 \u20ac</span> <small>inkl. MwSt.</small>")),
                "19.99", "EUR");
    // "zzgl. Versand" (plus shipping) follows prices with tax: no net price.
    check_price(run(product_page("", "<span class=\"price\">19,99 \u20ac</span> <small>inkl. MwSt. zzgl. "
                                     "Versand</small>")),
                "19.99", "EUR");
    check_price(run(product_page("", "<span class=\"price\">16,80 \u20ac</span> <small>zzgl. MwSt.</small>")),
                "16.80", "EUR");
    // Only the price right after it, in its currency and at most 28 % more, is its price with tax:
    // not a related product's nor a delivery charge, even one said to include VAT.
    check_price(run("<h1>Drill</h1><div class=\"product-price\"><span class=\"price\">\u00a3100.00</span> <small>"
                    "Excl. VAT</small></div><div class=\"related\"><h3>R</h3><span class=\"price\">\u00a33.00</span> inc "
                    "VAT</div>"),
                "100.00", "GBP");
    check_price(run("<h1>Drill</h1><div><span class=\"price\">\u00a3100.00</span> <small>Excl. VAT</small></div>"
                    "<div class=\"xx\"><span class=\"price\">\u00a33.00</span> inc VAT</div>"),
                "100.00", "GBP");
    check_price(run("<h1>Drill</h1>Excl. VAT: <span class=\"price\">\u00a3100.00</span> Delivery: <span "
                    "class=\"price\">\u00a35.00</span> incl. VAT"),
                "100.00", "GBP");
    check_price(run("<h1>Drill</h1>Excl. VAT: <span class=\"price\">\u00a3100.00</span> Incl. VAT: <span "
                    "class=\"price\">\u00a3120.00</span>"),
                "120.00", "GBP");
    // Magento 2 puts the price with tax first: taken as it comes.
    check_price(run(product_page("", "<span class=\"price-wrapper price-including-tax\"><span "
                                     "class=\"price\">\u20ac12.10</span></span><span class=\"price-wrapper "
                                     "price-excluding-tax\"><span class=\"price\">\u20ac10.00</span></span>")),
                "12.10", "EUR");
}

TEST_CASE("extractor: a sale price meta wins over the price meta", "[extractor]") {
    check_price(run("<meta property=\"product:price:amount\" content=\"29.99\">"
                    "<meta property=\"product:sale_price:amount\" content=\"19.99\">"
                    "<meta property=\"product:price:currency\" content=\"USD\">"),
                "19.99", "USD");
    check_price(run("<meta content=\"19.99\" property=\"og:sale_price:amount\">"
                    "<meta property=\"og:price:amount\" content=\"29.99\">"),
                "19.99", "");
    // A shop's shown price in the meta, in a currency without minor digits.
    check_price(run("<meta property=\"og:price:amount\" content=\"12.990\">"
                    "<meta property=\"og:price:currency\" content=\"CLP\">"),
                "12990", "CLP");
    // A JSON number is no shown price: 1.500 stays 1.5 yen.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":1.500,\"priceCurrency\":\"JPY\"}}"
                    "</script>"),
                "1.500", "JPY");
    // Nor a JSON-LD string (machine-written there too: B2B unit prices with three decimals).
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":\"1.250\",\"priceCurrency\":"
                    "\"EUR\"}}</script>"),
                "1.250", "EUR");
    // A declared KWD does not make "1,250" 1.250.
    check_price(run("<meta property=\"og:price:amount\" content=\"1,250\">"
                    "<meta property=\"og:price:currency\" content=\"KWD\">"),
                "1250", "KWD");
    // Without one the price meta as before.
    check_price(run("<meta property=\"og:price:amount\" content=\"29.99\">"), "29.99", "");
}

TEST_CASE("extractor: a JSON-LD price is in its own object's priceCurrency", "[extractor]") {
    // An organisation's offer names EUR first; the product's offer is in CHF.
    check_price(run("<script type=\"application/ld+json\">{\"@type\":\"Organization\",\"makesOffer\":{\"@type\":"
                    "\"Offer\",\"priceCurrency\":\"EUR\"}}</script><script type=\"application/ld+json\">"
                    "{\"@type\":\"Product\",\"offers\":{\"@type\":\"Offer\",\"price\":\"89.00\",\"priceCurrency\":"
                    "\"CHF\"}}</script>"),
                "89.00", "CHF");
    // Before or after the price, spaces around the code.
    check_price(run("<meta property=\"og:price:currency\" content=\"USD\"><script type=\"application/ld+json\">"
                    "{\"offers\":{\"priceCurrency\":\" gbp \",\"price\":12}}</script>"),
                "12", "GBP");
    // After a long list of shipping details.
    std::string shipping;
    for (int i = 0; i < 40; ++i)
        shipping += std::string(i ? "," : "") + "{\"@type\":\"OfferShippingDetails\",\"shippingDestination\":{\"@type\":"
                    "\"DefinedRegion\",\"addressCountry\":\"CA\"},\"shippingRate\":{\"value\":\"5\"}}";
    check_price(run("<meta property=\"og:price:currency\" content=\"USD\"><script type=\"application/ld+json\">"
                    "{\"offers\":{\"price\":\"12.00\",\"shippingDetails\":[" + shipping + "],\"priceCurrency\":\"CAD\"}}"
                    "</script>"),
                "12.00", "CAD");
    // None of its own, or one that is no ISO code: the page's.
    check_price(run("<meta property=\"og:price:currency\" content=\"USD\"><script type=\"application/ld+json\">"
                    "{\"offers\":{\"price\":12,\"seller\":{\"priceCurrency\":\"EUR\"}}}</script>"),
                "12", "USD");
    check_price(run("<meta property=\"og:price:currency\" content=\"USD\"><script type=\"application/ld+json\">"
                    "{\"offers\":{\"price\":12,\"priceCurrency\":\"BTC\"}}</script>"),
                "12", "USD");
    // A currency the price text names still wins.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":\"19,99 \u20ac\",\"priceCurrency\":"
                    "\"USD\"}}</script>"),
                "19.99", "EUR");
}

TEST_CASE("extractor: a JSON-LD price before a sale gives way to the price", "[extractor]") {
    // Google's sale markup: the old price in a StrikethroughPrice priceSpecification.
    check_price(run("<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"@type\":\"Offer\","
                    "\"priceSpecification\":{\"@type\":\"UnitPriceSpecification\",\"priceType\":"
                    "\"https://schema.org/StrikethroughPrice\",\"price\":15.00,\"priceCurrency\":\"USD\"},"
                    "\"price\":10.00,\"priceCurrency\":\"USD\"}}</script>"),
                "10.00", "USD");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"priceSpecification\":["
                    "{\"@type\":\"UnitPriceSpecification\",\"priceType\":\"StrikethroughPrice\",\"price\":\"59.99\"},"
                    "{\"@type\":\"UnitPriceSpecification\",\"price\":\"49.99\"}],\"priceCurrency\":\"EUR\"}}</script>"),
                "49.99", "EUR");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"priceSpecification\":{\"price\":79,"
                    "\"priceType\":\"https://schema.org/ListPrice\"},\"price\":69,\"priceCurrency\":\"GBP\"}}</script>"),
                "69", "GBP");
    // A later source's current price wins over it: lowPrice, a visible price.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"@type\":\"AggregateOffer\",\"lowPrice\":"
                    "\"24.00\",\"priceCurrency\":\"USD\",\"priceSpecification\":{\"priceType\":\"ListPrice\","
                    "\"price\":\"50.00\"}}}</script>"),
                "24.00", "USD");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"priceSpecification\":{\"priceType\":"
                    "\"ListPrice\",\"price\":\"30.00\"}}}</script><h1>X</h1><span class=\"price\">$24.00</span>"),
                "24.00", "USD");
    // So does a visible struck one of an earlier rule.
    check_price(run("<h1>X</h1><span itemprop=\"price\"><del>$30.00</del></span><span class=\"price\">$25.00</span>"),
                "25.00", "USD");
    // The old price when it is the only one; a priceType inside a nested value names another object.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":\"59.99\",\"priceType\":"
                    "\"https://schema.org/StrikethroughPrice\",\"priceCurrency\":\"EUR\"}}</script>"),
                "59.99", "EUR");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"price\":\"10.00\",\"priceCurrency\":\"USD\","
                    "\"priceSpecification\":{\"priceType\":\"https://schema.org/StrikethroughPrice\",\"price\":15}}}"
                    "</script>"),
                "10.00", "USD");
}

TEST_CASE("extractor: markup in comments, scripts and styles is not the page's", "[extractor]") {
    // A commented-out or scripted <title> before the real one.
    check_title(run("<head><!-- <title>Old</title> --><title>New</title></head>"), "New");
    check_title(run("<head><script>document.write(\"<title>Script</title>\")</script><title>New</title></head>"),
                "New");
    check_title(run("<HEAD><STYLE type=\"text/css\">/* <title>x</title> */</STYLE><TITLE>Upper</TITLE>"), "Upper");
    check_title(run("<!-- <title>Only in a comment</title> --><meta property=\"og:title\" content=\"From OG\">"),
                "From OG");
    CHECK_FALSE(run("<!-- <title>Only in a comment</title> -->").title);
    check_title(run("<!--> <title>After an empty comment</title>"), "After an empty comment");
    check_title(run("<!---> <title>After an empty comment</title>"), "After an empty comment");
    // og:title in a comment.
    check_title(run("<!-- <meta property=\"og:title\" content=\"Old\"> --><meta property=\"og:title\" content=\"New\">"),
                "New");
    // A price element in a script's string, a template, a comment or a style.
    check_price(run("<script>var tpl = '<span class=\"price\">$0.00</span>';</script>"
                    "<span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<script type=\"text/template\"><span class=\"price\">$1.00</span></script>"
                    "<span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<!-- <span class=\"price\">$5.00</span> --><span class=\"price\">$19.99</span>"), "19.99", "USD");
    check_price(run("<style>.a[class=\"price\"] > b { content: \"$1\" }</style><span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run(product_page("<!-- <meta property=\"product:price:amount\" content=\"5.00\"> -->\n",
                                 "<span class=\"price\">$59.99</span>\n")),
                "59.99", "USD");
    check_price(run("<!-- <span itemprop=\"price\" content=\"5.00\"></span> -->"
                    "<span itemprop=\"price\" content=\"7.00\"></span>"),
                "7.00", "");
    // A comment or script that closes before the price does not hide it; one
    // that is never closed hides the rest of the page.
    check_price(run("<script>if (a < b) x();</script><!-- note --><span class=\"price\">$3.00</span>"), "3.00", "USD");
    CHECK_FALSE(run("<!-- <span class=\"price\">$3.00</span>").price);
    CHECK_FALSE(run("<script><span class=\"price\">$3.00</span>").price);
    // <span>, <strong> and <section> are no script or style.
    check_price(run("<section><strong>Deal</strong> <span class=\"price\">$4.00</span></section>"), "4.00", "USD");
    check_price(run("<scripts></scripts><styles></styles><span class=\"price\">$4.00</span>"), "4.00", "USD");
    // JSON-LD is still read, and a price in it beats visible ones.
    check_price(run("<!-- <script type=\"application/ld+json\">{\"price\": \"1.00\"}</script> -->"
                    "<script type=\"application/ld+json\">{\"offers\": {\"price\": \"44.10\", "
                    "\"priceCurrency\": \"EUR\"}}</script><span class=\"price\">$3.00</span>"),
                "44.10", "EUR");
}

TEST_CASE("extractor: markup in <template> and <textarea> is not the page's", "[extractor]") {
    // A <title> or og:title in an inert template or in a textarea's text.
    check_title(run("<head><template><title>Template</title></template><title>Real</title></head>"), "Real");
    check_title(run("<TEXTAREA name=\"review\"><title>Typed</title></TEXTAREA><title>Real</title>"), "Real");
    CHECK_FALSE(run("<template id=\"t\"><meta property=\"og:title\" content=\"Card\"></template>").title);
    // Price elements, metas and JSON-LD in a template or a textarea.
    check_price(run("<template id=\"card\"><span class=\"price\">$0.00</span></template>"
                    "<span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<textarea><span class=\"price\">$5.00</span></textarea><span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<template><meta property=\"product:price:amount\" content=\"1.00\"></template>"
                    "<span itemprop=\"price\" content=\"7.00\"></span>"),
                "7.00", "");
    check_price(run("<template><script type=\"application/ld+json\">{\"price\": \"1.00\"}</script></template>"
                    "<span class=\"price\">$3.00</span>"),
                "3.00", "USD");
    // Closed before the price, they hide nothing; <text> and <table> are neither.
    check_price(run("<template></template><textarea rows=2>a < b</textarea><span class=\"price\">$4.00</span>"),
                "4.00", "USD");
    check_price(run("<svg><text>x</text></svg><table><tr><td class=\"price\">$4.50</td></tr></table>"), "4.50", "USD");
    CHECK_FALSE(run("<template><span class=\"price\">$3.00</span>").price);
}

TEST_CASE("extractor: the text of a <title> is no markup", "[extractor]") {
    // A <title> ends only at </title>: what looks like a script, a comment
    // or a template in its text opens none, and hides nothing after it.
    auto script = run("<title>Use <script> tags</title><span class=\"price\">$5.00</span>");
    check_title(script, "Use <script> tags");
    check_price(script, "5.00", "USD");
    auto comment = run("<title>Deals <!-- today</title><span class=\"price\">$6.00</span>");
    check_title(comment, "Deals <!-- today");
    check_price(comment, "6.00", "USD");
    auto styled = run("<TITLE>A <style> guide</TITLE><meta property=\"product:price:amount\" content=\"7.50\">");
    check_title(styled, "A <style> guide");
    check_price(styled, "7.50", "");
    auto both = run("<title>The <template> and <textarea> tags</title><span class=\"price\">$8.00</span>");
    check_title(both, "The <template> and <textarea> tags");
    check_price(both, "8.00", "USD");
    // Markup in a title's text is text: no price element, no og:title.
    auto inside = run("<title><span class=\"price\">$1.00</span></title><span class=\"price\">$2.00</span>");
    check_title(inside, "<span class=\"price\">$1.00</span>");
    check_price(inside, "2.00", "USD");
    check_title(run("<title></title><meta property=\"og:title\" content=\"OG\">"), "OG");
    // A title in a comment or a script before the real one is still passed over.
    check_title(run("<!-- <title>Old</title> --><script>x = '<title>JS</title>'</script><title>New</title>"),
                "New");
}

TEST_CASE("extractor: markup in <xmp>, <iframe>, <noembed> and <noframes> is not the page's", "[extractor]") {
    // Their text is raw, as a script's or a style's: a <title>, a price
    // element or a price meta there is text the page shows or never shows.
    check_title(run("<xmp><title>Sample</title></xmp><title>Real</title>"), "Real");
    check_title(run("<IFRAME><title>Framed</title></IFRAME><title>Real</title>"), "Real");
    CHECK_FALSE(run("<noembed><meta property=\"og:title\" content=\"Plugin\"></noembed>").title);
    check_price(run("<xmp><span class=\"price\">$1.00</span></xmp><span class=\"price\">$19.99</span>"), "19.99",
                "USD");
    check_price(run("<iframe src=\"/ad\"><span class=\"price\">$1.00</span></iframe>"
                    "<span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<noembed><span class=\"price\">$1.00</span></noembed><span class=\"price\">$19.99</span>"),
                "19.99", "USD");
    check_price(run("<noframes><meta property=\"product:price:amount\" content=\"1.00\"></noframes>"
                    "<span itemprop=\"price\" content=\"7.00\"></span>"),
                "7.00", "");
    check_price(run("<iframe><script type=\"application/ld+json\">{\"price\": \"1.00\"}</script></iframe>"
                    "<span class=\"price\">$3.00</span>"),
                "3.00", "USD");
    // Closed before the price they hide nothing; never closed, the rest of the page.
    check_price(run("<iframe src=\"/ad\"></iframe><xmp>a < b</xmp><span class=\"price\">$4.00</span>"), "4.00",
                "USD");
    CHECK_FALSE(run("<iframe src=\"/ad\"><span class=\"price\">$4.00</span>").price);
    // <img>, <input>, <i>, <nobr>, <time> and <xmpl> are none of them.
    check_price(run("<img src=x><input><i>i</i><nobr>n</nobr><time>t</time><xmpl>x</xmpl>"
                    "<span class=\"price\">$4.50</span>"),
                "4.50", "USD");
    // <noscript> is read: its price is the page's (shown without scripts).
    check_price(run("<noscript><span class=\"price\">$9.00</span></noscript>"), "9.00", "USD");
}

TEST_CASE("extractor: many price elements cost no scan of the page each", "[extractor]") {
    // In an unclosed comment: each one's comment search stopped at the page's
    // end (about 57 s for this page when it did); in a JSON-LD script of many
    // "price" keys of list prices: each scanned 8 KiB (5 s for 8 MiB).
    std::string comments = "<h1>x</h1>";
    for (int i = 0; i < 120000; ++i) comments += "<span class=\"price\"><s>1</s><!--";
    std::string object = "{\"priceType\":\"ListPrice\"";
    for (int i = 0; i < 400; ++i) object += ",\"price\":1";
    object += "}";
    std::string ld = "<script type=\"application/ld+json\">[" + object;
    while (ld.size() < (8u << 20) - object.size()) ld += "," + object;
    ld += "]</script>";
    // Availability phrases in one long attribute before the price (a shop's
    // variations data): each walked back to the tag's start (55 s for 2 MB).
    std::string variations = "<h1>x</h1><form data-product_variations=\"";
    for (int i = 0; i < 70000; ++i) variations += "Out of stock, ";
    variations += "\"></form><span class=\"price\">$5.00</span>";
    // Struck price elements, unclosed, behind a link: each was walked to
    // judge it, with no end (2.5 s for 8 MB).
    std::string struck = "<h1>x</h1>";
    while (struck.size() < (8u << 20)) struck += "<span class=\"price\"><a><del>$1</del>";
    const auto start = std::chrono::steady_clock::now();
    check_price(run(struck), "1", "USD");
    check_price(run(comments), "1", "");
    check_price(run(ld), "1", "");
    check_price(run(variations), "5.00", "USD");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("extractor: many JSON-LD blocks and many price keys elsewhere cost no scan of the blocks each",
          "[extractor]") {
    // Each "price" key outside JSON-LD was checked against every block
    // (about 17 s for this page when it was).
    std::string page = "<html><head>";
    for (int i = 0; page.size() < (8u << 20); ++i)
        page += "<script type=\"application/ld+json\">{\"name\":\"x" + std::to_string(i) + "\"}</script>\n";
    page += "<script>var a=[";
    while (page.size() < (16u << 20)) page += "{\"price\":\"7\"},";
    page += "];</script><script type=\"application/ld+json\">{\"price\":\"19.99\",\"priceCurrency\":\"EUR\"}</script>";
    const auto start = std::chrono::steady_clock::now();
    check_price(run(page), "19.99", "EUR");
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("extractor: a tag that never closes ends the title search at once", "[extractor]") {
    // Each "<svg" lies in the "<a" tag, which holds the rest of the page:
    // the search stops there instead of scanning to the end for each one
    // (about 13 s for this page when it did).
    std::string page = "<a ";
    for (int i = 0; i < 80000; ++i) page += "<svg ";
    page += "<title>x</title>";
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(run(page).title);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
    check_title(run("<a title=\"<svg \">link</a><title>x</title>"), "x");  // closed: read on
}

TEST_CASE("extractor: after <plaintext> the page is text", "[extractor]") {
    // It has no end tag: markup after it, "</plaintext>" included, is shown as written.
    const std::string head = "<title>Listing</title><span class=\"price\">$2.00</span>";
    auto e = run(head + "<PLAINTEXT><title>Sample</title><span class=\"price\">$1.00</span>");
    check_title(e, "Listing");
    check_price(e, "2.00", "USD");
    CHECK_FALSE(run("<plaintext></plaintext><title>Sample</title><span class=\"price\">$1.00</span>").title);
    CHECK_FALSE(run("<plaintext></plaintext><span class=\"price\">$1.00</span>").price);
    // Not <plaintexts>, nor in an attribute value.
    check_price(run("<plaintexts></plaintexts><span class=\"price\">$3.00</span>"), "3.00", "USD");
    check_price(run("<b title=\"<plaintext>\"></b><span class=\"price\">$4.00</span>"), "4.00", "USD");
}

TEST_CASE("extractor: a tag's name in an attribute value opens nothing", "[extractor]") {
    // data-embed="<iframe ...>" never closed: the page after it is still read.
    check_price(run("<div data-embed=\"<iframe src='/v'>\"></div><span class=\"price\">$4.00</span>"), "4.00",
                "USD");
    check_price(run("<img alt='<script>' src=x><span class=\"price\">$5.00</span>"), "5.00", "USD");
    check_price(run("<a title=\"<!-- see below\" href=/><span class=\"price\">$6.00</span> -->"), "6.00", "USD");
    check_title(run("<meta name=x content=\"<xmp>\"><title>Real</title>"), "Real");
    check_price(run("<template><b data-t=\"</template>\">x</b><span class=\"price\">$1.00</span></template>"
                    "<span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    check_price(run("<template data-x=\"<template>\"><span class=\"price\">$1.00</span></template>"
                    "<span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    // In text, after a closed tag or a lone '<', they are elements as before.
    CHECK_FALSE(run("<p>a < b<iframe src=/ad><span class=\"price\">$4.00</span>").price);
    CHECK_FALSE(run("<p title=\"a\"><script>x('<span class=\"price\">$4.00</span>')").price);
}

TEST_CASE("extractor: a <template> inside a <template> does not end the outer one", "[extractor]") {
    check_price(run("<template><template>x</template><span class=\"price\">$5.00</span></template>"
                    "<span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    check_price(run("<TEMPLATE id=a><template><Template></template></TEMPLATE><span class=\"price\">$5.00</span>"
                    "</template ><span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    check_title(run("<template><template></template><title>Card</title></template><title>Real</title>"), "Real");
    // "<template>" and "</template>" in a script, a comment or a textarea in
    // a template are text: neither opens nor closes one.
    check_price(run("<template><script>t = '<template>';</script><span class=\"price\">$5.00</span></template>"
                    "<span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    check_price(run("<template><!-- </template> --><textarea></template></textarea>"
                    "<span class=\"price\">$5.00</span></template><span class=\"price\">$7.00</span>"),
                "7.00", "USD");
    // <templates> is no template; one never closed runs to the end.
    check_price(run("<template><templates></template><span class=\"price\">$7.00</span>"), "7.00", "USD");
    CHECK_FALSE(run("<template><template></template><span class=\"price\">$7.00</span>").price);
}

TEST_CASE("extractor: the end tag of a script, a style or a textarea, and the end of a comment", "[extractor]") {
    // In any case, with blanks or attributes before its '>'.
    check_price(run("<script>a()</SCRIPT >\n<span class=\"price\">$3.00</span>"), "3.00", "USD");
    check_price(run("<Style>p{}</sTyLe\n><span class=\"price\">$3.00</span>"), "3.00", "USD");
    check_price(run("<textarea>a</textarea foo><span class=\"price\">$3.00</span>"), "3.00", "USD");
    // "</scripts>", "</styled>" and "</textareas>" end nothing.
    check_price(run("<script>x = '</scripts><span class=\"price\">$1.00</span>';</script>"
                    "<span class=\"price\">$2.00</span>"),
                "2.00", "USD");
    check_price(run("<style>/* </styled><span class=\"price\">$1.00</span> */</style>"
                    "<span class=\"price\">$2.00</span>"),
                "2.00", "USD");
    check_price(run("<textarea></textareas><span class=\"price\">$1.00</span></textarea>"
                    "<span class=\"price\">$2.00</span>"),
                "2.00", "USD");
    // A JSON-LD block ends at its own end tag too.
    check_price(run("<script type=\"application/ld+json\">{\"name\": \"</scripts>\", \"price\": \"4.40\"}</script>"),
                "4.40", "");
    // As in browsers, "</script>" in a script's string ends the script:
    // what follows is the page's.
    check_price(run("<script>var s = \"</script><span class=\"price\">$4.00</span>\";</script>"), "4.00", "USD");
    // A comment ends at "--!>" as well as at "-->".
    check_price(run("<!-- old --!><span class=\"price\">$5.00</span>"), "5.00", "USD");
    check_price(run("<!-- <span class=\"price\">$1.00</span> --!> --><span class=\"price\">$5.00</span>"), "5.00",
                "USD");
    check_price(run("<!-- a -- b --><span class=\"price\">$5.00</span>"), "5.00", "USD");
}

TEST_CASE("extractor: no visible price after an availability phrase", "[extractor]") {
    // Sold out: the price elements after it are related products'.
    for (const char* phrase : {"Sold out", "OUT OF STOCK", "currently unavailable", "Sold&nbsp;out",
                               "Out of\n  stock", "Sold-out"}) {
        INFO(phrase);
        auto e = run(product_page("", std::string("<p class=\"stock\">") + phrase + "</p>\n"));
        check_title(e, "Acme Pro Blender | ShopMart");
        CHECK_FALSE(e.price);
    }
    // Structured sources later in the order are still read: JSON-LD after
    // the itemprop text, whose visible price gives way.
    auto ld = run(product_page("<script type=\"application/ld+json\">{\"offers\":{\"price\":\"19.99\","
                               "\"priceCurrency\":\"EUR\"}}</script>\n",
                               "<p>Out of stock</p><span itemprop=\"price\">24,99 \u20ac</span>\n"));
    check_price(ld, "19.99", "EUR");
    // A price before the phrase is the offer's.
    check_price(run(product_page("", "<span class=\"price\">$59.99</span> <b>Sold out</b> in blue\n")), "59.99",
                "USD");
    // Phrases in markup, comments and scripts, before the <h1>, or as part
    // of other words do not count.
    const std::string price = "<span class=\"price\">$39.99</span>\n";
    for (const char* before : {"<button title=\"Sold out\" disabled>Add</button>", "<!-- Sold out -->",
                               "<script>var s = 'Out of stock';</script>", "<p>Resold outright</p>",
                               "<p>Outsold out-of-the-box</p>", "<p class=\"badge\">Almost sold out!</p>",
                               "<p>Nearly&nbsp;out of stock: 2 left</p>",
                               "<label for=\"v2\">XL<span class=\"visually-hidden label-unavailable\">Variant sold out "
                               "or unavailable</span></label>",
                               "<span class=\"sr-only\">Out of stock</span>"}) {
        INFO(before);
        check_price(run(product_page("", before + price)), "39.99", "USD");
    }
    check_price(run("<nav><a href=\"/sold-out\">Sold out items</a></nav><h1>Lamp</h1>" + price), "39.99", "USD");
    CHECK_FALSE(run("<nav>Menu</nav><h1>Lamp</h1><p>Sold out</p>" + price).price);
    CHECK_FALSE(run("<h1>Lamp</h1><p>Almost gone. Sold out</p>" + price).price);
    // Shown text beside screen-reader text still counts.
    CHECK_FALSE(run("<h1>Lamp</h1><p><span class=\"sr-only\">Status:</span> Sold out</p>" + price).price);
}

TEST_CASE("extractor: AggregateOffer lowPrice after price", "[extractor]") {
    auto ld = run("<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"@type\":"
                  "\"AggregateOffer\",\"lowPrice\":\"9.99\",\"highPrice\":\"19.99\",\"priceCurrency\":\"USD\"}}</script>"
                  "<span class=\"price\">$14.99</span>");
    check_price(ld, "9.99", "USD");
    auto microdata = run("<meta itemprop=\"priceCurrency\" content=\"USD\">"
                         "<span itemprop=\"lowPrice\" content=\"9.99\">$9.99</span> - "
                         "<span itemprop=\"highPrice\" content=\"19.99\">$19.99</span>");
    check_price(microdata, "9.99", "USD");
    auto reversed = run("<meta content=\"7.50\" itemprop=\"lowPrice\">");
    check_price(reversed, "7.50", "");
    // A price beats a lowPrice that comes first.
    auto both = run("<script type=\"application/ld+json\">{\"lowPrice\": 5}</script>"
                    "<script type=\"application/ld+json\">{\"offers\": {\"price\": 8}}</script>");
    check_price(both, "8", "");
}

TEST_CASE("extractor: an AggregateOffer's own offers give way to its lowPrice", "[extractor]") {
    // The range's low end, not its first offer, whether the offers come before or after it.
    check_price(run("<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":{\"@type\":"
                    "\"AggregateOffer\",\"lowPrice\":\"19.99\",\"highPrice\":\"39.99\",\"priceCurrency\":\"USD\","
                    "\"offers\":[{\"@type\":\"Offer\",\"price\":\"29.99\"},{\"@type\":\"Offer\",\"price\":\"19.99\"}]}}"
                    "</script>"),
                "19.99", "USD");
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"@type\":\"AggregateOffer\",\"offers\":"
                    "{\"@type\":\"Offer\",\"price\":\"35.00\"},\"lowPrice\":\"30.00\",\"priceCurrency\":\"EUR\"}}"
                    "</script>"),
                "30.00", "EUR");
    // Its key after a number, null or a nested value is a key too.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"@type\":\"AggregateOffer\",\"offers\":"
                    "[{\"@type\":\"Offer\",\"price\":\"35.00\"}],\"highPrice\":40.00,\"offerCount\":null,"
                    "\"lowPrice\":\"30.00\",\"priceCurrency\":\"EUR\"}}</script>"),
                "30.00", "EUR");
    // Offers beside an AggregateOffer, not in it, are read as before.
    check_price(run("<script type=\"application/ld+json\">[{\"@type\":\"AggregateOffer\",\"lowPrice\":\"5.00\"},"
                    "{\"@type\":\"Offer\",\"price\":\"7.00\",\"priceCurrency\":\"GBP\"}]</script>"),
                "7.00", "GBP");
}

TEST_CASE("extractor: a JSON-LD offer out of stock gives way to one in stock", "[extractor]") {
    const std::string oos = "{\"@type\":\"Offer\",\"price\":\"24.00\",\"priceCurrency\":\"EUR\",\"availability\":";
    check_price(run("<script type=\"application/ld+json\">{\"@type\":\"Product\",\"offers\":[" + oos +
                    "\"https://schema.org/OutOfStock\"},{\"@type\":\"Offer\",\"price\":\"26.00\",\"priceCurrency\":"
                    "\"EUR\",\"availability\":\"https://schema.org/InStock\"}]}</script>"),
                "26.00", "EUR");
    // SoldOut, Discontinued, and schema: or bare names alike; an offer with no availability is in stock.
    for (const char* gone : {"\"http://schema.org/SoldOut\"", "\"Discontinued\"", "\"schema:OutOfStock\""}) {
        INFO(gone);
        check_price(run("<script type=\"application/ld+json\">{\"offers\":[" + oos + gone +
                        "},{\"price\":\"27.00\",\"priceCurrency\":\"EUR\"}]}</script>"),
                    "27.00", "EUR");
    }
    // Every offer out of stock: the first one's price, not a later source's.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":[" + oos +
                    "\"https://schema.org/OutOfStock\"}]}</script><h1>X</h1><span class=\"price\">$9.00</span>"),
                "24.00", "EUR");
    // PreOrder and BackOrder can be ordered: the first offer stays the price.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":[" + oos +
                    "\"https://schema.org/PreOrder\"},{\"price\":\"27.00\"}]}</script>"),
                "24.00", "EUR");
    // An out-of-stock offer beats an old price.
    check_price(run("<script type=\"application/ld+json\">{\"offers\":{\"priceSpecification\":{\"priceType\":"
                    "\"ListPrice\",\"price\":\"30.00\"}}}</script><script type=\"application/ld+json\">{\"offers\":[" +
                    oos + "\"OutOfStock\"}]}</script>"),
                "24.00", "EUR");
}

TEST_CASE("extractor: itemprop price and priceCurrency with content first", "[extractor]") {
    auto e = run("<meta content=\"49.99\" itemprop=\"price\"><meta content=\"USD\" itemprop=\"priceCurrency\">");
    check_price(e, "49.99", "USD");
    auto single = run("<span data-x='1' content='12.500' itemprop='price'>12,500 KWD</span>"
                      "<meta content='kwd' itemprop='priceCurrency'>");
    check_price(single, "12.500", "KWD");
}

TEST_CASE("extractor: a title inside svg is not the page title", "[extractor]") {
    auto og = run("<head><meta property=\"og:title\" content=\"OG Only &amp; Title\"></head>"
                  "<body><svg><title>Close</title></svg></body>");
    check_title(og, "OG Only & Title");
    auto none = run("<head></head><body><svg viewBox=\"0 0 1 1\"><title>SVG icon title</title></svg></body>");
    CHECK_FALSE(none.title.has_value());
    auto later = run("<SVG><title>Cart</title></SVG><svg></svg><title>Real Title</title>");
    check_title(later, "Real Title");
    auto unclosed = run("<svg><title>Search</title>");
    CHECK_FALSE(unclosed.title.has_value());
    check_title(run("<title>Head</title><svg><title>Icon</title></svg>"), "Head");
}

TEST_CASE("extractor: a structured price with an exponent is read exactly", "[extractor]") {
    auto ld = [](const std::string& json) {
        return run("<script type=\"application/ld+json\">" + json + "</script>");
    };
    check_price(ld("{\"offers\":{\"price\":1e3,\"priceCurrency\":\"USD\"}}"), "1000", "USD");
    check_price(ld("{\"price\": 1.5E+3, \"priceCurrency\": \"USD\"}"), "1500", "USD");
    check_price(ld("{\"price\":\"1.5E+3\",\"priceCurrency\":\"USD\"}"), "1500", "USD");
    check_price(ld("{\"price\":1E-1,\"priceCurrency\":\"USD\"}"), "0.1", "USD");
    check_price(ld("{\"lowPrice\":1.5E7}"), "15000000", "");
    CHECK_FALSE(ld("{\"price\":1e31}").price);
    check_price(run("<meta property=\"product:price:amount\" content=\"1.5E+3\">"), "1500", "");
    check_price(run("<span itemprop=\"price\" content=\"1e3\">1,000</span>"), "1000", "");
    // Shown text has no exponents: "1e3" there is no price, as before.
    CHECK_FALSE(run("<span class=\"price\">1e3</span>").price);
}

TEST_CASE("extractor: a JSON-LD price string is read whole", "[extractor]") {
    auto ld = [](const std::string& json) {
        return run("<script type=\"application/ld+json\">" + json + "</script>");
    };
    // A currency the text names wins over priceCurrency; raw keeps it.
    auto euro = ld("{\"price\":\"19,99 \u20ac\",\"priceCurrency\":\"USD\"}");
    check_price(euro, "19.99", "EUR");
    CHECK(euro.price->raw == "19,99 \u20ac");
    auto dollar = ld("{\"price\":\"$1,299\",\"priceCurrency\":\"USD\"}");
    check_price(dollar, "1299", "USD");
    CHECK(dollar.price->raw == "$1,299");
    check_price(ld("{\"price\":\"$1,299\",\"priceCurrency\":\"CAD\"}"), "1299", "CAD");
    check_price(ld("{\"lowPrice\": \"EUR 5,50\"}"), "5.50", "EUR");
    // JSON escapes are decoded.
    auto escaped = ld("{\"offers\":{\"price\":\"\\u0031\\u0032.50\",\"priceCurrency\":\"EUR\"}}");
    check_price(escaped, "12.50", "EUR");
    CHECK(escaped.price->raw == "12.50");
    check_price(ld("{\"price\":\"\\u20AC 7\"}"), "7", "EUR");
    check_price(ld("{\"price\":\"\\\"9\\\" \\ud83d\\ude00\"}"), "9", "");
    // A string without a price gives way to the next "price".
    check_price(ld("{\"price\":\"\",\"offers\":{\"price\":\"4.20\"}}"), "4.20", "");
    check_price(ld("{\"price\":\"Call\",\"offers\":{\"price\":8}}"), "8", "");
    // As before: a number, and a string holding one.
    check_price(ld("{\"price\":1.299,\"priceCurrency\":\"KWD\"}"), "1.299", "KWD");
    check_price(ld("{\"price\":\"1.234,56\",\"priceCurrency\":\"EUR\"}"), "1234.56", "EUR");
}

TEST_CASE("extractor: an svg or math that is no element hides no title", "[extractor]") {
    const std::string og = "<meta property=\"og:title\" content=\"OG\">";
    // In a comment, a script's string or an attribute value, "<svg" opens nothing.
    check_title(run("<!-- <svg> --><title>Real</title>"), "Real");
    check_title(run("<head><!-- inline <svg> sprites come from app.js --><title>Real</title>" + og), "Real");
    check_title(run("<script>var s=\"<svg>\";</script><title>Real</title>" + og), "Real");
    check_title(run("<meta content=\"<svg>\"><title>Real</title>"), "Real");
    check_title(run("<link rel=\"icon\" href=\"data:image/svg+xml,<svg><title>I</title></svg>\"><title>Real</title>"), "Real");
    check_title(run("<link rel=\"icon\" href=\"data:text/html,<title>I</title>\"><title>Real</title>"), "Real");
    check_title(run("<textarea><math></textarea><title>Real</title>"), "Real");
    // A self-closed one holds nothing.
    check_title(run("<svg class=\"sprite\"/><title>Real</title>"), "Real");
    check_title(run("<svg class=\"sprite\"/><title>Real</title>" + og), "Real");
    check_title(run("<math/><title>Real</title>"), "Real");
    // Another element whose name starts with "svg" is no <svg>.
    check_title(run("<svg-icon src=\"/cart.svg\"></svg-icon><title>Real</title>"), "Real");
    // A real one that is never closed still holds the rest of the page.
    CHECK_FALSE(run("<svg><title>Icon</title><title>Page?</title>").title);
    CHECK_FALSE(run("<svg viewBox=\"0 0 1 1\"><title>Icon</title>").title);
    // Nested ones are counted, comments in them passed over.
    check_title(run("<svg><svg></svg><title>Icon</title></svg><title>Real</title>"), "Real");
    check_title(run("<svg><svg/><title>Icon</title></svg><title>Real</title>"), "Real");
    check_title(run("<svg><!-- </svg> --><title>Icon</title></svg><title>Real</title>"), "Real");
    check_title(run("<svg><![CDATA[</svg>]]><title>Icon</title></svg><title>Real</title>"), "Real");
}

TEST_CASE("extractor: a MathML title is not the page title", "[extractor]") {
    check_title(run("<math><title>m</title></math><title>Real</title>"), "Real");
    check_title(run("<MATH display=\"block\"><mi>x</mi><title>m</title></MATH><title>Real</title>"), "Real");
    check_title(run("<body><math><title>m</title></math><meta property=\"og:title\" content=\"OG\">"), "OG");
    CHECK_FALSE(run("<math><title>m</title>").title);
    check_title(run("<main><mark>x</mark><title>Real</title></main>"), "Real");
}

TEST_CASE("extractor: the title element is a title tag, not a longer name", "[extractor]") {
    CHECK_FALSE(run("<body><titlebar-x>Menu</titlebar-x><h1>Widget</h1></body>").title);
    CHECK_FALSE(run("<title-bar>Menu</title-bar>").title);
    check_title(run("<title-bar>Menu</title-bar><title>Real</title>"), "Real");
    check_title(run("<titlebar-x>Menu</titlebar-x><meta property=\"og:title\" content=\"OG\">"), "OG");
    check_title(run("<title\n lang=en>Real</title >"), "Real");
    check_title(run("<title/>Real</title>"), "Real");
    check_title(run("<title data-x=\"a>b\">Real</title>"), "Real");
    check_title(run("<svg aria-label=\"a/>b\"><title>Icon</title></svg><title>Real</title>"), "Real");
    // Only its own end tag ends it.
    check_title(run("<title>A</titles> B</title>"), "A</titles> B");
    CHECK_FALSE(run("<title>never closed").title);
    CHECK_FALSE(run("<title no end of tag").title);
    check_title(run("<html><TITLE lang=en>Shop</Title>"), "Shop");
    check_title(run("<title>a</title><title>b</title>"), "a");
}

TEST_CASE("extractor: a title in a bogus comment is not the page title", "[extractor]") {
    // Outside foreign content "<![CDATA[" and "<?" open a bogus comment,
    // which ends at the first '>', as in browsers.
    check_title(run("<head><![CDATA[<title>Fake</title>]]><title>Real</title></head>"), "Real");
    check_title(run("<?php echo \"<title>Fake</title>\" ?><title>Real</title>"), "Real");
    check_title(run("<!DOCTYPE html><title>Real</title>"), "Real");
    // XHTML: a title's CDATA section is its text, as written.
    check_title(run("<?xml version=\"1.0\"?><html><head><title><![CDATA[A & B]]></title></head></html>"), "A & B");
    check_title(run("<title>x &amp; <![CDATA[a &amp; b]]> y</title>"), "x & a &amp; b y");
}

TEST_CASE("extractor: worth_extracting matches the media type in any case", "[extractor]") {
    CHECK(shoal::worth_extracting(""));
    CHECK(shoal::worth_extracting("text/html"));
    CHECK(shoal::worth_extracting("TEXT/HTML"));
    CHECK(shoal::worth_extracting("Text/Html; charset=utf-8"));
    CHECK(shoal::worth_extracting("TEXT/HTML; Charset=\"EUC-KR\""));
    CHECK(shoal::worth_extracting("application/XHTML+XML"));
    CHECK(shoal::worth_extracting("Application/JSON"));
    CHECK_FALSE(shoal::worth_extracting("image/png"));
    CHECK_FALSE(shoal::worth_extracting("IMAGE/PNG"));
}
