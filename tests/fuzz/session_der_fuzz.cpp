// Fuzzes without_peer_certificate, which rewrites an OpenSSL session's DER
// before it goes into the table of sessions shared by the workers. Whatever
// the bytes, it must not read out of bounds; what it returns must be a DER
// SEQUENCE of whole elements none of which is the [3] field, so that a
// second pass returns it unchanged, and it never grows the input by more
// than the SEQUENCE header's few bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shoal/tls_session_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto once = shoal::without_peer_certificate(in);
    if (!once) return 0;
    if (once->empty() || static_cast<unsigned char>((*once)[0]) != 0x30) std::abort();
    if (once->size() > in.size() + 4) std::abort();
    const auto twice = shoal::without_peer_certificate(*once);
    if (!twice || *twice != *once) std::abort();
    return 0;
}
