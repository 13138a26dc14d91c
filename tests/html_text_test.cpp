// Tests for html_text: character references, whitespace collapsing and the
// tag stripping used on titles and price elements.
#include "shoal/html_text.hpp"

#include <catch2/catch.hpp>

#include <string>

#include "shoal/charset.hpp"

namespace {

const std::string fffd = "\xEF\xBF\xBD";

}  // namespace

TEST_CASE("html_text: named entities", "[html_text]") {
    using shoal::decode_entities;
    CHECK(decode_entities("Ben &amp; Jerry&apos;s") == "Ben & Jerry's");
    CHECK(decode_entities("&lt;b&gt;bold&lt;/b&gt;") == "<b>bold</b>");
    CHECK(decode_entities("&quot;quoted&quot;") == "\"quoted\"");
    CHECK(decode_entities("1.299,00&nbsp;&euro;") == "1.299,00\u00a0\u20ac");
    CHECK(decode_entities("&yen;59.00") == "\u00a559.00");
    CHECK(decode_entities("&pound;5 &copy; &reg; &trade; &hellip;") == "\u00a35 \u00a9 \u00ae \u2122 \u2026");
    CHECK(decode_entities("&AElig;&aelig;&Uuml;&szlig;") == "\u00c6\u00e6\u00dc\u00df");
    CHECK(decode_entities("&zwnj;") == "\u200c");  // the last in the table
    CHECK(decode_entities("&AElig;") == "\u00c6");  // the first in the table
    // HTML 4's whole set: Latin-1 letters, Latin Extended, Greek, arrows, maths.
    CHECK(decode_entities("&Eacute;t&eacute; &ocirc; &frac12; &rarr; &Scaron;koda &oslash; &plusmn;1") ==
          "\u00c9t\u00e9 \u00f4 \u00bd \u2192 \u0160koda \u00f8 \u00b11");
    CHECK(decode_entities("&Ccedil;&atilde;&euml;&iuml;&Ograve;&thorn;&yuml;&OElig;") ==
          "\u00c7\u00e3\u00eb\u00ef\u00d2\u00fe\u00ff\u0152");
    CHECK(decode_entities("&alpha;&Omega;&thetasym;&le;&ne;&infin;&hearts;") ==
          "\u03b1\u03a9\u03d1\u2264\u2260\u221e\u2665");
    // HTML5's names of ASCII punctuation (PHP's htmlentities with ENT_HTML5)
    // and of some common marks and spaces.
    CHECK(decode_entities("Sale&excl; Shoes &lpar;men&rpar;&comma; size 42&period; &vert; Shop&colon;") ==
          "Sale! Shoes (men), size 42. | Shop:");
    CHECK(decode_entities("&num;1 &dollar;5 &percnt; &ast;&plus;&sol;&semi;&equals;&quest;&commat;&lsqb;&bsol;&rsqb;"
                          "&Hat;&lowbar;&grave;&lcub;&verbar;&rcub;") ==
          "#1 $5 % *+/;=?@[\\]^_`{|}");
    CHECK(decode_entities("&check;&hyphen;&ThinSpace;&starf;&NonBreakingSpace;&CloseCurlyDoubleQuote;") ==
          "\u2713\u2010\u2009\u2605\u00a0\u201d");
    // HTML5's Latin-1 names need their semicolon, as HTML reads them.
    CHECK(decode_entities("&half2 &half;") == "&half2 \u00bd");
}

TEST_CASE("html_text: named entities without their semicolon, and unknown names", "[html_text]") {
    using shoal::decode_entities;
    CHECK(decode_entities("AT&amp T") == "AT& T");
    CHECK(decode_entities("a &lt b") == "a < b");
    CHECK(decode_entities("&amp") == "&");
    // Latin-1's and & < > " go before letters and digits too, as HTML reads
    // them; others need a delimiter.
    CHECK(decode_entities("&copy2024 &ampx &notit; &eacutes") == "\u00a92024 &x \u00acit; \u00e9s");
    CHECK(decode_entities("&hellipx &trademark") == "&hellipx &trademark");
    // Unknown names stay exactly as written.
    CHECK(decode_entities("&foo; &bogus &;") == "&foo; &bogus &;");
    CHECK(decode_entities("Q&A") == "Q&A");
    CHECK(decode_entities("a & b") == "a & b");
    CHECK(decode_entities("&") == "&");
    CHECK(decode_entities("&&amp;&") == "&&&");
    // Case matters: &Auml; and &auml; differ; &AMP; &LT; &GT; &QUOT; &COPY;
    // &REG; are HTML's too, &EURO; is not.
    CHECK(decode_entities("&Auml;&auml;") == "\u00c4\u00e4");
    CHECK(decode_entities("&AMP;&LT;&GT;&QUOT;&COPY;&REG;&EURO;") == "&<>\"\u00a9\u00ae&EURO;");
    // A double-escaped entity decodes once.
    CHECK(decode_entities("&amp;euro;") == "&euro;");
}

TEST_CASE("html_text: decimal and hex numeric references", "[html_text]") {
    using shoal::decode_entities;
    CHECK(decode_entities("O&#39;Reilly") == "O'Reilly");
    CHECK(decode_entities("&#36;12") == "$12");
    CHECK(decode_entities("&#x20AC;&#X20ac;&#x20ac") == "\u20ac\u20ac\u20ac");
    CHECK(decode_entities("&#65&#66;C") == "ABC");  // without ';'
    CHECK(decode_entities("&#x41x") == "Ax");
    CHECK(decode_entities("&#128512;") == "\U0001F600");
    CHECK(decode_entities("&#x1F600;") == "\U0001F600");
    CHECK(decode_entities("&#xA0;") == "\u00a0");
    // 128-159 are read as windows-1252's bytes, as HTML does.
    CHECK(decode_entities("Tom&#146;s caf&#233; &#150; 5&#128; &#x9F;") == "Tom\u2019s caf\u00e9 \u2013 5\u20ac \u0178");
    // No digits: kept as written.
    CHECK(decode_entities("&#; &#x; &#xyz;") == "&#; &#x; &#xyz;");
}

TEST_CASE("html_text: invalid code points become U+FFFD", "[html_text]") {
    using shoal::decode_entities;
    CHECK(decode_entities("&#0;") == fffd);
    CHECK(decode_entities("&#x0;") == fffd);
    CHECK(decode_entities("&#x110000;") == fffd);
    CHECK(decode_entities("&#1114112;") == fffd);
    CHECK(decode_entities("&#99999999;") == fffd);
    CHECK(decode_entities("&#xD800;") == fffd);
    CHECK(decode_entities("&#xDFFF;") == fffd);
    // The C1 controls windows-1252 leaves unassigned stay themselves (HTML).
    CHECK(decode_entities("&#129;&#x8D;&#157;") == "\u0081\u008D\u009D");
    // Every digit counts: leading zeros, and a value too large to hold.
    CHECK(decode_entities("&#00000000000065;x") == "Ax");
    CHECK(decode_entities("&#x000000000041;x") == "Ax");
    CHECK(decode_entities("&#999999999;x") == fffd + "x");
    CHECK(decode_entities("&#x100000041;x") == fffd + "x");
    CHECK(decode_entities("&#x10FFFF;") == "\U0010FFFF");
    // Whatever the digits, the result is valid UTF-8.
    for (const char* s : {"&#xFFFFFFFF;", "&#4294967295;", "&#x7FFFFFFF;", "&#xFFFFFFFFFFFF;",
                          "&#99999999999999;"}) {
        INFO(s);
        CHECK(shoal::is_valid_utf8(decode_entities(s)));
    }
}

TEST_CASE("html_text: collapse_whitespace", "[html_text]") {
    using shoal::collapse_whitespace;
    CHECK(collapse_whitespace("  a \t\n b\r\n\fc  ") == "a b c");
    CHECK(collapse_whitespace("") == "");
    CHECK(collapse_whitespace(" \t\n ") == "");
    CHECK(collapse_whitespace("abc") == "abc");
    // NBSP counts as whitespace, alone and mixed with spaces.
    CHECK(collapse_whitespace("1.299,00\u00a0\u20ac") == "1.299,00 \u20ac");
    CHECK(collapse_whitespace("\u00a0\u00a0a\u00a0 \u00a0b\u00a0") == "a b");
    CHECK(collapse_whitespace("\u00a0") == "");
    // Other characters with a 0xC2 or 0xA0 byte are left alone.
    CHECK(collapse_whitespace("\u00a9 \u00e0") == "\u00a9 \u00e0");
    // A lone 0xC2 at the end is not swallowed.
    CHECK(collapse_whitespace("a\xC2") == "a\xC2");
    // A NUL is U+FFFD, as in an HTML <title>.
    CHECK(collapse_whitespace(std::string("a\0b \0", 5)) == "a\uFFFDb \uFFFD");
}

TEST_CASE("html_text: html_to_text", "[html_text]") {
    using shoal::html_to_text;
    CHECK(html_to_text("<b>Acme</b> <i>Blender</i>") == "Acme Blender");
    CHECK(html_to_text("\n  <span class=\"x\">1.299,00&nbsp;&euro;</span>\n") == "1.299,00 \u20ac");
    CHECK(html_to_text("Price:<br/>\n  $5") == "Price: $5");
    // Entity-escaped tags are text, not tags.
    CHECK(html_to_text("a &lt;b&gt; c") == "a <b> c");
    CHECK(html_to_text("Ben &amp; Jerry&#39;s") == "Ben & Jerry's");
    CHECK(html_to_text("") == "");
    CHECK(html_to_text("<p></p>") == "");
    // A '>' outside a tag is text.
    CHECK(html_to_text("5 > 3") == "5 > 3");
    CHECK(html_to_text("x <unclosed tag") == "x");
}

TEST_CASE("html_text: a reference without its semicolon is left in an attribute before a letter or digit or =",
          "[html_text]") {
    using shoal::decode_entities;
    using shoal::html_to_text;
    constexpr auto attribute = shoal::reference_context::attribute;
    // A query string's parameters named like legacy references.
    CHECK(decode_entities("/s?q=tv&region=us&param=1&section=2&currency=EUR&times=3", attribute) ==
          "/s?q=tv&region=us&param=1&section=2&currency=EUR&times=3");
    CHECK(decode_entities("?a=1&copy=2", attribute) == "?a=1&copy=2");
    CHECK(decode_entities("&copy2024", attribute) == "&copy2024");
    // With ';', or before anything else, it is a reference there too.
    CHECK(decode_entities("a&amp;b &copy; &reg; x", attribute) == "a&b \u00A9 \u00AE x");
    CHECK(decode_entities("&copy 2024 &lt", attribute) == "\u00A9 2024 <");
    // In text, HTML reads the legacy prefix whatever follows.
    CHECK(decode_entities("&copy2024 &region &times=3") == "\u00A92024 \u00AEion \u00D7=3");
    CHECK(html_to_text("<b>&copy2024</b>", attribute) == "&copy2024");
    // Other names need their ';' anywhere: HTML has no "&alpha" without it.
    CHECK(decode_entities("&alpha &alpha;") == "&alpha \u03B1");
    CHECK(decode_entities("&hellip") == "&hellip");
}
