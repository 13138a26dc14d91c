// robots.txt groups and rules, as RFC 9309 reads them (see robots.hpp).
#include "shoal/robots.hpp"

#include <cmath>
#include <cstdlib>

#include "shoal/literal_search.hpp"

namespace shoal {
namespace {

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

char upper_hex(char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; }

// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// Bytes a path holds only percent-encoded (non-ASCII, controls, space, the
// characters shoal encodes in a URL's path: " < > ` { } | ^ [ ] \ and a '%'
// that starts no escape) are encoded, so a rule written with them raw
// matches the URL; a %xx escape of an unreserved character is decoded (RFC
// 9309 2.2.2: /%62az is /baz), and every other escape written in upper case.
// In a URL's path `*` and `$` are encoded too, so a pattern's %2A and %24
// match them (RFC 9309 2.2.3); in a pattern, where `*` is any run and a last
// `$` the end, a `$` before the end is a literal one.
std::string normalise(std::string_view s, bool url_path) {
    std::string out;
    out.reserve(s.size());
    bool query = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        query = query || c == '?';
        if (c == '\\' && !query) {  // as the URL's own: a path's backslash is a slash
            out += '/';
            continue;
        }
        const int high = c == '%' && i + 2 < s.size() ? hex_digit_value(s[i + 1]) : -1;
        const int low = high >= 0 ? hex_digit_value(s[i + 2]) : -1;
        if (low >= 0) {
            const auto decoded = static_cast<unsigned char>(high * 16 + low);
            if (is_unreserved(decoded)) {
                out += static_cast<char>(decoded);
            } else {
                out += '%';
                out += upper_hex(s[i + 1]);
                out += upper_hex(s[i + 2]);
            }
            i += 2;
        } else if (c >= 0x80 || c <= 0x20 || c == 0x7f || (url_path && c == '*') ||
                   (c == '$' && (url_path || i + 1 < s.size())) || c == '%' ||
                   std::string_view("\"<>`{}|^[]\\").find(static_cast<char>(c)) != std::string_view::npos) {
            append_percent_encoded(out, c);
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Whether pattern (`*` any run of bytes, a last `$` the end) matches target
// from its start. The pieces between stars are found leftmost first, which
// leaves the most room for the ones after them.
bool matches(std::string_view pattern, std::string_view target) {
    const bool anchored = !pattern.empty() && pattern.back() == '$';
    if (anchored) pattern.remove_suffix(1);
    std::size_t star = pattern.find('*');
    const std::string_view first = pattern.substr(0, star);
    if (target.substr(0, first.size()) != first) return false;
    if (star == std::string_view::npos) return !anchored || target.size() == first.size();
    std::size_t at = first.size();
    pattern.remove_prefix(star + 1);
    for (star = pattern.find('*'); star != std::string_view::npos; star = pattern.find('*')) {
        const std::string_view piece = pattern.substr(0, star);
        pattern.remove_prefix(star + 1);
        if (piece.empty()) continue;
        const std::size_t found = target.find(piece, at);
        if (found == std::string_view::npos) return false;
        at = found + piece.size();
    }
    if (!anchored) return target.find(pattern, at) != std::string_view::npos;
    return target.size() >= at + pattern.size() && target.ends_with(pattern);
}

// A Crawl-delay value: seconds, a decimal number >= 0 ("10", "0.5").
std::optional<double> delay_seconds(std::string_view value) {
    if (value.empty() || value.size() > 32) return std::nullopt;
    for (char c : value)
        if (!(c >= '0' && c <= '9') && c != '.') return std::nullopt;
    const std::string text(value);
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

void keep_larger(std::optional<double>& kept, double d) {
    if (!kept || d > *kept) kept = d;
}

}  // namespace

std::string robots_token(std::string_view user_agent) {
    std::size_t n = 0;
    while (n < user_agent.size() && is_token_char(user_agent[n])) ++n;
    return std::string(user_agent.substr(0, n));
}

robots_rules robots_rules::parse(std::string_view text, std::string_view token) {
    if (text.size() >= parse_limit) {
        // Cut at the limit (or a file of that size): its last line may be
        // cut short, and a shorter path is a broader rule. A cut Allow
        // goes; a cut Disallow stays (disallowing more is the polite reading).
        text = text.substr(0, parse_limit);
        const std::size_t end = text.find_last_of("\r\n");
        const std::size_t last = end == std::string_view::npos ? 0 : end + 1;
        const std::string_view line = text.substr(last);
        const std::size_t colon = line.find(':');  // its key, read as the records below are
        if (colon == std::string_view::npos || !ascii_iequals(trim_blanks(line.substr(0, colon)), "disallow"))
            text = text.substr(0, last);
    }
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::vector<rule> named, star;
    std::optional<double> named_delay, star_delay;
    bool named_seen = false;            // a group names the token
    bool in_agents = false;             // the last record was a user-agent line
    bool names = false, stars = false;  // what the current group's agents are
    bool grouped = false;               // a user-agent line has come
    while (!text.empty()) {
        std::size_t end = text.find_first_of("\r\n");
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        line = trim_blanks(line.substr(0, line.find('#')));
        std::string_view key, value;
        if (const std::size_t colon = line.find(':'); colon != std::string_view::npos) {
            key = trim_blanks(line.substr(0, colon));
            value = trim_blanks(line.substr(colon + 1));
        } else {
            // A record without its colon, as Google reads one: a key and a
            // value a blank apart ("Disallow /private"), nothing more.
            const std::size_t blank = line.find_first_of(" \t");
            if (blank == std::string_view::npos) continue;
            key = line.substr(0, blank);
            value = trim_blanks(line.substr(blank));
            if (value.find_first_of(" \t") != std::string_view::npos) continue;
        }
        if (key.empty()) continue;
        if (ascii_iequals(key, "user-agent") || ascii_iequals(key, "useragent") ||
            ascii_iequals(key, "user agent")) {
            if (!in_agents) names = stars = false;  // a new group starts
            in_agents = grouped = true;
            if (value == "*") {
                stars = true;
            } else if (const std::string agent = robots_token(value);
                       !token.empty() && ascii_iequals(agent, token)) {
                names = named_seen = true;
            }
            continue;
        }
        // Any other record ends a group's list of agents (Sitemap and
        // unknown ones too, as Google reads them).
        in_agents = false;
        if (ascii_iequals(key, "crawl-delay")) {
            const std::optional<double> d = delay_seconds(value);
            if (!grouped || !d) continue;
            if (names) keep_larger(named_delay, *d);
            if (stars) keep_larger(star_delay, *d);
            continue;
        }
        const bool allow = ascii_iequals(key, "allow");
        if (!allow && !ascii_iequals(key, "disallow")) continue;  // Sitemap, ...
        // An empty pattern matches nothing; rules before any group count for none.
        if (!grouped || value.empty()) continue;
        std::string pattern = normalise(value, false);
        if (pattern[0] != '/' && pattern[0] != '*') {
            // Not a path (RFC 9309: a pattern starts with '/'). An Allow
            // matches nothing then, as in Google's parser: it must not
            // widen what the site allows. A Disallow is read as a path
            // ("Disallow: private" as /private), the polite reading.
            if (allow) continue;
            pattern.insert(0, 1, '/');
        }
        rule r{allow, std::move(pattern), std::string(allow ? "Allow: " : "Disallow: ") += value};
        if (names) named.push_back(r);
        if (stars) star.push_back(std::move(r));
    }
    robots_rules r;
    r.rules_ = named_seen ? std::move(named) : std::move(star);
    r.crawl_delay_ = named_seen ? named_delay : star_delay;
    return r;
}

robots_rules::verdict robots_rules::check(std::string_view target) const {
    verdict v;
    if (target == "/robots.txt" || rules_.empty()) return v;
    const std::string path = normalise(target, true);
    const rule* best = nullptr;
    for (const rule& r : rules_) {
        if (!matches(r.pattern, path)) continue;
        if (best == nullptr || r.pattern.size() > best->pattern.size() ||
            (r.pattern.size() == best->pattern.size() && r.allow && !best->allow))
            best = &r;
    }
    if (best != nullptr) {
        v.allowed = best->allow;
        v.rule = best->written;
    }
    return v;
}

}  // namespace shoal
