// shoal: the command-line entry point. Parses the command line, runs the
// command, and turns setup errors into one line and the documented exit code.
#include <cstdio>
#include <cstring>
#include <exception>
#include <vector>

#include "shoal/bench.hpp"
#include "shoal/command_line.hpp"
#include "shoal/diff.hpp"
#include "shoal/error.hpp"
#include "shoal/extract_command.hpp"
#include "shoal/options.hpp"
#include "shoal/serve.hpp"
#include "shoal/supervisor.hpp"
#include "shoal/sys.hpp"

namespace {

constexpr const char* version_line = "shoal 0.1.0";

// True when --version comes anywhere before a "--": every command, and
// shoal alone, prints the version then, whatever else its line holds.
bool asks_for_version(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--") == 0) return false;
        if (std::strcmp(argv[i], "--version") == 0) return true;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    shoal::sys::fill_standard_fds();
    // "shoal help [COMMAND]" is "shoal [COMMAND] --help".
    char help_flag[] = "--help";
    std::vector<char*> help_argv;
    if (argc >= 2 && std::strcmp(argv[1], "help") == 0) {
        help_argv.push_back(argv[0]);
        if (argc >= 3 && std::strcmp(argv[2], "help") != 0) help_argv.push_back(argv[2]);
        help_argv.push_back(help_flag);
        help_argv.push_back(nullptr);
        argc = static_cast<int>(help_argv.size()) - 1;
        argv = help_argv.data();
    }
    if (asks_for_version(argc, argv)) {
        std::puts(version_line);
        return std::fflush(stdout) == 0 ? 0 : static_cast<int>(shoal::exit_code::file);
    }
    // Commands with their own command lines.
    if (argc >= 2 && std::strcmp(argv[1], "diff") == 0) return shoal::run_diff_command(argc, argv);
    try {
        if (argc >= 2 && std::strcmp(argv[1], "extract") == 0)
            return shoal::run_extract_command(argc, argv);
        if (argc >= 2 && std::strcmp(argv[1], "serve") == 0)
            return shoal::run_serve_command(argc, argv);
        if (argc >= 2 && std::strcmp(argv[1], "bench") == 0)
            return shoal::bench::run_bench_command(argc, argv);
        shoal::command cmd = shoal::parse_command_line(argc, argv);
        shoal::sys::init_process_title(argc, argv);
        switch (cmd.what) {
            case shoal::command::kind::help:
                shoal::write_help(cmd.help_text);
                return 0;
            case shoal::command::kind::version:
                std::puts(version_line);
                return 0;
            case shoal::command::kind::crawl:
                return shoal::run_crawl(cmd.crawl);
        }
    } catch (const shoal::setup_error& e) {
        std::fprintf(stderr, "shoal: %s\n", e.what());
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "shoal: internal error: %s\n", e.what());
        return static_cast<int>(shoal::exit_code::internal);
    }
    return 0;
}
