// `shoal bench` (see bench.hpp): start `shoal serve` per mode, run the
// crawls and wrk as child processes, measure them, check every record, and
// write the report (bench_report.hpp).
#include "shoal/bench.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "shoal/bench_report.hpp"
#include "shoal/child_process.hpp"
#include "shoal/command_line.hpp"
#include "shoal/error.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/options.hpp"
#include "shoal/serve_pages.hpp"
#include "shoal/sys.hpp"

namespace shoal::bench {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using steady = std::chrono::steady_clock;

// serve refreshes the CPU figure of /stats every 50 ms: wait that long after a run.
constexpr useconds_t stats_settle_us = 60000;

volatile sig_atomic_t interrupted = 0;
extern "C" void on_stop_signal(int) { interrupted = 1; }

// ---------------------------------------------------------------- options

std::string shell_quote(const std::string& s) {
    if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                          "0123456789_./,=:+-@%") == std::string::npos)
        return s;
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string join_argv(const std::vector<std::string>& argv) {
    std::string s;
    for (const std::string& a : argv) s += (s.empty() ? "" : " ") + shell_quote(a);
    return s;
}

// ---------------------------------------------------------------- machine

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return std::move(s).str();
}

std::string cpu_model() {
    std::istringstream in(read_text("/proc/cpuinfo"));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) != 0) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string v = line.substr(colon + 1);
        v.erase(0, v.find_first_not_of(" \t"));
        return v;
    }
    return "";
}

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
    return buf;
}

std::string self_exe() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw setup_error(exit_code::internal, "cannot find this program (/proc/self/exe): " + ec.message());
    return p.string();
}

std::optional<std::string> find_on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string f = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(f.c_str(), X_OK) == 0) return f;
    }
    return std::nullopt;
}

std::size_t fd_limit() {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return 1024;
    return r.rlim_cur == RLIM_INFINITY ? std::size_t{1} << 20 : static_cast<std::size_t>(r.rlim_cur);
}

// ---------------------------------------------------------------- serve

// A GET of /stats on the server, over TLS when the server speaks only TLS.
// Returns the body, or "" on any failure (the figures are then missing).
std::string http_get(unsigned port, bool tls, const std::string& target) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return "";
    struct closer {
        int fd;
        ~closer() { ::close(fd); }
    } close_fd{fd};
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return "";
    const std::string request =
        "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    std::string response;
    char buf[16384];
    if (tls) {
        static SSL_CTX* ctx = [] {
            SSL_CTX* c = SSL_CTX_new(TLS_client_method());
            if (c) SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
            return c;
        }();
        if (!ctx) return "";
        std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), &SSL_free);
        if (!ssl || SSL_set_fd(ssl.get(), fd) != 1 || SSL_connect(ssl.get()) != 1) return "";
        if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) return "";
        int n;
        while ((n = SSL_read(ssl.get(), buf, sizeof buf)) > 0) response.append(buf, static_cast<std::size_t>(n));
    } else {
        if (!sys::write_all(fd, request.data(), request.size())) return "";
        ssize_t n;
        while ((n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); })) > 0)
            response.append(buf, static_cast<std::size_t>(n));
    }
    // Status 200, then the body, de-chunked when needed.
    if (response.compare(0, 12, "HTTP/1.1 200") != 0 && response.compare(0, 12, "HTTP/1.0 200") != 0)
        return "";
    const std::size_t head_end = response.find("\r\n\r\n");
    if (head_end == std::string::npos) return "";
    const std::string head = ascii_lower(response.substr(0, head_end));
    std::string body = response.substr(head_end + 4);
    if (head.find("transfer-encoding: chunked") == std::string::npos) return body;
    std::string plain;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t eol = body.find("\r\n", pos);
        if (eol == std::string::npos) return "";
        const std::size_t size = std::strtoul(body.c_str() + pos, nullptr, 16);
        if (size == 0) return plain;
        if (eol + 2 + size > body.size()) return "";
        plain.append(body, eol + 2, size);
        pos = eol + 2 + size + 2;
    }
}

// Counters from serve's /stats that a run's figures come from. NaN: missing.
struct server_counters {
    double requests = no_value;
    double cpu_s = no_value;
    double tls_full = no_value;
    double tls_resumed = no_value;
};

double number_at(const json::value* v, std::initializer_list<const char*> path) {
    for (const char* key : path) {
        if (!v || !v->is_object()) return no_value;
        v = v->as_object().if_contains(key);
    }
    if (!v) return no_value;
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    if (v->is_double()) return v->as_double();
    return no_value;
}

server_counters parse_stats(const std::string& body) {
    server_counters c;
    boost::system::error_code ec;
    json::value v = json::parse(body, ec);
    if (ec || !v.is_object()) return c;
    c.requests = number_at(&v, {"requests"});
    c.cpu_s = number_at(&v, {"cpu_seconds"});
    c.tls_full = number_at(&v, {"tls_handshakes_full"});
    c.tls_resumed = number_at(&v, {"tls_handshakes_resumed"});
    return c;
}

// One `shoal serve` for the duration of a mode.
class serve_process {
public:
    serve_process(const std::string& exe, const std::vector<std::string>& args, const fs::path& dir,
                  bool tls)
        : dir_(dir), tls_(tls) {
        std::vector<std::string> argv = {exe, "serve"};
        argv.insert(argv.end(), args.begin(), args.end());
        pid_ = spawn_child(argv, dir_ / "serve.out", dir_ / "serve.err", SIGTERM);
        // Wait for "shoal serve: listening on http://127.0.0.1:PORT/ ...".
        const steady::time_point start = steady::now();
        while (port_ == 0) {
            const std::string out = read_text(dir_ / "serve.out");
            const std::size_t at = out.find("://127.0.0.1:");
            if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
                port_ = static_cast<unsigned>(std::strtoul(out.c_str() + at + 13, nullptr, 10));
                if (port_ == 0) fail("printed no port: " + out.substr(0, out.find('\n')));
                break;
            }
            if (!alive()) fail("exited at start");
            if (interrupted) fail("interrupted");
            if (sys::seconds_since(start) > 20) fail("did not say it was listening within 20 s");
            ::usleep(10000);
        }
    }
    ~serve_process() { stop(); }
    serve_process(const serve_process&) = delete;
    serve_process& operator=(const serve_process&) = delete;

    unsigned port() const { return port_; }
    bool alive() {
        if (pid_ < 0) return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            wait_status_ = status;
            pid_ = -1;
            return false;
        }
        return true;
    }
    // The end of its stderr, and how it exited once it has ("killed by
    // signal Killed", as the crawl says of its own children).
    std::string error_tail() const {
        std::string tail = tail_of(dir_ / "serve.err");
        if (wait_status_) tail += (tail.empty() ? "" : " (") + sys::describe_exit(*wait_status_) +
                                  (tail.empty() ? "" : ")");
        return tail;
    }
    server_counters stats() const { return parse_stats(http_get(port_, tls_, "/stats")); }

    // SIGTERM, then SIGKILL to its group after 5 s.
    void stop() {
        if (pid_ < 0) return;
        const pid_t pid = pid_;
        ::kill(pid, SIGTERM);
        const steady::time_point start = steady::now();
        while (alive() && sys::seconds_since(start) < 5) ::usleep(10000);
        if (pid_ >= 0) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            pid_ = -1;
        }
    }

private:
    [[noreturn]] void fail(const std::string& what) {
        stop();
        std::string msg = "shoal serve " + what;
        const std::string err = error_tail();
        if (!err.empty()) msg += ": " + err;
        throw setup_error(interrupted ? exit_code::interrupted : exit_code::internal, msg);
    }

    fs::path dir_;
    bool tls_ = false;
    pid_t pid_ = -1;
    unsigned port_ = 0;
    std::optional<int> wait_status_;  // once reaped
};

// ---------------------------------------------------------------- checking

struct record_check {
    std::size_t records = 0;  // lines in the output
    std::size_t correct = 0;  // status 200, exact title and price of the page
    std::string first_problem;
};

// Line i of the URL list is product page i, so a record's `line` names the
// page whose title and price it must hold.
record_check check_records(const fs::path& path, std::size_t urls) {
    record_check c;
    std::ifstream in(path, std::ios::binary);
    std::vector<bool> seen(urls + 1, false);
    std::string text;
    auto problem = [&](const std::string& what) {
        if (c.first_problem.empty()) c.first_problem = what;
    };
    while (std::getline(in, text)) {
        ++c.records;
        boost::system::error_code ec;
        json::value v = json::parse(text, ec);
        const json::object* rec = !ec && v.is_object() ? &v.as_object() : nullptr;
        const double line = number_at(rec ? &v : nullptr, {"line"});
        if (!rec || !(line >= 1 && line <= static_cast<double>(urls))) {
            problem("record " + std::to_string(c.records) + " is not a record of the list");
            continue;
        }
        const auto n = static_cast<std::uint64_t>(line);
        if (seen[n]) {
            problem("line " + std::to_string(n) + " has two records");
            continue;
        }
        seen[n] = true;
        const double status = number_at(&v, {"status"});
        const json::value* title = rec->if_contains("title");
        const json::value* price = rec->if_contains("price");
        const json::value* amount = price && price->is_object() ? price->as_object().if_contains("amount") : nullptr;
        const json::value* currency =
            price && price->is_object() ? price->as_object().if_contains("currency") : nullptr;
        const serve_pages::price want = serve_pages::product_price(n);
        if (status != 200) {
            problem("line " + std::to_string(n) + ": status " + json::serialize(rec->contains("status") ? rec->at("status") : json::value()) +
                    ", error " + json::serialize(rec->contains("error") ? rec->at("error") : json::value()));
        } else if (!title || !title->is_string() || title->as_string() != serve_pages::product_title(n)) {
            problem("line " + std::to_string(n) + ": title " + (title ? json::serialize(*title) : "missing"));
        } else if (!amount || !amount->is_string() || amount->as_string() != want.amount || !currency ||
                   !currency->is_string() || currency->as_string() != want.currency) {
            problem("line " + std::to_string(n) + ": price " + (price ? json::serialize(*price) : "missing") +
                    ", expected " + want.amount + " " + want.currency);
        } else {
            ++c.correct;
        }
    }
    if (c.records < urls) problem(std::to_string(urls - c.records) + " lines have no record");
    return c;
}

// ---------------------------------------------------------------- wrk

struct wrk_report {
    double requests = 0;
    double seconds = 0;
    double requests_per_s = no_value;
    double errors = 0;  // socket errors and non-2xx/3xx responses
};

// A number of wrk's report; NaN for what only looks like one ("." or "1.2.3").
double wrk_number(const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && !text.empty() ? v : no_value;
}

// Reads wrk's text report ("61234 requests in 3.00s", "Requests/sec: ...").
// What it cannot read stays 0 or NaN: the run then has no result.
wrk_report parse_wrk(const std::string& text) {
    wrk_report w;
    std::smatch m;
    static const std::regex total(R"((\d+) requests in ([\d.]+)(us|ms|s|m))");
    static const std::regex rps(R"(Requests/sec:\s*([\d.]+))");
    static const std::regex non2xx(R"(Non-2xx or 3xx responses:\s*(\d+))");
    static const std::regex sock(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
    if (std::regex_search(text, m, total)) {
        const double t = wrk_number(m[2]);
        if (std::isfinite(t)) {
            w.requests = wrk_number(m[1]);
            w.seconds = m[3] == "us" ? t / 1e6 : m[3] == "ms" ? t / 1e3 : m[3] == "m" ? t * 60 : t;
        }
    }
    if (std::regex_search(text, m, rps)) w.requests_per_s = wrk_number(m[1]);
    if (std::regex_search(text, m, non2xx)) w.errors += wrk_number(m[1]);
    if (std::regex_search(text, m, sock))
        for (int i = 1; i <= 4; ++i) w.errors += wrk_number(m[i]);
    return w;
}

// Text with each run of blanks as one space, none at the ends: wrk indents its lines.
std::string squeezed(const std::string& text) {
    std::string out;
    for (char c : text) {
        const bool blank = c == ' ' || c == '\t';
        if (blank && (out.empty() || out.back() == ' ')) continue;
        out += blank ? ' ' : c;
    }
    if (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

// wrk's threads for `connections`: the most, up to the CPU count, that divide it.
unsigned wrk_threads(unsigned connections) {
    unsigned t = std::max(1u, std::min(sys::cpu_count(), connections));
    while (connections % t != 0) --t;
    return t;
}

// ---------------------------------------------------------------- one mode

struct mode_plan {
    mode_setup setup;
    std::vector<std::string> serve_args;
    bool tls = false;
};

mode_plan plan_mode(const bench_options& o, const std::string& mode) {
    mode_plan m;
    m.setup.name = mode;
    m.serve_args = {"--port", "0", "--processes", std::to_string(o.serve_processes), "--hosts",
                    std::to_string(o.hosts)};
    if (mode == "keep-alive") {
        m.setup.description =
            "Server defaults: keep-alive, gzip, pages of about 19 KB. CPU-bound on loopback.";
    } else if (mode == "close") {
        m.setup.description = "The server closes the connection after each response: a new TCP "
                              "connection per URL.";
        m.serve_args.insert(m.serve_args.end(), {"--keep-alive", "off"});
    } else if (mode == "https") {
        m.setup.description = "TLS with a self-signed certificate (the crawl skips verification); "
                              "TLS sessions are resumed per host.";
        m.serve_args.push_back("--tls");
        m.setup.crawl_args = "--insecure";
        m.tls = true;
    } else {
        m.setup.description = "Each page is held back " + std::to_string(o.latency_ms) +
                              " ms before it is sent: throughput is bound by fetches in flight, "
                              "ideally P x C / latency.";
        m.serve_args.insert(m.serve_args.end(), {"--latency", std::to_string(o.latency_ms)});
    }
    std::vector<std::string> shown(m.serve_args.begin() + 2, m.serve_args.end());
    m.setup.serve_args = join_argv(shown);
    return m;
}

struct run_result {
    run_sample sample;
    std::size_t records = 0;  // records the crawl wrote
    bool ok = true;
    std::string problem;
};

// A crawl's last message without its advice to run it again with --resume:
// bench's runs are not resumed, and their files are gone when it ends.
std::string without_resume_advice(const std::string& message) {
    std::string out;
    for (std::size_t from = 0; from <= message.size();) {
        const std::size_t end = std::min(message.find("; ", from), message.size());
        const std::string_view clause = std::string_view(message).substr(from, end - from);
        if (clause.find("--resume") == std::string_view::npos) {
            if (!out.empty()) out += "; ";
            out += clause;
        }
        from = end + 2;
    }
    return out;
}

double per_page_us(double seconds, double pages) { return pages > 0 ? seconds / pages * 1e6 : no_value; }

void server_figures(const server_counters& before, const server_counters& after, double pages, bool tls,
                    run_sample& s) {
    s.server_cpu_us_per_page = per_page_us(after.cpu_s - before.cpu_s, pages);
    if (!tls) return;
    // The /stats request after the run made one full handshake of its own.
    const double full = std::max(0.0, after.tls_full - before.tls_full - 1);
    const double resumed = after.tls_resumed - before.tls_resumed;
    if (full + resumed > 0) s.tls_resumed_share = resumed / (full + resumed);
}

class mode_runner {
public:
    mode_runner(const bench_options& o, const std::string& exe, const fs::path& work)
        : o_(o), exe_(exe), work_(work) {}

    struct crawl_point {
        unsigned processes, concurrency;
        std::size_t urls;
        fs::path url_file;
    };

    run_result crawl(serve_process& serve, const mode_plan& m, const crawl_point& pt) {
        const fs::path out = work_ / "out.jsonl";
        std::error_code ec;
        fs::remove(out, ec);
        fs::remove(work_ / "out.jsonl.shoal-run", ec);
        // crawl's default chunk, or fewer lines so that every worker gets some
        const std::size_t chunk =
            std::min(default_chunk_size(pt.concurrency), (pt.urls + pt.processes - 1) / pt.processes);
        std::vector<std::string> argv = {exe_, "crawl", pt.url_file.string(), "-o", out.string(),
                                         "-p", std::to_string(pt.processes), "-c",
                                         std::to_string(pt.concurrency), "--chunk-size",
                                         std::to_string(std::max<std::size_t>(chunk, 1)), "-q",
                                         "--no-progress"};
        if (m.tls) argv.push_back("--insecure");
        const double ideal_s = m.setup.name == "latency"
                                   ? pt.urls * o_.latency_ms / 1000.0 / (pt.processes * pt.concurrency)
                                   : 0;
        const double limit_s = 30 + pt.urls / 250.0 + 3 * ideal_s;

        const server_counters before = serve.stats();
        const steady::time_point start = steady::now();
        const pid_t pid = spawn_child(argv, work_ / "crawl.out", work_ / "crawl.err", SIGKILL);
        const child_exit ex = wait_child(pid, start, limit_s, interrupted);
        ::usleep(stats_settle_us);
        const server_counters after = serve.stats();

        run_result r;
        const record_check check = check_records(out, pt.urls);
        r.records = check.records;
        r.sample.wall_s = ex.wall_s;
        r.sample.pages_per_s = ex.wall_s > 0 ? check.records / ex.wall_s : no_value;
        r.sample.client_cpu_us_per_page = per_page_us(ex.cpu_s, static_cast<double>(check.records));
        r.sample.correct_percent = pt.urls ? 100.0 * check.correct / pt.urls : no_value;
        server_figures(before, after, static_cast<double>(check.records), m.tls, r.sample);
        if (ex.timed_out) r.problem = "killed after the time limit of " + std::to_string(std::lround(limit_s)) + " s";
        else if (ex.interrupted) r.problem = "interrupted";
        else if (ex.code != 0) r.problem = "crawl exited with " + std::to_string(ex.code) + ": " + without_resume_advice(tail_of(work_ / "crawl.err"));
        if (check.correct != pt.urls)
            r.problem += (r.problem.empty() ? "" : "; ") + check.first_problem;
        r.ok = r.problem.empty();
        return r;
    }

    struct wrk_point {
        unsigned threads, connections;
    };

    run_result wrk(serve_process& serve, const mode_plan& m, const std::string& wrk_path,
                   const wrk_point& pt, const std::string& url, unsigned seconds) {
        std::vector<std::string> argv = {wrk_path, "-t", std::to_string(pt.threads), "-c",
                                         std::to_string(pt.connections), "-d",
                                         std::to_string(seconds) + "s", "-H",
                                         "Accept-Encoding: gzip"};
        if (m.setup.name == "close") argv.insert(argv.end(), {"-H", "Connection: close"});
        argv.push_back(url);
        // A wrk that hangs is stopped 10 s after the duration it was given.
        const unsigned limit_s = seconds + 10;
        const server_counters before = serve.stats();
        const steady::time_point start = steady::now();
        const pid_t pid = spawn_child(argv, work_ / "wrk.out", work_ / "wrk.err", SIGKILL);
        const child_exit ex = wait_child(pid, start, limit_s, interrupted);
        ::usleep(stats_settle_us);
        const server_counters after = serve.stats();

        run_result r;
        const wrk_report w = parse_wrk(read_text(work_ / "wrk.out"));
        const std::string said = squeezed(tail_of(work_ / "wrk.err").empty() ? tail_of(work_ / "wrk.out", 2)
                                                                             : tail_of(work_ / "wrk.err"));
        r.sample.wall_s = w.seconds > 0 ? w.seconds : ex.wall_s;
        if (ex.timed_out) r.problem = "wrk killed after the time limit of " + std::to_string(limit_s) + " s";
        else if (ex.interrupted) r.problem = "interrupted";
        else if (ex.code != 0) r.problem = "wrk failed (exit " + std::to_string(ex.code) + "): " + said;
        else if (!(w.requests > 0) || !std::isfinite(w.requests_per_s))
            r.problem = "wrk printed no result: " + (said.empty() ? std::string("no output") : said);
        r.ok = r.problem.empty();
        // A failed run has no figures (no median of failures); its note says why.
        if (!r.ok) return r;
        r.sample.pages_per_s = w.requests_per_s;
        r.sample.client_cpu_us_per_page = per_page_us(ex.cpu_s, w.requests);
        server_figures(before, after, w.requests, m.tls, r.sample);
        if (w.errors > 0.01 * w.requests)
            r.problem = group_thousands(w.errors) + " of " + group_thousands(w.requests) +
                        " requests failed (socket errors or non-2xx)";
        r.ok = r.problem.empty();
        return r;
    }

private:
    const bench_options& o_;
    std::string exe_;
    fs::path work_;
};

// Everything a sweep produced so far.
struct sweep {
    std::vector<result_row> rows;  // rows without runs are left out of the report
    report_context ctx;
    std::size_t bad_runs = 0;
    std::size_t done = 0, total = 0;
};

void add_note(sweep& sw, const std::string& note) {
    constexpr std::size_t max_notes = 40;
    if (sw.ctx.notes.size() < max_notes) sw.ctx.notes.push_back(note);
    else if (sw.ctx.notes.size() == max_notes) sw.ctx.notes.push_back("(more problems left out)");
}

std::vector<unsigned> wrk_totals(const bench_options& o, const std::string& mode) {
    std::set<unsigned> totals;
    for (unsigned p : processes_for(o))
        for (unsigned c : concurrency_for(o, mode)) totals.insert(p * c);
    return {totals.begin(), totals.end()};
}

std::size_t runs_of_mode(const bench_options& o, const std::string& mode, bool wrk) {
    const std::size_t points = processes_for(o).size() * concurrency_for(o, mode).size();
    return repeats_for(o) * (points + (wrk ? wrk_totals(o, mode).size() : 0));
}

// A CPU figure of a progress line, "client 123.4 us/page", or "client CPU
// not measured" (no record, no request, or no /stats): never "nan".
std::string cpu_figure(const char* who, double us, const char* per) {
    if (!std::isfinite(us)) return std::string(who) + " CPU not measured";
    char buf[80];
    std::snprintf(buf, sizeof buf, "%s %.1f us/%s", who, us, per);
    return buf;
}

void write_list(const fs::path& path, const std::string& scheme, std::size_t n, unsigned hosts,
                unsigned port) {
    std::string text;
    for (std::size_t i = 1; i <= n; ++i) text += serve_pages::url_line(scheme, i, hosts, port) + "\n";
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f.flush()) sys::throw_errno(exit_code::internal, path.string());
}

void run_mode(const bench_options& o, const std::string& mode, const std::string& exe,
              const std::optional<std::string>& wrk_path, const fs::path& work, sweep& sw) {
    const mode_plan m = plan_mode(o, mode);
    sw.ctx.modes.push_back(m.setup);
    const fs::path dir = work / mode;
    fs::create_directories(dir);
    serve_process serve(exe, m.serve_args, dir, m.tls);
    std::fprintf(stderr, "shoal bench: %s: shoal serve %s on port %u\n", mode.c_str(),
                 m.setup.serve_args.c_str(), serve.port());
    const std::string scheme = m.tls ? "https" : "http";

    // The crawl points with their URL lists, then wrk at the same in-flight counts.
    std::vector<mode_runner::crawl_point> points;
    const std::size_t first_row = sw.rows.size();
    // A point the open-file limit does not fit runs as crawl lowers it, and
    // its row says what ran.
    const std::size_t limit = fd_limit();
    const auto p_fit = static_cast<unsigned>(std::clamp<std::size_t>(processes_fitting(limit), 1, UINT_MAX));
    const auto c_fit = static_cast<unsigned>(std::min<std::size_t>(concurrency_fitting(limit), UINT_MAX));
    std::set<std::pair<unsigned, unsigned>> planned;
    for (unsigned asked_p : processes_for(o))
        for (unsigned asked_c : concurrency_for(o, mode)) {
            const unsigned p = std::min(asked_p, p_fit), c = std::min(asked_c, c_fit);
            if (p != asked_p || c != asked_c)
                add_note(sw, mode + ": P=" + std::to_string(asked_p) + " C=" + std::to_string(asked_c) +
                                 " does not fit the open-file limit (" + std::to_string(limit) +
                                 "): crawl runs it as P=" + std::to_string(p) + " C=" + std::to_string(c));
            if (!planned.insert({p, c}).second) {  // as another point runs
                sw.total -= repeats_for(o);
                continue;
            }
            const std::size_t n = urls_for(o, mode, p, c);
            if (m.setup.name == "latency" && n < 10 * std::size_t{p} * c)
                add_note(sw, mode + ": P=" + std::to_string(p) + " C=" + std::to_string(c) + " has " +
                                 std::to_string(n) + " URLs, fewer than 10 per fetch in flight: each lane's "
                                 "first connection and the last lanes' tail weigh on its rate, which falls short "
                                 "of the ideal for that (without --urls bench gives it 10 or more)");
            const fs::path list = dir / ("urls-" + std::to_string(n) + ".txt");
            if (!fs::exists(list)) write_list(list, scheme, n, o.hosts, serve.port());
            points.push_back({p, c, n, list});
            sw.rows.push_back({mode, "shoal", p, c, n, {}});
        }
    std::vector<mode_runner::wrk_point> wpoints;
    const std::size_t first_wrk_row = sw.rows.size();
    if (wrk_path) {
        for (unsigned total : wrk_totals(o, mode)) {
            if (total + 64 > fd_limit()) {
                add_note(sw, mode + ": no wrk at " + std::to_string(total) +
                                 " connections: over the open-file limit (" + std::to_string(fd_limit()) + ")");
                sw.total -= repeats_for(o);
                continue;
            }
            const unsigned t = wrk_threads(total);
            wpoints.push_back({t, total});
            sw.rows.push_back({mode, "wrk", t, total / t, 0, {}});
        }
    }

    mode_runner runner(o, exe, dir);
    const std::string wrk_url = serve_pages::url_line(scheme, 1, o.hosts, serve.port());
    const unsigned repeats = repeats_for(o);
    const unsigned wrk_seconds = o.wrk_seconds ? o.wrk_seconds : o.quick ? 1 : 3;
    auto check_serve = [&] {
        if (!serve.alive())
            throw setup_error(exit_code::internal, "shoal serve (" + mode + ") ended during the sweep: " +
                                                       serve.error_tail());
    };
    for (unsigned r = 1; r <= repeats && !interrupted; ++r) {
        for (std::size_t i = 0; i < points.size() && !interrupted; ++i) {
            check_serve();
            const mode_runner::crawl_point& pt = points[i];
            const run_result res = runner.crawl(serve, m, pt);
            if (interrupted) break;
            sw.rows[first_row + i].runs.push_back(res.sample);
            const run_sample& s = res.sample;
            std::fprintf(stderr,
                         "shoal bench: [%zu/%zu] %s P=%u C=%u run %u/%u: %s pages in %.2f s, %s pages/s, "
                         "%s, %s, %.2f%% correct\n",
                         ++sw.done, sw.total, mode.c_str(), pt.processes, pt.concurrency, r, repeats,
                         (res.records == pt.urls
                              ? group_thousands(static_cast<double>(pt.urls))
                              : group_thousands(static_cast<double>(res.records)) + " of " +
                                    group_thousands(static_cast<double>(pt.urls)))
                             .c_str(),
                         s.wall_s,
                         group_thousands(s.pages_per_s).c_str(),
                         cpu_figure("client", s.client_cpu_us_per_page, "page").c_str(),
                         cpu_figure("server", s.server_cpu_us_per_page, "page").c_str(), s.correct_percent);
            if (!res.ok) {
                ++sw.bad_runs;
                std::fprintf(stderr, "shoal bench:   not complete and correct: %s\n", res.problem.c_str());
                add_note(sw, mode + " P=" + std::to_string(pt.processes) + " C=" +
                                 std::to_string(pt.concurrency) + " run " + std::to_string(r) + ": " +
                                 res.problem);
            }
            ::usleep(100000);
        }
        for (std::size_t i = 0; i < wpoints.size() && !interrupted; ++i) {
            check_serve();
            const mode_runner::wrk_point& pt = wpoints[i];
            const run_result res = runner.wrk(serve, m, *wrk_path, pt, wrk_url, wrk_seconds);
            if (interrupted) break;
            sw.rows[first_wrk_row + i].runs.push_back(res.sample);
            const run_sample& s = res.sample;
            // A run without a result says why in its place.
            const std::string figures =
                std::isfinite(s.pages_per_s)
                    ? group_thousands(s.pages_per_s) + " requests/s, " +
                          cpu_figure("client", s.client_cpu_us_per_page, "request") + ", " +
                          cpu_figure("server", s.server_cpu_us_per_page, "request")
                    : res.problem;
            std::fprintf(stderr, "shoal bench: [%zu/%zu] %s wrk -t %u -c %u run %u/%u: %s\n", ++sw.done,
                         sw.total, mode.c_str(), pt.threads, pt.connections, r, repeats, figures.c_str());
            if (!res.ok) {
                if (std::isfinite(s.pages_per_s))  // else the line above said it
                    std::fprintf(stderr, "shoal bench:   wrk: %s\n", res.problem.c_str());
                add_note(sw, mode + " wrk -c " + std::to_string(pt.connections) + " run " +
                                 std::to_string(r) + ": " + res.problem);
            }
            ::usleep(100000);
        }
    }
    // A serve that died in the last run is named as one that died earlier.
    if (!interrupted) check_serve();
}

// ---------------------------------------------------------------- output

// --out, made if missing (its parent must exist: a typo makes no tree),
// and checked that a file can be written in it.
fs::path prepare_out_dir(const std::string& dir) {
    const std::string said = "--out " + dir;
    std::error_code ec;
    fs::create_directory(dir, ec);
    if (ec) {
        fs::path named = fs::path(dir).lexically_normal();
        if (!named.has_filename()) named = named.parent_path();  // "a/b/" names b
        const fs::path parent = named.parent_path();
        if (ec == std::errc::no_such_file_or_directory && !parent.empty() && !fs::exists(parent))
            throw setup_error(exit_code::file, "cannot make " + said + ": its parent directory " + parent.string() +
                                                   " does not exist (shoal bench makes only the last one)");
        throw setup_error(exit_code::file, "cannot make " + said + ": " + ec.message());
    }
    if (!fs::is_directory(dir)) throw setup_error(exit_code::file, said + " is not a directory");
    const fs::path probe = fs::path(dir) / ".shoal-bench-probe";
    const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) sys::throw_errno(exit_code::file, "cannot write in " + said);
    ::close(fd);
    ::unlink(probe.c_str());
    return dir;
}

void write_file_atomic(const fs::path& path, const std::string& text) {
    if (!sys::write_file_atomically(path.string(), text))
        sys::throw_errno(exit_code::file, path.string());
}

// Writes the report of the runs made so far and returns its markdown; ""
// when no run was made: a report from before stays as it is.
std::string write_outputs(const fs::path& out, const sweep& sw) {
    std::vector<result_row> rows;
    for (const result_row& r : sw.rows)
        if (!r.runs.empty()) rows.push_back(r);
    if (rows.empty()) return {};
    const std::string md = to_markdown(rows, sw.ctx);
    write_file_atomic(out / "bench.csv", to_csv(rows));
    write_file_atomic(out / "bench.md", md);
    write_file_atomic(out / "bench.svg", to_svg(rows, sw.ctx));
    return md;
}

// The report (write_outputs' markdown) to stdout, and where its files are to
// stderr; "" says no run was made.
void show_report(const fs::path& out, const std::string& md) {
    if (md.empty()) {
        std::fprintf(stderr, "shoal bench: no run was made; %s is left as it was\n", out.c_str());
        return;
    }
    std::fputs(md.c_str(), stdout);
    std::fflush(stdout);
    std::fprintf(stderr, "shoal bench: wrote %s, %s and %s\n", (out / "bench.md").c_str(),
                 (out / "bench.csv").c_str(), (out / "bench.svg").c_str());
}

}  // namespace

// ---------------------------------------------------------------- public

// CLI11 drops the empty items of a split list ("1,,2" is 1 and 2, "," is
// nothing): they are refused here first, as a typo would be.
void refuse_empty_list_items(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        for (const std::string_view name : {"--modes", "--processes", "--concurrency"}) {
            std::optional<std::string_view> value;
            if (arg == name && i + 1 < argc) value = argv[i + 1];
            else if (arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=')
                value = arg.substr(name.size() + 1);
            if (!value) continue;
            if (value->empty() || value->front() == ',' || value->back() == ',' ||
                value->find(",,") != std::string_view::npos)
                throw setup_error(exit_code::usage, std::string(name) + ": an empty item in '" +
                                                        std::string(*value) + "' (see shoal bench --help)");
        }
    }
}

std::optional<bench_options> parse_bench_options(int argc, char** argv) {
    refuse_empty_list_items(argc, argv);
    bench_options o;
    bool no_wrk = false;
    CLI::App app(
        "throughput sweeps of `shoal crawl` against the built-in site `shoal serve`, with wrk as a\n"
        "reference; writes DIR/bench.md, bench.csv and bench.svg and prints the tables.\n"
        "Exit codes: 0 every run complete and correct, 1 usage, 2 unwritable --out,\n"
        "3 interrupted, 4 a run incomplete, incorrect or timed out, or serve failed.",
        "shoal bench");
    app.formatter(std::make_shared<help_layout>(
        "\nUsage: shoal bench [--modes LIST] [--processes LIST] [--concurrency LIST] [--urls N]\n"
        "                   [--hosts H] [--repeat R] [--latency MS] [--serve-processes N]\n"
        "                   [--out DIR] [--no-wrk] [--wrk-seconds S] [--quick]\n"));
    add_help_and_version(app);
    app.add_option("--modes", o.modes,
                   "modes to sweep, in order: keep-alive (serve defaults), close (a new connection "
                   "per URL), https (TLS; crawl --insecure), latency (each page delayed --latency ms); "
                   "default: all four")
        ->delimiter(',')
        ->check(CLI::IsMember(all_modes))
        ->type_name("LIST");
    app.add_option("--processes", o.processes,
                   "crawl worker processes P to sweep (default: 1 and the CPU count, here " +
                       std::to_string(sys::cpu_count()) + ")")
        ->delimiter(',')
        ->transform(whole_number(1u, 1024u))
        ->type_name("LIST");
    app.add_option("--concurrency", o.concurrency,
                   "fetches per worker C to sweep (default: 16,64,256,1024; latency mode 100,1000,10000)")
        ->delimiter(',')
        ->transform(whole_number(1u, 100000u))
        ->type_name("LIST");
    app.add_option("--urls", o.urls,
                   "URLs per run (default 20000, 2000 with --quick; latency mode: 3 s at the "
                   "ideal rate P*C/latency, 1 s with --quick, at least 1000 and 10 per fetch in "
                   "flight, at most 50000 unless 10 per fetch in flight needs more)")
        ->transform(whole_number(std::size_t{1}, std::size_t{100000000}))
        ->type_name("N");
    app.add_option("--hosts", o.hosts, "loopback hosts the URLs spread over")
        ->capture_default_str()
        ->transform(whole_number(1u, 1000000u))
        ->type_name("H");
    app.add_option("--repeat", o.repeat, "runs per point, interleaved; the median is reported (default 3)")
        ->transform(whole_number(1u, 1000u))
        ->type_name("R");
    app.add_option("--latency", o.latency_ms, "per-page delay of the latency mode in ms")
        ->capture_default_str()
        ->transform(whole_number(1u, 60000u))
        ->type_name("MS");
    app.add_option("--serve-processes", o.serve_processes, "server processes (at most 256, as shoal serve)")
        ->capture_default_str()
        ->transform(whole_number(1u, 256u))
        ->type_name("N");
    app.add_option("--out", o.out, "where bench.md, bench.csv and bench.svg go")
        ->capture_default_str()
        ->check(non_empty_path())
        ->type_name("DIR");
    app.add_flag("--no-wrk", no_wrk, "skip the wrk reference (skipped anyway when wrk is not on PATH)");
    app.add_option("--wrk-seconds", o.wrk_seconds, "duration of each wrk run (default 3; --quick: 1)")
        ->transform(whole_number(1u, 3600u))
        ->type_name("S");
    app.add_flag("--quick", o.quick,
                 "a small sweep (P=1, C=16,64, latency mode 100,500; 2000 URLs; one run; 1 s of wrk) "
                 "to check the setup");
    if (!parse_command(app, argc, argv, "bench")) return std::nullopt;
    o.wrk = !no_wrk;
    if (o.modes.empty()) throw setup_error(exit_code::usage, "--modes: name at least one mode");
    std::vector<std::string> unique;
    for (const std::string& m : o.modes)
        if (std::find(unique.begin(), unique.end(), m) == unique.end()) unique.push_back(m);
    o.modes = unique;
    if (o.out.empty()) throw setup_error(exit_code::usage, "--out: empty directory name");
    return o;
}

std::vector<unsigned> processes_for(const bench_options& o) {
    std::vector<unsigned> v = o.processes;
    if (v.empty()) v = o.quick ? std::vector<unsigned>{1} : std::vector<unsigned>{1, sys::cpu_count()};
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

std::vector<unsigned> concurrency_for(const bench_options& o, const std::string& mode) {
    std::vector<unsigned> v = o.concurrency;
    if (v.empty()) {
        if (mode == "latency") v = o.quick ? std::vector<unsigned>{100, 500} : std::vector<unsigned>{100, 1000, 10000};
        else v = o.quick ? std::vector<unsigned>{16, 64} : std::vector<unsigned>{16, 64, 256, 1024};
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
}

std::size_t urls_for(const bench_options& o, const std::string& mode, unsigned processes,
                     unsigned concurrency) {
    constexpr double lines_per_lane = 10;
    if (o.urls) return o.urls;
    if (mode != "latency") return o.quick ? 2000 : 20000;
    const double in_flight = static_cast<double>(processes) * concurrency;
    const double seconds = o.quick ? 1 : 3;
    const double ideal = std::ceil(seconds * in_flight * 1000.0 / o.latency_ms);
    // Each lane fetches 10 pages or more, so that its connection's setup is
    // not most of what a point measures.
    const double lowest = std::max(1000.0, lines_per_lane * in_flight);
    const double highest = std::max(50000.0, lines_per_lane * in_flight);
    return static_cast<std::size_t>(std::clamp(ideal, lowest, highest));
}

unsigned repeats_for(const bench_options& o) { return o.repeat ? o.repeat : o.quick ? 1 : 3; }

int run_bench_command(int argc, char** argv) {
    const std::optional<bench_options> parsed = parse_bench_options(argc, argv);
    if (!parsed) return 0;
    const bench_options& o = *parsed;
    const fs::path out = prepare_out_dir(o.out);
    sys::raise_fd_limit();
    const std::string exe = self_exe();
    const std::optional<std::string> wrk_path = o.wrk ? find_on_path("wrk") : std::nullopt;

    sweep sw;
    std::vector<std::string> args(argv, argv + argc);
    sw.ctx.command_line = join_argv(args);
    sw.ctx.cpus = sys::cpu_count();
    sw.ctx.cpu_model = cpu_model();
    utsname u{};
    if (::uname(&u) == 0) sw.ctx.kernel = u.release;
    sw.ctx.date = utc_now();
    sw.ctx.latency_ms = o.latency_ms;
    sw.ctx.crawl_command = "shoal crawl URLS -o OUT.jsonl -p P -c C --chunk-size min(max(10000, 10 x C), URLs/P) -q --no-progress";
    if (wrk_path) {
        const unsigned secs = o.wrk_seconds ? o.wrk_seconds : o.quick ? 1 : 3;
        sw.ctx.wrk_command = "wrk -t T -c P*C -d " + std::to_string(secs) +
                             "s -H 'Accept-Encoding: gzip' URL_OF_PAGE_1 (close mode adds -H "
                             "'Connection: close')";
    } else if (o.wrk) {
        sw.ctx.notes.push_back("wrk is not on PATH: no reference rows (Debian: apt-get install wrk).");
    }
    for (const std::string& mode : o.modes) sw.total += runs_of_mode(o, mode, wrk_path.has_value());

    // Ctrl-C stops the sweep; the results so far are still written.
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    ::sigemptyset(&sa.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);

    sys::private_dir work("shoal-bench");
    try {
        for (const std::string& mode : o.modes) {
            if (interrupted) break;
            run_mode(o, mode, exe, wrk_path, work.path(), sw);
            write_outputs(out, sw);
        }
    } catch (const std::exception& e) {
        // What was measured before the failure still goes out, to the files
        // and stdout, saying why it stopped; main prints the failure.
        sw.ctx.notes.push_back(std::string("the sweep stopped early: ") + e.what());
        show_report(out, write_outputs(out, sw));
        throw;
    }
    if (interrupted)
        sw.ctx.notes.push_back("interrupted (SIGINT, SIGTERM or SIGHUP): the tables hold the runs made before.");
    const std::string md = write_outputs(out, sw);
    show_report(out, md);
    if (interrupted) {
        if (!md.empty()) std::fprintf(stderr, "shoal bench: interrupted; the results so far are in %s\n", out.c_str());
        return static_cast<int>(exit_code::interrupted);
    }
    if (sw.bad_runs > 0) {
        std::fprintf(stderr, "shoal bench: %zu run(s) were not complete and correct (see the notes in bench.md)\n",
                     sw.bad_runs);
        return static_cast<int>(exit_code::internal);
    }
    return 0;
}

}  // namespace shoal::bench
