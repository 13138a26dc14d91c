// host_pacer: --per-host-rate across all worker processes. Requests to one
// host (scheme, host and port) are spaced 1/rate seconds apart, whichever
// worker sends them. For each host slot (a hash of the origin, as
// host_limiter's) memory shared by every process of the run (mapped by the
// supervisor before it forks) holds the time the next request may go; a
// request reserves its time there with one compare-and-swap and waits until
// then.
//
//   worker:  auto wait = pacer.reserve(origin); sleep(wait); send...
//
// A request may ask for a longer interval than the run's (a site's
// robots.txt Crawl-delay, with --robots): the turn after it comes that
// much later.
//
// Two hosts whose hashes collide share one schedule (slower, never faster);
// with 65536 slots that is rare. A worker that dies holds nothing: a
// reservation is only a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shoal {

class host_pacer {
public:
    static constexpr std::size_t slot_count = 65536;

    // per_second: requests per second to one host; 0: no spacing but what
    // a request asks for. Throws setup_error if mapping fails.
    explicit host_pacer(double per_second);
    ~host_pacer();
    host_pacer(const host_pacer&) = delete;
    host_pacer& operator=(const host_pacer&) = delete;

    // Reserves the next time a request may go to origin, the interval after
    // the one reserved before it, or now if that has passed; the turn after
    // this one comes max(interval(), at_least) later. Returns how long to
    // wait from `now` (zero: send at once).
    std::chrono::nanoseconds reserve(std::string_view origin, std::chrono::steady_clock::time_point now,
                                     std::chrono::nanoseconds at_least = {}) noexcept;
    std::chrono::nanoseconds reserve(std::string_view origin, std::chrono::nanoseconds at_least = {}) noexcept {
        return reserve(origin, std::chrono::steady_clock::now(), at_least);
    }

    // Moves origin's next turn to `until` if it comes earlier (a Crawl-delay
    // learnt after the request that fetched robots.txt took its turn).
    void hold_until(std::string_view origin, std::chrono::steady_clock::time_point until) noexcept;

    std::chrono::nanoseconds interval() const { return std::chrono::nanoseconds(interval_ns_); }

private:
    std::uint64_t interval_ns_;
    std::uint64_t* next_ = nullptr;  // slot_count times, ns on the steady clock
};

}  // namespace shoal
