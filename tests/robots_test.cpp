// Tests for robots_rules: group selection, longest match, wildcards, the end
// anchor, percent-encoding and malformed files (RFC 9309 and its examples).
#include "shoal/robots.hpp"

#include <catch2/catch.hpp>

#include <string>

using shoal::robots_rules;
using shoal::robots_token;

namespace {

bool allowed(const std::string& text, const std::string& target, const std::string& token = "shoal") {
    return robots_rules::parse(text, token).check(target).allowed;
}

}  // namespace

TEST_CASE("robots: the product token comes from the User-Agent", "[robots]") {
    CHECK(robots_token("shoal/0.1") == "shoal");
    CHECK(robots_token("Price-Bot_2 (+https://example.com/bot)") == "Price-Bot_2");
    CHECK(robots_token("Mozilla/5.0 (X11; Linux x86_64)") == "Mozilla");
    CHECK(robots_token("(compatible; x)") == "");
    CHECK(robots_token("") == "");
}

TEST_CASE("robots: the groups naming the token apply, else the * groups, else none", "[robots]") {
    const std::string text =
        "User-agent: *\n"
        "Disallow: /\n"
        "\n"
        "User-agent: Shoal\n"
        "Disallow: /private\n";
    // The named group replaces the * group, whatever the case of the name.
    CHECK(allowed(text, "/p/1.html"));
    CHECK_FALSE(allowed(text, "/private/1.html"));
    CHECK(allowed(text, "/private/1.html", "otherbot") == false);
    CHECK_FALSE(allowed(text, "/p/1.html", "otherbot"));
    // An agent line names the token by its own leading token: "shoal/2.0" names shoal.
    CHECK_FALSE(allowed("User-agent: shoal/2.0\nDisallow: /x\n", "/x"));
    CHECK(allowed("User-agent: shoalx\nDisallow: /x\n", "/x"));
    // No group for the token and no * group: everything is allowed.
    CHECK(allowed("User-agent: otherbot\nDisallow: /\n", "/p/1.html"));
    // A named group without rules allows everything, even beside a * group.
    CHECK(allowed("User-agent: shoal\n\nUser-agent: otherbot\nDisallow: /\n"
                  "User-agent: *\nDisallow: /\n",
                  "/p", "shoal") == false);  // consecutive agent lines form one group
    CHECK(allowed("User-agent: shoal\nAllow: /\n\nUser-agent: *\nDisallow: /\n", "/p"));
    // An empty token (a User-Agent that starts with no token) only matches *.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /\n", "/p", ""));
}

TEST_CASE("robots: groups for one agent are merged, and several agents share a group", "[robots]") {
    const std::string text =
        "User-agent: a\n"
        "User-agent: shoal\n"
        "Disallow: /one\n"
        "\n"
        "User-agent: b\n"
        "Disallow: /two\n"
        "\n"
        "User-agent: shoal\n"
        "Disallow: /three\n";
    CHECK_FALSE(allowed(text, "/one"));
    CHECK(allowed(text, "/two"));
    CHECK_FALSE(allowed(text, "/three"));
    CHECK_FALSE(allowed(text, "/one", "a"));
    CHECK(allowed(text, "/three", "a"));
}

TEST_CASE("robots: the longest matching pattern decides, allow winning a tie", "[robots]") {
    const std::string text =
        "User-agent: *\n"
        "Disallow: /shop\n"
        "Allow: /shop/p/\n"
        "Disallow: /shop/p/secret\n"
        "Allow: /tie\n"
        "Disallow: /tie\n";
    CHECK_FALSE(allowed(text, "/shop"));
    CHECK_FALSE(allowed(text, "/shop/cart"));
    CHECK(allowed(text, "/shop/p/1.html"));
    CHECK_FALSE(allowed(text, "/shop/p/secret.html"));
    CHECK(allowed(text, "/tie/x"));
    CHECK(allowed(text, "/other"));
    const auto v = robots_rules::parse(text, "shoal").check("/shop/p/secret.html");
    CHECK(v.rule == "Disallow: /shop/p/secret");
    CHECK(robots_rules::parse(text, "shoal").check("/other").rule.empty());
}

TEST_CASE("robots: * matches any run of bytes and a last $ the end of the path", "[robots]") {
    const std::string text =
        "User-agent: *\n"
        "Disallow: /*.pdf$\n"
        "Disallow: /*/print/*\n"
        "Disallow: /search*q=\n"
        "Disallow: /exact$\n"
        "Allow: /$\n"
        "Disallow: /\n";
    // Only the root is allowed by "/$"; everything else falls to "Disallow: /"
    // or a longer rule.
    CHECK(allowed(text, "/"));
    CHECK_FALSE(allowed(text, "/index.html"));
    const std::string open = "User-agent: *\nDisallow: /*.pdf$\nDisallow: /*/print/*\n"
                             "Disallow: /search*q=\nDisallow: /exact$\n";
    CHECK_FALSE(allowed(open, "/docs/a.pdf"));
    CHECK(allowed(open, "/docs/a.pdf?download=1"));
    CHECK(allowed(open, "/docs/a.pdfx"));
    CHECK_FALSE(allowed(open, "/a/print/b"));
    CHECK(allowed(open, "/print/b"));
    CHECK_FALSE(allowed(open, "/search?lang=en&q=shoes"));
    CHECK(allowed(open, "/search?lang=en"));
    CHECK_FALSE(allowed(open, "/exact"));
    CHECK(allowed(open, "/exact/more"));
    // Patterns are matched from the start of the path only.
    CHECK(allowed("User-agent: *\nDisallow: /private\n", "/public/private"));
    // A pattern of stars and a $ in the middle: the $ is a plain byte there.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /**a**b\n", "/xxaxxbxx"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a$b\n", "/a$b/c"));
    CHECK(allowed("User-agent: *\nDisallow: /*ab$\n", "/ab/x"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /*ab$\n", "/xabab"));
}

TEST_CASE("robots: paths and patterns meet percent-encoded", "[robots]") {
    // RFC 9309 2.2.2: a UTF-8 pattern matches the path's %-escapes, escapes
    // compare in either case, and an escaped unreserved ASCII character
    // (letters, digits, - . _ ~) is that character, in a pattern or a path.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo/bar/\xE3\x83\x84\n", "/foo/bar/%E3%83%84"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo/bar/%e3%83%84\n", "/foo/bar/%E3%83%84"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /b%C3%BCcher\n", "/b%c3%bccher/1"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/baz"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo/bar/%62%61%7A\n", "/foo/bar/%62%61%7A"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /private\n", "/%70rivate.html"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /private\n", "/pr%69%76ate"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a-b.c_d~e\n", "/a%2Db%2ec%5Fd%7Ee"));
    // A reserved character's escape is not that character: %2F is not a /.
    CHECK(allowed("User-agent: *\nDisallow: /a/b\n", "/a%2Fb"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a%2fb\n", "/a%2Fb"));
    CHECK(allowed("User-agent: *\nDisallow: /a%2Fb\n", "/a/b"));
    // A %25 stays an escaped %: /%2570 is not /p.
    CHECK(allowed("User-agent: *\nDisallow: /p\n", "/%2570"));
    // RFC 9309 2.2.3: %2A and %24 in a pattern are a literal * and $.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /file-with-a-%2A.html\n", "/file-with-a-*.html"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /file-with-a-%2A.html\n", "/file-with-a-%2A.html"));
    CHECK(allowed("User-agent: *\nDisallow: /file-with-a-%2A.html\n", "/file-with-a-x.html"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo-%24\n", "/foo-$"));
    CHECK(allowed("User-agent: *\nDisallow: /foo-%24\n", "/foo-"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /foo-*$\n", "/foo-$"));
    // Paths are case-sensitive.
    CHECK(allowed("User-agent: *\nDisallow: /Private\n", "/private"));
}

TEST_CASE("robots: the file's shape: comments, CR and CRLF, keys in any case, junk lines",
          "[robots]") {
    const std::string text =
        "\xEF\xBB\xBF# a comment line\r\n"
        "Sitemap: https://example.com/sitemap.xml\r"
        "USER-AGENT : * # every crawler\r\n"
        "crawl-delay: 10\n"
        "this line is not a record\n"
        "dIsAlLoW:/nocolonspace\n"
        "Disallow:    \n"  // empty: matches nothing
        "Disallow: /a # trailing comment\n"
        "Disallow: noslash\n";
    CHECK_FALSE(allowed(text, "/nocolonspace"));
    CHECK_FALSE(allowed(text, "/a/b"));
    CHECK(allowed(text, "/b"));
    CHECK_FALSE(allowed(text, "/noslash"));  // read as /noslash
    CHECK(robots_rules::parse(text, "shoal").size() == 3);
    // Rules before any user-agent line belong to no group.
    CHECK(allowed("Disallow: /\nUser-agent: *\nDisallow: /x\n", "/p"));
    // Binary junk and an empty file allow everything; /robots.txt itself always is.
    CHECK(allowed(std::string("\x00\xff\xfe:\x01\n", 6), "/p"));
    CHECK(allowed("", "/p"));
    CHECK(allowed("User-agent: *\nDisallow: /\n", "/robots.txt"));
    CHECK(robots_rules().check("/anything").allowed);
}

TEST_CASE("robots: only the first parse_limit bytes are read", "[robots]") {
    std::string text = "User-agent: *\nDisallow: /early\n";
    text.append(robots_rules::parse_limit, '#');
    text += "\nDisallow: /late\n";
    CHECK_FALSE(allowed(text, "/early"));
    CHECK(allowed(text, "/late"));
    // A line cut at the limit is not read: its shorter path would be a broader rule.
    std::string cut = "User-agent: *\nDisallow: /p\n";
    cut.append(robots_rules::parse_limit - cut.size() - 30, '#');
    cut += "\nAllow: /p" + std::string(41, 'X') + "\n";  // straddles the limit
    const std::string beyond = "/p" + std::string(30, 'X') + "zz";
    CHECK_FALSE(allowed(cut, beyond));
    // What the cut line would say: allowed.
    CHECK(allowed("User-agent: *\nDisallow: /p\nAllow: /p" + std::string(29, 'X') + "\n", beyond));
    // A cut Disallow is read as far as it goes: it disallows more, not less.
    std::string cut_disallow = "User-agent: *\n";
    cut_disallow.append(robots_rules::parse_limit - cut_disallow.size() - 16, '#');
    cut_disallow += "\nDisallow: /private/area\n";  // cut at "Disallow: /priv"
    CHECK_FALSE(allowed(cut_disallow, "/private/area/x"));
    CHECK_FALSE(allowed(cut_disallow, "/privacy"));
    CHECK(allowed(cut_disallow, "/public"));
}

TEST_CASE("robots: Crawl-delay of the groups that apply, the largest of them", "[robots]") {
    auto delay = [](const std::string& text, std::string_view token = "shoal") {
        return robots_rules::parse(text, token).crawl_delay();
    };
    CHECK_FALSE(delay("User-agent: *\nDisallow: /x\n").has_value());
    CHECK(delay("User-agent: *\nCrawl-delay: 10\n") == 10.0);
    CHECK(delay("User-agent: *\ncrawl-DELAY:0.5\nDisallow: /x\n") == 0.5);
    // The token's groups, when there are any, else the * groups.
    const std::string both = "User-agent: *\nCrawl-delay: 1\n\nUser-agent: shoal\nCrawl-delay: 3\n";
    CHECK(delay(both) == 3.0);
    CHECK(delay(both, "otherbot") == 1.0);
    CHECK_FALSE(delay("User-agent: *\nCrawl-delay: 1\n\nUser-agent: shoal\nDisallow: /x\n").has_value());
    // Several: the largest; a delay before any group, or not a number >= 0, counts for none.
    CHECK(delay("User-agent: shoal\nCrawl-delay: 2\nUser-agent: shoal\nCrawl-delay: 7\n") == 7.0);
    CHECK_FALSE(delay("Crawl-delay: 5\nUser-agent: *\nDisallow: /x\n").has_value());
    for (const char* bad : {"-1", "fast", "1e3", "1.2.3", ".", "nan", "inf", ""})
        CHECK_FALSE(delay(std::string("User-agent: *\nCrawl-delay: ") + bad + "\n").has_value());
    // A crawl-delay line ends the group's user-agent lines: the next one starts another group.
    const auto rules = robots_rules::parse("User-agent: a\nCrawl-delay: 4\nUser-agent: shoal\nDisallow: /x\n", "shoal");
    CHECK_FALSE(rules.crawl_delay().has_value());
    CHECK_FALSE(rules.check("/x").allowed);
}

TEST_CASE("robots: an Allow that is no path matches nothing, a Disallow that is none is read as one", "[robots]") {
    // RFC 9309: a pattern starts with '/'. Google's parser matches such an
    // Allow nowhere; reading it as a path would widen what the site allows.
    const std::string text = "User-agent: *\nDisallow: /\nAllow: foo\nAllow: ?q\n";
    CHECK_FALSE(allowed(text, "/foo"));
    CHECK_FALSE(allowed(text, "/?q"));
    CHECK(robots_rules::parse(text, "shoal").size() == 1);
    // A pattern that starts with '*' is one.
    CHECK(allowed("User-agent: *\nDisallow: /\nAllow: *.css\n", "/a/b.css"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: private\n", "/private/x"));
}

TEST_CASE("robots: a record without its colon, a key and a value a blank apart", "[robots]") {
    // As Google's parser reads them ("some people forget the colon").
    CHECK_FALSE(allowed("User-agent: *\nDisallow /y\n", "/y"));
    CHECK_FALSE(allowed("User-agent *\nDisallow: /y\n", "/y"));
    CHECK_FALSE(allowed("User-agent shoal\nDisallow\t/y\n", "/y"));
    CHECK(allowed("User-agent: *\nDisallow: /\nAllow /ok\n", "/ok/1"));
    // More than two words are no record.
    CHECK(allowed("User-agent: *\nDisallow /y please\n", "/y"));
}

TEST_CASE("robots: a rule written with characters URLs hold escaped matches the URL", "[robots]") {
    // shoal sends " < > ` { } | ^ [ ] \ and a '%' that starts no escape percent-encoded.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /e{f}\n", "/e%7Bf%7D"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a|b\n", "/a%7Cb"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /q?f[price]=1\n", "/q?f%5Bprice%5D=1"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /50%off\n", "/50%25off"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a^b\n", "/a%5eb"));
    CHECK(allowed("User-agent: *\nDisallow: /a|b\n", "/a%7Cc"));
    // A backslash in the path is the slash the URL's own becomes; in the query, itself escaped.
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /a\\b\n", "/a/b"));
    CHECK_FALSE(allowed("User-agent: *\nDisallow: /q?x=\\y\n", "/q?x=%5Cy"));
    CHECK(allowed("User-agent: *\nDisallow: /q?x=\\y\n", "/q?x=/y"));
}

TEST_CASE("robots: any record but a user-agent ends a group's agents", "[robots]") {
    // Sitemap and unknown records too, as Crawl-delay does (Google reads them so).
    for (const char* between : {"Sitemap: http://127.0.0.1/s.xml", "Foo: bar", "Crawl-delay: 1"}) {
        INFO(between);
        const std::string text =
            std::string("User-agent: shoal\n") + between + "\nUser-agent: other\nDisallow: /x\n";
        CHECK(allowed(text, "/x"));
        CHECK_FALSE(allowed(text, "/x", "other"));
    }
}

TEST_CASE("robots: the rule that decided is named as the file writes it", "[robots]") {
    const std::string text = "User-agent: *\nDisallow: /%70riv\nDisallow: /d$x\nDisallow: noslash\nAllow:  /%7Euser \n";
    CHECK(robots_rules::parse(text, "shoal").check("/private").rule == "Disallow: /%70riv");
    CHECK(robots_rules::parse(text, "shoal").check("/d$x").rule == "Disallow: /d$x");
    CHECK(robots_rules::parse(text, "shoal").check("/noslash").rule == "Disallow: noslash");
    CHECK(robots_rules::parse(text, "shoal").check("/~user").rule == "Allow: /%7Euser");
}
