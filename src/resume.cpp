// Reading back an interrupted run's output (see resume.hpp).
#include "shoal/resume.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string_view>

#include "shoal/literal_search.hpp"
#include "shoal/record.hpp"
#include "shoal/sys.hpp"

namespace shoal {
namespace {

// The line number a record line starts with, or 0. `end` is where the
// number ends (at the ',' before the url field).
std::uint64_t line_of(const std::string& s, output_format format, std::size_t& end) {
    std::size_t i = 0;
    if (format == output_format::jsonl) {
        static constexpr std::string_view prefix = "{\"line\":";
        if (s.compare(0, prefix.size(), prefix) != 0 || s.back() != '}') return 0;
        i = prefix.size();
    }
    std::uint64_t v = 0;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 19) v = v * 10 + (s[i++] - '0');
    if (i == start || i >= s.size() || s[i] != ',') return 0;
    end = i;
    return v;
}

// The url field of a record, as written (a JSON string with its quotes; a
// CSV field, quoted or not), from `at`, the ',' after the line number;
// empty when the record does not hold one there.
std::string_view url_field(std::string_view s, std::size_t at, output_format format) {
    std::size_t i = at + 1;
    if (format == output_format::jsonl) {
        static constexpr std::string_view key = "\"url\":";
        if (s.compare(at + 1, key.size(), key) != 0) return {};
        i += key.size();
        if (i >= s.size() || s[i] != '"') return {};
        for (std::size_t j = i + 1; j < s.size(); ++j) {
            if (s[j] == '\\') ++j;
            else if (s[j] == '"') return s.substr(i, j + 1 - i);
        }
        return {};
    }
    if (i < s.size() && s[i] == '"') {
        for (std::size_t j = i + 1; j < s.size(); ++j) {
            if (s[j] != '"') continue;
            if (j + 1 < s.size() && s[j + 1] == '"') ++j;  // a doubled quote
            else return s.substr(i, j + 1 - i);
        }
        return {};
    }
    return s.substr(i, std::min(s.find(',', i), s.size()) - i);
}

// The url field the writer writes for an input line's text.
std::string written_url(std::string_view text, output_format format) {
    // An overlong line's record keeps the limit's bytes (see worker.cpp).
    text = text.substr(0, url_source::max_line_bytes);
    std::string out;
    if (format == output_format::jsonl) append_json_string(text, out);
    else append_csv_field(text, out);
    return out;
}

std::size_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

// Keeps line's url hash if it is among the url_samples lowest lines, or
// among the url_samples highest.
void sample_url(existing_output& out, std::uint64_t line, std::string_view url) {
    if (url.empty()) return;
    auto& low = out.first_urls;
    if (low.size() < existing_output::url_samples || line < low.rbegin()->first) {
        if (low.size() == existing_output::url_samples) low.erase(std::prev(low.end()));
        low.emplace(line, hash_of(url));
    }
    auto& high = out.last_urls;
    if (high.size() < existing_output::url_samples || line > high.begin()->first) {
        if (high.size() == existing_output::url_samples) high.erase(high.begin());
        high.emplace(line, hash_of(url));
    }
}

// Where a CSV line leaves its record, RFC 4180: a field that starts with a
// quote runs to the quote that is not doubled, line breaks included; a quote
// inside an unquoted field is a plain byte.
class csv_quotes {
public:
    // Follows one line (with its '\n'); true when it ends inside a quoted field.
    bool inside_after(std::string_view text) {
        for (char c : text) {
            switch (state_) {
                case state::field_start:
                    state_ = c == '"' ? state::quoted : c == ',' || c == '\n' ? state::field_start : state::plain;
                    break;
                case state::plain:
                    if (c == ',' || c == '\n') state_ = state::field_start;
                    break;
                case state::quoted:
                    if (c == '"') state_ = state::quote_seen;
                    break;
                case state::quote_seen:  // a doubled quote, or the field's end
                    state_ = c == '"' ? state::quoted : c == ',' || c == '\n' ? state::field_start : state::plain;
                    break;
            }
        }
        return state_ == state::quoted;
    }

private:
    enum class state { field_start, plain, quoted, quote_seen };
    state state_ = state::field_start;
};

}  // namespace

existing_output load_existing_output(const std::string& path, output_format format,
                                     done_lines& done) {
    existing_output out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
        if (errno == ENOENT) return out;
        sys::throw_errno(exit_code::file, "cannot read " + path + " to resume");
    }
    char* line = nullptr;
    std::size_t cap = 0;
    ssize_t n = 0;
    std::uint64_t good_end = 0, pos = 0;
    bool first = true;
    // One record: a line, or in CSV as many lines as a quoted field with
    // line breaks spans.
    std::string s;
    csv_quotes csv;
    while ((n = ::getline(&line, &cap, f)) > 0) {
        pos += static_cast<std::uint64_t>(n);
        if (line[n - 1] != '\n') break;  // torn last line
        if (format == output_format::csv) {
            s.append(line, static_cast<std::size_t>(n));
            if (csv.inside_after(std::string_view(line, static_cast<std::size_t>(n))))
                continue;  // the record goes on in the next line
        } else {
            s.assign(line, static_cast<std::size_t>(n));
        }
        good_end = pos;
        s.pop_back();  // the '\n'
        if (!s.empty() && s.back() == '\r') s.pop_back();
        if (first && format == output_format::csv && s.rfind("line,", 0) == 0) {
            out.has_csv_header = true;
            out.csv_header = s;
        } else if (!s.empty()) {
            std::size_t end = 0;
            std::uint64_t ln = line_of(s, format, end);
            if (ln == 0) {
                ++out.unreadable;
            } else if (done.set(ln)) {
                ++out.records;
                out.last_line = std::max(out.last_line, ln);
                sample_url(out, ln, url_field(s, end, format));
            } else {
                ++out.duplicates;
            }
        }
        first = false;
        s.clear();
    }
    std::free(line);
    bool read_error = std::ferror(f) != 0;
    std::fclose(f);
    if (read_error) sys::throw_errno(exit_code::file, "cannot read " + path + " to resume");
    if (pos > good_end) {
        if (::truncate(path.c_str(), static_cast<off_t>(good_end)) != 0)
            sys::throw_errno(exit_code::file, "cannot cut the torn last line of " + path);
        out.cut_bytes = pos - good_end;
    }
    return out;
}

bool same_url_as_record(const existing_output& out, const input_line& line, output_format format) {
    for (const auto* kept : {&out.first_urls, &out.last_urls}) {
        const auto it = kept->find(line.number);
        if (it != kept->end()) return it->second == hash_of(written_url(line.text, format));
    }
    return true;
}

std::size_t joined_url_length(const existing_output& out, const input_line& line, output_format format) {
    std::optional<std::size_t> want;
    for (const auto* kept : {&out.first_urls, &out.last_urls})
        if (const auto it = kept->find(line.number); it != kept->end()) want = it->second;
    if (!want) return 0;
    // Where an added line joined it: an http or https URL starts there.
    auto url_starts = [](std::string_view rest) {
        return matches_nocase_at(rest, 0, "http://") || matches_nocase_at(rest, 0, "https://");
    };
    const std::string_view text = line.text;
    const std::size_t longest = std::min(text.size(), url_source::max_line_bytes);
    for (std::size_t n = 1; n < longest; ++n)
        if (url_starts(text.substr(n)) && hash_of(written_url(text.substr(0, n), format)) == *want) return n;
    return 0;
}

std::string fingerprint_path(const std::string& output) {
    // Beside the file the name leads to: -o /dev/stdout onto a file, or a
    // link, puts it where a later --resume -o FILE looks (not in /dev).
    std::error_code ec;
    auto real = std::filesystem::canonical(output, ec);
    return (ec ? output : real.string()) + ".shoal-run";
}

namespace {

constexpr std::string_view complete_mark = "complete";

// The sidecar's lines: the fingerprint, then "complete" once the run that
// wrote the output has given every line its record.
struct sidecar {
    bool found = false;
    std::string fingerprint;
    bool complete = false;
};

sidecar read_sidecar(const std::string& path) {
    sidecar s;
    std::ifstream in(path);
    if (!in || !std::getline(in, s.fingerprint)) return s;
    s.found = true;
    std::string mark;
    s.complete = std::getline(in, mark) && mark == complete_mark;
    return s;
}

void write_sidecar(const std::string& path, const std::string& text) {
    // Without it the run is whole all the same; only a later --resume
    // cannot check its options (a read-only directory, say). Said once a run.
    static bool warned = false;
    // Owner only: it names the run's options, --header values among them.
    if (!sys::write_file_atomically(path, text, 0600) && !warned) {
        warned = true;
        const int err = errno;
        // Written atomically: one that was there stays as it was.
        const bool kept = read_sidecar(path).found;
        std::fprintf(stderr,
                     kept ? "shoal: warning: cannot write %s (%s); it keeps what the run before wrote in it\n"
                          : "shoal: warning: cannot write %s (%s); a later --resume cannot check that its "
                            "options match this run's\n",
                     path.c_str(), std::strerror(err));
    }
}

}  // namespace

namespace {

// A fingerprint's items, key -> value as written (repeated keys, --header's,
// joined by a space): "timeout=10 user-agent=\"a b\"" gives {timeout: 10,
// user-agent: "a b"}.
std::map<std::string, std::string> fingerprint_items(std::string_view f) {
    std::map<std::string, std::string> items;
    std::size_t i = 0;
    while (i < f.size()) {
        while (i < f.size() && f[i] == ' ') ++i;
        const std::size_t start = i;
        bool quoted = false;
        for (; i < f.size() && (quoted || f[i] != ' '); ++i) {
            if (f[i] == '\\' && quoted) ++i;
            else if (f[i] == '"') quoted = !quoted;
        }
        const std::string_view item = f.substr(start, std::min(i, f.size()) - start);
        const std::size_t eq = item.find('=');
        if (eq == std::string_view::npos) continue;
        std::string& value = items[std::string(item.substr(0, eq))];
        if (!value.empty()) value += ' ';
        value += item.substr(eq + 1);
    }
    return items;
}

// The options in which two fingerprints differ, as a user gives them:
// "--timeout 5 (was 30), --retries 0 (was 2)".
std::string fingerprint_difference(std::string_view was, std::string_view now) {
    const auto old_items = fingerprint_items(was), new_items = fingerprint_items(now);
    std::map<std::string, std::pair<std::string, std::string>> differ;
    for (const auto& [k, v] : old_items) differ[k].first = v;
    for (const auto& [k, v] : new_items) differ[k].second = v;
    std::string out;
    for (const auto& [key, values] : differ) {
        if (values.first == values.second) continue;
        if (!out.empty()) out += ", ";
        const std::string option = key == "input" ? "the URL list" : key == "rules" ? "--rules" : "--" + key;
        auto shown = [&](const std::string& v) { return v.empty() ? std::string("none") : v; };
        if (key == "robots" || key == "insecure") {  // flags: on ("1") or not there
            const bool on = !values.second.empty() && values.second != "0";
            out += on ? option + " (was without it)" : "no " + option + " (was " + option + ")";
        } else if (key == "input" || key == "rules") {
            // A path and the hash of what it held ("urls.txt@8f3a...:65536"):
            // the paths as given, or that the content changed.
            auto path_of = [](const std::string& v) {
                const std::size_t at = v.rfind('@');
                return at == std::string::npos || v.back() == '"' ? v : v.substr(0, at);
            };
            const std::string was_path = path_of(values.first), now_path = path_of(values.second);
            out += option + " " + shown(now_path) +
                   (was_path == now_path ? " (its content changed since that run)" : " (was " + shown(was_path) + ")");
        } else if (key == "header") {
            out += "--header values";
        } else {
            out += option + " " + shown(values.second) + " (was " + shown(values.first) + ")";
        }
    }
    return out;
}

}  // namespace

std::optional<bool> run_finished(const std::string& output) {
    if (output.empty() || output == "-") return std::nullopt;
    const sidecar have = read_sidecar(fingerprint_path(output));
    if (!have.found) return std::nullopt;
    return have.complete;
}

std::optional<std::string> recorded_fingerprint(const crawl_options& options) {
    if (options.output == "-") return std::nullopt;
    sidecar have = read_sidecar(fingerprint_path(options.output));
    if (!have.found) return std::nullopt;
    return std::move(have.fingerprint);
}

std::optional<std::string> check_fingerprint(const crawl_options& options, const std::string& fingerprint) {
    if (options.output == "-") return std::nullopt;
    const std::string path = fingerprint_path(options.output);
    const sidecar have = read_sidecar(path);
    if (options.resume && have.found && have.fingerprint != fingerprint && !options.force) {
        // Only the list's bytes differ (same path, same options): say so.
        auto split = [](std::string_view f) {  // {input path item, the rest}
            const std::size_t rest = f.find(" rules=");
            const std::size_t hash = f.substr(0, rest).rfind('@');
            if (rest == std::string_view::npos || hash == std::string_view::npos)
                return std::pair<std::string_view, std::string_view>();
            return std::pair(f.substr(0, hash), f.substr(rest));
        };
        const auto extent = list_extent_of(have.fingerprint);
        const auto now_parts = split(fingerprint), had_parts = split(have.fingerprint);
        std::error_code ec;
        const auto size = std::filesystem::file_size(options.input, ec);
        if (extent && !extent->legacy && !ec && size < extent->bytes && !now_parts.second.empty() &&
            now_parts == had_parts)
            throw setup_error(exit_code::usage,
                              options.input + " is not the list the run that wrote " + options.output +
                                  " began with: it is shorter (" + std::to_string(size) + " bytes) than the " +
                                  std::to_string(extent->bytes) +
                                  " bytes of it that run read first (lines were removed); resume with that "
                                  "list, or add --force");
        if (extent && !now_parts.second.empty() && now_parts == had_parts)
            throw setup_error(
                exit_code::usage,
                options.input + " is not the list the run that wrote " + options.output + " began with: " +
                    (extent->legacy
                         ? std::string("its start differs, or lines were added at its end (the run file, "
                                       "from an older shoal, cannot tell these apart for a list under 64 KiB)")
                         : "its first " + std::to_string(extent->bytes) +
                               " bytes differ (lines added at its end are fine; lines changed or removed are "
                               "not)") +
                    "; resume with that list, or add --force");
        const std::string difference = fingerprint_difference(have.fingerprint, fingerprint);
        throw setup_error(exit_code::usage,
                          "--resume with options that differ from the run that wrote " + options.output + ": " +
                              (difference.empty() ? "was: " + have.fingerprint + "; now: " + fingerprint
                                                  : difference) +
                              "; use the same options, or add --force");
    }
    if (!options.resume && have.found && !have.complete && !options.force) {
        struct stat st{};
        if (::stat(options.output.c_str(), &st) == 0 && st.st_size > 0)
            throw setup_error(exit_code::usage,
                              options.output + " holds the records of a run that did not finish (" +
                                  std::to_string(st.st_size) +
                                  " bytes); run the same command with --resume to finish it, or add "
                                  "--force to start it over");
    }
    // Unfinished until mark_run_complete(): a run stopped from here on
    // leaves an output that only --resume or --force reuses.
    write_sidecar(path, fingerprint + '\n');
    if (!have.found || (have.fingerprint == fingerprint && !have.complete)) return std::nullopt;
    return have.fingerprint + '\n' + (have.complete ? std::string(complete_mark) + '\n' : std::string());
}

void restore_run_file(const crawl_options& options, const std::string& text) {
    if (options.output != "-") write_sidecar(fingerprint_path(options.output), text);
}

void mark_run_complete(const crawl_options& options, const std::string& fingerprint) {
    if (options.output == "-") return;
    write_sidecar(fingerprint_path(options.output), fingerprint + '\n' + std::string(complete_mark) + '\n');
}

}  // namespace shoal
