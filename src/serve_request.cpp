// The request head of `shoal serve` (see serve_request.hpp).
#include "shoal/serve_request.hpp"

#include <boost/asio/ip/address.hpp>
#include <string>

#include "shoal/literal_search.hpp"

namespace shoal::serve_request {

namespace net = boost::asio;

namespace {

// Calls f(token, params) for each element of a comma-separated header list.
template <class F>
void for_each_element(std::string_view v, F f) {
    while (!v.empty()) {
        std::size_t comma = v.find(',');
        std::string_view e = v.substr(0, comma);
        v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
        std::size_t semi = e.find(';');
        std::string_view token = trim_blanks(e.substr(0, semi));
        std::string_view params = semi == std::string_view::npos ? std::string_view() : e.substr(semi + 1);
        if (!token.empty()) f(token, params);
    }
}

// A q parameter of 0 ("q=0", "q=0.000") refuses the coding.
bool q_is_zero(std::string_view params) {
    while (!params.empty()) {
        const std::size_t semi = params.find(';');
        const std::string_view p = trim_blanks(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view() : params.substr(semi + 1);
        if (p.size() >= 2 && ascii_lower(p[0]) == 'q' && p[1] == '=')
            return p.substr(2).find_first_not_of("0.") == std::string_view::npos;
    }
    return false;
}

bool accepts_gzip(std::string_view v) {
    bool gzip = false, refused = false, star = false;
    for_each_element(v, [&](std::string_view token, std::string_view params) {
        const bool zero = q_is_zero(params);
        if (ascii_iequals(token, "gzip") || ascii_iequals(token, "x-gzip")) {
            if (zero) refused = true;
            else gzip = true;
        } else if (token == "*" && !zero) {
            star = true;
        }
    });
    return gzip || (star && !refused);
}

bool is_token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

bool is_loopback(std::string_view address) {
    boost::system::error_code ec;
    net::ip::address a = net::ip::make_address(std::string(address), ec);
    if (ec) return false;
    if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
    const net::ip::address_v6 v6 = a.to_v6();
    if (v6.is_loopback()) return true;
    return v6.is_v4_mapped() &&
           (net::ip::make_address_v4(net::ip::v4_mapped, v6).to_uint() >> 24) == 127;
}

parse_status parse(std::string_view buf, request_head& out, std::size_t& consumed) {
    std::size_t pos = 0;
    // Empty lines before a request line are ignored (RFC 9112, 2.2).
    while (pos < buf.size() && (buf[pos] == '\r' || buf[pos] == '\n')) ++pos;
    // Bytes that cannot start a request line (a TLS ClientHello sent to the
    // plain port starts with 0x16) are refused at once, not waited on.
    for (std::size_t i = pos; i < buf.size() && buf[i] != ' '; ++i)
        if (!is_token_char(buf[i])) return parse_status::bad;
    // The head ends at the first empty line.
    std::size_t end = std::string_view::npos;
    for (std::size_t nl = buf.find('\n', pos); nl != std::string_view::npos;
         nl = buf.find('\n', nl + 1)) {
        if (nl + 1 < buf.size() && buf[nl + 1] == '\n') {
            end = nl + 2;
            break;
        }
        if (nl + 2 < buf.size() && buf[nl + 1] == '\r' && buf[nl + 2] == '\n') {
            end = nl + 3;
            break;
        }
        if (nl - pos > max_head_bytes) break;
    }
    if (end == std::string_view::npos)
        return buf.size() - pos >= max_head_bytes ? parse_status::too_large : parse_status::incomplete;
    if (end - pos > max_head_bytes) return parse_status::too_large;
    consumed = end;

    auto next_line = [&]() {
        std::size_t nl = buf.find('\n', pos);
        std::string_view line = buf.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = nl + 1;
        return line;
    };

    // Request line: METHOD SP TARGET SP HTTP/1.x
    std::string_view line = next_line();
    const std::size_t sp1 = line.find(' ');
    if (sp1 == 0 || sp1 == std::string_view::npos) return parse_status::bad;
    const std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return parse_status::bad;
    out.method = line.substr(0, sp1);
    for (char c : out.method)
        if (!is_token_char(c)) return parse_status::bad;
    out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    if (version.size() != 8 || !version.starts_with("HTTP/1.") || version[7] < '0' || version[7] > '9')
        return parse_status::bad;
    out.minor_version = version[7] - '0';
    // Absolute form (a request to a proxy): keep the path.
    for (std::string_view scheme : {"http://", "https://"}) {
        if (out.target.size() > scheme.size() && ascii_iequals(out.target.substr(0, scheme.size()), scheme)) {
            std::size_t slash = out.target.find('/', scheme.size());
            out.target = slash == std::string_view::npos ? std::string_view("/") : out.target.substr(slash);
        }
    }
    // "OPTIONS *" (the asterisk form) is a request: answered 405 as other methods are.
    if (out.target.empty() || (out.target[0] != '/' && !(out.target == "*" && out.method == "OPTIONS")))
        return parse_status::bad;
    for (char c : out.target)
        if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return parse_status::bad;

    bool close = false, keep_alive = false;
    out.gzip = false;
    out.has_body = false;
    while (pos < end) {
        line = next_line();
        if (line.empty()) break;
        const std::size_t colon = line.find(':');
        if (colon == 0 || colon == std::string_view::npos) return parse_status::bad;
        const std::string_view name = line.substr(0, colon);
        for (char c : name)
            if (!is_token_char(c)) return parse_status::bad;
        const std::string_view value = trim_blanks(line.substr(colon + 1));
        if (ascii_iequals(name, "connection")) {
            for_each_element(value, [&](std::string_view token, std::string_view) {
                if (ascii_iequals(token, "close")) close = true;
                else if (ascii_iequals(token, "keep-alive")) keep_alive = true;
            });
        } else if (ascii_iequals(name, "accept-encoding")) {
            out.gzip = accepts_gzip(value);
        } else if (ascii_iequals(name, "content-length")) {
            if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos)
                return parse_status::bad;
            if (value.find_first_not_of('0') != std::string_view::npos) out.has_body = true;
        } else if (ascii_iequals(name, "transfer-encoding")) {
            out.has_body = true;
        }
    }
    out.keep_alive = out.minor_version >= 1 ? !close : keep_alive && !close;
    return parse_status::ok;
}

}  // namespace shoal::serve_request
