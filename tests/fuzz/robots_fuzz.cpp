// Fuzzes robots.txt parsing and matching. The input is the file; the paths
// checked are the rule values it holds (so matches happen) and a few fixed
// ones, for the token "shoal" and the empty token. For every check:
// /robots.txt is allowed, and a verdict names the rule that decided it as
// written ("Allow: /..." or "Disallow: ...", or nothing when allowed by no rule);
// a Crawl-delay, when there is one, is a finite number >= 0.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/robots.hpp"

namespace {

void check(const shoal::robots_rules& rules, std::string_view target) {
    const auto v = rules.check(target);
    if (v.rule.empty()) {
        if (!v.allowed) std::abort();
        return;
    }
    const std::string_view want = v.allowed ? "Allow: " : "Disallow: ";
    if (!v.rule.starts_with(want) || v.rule.size() == want.size()) std::abort();
    // An Allow that is no path matches nothing (a backslash before the query is
    // a '/', as in URLs); a Disallow is quoted as written, whatever it starts
    // with ("Disallow: private" is read as /private).
    const char first = v.rule[want.size()];
    if (v.allowed && first != '/' && first != '*' && first != '\\') std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> targets = {"/", "/a", "/a/b.html?x=1", "/%E3%83%84"};
    for (std::size_t at = text.find(':'); at != std::string_view::npos && targets.size() < 64;
         at = text.find(':', at + 1)) {
        const std::size_t end = text.find_first_of("\r\n", at);
        std::string value(text.substr(at + 1, end == std::string_view::npos ? end : end - at - 1));
        if (value.empty() || value[0] != '/') value.insert(0, 1, '/');
        targets.push_back(std::move(value));
    }
    for (std::string_view token : {"shoal", ""}) {
        const auto rules = shoal::robots_rules::parse(text, token);
        if (!rules.check("/robots.txt").allowed) std::abort();
        if (auto d = rules.crawl_delay(); d && !(*d >= 0 && std::isfinite(*d))) std::abort();
        for (const auto& t : targets) check(rules, t);
    }
    return 0;
}
