// URL parsing and redirect resolution with Boost.URL.
#include "shoal/url.hpp"

#include <boost/url.hpp>
#include <idn2.h>

#include <algorithm>
#include <iterator>
#include <array>
#include <charconv>
#include <cctype>
#include <cstdlib>
#include <vector>

#include "shoal/charset.hpp"
#include "shoal/fnv1a.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/url_source.hpp"

namespace shoal {
namespace urls = boost::urls;

namespace {

// A name as a site: "shop.example." is shop.example. A single label keeps
// its dot ("intranet." is not "intranet", which resolver search domains
// may make intranet.corp.example), but for localhost (RFC 6761).
std::string_view same_site_name(std::string_view host) noexcept {
    const std::string_view bare = without_root_dot(host);
    return bare.find('.') != std::string_view::npos || bare == "localhost" ? bare : host;
}

}  // namespace

std::string target_url::origin() const {
    std::string s = https ? "https://" : "http://";
    if (host.find(':') != std::string::npos) s += '[' + host + ']';
    else s += same_site_name(host);
    s += ':';
    s += std::to_string(port);
    return s;
}

std::uint64_t origin_hash(std::string_view origin) noexcept { return fnv1a(origin); }

std::string_view without_root_dot(std::string_view host) noexcept {
    return host.size() > 1 && host.back() == '.' ? host.substr(0, host.size() - 1) : host;
}

namespace {

// An internationalised host name as ASCII (UTS #46 non-transitional
// processing, as browsers do): "Bücher.example" -> "xn--bcher-kva.example".
std::variant<std::string, url_error> host_to_ascii(const std::string& host) {
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(host.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK) {
        // Some registered names are valid only under transitional rules.
        rc = idn2_to_ascii_8z(host.c_str(), &out, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK)
        return url_error{"bad_host", std::string("the host name is not a valid internationalised name: ") +
                                         idn2_strerror(rc)};
    std::string ascii(out);
    idn2_free(out);
    return ascii;
}

// Whether a Punycode label (what follows "xn--") decodes (RFC 3492) to at
// least one non-ASCII character, none of them a C1 control or a surrogate,
// as an A-label must (UTS #46 4.1: "xn--" alone and "xn--abc-" are not).
// Only the code points' count and values matter: nothing is kept. Sized
// for labels of at most 63 bytes (max_i); a longer one may be refused.
bool is_punycode(std::string_view p) noexcept {
    constexpr std::uint32_t base = 36, tmin = 1, tmax = 26, skew = 38, damp = 700;
    constexpr std::uint32_t max_i = 0x110000u * 64;
    const std::size_t delimiter = p.rfind('-');
    std::size_t pos = delimiter == std::string_view::npos ? 0 : delimiter + 1;
    std::uint32_t length = delimiter == std::string_view::npos ? 0 : static_cast<std::uint32_t>(delimiter);
    if (pos == p.size()) return false;
    std::uint32_t n = 128, i = 0, bias = 72;
    while (pos < p.size()) {
        // One code point: a variable-length number, the distance to the next insertion.
        const std::uint32_t old_i = i;
        for (std::uint32_t w = 1, k = base;; k += base) {
            if (pos == p.size()) return false;
            const auto c = static_cast<unsigned char>(p[pos++] | 0x20);
            const std::uint32_t digit = c >= 'a' && c <= 'z' ? c - 'a' : c >= '0' && c <= '9' ? c - '0' + 26 : base;
            if (digit >= base || digit > (max_i - i) / w) return false;
            i += digit * w;
            const std::uint32_t t = k <= bias ? tmin : k >= bias + tmax ? tmax : k - bias;
            if (digit < t) break;
            w *= base - t;
            if (w > max_i) return false;
        }
        ++length;
        // The bias adapts to the distance (RFC 3492 6.1).
        std::uint32_t delta = old_i == 0 ? (i - old_i) / damp : (i - old_i) / 2;
        delta += delta / length;
        std::uint32_t k = 0;
        for (; delta > ((base - tmin) * tmax) / 2; k += base) delta /= base - tmin;
        bias = k + (base - tmin + 1) * delta / (delta + skew);
        n += i / length;
        i = i % length + 1;
        if (n < 0xA0 || n > 0x10FFFF || (n >= 0xD800 && n <= 0xDFFF)) return false;
    }
    return true;
}

// False for a label that starts "xn--" (either case) and is not Punycode.
bool is_valid_if_a_label(std::string_view label) noexcept {
    return label.size() < 4 || (label[0] | 0x20) != 'x' || (label[1] | 0x20) != 'n' || label[2] != '-' ||
           label[3] != '-' || is_punycode(label.substr(4));
}

// What keeps a host name from being looked up. Browsers leave these to DNS
// (WHATWG URL checks no lengths); they are input errors here instead.
enum class host_flaw { none, too_long, empty_label, long_label, bad_punycode };

// Checks the labels of a host name (letters of either case) in one pass,
// without allocating. A last dot ("example.com.", the root's) is fine, and
// so are hyphens anywhere and '_' (real hosts have them, browsers take
// them). `label` is set to the label at fault.
host_flaw check_host_name(std::string_view host, std::string_view& label) noexcept {
    if (host.size() > (host.ends_with('.') ? 254u : 253u)) return host_flaw::too_long;
    for (std::size_t from = 0; from < host.size();) {
        const std::size_t end = std::min(host.find('.', from), host.size());
        label = host.substr(from, end - from);
        if (label.empty()) return host_flaw::empty_label;
        if (label.size() > 63) return host_flaw::long_label;
        if (!is_valid_if_a_label(label)) return host_flaw::bad_punycode;
        from = end + 1;
    }
    return host_flaw::none;
}

std::optional<url_error> host_name_error(std::string_view host) {
    std::string_view label;
    switch (check_host_name(host, label)) {
        case host_flaw::none: return std::nullopt;
        case host_flaw::too_long: return url_error{"bad_host", "the host name is longer than 253 bytes"};
        case host_flaw::empty_label:
            return url_error{"bad_host", "the host name has an empty label (a '.' first, or two in a row)"};
        case host_flaw::long_label:
            return url_error{"bad_host", "the host name has a label longer than 63 bytes"};
        case host_flaw::bad_punycode:
            return url_error{"bad_host", "the host name's label '" + std::string(label) +
                                             "' starts with xn-- but is not valid Punycode"};
    }
    return std::nullopt;
}

// An IPv4 number (WHATWG URL): decimal, hex after "0x" ("0x" alone is 0),
// octal after a leading 0. Values over 2^32 - 1 are 2^32 (none fits).
// nullopt when it is none of these ("", "08", "0xg", "1a").
std::optional<std::uint64_t> parse_ipv4_number(std::string_view part) noexcept {
    if (part.empty()) return std::nullopt;
    unsigned radix = 10;
    if (part.size() >= 2 && part[0] == '0' && (part[1] | 0x20) == 'x') {
        radix = 16;
        part.remove_prefix(2);
    } else if (part.size() >= 2 && part[0] == '0') {
        radix = 8;
        part.remove_prefix(1);
    }
    constexpr std::uint64_t too_big = std::uint64_t{1} << 32;
    std::uint64_t v = 0;
    for (char ch : part) {
        const int value = hex_digit_value(ch);
        const unsigned digit = value < 0 ? 16 : static_cast<unsigned>(value);
        if (digit >= radix) return std::nullopt;
        v = std::min(v * radix + digit, too_big);
    }
    return v;
}

// WHATWG URL's "ends in a number": the last part (after the root's dot is
// dropped) is all digits or a 0x number. Such a host can only be an IPv4
// address; "example.123" and "1.2.3.4.5" are none.
bool ends_in_a_number(std::string_view host) noexcept {
    host = without_root_dot(host);
    const std::string_view last = host.substr(host.rfind('.') + 1);  // npos + 1 is 0
    if (!last.empty() && last.find_first_not_of("0123456789") == std::string_view::npos) return true;
    return last.size() >= 2 && last[0] == '0' && (last[1] | 0x20) == 'x' && parse_ipv4_number(last);
}

// WHATWG URL's IPv4 parser: 1 to 4 numbers, each but the last one byte,
// the last filling the bytes left ("127.1" is 127.0.0.1, "2130706433" too).
// Returns the address in dotted-quad form, or a url_error saying why the
// host is none.
std::variant<std::string, url_error> parse_ipv4_host(std::string_view host) {
    auto bad = [](std::string why) {
        return url_error{"bad_host", "the host is not a valid IPv4 address, which a host that ends in a number "
                                     "must be: " + std::move(why)};
    };
    host = without_root_dot(host);
    std::array<std::uint64_t, 4> numbers{};
    std::size_t count = 0;
    for (std::size_t from = 0; from <= host.size(); ++count) {
        const std::size_t end = std::min(host.find('.', from), host.size());
        if (count == 4) return bad("it has more than 4 parts");
        const std::string_view part = host.substr(from, end - from);
        if (part.empty()) return bad("it has an empty part (a '.' first, or two in a row)");
        const auto n = parse_ipv4_number(part);
        if (!n) return bad("a part is not a number (decimal, hex after 0x, or octal after a leading 0)");
        numbers[count] = *n;
        from = end + 1;
    }
    for (std::size_t k = 0; k + 1 < count; ++k)
        if (numbers[k] > 255) return bad("a part before the last is over 255");
    std::uint64_t address = numbers[count - 1];
    if (address >> (8 * (5 - count)) != 0)
        return bad(count == 1 ? "it is over 4294967295 (0xffffffff)"
                              : "its last part is over what the bytes it fills can hold");
    for (std::size_t k = 0; k + 1 < count; ++k) address += numbers[k] << (8 * (3 - k));
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) {
        if (shift != 24) out += '.';
        out += std::to_string((address >> shift) & 255);
    }
    return out;
}

}  // namespace

std::variant<host_name, url_error> normalise_host_name(std::string host) {
    bool ascii = true;
    for (unsigned char c : host) {
        if (c <= 0x20 || c == 0x7f) return url_error{"bad_host", "the host name has spaces or control characters"};
        if (c >= 0x80) ascii = false;
    }
    if (!ascii) {
        auto a = host_to_ascii(host);
        if (auto* e = std::get_if<url_error>(&a)) return *e;
        host = std::move(std::get<std::string>(a));
        // UTS #46 maps some characters to nothing (U+034F, the soft
        // hyphen, the variation selectors): a host of only those is none.
        if (host.empty())
            return url_error{"bad_host", "the host name is empty once mapped (it has only characters that "
                                         "internationalised names ignore, such as U+034F or U+00AD)"};
    }
    host = ascii_lower(std::move(host));
    // What a resolver takes: letters, digits, '-', '.', and '_' as
    // some real hosts have ("%3c" decodes to '<', which is none).
    for (unsigned char c : host)
        if (!std::isalnum(c) && c != '-' && c != '.' && c != '_')
            return url_error{"bad_host", "the host name has a character that host names cannot have: '" +
                                             std::string(1, static_cast<char>(c)) + "'"};
    // As browsers do (WHATWG URL): "127.0.0.1.", "2130706433", "0x7f.1" and
    // "0177.0.0.1" are 127.0.0.1; "1.2.3.4.5" and "a.09" are errors.
    if (ends_in_a_number(host)) {
        auto address = parse_ipv4_host(host);
        if (auto* e = std::get_if<url_error>(&address)) return *e;
        return host_name{std::move(std::get<std::string>(address)), true};
    }
    if (auto e = host_name_error(host)) return *e;
    return host_name{std::move(host), false};
}

std::optional<std::uint16_t> parse_port(std::string_view digits) noexcept {
    // Leading zeros are no digits of the number (":08080" is 8080, as browsers read it).
    if (digits.empty() || digits.size() - std::min(digits.find_first_not_of('0'), digits.size() - 1) > 5)
        return std::nullopt;
    unsigned v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v == 0 || v > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(v);
}

namespace {

// WHATWG URL's single- and double-dot path segments: "." and "..", also
// percent-encoded ("%2e", ".%2E", ...).
bool is_dot_encoded(std::string_view s) { return s.size() == 3 && s[0] == '%' && s[1] == '2' && (s[2] | 0x20) == 'e'; }
bool is_single_dot(std::string_view seg) { return seg == "." || is_dot_encoded(seg); }
bool is_double_dot(std::string_view seg) {
    if (seg == "..") return true;
    if (seg.size() == 4) return (seg[0] == '.' && is_dot_encoded(seg.substr(1))) || (seg[3] == '.' && is_dot_encoded(seg.substr(0, 3)));
    return seg.size() == 6 && is_dot_encoded(seg.substr(0, 3)) && is_dot_encoded(seg.substr(3));
}

// Whether an absolute path has a "." or ".." segment. One pass that looks
// only at segments starting with '.' or '%' (the URL scanner's hot path).
bool has_dot_segment(std::string_view path) {
    for (std::size_t i = 0; i + 1 < path.size(); ++i) {
        if (path[i] != '/' || (path[i + 1] != '.' && path[i + 1] != '%')) continue;
        const std::size_t end = std::min(path.find('/', i + 1), path.size());
        const std::string_view seg = path.substr(i + 1, end - i - 1);
        if (is_single_dot(seg) || is_double_dot(seg)) return true;
    }
    return false;
}

// An absolute path without its "." and ".." segments, as browsers send it
// (WHATWG URL's path parsing; curl does the same): "/a/./b/../c" is "/a/c",
// ".." at the root stays there, a last "." or ".." leaves a '/'.
std::string without_dot_segments(std::string_view path) {
    if (!has_dot_segment(path)) return std::string(path);
    std::vector<std::string_view> kept;
    std::size_t at = 0;  // path[at] == '/'
    for (;;) {
        const std::size_t next = path.find('/', at + 1);
        const bool last = next == std::string_view::npos;
        const std::string_view seg = path.substr(at + 1, last ? next : next - at - 1);
        if (is_double_dot(seg)) {
            if (!kept.empty()) kept.pop_back();
            if (last) kept.emplace_back();
        } else if (is_single_dot(seg)) {
            if (last) kept.emplace_back();
        } else {
            kept.push_back(seg);
        }
        if (last) break;
        at = next;
    }
    std::string out;
    for (std::string_view seg : kept) out.append("/").append(seg);
    return out.empty() ? "/" : out;
}

std::variant<target_url, url_error> from_view(const urls::url_view& u) {
    const std::string scheme = ascii_lower(std::string(u.scheme()));
    if (scheme != "http" && scheme != "https")
        return url_error{"unsupported_scheme", "scheme '" + scheme + "' is not http or https"};
    if (!u.has_authority() || u.host().empty())
    {
        std::string_view authority = u.buffer();
        authority.remove_prefix(std::min(authority.size(), authority.find("://") + 3));
        authority = authority.substr(0, authority.find_first_of("/?#"));
        if (std::count(authority.begin(), authority.end(), ':') > 1)
            return url_error{"missing_host", "the URL has no host; an IPv6 address goes in brackets, as in "
                                             "http://[::1]:8080/"};
        return url_error{"missing_host", "the URL has no host"};
    }
    // An empty one ("http://@host/", "http://:@host/") is none (WHATWG URL).
    if (u.has_userinfo() && !(u.encoded_user().empty() && u.encoded_password().empty()))
        return url_error{"userinfo", "user:password@ in URLs is not supported"};
    target_url t;
    t.https = scheme == "https";
    switch (u.host_type()) {
        case urls::host_type::ipv4:
            t.host = u.host_address();
            t.ip_literal = true;
            break;
        case urls::host_type::ipv6:
            // In its one canonical form (RFC 5952), as browsers write it:
            // [0:0:0:0:0:0:0:1] and [::0001] are [::1].
            t.host = u.host_ipv6_address().to_string();
            t.ip_literal = true;
            break;
        case urls::host_type::name: {
            auto name = normalise_host_name(u.host_address());  // percent-decoded
            if (auto* e = std::get_if<url_error>(&name)) return *e;
            t.host = std::move(std::get<host_name>(name).name);
            t.ip_literal = std::get<host_name>(name).ipv4;
            break;
        }
        default:  // [v1.x]
            return url_error{"bad_host", "the host in brackets is not a valid IPv6 address, as in "
                                         "http://[::1]:8080/"};
    }
    t.port = t.https ? 443 : 80;
    if (u.has_port() && !u.encoded_path().empty() && u.encoded_path().front() != '/') {
        // "host:abc/" and "host:0x50/" (port "0", path "x50/") have no
        // port; nor has "host:8:/x" (port "8", path ":/x").
        const std::string_view path = u.encoded_path();
        return url_error{"bad_port", "port '" + std::string(u.port()) + std::string(path.substr(0, path.find('/'))) +
                                         "' is not a number"};
    }
    if (u.has_port() && !u.port().empty()) {  // "host:/" has the default port (RFC 3986)
        const auto port = parse_port(u.port());
        if (!port) return url_error{"bad_port", "port '" + std::string(u.port()) + "' is not 1-65535"};
        t.port = *port;
    }
    // After the authority comes "/" or nothing.
    if (!u.encoded_path().empty() && u.encoded_path().front() != '/')
        return url_error{"invalid_url", "the URL has junk after the host"};
    t.target = u.encoded_path().empty() ? "/" : without_dot_segments(u.encoded_path());
    if (u.has_query()) {
        t.target += '?';
        t.target += u.encoded_query();
    }
    // Normalised: lower-case scheme and host, no default port, no fragment.
    t.url = scheme + "://";
    t.url += u.host_type() == urls::host_type::ipv6 ? '[' + t.host + ']' : t.host;
    if (t.port != (t.https ? 443 : 80)) t.url += ':' + std::to_string(t.port);
    t.url += t.target;
    return t;
}

}  // namespace

namespace {

constexpr bool is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

// RFC 3986 pchar without pct-encoded, and '/': what a path may hold as is.
constexpr std::array<bool, 256> path_chars = [] {
    std::array<bool, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = is_alnum(static_cast<unsigned char>(c));
    for (unsigned char c : std::string_view("-._~!$&'()*+,;=:@/")) t[c] = true;
    return t;
}();
bool is_path_char(unsigned char c) { return path_chars[c]; }

// What the plain path takes in a host name: letters, digits and '_', and
// '.' and '-', which it looks at further.
struct host_char {
    enum : unsigned char { other, plain, dot, hyphen };
};
constexpr std::array<unsigned char, 256> host_chars = [] {
    std::array<unsigned char, 256> t{};
    for (int c = 0; c < 256; ++c) t[c] = is_alnum(static_cast<unsigned char>(c)) ? host_char::plain : host_char::other;
    t['_'] = host_char::plain;
    t['.'] = host_char::dot;
    t['-'] = host_char::hyphen;
    return t;
}();

// Scans text from `from` while it holds path characters (and '?', for a
// query or fragment), '%' only before two hex digits. Returns where it
// stopped: the end, or the first other character.
std::size_t scan_plain(std::string_view text, std::size_t from, bool question_mark) {
    std::size_t i = from;
    while (i < text.size()) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (is_path_char(c) || (question_mark && c == '?')) {
            ++i;
        } else if (escape_at(text, i)) {
            i += 3;
        } else {
            break;
        }
    }
    return i;
}

// digit_led_host_as_name() (see url.hpp) for the host that starts at `host_from`.
std::string_view digit_led_host_at(std::string_view text, std::size_t host_from, std::string& buffer) {
    if (host_from >= text.size() || text[host_from] < '0' || text[host_from] > '9') return text;
    buffer.reserve(text.size() + 2);
    buffer.assign(text.substr(0, host_from)).append("%3").append(text.substr(host_from));
    return buffer;
}

// Where the authority of a URL reference starts ("//host",
// "scheme://host"), or npos.
std::size_t authority_start(std::string_view ref) {
    if (ref.starts_with("//")) return 2;
    const std::size_t colon = ref.find(':');
    if (colon == std::string_view::npos || colon == 0 || ref.substr(colon, 3) != "://" ||
        !std::isalpha(static_cast<unsigned char>(ref[0])))
        return std::string_view::npos;
    for (std::size_t i = 1; i < colon; ++i) {
        const auto c = static_cast<unsigned char>(ref[i]);
        if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return std::string_view::npos;
    }
    return colon + 3;
}

// Where the host of a URL reference starts, after any user:password@, or npos.
std::size_t host_start(std::string_view ref) {
    const std::size_t from = authority_start(ref);
    if (from == std::string_view::npos) return from;
    const std::size_t to = std::min(ref.find_first_of("/?#", from), ref.size());
    const std::size_t at = ref.substr(from, to - from).rfind('@');
    return at == std::string_view::npos ? from : from + at + 1;
}

// RFC 3986 IPv4address: four dec-octets (0-255, no leading zero).
bool is_ipv4(std::string_view h) {
    int parts = 0;
    std::size_t i = 0;
    while (i <= h.size()) {
        std::size_t j = i;
        unsigned v = 0;
        while (j < h.size() && h[j] >= '0' && h[j] <= '9' && j - i < 3) v = v * 10 + unsigned(h[j++] - '0');
        const std::size_t len = j - i;
        if (len == 0 || v > 255 || (len > 1 && h[i] == '0')) return false;
        ++parts;
        if (j == h.size()) return parts == 4;
        if (h[j] != '.' || parts == 4) return false;
        i = j + 1;
    }
    return false;
}

}  // namespace

std::string_view digit_led_host_as_name(std::string_view text, std::string& buffer) {
    return digit_led_host_at(text, host_start(text), buffer);
}

namespace detail {

std::optional<target_url> parse_plain_url(std::string_view text) {
    if (text.size() > url_source::max_line_bytes) return std::nullopt;
    target_url t;
    std::size_t i;
    // scheme (any case), then "://"
    auto starts = [&](std::string_view scheme) {
        if (text.size() < scheme.size() + 3 || text.substr(scheme.size(), 3) != "://") return false;
        for (std::size_t k = 0; k < scheme.size(); ++k)
            if ((static_cast<unsigned char>(text[k]) | 0x20) != static_cast<unsigned char>(scheme[k])) return false;
        return true;
    };
    if (starts("http")) {
        i = 7;
    } else if (starts("https")) {
        t.https = true;
        i = 8;
    } else {
        return std::nullopt;
    }
    // The host, and in the same pass what check_host_name() refuses: such a
    // name gets Boost.URL's path and its message. A label with '-' fourth
    // may be an A-label ("xn--"), looked at when it ends.
    const std::size_t host_from = i;
    std::size_t label_from = i;
    bool bad_label = false, maybe_a_label = false;
    auto label_ends = [&] {
        bad_label |= i - label_from - 1 >= 63;  // 0 wraps round
        bad_label |= maybe_a_label && !is_valid_if_a_label(text.substr(label_from, i - label_from));
    };
    for (; i < text.size(); ++i) {
        const unsigned char kind = host_chars[static_cast<unsigned char>(text[i])];
        if (kind == host_char::plain) [[likely]] continue;
        if (kind == host_char::other) break;
        if (kind == host_char::dot) {
            label_ends();
            label_from = i + 1;
            maybe_a_label = false;
        } else {
            maybe_a_label |= i - label_from == 3;
        }
    }
    if (i == host_from) return std::nullopt;
    const std::string_view host = text.substr(host_from, i - host_from);
    if (i > label_from) label_ends();  // not after the root's dot
    if (bad_label || host.size() > (host.back() == '.' ? 254u : 253u)) return std::nullopt;
    t.port = t.https ? 443 : 80;
    if (i < text.size() && text[i] == ':') {
        const std::size_t from = ++i;
        unsigned long v = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - from < 5) v = v * 10 + unsigned(text[i++] - '0');
        if (i == from || v == 0 || v > 65535) return std::nullopt;
        t.port = static_cast<std::uint16_t>(v);
    }
    // Then the path, a query, a fragment: nothing else.
    const std::size_t path_end = scan_plain(text, i, false);
    if (path_end < text.size() && text[path_end] != '?' && text[path_end] != '#') return std::nullopt;
    if (path_end > i && (text[i] != '/' || has_dot_segment(text.substr(i, path_end - i)))) return std::nullopt;
    const std::size_t target_end =
        path_end < text.size() && text[path_end] == '?' ? scan_plain(text, path_end + 1, true) : path_end;
    if (target_end < text.size() &&
        (text[target_end] != '#' || scan_plain(text, target_end + 1, true) != text.size()))
        return std::nullopt;
    t.ip_literal = is_ipv4(host);
    // Other hosts that end in a number ("127.1", "0x7f.0.0.1", "1.2.3.4.")
    // are IPv4 addresses in another form, or errors: the full path's.
    if (!t.ip_literal && ends_in_a_number(host)) return std::nullopt;
    t.host.assign(host);
    // Stores only what changes: fewer instructions than ascii_lower() here.
    for (char& c : t.host)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    if (i == path_end) t.target = "/";
    t.target.append(text.substr(i, target_end - i));
    char port[8];
    std::size_t port_len = 0;
    if (t.port != (t.https ? 443 : 80)) {
        port[0] = ':';
        port_len = static_cast<std::size_t>(std::to_chars(port + 1, port + sizeof port, t.port).ptr - port);
    }
    const std::string_view scheme = t.https ? "https://" : "http://";
    t.url.reserve(scheme.size() + t.host.size() + port_len + t.target.size());
    t.url.append(scheme).append(t.host).append(port, port_len).append(t.target);
    return t;
}

std::variant<target_url, url_error> parse_any_url(std::string_view text) {
    if (text.size() > url_source::max_line_bytes)
        return url_error{"too_long", "the URL is longer than 8192 bytes"};
    // An invisible one, as a list joined from files saved with one can hold.
    if (text.find("\xEF\xBB\xBF") != std::string_view::npos)
        return url_error{"invalid_url", "the line holds a byte order mark (U+FEFF, invisible) that is not at its "
                                        "start; remove it"};
    // The scheme first, so that "mailto:x" is told apart from "not a URL".
    auto colon = text.find(':');
    bool has_scheme = colon != std::string_view::npos && colon > 0 &&
                      std::isalpha(static_cast<unsigned char>(text[0]));
    for (std::size_t i = 0; has_scheme && i < colon; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        has_scheme = std::isalnum(c) || c == '+' || c == '-' || c == '.';
    }
    if (!has_scheme) return url_error{"invalid_url", "not an absolute http(s) URL"};
    const std::string scheme = ascii_lower(std::string(text.substr(0, colon)));
    if (scheme != "http" && scheme != "https")
        return url_error{"unsupported_scheme", "scheme '" + scheme + "' is not http or https"};
    if (text.substr(colon, 3) != "://")
        return url_error{"invalid_url", "not an absolute http(s) URL (no '//' after the scheme)"};
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7f)
            return url_error{"invalid_url", "the URL contains spaces or control characters"};
    // Bytes a URL cannot hold as they are (RFC 3986, which Boost.URL
    // follows) are percent-encoded, which servers decode alike: non-ASCII
    // ones everywhere (a non-ASCII host, as IDN hosts
    // appear in lists, is then decoded and turned into punycode with the
    // other host names; a path keeps them encoded, as sent), and after the
    // host " < > ` { } | ^ [ ] ("?filter[price]=10"), a '%' not before two
    // hex digits ("?off=50%") and a '\' in the query. Before the query a
    // '\' is a '/' (WHATWG URL), and it ends the host as one does.
    std::size_t authority_end = text.find_first_of("/?#\\", colon + 3);
    if (authority_end == std::string_view::npos) authority_end = text.size();
    const std::size_t query_at = std::min(text.find_first_of("?#", authority_end), text.size());
    auto must_encode = [&](std::size_t i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) return true;
        if (i < authority_end) return false;
        if (c == '%') return !escape_at(text, i);
        return std::string_view("\"<>`{}|^[]\\").find(static_cast<char>(c)) != std::string_view::npos;
    };
    // Non-ASCII is taken as UTF-8 (an IRI); other bytes are no URL anyone wrote.
    if (!is_valid_utf8(text.substr(authority_end)))
        return url_error{"invalid_url", "the URL's path or query holds bytes that are not UTF-8"};
    std::string encoded;
    for (std::size_t i = colon + 3; i < text.size(); ++i) {
        if (!must_encode(i)) continue;
        encoded.assign(text.substr(0, colon + 3));
        for (std::size_t j = colon + 3; j < text.size(); ++j) {
            auto c = static_cast<unsigned char>(text[j]);
            if (!must_encode(j)) encoded += static_cast<char>(c);
            else if (c == '\\' && j < query_at) encoded += '/';
            else append_percent_encoded(encoded, c);
        }
        text = encoded;
        break;
    }
    std::string digit_encoded;
    text = digit_led_host_at(text, colon + 3, digit_encoded);
    auto r = urls::parse_uri(text);
    if (!r) {
        if (text.find("://") == std::string_view::npos)
            return url_error{"invalid_url", "not an absolute http(s) URL"};
        std::string_view authority = text.substr(colon + 3);  // text may have grown
        authority = authority.substr(0, authority.find_first_of("/?#"));
        if (std::count(authority.begin(), authority.end(), ':') > 1 && authority.find('[') == std::string_view::npos)
            return url_error{"invalid_url", "an IPv6 address goes in brackets, as in http://[::1]:8080/"};
        if (authority.find('[') != std::string_view::npos || authority.find(']') != std::string_view::npos)
            return url_error{"bad_host", "the host in brackets is not a valid IPv6 address, as in "
                                         "http://[::1]:8080/ (no zone such as %25eth0)"};
        if (authority.find('%') != std::string_view::npos)
            return url_error{"bad_host", "the host has a '%' that is not followed by two hex digits"};
        return url_error{"invalid_url", "not a valid URL: the host holds a character that host names cannot "
                                        "hold"};
    }
    return from_view(*r);
}

}  // namespace detail

std::variant<target_url, url_error> parse_url(std::string_view text) {
    std::variant<target_url, url_error> r = [&]() -> std::variant<target_url, url_error> {
        if (auto t = detail::parse_plain_url(text)) return std::move(*t);
        return detail::parse_any_url(text);
    }();
    // Percent-encoding (and a '/' for an empty path) lengthens a URL: the
    // normalised one must still be a line the list could hold, so that it
    // parses again as itself.
    if (auto* t = std::get_if<target_url>(&r); t && t->url.size() > url_source::max_line_bytes)
        return url_error{"too_long", "the URL is longer than 8192 bytes once normalised (" +
                                         std::to_string(t->url.size()) + " bytes, non-ASCII percent-encoded)"};
    return r;
}

std::string without_tabs_and_line_breaks(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::copy_if(s.begin(), s.end(), std::back_inserter(out), [](char c) { return c != '\t' && c != '\n' && c != '\r'; });
    return out;
}

std::variant<target_url, url_error> resolve_location(const target_url& base,
                                                     std::string_view location) {
    // Browsers drop tabs and line breaks anywhere in a URL (WHATWG URL).
    std::string unbroken;
    if (location.find_first_of("\t\n\r") != std::string_view::npos) {
        unbroken = without_tabs_and_line_breaks(location);
        location = unbroken;
    }
    // In an http(s) URL, browsers read a backslash before the query as a
    // '/' (WHATWG URL): "/a\b" is /a/b, "\\host\x" is //host/x.
    std::string slashed;
    if (const std::size_t end = std::min(location.find_first_of("?#"), location.size());
        location.substr(0, end).find('\\') != std::string_view::npos) {
        slashed.assign(location);
        std::replace(slashed.begin(), slashed.begin() + static_cast<std::ptrdiff_t>(end), '\\', '/');
        location = slashed;
    }
    // An http(s) scheme without "//" (WHATWG URL's special schemes): with
    // the base's scheme the rest is relative ("http:/x" is /x on the same
    // host, "http:x" a relative path); with the other one the slashes are
    // optional ("https:host/x" is https://host/x). Browsers and curl follow both.
    std::string special;
    if (const std::size_t colon = location.find(':'); colon == 4 || colon == 5) {
        const std::string scheme = ascii_lower(std::string(location.substr(0, colon)));
        std::string_view rest = location.substr(colon + 1);
        if ((scheme == "http" || scheme == "https") && !rest.starts_with("//")) {
            if (scheme == (base.https ? "https" : "http")) {
                // A ':' in its first segment would read as a scheme ("a:b"): "./a:b".
                const std::size_t first_end = std::min(rest.find_first_of("/?#"), rest.size());
                if (rest.substr(0, first_end).find(':') != std::string_view::npos) special = "./";
                special.append(rest);
            } else {
                while (rest.starts_with('/')) rest.remove_prefix(1);
                special = scheme + "://" + std::string(rest);
            }
            location = special;
        }
    }
    std::string digit_encoded;
    location = digit_led_host_at(location, host_start(location), digit_encoded);
    auto ref = urls::parse_uri_reference(location);
    std::string fixed;  // outlives ref, which may point into it
    if (!ref) {
        // Servers send raw spaces, non-ASCII and characters URLs cannot
        // hold ("{", "|", a backslash in the query) in Location; browsers
        // take them: percent-encode them.
        // As on a list line: '[' and ']' after the host, and a '%' that
        // starts no escape, too.
        static constexpr std::string_view not_in_urls = "\"<>\\^`{|}";
        const std::size_t host_at = host_start(location);
        const std::size_t after_host =
            host_at == std::string_view::npos ? 0 : std::min(location.find_first_of("/?#", host_at), location.size());
        for (std::size_t i = 0; i < location.size(); ++i) {
            const auto c = static_cast<unsigned char>(location[i]);
            if (c <= 0x20 || c >= 0x7f || not_in_urls.find(static_cast<char>(c)) != std::string_view::npos ||
                (c == '%' && !escape_at(location, i)) || (i >= after_host && (c == '[' || c == ']')))
                append_percent_encoded(fixed, c);
            else
                fixed += static_cast<char>(c);
        }
        ref = urls::parse_uri_reference(fixed);
        if (!ref) return url_error{"bad_location", "the Location header is not a URL"};
    }
    urls::url out;
    auto base_view = urls::parse_uri(base.url);
    if (!base_view) return url_error{"bad_location", "cannot resolve against " + base.url};
    auto rv = urls::resolve(*base_view, *ref, out);
    if (!rv) return url_error{"bad_location", "cannot resolve the Location header"};
    return parse_url(out.buffer());  // which drops ".." above the root
}

}  // namespace shoal
