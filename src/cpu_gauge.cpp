// Machine and process CPU shares (see cpu_gauge.hpp).
#include "shoal/cpu_gauge.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <utility>

#include "shoal/sys.hpp"

namespace shoal {

namespace detail {

std::optional<cpu_ticks> parse_proc_stat(std::string_view text) {
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
    if (text.substr(0, 4) != "cpu ") return std::nullopt;
    text.remove_prefix(4);
    text = text.substr(0, text.find('\n'));
    std::uint64_t field[8] = {};
    int n = 0;
    while (n < 8) {
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        if (text.empty()) break;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), field[n]);
        if (ec != std::errc()) return std::nullopt;
        text.remove_prefix(static_cast<std::size_t>(end - text.data()));
        ++n;
    }
    if (n < 4) return std::nullopt;
    cpu_ticks t;
    t.idle = field[3] + field[4];
    t.busy = field[0] + field[1] + field[2] + field[5] + field[6] + field[7];
    return t;
}

bool cpu_saturated(bool was, std::uint64_t busy_ticks, std::uint64_t idle_ticks, double own_s, double wall_s) {
    if (busy_ticks + idle_ticks == 0 || wall_s <= 0) return was;
    const double idle = static_cast<double>(idle_ticks) / static_cast<double>(busy_ticks + idle_ticks);
    const double own = own_s / wall_s;
    if (was) return idle < cpu_gauge::room_idle_share && own >= cpu_gauge::room_own_share;
    return idle < cpu_gauge::max_idle_share && own >= cpu_gauge::min_own_share;
}

}  // namespace detail

cpu_gauge::cpu_gauge(std::string stat_path) : stat_path_(std::move(stat_path)), last_(read()) {}

std::optional<cpu_gauge::reading> cpu_gauge::read() const {
    int fd = ::open(stat_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    char buf[512];  // the first line is all that is needed
    ssize_t n = sys::retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
    ::close(fd);
    if (n <= 0) return std::nullopt;
    auto ticks = detail::parse_proc_stat(std::string_view(buf, static_cast<std::size_t>(n)));
    if (!ticks) return std::nullopt;
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    reading r;
    r.busy = ticks->busy;
    r.idle = ticks->idle;
    r.own_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
              static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
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
    if (busy + idle == 0) return;  // too soon to tell (the ticks are 10 ms): as before
    saturated_ = detail::cpu_saturated(saturated_, busy, idle, now->own_s - last_->own_s, now->wall_s - last_->wall_s);
    last_ = now;
}

}  // namespace shoal
