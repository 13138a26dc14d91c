// --proxy: parsing the proxy URL, the CONNECT request, and real crawls
// through tests/proxy_server.py (a CONNECT and absolute-form proxy on
// 127.0.0.1) to tools/local_site.py, plain and over TLS with the test CA.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "shoal/proxy.hpp"
#include "support/process.hpp"

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using shoal::test::local_site;
using shoal::test::temp_dir;

shoal::proxy_server parsed(const std::string& text) {
    auto p = shoal::parse_proxy(text);
    if (auto* e = std::get_if<shoal::url_error>(&p)) FAIL("parse_proxy(" << text << "): " << e->message);
    return std::get<shoal::proxy_server>(p);
}

std::string refusal(const std::string& text) {
    auto p = shoal::parse_proxy(text);
    auto* e = std::get_if<shoal::url_error>(&p);
    REQUIRE(e != nullptr);
    CHECK(e->code == "bad_proxy");
    return e->message;
}

struct crawled {
    shoal::test::process_result proc;
    std::map<std::int64_t, json::object> by_line;
};

crawled crawl(const temp_dir& dir, const std::vector<std::string>& urls, std::vector<std::string> options) {
    std::string text;
    for (const auto& u : urls) text += u + "\n";
    shoal::test::write_file(dir / "urls.txt", text);
    std::vector<std::string> argv = {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                                     (dir / "out.jsonl").string(), "-q"};
    argv.insert(argv.end(), options.begin(), options.end());
    crawled c;
    c.proc = shoal::test::run_process(argv, "", 60s);
    INFO("stderr: " << c.proc.err);
    REQUIRE_FALSE(c.proc.timed_out);
    REQUIRE(c.proc.exit_code == 0);
    for (auto& rec : shoal::test::read_jsonl(dir / "out.jsonl"))
        c.by_line.emplace(rec.at("line").to_number<std::int64_t>(), rec);
    REQUIRE(c.by_line.size() == urls.size());
    return c;
}

std::string text_at(const json::object& rec, std::string_view outer, std::string_view key = {}) {
    const json::value* v = rec.if_contains(outer);
    if (v != nullptr && !key.empty()) v = v->is_object() ? v->as_object().if_contains(key) : nullptr;
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::vector<std::string> log_lines(const fs::path& log) {
    std::vector<std::string> lines;
    if (!fs::exists(log)) return lines;
    std::string text = shoal::test::read_file(log), line;
    for (char ch : text) {
        if (ch != '\n') line += ch;
        else lines.push_back(std::exchange(line, {}));
    }
    return lines;
}

std::size_t count_starting(const std::vector<std::string>& lines, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& l : lines) n += l.rfind(prefix, 0) == 0;
    return n;
}

}  // namespace

TEST_CASE("proxy: parse_proxy takes http://[user:pass@]host[:port]", "[proxy]") {
    auto p = parsed("http://127.0.0.1:3128");
    CHECK(p.host == "127.0.0.1");
    CHECK(p.port == 3128);
    CHECK(p.ip_literal);
    CHECK(p.authorization.empty());
    CHECK(p.shown == "http://127.0.0.1:3128");

    SECTION("without a scheme, and without a port (1080, as curl)") {
        CHECK(parsed("Proxy.Example:8080").host == "proxy.example");
        CHECK_FALSE(parsed("proxy.example:8080").ip_literal);
        CHECK(parsed("http://proxy.example").port == shoal::default_proxy_port);
        CHECK(parsed("http://proxy.example:3128/").port == 3128);
    }
    SECTION("an internationalised name in punycode, a last dot, leading zeros in the port") {
        CHECK(parsed("http://b%C3%BCcher.example:3128").host == "xn--bcher-kva.example");
        CHECK(parsed("proxy.example.:3128").host == "proxy.example.");
        CHECK(parsed("http://proxy.example:03128").port == 3128);
    }
    SECTION("a host that ends in a number is an IPv4 address, read as a URL's host is") {
        for (const char* text : {"http://127.0.0.1.:3128", "http://2130706433:3128", "0x7f.0.0.1:3128",
                                 "http://user:pw@0177.0.0.1:3128"}) {
            INFO(text);
            auto q = parsed(text);
            CHECK(q.host == "127.0.0.1");
            CHECK(q.ip_literal);
            CHECK(q.port == 3128);
        }
        CHECK(parsed("http://9proxy.example:3128").host == "9proxy.example");
        CHECK_FALSE(parsed("http://9proxy.example:3128").ip_literal);
        CHECK_THAT(refusal("http://1.2.3.4.5:3128"), Catch::StartsWith("the proxy's host is not a valid IPv4 address"));
    }
    SECTION("IPv6") {
        auto v6 = parsed("http://[::1]:3128");
        CHECK(v6.host == "::1");
        CHECK(parsed("http://[0:0:0:0:0:0:0:1]:3128").host == "::1");
        CHECK(v6.shown == "http://[::1]:3128");
    }
    SECTION("credentials become Basic, percent-decoded; shown never holds them") {
        auto a = parsed("http://us%40r:pa:ss@127.0.0.1:3128");
        CHECK(a.authorization == "Basic dXNAcjpwYTpzcw==");  // base64("us@r:pa:ss")
        CHECK(a.shown == "http://127.0.0.1:3128");
        CHECK(parsed("http://user@127.0.0.1:1").authorization == "Basic dXNlcjo=");  // "user:"
    }
    SECTION("what is refused, and why") {
        CHECK_THAT(refusal("https://127.0.0.1:3128"), Catch::Contains("https:// proxies"));
        CHECK_THAT(refusal("socks5://127.0.0.1:1080"), Catch::Contains("SOCKS"));
        CHECK_THAT(refusal("ftp://127.0.0.1:21"), Catch::Contains("not http"));
        CHECK_THAT(refusal("http://127.0.0.1:3128/path"), Catch::Contains("without a path"));
        CHECK_THAT(refusal("http://127.0.0.1:3128?q=1"), Catch::Contains("without a path"));
        CHECK_THAT(refusal("http://127.0.0.1:0"), Catch::Contains("1 to 65535"));
        CHECK_THAT(refusal("http://127.0.0.1:70000"), Catch::Contains("1 to 65535"));
        CHECK_THAT(refusal("http://127.0.0.1:"), Catch::Contains("1 to 65535"));
        CHECK_THAT(refusal(""), Catch::Contains("empty"));
        CHECK_THAT(refusal("http://"), Catch::Contains("no host"));
        // Host names and ports are checked as a URL's are.
        CHECK(refusal("http://proxy..example:3128") ==
              "the proxy's host name has an empty label (a '.' first, or two in a row)");
        CHECK_THAT(refusal("http://xn--zz.example:3128"), Catch::Contains("the proxy's host name's label 'xn--zz'"));
        CHECK_THAT(refusal("http://a%3Cb:3128"), Catch::StartsWith("the proxy's host name has a character"));
        CHECK_THAT(refusal("http://" + std::string(64, 'a') + ":3128"), Catch::Contains("longer than 63 bytes"));
        // A URL that does not parse is not echoed: it may hold a password.
        CHECK_THAT(refusal("http://u:secret@bad host:1"), !Catch::Contains("secret"));
        // A raw '@' in the credentials says how to write it; control characters are refused (RFC 7617).
        for (const char* text : {"http://us@er:pw@127.0.0.1:3128", "u:p@@127.0.0.1:3128"}) {
            INFO(text);
            CHECK(refusal(text) == "the user name or password holds a raw '@': write it %40 "
                                   "(http://USER:P%40SS@HOST:PORT)");
        }
        CHECK(refusal("http://u:p%00w@127.0.0.1:3128") == "the user name or password holds a control character");
        CHECK(refusal("http://u%0A:pw@127.0.0.1:3128") == "the user name or password holds a control character");
    }
}

TEST_CASE("proxy: connect_request names the host and port, and credentials only when given", "[proxy]") {
    shoal::target_url u;
    u.https = true;
    u.host = "shop.example";
    u.port = 443;
    CHECK(shoal::connect_request(u, parsed("http://127.0.0.1:3128"), "shoal/0.1") ==
          "CONNECT shop.example:443 HTTP/1.1\r\nHost: shop.example:443\r\nUser-Agent: shoal/0.1\r\n\r\n");
    u.host = "::1";
    u.port = 8443;
    CHECK(shoal::connect_request(u, parsed("http://a:b@127.0.0.1:3128"), "") ==
          "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic YTpi\r\n\r\n");
    CHECK(shoal::connect_authority(u) == "[::1]:8443");  // as messages name it too
}

TEST_CASE("proxy: a crawl goes through it, http as absolute-form requests, https in a tunnel", "[proxy][crawl]") {
    const auto& ca = shoal::test::test_ca_dir();
    local_site plain;
    local_site tls(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    const fs::path log = dir / "proxy.log";
    local_site proxy(std::nullopt, {"--log", log.string(), "--auth", "us@r:pa:ss"}, "tests/proxy_server.py");
    const std::string via = "http://us%40r:pa:ss@127.0.0.1:" + std::to_string(proxy.port());
    const std::vector<std::string> urls = {
        plain.url("/p/1.html"), plain.url("/gzip/p/2.html"), tls.url("/p/3.html"), tls.url("/p/4.html"),
        // The site's view of the tunnelled request: no proxy credentials in it.
        tls.url("/echo-headers?title=Proxy-Authorization"),
        plain.url("/redirect-abs/p/5.html")};
    auto c = crawl(dir, urls, {"--proxy", via, "--ca-file", (ca / "ca.crt").string(), "--retries", "0"});
    for (std::int64_t line : {1, 2, 3, 4, 6}) {
        const auto& rec = c.by_line.at(line);
        INFO(json::serialize(rec));
        CHECK(rec.at("status").to_number<int>() == 200);
        CHECK(rec.at("error").is_null());
        const int page = line == 6 ? 5 : static_cast<int>(line);
        CHECK(text_at(rec, "title") == "Product " + std::to_string(page) + " | Test Shop");
        CHECK(text_at(rec, "price", "amount") == std::to_string(page) + ".99");
    }
    INFO(json::serialize(c.by_line.at(5)));
    CHECK(text_at(c.by_line.at(5), "title") == "(none)");

    const auto lines = log_lines(log);
    const std::string basic = " Basic dXNAcjpwYTpzcw==";
    CHECK(count_starting(lines, "GET " + plain.url("/p/1.html") + basic) == 1);
    CHECK(count_starting(lines, "GET " + plain.url("/gzip/p/2.html") + basic) == 1);
    CHECK(count_starting(lines, "GET " + plain.url("/redirect-abs/p/5.html") + basic) == 1);
    CHECK(count_starting(lines, "GET " + plain.url("/p/5.html") + basic) == 1);
    // Three https URLs on one host: a tunnel per connection, at least one.
    const std::string tunnel = "CONNECT 127.0.0.1:" + std::to_string(tls.port()) + basic;
    CHECK(count_starting(lines, tunnel) >= 1);
    CHECK(count_starting(lines, tunnel) + 4 == lines.size());  // nothing else went through it
}

TEST_CASE("proxy: what the proxy refuses becomes proxy_error records", "[proxy][crawl]") {
    const auto& ca = shoal::test::test_ca_dir();
    local_site plain;
    local_site tls(shoal::test::tls_files{ca / "server.crt", ca / "server.key"});
    temp_dir dir;
    const std::vector<std::string> urls = {plain.url("/p/1.html"), tls.url("/p/2.html")};
    const std::string ca_file = (ca / "ca.crt").string();

    SECTION("407 without credentials, not retried") {
        local_site proxy(std::nullopt, {"--auth", "u:p"}, "tests/proxy_server.py");
        auto c = crawl(dir, urls,
                       {"--proxy", "127.0.0.1:" + std::to_string(proxy.port()), "--ca-file", ca_file});
        for (const auto& [line, rec] : c.by_line) {
            INFO(json::serialize(rec));
            CHECK(text_at(rec, "error", "stage") == "connect");
            CHECK(text_at(rec, "error", "code") == "proxy_error");
            CHECK_THAT(text_at(rec, "error", "message"), Catch::Contains("407"));
            CHECK(rec.at("attempts").to_number<int>() == 1);
            CHECK(rec.at("status").is_null());
        }
    }
    SECTION("403 to CONNECT; plain http still goes") {
        local_site proxy(std::nullopt, {"--refuse"}, "tests/proxy_server.py");
        auto c = crawl(dir, urls, {"--proxy", "127.0.0.1:" + std::to_string(proxy.port()), "--ca-file", ca_file});
        CHECK(c.by_line.at(1).at("status").to_number<int>() == 200);
        const auto& rec = c.by_line.at(2);
        INFO(json::serialize(rec));
        CHECK(text_at(rec, "error", "code") == "proxy_error");
        CHECK_THAT(text_at(rec, "error", "message"),
                   Catch::Contains("answered 403 to CONNECT 127.0.0.1:" + std::to_string(tls.port())));
        CHECK(rec.at("attempts").to_number<int>() == 1);
    }
    SECTION("429 to CONNECT with Retry-After is retried after it, as a site's") {
        local_site proxy(std::nullopt, {"--busy", "2"}, "tests/proxy_server.py");
        auto c = crawl(dir, {tls.url("/p/2.html")},
                       {"--proxy", "127.0.0.1:" + std::to_string(proxy.port()), "--ca-file", ca_file, "--retries", "1"});
        const auto& rec = c.by_line.at(1);
        INFO(json::serialize(rec));
        CHECK(text_at(rec, "error", "code") == "proxy_error");
        CHECK(rec.at("attempts").to_number<int>() == 2);
        CHECK(rec.at("elapsed_ms").to_number<double>() >= 1900);  // was the 0.1-0.3 s backoff
    }
    SECTION("502 to CONNECT (the site is down) is retried as a 5xx") {
        local_site proxy(std::nullopt, {}, "tests/proxy_server.py");
        const std::string down = "https://127.0.0.1:" + std::to_string(shoal::test::unused_port()) + "/p/1.html";
        auto c = crawl(dir, {down}, {"--proxy", "127.0.0.1:" + std::to_string(proxy.port()), "--retries", "2"});
        const auto& rec = c.by_line.at(1);
        INFO(json::serialize(rec));
        CHECK(text_at(rec, "error", "code") == "proxy_error");
        CHECK_THAT(text_at(rec, "error", "message"), Catch::Contains("answered 502"));
        CHECK(rec.at("attempts").to_number<int>() == 3);
    }
    SECTION("a proxy that never answers is named, for http and https alike") {
        // A listening socket nobody accepts on: connections complete in
        // the kernel, requests are taken, nothing comes back.
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(fd, 64) == 0);
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        const std::string at = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
        auto c = crawl(dir, urls, {"--proxy", at, "--retries", "0", "--timeout", "1", "--ca-file", ca_file});
        ::close(fd);
        const auto& http_rec = c.by_line.at(1);
        INFO(json::serialize(http_rec));
        CHECK(text_at(http_rec, "error", "code") == "timeout");
        CHECK_THAT(text_at(http_rec, "error", "message"), Catch::EndsWith(" (through proxy " + at + ")"));
        const auto& https_rec = c.by_line.at(2);
        INFO(json::serialize(https_rec));
        CHECK(text_at(https_rec, "error", "stage") == "connect");
        CHECK(text_at(https_rec, "error", "message") == "proxy " + at + ": no answer to CONNECT 127.0.0.1:" +
                                                             std::to_string(tls.port()) + " within the timeout");
    }
    SECTION("no proxy listening: connect errors that name the proxy") {
        const std::string at = "http://127.0.0.1:" + std::to_string(shoal::test::unused_port());
        auto c = crawl(dir, urls, {"--proxy", at, "--retries", "0", "--ca-file", ca_file});
        for (const auto& [line, rec] : c.by_line) {
            INFO(json::serialize(rec));
            CHECK(text_at(rec, "error", "stage") == "connect");
            CHECK(text_at(rec, "error", "code") == "connection_refused");
            CHECK_THAT(text_at(rec, "error", "message"), Catch::StartsWith("proxy " + at + ": "));
        }
    }
}

TEST_CASE("proxy: a bad --proxy stops the run before anything is written", "[proxy][cli]") {
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "http://127.0.0.1:1/\n");
    for (const char* bad : {"socks5://127.0.0.1:1080", "https://127.0.0.1:3128", "http://u:hunter2@x y:1",
                                  "127.0.0.1:99999", ""}) {
        auto r = shoal::test::run_process(
            {SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(), "--proxy", bad},
            "", 30s);
        INFO(bad << ": " << r.err);
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("--proxy"));
        CHECK_THAT(r.err, !Catch::Contains("hunter2"));
        CHECK_FALSE(fs::exists(dir / "out.jsonl"));
    }
}
