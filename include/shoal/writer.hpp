// writer: the only process that touches the output file. It reads frames
// from every worker's pipe, renders each record once (JSONL or CSV), marks
// the line done, and tells the supervisor when a worker's pipe ends. It also
// keeps the run's statistics: the progress line, the summary and --stats.
//
// The output only ever grows by whole records. The writer writes records in
// batches (at least once a second while records arrive), and after each
// complete write advances an output_extent shared with the supervisor. When
// a write fails (a full disk: ENOSPC, EDQUOT, or EFBIG past RLIMIT_FSIZE) the
// writer cuts the file back to that extent itself; when the writer is killed
// mid-write, the supervisor does. Either way a regular output file ends on a
// whole record and `--resume` continues from there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoal/done_lines.hpp"
#include "shoal/options.hpp"

namespace shoal {

// The length of the output file up to its last whole record, in memory
// shared by the supervisor and the writer (mapped before fork).
class output_extent {
public:
    output_extent();  // maps the shared word; throws setup_error on failure
    ~output_extent();
    output_extent(const output_extent&) = delete;  // owns a mapping
    output_extent& operator=(const output_extent&) = delete;

    void set(std::uint64_t bytes) noexcept;
    std::uint64_t get() const noexcept;

private:
    std::uint64_t* bytes_ = nullptr;
};

// Cuts what follows the last whole record off the regular file open as fd
// (readable and writable): a write that failed or was killed half-way leaves
// some whole records and then a torn one after `extent`, the end of the last
// complete write (a record boundary). JSONL rows end at a newline; CSV rows
// at a CRLF outside quotes, found by reading on from `extent`.
// Returns the bytes cut (0 for other kinds of files, or when nothing was
// torn), or -1 with errno set when the file could not be read or cut.
std::int64_t cut_torn_tail(int fd, std::uint64_t extent, output_format format);

struct writer_setup {
    const crawl_options& options;
    int control_fd = -1;  // socket to the supervisor
    int output_fd = -1;   // opened (and for --resume, positioned) by the supervisor
    done_lines& done;
    std::int64_t total = -1;  // records expected in this run, -1 if unknown
    bool write_csv_header = false;
    const std::vector<std::string>& field_names;  // custom CSV columns, from the rules
    output_extent& extent;  // set by the supervisor to the file's size at the start
    std::uint64_t already_done = 0;  // --resume: lines whose records the output held before
};

// run_writer's exit status when every record was written but --stats could
// not be (one line on stderr says why).
constexpr int writer_exit_stats_unwritten = 5;

// Runs until the supervisor says finish (or goes away) and every open pipe
// has ended. Returns the process exit status: 0; 2 when the output could
// not be written (one line on stderr says why and how to resume; a regular
// output file is cut back to its last whole record first) or was deleted
// during the run; writer_exit_stats_unwritten.
//
// Fault injection for the recovery tests: with SHOAL_FAULT_WRITER_DIE_AT=N in
// the environment, the writer writes the output up to byte N, which is
// usually inside a record, and then SIGKILLs itself.
int run_writer(const writer_setup& setup);

}  // namespace shoal
