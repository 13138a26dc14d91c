// serve_counters: the request, connection, TLS and CPU counters of every
// `shoal serve` process, summed for /stats. They live in memory mapped
// before the fork; each process writes only its own slot (a cache line of
// its own), and any process can read them all.
//
//   serve_counters all(processes);          // before the fork
//   serve_counters::slot& mine = all.at(i);  // in process i
//   mine.requests.fetch_add(1, std::memory_order_relaxed);
//   update_cpu(mine);                        // getrusage of this process
//   std::string body = all.json();           // what /stats answers
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace shoal {

class serve_counters {
public:
    struct alignas(64) slot {
        std::atomic<std::uint64_t> requests{0}, connections{0}, refused{0}, tls_full{0}, tls_resumed{0},
            bytes_sent{0}, errors{0}, resets{0}, cpu_user_us{0}, cpu_system_us{0}, tls_aes128{0};
        std::atomic<std::int64_t> pid{0};
    };

    // Maps one slot per process, zeroed. Throws setup_error(internal) if it cannot.
    explicit serve_counters(unsigned processes);
    ~serve_counters();
    serve_counters(const serve_counters&) = delete;
    serve_counters& operator=(const serve_counters&) = delete;

    // REQUIRES: i < processes.
    slot& at(unsigned i) { return slots_[i]; }

    // The sums over every process, and each process's pid, requests and
    // connections, as one JSON object and a newline (see serve.hpp).
    std::string json() const;

private:
    unsigned n_;
    std::size_t bytes_ = 0;
    slot* slots_ = nullptr;
};

// Stores this process's user and system CPU time (getrusage) in s.
void update_cpu(serve_counters::slot& s);

}  // namespace shoal
