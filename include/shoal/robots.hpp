// robots: which paths of a site a crawler may fetch, read from the site's
// /robots.txt as RFC 9309 says.
//
//   auto rules = shoal::robots_rules::parse(text, "shoal");
//   auto v = rules.check("/private/a.html?x=1");
//   if (!v.allowed) ... v.rule is the line that decided, "Disallow: /private"
//
// The groups whose user-agent names the crawler's product token (any case)
// apply, all of them merged; when none does, the `*` groups; when there are
// none, everything is allowed. Of the allow and disallow rules that match a
// path (`*` is any run of bytes, a last `$` the end of the path), the longest
// pattern decides, an allow winning a tie; no match allows. /robots.txt is
// always allowed. Paths and patterns are compared with non-ASCII bytes
// percent-encoded and %xx escapes in upper case, so `/bücher` and
// `/b%c3%bccher` are one path. Crawl-delay (seconds, the largest of the
// groups that apply) is kept for the caller to space its requests by;
// Sitemap and other records are ignored.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shoal {

// The product token a crawler with this User-Agent matches robots.txt groups
// with: the value's leading letters, digits, '_' and '-' ("shoal/0.1" gives
// "shoal"); empty when it starts with anything else (then only `*` groups
// apply).
std::string robots_token(std::string_view user_agent);

class robots_rules {
public:
    // The bytes of a robots.txt read, at most (RFC 9309 asks for 500 KiB or more).
    static constexpr std::size_t parse_limit = 512 * 1024;

    // Everything allowed: a site without a robots.txt (404 and other 4xx).
    robots_rules() = default;

    // The rules of the groups for `token` (see robots_token) in text, of
    // which the first parse_limit bytes are read (an Allow line cut at the
    // limit is not read; a cut Disallow is, disallowing more). Never fails:
    // lines that are not records are skipped.
    static robots_rules parse(std::string_view text, std::string_view token);

    struct verdict {
        bool allowed = true;
        std::string rule;  // the record as written, "Disallow: /private"; empty when no rule matched
    };
    // target: a URL's path and query as sent ("/p/1.html?x=1").
    verdict check(std::string_view target) const;

    std::size_t size() const { return rules_.size(); }

    // The Crawl-delay of the groups that apply, in seconds (the largest when
    // they give several; values that are not a number >= 0 are skipped).
    std::optional<double> crawl_delay() const { return crawl_delay_; }

private:
    struct rule {
        bool allow;
        std::string pattern;  // normalised; starts with '/' or '*'
        std::string written;  // the record as the file has it: "Disallow: /%70riv"
    };
    std::vector<rule> rules_;
    std::optional<double> crawl_delay_;
};

}  // namespace shoal
