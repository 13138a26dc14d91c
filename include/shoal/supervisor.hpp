// supervisor: the process `shoal crawl` starts as. It streams the URL file,
// cuts it into chunks, forks one worker per chunk with at most --processes
// of them taking lines at once, forks the writer, reaps children, and re-runs
// what a dead worker left undone. It does no network I/O and no parsing
// beyond splitting lines.
//
// A line's record is "done" once the writer has it; a chunk's lines stay in
// the supervisor until the writer has reported the end of the chunk's pipe
// and the worker is reaped. Then the lines without a record (a worker that
// died) are run again: first all together in one new worker, and after
// further deaths in halves, so that a line which kills every worker it runs
// in is isolated, and once alone gets a "crash" error record after it has
// killed max_deaths workers by itself.
#pragma once

#include "shoal/options.hpp"

namespace shoal {

// Workers a single line may kill before it gets a crash record.
constexpr unsigned max_deaths = 3;

// Runs the whole crawl. Returns the exit status of `shoal crawl`.
// Throws setup_error for problems found before any fetch.
int run_crawl(const crawl_options& options);

}  // namespace shoal
