// TLS sessions shared across worker processes (see tls_session_store.hpp).
#include "shoal/tls_session_store.hpp"

#include <sys/mman.h>

#include <cstring>

#include "shoal/sys.hpp"

namespace shoal {

// A seqlock: `seq` is odd while the slot is being written. A writer takes the
// slot by moving seq from even to odd (or leaves it to whoever has it); a
// reader copies, then checks that seq did not move.
struct tls_session_store::slot {
    std::uint32_t seq;
    std::uint32_t len;
    std::uint64_t key;  // FNV-1a of the origin; 0: empty
    unsigned char data[max_session_bytes];
};

namespace {

std::uint64_t key_of(std::string_view origin) noexcept {
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a
    for (unsigned char c : origin) h = (h ^ c) * 1099511628211ull;
    return h == 0 ? 1 : h;
}

}  // namespace

tls_session_store::tls_session_store() {
    map_ = ::mmap(nullptr, slot_count * slot_bytes, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        sys::throw_errno(exit_code::internal, "cannot map the shared TLS session table");
    }
}

tls_session_store::~tls_session_store() {
    if (map_ != nullptr) ::munmap(map_, slot_count * slot_bytes);
}

tls_session_store::slot* tls_session_store::slot_for(std::uint64_t key) const noexcept {
    static_assert(sizeof(slot) == slot_bytes);
    return static_cast<slot*>(map_) + key % slot_count;
}

void tls_session_store::put(std::string_view origin, std::string_view der) noexcept {
    if (der.empty() || der.size() > max_session_bytes) return;
    const std::uint64_t key = key_of(origin);
    slot* s = slot_for(key);
    std::uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    if ((seq & 1) != 0 ||
        !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;  // another process is writing it
    __atomic_store_n(&s->key, key, __ATOMIC_RELAXED);
    __atomic_store_n(&s->len, static_cast<std::uint32_t>(der.size()), __ATOMIC_RELAXED);
    std::memcpy(s->data, der.data(), der.size());
    __atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

bool tls_session_store::get(std::string_view origin, std::string& der) const {
    const std::uint64_t key = key_of(origin);
    const slot* s = slot_for(key);
    const std::uint32_t before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
    if ((before & 1) != 0 || __atomic_load_n(&s->key, __ATOMIC_RELAXED) != key) return false;
    const std::uint32_t len = __atomic_load_n(&s->len, __ATOMIC_RELAXED);
    if (len == 0 || len > max_session_bytes) return false;
    der.assign(reinterpret_cast<const char*>(s->data), len);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return __atomic_load_n(&s->seq, __ATOMIC_RELAXED) == before;
}

}  // namespace shoal
