// Groups URL lines into chunks (see chunker.hpp).
#include "shoal/chunker.hpp"

namespace shoal {

chunker::chunker(url_source& source, std::size_t chunk_size,
                 std::function<bool(std::uint64_t)> skip)
    : source_(source), chunk_size_(chunk_size), skip_(std::move(skip)) {}

std::optional<chunk> chunker::next() {
    chunk c;
    input_line line;
    while (c.lines.size() < chunk_size_ && source_.next(line)) {
        if (skip_ && skip_(line.number)) {
            ++skipped_;
            continue;
        }
        c.lines.push_back(std::move(line));
    }
    if (c.lines.empty()) return std::nullopt;
    c.id = new_id();
    return c;
}

}  // namespace shoal
