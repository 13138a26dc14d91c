// The counters of `shoal serve`'s processes, in shared memory (see serve_counters.hpp).
#include "shoal/serve_counters.hpp"

#include <sys/mman.h>
#include <sys/resource.h>

#include <cstdio>
#include <new>

#include "shoal/error.hpp"
#include "shoal/sys.hpp"

namespace shoal {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

serve_counters::serve_counters(unsigned processes) : n_(processes) {
    bytes_ = sizeof(slot) * n_;
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) sys::throw_errno(exit_code::internal, "cannot map the serve counters");
    slots_ = static_cast<slot*>(p);
    for (unsigned i = 0; i < n_; ++i) new (&slots_[i]) slot();
}

serve_counters::~serve_counters() { ::munmap(slots_, bytes_); }

std::string serve_counters::json() const {
    enum { requests, connections, refused, tls_full, tls_resumed, bytes_sent, errors, resets, cpu_user, cpu_system,
           tls_aes128, fields };
    std::uint64_t sum[fields] = {};
    for (unsigned i = 0; i < n_; ++i) {
        const slot& c = slots_[i];
        const std::atomic<std::uint64_t>* f[fields] = {
            &c.requests, &c.connections, &c.refused, &c.tls_full,    &c.tls_resumed,  &c.bytes_sent,
            &c.errors,   &c.resets,      &c.cpu_user_us, &c.cpu_system_us, &c.tls_aes128};
        for (int k = 0; k < fields; ++k) sum[k] += f[k]->load(std::memory_order_relaxed);
    }
    auto u = [&sum](int k) { return static_cast<unsigned long long>(sum[k]); };
    char buf[512];
    const int n = std::snprintf(
        buf, sizeof buf,
        "{\"processes\":%u,\"requests\":%llu,\"connections\":%llu,\"connections_refused\":%llu,"
        "\"tls_handshakes_full\":%llu,\"tls_handshakes_resumed\":%llu,"
        "\"tls_handshakes_aes_128_gcm\":%llu,\"bytes_sent\":%llu,"
        "\"responses_500\":%llu,\"resets\":%llu,\"cpu_seconds\":%.6f,"
        "\"cpu_user_seconds\":%.6f,\"cpu_system_seconds\":%.6f",
        n_, u(requests), u(connections), u(refused), u(tls_full), u(tls_resumed), u(tls_aes128), u(bytes_sent),
        u(errors), u(resets), static_cast<double>(sum[cpu_user] + sum[cpu_system]) / 1e6,
        static_cast<double>(sum[cpu_user]) / 1e6, static_cast<double>(sum[cpu_system]) / 1e6);
    std::string out(buf, static_cast<std::size_t>(n));
    out += ",\"per_process\":[";
    for (unsigned i = 0; i < n_; ++i) {
        const slot& c = slots_[i];
        std::snprintf(buf, sizeof buf, "%s{\"pid\":%lld,\"requests\":%llu,\"connections\":%llu}", i == 0 ? "" : ",",
                      static_cast<long long>(c.pid.load()), static_cast<unsigned long long>(c.requests.load()),
                      static_cast<unsigned long long>(c.connections.load()));
        out += buf;
    }
    out += "]}\n";
    return out;
}

void update_cpu(serve_counters::slot& s) {
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) != 0) return;
    auto us = [](const timeval& t) {
        return static_cast<std::uint64_t>(t.tv_sec) * 1000000u + static_cast<std::uint64_t>(t.tv_usec);
    };
    s.cpu_user_us.store(us(ru.ru_utime), std::memory_order_relaxed);
    s.cpu_system_us.store(us(ru.ru_stime), std::memory_order_relaxed);
}

}  // namespace shoal
