// tls_session_store: TLS sessions shared by every worker process of a run, so
// that a worker's first connection to a host another worker (or an earlier
// chunk's worker) has already visited resumes a session instead of making a
// full handshake (which costs both sides about 1 ms of CPU with OpenSSL 3.0).
// The table lives in memory the supervisor maps before it forks: one slot per
// origin (two slots picked by its hash), holding the origin and its latest
// session's DER bytes (i2d_SSL_SESSION).
//
//   worker:  if (store.get(origin, der)) ...d2i_SSL_SESSION, SSL_set_session...
//            else if (!store.claim(origin, until)) ...another worker is making
//                 the full handshake: poll get() until its session is there...
//            after a good exchange: store.put(origin, der_of_new_session)
//
// It is a cache: a slot that is being written when another process reads it
// is a miss, and a session another origin put in its place is gone; never a
// wrong answer for the origin (the origin itself is compared, not only its
// hash: resuming another host's session would skip this host's certificate
// check). A session too big for a slot is not kept. A worker killed in the
// middle of a write leaves that one slot unusable for the run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

class tls_session_store {
public:
    static constexpr std::size_t slot_count = 8192;  // 32 MiB mapped; pages used as slots are
    static constexpr std::size_t slot_bytes = 4096;
    static constexpr std::size_t max_session_bytes = slot_bytes - 32;  // origin and DER together

    // Maps the table (shared, anonymous). Throws setup_error if it cannot.
    tls_session_store();
    ~tls_session_store();
    tls_session_store(const tls_session_store&) = delete;
    tls_session_store& operator=(const tls_session_store&) = delete;

    // Keeps der as origin's session. Skipped when der is empty, when origin
    // and der together are larger than max_session_bytes, or when another
    // process is writing the slot.
    void put(std::string_view origin, std::string_view der) noexcept;
    // The session kept for origin, copied into der; false when there is none.
    bool get(std::string_view origin, std::string& der) const;
    // Says that this process is making a full handshake with origin, whose
    // session it will put() by `until` (steady clock, which every process
    // reads alike). False when another process said so for origin and its
    // time has not run out: that one's session is coming. A claim is only
    // advice: two processes may both make a full handshake (a slot shared
    // by two origins, a race), never none.
    bool claim(std::string_view origin, std::chrono::steady_clock::time_point until) noexcept;
    // Ends this process's claim on origin (its handshake failed, no session
    // is coming), so that other processes stop waiting for it.
    void unclaim(std::string_view origin) noexcept;

private:
    struct slot;
    slot* slot_for(std::uint64_t key) const noexcept;
    slot* second_slot_for(std::uint64_t key) const noexcept;
    static bool read_slot(const slot& s, std::uint64_t key, std::string_view origin, std::string* der);

    void* map_ = nullptr;
};

// An OpenSSL session's DER (i2d_SSL_SESSION) without the server's
// certificate (its `[3]` field), or nullopt when der is not a DER SEQUENCE
// of single-byte tags. A session resumes without it: the client verified
// the certificate in the full handshake, and a resumption sends none. It
// is most of a session's bytes, and reading a session with it back
// (d2i_SSL_SESSION) costs about 1.5 million instructions, since OpenSSL 3.0
// sets up a key decoder for the certificate; without it, 26 thousand.
std::optional<std::string> without_peer_certificate(std::string_view der);

}  // namespace shoal
