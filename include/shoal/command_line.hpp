// command_line: the parse step that `shoal extract`, `serve` and `bench`
// share: help to stdout, a bad command line as one usage error.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "shoal/error.hpp"

namespace shoal {

// Parses argv[2..] (argv[1] is the command) into app. Returns false when
// help was asked for and printed. Throws setup_error(exit_code::usage)
// naming `shoal COMMAND --help` on a bad command line.
inline bool parse_command(CLI::App& app, int argc, char** argv, const std::string& command) {
    try {
        app.parse(argc - 1, argv + 1);
    } catch (const CLI::CallForHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return false;
    } catch (const CLI::CallForAllHelp&) {
        std::fputs(app.help().c_str(), stdout);
        return false;
    } catch (const CLI::ParseError& e) {
        throw setup_error(exit_code::usage,
                          std::string(e.what()) + " (see shoal " + command + " --help)");
    }
    return true;
}

// A check that a decimal value lies in [lo, hi], whose message prints the
// bounds as written ("0.001 to 86400"), where CLI::Range prints
// "0.001000 to 86400.000000".
inline CLI::Validator decimal_range(double lo, double hi) {
    auto shown = [](double v) {
        char buf[32];
        if (v == static_cast<double>(static_cast<long long>(v))) std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
        else std::snprintf(buf, sizeof buf, "%g", v);
        return std::string(buf);
    };
    return CLI::Validator(
        [=](std::string& v) -> std::string {
            double d = 0;
            try {
                std::size_t used = 0;
                d = std::stod(v, &used);
                if (used != v.size()) return "'" + v + "' is not a number";
            } catch (const std::exception&) {
                return "'" + v + "' is not a number";
            }
            if (!(d >= lo && d <= hi)) return "Value " + v + " not in range " + shown(lo) + " to " + shown(hi);
            return {};
        },
        "", "decimal range");
}

}  // namespace shoal
