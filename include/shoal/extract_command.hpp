// extract_command: `shoal extract`, the offline rule runner. It runs the
// built-in rules or a rule file over saved pages and prints one JSONL record
// per file, in the format of crawl records, for writing and debugging rules.
//
//   shoal extract --rules data/rules/dangdang.toml --url https://search.dangdang.com/ page.html
#pragma once

namespace shoal {

// Runs `shoal extract --rules R [--url U] [--content-type T] FILE...`.
// argv[0] is the program, argv[1] is "extract"; the options follow.
// Writes the records to stdout (help to stdout too) and returns 0.
// Throws setup_error: exit_code::usage for a bad command line or a bad rule
// file, exit_code::file when a FILE cannot be read (checked before any
// output) or stdout cannot be written.
int run_extract_command(int argc, char** argv);

}  // namespace shoal
