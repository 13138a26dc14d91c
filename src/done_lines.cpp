// The shared bitmap of finished lines (see done_lines.hpp).
#include "shoal/done_lines.hpp"

#include <sys/mman.h>

#include "shoal/sys.hpp"

namespace shoal {

done_lines::done_lines() : bytes_((max_line + 1) / 8) {
    void* p = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) sys::throw_errno(exit_code::internal, "cannot map the done-lines bitmap");
    bits_ = static_cast<std::uint64_t*>(p);
}

done_lines::~done_lines() {
    if (bits_ != nullptr) ::munmap(bits_, bytes_);
}

bool done_lines::set(std::uint64_t line) noexcept {
    if (line > max_line) return true;
    std::uint64_t mask = std::uint64_t{1} << (line % 64);
    std::uint64_t old = __atomic_fetch_or(&bits_[line / 64], mask, __ATOMIC_RELEASE);
    return (old & mask) == 0;
}

bool done_lines::test(std::uint64_t line) const noexcept {
    if (line > max_line) return false;
    std::uint64_t mask = std::uint64_t{1} << (line % 64);
    return (__atomic_load_n(&bits_[line / 64], __ATOMIC_ACQUIRE) & mask) != 0;
}

}  // namespace shoal
