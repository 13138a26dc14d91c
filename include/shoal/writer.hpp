// writer: the only process that touches the output file. It reads frames
// from every worker's pipe, renders each record once (JSONL or CSV), marks
// the line done, and tells the supervisor when a worker's pipe ends. It also
// keeps the run's statistics: the progress line, the summary and --stats.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shoal/done_lines.hpp"
#include "shoal/options.hpp"

namespace shoal {

struct writer_setup {
    const crawl_options& options;
    int control_fd = -1;  // socket to the supervisor
    int output_fd = -1;   // opened (and for --resume, positioned) by the supervisor
    done_lines& done;
    std::int64_t total = -1;  // records expected in this run, -1 if unknown
    bool write_csv_header = false;
    const std::vector<std::string>& field_names;  // custom CSV columns, from the rules
};

// Runs until the supervisor says finish (or goes away) and every open pipe
// has ended. Returns the process exit status: 0, or 2 when the output could
// not be written (the message is on stderr).
int run_writer(const writer_setup& setup);

}  // namespace shoal
