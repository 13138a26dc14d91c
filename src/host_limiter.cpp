// Cross-process per-host connection limits (see host_limiter.hpp).
#include "shoal/host_limiter.hpp"

#include <sys/mman.h>

#include "shoal/sys.hpp"
#include "shoal/url.hpp"

namespace shoal {

host_limiter::host_limiter(unsigned limit, unsigned ledgers, unsigned entries)
    : limit_(limit), ledgers_(ledgers), entries_(entries) {
    bytes_ = (slot_count + std::size_t{ledgers} * entries) * sizeof(std::uint32_t);
    map_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    if (map_ == MAP_FAILED) sys::throw_errno(exit_code::internal, "cannot map the per-host counters");
    counts_ = static_cast<std::uint32_t*>(map_);
    ledger_ = counts_ + slot_count;
}

host_limiter::~host_limiter() {
    if (map_ != nullptr && map_ != MAP_FAILED) ::munmap(map_, bytes_);
}

std::size_t host_limiter::slot_of(std::string_view origin) noexcept {
    return static_cast<std::size_t>(origin_hash(origin) % slot_count);
}

bool host_limiter::try_acquire(std::string_view origin, unsigned ledger, unsigned entry) noexcept {
    auto slot = static_cast<std::uint32_t>(slot_of(origin));
    std::uint32_t* count = &counts_[slot];
    std::uint32_t* mine = &ledger_[std::size_t{ledger} * entries_ + entry];
    // The ledger is written first: a worker killed between the two steps
    // makes the supervisor give back one count too many, never one too few
    // (give_back stops at zero).
    __atomic_store_n(mine, slot + 1, __ATOMIC_SEQ_CST);
    std::uint32_t seen = __atomic_load_n(count, __ATOMIC_RELAXED);
    while (seen < limit_) {
        if (__atomic_compare_exchange_n(count, &seen, seen + 1, true, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return true;
    }
    __atomic_store_n(mine, 0u, __ATOMIC_SEQ_CST);
    return false;
}

void host_limiter::give_back(std::uint32_t slot) noexcept {
    std::uint32_t* count = &counts_[slot];
    std::uint32_t seen = __atomic_load_n(count, __ATOMIC_RELAXED);
    while (seen > 0 && !__atomic_compare_exchange_n(count, &seen, seen - 1, true, __ATOMIC_ACQ_REL,
                                                    __ATOMIC_RELAXED)) {
    }
}

void host_limiter::release(unsigned ledger, unsigned entry) noexcept {
    std::uint32_t* mine = &ledger_[std::size_t{ledger} * entries_ + entry];
    std::uint32_t held = __atomic_exchange_n(mine, 0u, __ATOMIC_SEQ_CST);
    if (held != 0) give_back(held - 1);
}

void host_limiter::release_all(unsigned ledger) noexcept {
    for (unsigned e = 0; e < entries_; ++e) release(ledger, e);
}

unsigned host_limiter::in_use(std::string_view origin) const noexcept {
    return __atomic_load_n(&counts_[slot_of(origin)], __ATOMIC_RELAXED);
}

}  // namespace shoal
