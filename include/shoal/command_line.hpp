// command_line: the parse step that `shoal extract`, `serve` and `bench`
// share: help to stdout, a bad command line as one usage error.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdio>
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

}  // namespace shoal
