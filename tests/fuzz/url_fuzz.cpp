// Fuzzes the URL-line parser: parse_url on the input, and resolve_location of
// the rest of the input against a parsed (or a fixed) base URL. Neither may
// crash, whatever parse_url accepts must be a usable target, and parse_url's
// plain path must agree with Boost.URL's wherever it takes a URL.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "shoal/url.hpp"

namespace {

void check(const shoal::target_url& u) {
    if (u.host.empty() || u.target.empty() || u.target[0] != '/' || u.url.empty()) std::abort();
    if (u.port == 0) std::abort();
    if (u.url.find('#') != std::string::npos) std::abort();  // fragments are dropped
    for (char c : u.url)
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0') std::abort();
    (void)u.origin();
    // An IPv4 address is in dotted-quad form, whatever form the URL had.
    if (u.ip_literal && u.host.find(':') == std::string::npos) {
        int dots = 0;
        for (char c : u.host) {
            if (c == '.') ++dots;
            else if (c < '0' || c > '9') std::abort();
        }
        if (dots != 3 || u.host.find("..") != std::string::npos || u.host.front() == '.' || u.host.back() == '.')
            std::abort();
    } else if (!u.ip_literal) {
        // A name never ends in a number: such a host is an IPv4 address or an error.
        std::string_view h = u.host;
        if (h.size() > 1 && h.back() == '.') h.remove_suffix(1);
        const std::string_view last = h.substr(h.rfind('.') + 1);
        const bool hex = last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X');
        const std::string_view digits = hex ? last.substr(2) : last;
        if (!last.empty() &&
            digits.find_first_not_of(hex ? "0123456789abcdefABCDEF" : "0123456789") == std::string_view::npos)
            std::abort();
    }
}

const shoal::target_url& fixed_base() {
    static const shoal::target_url base =
        std::get<shoal::target_url>(shoal::parse_url("https://www.example.com:8443/a/b/c.html?q=1"));
    return base;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    // The first line is the URL, the rest (if any) a Location header.
    auto nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    std::string_view location = nl == std::string_view::npos ? in : in.substr(nl + 1);

    // parse_url's plain path must give what Boost.URL's gives, where it takes the URL.
    if (auto plain = shoal::detail::parse_plain_url(line)) {
        auto any = shoal::detail::parse_any_url(line);
        auto* t = std::get_if<shoal::target_url>(&any);
        if (!t || t->url != plain->url || t->host != plain->host || t->port != plain->port ||
            t->https != plain->https || t->target != plain->target || t->ip_literal != plain->ip_literal)
            std::abort();
    }
    auto parsed = shoal::parse_url(line);
    if (auto* u = std::get_if<shoal::target_url>(&parsed)) {
        check(*u);
        // A normalised URL parses again to the same thing.
        auto again = shoal::parse_url(u->url);
        auto* v = std::get_if<shoal::target_url>(&again);
        if (!v) std::abort();
        check(*v);
        if (v->url != u->url || v->host != u->host || v->port != u->port ||
            v->https != u->https || v->target != u->target || v->ip_literal != u->ip_literal)
            std::abort();
        auto r = shoal::resolve_location(*u, location);
        if (auto* t = std::get_if<shoal::target_url>(&r)) check(*t);
    } else {
        const auto& e = std::get<shoal::url_error>(parsed);
        if (e.code.empty()) std::abort();
    }
    auto r = shoal::resolve_location(fixed_base(), location);
    if (auto* t = std::get_if<shoal::target_url>(&r)) check(*t);
    return 0;
}
