// Shares of the CPU, the machine's (or the quota's) and this process's (see
// cpu_gauge.hpp).
#include "shoal/cpu_gauge.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "shoal/sys.hpp"

namespace shoal {

namespace detail {

namespace {

// Reads a file, up to `limit` bytes or until `enough` is in it; nullopt if
// it cannot be read.
std::optional<std::string> read_text(const std::string& path, std::size_t limit, std::string_view enough = {}) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string text;
    char buf[8192];
    while (text.size() < limit) {
        ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (!enough.empty() && text.find(enough) != std::string::npos) break;
    }
    ::close(fd);
    return text;
}

// Takes the first line off text (without its newline).
std::string_view next_line(std::string_view& text) {
    std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(std::min(text.size(), line.size() + 1));
    return line;
}

// The unsigned numbers of a line, up to `max` of them; false on anything else.
bool numbers(std::string_view line, std::uint64_t* out, int max, int& n) {
    n = 0;
    while (n < max) {
        while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (line.empty()) break;
        auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), out[n]);
        if (ec != std::errc()) return false;
        line.remove_prefix(static_cast<std::size_t>(end - line.data()));
        ++n;
    }
    return true;
}

}  // namespace

std::optional<cpu_ticks> parse_proc_stat(std::string_view text, const std::vector<unsigned>& cpus) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice",
    // then one such line per CPU ("cpu0 ...").
    cpu_ticks sum;
    bool found = false;
    while (!text.empty()) {
        std::string_view line = next_line(text);
        if (!line.starts_with("cpu")) {
            if (found) break;  // the cpu lines come together
            continue;
        }
        line.remove_prefix(3);
        const bool all = !line.empty() && line.front() == ' ';
        unsigned cpu = 0;
        if (!all) {
            auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), cpu);
            if (ec != std::errc()) continue;
            line.remove_prefix(static_cast<std::size_t>(end - line.data()));
        }
        if (all != cpus.empty() || (!all && std::find(cpus.begin(), cpus.end(), cpu) == cpus.end())) {
            if (all) found = true;  // the per-CPU lines follow
            continue;
        }
        std::uint64_t field[8] = {};
        int n = 0;
        if (!numbers(line, field, 8, n) || n < 4) return std::nullopt;
        sum.idle += field[3] + field[4];
        sum.busy += field[0] + field[1] + field[2] + field[5] + field[6] + field[7];
        found = true;
        if (all) return sum;
    }
    if (!found || sum.busy + sum.idle == 0) return std::nullopt;
    return sum;
}

std::optional<std::string> cgroup_v2_path(std::string_view self_cgroup) {
    while (!self_cgroup.empty()) {
        std::string_view line = next_line(self_cgroup);
        if (line.starts_with("0::/")) return std::string(line.substr(3));
    }
    return std::nullopt;
}

std::optional<double> parse_cpu_max(std::string_view text) {
    std::uint64_t v[2] = {};
    int n = 0;
    text = text.substr(0, text.find('\n'));
    if (text.starts_with("max") || !numbers(text, v, 2, n) || n != 2 || v[0] == 0 || v[1] == 0)
        return std::nullopt;
    return static_cast<double>(v[0]) / static_cast<double>(v[1]);
}

std::optional<std::uint64_t> parse_cpu_usage_us(std::string_view text) {
    constexpr std::string_view key = "usage_usec ";
    while (!text.empty()) {
        std::string_view line = next_line(text);
        if (!line.starts_with(key)) continue;
        std::uint64_t v = 0;
        int n = 0;
        if (numbers(line.substr(key.size()), &v, 1, n) && n == 1) return v;
        return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> cgroup_v1_cpu_path(std::string_view self_cgroup) {
    while (!self_cgroup.empty()) {
        std::string_view line = next_line(self_cgroup);
        const std::size_t a = line.find(':'), b = a == std::string_view::npos ? a : line.find(':', a + 1);
        if (b == std::string_view::npos) continue;
        std::string_view controllers = line.substr(a + 1, b - a - 1);
        while (!controllers.empty()) {
            std::string_view c = controllers.substr(0, controllers.find(','));
            controllers.remove_prefix(std::min(controllers.size(), c.size() + 1));
            if (c == "cpu") return std::string(line.substr(b + 1));
        }
    }
    return std::nullopt;
}

std::optional<double> parse_cfs_quota(std::string_view quota_us, std::string_view period_us) {
    std::uint64_t q = 0, p = 0;
    int n = 0, m = 0;
    quota_us = quota_us.substr(0, quota_us.find('\n'));
    period_us = period_us.substr(0, period_us.find('\n'));
    if (quota_us.starts_with("-") || !numbers(quota_us, &q, 1, n) || n != 1 || !numbers(period_us, &p, 1, m) ||
        m != 1 || q == 0 || p == 0)
        return std::nullopt;
    return static_cast<double>(q) / static_cast<double>(p);
}

std::optional<std::uint64_t> parse_cpuacct_usage_us(std::string_view text) {
    std::uint64_t ns = 0;
    int n = 0;
    if (!numbers(text.substr(0, text.find('\n')), &ns, 1, n) || n != 1) return std::nullopt;
    return ns / 1000;
}

bool cpu_saturated(bool was, double idle_share, double own_share) {
    if (was) return idle_share < cpu_gauge::room_idle_share && own_share >= cpu_gauge::room_own_share;
    return idle_share < cpu_gauge::max_idle_share && own_share >= cpu_gauge::min_own_share;
}

double idle_share(std::uint64_t busy_ticks, std::uint64_t idle_ticks, double quota_cpus, double quota_used_s,
                  double wall_s) {
    double share = busy_ticks + idle_ticks == 0
                       ? 1.0
                       : static_cast<double>(idle_ticks) / static_cast<double>(busy_ticks + idle_ticks);
    if (quota_cpus > 0 && wall_s > 0) share = std::min(share, std::max(0.0, 1.0 - quota_used_s / (quota_cpus * wall_s)));
    return share;
}

}  // namespace detail

cpu_gauge::cpu_gauge(sources from) : from_(std::move(from)) {
    if (from_.cpus.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (::sched_getaffinity(0, sizeof set, &set) == 0) {
            // All of the machine's CPUs: the "cpu" line says as much in one.
            const long online = ::sysconf(_SC_NPROCESSORS_ONLN);
            if (online <= 0 || CPU_COUNT(&set) < online)
                for (unsigned c = 0; c < CPU_SETSIZE; ++c)
                    if (CPU_ISSET(c, &set)) from_.cpus.push_back(c);
        }
    }
    // The strictest quota from this process's cgroup up to the root of the
    // hierarchy: cgroup v2, else v1's cpu controller. A directory missing
    // on the way (a container that sees its own cgroup as the root) is
    // passed over.
    const auto self = detail::read_text(from_.self_cgroup, 64 * 1024);
    auto strictest = [this](const std::string& root, const std::string& path, auto&& quota_in, auto&& usage_of) {
        std::string dir = root + (path == "/" ? std::string() : path);
        for (;;) {
            if (auto q = quota_in(dir); q && (quota_cpus_ == 0 || *q < quota_cpus_)) {
                quota_cpus_ = *q;
                quota_usage_ = usage_of(dir);
            }
            if (dir.size() <= root.size()) break;
            dir.erase(dir.rfind('/'));
        }
    };
    if (auto path = self ? detail::cgroup_v2_path(*self) : std::nullopt) {
        strictest(
            from_.cgroup_root, *path,
            [](const std::string& dir) -> std::optional<double> {
                auto max = detail::read_text(dir + "/cpu.max", 256);
                return max ? detail::parse_cpu_max(*max) : std::nullopt;
            },
            [](const std::string& dir) { return dir + "/cpu.stat"; });
    }
    if (quota_cpus_ == 0) {
        if (auto path = self ? detail::cgroup_v1_cpu_path(*self) : std::nullopt) {
            const std::string cpu_root = from_.cgroup_root + "/cpu";
            strictest(
                cpu_root, *path,
                [](const std::string& dir) -> std::optional<double> {
                    auto q = detail::read_text(dir + "/cpu.cfs_quota_us", 64);
                    auto p = detail::read_text(dir + "/cpu.cfs_period_us", 64);
                    return q && p ? detail::parse_cfs_quota(*q, *p) : std::nullopt;
                },
                [this, &cpu_root](const std::string& dir) {
                    // cpu and cpuacct share a directory when mounted together.
                    std::string same = dir + "/cpuacct.usage";
                    if (::access(same.c_str(), R_OK) == 0) return same;
                    return from_.cgroup_root + "/cpuacct" + dir.substr(cpu_root.size()) + "/cpuacct.usage";
                });
            quota_v1_ = quota_cpus_ > 0;
        }
    }
    last_ = read();
}

std::optional<cpu_gauge::reading> cpu_gauge::read() const {
    // The cpu lines come first; past them are interrupt counts (long).
    auto text = detail::read_text(from_.proc_stat, 256 * 1024, "\nintr ");
    if (!text) return std::nullopt;
    auto ticks = detail::parse_proc_stat(*text, from_.cpus);
    if (!ticks) return std::nullopt;
    reading r;
    r.busy = ticks->busy;
    r.idle = ticks->idle;
    if (quota_cpus_ > 0) {
        auto usage = detail::read_text(quota_usage_, 64 * 1024);
        auto used = !usage     ? std::nullopt
                    : quota_v1_ ? detail::parse_cpuacct_usage_us(*usage)
                                : detail::parse_cpu_usage_us(*usage);
        if (used) r.quota_used_us = *used;
    }
    if (from_.own_cpu_seconds) {
        r.own_s = from_.own_cpu_seconds();
    } else {
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        r.own_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }
    r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    return r;
}

void cpu_gauge::sample() {
    std::optional<reading> now = read();
    if (!now || !last_) {
        last_ = now;
        saturated_ = false;
        return;
    }
    const std::uint64_t busy = now->busy - last_->busy, idle = now->idle - last_->idle;
    const double wall = now->wall_s - last_->wall_s;
    if (busy + idle == 0 || wall <= 0) return;  // too soon to tell (the ticks are 10 ms): as before
    const double quota_used_s = now->quota_used_us >= last_->quota_used_us
                                    ? static_cast<double>(now->quota_used_us - last_->quota_used_us) / 1e6
                                    : 0;
    saturated_ = detail::cpu_saturated(saturated_, detail::idle_share(busy, idle, quota_cpus_, quota_used_s, wall),
                                       (now->own_s - last_->own_s) / wall);
    last_ = now;
}

}  // namespace shoal
