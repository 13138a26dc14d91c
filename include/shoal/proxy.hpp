// proxy: the HTTP proxy of `--proxy`, which every fetch of a run goes
// through: https URLs in a CONNECT tunnel (TLS end to end, verified
// against the site, the proxy sees only the host and port), http URLs as
// absolute-form requests (GET http://host/path HTTP/1.1).
//
//   auto p = shoal::parse_proxy("http://user:secret@127.0.0.1:3128");
//   if (auto* e = std::get_if<shoal::url_error>(&p)) ... e->message
//   const shoal::proxy_server& s = std::get<shoal::proxy_server>(p);
//   std::string req = shoal::connect_request(target, s, "shoal/0.1");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "shoal/url.hpp"

namespace shoal {

struct proxy_server {
    std::string host;          // lower case; IPv6 without brackets
    std::uint16_t port = 1080;
    bool ip_literal = false;
    // "Basic ..." from the URL's user:password (percent-decoded), or empty.
    std::string authorization;
    // "http://host:port", without the credentials: for messages.
    std::string shown;
};

// The proxy port when --proxy names none, as curl's.
constexpr std::uint16_t default_proxy_port = 1080;

// Parses --proxy: http://[user[:password]@]host[:port][/], or the same
// without "http://". Other schemes (https://, socks5://), a path, a query
// or a bad host or port give a url_error whose message says which.
std::variant<proxy_server, url_error> parse_proxy(std::string_view text);

// u's host and port as CONNECT names them ("[::1]:443": an IPv6 host in brackets).
std::string connect_authority(const target_url& u);

// The request that opens a tunnel to u's host and port through p, with its
// blank line: CONNECT host:port HTTP/1.1, Host, User-Agent (when not empty)
// and Proxy-Authorization (when p has credentials).
std::string connect_request(const target_url& u, const proxy_server& p, std::string_view user_agent);

}  // namespace shoal
