// The --proxy URL and the CONNECT request (see proxy.hpp).
#include "shoal/proxy.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/url.hpp>

#include "shoal/literal_search.hpp"

namespace shoal {
namespace urls = boost::urls;

namespace {

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(std::max(n, 0)));
    return out;
}

std::string bracketed(const std::string& host) {
    return host.find(':') != std::string::npos ? '[' + host + ']' : host;
}

url_error bad(std::string message) { return url_error{"bad_proxy", std::move(message)}; }

}  // namespace

std::variant<proxy_server, url_error> parse_proxy(std::string_view text) {
    if (text.empty()) return bad("the proxy URL is empty");
    std::string full(text);
    if (full.find("://") == std::string::npos) full = "http://" + full;
    // USER:PASS@HOST with a raw '@' in USER or PASS: the last '@' ends them.
    if (const std::size_t start = full.find("://") + 3, end = full.find_first_of("/?#", start),
        last = full.rfind('@', end == std::string::npos ? std::string::npos : end);
        last != std::string::npos && last >= start && full.find('@', start) < last)
        return bad("the user name or password holds a raw '@': write it %40 (http://USER:P%40SS@HOST:PORT)");
    std::string digit_encoded;
    auto parsed = urls::parse_uri(digit_led_host_as_name(full, digit_encoded));
    if (!parsed) return bad("not a URL; give http://HOST:PORT");  // not echoed: it may hold a password
    const urls::url_view& u = *parsed;
    const std::string scheme = ascii_lower(std::string(u.scheme()));
    if (scheme == "https")
        return bad("https:// proxies (TLS to the proxy) are not supported; give http://HOST:PORT "
                   "(https URLs still go through it encrypted, in a CONNECT tunnel)");
    if (scheme.starts_with("socks")) return bad("SOCKS proxies are not supported; give an HTTP proxy, http://HOST:PORT");
    if (scheme != "http") return bad("scheme '" + scheme + "' is not http");
    if (!u.has_authority() || u.host().empty()) return bad("the proxy URL has no host");
    if (u.has_query() || u.has_fragment() || (!u.encoded_path().empty() && u.encoded_path() != "/"))
        return bad("a proxy URL is http://HOST:PORT, without a path or query");
    proxy_server p;
    switch (u.host_type()) {
        case urls::host_type::ipv4:
            p.host = u.host_address();
            p.ip_literal = true;
            break;
        case urls::host_type::ipv6:
            p.host = u.host_ipv6_address().to_string();  // canonical, as a URL line's
            p.ip_literal = true;
            break;
        case urls::host_type::name: {
            auto name = normalise_host_name(u.host_address());
            // "the host name has ..." as "the proxy's host name has ...".
            if (auto* e = std::get_if<url_error>(&name)) return bad("the proxy's" + e->message.substr(3));
            p.host = std::move(std::get<host_name>(name).name);
            p.ip_literal = std::get<host_name>(name).ipv4;
            break;
        }
        default:
            return bad("the proxy's host is not a name or an IP address");
    }
    const auto port = u.has_port() ? parse_port(u.port()) : std::optional<std::uint16_t>(default_proxy_port);
    if (!port) return bad("the proxy's port must be 1 to 65535");
    p.port = *port;
    if (u.has_userinfo()) {
        std::string user = u.user();
        std::string password = u.password();
        // RFC 7617 2: no control characters in either (a %00 or %0A would be sent).
        const std::string both = user + password;
        if (std::any_of(both.begin(), both.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
            return bad("the user name or password holds a control character");
        p.authorization = "Basic " + base64(user + ':' + password);
    }
    p.shown = "http://" + bracketed(p.host) + ':' + std::to_string(p.port);
    return p;
}

std::string connect_authority(const target_url& u) { return bracketed(u.host) + ':' + std::to_string(u.port); }

std::string connect_request(const target_url& u, const proxy_server& p, std::string_view user_agent) {
    const std::string authority = connect_authority(u);
    std::string req = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
    if (!user_agent.empty()) req.append("User-Agent: ").append(user_agent).append("\r\n");
    if (!p.authorization.empty()) req += "Proxy-Authorization: " + p.authorization + "\r\n";
    req += "\r\n";
    return req;
}

}  // namespace shoal
