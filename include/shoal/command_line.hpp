// command_line: the parse step that `shoal extract`, `serve` and `bench`
// share: help to stdout, a bad command line as one usage error.
#pragma once

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/error.hpp"
#include "shoal/literal_search.hpp"

namespace shoal {

// A command-line error as shoal words it: CLI11's, but for an option given
// twice ("--urls: At Most 1 required but received 2") or without its value
// ("--port: 1 required N missing"), said plainly.
inline std::string usage_error_text(const CLI::ParseError& e) {
    std::string what = e.what();
    if (auto at = what.find(": At Most 1 required but received "); at != std::string::npos)
        what = what.substr(0, at) + ": given more than once; give it once";
    else if (auto needs = what.find(": 1 required "); needs != std::string::npos && what.ends_with(" missing"))
        what = what.substr(0, needs) + ": needs a value (" + what.substr(needs + 13, what.size() - needs - 13 - 8) + ")";
    return what;
}

// Edits (insert, delete, replace one character) from a to b.
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// The word of `known` at most two edits from `word`, the closest; "" if none.
inline std::string closest_word(std::string_view word, const std::vector<std::string>& known) {
    std::string best;
    std::size_t best_distance = 3;
    for (const std::string& k : known)
        if (const std::size_t d = edit_distance(word, k); d < best_distance) {
            best_distance = d;
            best = k;
        }
    return best;
}

// An unknown option in argv[from..] named as such, a --long one with the
// known one it is closest to (CLI11 names the words around it: "not
// expected: urls.txt --concurency", or takes "-dash.html" for flags and
// then misses a file). The values of options that take one are passed over.
inline void refuse_unknown_options(const CLI::App& app, int argc, char** argv, int from, const std::string& command) {
    std::vector<std::string> known = {"--help", "--version", "-h"};
    std::vector<std::string> with_value;
    for (const CLI::Option* opt : app.get_options()) {
        const bool value = opt->get_items_expected_max() > 0 && opt->get_expected_max() > 0;
        for (const std::string& name : opt->get_lnames()) {
            known.push_back("--" + name);
            if (value) with_value.push_back("--" + name);
        }
        for (const std::string& name : opt->get_snames()) {
            known.push_back("-" + name);
            if (value) with_value.push_back("-" + name);
        }
    }
    auto among = [](const std::vector<std::string>& v, std::string_view s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (int i = from; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") return;
        if (arg.size() < 2 || arg[0] != '-') continue;
        if (arg.starts_with("--")) {
            const std::string_view name = arg.substr(0, arg.find('='));
            if (among(known, name)) {
                if (name.size() == arg.size() && among(with_value, name)) ++i;  // its value
                continue;
            }
            const std::string best = closest_word(name, known);
            throw setup_error(exit_code::usage, "unknown option " + std::string(name) +
                                                    (best.empty() ? std::string() : "; did you mean " + best + "?") +
                                                    " (see shoal " + command + " --help)");
        }
        // Short options: "-c5" is -c with 5, "-aq" is -a and -q.
        for (std::size_t at = 1; at < arg.size(); ++at) {
            const std::string name = std::string("-") + arg[at];
            if (among(known, name)) {
                if (!among(with_value, name)) continue;  // a flag: more may follow
                if (at + 1 == arg.size()) ++i;          // its value is the next word
                break;                                   // else the rest is its value
            }
            if (arg.size() == 2)
                throw setup_error(exit_code::usage, "unknown option " + name + " (a file named " + name +
                                                        " is given as ./" + name + "; see shoal " + command +
                                                        " --help)");
            throw setup_error(exit_code::usage, "unknown option " + name + " in '" + std::string(arg) +
                                                    "' (a file whose name starts with '-' is given as ./" +
                                                    std::string(arg) + "; see shoal " + command + " --help)");
        }
    }
}

// Writes a command's help to stdout. Throws setup_error(exit_code::file)
// when it cannot be written (stdout on a full disk, /dev/full).
inline void write_help(const std::string& text) {
    if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0)
        throw setup_error(exit_code::file, std::string("cannot write the help to stdout: ") + std::strerror(errno));
}

// Parses argv[2..] (argv[1] is the command) into app. Returns false when
// help was asked for and printed. Throws setup_error(exit_code::usage)
// naming `shoal COMMAND --help` on a bad command line.
inline bool parse_command(CLI::App& app, int argc, char** argv, const std::string& command) {
    refuse_unknown_options(app, argc, argv, 2, command);
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::CallForHelp&) {
        write_help(app.help());
        return false;
    } catch (const CLI::CallForAllHelp&) {
        write_help(app.help());
        return false;
    } catch (const CLI::ParseError& e) {
        throw setup_error(exit_code::usage, usage_error_text(e) + " (see shoal " + command + " --help)");
    }
    return true;
}

// Words of `text` laid into lines of at most `width` characters (a word
// longer than that gets a line of its own); the text's own line breaks stay.
inline std::string wrap_words(std::string_view text, std::size_t width) {
    std::string out;
    std::size_t column = 0;
    for (std::size_t at = 0; at < text.size();) {
        if (text[at] == '\n') {
            out += '\n';
            column = 0;
            ++at;
            continue;
        }
        if (text[at] == ' ') {
            ++at;
            continue;
        }
        std::size_t end = text.find_first_of(" \n", at);
        if (end == std::string_view::npos) end = text.size();
        // Characters, not bytes: a UTF-8 continuation byte takes no column.
        const std::string_view word = text.substr(at, end - at);
        const auto length = static_cast<std::size_t>(
            std::count_if(word.begin(), word.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
        if (column > 0 && column + 1 + length > width) {
            out += '\n';
            column = 0;
        } else if (column > 0) {
            out += ' ';
            ++column;
        }
        out += word;
        column += length;
        at = end;
    }
    return out;
}

// Help laid out for a terminal of 100 columns: the command's and each
// option's description wrapped at spaces (an option's under its column),
// and the usage line as the command writes it.
class help_layout : public CLI::Formatter {
public:
    static constexpr std::size_t width = 100;
    explicit help_layout(std::string usage = {}) : usage_(std::move(usage)) {}
    std::string make_usage(const CLI::App*, std::string) const override { return usage_; }
    std::string make_description(const CLI::App* app) const override {
        return wrap_words(CLI::Formatter::make_description(app), width);
    }
    std::string make_option_desc(const CLI::Option* opt) const override {
        return wrap_words(CLI::Formatter::make_option_desc(opt), width - column_width_);
    }
    std::string make_subcommand(const CLI::App* sub) const override {
        std::stringstream out;
        CLI::detail::format_help(out, sub->get_name(), wrap_words(sub->get_description(), width - column_width_),
                                 column_width_);
        return out.str();
    }

private:
    std::string usage_;
};

// What every command's --help has: -h and --help, and --version, after
// them. main() answers --version before any command reads its line, so
// that flag only shows (and is never set).
inline void add_help_and_version(CLI::App& app) {
    app.set_help_flag("-h,--help", "print this help and exit");
    app.add_flag("--version")->description("print the version and exit (also after any other command)");
}

// A path option given as "": refused rather than ignored.
inline CLI::Validator non_empty_path() {
    return CLI::Validator(
        [](std::string& v) -> std::string { return v.empty() ? "an empty path" : std::string(); }, "",
        "non-empty path");
}

// A count from lo to hi. CLI11 reads "010" as octal and "0x10" as hex; a
// count on shoal's command line is decimal: leading zeros are dropped, and
// anything but digits (an empty item of a list, too) is refused. One
// message names the range whatever is wrong: "'-1' is not a whole number
// from 1 to 100000", "'0' is not from 1 to 100000". It belongs in
// ->transform().
inline CLI::Validator whole_number(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [=](std::string& v) -> std::string {
            const std::string range = "from " + std::to_string(lo) + " to " + std::to_string(hi);
            if (v.empty() || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
                return (v.empty() ? std::string("an empty value") : "'" + v + "'") + " is not a whole number " + range;
            const std::string given = v;
            v.erase(0, std::min(v.find_first_not_of('0'), v.size() - 1));
            if (v.size() > 19 || std::stoull(v) < lo || std::stoull(v) > hi) return "'" + given + "' is not " + range;
            return {};
        },
        "", "whole number");
}

// A check that a value is a decimal number (digits, a fraction, an
// exponent) in [lo, hi], whose message prints the bounds as written ("'0' is not from 0.001 to 86400"), where CLI::Range
// prints "0.001000 to 86400.000000".
inline CLI::Validator decimal_range(double lo, double hi) {
    auto shown = [](double v) {
        char buf[32];
        if (v == static_cast<double>(static_cast<long long>(v))) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
        else std::snprintf(buf, sizeof buf, "%g", v);
        return std::string(buf);
    };
    return CLI::Validator(
        [=](std::string& v) -> std::string {
            const std::string range = "from " + shown(lo) + " to " + shown(hi);
            // Digits with an optional fraction or exponent: not "nan", "inf"
            // or hex, which stod would read.
            const bool decimal =
                std::any_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                v.find_first_not_of("0123456789.eE+-") == std::string::npos;
            if (!decimal) return "'" + v + "' is not a number " + range;
            double d = 0;
            try {
                std::size_t used = 0;
                d = std::stod(v, &used);
                if (used != v.size()) return "'" + v + "' is not a number " + range;
            } catch (const std::exception&) {
                return "'" + v + "' is not a number " + range;
            }
            if (!(d >= lo && d <= hi)) return "'" + v + "' is not " + range;
            return {};
        },
        "", "decimal range");
}

// A size in bytes as messages and help show it: in bytes, after its
// 1024-based form when it has one: "6000 bytes", "1 byte", "5K (5120
// bytes)", "64M (67108864 bytes)".
inline std::string size_text(std::uint64_t v) {
    const std::string bytes = std::to_string(v) + (v == 1 ? " byte" : " bytes");
    for (const auto& [unit, shift] : {std::pair{'G', 30}, std::pair{'M', 20}, std::pair{'K', 10}})
        if (v != 0 && v % (std::uint64_t{1} << shift) == 0)
            return std::to_string(v >> shift) + unit + " (" + bytes + ")";
    return bytes;
}

// A size in bytes, checked to lie in [lo, hi]: digits, or digits and K, M
// or G (1024-based; KiB, MiB and GiB alike, either case): "19000", "64K",
// "8MiB". The value is rewritten to its digits for the option to read, so
// it belongs in ->transform(). Messages show the bounds as size_text()
// does, and a value given with a suffix in bytes too ("'65M' (68157440
// bytes) is more than 64M (67108864 bytes)").
// REQUIRES: hi < 2^60.
inline CLI::Validator byte_size(std::uint64_t lo, std::uint64_t hi) {
    return CLI::Validator(
        [=](std::string& v) -> std::string {
            std::size_t digits = 0;
            std::uint64_t n = 0;
            bool capped = false;  // more digits than hi has: n is not the value
            for (; digits < v.size() && v[digits] >= '0' && v[digits] <= '9'; ++digits) {
                n = n * 10 + static_cast<unsigned>(v[digits] - '0');
                if (n > hi) {
                    capped = true;
                    n = hi + 1;
                }
            }
            const std::string unit = ascii_lower(v.substr(digits));
            const int shift = unit == "k" || unit == "kib" ? 10 : unit == "m" || unit == "mib" ? 20
                            : unit == "g" || unit == "gib" ? 30 : unit.empty() ? 0 : -1;
            if (digits == 0 || shift < 0)
                return "'" + v + "' is not a size in bytes: give digits, or digits and K, M or G (1024-based), "
                                 "as in 512K or 8M";
            const bool exact = shift > 0 && !capped && n <= (~std::uint64_t{0} >> shift);
            const std::string given = "'" + v + "'" + (exact ? " (" + std::to_string(n << shift) + " bytes)" : "");
            if (n > (hi >> shift)) return given + " is more than " + size_text(hi);
            n <<= shift;
            if (n < lo) return given + " is less than " + size_text(lo);
            v = std::to_string(n);
            return {};
        },
        "", "size in bytes");
}

}  // namespace shoal
