// Run statistics, progress line and summary (see progress.hpp).
#include "shoal/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "shoal/sys.hpp"

namespace shoal {
namespace {

constexpr std::size_t latency_buckets = 1600;  // exp(16) ms: far beyond any timeout

std::size_t bucket_of(double ms) {
    auto b = static_cast<std::size_t>(std::log1p(std::max(ms, 0.0)) * 100.0);
    return std::min(b, latency_buckets - 1);
}

double value_of(std::size_t bucket) { return std::expm1((static_cast<double>(bucket) + 0.5) / 100.0); }

std::string fixed(double v, int digits = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

constexpr const char* class_names[] = {"no_status", "1xx", "2xx", "3xx", "4xx", "5xx", "other"};

}  // namespace

run_stats::run_stats() : start_(std::chrono::steady_clock::now()), latency_(latency_buckets) {}

void run_stats::add(const record& r) {
    ++records_;
    if (r.stage != error_stage::none) {
        ++errors_;
        const std::string_view code = r.error_code.empty() ? std::string_view("unknown") : r.error_code;
        if (auto it = by_code_.find(code); it != by_code_.end()) ++it->second;
        else by_code_.emplace(code, 1);
    }
    by_stage_[static_cast<std::size_t>(r.stage)]++;
    // A status past 599 (HTTP/1.1 allows three digits) is "other", not "no_status".
    int cls = r.status < 0 ? 0 : r.status >= 100 && r.status < 600 ? r.status / 100 : 6;
    by_class_[static_cast<std::size_t>(cls)]++;
    bytes_ += r.bytes;
    if (r.title) ++with_title_;
    if (r.price) ++with_price_;
    if (r.stage != error_stage::input && r.stage != error_stage::crash) {
        ++fetched_;
        latency_[bucket_of(r.elapsed_ms)]++;
    }
}

double run_stats::seconds() const {
    return sys::seconds_since(start_);
}

double run_stats::latency_ms(double q) const {
    if (fetched_ == 0) return 0;
    auto want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(fetched_)));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < latency_.size(); ++b) {
        seen += latency_[b];
        if (seen >= std::max<std::uint64_t>(want, 1)) return value_of(b);
    }
    return value_of(latency_.size() - 1);
}

std::string run_stats::summary() const {
    double s = std::max(seconds(), 1e-9);
    std::string out = "shoal: " + std::to_string(records_) + (records_ == 1 ? " record in " : " records in ") + fixed(s) +
                      " s: " + fixed(static_cast<double>(records_) / s, 0) + " pages/s, " +
                      fixed(static_cast<double>(bytes_) / s / 1e6) + " MB/s";
    if (already_done_ > 0)
        out += " (and " + std::to_string(already_done_) + " lines done before --resume, not counted below)";
    out += "\n  status:";
    bool any = false;
    for (std::size_t i = 0; i < by_class_.size(); ++i) {
        if (by_class_[i] == 0) continue;
        out += " " + std::string(class_names[i]) + " " + std::to_string(by_class_[i]);
        any = true;
    }
    if (!any) out += " none";
    out += "\n  errors: " + std::to_string(errors_);
    for (std::size_t i = 1; i < by_stage_.size(); ++i)
        if (by_stage_[i] > 0)
            out += " " + std::string(to_string(static_cast<error_stage>(i))) + " " +
                   std::to_string(by_stage_[i]);
    if (!by_code_.empty()) {
        // The commonest first.
        std::vector<std::pair<std::string_view, std::uint64_t>> codes(by_code_.begin(), by_code_.end());
        std::stable_sort(codes.begin(), codes.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        out += "\n  error codes:";
        for (std::size_t i = 0; i < codes.size(); ++i)
            out += (i == 0 ? " " : ", ") + std::string(codes[i].first) + " " + std::to_string(codes[i].second);
    }
    out += "\n  with title " + std::to_string(with_title_) + ", with price " +
           std::to_string(with_price_) + "\n  latency ms: p50 " + fixed(latency_ms(0.5)) +
           " p95 " + fixed(latency_ms(0.95)) + " p99 " + fixed(latency_ms(0.99)) + "\n";
    return out;
}

std::string run_stats::json() const {
    double s = std::max(seconds(), 1e-9);
    std::string out = "{\"records\":" + std::to_string(records_) +
                      ",\"already_done\":" + std::to_string(already_done_) +
                      ",\"interrupted\":" + (interrupted_ ? "true" : "false") +
                      ",\"seconds\":" + fixed(s, 3) +
                      ",\"pages_per_second\":" + fixed(static_cast<double>(records_) / s) +
                      ",\"bytes\":" + std::to_string(bytes_) +
                      ",\"megabytes_per_second\":" + fixed(static_cast<double>(bytes_) / s / 1e6, 3) +
                      ",\"errors\":" + std::to_string(errors_) + ",\"status\":{";
    for (std::size_t i = 0; i < by_class_.size(); ++i) {
        if (i > 0) out += ',';
        out += "\"" + std::string(class_names[i]) + "\":" + std::to_string(by_class_[i]);
    }
    out += "},\"error_stages\":{";
    for (std::size_t i = 1; i < by_stage_.size(); ++i) {
        if (i > 1) out += ',';
        out += "\"" + std::string(to_string(static_cast<error_stage>(i))) + "\":" +
               std::to_string(by_stage_[i]);
    }
    out += "},\"error_codes\":{";
    for (auto it = by_code_.begin(); it != by_code_.end(); ++it) {
        if (it != by_code_.begin()) out += ',';
        append_json_string(it->first, out);
        out += ':' + std::to_string(it->second);
    }
    out += "},\"with_title\":" + std::to_string(with_title_) +
           ",\"with_price\":" + std::to_string(with_price_) +
           ",\"latency_ms\":{\"p50\":" + fixed(latency_ms(0.5), 2) +
           ",\"p95\":" + fixed(latency_ms(0.95), 2) + ",\"p99\":" + fixed(latency_ms(0.99), 2) +
           "},\"fetch\":{\"connections\":" + std::to_string(fetch_.connections) +
           ",\"reused\":" + std::to_string(fetch_.reused) +
           ",\"tls_handshakes\":" + std::to_string(fetch_.tls_handshakes) +
           ",\"tls_resumed\":" + std::to_string(fetch_.tls_resumed) +
           ",\"ca_store_loads\":" + std::to_string(fetch_.ca_store_loads) +
           "},\"workers\":{\"started\":" + std::to_string(workers_) +
           ",\"lines_handed_back\":" + std::to_string(lines_handed_back_) + "}}\n";
    return out;
}

progress_line::progress_line(bool enabled, std::int64_t total)
    : enabled_(enabled && ::isatty(STDERR_FILENO) == 1), total_(total) {}

void progress_line::update(const run_stats& s, bool force) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    double secs = std::max(s.seconds(), 1e-9);
    double rate = static_cast<double>(s.records()) / secs;
    std::string line = "\r\033[K" + std::to_string(s.records());
    if (total_ >= 0) {
        line += "/" + std::to_string(total_) +
                " (" + fixed(total_ > 0 ? 100.0 * static_cast<double>(s.records()) /
                                                 static_cast<double>(total_)
                                           : 100.0, 1) + "%)";
    }
    line += "  " + fixed(rate, 0) + " pages/s" + "  errors " + std::to_string(s.errors());
    if (total_ > 0 && rate > 0 && static_cast<std::int64_t>(s.records()) < total_) {
        double eta = static_cast<double>(total_ - static_cast<std::int64_t>(s.records())) / rate;
        line += "  ETA " + fixed(eta, 0) + " s";
    }
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
    drawn_ = true;
}

void progress_line::finish() {
    if (drawn_) std::fputs("\r\033[K", stderr);
    drawn_ = false;
}

}  // namespace shoal
