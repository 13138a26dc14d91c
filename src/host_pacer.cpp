// Cross-process per-host request spacing (see host_pacer.hpp).
#include "shoal/host_pacer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cmath>

#include "shoal/sys.hpp"
#include "shoal/url.hpp"

namespace shoal {

host_pacer::host_pacer(double per_second)
    : interval_ns_(per_second > 0 ? static_cast<std::uint64_t>(std::llround(1e9 / per_second)) : 0) {
    void* map = ::mmap(nullptr, slot_count * sizeof(std::uint64_t), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) sys::throw_errno(exit_code::internal, "cannot map the per-host schedule");
    next_ = static_cast<std::uint64_t*>(map);
}

host_pacer::~host_pacer() {
    if (next_ != nullptr) ::munmap(next_, slot_count * sizeof(std::uint64_t));
}

std::chrono::nanoseconds host_pacer::reserve(std::string_view origin, std::chrono::steady_clock::time_point now,
                                             std::chrono::nanoseconds at_least) noexcept {
    const std::uint64_t interval =
        std::max(interval_ns_, static_cast<std::uint64_t>(std::max<std::int64_t>(at_least.count(), 0)));
    // The steady clock is CLOCK_MONOTONIC, one clock for every process.
    const auto t = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
    std::uint64_t* slot = &next_[origin_hash(origin) % slot_count];
    std::uint64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
    std::uint64_t at = 0;
    do {
        at = std::max(t, seen);
    } while (!__atomic_compare_exchange_n(slot, &seen, at + interval, true, __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return std::chrono::nanoseconds(at - t);
}

void host_pacer::hold_until(std::string_view origin, std::chrono::steady_clock::time_point until) noexcept {
    const auto u = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(until.time_since_epoch()).count());
    std::uint64_t* slot = &next_[origin_hash(origin) % slot_count];
    std::uint64_t seen = __atomic_load_n(slot, __ATOMIC_RELAXED);
    while (seen < u && !__atomic_compare_exchange_n(slot, &seen, u, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}

}  // namespace shoal
