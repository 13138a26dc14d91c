// chunker: cuts the stream of URL lines into chunks of at most K lines, each
// run by one worker process. Lines already done (a resumed run) are skipped
// here, so workers only see what is left to do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "shoal/url_source.hpp"

namespace shoal {

struct chunk {
    std::uint64_t id = 0;
    std::vector<input_line> lines;
    unsigned deaths = 0;  // workers that died running (a superset of) these lines
};

class chunker {
public:
    // skip(line_number) tells which lines need no record (already done).
    chunker(url_source& source, std::size_t chunk_size,
            std::function<bool(std::uint64_t)> skip = {});

    // The next chunk, or nullopt when the input is exhausted.
    std::optional<chunk> next();

    // Chunk ids are also handed out for re-runs of a dead worker's lines.
    std::uint64_t new_id() { return next_id_++; }

    std::uint64_t skipped() const { return skipped_; }

private:
    url_source& source_;
    std::size_t chunk_size_;
    std::function<bool(std::uint64_t)> skip_;
    std::uint64_t next_id_ = 1;
    std::uint64_t skipped_ = 0;
};

}  // namespace shoal
