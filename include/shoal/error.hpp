// The one error policy of shoal.
//
// Per-URL failures are values (a record's error stage, code and message).
// Broken setup (bad options, unreadable input, unwritable output, a failed
// system call the run cannot continue without) throws setup_error, which
// reaches main(): it prints one line and exits with the documented code.
#pragma once

#include <stdexcept>
#include <string>

namespace shoal {

// Exit codes of the shoal command (the contract in the README).
enum class exit_code : int {
    ok = 0,           // run complete; per-URL failures are records
    usage = 1,        // usage or configuration error
    file = 2,         // input or output file error
    interrupted = 3,  // stopped by a signal; resumable with --resume
    internal = 4,     // internal failure
};

class setup_error : public std::runtime_error {
public:
    setup_error(exit_code code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    exit_code code() const noexcept { return code_; }

private:
    exit_code code_;
};

}  // namespace shoal
