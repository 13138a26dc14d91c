// host_limiter: --per-host across all worker processes. Counters live in
// memory shared by every process of the run (mapped by the supervisor before
// it forks): one counter per host slot (a hash of scheme, host and port), and
// per worker a ledger of the slots it holds, so that when a worker dies the
// supervisor can give back what it held.
//
//   worker:      if (lim.try_acquire(origin, ledger, entry)) { fetch...; lim.release(ledger, entry); }
//   supervisor:  lim.release_all(ledger) after the worker is reaped
//
// Two hosts whose hashes collide share one limit (stricter, never looser);
// with 65536 slots that is rare. A fetch counts from the moment it asks for a
// connection until its response is read; kept-alive idle connections do not.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shoal {

class host_limiter {
public:
    static constexpr std::size_t slot_count = 65536;

    // limit: connections per host; ledgers: workers alive at once; entries:
    // fetches in flight per worker. Throws setup_error if mapping fails.
    host_limiter(unsigned limit, unsigned ledgers, unsigned entries);
    ~host_limiter();
    host_limiter(const host_limiter&) = delete;
    host_limiter& operator=(const host_limiter&) = delete;

    // Takes one connection to origin for ledger entry `entry`. Returns false
    // when the host is at its limit (the caller waits and tries again).
    // REQUIRES: ledger < ledgers, entry < entries, and the entry is free.
    bool try_acquire(std::string_view origin, unsigned ledger, unsigned entry) noexcept;
    void release(unsigned ledger, unsigned entry) noexcept;

    // Gives back everything a (dead) worker's ledger holds.
    void release_all(unsigned ledger) noexcept;

    unsigned limit() const { return limit_; }
    // Connections held now to origin (for tests).
    unsigned in_use(std::string_view origin) const noexcept;

private:
    static std::size_t slot_of(std::string_view origin) noexcept;
    void give_back(std::uint32_t slot) noexcept;

    unsigned limit_, ledgers_, entries_;
    std::uint32_t* counts_ = nullptr;  // slot_count counters
    std::uint32_t* ledger_ = nullptr;  // ledgers x entries: slot + 1, or 0 = free
    std::size_t bytes_ = 0;
    void* map_ = nullptr;
};

}  // namespace shoal
