// resume: what an existing output file already holds, so that a resumed run
// (--resume) skips those lines, and the run fingerprint that refuses to mix
// records made with different options.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "shoal/done_lines.hpp"
#include "shoal/options.hpp"
#include "shoal/url_source.hpp"

namespace shoal {

struct existing_output {
    std::uint64_t records = 0;      // lines marked done
    std::uint64_t last_line = 0;    // the highest line number a record has
    std::uint64_t cut_bytes = 0;    // bytes of a torn last line that were cut off
    std::uint64_t unreadable = 0;   // lines that are not records (skipped, kept)
    std::uint64_t duplicates = 0;   // records of a line that an earlier record has (kept)
    bool has_csv_header = false;
    std::string csv_header;         // the CSV's first line when it is a header, without its line end
    // Of the records with the lowest line numbers (at most url_samples of
    // them), and of those with the highest: line number -> a hash of the url
    // field as written. The resumed run's input must give those lines again
    // (see same_url_as_record): a line inserted or removed anywhere before
    // the last done lines shifts them.
    std::map<std::uint64_t, std::size_t> first_urls, last_urls;
    static constexpr std::size_t url_samples = 1024;
};

// For a line that out's records hold (done): false when out.first_urls or
// out.last_urls has its record and that record's url is not line.text as
// the writer writes it. The input is then another list than the one the run started with.
bool same_url_as_record(const existing_output& out, const input_line& line, output_format format);

// For a line that same_url_as_record() refused: the length of the start of
// line.text that is its record's url, when an http(s) URL follows it
// (0: none). A list
// whose last line had no line end, appended to, joins the lines added to
// that last line ("http://a/1http://a/2").
std::size_t joined_url_length(const existing_output& out, const input_line& line, output_format format);

// Reads the output at path (JSONL or CSV), marks each record's line done,
// and truncates a torn last record. A CSV record may span several lines (a
// quoted field with line breaks). A missing or empty file gives {}.
// Throws setup_error(exit_code::file) when the file cannot be read or cut.
existing_output load_existing_output(const std::string& path, output_format format,
                                     done_lines& done);

// The sidecar file beside the output that holds the run fingerprint.
std::string fingerprint_path(const std::string& output);

// The fingerprint the output's sidecar holds, or nullopt when there is none.
std::optional<std::string> recorded_fingerprint(const crawl_options& options);

// Whether the run that wrote `output` finished, as its sidecar says; nullopt
// when it has none (stdout, another program's file, a copy without it).
std::optional<bool> run_finished(const std::string& output);

// Writes `fingerprint` (resume_fingerprint(options, ...)), which marks the
// output as a run not yet finished.
// Before that, throws setup_error(exit_code::usage) unless options.force:
// for --resume, when the sidecar's fingerprint differs; for a fresh run,
// when the output is not empty and its sidecar does not say the run that
// wrote it finished (starting over would throw its records away). A sidecar
// that cannot be written is a warning on stderr, not an error.
// Returns the sidecar's text before, when it held another run's: a run
// refused later, before any fetch (--resume --force with another list),
// puts it back with restore_run_file().
std::optional<std::string> check_fingerprint(const crawl_options& options, const std::string& fingerprint);

// Writes `text` (what check_fingerprint() returned) back as the output's sidecar.
void restore_run_file(const crawl_options& options, const std::string& text);

// Marks the output's run finished: every line has its record.
void mark_run_complete(const crawl_options& options, const std::string& fingerprint);

}  // namespace shoal
