// Integration tests of `shoal serve`: the real binary on loopback, fetched
// with a plain socket client, with python3's ssl module and with `shoal crawl`.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "shoal/serve_pages.hpp"
#include "support/gunzip.hpp"
#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
namespace pages = shoal::serve_pages;
using namespace std::chrono_literals;
using shoal::test::background_process;
using shoal::test::gunzip;
using shoal::test::run_process;
using shoal::test::temp_dir;

// The file's text, or "" while the child has not created it yet.
std::string read_if_there(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec) ? shoal::test::read_file(p) : std::string();
}

// `shoal serve --port 0 ARGS...` in the background; the constructor waits for
// the listening line, the destructor stops it (SIGTERM, then SIGKILL).
class serve_process {
public:
    // `before`: words run first, which exec the server (a shell setting a limit).
    explicit serve_process(std::vector<std::string> args, std::vector<std::string> before = {}) {
        std::vector<std::string> argv = std::move(before);
        for (const char* w : {SHOAL_BINARY, "serve", "--port", "0", "--duration", "60"}) argv.emplace_back(w);
        argv.insert(argv.end(), args.begin(), args.end());
        proc_.emplace(argv, dir_ / "out.txt", dir_ / "err.txt");
        const auto give_up = std::chrono::steady_clock::now() + 20s;
        for (;;) {
            const std::string out = read_if_there(dir_ / "out.txt");
            const auto at = out.find("://127.0.0.1:");
            if (out.starts_with("shoal serve: listening on ") && at != std::string::npos &&
                out.find('\n') != std::string::npos) {
                line_ = out.substr(0, out.find('\n'));
                port_ = std::stoi(out.substr(at + 13));
                break;
            }
            if (proc_->wait(0ms) || std::chrono::steady_clock::now() > give_up)
                throw std::runtime_error("shoal serve did not start: " + err());
            std::this_thread::sleep_for(20ms);
        }
    }
    ~serve_process() { stop(); }

    // The exit status once it ends without being told to, within `limit`.
    std::optional<int> stop_by_itself(std::chrono::milliseconds limit) { return proc_->wait(limit); }

    // SIGTERM, and the exit status (nullopt if still running after 10 s).
    std::optional<int> stop() {
        if (auto st = proc_->wait(0ms)) return st;
        ::kill(proc_->pid(), SIGTERM);
        return proc_->wait(10s);
    }
    int port() const { return port_; }
    pid_t pid() const { return proc_->pid(); }
    const std::string& line() const { return line_; }
    std::string err() const { return read_if_there(dir_ / "err.txt"); }
    std::string url(const std::string& path, const char* scheme = "http") const {
        return std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    temp_dir dir_;
    std::optional<background_process> proc_;
    int port_ = 0;
    std::string line_;
};

struct response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;                            // as sent (chunks joined, not decoded)
    bool complete = false;                       // the whole body arrived
    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

// A blocking HTTP/1.1 client on one connection, with 10 s timeouts.
class client {
public:
    explicit client(int port, const std::string& host = "127.0.0.1") {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        REQUIRE(::inet_pton(AF_INET, host.c_str(), &a.sin_addr) == 1);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~client() { ::close(fd_); }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void send(const std::string& s) { REQUIRE(try_send(s)); }
    // False when the server has closed (or reset) the connection.
    bool try_send(const std::string& s) {
        return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
    }

    response get(const std::string& path, const std::string& extra_headers = "") {
        send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n");
        return read_response();
    }

    response read_response(bool head_only = false) {
        response r;
        std::size_t end;
        while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return r;
        const std::string head = buf_.substr(0, end);
        buf_.erase(0, end + 4);
        r.status = std::stoi(head.substr(9, 3));
        std::size_t pos = head.find("\r\n");
        while (pos != std::string::npos && pos + 2 < head.size()) {
            const std::size_t next = head.find("\r\n", pos + 2);
            const std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
            const std::size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            r.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
            pos = next;
        }
        if (head_only) {
            r.complete = true;
        } else if (r.header("transfer-encoding") == "chunked") {
            for (;;) {
                std::size_t eol;
                while ((eol = buf_.find("\r\n")) == std::string::npos)
                    if (!fill()) return r;
                const std::size_t size = std::stoul(buf_.substr(0, eol), nullptr, 16);
                while (buf_.size() < eol + 2 + size + 2)
                    if (!fill()) return r;
                r.body += buf_.substr(eol + 2, size);
                CHECK(buf_.substr(eol + 2 + size, 2) == "\r\n");
                buf_.erase(0, eol + 2 + size + 2);
                if (size == 0) break;
            }
            r.complete = true;
        } else {
            const std::size_t length = std::stoul(r.header("content-length"));
            while (buf_.size() < length)
                if (!fill()) {
                    r.body = buf_;
                    return r;
                }
            r.body = buf_.substr(0, length);
            buf_.erase(0, length);
            r.complete = true;
        }
        return r;
    }

    // True when the server closes the connection (EOF or reset) with no more bytes.
    bool closed_by_server() {
        char c;
        return buf_.empty() && ::recv(fd_, &c, 1, 0) <= 0;
    }
    // Whether the server has closed the connection already (no waiting).
    bool closed_now() {
        char c;
        const ssize_t n = ::recv(fd_, &c, 1, MSG_DONTWAIT);
        return buf_.empty() && (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK));
    }

private:
    bool fill() {
        char tmp[65536];
        const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) return false;
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    std::string buf_;
};

json::object stats_of(const serve_process& s) {
    client c(s.port());
    const response r = c.get("/stats");
    REQUIRE(r.status == 200);
    CHECK(r.header("content-type") == "application/json");
    return json::parse(r.body).as_object();
}

std::uint64_t count(const json::object& o, const char* key) {
    return o.at(key).to_number<std::uint64_t>();
}

// GET /stats over TLS, with python3's ssl module.
json::object tls_stats_of(const serve_process& s, const fs::path& ca) {
    auto p = run_process({"python3", "-c",
                          "import ssl, sys, urllib.request\n"
                          "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
                          "print(urllib.request.urlopen(sys.argv[2], context=ctx, timeout=10).read().decode())\n",
                          ca.string(), s.url("/stats", "https")},
                         "", 30s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    return json::parse(p.out).as_object();
}

// Crawls dir/urls.txt (a `shoal serve --tls --cert-out dir/ca.pem` list)
// with --ca-file and --stats, checks that all `lines` records are 200s, and
// returns --stats' fetch counters.
// How a test crawl is started beyond its options: environment settings
// (the SHOAL_FAULT_ knobs), and how the list comes: named (dealt by host),
// through a pipe on stdin (chunks of consecutive lines), or as a file
// redirected onto stdin (`shoal crawl - < urls.txt`, dealt like a named one).
enum class list_via { name, pipe, redirect };
struct crawl_way {
    std::vector<std::string> env;
    list_via list = list_via::name;
};

json::object crawl_https_list(const fs::path& dir, std::size_t lines,
                              const std::vector<std::string>& options, const crawl_way& way = {}) {
    std::vector<std::string> args;
    if (way.list == list_via::redirect)
        args = {"sh", "-c", "exec \"$@\" < \"$0\"", (dir / "urls.txt").string()};
    if (!way.env.empty()) {
        args.push_back("env");
        args.insert(args.end(), way.env.begin(), way.env.end());
    }
    const std::string list = (dir / "urls.txt").string();
    for (const std::string& a : {std::string(SHOAL_BINARY), std::string("crawl"),
                                 way.list == list_via::name ? list : std::string("-"), std::string("-o"),
                                 (dir / "out.jsonl").string(), std::string("-q"), std::string("--ca-file"),
                                 (dir / "ca.pem").string(), std::string("--stats"),
                                 (dir / "stats.json").string()})
        args.push_back(a);
    args.insert(args.end(), options.begin(), options.end());
    auto p = run_process(args, way.list == list_via::pipe ? shoal::test::read_file(list) : "", 120s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == lines);
    for (const auto& rec : records) CHECK(rec.at("status") == 200);
    const auto run = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    INFO("--stats: " << json::serialize(run));
    return run.at("fetch").as_object();
}

// A crawl of a `shoal serve --tls` site of `urls` URLs over `hosts` hosts
// (more serve options in serve_extra): the handshakes as shoal's --stats
// counts them, and the server's /stats after the crawl.
struct tls_crawl {
    std::uint64_t handshakes = 0;
    std::uint64_t resumed = 0;
    json::object server;
};

tls_crawl crawl_tls_site(const fs::path& dir, int urls, int hosts, std::vector<std::string> serve_extra,
                         const std::vector<std::string>& crawl_options, const crawl_way& way = {}) {
    std::vector<std::string> args = {"--tls", "--cert-out", (dir / "ca.pem").string(), "--urls",
                                     std::to_string(urls), "--hosts", std::to_string(hosts),
                                     "--url-file", (dir / "urls.txt").string()};
    args.insert(args.end(), serve_extra.begin(), serve_extra.end());
    serve_process s(std::move(args));
    const json::object fetch = crawl_https_list(dir, static_cast<std::size_t>(urls), crawl_options, way);
    tls_crawl r;
    r.handshakes = fetch.at("tls_handshakes").to_number<std::uint64_t>();
    r.resumed = fetch.at("tls_resumed").to_number<std::uint64_t>();
    r.server = tls_stats_of(s, dir / "ca.pem");
    return r;
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// True when process pid has a handler for sig (its SigCgt mask in /proc).
bool catches_signal(pid_t pid, int sig) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("SigCgt:"))
            return (std::stoull(line.substr(7), nullptr, 16) >> (sig - 1)) & 1;
    return false;
}

}  // namespace

TEST_CASE("serve: product, listing, index, 404 and HEAD", "[serve]") {
    serve_process s({});
    CHECK(s.line().starts_with("shoal serve: listening on http://127.0.0.1:"));
    const pages::site site(19000);
    client c(s.port());
    response r = c.get("/p/7.html");
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/html; charset=utf-8");
    CHECK(r.header("content-encoding").empty());
    CHECK(r.body == site.product_page(7));
    r = c.get("/list/3.html");  // same connection: keep-alive
    CHECK(r.status == 200);
    CHECK(r.body == site.listing_page(3));
    r = c.get("/");
    CHECK(r.status == 200);
    CHECK(r.body == site.index_page(false));
    r = c.get("/p/0.html");
    CHECK(r.status == 404);
    CHECK(r.body == site.not_found_page(false));
    r = c.get("/nothing/here");
    CHECK(r.status == 404);
    c.send("HEAD /p/8.html HTTP/1.1\r\nHost: x\r\n\r\n");
    r = c.read_response(true);
    CHECK(r.status == 200);
    CHECK(r.header("content-length") == std::to_string(site.product_page(8).size()));
    // Another 127.x.y.z address reaches the same server.
    client other(s.port(), "127.0.3.9");
    CHECK(other.get("/p/9.html").body == site.product_page(9));
    CHECK(s.stop() == 0);
}

TEST_CASE("serve: gzip bodies are the page, compressed, also with --gzip off and --page-size", "[serve]") {
    const pages::site site(7000);
    {
        serve_process s({"--page-size", "7000"});
        client c(s.port());
        for (std::uint64_t n : {1, 2, 3, 500, 77777}) {
            const std::string path = "/p/" + std::to_string(n) + ".html";
            response r = c.get(path, "Accept-Encoding: gzip, deflate\r\n");
            CHECK(r.status == 200);
            CHECK(r.header("content-encoding") == "gzip");
            CHECK(r.header("vary") == "Accept-Encoding");
            CHECK(gunzip(r.body) == site.product_page(n));
            r = c.get(path, "Accept-Encoding: gzip;q=0\r\n");
            CHECK(r.header("content-encoding").empty());
            CHECK(r.body == site.product_page(n));
        }
        response r = c.get("/list/4.html", "Accept-Encoding: gzip\r\n");
        CHECK(gunzip(r.body) == site.listing_page(4));
        r = c.get("/nope", "Accept-Encoding: gzip\r\n");
        CHECK(r.status == 404);
        CHECK(gunzip(r.body) == site.not_found_page(false));
    }
    serve_process off({"--page-size", "7000", "--gzip", "off"});
    client c(off.port());
    response r = c.get("/p/3.html", "Accept-Encoding: gzip\r\n");
    CHECK(r.header("content-encoding").empty());
    CHECK(r.body == site.product_page(3));
}

TEST_CASE("serve: chunked bodies", "[serve]") {
    serve_process s({"--transfer", "chunked"});
    const pages::site site(19000);
    client c(s.port());
    response r = c.get("/p/11.html");
    CHECK(r.complete);
    CHECK(r.header("transfer-encoding") == "chunked");
    CHECK(r.header("content-length").empty());
    CHECK(r.body == site.product_page(11));
    r = c.get("/p/12.html", "Accept-Encoding: gzip\r\n");
    CHECK(r.complete);
    CHECK(gunzip(r.body) == site.product_page(12));
    r = c.get("/list/1.html");
    CHECK(r.body == site.listing_page(1));
    // HTTP/1.0 clients get Content-Length.
    c.send("GET /p/13.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = c.read_response();
    CHECK(r.header("content-length") == std::to_string(site.product_page(13).size()));
    CHECK(r.header("connection") == "keep-alive");
}

TEST_CASE("serve: --keep-alive off and Connection: close close after the response", "[serve]") {
    {
        serve_process s({"--keep-alive", "off"});
        client c(s.port());
        response r = c.get("/p/1.html");
        CHECK(r.status == 200);
        CHECK(r.complete);
        CHECK(r.header("connection") == "close");
        CHECK(c.closed_by_server());
    }
    serve_process s({});
    client c(s.port());
    response r = c.get("/p/1.html", "Connection: close\r\n");
    CHECK(r.header("connection") == "close");
    CHECK(c.closed_by_server());
}

TEST_CASE("serve: bad requests get 400 or 431 and a close", "[serve]") {
    serve_process s({});
    {
        client c(s.port());
        c.send("BLAH\r\n\r\n");
        response r = c.read_response();
        CHECK(r.status == 400);
        CHECK(c.closed_by_server());
    }
    {
        client c(s.port());
        c.send("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n");
        response r = c.read_response();
        CHECK(r.status == 431);
    }
    {
        client c(s.port());
        c.send("DELETE /p/1.html HTTP/1.1\r\n\r\n");
        CHECK(c.read_response().status == 405);
    }
    {
        client c(s.port());
        c.send("OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        response r = c.read_response();
        CHECK(r.status == 405);
        CHECK(r.header("allow") == "GET, HEAD");
    }
    {
        client c(s.port());  // the asterisk form is OPTIONS' alone
        c.send("GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        CHECK(c.read_response().status == 400);
    }
    {
        client c(s.port());  // another method with a body: 405 all the same
        c.send("POST /p/1.html HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde");
        response r = c.read_response();
        CHECK(r.status == 405);
        CHECK(c.closed_by_server());
    }
    {
        client c(s.port());  // a GET with a body, which serve does not read
        c.send("GET /p/1.html HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        response r = c.read_response();
        CHECK(r.status == 400);
        CHECK(c.closed_by_server());
    }
    // Still serving.
    client c(s.port());
    CHECK(c.get("/p/2.html").status == 200);
}

TEST_CASE("serve: an https crawl of the plain port fails at stage tls at once, not at its timeout",
          "[serve]") {
    serve_process s({});
    temp_dir dir;
    shoal::test::write_file(dir / "urls.txt", "https://127.0.0.1:" + std::to_string(s.port()) + "/p/1.html\n");
    auto p = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o", (dir / "out.jsonl").string(),
                          "-q", "--timeout", "30", "--retries", "0"},
                         "", 60s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 1);
    INFO(json::serialize(records[0]));
    CHECK(records[0].at("error").at("stage") == "tls");
    CHECK(records[0].at("error").at("code") != "timeout");
    CHECK(p.elapsed < 10s);
}

TEST_CASE("serve: --latency delays each response", "[serve]") {
    serve_process s({"--latency", "150", "--jitter", "50"});
    client c(s.port());
    c.get("/p/1.html");  // connection set up
    for (int i = 0; i < 3; ++i) {
        const auto start = std::chrono::steady_clock::now();
        CHECK(c.get("/p/2.html").status == 200);
        CHECK(std::chrono::steady_clock::now() - start >= 145ms);
    }
}

TEST_CASE("serve: a --latency longer than --idle-timeout still answers", "[serve]") {
    // The timeout is for idle connections and slow request heads, not for
    // the server's own delay (the sweeper used to close the connection).
    serve_process s({"--latency", "1500", "--idle-timeout", "0.5"});
    client c(s.port());
    const auto start = std::chrono::steady_clock::now();
    CHECK(c.get("/p/1.html").status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= 1450ms);
}

TEST_CASE("serve: --idle-timeout closes a head that trickles in, and an idle connection, on time", "[serve]") {
    serve_process s({"--idle-timeout", "0.4"});
    {
        // One byte every 100 ms: the whole head would take 4 s.
        client c(s.port());
        const std::string head = "GET /p/1.html HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        const auto start = std::chrono::steady_clock::now();
        std::size_t sent = 0;
        for (; sent < head.size(); ++sent) {
            if (!c.try_send(head.substr(sent, 1))) break;
            std::this_thread::sleep_for(100ms);
            if (std::chrono::steady_clock::now() - start > 2500ms) break;
        }
        CHECK(sent < head.size());
        CHECK(c.closed_by_server());  // no answer, closed
        // Within about 0.5 s of the first byte; each byte moving the
        // deadline, the whole head (4 s) would have been read.
        CHECK(std::chrono::steady_clock::now() - start < 1500ms);
    }
    {
        client c(s.port());
        CHECK(c.get("/p/1.html").status == 200);
        const auto start = std::chrono::steady_clock::now();
        CHECK(c.closed_by_server());
        const auto idle = std::chrono::steady_clock::now() - start;
        CHECK(idle >= 350ms);
        CHECK(idle < 800ms);  // the sweeper looks every 100 ms here, not every 500
    }
}

TEST_CASE("serve: out of descriptors it closes idle kept-alive connections to take new ones", "[serve]") {
    // 48 descriptors, a few of them the server's own: clients that keep
    // their connections open after one request would shut every later one
    // out until --idle-timeout (60 s here) if idle ones were not closed.
    serve_process s({"--idle-timeout", "60"}, {"sh", "-c", "ulimit -n 48 && exec \"$0\" \"$@\""});
    std::vector<std::unique_ptr<client>> kept;
    // Connections that send nothing (a browser's preconnects) are idle too.
    for (int i = 0; i < 40; ++i) kept.push_back(std::make_unique<client>(s.port()));
    for (int i = 0; i < 80; ++i) {
        INFO("client " << i);
        kept.push_back(std::make_unique<client>(s.port()));
        const auto start = std::chrono::steady_clock::now();
        REQUIRE(kept.back()->get("/p/" + std::to_string(i + 1) + ".html").status == 200);
        CHECK(std::chrono::steady_clock::now() - start < 5s);
    }
    // The first ones were closed to make room; the last ones are still open.
    CHECK(kept.front()->closed_now());
    CHECK_FALSE(kept.back()->closed_now());
    CHECK(kept.back()->get("/p/1.html").status == 200);
}

TEST_CASE("serve: a port in use is refused, also when its listener shares it with SO_REUSEPORT", "[serve]") {
    serve_process first({"--processes", "2"});
    const std::string port = std::to_string(first.port());
    for (const char* processes : {"1", "2"}) {
        auto second = run_process({SHOAL_BINARY, "serve", "--port", port, "--processes", processes, "--duration", "2"},
                                  "", 20s);
        INFO(second.err);
        CHECK(second.exit_code == 1);
        CHECK(second.err.starts_with("shoal: cannot listen on 0.0.0.0:" + port + ": Address already in use"));
        // A port the kernel gave (--port 0) is in the clients' range: the
        // message says what else may hold such a port.
        CHECK(second.err.find("TIME_WAIT") != std::string::npos);
        CHECK(second.err.find("--port 0") != std::string::npos);
    }
    // Nor is a --cert-out written for a server that did not start.
    temp_dir dir;
    auto tls = run_process({SHOAL_BINARY, "serve", "--port", port, "--tls", "--cert-out", (dir / "ca.pem").string(),
                            "--duration", "2"},
                           "", 20s);
    CHECK(tls.exit_code == 1);
    CHECK_FALSE(fs::exists(dir / "ca.pem"));
    CHECK(count(stats_of(first), "processes") == 2);
}

TEST_CASE("serve: with --bind, the URL list names the bound address", "[serve]") {
    temp_dir dir;
    auto p = run_process({SHOAL_BINARY, "serve", "--bind", "127.0.0.5", "--port", "0", "--urls", "3", "--url-file",
                          (dir / "urls.txt").string(), "--duration", "0.5"},
                         "", 20s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    CHECK(p.out.starts_with("shoal serve: listening on http://127.0.0.5:"));
    CHECK(p.out.find(" 1 host,") != std::string::npos);
    const std::string list = shoal::test::read_file(dir / "urls.txt");
    const std::string port = p.out.substr(p.out.find("127.0.0.5:") + 10, p.out.find('/', p.out.find("127.0.0.5:")) -
                                                                             p.out.find("127.0.0.5:") - 10);
    CHECK(list == "http://127.0.0.5:" + port + "/p/1.html\nhttp://127.0.0.5:" + port +
                      "/p/2.html\nhttp://127.0.0.5:" + port + "/p/3.html\n");
    auto spread = run_process({SHOAL_BINARY, "serve", "--bind", "127.0.0.5", "--hosts", "4", "--port", "0"}, "", 20s);
    CHECK(spread.exit_code == 1);
    CHECK(spread.err.find("--hosts") != std::string::npos);
}

TEST_CASE("serve: option combinations that cannot work are refused", "[serve]") {
    struct refused {
        std::vector<std::string> args;
        std::string says;
    };
    const std::vector<refused> cases = {
        {{"--cert-out", "c.pem", "--port", "0"}, "--cert-out needs --tls"},
        {{"--urls", "-1", "--print-urls", "--port", "1"}, "--urls"},
        {{"--urls", "0", "--print-urls", "--port", "1"}, "--urls"},
        // Counts are decimal digits: CLI11 alone took 0x10 as hex, and
        // said "not in range" for words.
        {{"--urls", "-1", "--print-urls", "--port", "1"}, "--urls: '-1' is not a whole number"},
        {{"--processes", "0x2", "--port", "0"}, "--processes: '0x2' is not a whole number"},
        {{"--hosts", "many", "--port", "0"}, "--hosts: 'many' is not a whole number"},
        // Smaller than the smallest page the site makes: refused, not served at about 5.8 KB.
        {{"--page-size", "0", "--port", "0"}, "--page-size 0 bytes: the smallest is 6000 bytes ("},
        {{"--page-size", "5999", "--port", "0"}, "--page-size 5999 bytes: the smallest is 6000 bytes"},
        // Sizes take K, M and G, as crawl's --max-body; messages show both forms.
        {{"--page-size", "5K", "--port", "0"}, "--page-size 5K (5120 bytes): the smallest is 6000 bytes"},
        {{"--page-size", "5120", "--port", "0"}, "--page-size 5K (5120 bytes): the smallest is 6000 bytes"},
        {{"--page-size", "65M", "--port", "0"},
         "--page-size: '65M' (68157440 bytes) is more than 64M (67108864 bytes)"},
        {{"--page-size", "67108865", "--port", "0"}, "--page-size: '67108865' is more than 64M (67108864 bytes)"},
        {{"--page-size", "1G", "--port", "0"}, "--page-size: '1G' (1073741824 bytes) is more than 64M"},
        {{"--page-size", "64X", "--port", "0"}, "--page-size: '64X' is not a size in bytes"},
        {{"--page-size", "19 000", "--port", "0"}, "--page-size: '19 000' is not a size in bytes"},
        // A path given as "" is refused, not ignored; two outputs in one file too.
        {{"--url-file", "", "--port", "0"}, "--url-file: an empty path"},
        {{"--tls", "--cert-out", "", "--port", "0"}, "--cert-out: an empty path"},
        {{"--tls", "--cert-out", "same.txt", "--url-file", "./same.txt", "--port", "0"},
         "--cert-out and --url-file name the same file ./same.txt: one would be written over the other"},
    };
    for (const auto& c : cases) {
        std::vector<std::string> argv = {SHOAL_BINARY, "serve"};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        auto r = run_process(argv, "", 20s);
        INFO(r.err);
        CHECK(r.exit_code == 1);
        CHECK(r.err.find(c.says) != std::string::npos);
        CHECK(r.out.empty());
    }
    auto smallest = run_process({SHOAL_BINARY, "serve", "--page-size", "6000", "--print-urls",
                                 "--port", "1", "--urls", "1"},
                                "", 20s);
    CHECK(smallest.exit_code == 0);
    auto suffixed = run_process({SHOAL_BINARY, "serve", "--page-size", "8KiB", "--port", "0", "--duration", "0.2"},
                                "", 20s);
    CHECK(suffixed.exit_code == 0);
    CHECK_THAT(suffixed.out, Catch::Contains(", page size 8192,"));
    auto help = run_process({SHOAL_BINARY, "serve", "--help"}, "", 20s);
    // The help is wrapped to 100 columns: read it as one line.
    std::string flat;
    for (char c : help.out) {
        if (c == '\n' || c == ' ') {
            if (!flat.empty() && flat.back() != ' ') flat += ' ';
        } else {
            flat += c;
        }
    }
    CHECK_THAT(flat, Catch::Contains("6000 bytes to 64M (67108864 bytes)"));
    // More hosts than the certificate names: served, with a warning.
    auto many = run_process({SHOAL_BINARY, "serve", "--tls", "--hosts", "5000", "--print-urls", "--port", "1", "--urls", "5000"},
                            "", 20s);
    CHECK(many.exit_code == 0);
    CHECK(many.err == "shoal serve: warning: the certificate names the first 4096 of the 5000 hosts: a client that "
                      "checks it (crawl --ca-file) fails on the others; crawl --insecure does not\n");
    // Fewer URLs than that use no host it does not name.
    auto few = run_process({SHOAL_BINARY, "serve", "--tls", "--hosts", "5000", "--print-urls", "--port", "1", "--urls", "10"},
                           "", 20s);
    CHECK(few.exit_code == 0);
    CHECK(few.err.empty());
}

TEST_CASE("serve: --error-rate and --reset-rate pick the same pages every time", "[serve]") {
    serve_process s({"--error-rate", "0.2", "--reset-rate", "0.2"});
    const pages::site site(19000);
    int errors = 0, resets = 0, fine = 0;
    for (std::uint64_t n = 1; n <= 60; ++n) {
        INFO("page " << n);
        client c(s.port());
        const response r = c.get("/p/" + std::to_string(n) + ".html");
        if (pages::answers_error(n, 0.2)) {
            CHECK(r.status == 500);
            CHECK(r.body == site.error_page(false));
            ++errors;
        } else if (pages::resets(n, 0.2)) {
            CHECK(r.status == 200);
            CHECK_FALSE(r.complete);
            CHECK(r.body.size() < site.product_page(n).size());
            CHECK(site.product_page(n).starts_with(r.body));
            ++resets;
        } else {
            CHECK(r.status == 200);
            CHECK(r.body == site.product_page(n));
            ++fine;
        }
    }
    CHECK(errors > 0);
    CHECK(resets > 0);
    CHECK(fine > 0);
    const json::object st = stats_of(s);
    CHECK(count(st, "responses_500") == static_cast<std::uint64_t>(errors));
    CHECK(count(st, "resets") == static_cast<std::uint64_t>(resets));
}

TEST_CASE("serve: --print-urls and --url-file give the documented list", "[serve]") {
    auto p = run_process({SHOAL_BINARY, "serve", "--print-urls", "--urls", "600", "--hosts", "300",
                          "--port", "18099"},
                         "", 20s);
    REQUIRE(p.exit_code == 0);
    std::string want;
    for (std::uint64_t i = 1; i <= 600; ++i) want += pages::url_line("http", i, 300, 18099) + "\n";
    CHECK(p.out == want);
    CHECK(p.out.find("http://127.0.1.1:18099/p/255.html\n") != std::string::npos);

    temp_dir dir;
    serve_process s({"--tls", "--urls", "5", "--hosts", "2", "--url-file", (dir / "u.txt").string()});
    std::string tls_want;
    for (std::uint64_t i = 1; i <= 5; ++i) tls_want += pages::url_line("https", i, 2, static_cast<unsigned>(s.port())) + "\n";
    CHECK(shoal::test::read_file(dir / "u.txt") == tls_want);
    CHECK_FALSE(fs::exists(dir / "u.txt.shoal-tmp"));  // written beside, then renamed into place

    auto bad = run_process({SHOAL_BINARY, "serve", "--gzip", "maybe"}, "", 20s);
    CHECK(bad.exit_code == 1);
    bad = run_process({SHOAL_BINARY, "serve", "--print-urls", "--port", "0"}, "", 20s);
    CHECK(bad.exit_code == 1);
}

TEST_CASE("serve: a crawl of the URL list gets every title and price", "[serve]") {
    temp_dir dir;
    serve_process s({"--urls", "2000", "--hosts", "64", "--url-file", (dir / "urls.txt").string()});
    auto p = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.jsonl").string(), "-p", "2", "-c", "64", "-q"},
                         "", 120s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 2000);
    std::size_t good = 0;
    for (const auto& rec : records) {
        const auto line = rec.at("line").to_number<std::uint64_t>();
        INFO(json::serialize(rec));
        CHECK(rec.at("url").as_string() == pages::url_line("http", line, 64, static_cast<unsigned>(s.port())));
        CHECK(rec.at("status") == 200);
        CHECK(rec.at("title").as_string() == pages::product_title(line));
        CHECK(rec.at("price").at("amount").as_string() == pages::product_price(line).amount);
        CHECK(rec.at("price").at("currency").as_string() == "USD");
        good += rec.at("error").is_null();
    }
    CHECK(good == 2000);
    const json::object st = stats_of(s);
    CHECK(count(st, "requests") >= 2000);
    CHECK(count(st, "connections") >= 64);
}

TEST_CASE("serve: a crawl over many hosts in random order keeps about one connection per host", "[serve]") {
    // 16 lanes, 1,600 URLs over 64 hosts in random order. Taken in file
    // order, a host is often asked by two or three lanes at once and gets as
    // many connections (about 150 here); lines for a busy host wait for its
    // connection instead.
    temp_dir dir;
    serve_process s({"--latency", "2"});
    std::minstd_rand rng(11);
    std::string list;
    for (int n = 1; n <= 1600; ++n)
        list += "http://127.0.0." + std::to_string(1 + rng() % 64) + ":" + std::to_string(s.port()) +
                "/p/" + std::to_string(n) + ".html\n";
    auto p = run_process({SHOAL_BINARY, "crawl", "-", "-o", (dir / "out.jsonl").string(), "-p", "1",
                          "-c", "16", "-q"},
                         list, 120s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 1600);
    std::set<std::uint64_t> lines;
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        CHECK(rec.at("status") == 200);
        lines.insert(rec.at("line").to_number<std::uint64_t>());
    }
    CHECK(lines.size() == 1600);
    const json::object st = stats_of(s);
    INFO(json::serialize(st));
    CHECK(count(st, "requests") == 1601);   // and the /stats request
    CHECK(count(st, "connections") <= 64 + 16 + 1);
}

TEST_CASE("serve: while the CPU is the limit, lanes do not open a second connection to a host", "[serve]") {
    // 2,000 URLs over 16 hosts, 64 lanes. Once every line has been looked
    // at, lanes whose host has no line left join hosts that have, each on a
    // new connection (over TLS a handshake). While the CPU is the limit
    // (SHOAL_FAULT_CPU_SATURATED=1 says it is) they wait instead, and end
    // when the last line is taken: one connection per host.
    temp_dir busy;
    const tls_crawl limited =
        crawl_tls_site(busy.path(), 2000, 16, {}, {"-p", "1", "-c", "64"}, {{"SHOAL_FAULT_CPU_SATURATED=1"}});
    CHECK(limited.handshakes == 16);
    CHECK(limited.resumed == 0);
    // With room on the CPU, lanes join the hosts (more in flight).
    temp_dir idle;
    const tls_crawl roomy =
        crawl_tls_site(idle.path(), 2000, 16, {}, {"-p", "1", "-c", "64"}, {{"SHOAL_FAULT_CPU_SATURATED=0"}});
    CHECK(roomy.handshakes > 16);
    CHECK(roomy.handshakes - roomy.resumed == 16);
}

TEST_CASE("serve: a URL list is dealt to the workers by host, from a file or through a pipe", "[serve]") {
    // 800 URLs over 16 hosts in turn, 4 workers (chunks of 200), 16 lanes
    // each, no second connections (the CPU counts as the limit). From the
    // file (named, or redirected onto stdin) and through a pipe alike, each
    // worker gets the lines of 4 hosts: 16 connections in all. In chunks of
    // consecutive lines (SHOAL_FAULT_NO_DEALING=1) each worker meets every
    // host: 64.
    // (No worker hands lines back at the end: that would add connections.)
    const std::vector<std::string> env = {"SHOAL_FAULT_CPU_SATURATED=1", "SHOAL_FAULT_NO_HAND_BACK=1"};
    const std::vector<std::string> options = {"-p", "4", "-c", "16", "--chunk-size", "200"};
    for (list_via via : {list_via::name, list_via::redirect, list_via::pipe}) {
        INFO("list via " << static_cast<int>(via));
        temp_dir dir;
        CHECK(crawl_tls_site(dir.path(), 800, 16, {}, options, {env, via}).handshakes == 16);
    }
    std::vector<std::string> in_order_env = env;
    in_order_env.push_back("SHOAL_FAULT_NO_DEALING=1");
    temp_dir dir;
    CHECK(crawl_tls_site(dir.path(), 800, 16, {}, options, {in_order_env, list_via::pipe}).handshakes == 64);
}

namespace {

// A crawl of 240 URLs over 8 hosts of a `shoal serve --latency 20` site,
// the list on stdin in chunks of consecutive lines (SHOAL_FAULT_NO_DEALING=1),
// 200 and 40: 2 workers of 4 lanes. The
// second is done after about 200 ms, when the first has about 160 lines
// left to start: 800 ms more at its pace.
struct uneven_crawl {
    int exit_code = -1;
    std::string err;
    std::vector<json::object> records;
    json::object stats;
    std::uint64_t requests = 0;  // as the server counted them, /stats excluded

    // How many different lines the records are for.
    std::size_t lines() const {
        std::set<std::uint64_t> seen;
        for (const auto& rec : records) seen.insert(rec.at("line").to_number<std::uint64_t>());
        return seen.size();
    }
};

uneven_crawl crawl_uneven_chunks(const std::vector<std::string>& env) {
    temp_dir dir;
    serve_process s({"--latency", "20"});
    std::string list;
    for (int n = 1; n <= 240; ++n)
        list += "http://127.0.0." + std::to_string(1 + n % 8) + ":" + std::to_string(s.port()) + "/p/" +
                std::to_string(n) + ".html\n";
    std::vector<std::string> args = {"env", "SHOAL_FAULT_NO_DEALING=1"};
    args.insert(args.end(), env.begin(), env.end());
    args.insert(args.end(), {SHOAL_BINARY, "crawl", "-", "-o", (dir / "out.jsonl").string(), "-q", "-p", "2", "-c",
                             "4", "--chunk-size", "200", "--stats", (dir / "stats.json").string()});
    auto p = run_process(args, list, 120s);
    uneven_crawl r;
    r.exit_code = p.exit_code;
    r.err = p.err;
    if (p.exit_code == 0 || p.exit_code == 3) {
        r.records = shoal::test::read_jsonl(dir / "out.jsonl");
        r.stats = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
    }
    r.requests = count(stats_of(s), "requests") - 1;
    return r;
}

}  // namespace

TEST_CASE("serve: a worker left with many lines at the end hands half of them to a new worker", "[serve]") {
    const uneven_crawl r = crawl_uneven_chunks({});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    INFO("--stats: " << json::serialize(r.stats));
    REQUIRE(r.records.size() == 240);
    CHECK(r.lines() == 240);
    for (const auto& rec : r.records) CHECK(rec.at("status") == 200);
    // Every URL fetched once: a line handed back is fetched by the new worker only.
    CHECK(r.requests == 240);
    const json::object& workers = r.stats.at("workers").as_object();
    CHECK(count(workers, "started") >= 3);
    // The first answer alone is about half of the 160 lines left.
    CHECK(count(workers, "lines_handed_back") >= 40);
    CHECK(count(workers, "lines_handed_back") <= 160);

    // Turned off, the two chunks' workers do all of it.
    const uneven_crawl off = crawl_uneven_chunks({"SHOAL_FAULT_NO_HAND_BACK=1"});
    REQUIRE(off.exit_code == 0);
    CHECK(off.records.size() == 240);
    CHECK(count(off.stats.at("workers").as_object(), "started") == 2);
    CHECK(count(off.stats.at("workers").as_object(), "lines_handed_back") == 0);
}

TEST_CASE("serve: lines handed back still get one record each when a worker dies", "[serve]") {
    // Line 150 (in the first chunk, kept or handed back) kills every worker
    // that fetches it: it ends with a crash record, every other line with
    // its page, whichever worker had it when.
    const uneven_crawl r = crawl_uneven_chunks({"SHOAL_FAULT_ABORT_URL=/p/150.html"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    INFO("--stats: " << json::serialize(r.stats));
    REQUIRE(r.records.size() == 240);
    CHECK(r.lines() == 240);
    for (const auto& rec : r.records) {
        INFO(json::serialize(rec));
        if (rec.at("line") == 150) CHECK(rec.at("error").at("stage") == "crash");
        else CHECK(rec.at("status") == 200);
    }
    CHECK(count(r.stats.at("workers").as_object(), "lines_handed_back") > 0);
}

TEST_CASE("serve: TLS sessions are shared by a run's workers, so later chunks resume", "[serve]") {
    // 200 URLs over 4 hosts in chunks of 20: ten workers one after another.
    // Each would make a full handshake with every host it meets; with the
    // sessions shared, those after the first chunk's resume.
    temp_dir dir;
    const tls_crawl r = crawl_tls_site(dir.path(), 200, 4, {}, {"-p", "1", "-c", "4", "--chunk-size", "20"});
    CHECK(r.handshakes >= 40);  // at least one per host and chunk
    CHECK(r.resumed >= r.handshakes / 2);
    CHECK(r.handshakes - r.resumed <= 30);  // full ones: each worker's would be 40 and more
    CHECK(count(r.server, "tls_handshakes_resumed") == r.resumed);
}

TEST_CASE("serve: a worker's new connection to a host it has visited resumes its TLS session, "
          "on AES-128-GCM",
          "[serve]") {
    // Keep-alive off: every URL is a new connection. One lane, one worker:
    // the first connection to each of the 3 hosts makes a full handshake,
    // the 27 after it resume the session the one before ended with. (A
    // connection freed without a close_notify used to spoil its session in
    // OpenSSL's eyes, so each of these was a full handshake.)
    temp_dir dir;
    const tls_crawl r = crawl_tls_site(dir.path(), 30, 3, {"--keep-alive", "off"}, {"-p", "1", "-c", "1"});
    CHECK(r.handshakes == 30);
    CHECK(r.resumed == 27);
    CHECK(count(r.server, "tls_handshakes_resumed") == 27);
    // shoal offers AES-128-GCM first and the server follows the client's
    // order: all 30 use it (the /stats request's own client may or may not).
    CHECK(count(r.server, "tls_handshakes_aes_128_gcm") >= 30);
    CHECK(count(r.server, "tls_handshakes_aes_128_gcm") <= 31);
}

TEST_CASE("serve: lanes that join a host wait for its first TLS session and resume it", "[serve]") {
    // One host, 8 lanes, keep-alive on: the first line opens a connection,
    // the others wait for it, and once every line has been looked at the
    // other 7 lanes join the host at once. Each of their connections waits
    // for the session the first one is bringing and resumes it: one full
    // handshake in all, where each would otherwise make its own. (Lanes
    // join a busy host only while the CPU has room: here it always has.)
    temp_dir dir;
    const tls_crawl r =
        crawl_tls_site(dir.path(), 100, 1, {}, {"-p", "1", "-c", "8"}, {{"SHOAL_FAULT_CPU_SATURATED=0"}});
    CHECK(r.handshakes >= 2);
    CHECK(r.handshakes <= 16);
    CHECK(r.resumed == r.handshakes - 1);
    CHECK(count(r.server, "tls_handshakes_resumed") == r.handshakes - 1);
}

TEST_CASE("serve: one full TLS handshake per host, however many lanes join it", "[serve]") {
    // 2,000 URLs over 64 hosts, 256 lanes: every line is looked at at once,
    // and lanes keep joining hosts with lines waiting, each on a new
    // connection that offers the host's session while others use it too.
    // OpenSSL's client cache took a TLS 1.3 session as used up after one
    // resumption, and connections that offered it after that made full
    // handshakes (73-76 here); the server takes a session again, so only
    // each host's first handshake is full. (The CPU counts as having room,
    // or lanes would not join busy hosts.)
    temp_dir dir;
    const tls_crawl r =
        crawl_tls_site(dir.path(), 2000, 64, {}, {"-p", "1", "-c", "256"}, {{"SHOAL_FAULT_CPU_SATURATED=0"}});
    CHECK(r.handshakes > 64);
    CHECK(r.handshakes - r.resumed == 64);
    CHECK(count(r.server, "tls_handshakes_resumed") == r.resumed);
}

TEST_CASE("serve: workers that start together make one full TLS handshake per host between them",
          "[serve]") {
    // 400 URLs over 8 hosts, 4 workers at once (chunks of 100): each meets
    // every host at its start. The first to connect to a host claims it in
    // the shared table and the others wait for its session instead of
    // making full handshakes of their own (30-32 in all before, for 8 hosts).
    // Chunks are runs of consecutive lines (SHOAL_FAULT_NO_DEALING=1): dealt
    // by host, each worker would meet only 2 of the hosts.
    temp_dir dir;
    const tls_crawl r = crawl_tls_site(dir.path(), 400, 8, {}, {"-p", "4", "-c", "16", "--chunk-size", "100"},
                                       {{"SHOAL_FAULT_NO_DEALING=1"}});
    CHECK(r.handshakes >= 32);  // every worker connects to every host
    CHECK(r.handshakes - r.resumed == 8);
    CHECK(count(r.server, "tls_handshakes_resumed") == r.resumed);
}

TEST_CASE("serve: --tls with --cert-out works with crawl --ca-file, and sessions resume", "[serve]") {
    temp_dir dir;
    serve_process s({"--tls", "--cert-out", (dir / "ca.pem").string(), "--processes", "2",
                     "--urls", "200", "--hosts", "8", "--url-file", (dir / "urls.txt").string()});
    CHECK(s.line().starts_with("shoal serve: listening on https://127.0.0.1:"));
    auto p = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.jsonl").string(), "-p", "1", "-c", "16", "-q", "--ca-file",
                          (dir / "ca.pem").string(), "--stats", (dir / "stats.json").string()},
                         "", 120s);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == 200);
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        const auto line = rec.at("line").to_number<std::uint64_t>();
        CHECK(rec.at("status") == 200);
        CHECK(rec.at("title").as_string() == pages::product_title(line));
    }
    // --stats: every connection was a TLS handshake; the server saw as many.
    {
        const auto run = json::parse(shoal::test::read_file(dir / "stats.json")).as_object();
        INFO("--stats: " << json::serialize(run));
        const auto& fetch = run.at("fetch").as_object();
        const auto opened = fetch.at("connections").to_number<std::uint64_t>();
        CHECK(opened >= 8);  // one per host at least
        CHECK(fetch.at("tls_handshakes").to_number<std::uint64_t>() == opened);
        CHECK(fetch.at("reused").to_number<std::uint64_t>() == 200 - opened);
        const json::object st = tls_stats_of(s, dir / "ca.pem");
        CHECK(count(st, "tls_handshakes_full") + count(st, "tls_handshakes_resumed") == opened + 1);
        CHECK(fetch.at("tls_resumed").to_number<std::uint64_t>() == count(st, "tls_handshakes_resumed"));
    }
    // Without the certificate, verification fails.
    auto untrusted = run_process({SHOAL_BINARY, "crawl", "-", "-o", (dir / "bad.jsonl").string(),
                                  "-q", "--retries", "0"},
                                 s.url("/p/1.html", "https") + "\n", 60s);
    const auto bad = shoal::test::read_jsonl(dir / "bad.jsonl");
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].at("error").at("code").as_string() == "certificate_verify_failed");

    // One session offered again on 12 new connections: every one resumes,
    // whichever of the two processes takes it (shared ticket keys).
    const std::string script =
        "import socket, ssl, sys\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
        "session = None\n"
        "resumed = 0\n"
        "for i in range(13):\n"
        "    with socket.create_connection(('127.0.0.1', int(sys.argv[2])), timeout=10) as raw:\n"
        "        with ctx.wrap_socket(raw, server_hostname='127.0.0.1', session=session) as t:\n"
        "            t.sendall(b'GET /p/1.html HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')\n"
        "            data = b''\n"
        "            while True:\n"
        "                chunk = t.recv(65536)\n"
        "                if not chunk: break\n"
        "                data += chunk\n"
        "            assert data.startswith(b'HTTP/1.1 200'), data[:100]\n"
        "            resumed += t.session_reused\n"
        "            session = t.session\n"
        "print(resumed)\n";
    shoal::test::write_file(dir / "resume.py", script);
    const json::object before = tls_stats_of(s, dir / "ca.pem");
    auto py = run_process({"python3", (dir / "resume.py").string(), (dir / "ca.pem").string(),
                           std::to_string(s.port())},
                          "", 60s);
    INFO(py.err);
    REQUIRE(py.exit_code == 0);
    CHECK(py.out == "12\n");
    const json::object after = tls_stats_of(s, dir / "ca.pem");
    CHECK(count(after, "tls_handshakes_resumed") - count(before, "tls_handshakes_resumed") == 12);
    CHECK(count(after, "tls_handshakes_full") > count(before, "tls_handshakes_full"));
}

TEST_CASE("serve: --processes 2 share the port and SIGTERM stops them all", "[serve]") {
    serve_process s({"--processes", "2"});
    const std::vector<pid_t> children = shoal::test::children_titled(s.pid(), "shoal: serve");
    REQUIRE(children.size() == 1);
    // Many connections: SO_REUSEPORT spreads them over both processes.
    for (int i = 0; i < 60; ++i) {
        client c(s.port());
        CHECK(c.get("/p/1.html").status == 200);
    }
    const json::object st = stats_of(s);
    CHECK(count(st, "processes") == 2);
    CHECK(count(st, "requests") == 61);
    const json::array& per = st.at("per_process").as_array();
    REQUIRE(per.size() == 2);
    CHECK(per[0].at("pid").to_number<pid_t>() == s.pid());
    CHECK(per[1].at("pid").to_number<pid_t>() == children[0]);
    CHECK(per[0].at("requests").to_number<std::uint64_t>() > 0);
    CHECK(per[1].at("requests").to_number<std::uint64_t>() > 0);
    CHECK(st.at("cpu_seconds").to_number<double>() > 0);

    CHECK(s.stop() == 0);
    CHECK_FALSE(process_exists(children[0]));
}

TEST_CASE("serve: a server process that dies stops the server, which says so (exit 4)", "[serve]") {
    // Served on by fewer processes, a benchmark would measure a smaller
    // server without a word.
    serve_process s({"--processes", "3"});
    const std::vector<pid_t> children = shoal::test::children_titled(s.pid(), "shoal: serve");
    REQUIRE(children.size() == 2);
    ::kill(children[0], SIGKILL);
    const std::optional<int> status = s.stop_by_itself(20s);
    REQUIRE(status.has_value());
    CHECK(*status == 4);
    CHECK(s.err() == "shoal: serve process " + std::to_string(children[0]) +
                         " was killed by signal 9 (SIGKILL); the server stopped, with its other processes\n");
    CHECK_FALSE(process_exists(children[1]));
}

TEST_CASE("serve: SIGTERM or SIGINT during a long startup stops it as a running server stops",
          "[serve]") {
    for (int sig : {SIGTERM, SIGINT}) {
        INFO("signal " << sig);
        temp_dir dir;
        // Pages of 64 MiB take tens of seconds to build before the server listens.
        background_process p({SHOAL_BINARY, "serve", "--port", "0", "--processes", "2",
                              "--page-size", "67108864", "--url-file", (dir / "urls.txt").string()},
                             dir / "out.txt", dir / "err.txt");
        const auto give_up = std::chrono::steady_clock::now() + 10s;
        while (!catches_signal(p.pid(), sig) && std::chrono::steady_clock::now() < give_up &&
               !p.wait(0ms))
            std::this_thread::sleep_for(10ms);
        std::this_thread::sleep_for(300ms);  // well into building the pages
        REQUIRE_FALSE(p.wait(0ms));
        const auto sent = std::chrono::steady_clock::now();
        ::kill(p.pid(), sig);
        const std::optional<int> status = p.wait(20s);
        CHECK(status == 0);  // as a running server's stop, not 128 + sig
        CHECK(std::chrono::steady_clock::now() - sent < 5s);
        CHECK(read_if_there(dir / "out.txt").empty());  // it never listened
        CHECK(read_if_there(dir / "err.txt").empty());
        CHECK_FALSE(fs::exists(dir / "urls.txt"));
    }
}

TEST_CASE("serve: SIGTERM while the --url-file is written stops the processes started, "
          "and leaves no list",
          "[serve]") {
    temp_dir dir;
    // 10^11 URLs: the list would take hours to write.
    background_process p({SHOAL_BINARY, "serve", "--port", "0", "--processes", "2", "--urls",
                          "100000000000", "--url-file", (dir / "urls.txt").string()},
                         dir / "out.txt", dir / "err.txt");
    const auto give_up = std::chrono::steady_clock::now() + 20s;
    while (!fs::exists(dir / "urls.txt.shoal-tmp") && std::chrono::steady_clock::now() < give_up &&
           !p.wait(0ms))
        std::this_thread::sleep_for(10ms);
    const std::vector<pid_t> children = shoal::test::children_titled(p.pid(), "shoal: serve");
    REQUIRE(children.size() == 1);
    const auto sent = std::chrono::steady_clock::now();
    ::kill(p.pid(), SIGTERM);
    CHECK(p.wait(20s) == 0);
    CHECK(std::chrono::steady_clock::now() - sent < 5s);
    CHECK_FALSE(process_exists(children[0]));
    CHECK(read_if_there(dir / "out.txt").empty());
    CHECK(read_if_there(dir / "err.txt").empty());
    CHECK_FALSE(fs::exists(dir / "urls.txt"));
    CHECK_FALSE(fs::exists(dir / "urls.txt.shoal-tmp"));
}

TEST_CASE("serve: --duration stops the server by itself", "[serve]") {
    const auto start = std::chrono::steady_clock::now();
    auto p = run_process({SHOAL_BINARY, "serve", "--port", "0", "--processes", "2", "--duration", "1"},
                         "", 20s);
    CHECK(p.exit_code == 0);
    CHECK_FALSE(p.timed_out);
    CHECK(p.out.starts_with("shoal serve: listening on http://127.0.0.1:"));
    CHECK(std::chrono::steady_clock::now() - start < 10s);
}
