// done_lines: one bit per input line, in memory shared by the supervisor and
// the writer (mapped before fork). The writer sets a line's bit when its
// record is in the output buffer; the supervisor reads the bits to find what
// a dead worker left undone, and a resumed run pre-sets the bits of lines the
// output already holds. Pages are touched only as lines are reached, so the
// cost is 1 bit per line actually seen.
#pragma once

#include <cstddef>
#include <cstdint>

namespace shoal {

class done_lines {
public:
    // Largest line number that can be tracked (2^31 lines).
    static constexpr std::uint64_t max_line = (std::uint64_t{1} << 31) - 1;

    done_lines();  // maps the shared region; throws setup_error on failure
    ~done_lines();
    done_lines(const done_lines&) = delete;
    done_lines& operator=(const done_lines&) = delete;

    // Marks line done. Returns false when it already was (a duplicate).
    bool set(std::uint64_t line) noexcept;
    bool test(std::uint64_t line) const noexcept;

private:
    std::uint64_t* bits_ = nullptr;
    std::size_t bytes_ = 0;
};

}  // namespace shoal
