// Tests for rule files: TOML validation, host globs, and extraction with
// rules (fallbacks, all = true, named groups, value types, [items]).
#include "shoal/rules.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/extractor.hpp"
#include "shoal/price.hpp"

namespace {

using shoal::extraction;

std::unique_ptr<shoal::extractor> make(const std::string& toml) {
    return shoal::extractor::from_rules(shoal::parse_rule_file(toml, "test.toml"));
}

// The message of the setup_error that building an extractor from toml throws.
std::string error_of(const std::string& toml) {
    try {
        make(toml);
    } catch (const shoal::setup_error& e) {
        CHECK(e.code() == shoal::exit_code::usage);
        return e.what();
    }
    FAIL("no setup_error for: " << toml);
    return {};
}

std::string field(const extraction& e, const std::string& name) {
    for (const auto& [k, v] : e.fields)
        if (k == name) return v;
    FAIL("no field " << name);
    return {};
}

}  // namespace

TEST_CASE("rules: a minimal file", "[rules]") {
    auto f = shoal::parse_rule_file("[[rule]]\nname = \"title\"\npattern = '<h1>(.*?)</h1>'\n",
                                    "t.toml");
    REQUIRE(f.rules.size() == 1);
    CHECK(f.rules[0].type == shoal::value_type::text);
    CHECK_FALSE(f.rules[0].all);
    CHECK(f.items_from.empty());
}

TEST_CASE("rules: a rule named price defaults to type price", "[rules]") {
    auto f = shoal::parse_rule_file(
        "[[rule]]\nname = \"price\"\npattern = 'p(.)'\n"
        "[[rule]]\nname = \"price\"\npattern = 'q(.)'\ntype = \"price\"\n",
        "t.toml");
    CHECK(f.rules[0].type == shoal::value_type::price);
    CHECK(f.rules[1].type == shoal::value_type::price);
}

TEST_CASE("rules: title, price and currency rules give what the record holds, or are refused", "[rules]") {
    // The record's title is text, its price a price: these went to fields
    // under the name instead, as the README says they do not.
    CHECK(error_of("[[rule]]\nname = 'title'\npattern = '<h1>(.*?)</h1>'\ntype = 'number'\n") ==
          "test.toml: rule 'title': line 4: type = \"number\" cannot give the record's title, which is text "
          "(text, url or raw); give the rule another name to put its value in fields");
    CHECK_THAT(error_of("[[rule]]\nname = 'title'\npattern = '(x)'\ntype = 'price'\n"),
               Catch::Contains("type = \"price\" cannot give the record's title"));
    CHECK(error_of("[[rule]]\nname = 'price'\npattern = '<b>(.*?)</b>'\ntype = 'raw'\n") ==
          "test.toml: rule 'price': line 4: type = \"raw\" cannot give the record's price; leave 'type' out, or "
          "give the rule another name to put its value in fields");
    CHECK_THAT(error_of("[[rule]]\nname = 'price'\npattern = '(x)'\ntype = 'number'\n"),
               Catch::Contains("type = \"number\" cannot give the record's price"));
    CHECK_THAT(error_of("[[rule]]\nname = 'currency'\npattern = '(x)'\ntype = 'price'\n"),
               Catch::Contains("type = \"price\" cannot give the page's currency"));
    // A fallback of another type is refused too, whatever the first rule is.
    CHECK_THAT(error_of("[[rule]]\nname = 'title'\npattern = '<h1>(.*?)</h1>'\n"
                        "[[rule]]\nname = 'title'\npattern = '<h2>(.*?)</h2>'\ntype = 'number'\n"),
               Catch::Contains("rule 'title': line 7: type = \"number\""));
    // Named groups give an object per match.
    CHECK(error_of("[[rule]]\nname = 'price'\npattern = '(?P<amount>[0-9.]+) (?P<unit>[A-Z]+)'\n") ==
          "test.toml: rule 'price': line 3: named groups ((?P<amount>...)) give an object, which cannot be the record's "
          "price; use unnamed groups (...), or give the rule another name to put the objects in fields");
    CHECK_THAT(error_of("[[rule]]\nname = 'title'\npattern = '<h1>(?P<t>.*?)</h1>'\nall = true\n"),
               Catch::Contains("cannot be the record's title"));
    CHECK_THAT(error_of("[[rule]]\nname = 'currency'\npattern = 'cur=(?P<c>...)'\n"),
               Catch::Contains("cannot be the page's currency"));
    CHECK_THAT(error_of("[[rule]]\nname = 'price'\npattern = '(?P<p>x)'\ntypes = { p = 'price' }\n"),
               Catch::Contains("named groups ((?P<p>...))"));
    // What they can be: text, url or raw titles; unnamed and non-capturing groups.
    auto ex = make("[[rule]]\nname = 'title'\npattern = '<a href=\"(.*?)\"'\ntype = 'url'\n"
                   "[[rule]]\nname = 'price'\npattern = '(?:<b>|<i>)(.*?)<'\ntype = 'price'\n"
                   "[[rule]]\nname = 'currency'\npattern = 'cur=(...)'\ntype = 'raw'\n");
    auto e = ex->extract("<a href=\"/x\"> <i>12.00</i> cur=EUR", "", "http://shop.example/");
    CHECK(*e.title == "http://shop.example/x");
    CHECK(e.price->amount == "12.00");
    CHECK(e.price->currency == "EUR");
    CHECK(e.fields.empty());
    CHECK(ex->field_names().empty());
}

TEST_CASE("rules: malformed files name the file, the rule and the problem", "[rules]") {
    CHECK_THAT(error_of("[[rule]\nname = 'x'"), Catch::StartsWith("test.toml: line 1: "));
    CHECK_THAT(error_of(""), Catch::Contains("no [[rule]] tables"));
    CHECK_THAT(error_of("[[rule]]\npattern = '(x)'\n"),
               Catch::Contains("rule #1: line 1: needs a non-empty string 'name'"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\n"),
               Catch::Contains("rule 'a': line 1: needs a non-empty string 'pattern'"));
    // A name is a JSON key and a CSV column: no line break or tab in it.
    CHECK_THAT(error_of("[[rule]]\nname = \"two\\nlines\"\npattern = '(x)'\n"),
               Catch::Contains("rule #1: line 2: a name may not hold a control character"));
    CHECK_THAT(error_of("[[rule]]\nname = \"a\\tb\"\npattern = '(x)'\n"), Catch::Contains("control character"));
    CHECK(make("[[rule]]\nname = 'Preis, brutto \u20ac'\npattern = '(x)'\n")->field_names().size() == 1);
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\ntype = 'float'\n"),
               Catch::Contains("test.toml: rule 'a': line 4: type must be one of"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\npatern = 'y'\n"),
               Catch::Contains("unknown key 'patern'"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nall = 'yes'\n"),
               Catch::Contains("'all' must be"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\ncurrency = 'EURO'\n"),
               Catch::Contains("currency must be"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nhosts = 'x.com'\n"),
               Catch::Contains("'hosts' must be"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nhosts = ['http://x.com/']\n"),
               Catch::Contains("'hosts' entries"));
    CHECK_THAT(error_of("rule = 3\n"), Catch::Contains("[[rule]] tables"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\n[extra]\n"),
               Catch::Contains("unknown key 'extra'"));
    CHECK(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\n\n[[rule]]\nname = 'a'\npattern = "
                   "'(y)'\nall = true\n") ==
          "test.toml: rule 'a': line 5: rules sharing a name must agree on 'all' (the rule 'a' at line 1 has "
          "all = false, this one all = true)");
    // Fallbacks give one value: one type.
    CHECK(error_of("[[rule]]\nname = 'n'\npattern = '(x)'\ntype = 'number'\n[[rule]]\nname = 'n'\npattern = "
                   "'(y)'\n") ==
          "test.toml: rule 'n': line 5: rules sharing a name must agree on 'type' (the rule 'n' at line 1 gives "
          "number, this one text)");
    CHECK(error_of("[[rule]]\nname = 'o'\npattern = '(?P<a>x)'\n[[rule]]\nname = 'o'\npattern = '(y)'\n") ==
          "test.toml: rule 'o': line 4: rules sharing a name must agree on named groups (the rule 'o' at line 1 "
          "gives an object of named groups, this one a value)");
    CHECK_NOTHROW(shoal::parse_rule_file("[[rule]]\nname = 'n'\npattern = '(x)'\ntype = 'url'\n[[rule]]\n"
                                         "name = 'n'\npattern = '(y)'\ntype = 'url'\n", "test.toml"));
    // A name or pattern of the wrong kind: the line of the key, not of [[rule]].
    CHECK_THAT(error_of("[[rule]]\npattern = '(x)'\n\nname = 5\n"),
               Catch::Contains("rule #1: line 4: needs a non-empty string 'name'"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\n\npattern = ''\n"),
               Catch::Contains("rule 'a': line 4: needs a non-empty string 'pattern'"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nhosts = []\n"),
               Catch::Contains("'hosts' is empty"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\ncurrency = 'EUR'\n"),
               Catch::Contains("line 4: 'currency' is for prices that name none; this rule gives text"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(?<v>x)'\n"),
               Catch::Contains("line 3: RE2 does not take '(?<': write a named group as (?P<name>...)"));
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = \"(\\d+)\"\n"),
               Catch::Contains("literal strings"));
    // What stays allowed: currency on a price rule or a price group, an escaped "(?<".
    CHECK_NOTHROW(shoal::parse_rule_file("[[rule]]\nname = 'p'\npattern = '(x)'\ntype = 'price'\ncurrency = 'eur'\n",
                                         "test.toml"));
    CHECK_NOTHROW(shoal::parse_rule_file(
        "[[rule]]\nname = 'p'\npattern = '(?P<v>x)'\ntypes = { v = 'price' }\ncurrency = 'EUR'\n", "test.toml"));
    CHECK_NOTHROW(shoal::parse_rule_file("[[rule]]\nname = 'a'\npattern = '\\(?<(x)'\n", "test.toml"));
    // A group named price is a price by default: currency goes with it.
    auto offer = make(
        "[[rule]]\nname = 'offer'\npattern = '<b>(?P<name>[^<]*)</b> (?P<price>[^<]*)<'\ncurrency = 'EUR'\n");
    CHECK(field(offer->extract("<b>Mug</b> 12,50<"), "offer") == R"({"name":"Mug","price":{"amount":"12.50","currency":"EUR","raw":"12,50"}})");
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(?P<price>x)'\ntypes = { price = 'text' }\ncurrency = 'EUR'\n"),
               Catch::Contains("'currency' is for prices that name none"));
}

TEST_CASE("rules: a word boundary that TOML made a backspace is refused, naming the fix", "[rules]") {
    // In "...", TOML reads \b as 0x08: the word boundary would never match.
    CHECK(error_of("[[rule]]\nname = 'sku'\npattern = \"\\bSKU (\\\\d+)\"\n") ==
          "test.toml: rule 'sku': line 3: the pattern has a backspace (0x08), which is what TOML makes of \\b "
          "in a \"...\" string; for a word boundary write the pattern in single quotes '...', or write \\\\b");
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = \"\"\"(x)\\u0008\"\"\"\n"),
               Catch::Contains("backspace (0x08)"));
    // Written as RE2 should read it, \b is a word boundary.
    auto quoted = make("[[rule]]\nname = 'sku'\npattern = '\\bSKU (\\d+)'\n");
    auto escaped = make("[[rule]]\nname = 'sku'\npattern = \"\\\\bSKU (\\\\d+)\"\n");
    for (const auto* ex : {quoted.get(), escaped.get()}) {
        CHECK(field(ex->extract("XSKU 1 SKU 2"), "sku") == R"("2")");
    }
    // Escapes that mean to RE2 what TOML makes of them stay allowed.
    auto tab = make("[[rule]]\nname = 't'\npattern = \"a\\t(b)\\n\"\n");
    CHECK(field(tab->extract("a\tb\n"), "t") == R"("b")");
}

TEST_CASE("rules: a currency that is no ISO 4217 code is refused, naming it", "[rules]") {
    const std::string price_rule = "[[rule]]\nname = 'price'\npattern = '<b>(.*?)</b>'\n";
    CHECK(error_of(price_rule + "currency = 'UDS'\n") ==
          "test.toml: rule 'price': line 4: currency \"UDS\" is not an ISO 4217 code (such as \"EUR\", \"USD\", "
          "\"CNY\")");
    CHECK_THAT(error_of(price_rule + "currency = 'abc'\n"), Catch::Contains("currency \"abc\" is not an ISO 4217 code"));
    CHECK_THAT(error_of(price_rule + "currency = 'EURO'\n"), Catch::Contains("currency must be a 3-letter"));
    // Codes in any case, funds and metals included, and codes withdrawn lately.
    for (const auto& [code, iso] : std::vector<std::pair<std::string, std::string>>{
             {"usd", "USD"}, {"Eur", "EUR"}, {"KWD", "KWD"}, {"XAU", "XAU"}, {"CHW", "CHW"},
             {"ZWG", "ZWG"}, {"XCG", "XCG"}, {"HRK", "HRK"}, {"RUR", "RUB"}, {"nis", "ILS"}}) {
        INFO(code);
        CHECK(make(price_rule + "currency = '" + code + "'\n")->extract("<b>12.00</b>").price->currency == iso);
    }
    CHECK(shoal::is_iso_4217_code("CNY"));
    CHECK_FALSE(shoal::is_iso_4217_code("cny"));
    CHECK_FALSE(shoal::is_iso_4217_code("UDS"));
    CHECK_FALSE(shoal::is_iso_4217_code(""));
}

TEST_CASE("rules: [items] must name all = true rules", "[rules]") {
    const std::string a =
        "[[rule]]\nname = 'a'\npattern = '(x)'\nall = true\n[[rule]]\nname = 'b'\npattern = "
        "'(y)'\n";
    CHECK_THAT(error_of(a + "[items]\nfrom = ['a', 'c']\n"),
               Catch::Contains("[items]: line 9: 'from' names 'c', which no rule has"));
    // The line of the name, and of the rule it names.
    CHECK_THAT(error_of(a + "[items]\nfrom = [\n'a',\n'b']\n"),
               Catch::Contains("[items]: line 11: 'from' names 'b', which is not an `all = true` rule (line 5)"));
    CHECK_THAT(error_of(a + "[[rule]]\nname = 'items'\npattern = '(z)'\n[items]\nfrom = ['a']\n"),
               Catch::Contains("a rule is named 'items' (line 8), which [items] writes"));
    CHECK_THAT(error_of(a + "[items]\nfrom = []\n"), Catch::Contains("needs 'from'"));
    CHECK_THAT(error_of(a + "[items]\nfrom = ['a']\nkeep = true\n"),
               Catch::Contains("unknown key 'keep'"));
}

TEST_CASE("rules: a bad regex is reported with RE2's message", "[rules]") {
    CHECK(error_of("[[rule]]\nname = 'price'\npattern = '<span>(.*?</span>'\n") ==
          "test.toml: rule 'price': line 3: missing ): <span>(.*?</span>");
    CHECK(error_of("[[rule]]\nname = 'x'\npattern = '<span>'\n") ==
          "test.toml: rule 'x': line 3: the pattern has no capture group: put the value in (...)");
    CHECK_THAT(error_of("[[rule]]\nname = 'x'\npattern = '(?P<a>.)'\ntypes = { b = 'number' }\n"),
               Catch::Contains("'types' names group 'b'"));
}

TEST_CASE("rules: a group name used twice is refused, naming the rule and the group", "[rules]") {
    // RE2 compiles it and keeps only the leftmost group under the name.
    CHECK(error_of("[[rule]]\nname = 'offer'\npattern = '(?P<price>\\$\\d+)|(?P<price>\\d+ EUR)'\n") ==
          "test.toml: rule 'offer': line 3: the pattern has more than one group named 'price': give each its own "
          "name, or put alternatives in one group, (?P<price>a|b)");
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\n[[rule]]\nname = 'b'\n"
                        "pattern = '(?P<n>.)(?P<m>.)(?P<n>.)'\n"),
               Catch::Contains("rule 'b': line 6: the pattern has more than one group named 'n'"));
    // One name per group is fine.
    CHECK(make("[[rule]]\nname = 'b'\npattern = '(?P<n>.)(?P<m>.)(.)'\n")->field_names().size() == 1);
}

TEST_CASE("rules: an unreadable rule file is a usage error", "[rules]") {
    try {
        shoal::extractor::from_file("/nonexistent/rules.toml");
        FAIL("no error");
    } catch (const shoal::setup_error& e) {
        CHECK(e.code() == shoal::exit_code::usage);
        CHECK(std::string(e.what()) ==
              "/nonexistent/rules.toml: cannot read the rule file: No such file or directory");
    }
    try {
        shoal::extractor::from_file("-");
        FAIL("no error");
    } catch (const shoal::setup_error& e) {
        CHECK(std::string(e.what()) == "-: a rule file is named by its path (rules on stdin: --rules /dev/stdin)");
    }
    try {
        shoal::extractor::from_file("/tmp");
        FAIL("no error");
    } catch (const shoal::setup_error& e) {
        CHECK(e.code() == shoal::exit_code::usage);
        CHECK(std::string(e.what()) == "/tmp: is a directory, not a rule file");
    }
}

TEST_CASE("rules: host globs", "[rules]") {
    using shoal::host_matches;
    CHECK(host_matches("*.dangdang.com", "search.dangdang.com"));
    CHECK(host_matches("*.dangdang.com", "a.b.dangdang.com"));
    CHECK(host_matches("*.dangdang.com", "dangdang.com"));
    CHECK(host_matches("*.dangdang.com", "Search.DangDang.com"));
    CHECK_FALSE(host_matches("*.dangdang.com", "notdangdang.com"));
    CHECK_FALSE(host_matches("*.dangdang.com", "dangdang.com.evil.org"));
    CHECK(host_matches("shop.example.com", "shop.example.com"));
    CHECK_FALSE(host_matches("shop.example.com", "www.shop.example.com"));
    CHECK(host_matches("*", "anything.org"));
    CHECK(host_matches("shop*.example.*", "shop2.example.de"));
    CHECK(host_matches("127.0.0.*", "127.0.0.1"));
    CHECK(shoal::hosts_allow({}, "x.org"));
    CHECK_FALSE(shoal::hosts_allow({"a.org", "*.b.org"}, "x.org"));
    CHECK(shoal::hosts_allow({"a.org", "*.b.org"}, "www.b.org"));
}

TEST_CASE("rules: a NUL in the record's title is U+FFFD whatever the rule's type, raw fields keep it",
          "[rules]") {
    auto ex = make("[[rule]]\nname = 'title'\npattern = '<title>(.*?)</title>'\ntype = 'raw'\n"
                   "[[rule]]\nname = 'raw'\npattern = '<b>(.*?)</b>'\ntype = 'raw'\n");
    const char bytes[] = "<title>Widget\0Pro</title><b>a\0b</b>";
    const std::string page(bytes, sizeof bytes - 1);  // NULs and all
    auto e = ex->extract(page);
    REQUIRE(e.title);
    CHECK(*e.title == "Widget\uFFFDPro");  // as CSV writes it: one run diffs alike in both formats
    CHECK(field(e, "raw") == "\"a\\u0000b\"");  // the captured bytes unchanged
}

TEST_CASE("rules: fallbacks are tried in order until one gives a value", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "title"
pattern = '(?s)<h1>(.*?)</h1>'
[[rule]]
name = "title"
pattern = '(?is)<title>(.*?)</title>'
)toml");
    CHECK(*ex->extract("<title>T</title><h1>  Big &amp; <b>bold</b>\n</h1>").title == "Big & bold");
    CHECK(*ex->extract("<title>\n T\n</title><h1> </h1>").title == "T");
    CHECK_FALSE(ex->extract("<p>nothing</p>").title);
    CHECK(ex->extract("<h1>x</h1>").fields.empty());
    CHECK(ex->field_names().empty());
}

TEST_CASE("rules: all = true gives arrays in page order, zipped into items", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "title"
pattern = '<a title="(.*?)"'
all = true
[[rule]]
name = "price"
pattern = '<b>(.*?)</b>'
all = true
currency = "cny"
[items]
from = ["title", "price"]
)toml");
    REQUIRE(ex->field_names() == std::vector<std::string>{"title", "price", "items"});
    auto e =
        ex->extract(R"(<a title="One"><b>¥59.00</b> <a title="Two"><b>n/a</b> <a title="Three">)");
    CHECK(*e.title == "One");
    CHECK(e.price->amount == "59.00");
    CHECK(e.price->currency == "CNY");
    REQUIRE(e.fields.size() == 3);
    CHECK(field(e, "title") == R"(["One","Two","Three"])");
    CHECK(field(e, "price") == R"([{"amount":"59.00","currency":"CNY","raw":"¥59.00"},null])");
    // The shortest array decides the number of items; a value that does not
    // parse stays in its place as null.
    CHECK(
        field(e, "items") ==
        R"([{"title":"One","price":{"amount":"59.00","currency":"CNY","raw":"¥59.00"}},{"title":"Two","price":null}])");

    auto none = ex->extract("<p>empty</p>");
    CHECK_FALSE(none.title);
    CHECK_FALSE(none.price);
    CHECK(field(none, "title") == "[]");
    CHECK(field(none, "items") == "[]");
}

TEST_CASE("rules: value types", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "rating"
pattern = 'rating">(.*?)<'
type = "number"
[[rule]]
name = "reviews"
pattern = 'reviews">(.*?)<'
type = "number"
[[rule]]
name = "link"
pattern = 'href="(.*?)"'
type = "url"
all = true
[[rule]]
name = "html"
pattern = '(?s)<div id="d">(.*?)</div>'
type = "raw"
[[rule]]
name = "name"
pattern = '(?s)<div id="d">(.*?)</div>'
[[rule]]
name = "missing"
pattern = '<blink>(.*?)</blink>'
)toml");
    const std::string page =
        R"(<span class="rating">4.50 out of 5</span><span class="reviews">1,234 reviews</span>
<a href=" /p/2.html?a=1&amp;b=2 "><a href="https://other.org/x"><a href="../up.html">
<div id="d"> A &amp; <i>B</i> </div>)";
    auto e = ex->extract(page, "", "https://shop.example.com/list/page.html");
    CHECK(field(e, "rating") == "4.50");
    CHECK(field(e, "reviews") == "1234");
    CHECK(
        field(e, "link") ==
        R"(["https://shop.example.com/p/2.html?a=1&b=2","https://other.org/x","https://shop.example.com/up.html"])");
    CHECK(field(e, "html") == R"(" A &amp; <i>B</i> ")");
    CHECK(field(e, "name") == R"("A & B")");
    CHECK(field(e, "missing") == "null");
    CHECK_FALSE(e.title);

    // Without a page URL, url values stay as written (decoded and trimmed).
    auto offline = ex->extract(page);
    CHECK_THAT(field(offline, "link"), Catch::StartsWith(R"(["/p/2.html?a=1&b=2",)"));
}

TEST_CASE("rules: url values follow the page's <base href>, and one no browser could follow is null", "[rules]") {
    auto ex = make("[[rule]]\nname = 'link'\npattern = '<a href=\"([^\"]*)\"'\ntype = 'url'\nall = true\n"
                   "[[rule]]\nname = 'item'\npattern = '<i href=\"(?P<to>[^\"]*)\"'\ntypes = { to = 'url' }\n");
    const std::string links = R"(<a href="p/2.html"><a href="/wiki/File:X.png"><a href="mailto:a@b.example">)"
                              R"(<a href="http://[bad/x"><a href="https://exa mple.com/"><i href="q.html">)";
    // The base element, relative to the page's URL; its entities decoded.
    auto based = ex->extract("<head><!-- <base href=\"/not/\"> --><BASE target=_top HREF='/shop/v2/?a=1&amp;b=2'>"
                             "</head>" + links,
                             "", "https://shop.example.com/list/page.html");
    CHECK(field(based, "link") ==
          R"(["https://shop.example.com/shop/v2/p/2.html","https://shop.example.com/wiki/File:X.png",)"
          R"("mailto:a@b.example",null,null])");
    CHECK(field(based, "item") == R"({"to":"https://shop.example.com/shop/v2/q.html"})");
    // Unquoted, and another host's.
    auto other = ex->extract("<base href=https://cdn.example.org/a/>" + links, "", "https://shop.example.com/");
    CHECK_THAT(field(other, "link"), Catch::StartsWith(R"(["https://cdn.example.org/a/p/2.html",)"));
    // Without one, the page's URL; a <base> without href or with one that is no http(s) URL counts for nothing.
    for (const std::string head : {"", "<base target=\"_blank\">", "<base href=\"javascript:x\">"}) {
        INFO(head);
        auto plain = ex->extract(head + links, "", "https://shop.example.com/list/page.html");
        CHECK_THAT(field(plain, "link"), Catch::StartsWith(R"(["https://shop.example.com/list/p/2.html",)"));
    }
    // Without a page URL, an absolute <base href> still resolves; relative values otherwise stay as written.
    CHECK_THAT(field(ex->extract("<base href=\"https://b.example/d/\">" + links), "link"),
               Catch::StartsWith(R"(["https://b.example/d/p/2.html",)"));
    CHECK(field(ex->extract(links), "link") ==
          R"(["p/2.html","/wiki/File:X.png","mailto:a@b.example",null,null])");
    // An absolute one is read as with a page URL: a raw space in its path is encoded.
    CHECK(field(ex->extract(R"(<a href="http://shop.example/my image.jpg">)"), "link") ==
          R"(["http://shop.example/my%20image.jpg"])");
    CHECK(field(ex->extract(R"(<a href="//cdn.example/x.js">)"), "link") == R"(["//cdn.example/x.js"])");
}

TEST_CASE("rules: a query string in an attribute keeps its ampersands and a wrapped href its path", "[rules]") {
    auto ex = make("[[rule]]\nname = 'link'\npattern = '<a href=\"([^\"]*)\"'\ntype = 'url'\nall = true\n"
                   "[[rule]]\nname = 'alt'\npattern = 'alt=\"([^\"]*)\"'\n"
                   "[[rule]]\nname = 'text'\npattern = '<p>(.*?)</p>'\n");
    // "&reg", "&para", "&sect", "&curren" and "&times" start these names:
    // in an attribute a browser leaves them, in text it reads them. In an
    // href, tabs and line breaks are dropped, spaces kept (as a browser).
    auto e = ex->extract("<a href=\"/s?q=tv&region=us&param=1&section=2&currency=EUR&times=3\">"
                         "<a href=\"/p/\n  q\t.html \"><a href=\"\n /wrapped/\r\n  path.html\">"
                         "<img alt=\"a=1&copy=2 &copy 2024\"><p>&region &copy2024</p>",
                         "", "http://shop.example/");
    CHECK(field(e, "link") == R"(["http://shop.example/s?q=tv&region=us&param=1&section=2&currency=EUR&times=3",)"
                              R"("http://shop.example/p/%20%20q.html","http://shop.example/wrapped/%20%20path.html"])");
    CHECK(field(e, "alt") == "\"a=1&copy=2 \u00A9 2024\"");
    CHECK(field(e, "text") == "\"\u00AEion \u00A92024\"");
    // A URL in a script (JSON) is decoded as in an attribute: no "&region".
    auto json_link = make("[[rule]]\nname = 'link'\npattern = '\"link\":\"([^\"]*)\"'\ntype = 'url'\n");
    auto script = json_link->extract("<script>{\"link\":\"/j?x=1&region=us\"}</script>", "", "http://shop.example/");
    CHECK(field(script, "link") == R"("http://shop.example/j?x=1&region=us")");
    // og:title is an attribute too.
    auto t = shoal::extractor::builtin().extract("<meta property=\"og:title\" content=\"Ben &amp; Jerry &copy=2\">");
    CHECK(t.title == "Ben & Jerry &copy=2");
}

TEST_CASE("rules: numbers are exact decimals", "[rules]") {
    auto ex = make("[[rule]]\nname = 'n'\npattern = '<n>(.*?)</n>'\ntype = 'number'\n");
    auto n = [&](const std::string& s) { return field(ex->extract("<n>" + s + "</n>"), "n"); };
    CHECK(n("12345678901234567890.12345678901234567890") ==
          "12345678901234567890.12345678901234567890");
    CHECK(n("007") == "7");
    CHECK(n("0.50") == "0.50");
    CHECK(n("-3 degrees") == "-3");
    CHECK(n("about 12,500,000 sold") == "12500000");
    // Narrow no-break and thin spaces (French), apostrophes (Swiss) group too.
    CHECK(n("12\u202F345,50") == "12345.50");
    CHECK(n("1\u2009000\u2009000") == "1000000");
    CHECK(n("1'234'567.89") == "1234567.89");
    CHECK(n("1\u2019234") == "1234");
    CHECK(n("12\u2007345") == "12345");
    CHECK(n("it's 5") == "5");
    CHECK(n("1,23") == "1.23");  // a decimal comma: ',' starts no group of three
    // Lakh and crore grouping, as prices read it.
    CHECK(n("1,23,456") == "123456");
    CHECK(n("12,34,56,789.50") == "123456789.50");
    CHECK(n("1,23,45") == "1.23");  // no group of three at the end: a decimal comma, then another number
    // Digits of other scripts read as prices read them: full-width, Arabic-Indic, Devanagari.
    CHECK(n("\uFF11\uFF12\uFF13\uFF14 \u4EF6") == "1234");
    CHECK(n("\u0663\u066B\u0665") == "3.5");
    CHECK(n("\u0967\u0968") == "12");
    CHECK(n("4,7/5") == "4.7");
    CHECK(n("1,234") == "1234");
    CHECK(n("12 345 items") == "12345");
    CHECK(n("2024 123") == "2024");  // a year, then another number
    CHECK(n("1.234.567") == "1234567");
    CHECK(n("1.234,56") == "1234.56");
    CHECK(n("1,234.56") == "1234.56");
    CHECK(n("0.500") == "0.500");
    CHECK(n("1.234") == "1.234");  // a lone '.' group stays a decimal point, as before
    CHECK(n("5.") == "5");
    CHECK(n(".99") == "0.99");  // a fraction alone, not 99
    CHECK(n("Rating .5 of 5") == "0.5");
    CHECK(n("-.5") == "-0.5");
    CHECK(n(",5") == "0.5");  // a decimal comma's fraction alone
    CHECK(n("-,25") == "-0.25");
    CHECK(n("item,5") == "5");  // a comma after a word separates
    CHECK(n("caf\u00e9,5") == "5");  // a word of non-ASCII letters too
    CHECK(n("-.0") == "0");
    CHECK(n("\u22123 degrees") == "-3");  // U+2212 MINUS SIGN
    CHECK(n("\u2212.5") == "-0.5");
    CHECK(n("v1.2") == "1.2");
    CHECK(n("none") == "null");
}

TEST_CASE("rules: named groups give an object per match", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "products"
pattern = '(?s)<li><a href="(?P<link>[^"]*)">(?P<name>.*?)</a> <b>(?P<price>.*?)</b> (?P<stock>\d+) left'
all = true
types = { link = "url", stock = "number" }
)toml");
    auto e = ex->extract(
        R"(<li><a href="/a">Axe</a> <b>$5.00</b> 3 left</li><li><a href="/b">Bow</a> <b>?</b> 0 left</li>)",
        "", "http://127.0.0.1:8080/shop/");
    CHECK(
        field(e, "products") ==
        R"([{"link":"http://127.0.0.1:8080/a","name":"Axe","price":{"amount":"5.00","currency":"USD","raw":"$5.00"},"stock":3},)"
        R"({"link":"http://127.0.0.1:8080/b","name":"Bow","price":null,"stock":0}])");
    CHECK_FALSE(e.price);
}

TEST_CASE("rules: currency from the rule, the page, then the caller", "[rules]") {
    const std::string price_rule = "[[rule]]\nname = 'price'\npattern = '<b>(.*?)</b>'\n";
    const std::string currency_rule =
        "[[rule]]\nname = 'currency'\npattern = 'currency=\"(...)\"'\n";
    auto plain = make(price_rule + currency_rule);
    CHECK(plain->extract("<b>12.00</b>").price->currency.empty());
    CHECK(plain->extract("<b>12.00</b>", "JPY").price->currency == "JPY");
    CHECK(plain->extract("<b>12.00</b> currency=\"eur\"", "JPY").price->currency == "EUR");
    CHECK(plain->extract("<b>£12.00</b> currency=\"eur\"").price->currency ==
          "GBP");                         // the text's own symbol wins
    CHECK(plain->field_names().empty());  // "currency" is a hint, not a field
    // A page's code that is not ISO 4217 declares nothing: the caller's stands.
    CHECK(plain->extract("<b>12.00</b> currency=\"BTC\"", "JPY").price->currency == "JPY");
    CHECK(plain->extract("<b>12.00</b> currency=\"rur\"", "JPY").price->currency == "RUB");
    auto with_hint = make(price_rule + "currency = 'CHF'\n" + currency_rule);
    CHECK(with_hint->extract("<b>12.00</b> currency=\"eur\"", "JPY").price->currency == "CHF");
}

TEST_CASE("rules: hosts restrict rules when the page URL is known", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "title"
pattern = '<h2>(.*?)</h2>'
hosts = ["*.dangdang.com"]
[[rule]]
name = "title"
pattern = '<h1>(.*?)</h1>'
)toml");
    const std::string page = "<h1>generic</h1><h2>shop</h2>";
    CHECK(*ex->extract(page, "", "http://search.dangdang.com/?key=x").title == "shop");
    CHECK(*ex->extract(page, "", "http://dangdang.com/").title == "shop");
    CHECK(*ex->extract(page, "", "http://example.org/").title == "generic");
    CHECK(*ex->extract(page).title == "shop");  // no page URL: hosts are not checked
}

TEST_CASE("rules: hosts globs match as URL hosts are normalised, a final dot left out", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "title"
pattern = '<h2>(.*?)</h2>'
hosts = ["bücher.example", "*.Straße.example", "shop.example.org.", "*.dot.example"]
[[rule]]
name = "title"
pattern = '<h1>(.*?)</h1>'
)toml");
    const std::string page = "<h1>generic</h1><h2>shop</h2>";
    auto title = [&](const std::string& url) { return *ex->extract(page, "", url).title; };
    // URLs hold hosts in punycode, lower case: a glob written in Unicode matches them.
    CHECK(title("http://xn--bcher-kva.example/") == "shop");
    CHECK(title("http://BÜCHER.example/") == "shop");
    CHECK(title("http://www.xn--strae-oqa.example/") == "shop");
    CHECK(title("http://xn--strae-oqa.example/") == "shop");
    // The root's dot, on the host or on the glob, changes nothing.
    CHECK(title("http://xn--bcher-kva.example./") == "shop");
    CHECK(title("http://shop.example.org/") == "shop");
    CHECK(title("http://shop.example.org./") == "shop");
    CHECK(title("http://a.dot.example./") == "shop");
    CHECK(title("http://dot.example./") == "shop");
    CHECK(title("http://bucher.example/") == "generic");
    CHECK(title("http://shop.example.org.evil.example/") == "generic");
}

TEST_CASE("rules: a hosts entry may be an IPv6 address in brackets, in any of its forms", "[rules]") {
    auto ex = make("[[rule]]\nname = 'title'\npattern = '<h2>(.*?)</h2>'\nhosts = ['[0:0:0:0:0:0:0:1]', "
                   "'[2001:DB8::A]']\n[[rule]]\nname = 'title'\npattern = '<h1>(.*?)</h1>'\n");
    const std::string page = "<h1>generic</h1><h2>local</h2>";
    auto title = [&](const std::string& url) { return *ex->extract(page, "", url).title; };
    CHECK(title("http://[::1]:8080/") == "local");
    CHECK(title("http://[2001:db8:0::a]/x") == "local");
    CHECK(title("http://[::2]/") == "generic");
    CHECK(title("http://127.0.0.1/") == "generic");
    CHECK_THAT(error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nhosts = ['[::g]']\n"),
               Catch::Contains("the address in brackets is not an IPv6 address"));
}

TEST_CASE("rules: a hosts glob that cannot be a host name is refused, saying why", "[rules]") {
    auto hosts = [](const std::string& list) {
        return error_of("[[rule]]\nname = 'a'\npattern = '(x)'\nhosts = [" + list + "]\n");
    };
    CHECK(hosts("'a..example'") ==
          "test.toml: rule 'a': line 4: 'hosts' entries must be host names or globs like \"*.example.com\": "
          "\"a..example\" is none (the host name has an empty label (a '.' first, or two in a row))");
    CHECK_THAT(hosts("'example.com..'"), Catch::Contains("empty label"));
    CHECK_THAT(hosts("'.'"), Catch::Contains("the host name is empty"));
    CHECK_THAT(hosts("''"), Catch::Contains("the host name is empty"));
    CHECK_THAT(hosts("'*.exa mple.com'"), Catch::Contains("spaces or control characters"));
    CHECK_THAT(hosts("'x.com:8080'"), Catch::Contains("cannot have: ':'"));
    CHECK_THAT(hosts("'*.x.com/'"), Catch::Contains("cannot have: '/'"));
    CHECK_THAT(hosts("'shop<1>.example'"), Catch::Contains("cannot have: '<'"));
    CHECK_THAT(hosts("'bü*.example'"), Catch::Contains("a label with '*' must be ASCII"));
    CHECK_THAT(hosts("'1.2.3.4.5'"), Catch::Contains("not a valid IPv4 address"));
    CHECK_THAT(hosts("'xn--zz.example'"), Catch::Contains("not valid Punycode"));
    CHECK_THAT(hosts("'a.example', 3"), Catch::Contains("'hosts' entries must be host names"));
}

TEST_CASE("rules: hosts globs are kept normalised", "[rules]") {
    auto glob = [](std::string_view g) {
        std::string why;
        std::string out = shoal::normalise_host_glob(g, why);
        CHECK(why.empty());
        return out;
    };
    CHECK(glob("Bücher.Example.") == "xn--bcher-kva.example");
    CHECK(glob("*.bücher.example") == "*.xn--bcher-kva.example");
    CHECK(glob("SHOP*.Example.*") == "shop*.example.*");
    CHECK(glob("127.0.0.*") == "127.0.0.*");
    CHECK(glob("2130706433") == "127.0.0.1");  // as a URL's host reads it
    CHECK(glob("*") == "*");
    CHECK(glob("*.") == "*");
    CHECK(shoal::host_matches("example.com", "EXAMPLE.com."));
    CHECK(shoal::host_matches("example.com.", "example.com"));
    CHECK_FALSE(shoal::host_matches("example.com", "example.com.."));
}

TEST_CASE("rules: alternation groups take the group that matched", "[rules]") {
    auto ex = make(R"toml(
[[rule]]
name = "title"
pattern = '''content=(?:"([^"]*)"|'([^']*)')'''
)toml");
    CHECK(*ex->extract("<meta content='single'>").title == "single");
    CHECK(*ex->extract("<meta content=\"double\">").title == "double");
}

TEST_CASE("rules: empty matches and many matches stay bounded", "[rules]") {
    auto ex = make("[[rule]]\nname = 'x'\npattern = '(a*)'\nall = true\ntype = 'raw'\n");
    auto e = ex->extract("baab€");
    CHECK(field(e, "x") ==
          R"([null,"aa",null,null,null])");  // as findall: one empty match at the end
    std::string big(30000, 'a');
    auto many =
        make("[[rule]]\nname = 'x'\npattern = '(a)'\nall = true\ntype = 'raw'\n")->extract(big);
    const std::string xs = field(many, "x");
    CHECK(std::count(xs.begin(), xs.end(), ',') == 9999);
}

TEST_CASE("rules: non-UTF-8 capture bytes still give valid JSON", "[rules]") {
    auto ex = make("[[rule]]\nname = 'x'\npattern = '<x>(\\C*?)</x>'\ntype = 'raw'\n");
    CHECK(field(ex->extract("<x>a\xff"
                            "b</x>"),
                "x") ==
          "\"a\xEF\xBF\xBD"
          "b\"");
}
