// TLS sessions shared across worker processes (see tls_session_store.hpp).
#include "shoal/tls_session_store.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "shoal/sys.hpp"
#include "shoal/url.hpp"

namespace shoal {

// A seqlock: `seq` is odd while the slot is being written. A writer takes the
// slot by moving seq from even to odd (or leaves it to whoever has it); a
// reader copies, then checks that seq did not move.
struct tls_session_store::slot {
    std::uint32_t seq;
    std::uint16_t origin_len;  // data: the origin, then the session's DER
    std::uint16_t len;         // of the DER
    std::uint64_t key;         // origin_hash of the origin (1 for 0); 0: empty
    // A full handshake under way (claim()): until when, in milliseconds of
    // the steady clock, in the high half; the claiming pid in the low half.
    std::uint64_t claim;
    std::uint64_t claim_key;  // the claimed origin's key
    unsigned char data[max_session_bytes];
};

namespace {

std::uint64_t key_of(std::string_view origin) noexcept {
    const std::uint64_t h = origin_hash(origin);
    return h == 0 ? 1 : h;  // 0 marks an empty slot
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
    static_assert(max_session_bytes <= UINT16_MAX);
    return static_cast<slot*>(map_) + key % slot_count;
}

// An origin's other slot: two origins that share their first slot seldom
// share this one too.
tls_session_store::slot* tls_session_store::second_slot_for(std::uint64_t key) const noexcept {
    slot* first = slot_for(key);
    slot* second = static_cast<slot*>(map_) + (key >> 32) % slot_count;
    return second != first ? second : static_cast<slot*>(map_) + (key + 1) % slot_count;
}

// Whether s holds a session of origin (whose key is key), as far as a
// read that no write overlapped can tell; with der given, that session's
// DER is copied there (it is then whatever the slot held when false).
bool tls_session_store::read_slot(const slot& s, std::uint64_t key, std::string_view origin, std::string* der) {
    const std::uint32_t before = __atomic_load_n(&s.seq, __ATOMIC_ACQUIRE);
    if ((before & 1) != 0 || __atomic_load_n(&s.key, __ATOMIC_RELAXED) != key ||
        __atomic_load_n(&s.origin_len, __ATOMIC_RELAXED) != origin.size())
        return false;
    const std::size_t len = __atomic_load_n(&s.len, __ATOMIC_RELAXED);
    if (len == 0 || origin.size() + len > max_session_bytes) return false;
    // The origin itself, not only its hash: a session resumed with another
    // host would skip that host's certificate check.
    const bool same = std::memcmp(s.data, origin.data(), origin.size()) == 0;
    if (same && der != nullptr) der->assign(reinterpret_cast<const char*>(s.data) + origin.size(), len);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return same && __atomic_load_n(&s.seq, __ATOMIC_RELAXED) == before;
}

void tls_session_store::put(std::string_view origin, std::string_view der) noexcept {
    if (der.empty() || origin.size() + der.size() > max_session_bytes) return;
    const std::uint64_t key = key_of(origin);
    // The slot holding origin's session, else an empty one, else the
    // first, whose session goes.
    slot* s = slot_for(key);
    slot* second = second_slot_for(key);
    if (!read_slot(*s, key, origin, nullptr) &&
        (read_slot(*second, key, origin, nullptr) ||
         (__atomic_load_n(&s->key, __ATOMIC_RELAXED) != 0 && __atomic_load_n(&second->key, __ATOMIC_RELAXED) == 0)))
        s = second;
    std::uint32_t seq = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
    if ((seq & 1) != 0 ||
        !__atomic_compare_exchange_n(&s->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;  // another process is writing it
    __atomic_store_n(&s->key, key, __ATOMIC_RELAXED);
    __atomic_store_n(&s->origin_len, static_cast<std::uint16_t>(origin.size()), __ATOMIC_RELAXED);
    __atomic_store_n(&s->len, static_cast<std::uint16_t>(der.size()), __ATOMIC_RELAXED);
    std::memcpy(s->data, origin.data(), origin.size());
    std::memcpy(s->data + origin.size(), der.data(), der.size());
    __atomic_store_n(&s->seq, seq + 2, __ATOMIC_RELEASE);
}

bool tls_session_store::get(std::string_view origin, std::string& der) const {
    const std::uint64_t key = key_of(origin);
    for (const slot* s : {slot_for(key), second_slot_for(key)})
        if (read_slot(*s, key, origin, &der)) return true;
    der.clear();
    return false;
}

bool tls_session_store::claim(std::string_view origin, std::chrono::steady_clock::time_point until) noexcept {
    using std::chrono::duration_cast;
    using std::chrono::milliseconds;
    const std::uint64_t key = key_of(origin);
    slot* s = slot_for(key);
    const auto ms = [](std::chrono::steady_clock::time_point t) {
        return static_cast<std::uint64_t>(duration_cast<milliseconds>(t.time_since_epoch()).count()) & 0xffffffffu;
    };
    const auto pid = static_cast<std::uint32_t>(::getpid());
    std::uint64_t seen = __atomic_load_n(&s->claim, __ATOMIC_ACQUIRE);
    const std::uint32_t seen_until = static_cast<std::uint32_t>(seen >> 32);
    const bool live = seen != 0 && static_cast<std::int32_t>(seen_until - static_cast<std::uint32_t>(
                                                                     ms(std::chrono::steady_clock::now()))) > 0;
    if (live && static_cast<std::uint32_t>(seen) != pid &&
        __atomic_load_n(&s->claim_key, __ATOMIC_ACQUIRE) == key)
        return false;  // another process's full handshake with origin is under way
    const std::uint64_t mine = (ms(until) << 32) | pid;
    if (!__atomic_compare_exchange_n(&s->claim, &seen, mine, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return true;  // it moved meanwhile: make the handshake rather than wait on a guess
    __atomic_store_n(&s->claim_key, key, __ATOMIC_RELEASE);
    return true;
}

void tls_session_store::unclaim(std::string_view origin) noexcept {
    const std::uint64_t key = key_of(origin);
    slot* s = slot_for(key);
    std::uint64_t seen = __atomic_load_n(&s->claim, __ATOMIC_ACQUIRE);
    if (seen == 0 || static_cast<std::uint32_t>(seen) != static_cast<std::uint32_t>(::getpid()) ||
        __atomic_load_n(&s->claim_key, __ATOMIC_ACQUIRE) != key)
        return;
    __atomic_compare_exchange_n(&s->claim, &seen, std::uint64_t{0}, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

namespace {

// A DER element's header at pos: its tag, and the sizes of header and
// content. False when it is cut short, has a multi-byte tag or a length
// over 4 bytes.
bool read_element(std::string_view d, std::size_t pos, unsigned char& tag, std::size_t& header,
                  std::size_t& length) {
    if (d.size() - pos < 2) return false;
    tag = static_cast<unsigned char>(d[pos]);
    if ((tag & 0x1f) == 0x1f) return false;
    const auto first = static_cast<unsigned char>(d[pos + 1]);
    header = 2;
    length = first;
    if (first >= 0x80) {
        const std::size_t n = first & 0x7f;
        if (n == 0 || n > 4 || d.size() - pos - 2 < n) return false;
        length = 0;
        for (std::size_t i = 0; i < n; ++i)
            length = (length << 8) | static_cast<unsigned char>(d[pos + 2 + i]);
        header += n;
    }
    return d.size() - pos - header >= length;
}

}  // namespace

std::optional<std::string> without_peer_certificate(std::string_view der) {
    constexpr unsigned char sequence = 0x30, peer_field = 0xa3;  // [3] EXPLICIT
    unsigned char tag = 0;
    std::size_t header = 0, length = 0;
    if (!read_element(der, 0, tag, header, length) || tag != sequence ||
        header + length != der.size())
        return std::nullopt;
    std::string content;
    content.reserve(length);
    for (std::size_t pos = header; pos < der.size();) {
        std::size_t h = 0, n = 0;
        if (!read_element(der, pos, tag, h, n)) return std::nullopt;
        if (tag != peer_field) content.append(der.substr(pos, h + n));
        pos += h + n;
    }
    std::string out(1, static_cast<char>(sequence));
    const std::size_t n = content.size();
    if (n < 0x80) {
        out += static_cast<char>(n);
    } else {
        int bytes = 0;
        for (std::size_t v = n; v > 0; v >>= 8) ++bytes;
        out += static_cast<char>(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    }
    return out + content;
}

}  // namespace shoal
