// url: checks an input line or a redirect's Location and splits it into what
// a fetch needs. Only absolute http and https URLs are usable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace shoal {

struct target_url {
    bool https = false;
    std::string host;      // without brackets for IPv6 literals; lower case
    std::uint16_t port = 0;
    std::string target;    // path and query, e.g. "/p/1.html?x=1"; never empty
    bool ip_literal = false;
    std::string url;       // the whole URL, normalised (no fragment)

    // "host:port" as used for pools and per-host limits, with the scheme;
    // a name's last dot left out ("shop.example." is shop.example, and
    // "localhost." localhost), but a single label's ("intranet." may be
    // another host than "intranet", which search domains complete).
    std::string origin() const;
};

struct url_error {
    std::string code;     // e.g. "unsupported_scheme"
    std::string message;  // e.g. "scheme 'ftp' is not http or https"
};

// A hash of an origin (target_url::origin()) that every process of a run
// computes alike (FNV-1a): slots in memory shared by the workers are picked
// by it.
std::uint64_t origin_hash(std::string_view origin) noexcept;

// A host without the root's dot: "a.b." is "a.b" ("." alone stays, an
// empty label).
std::string_view without_root_dot(std::string_view host) noexcept;

// A host name as a URL holds it, percent-decoded, made what a resolver
// takes: an internationalised name in punycode (UTS #46, as browsers),
// ASCII letters in lower case. A name with spaces, a character host names
// cannot have, an empty label, a label over 63 bytes, over 253 bytes in
// all or an xn-- label that is not Punycode gives a url_error (code
// bad_host) whose message, "the host name ...", says which. A host that
// ends in a number (its last label, after a last dot, is digits or 0x hex)
// is an IPv4 address as the WHATWG URL Standard reads one, given in
// dotted-quad form ("127.0.0.1.", "2130706433", "0x7f.1" and "0177.0.0.1"
// are "127.0.0.1"), or else a bad_host error, "the host is not a valid IPv4
// address ...".
struct host_name {
    std::string name;
    bool ipv4 = false;  // name is an IPv4 address in dotted-quad form
};
std::variant<host_name, url_error> normalise_host_name(std::string host);

// Boost.URL reads a host that starts with an IPv4 address as that address
// and leaves the rest to the path ("127.0.0.1." as 127.0.0.1 and ".",
// "1.2.3.4.5" as 1.2.3.4 and ".5"). Returns `text` (an absolute URL or a
// "//host" reference, user:password@ allowed), or, when its host starts
// with a digit, `text` with that digit percent-encoded (in `buffer`):
// Boost.URL then reads the whole host as a name, which
// normalise_host_name() reads as browsers do.
std::string_view digit_led_host_as_name(std::string_view text, std::string& buffer);

// A port as a URL holds it: digits, 1 to 65535; leading zeros are no digits
// of the number ("08080" is 8080, as browsers read it). nullopt otherwise,
// also when empty.
std::optional<std::uint16_t> parse_port(std::string_view digits) noexcept;

// Parses an absolute http(s) URL.
std::variant<target_url, url_error> parse_url(std::string_view text);

namespace detail {
// parse_url's two paths, for the tests that hold them side by side.
// The fast one takes the URLs of nearly every list,
// http(s)://host[:port][/path][?query][#fragment] with a plain host name or
// IPv4 address and nothing to percent-decode or check further, and gives
// nullopt for anything else; the full one (Boost.URL) takes every URL.
std::optional<target_url> parse_plain_url(std::string_view text);
std::variant<target_url, url_error> parse_any_url(std::string_view text);
}  // namespace detail

// s without its tabs and line breaks, which browsers drop anywhere in a URL
// (WHATWG URL: an href wrapped over lines).
std::string without_tabs_and_line_breaks(std::string_view s);

// Resolves a Location header against the URL it came from.
std::variant<target_url, url_error> resolve_location(const target_url& base,
                                                     std::string_view location);

}  // namespace shoal
