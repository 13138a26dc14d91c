// Thin wrappers over the POSIX calls shoal makes: EINTR is retried in one
// place, errno is kept, and failures that stop the run become setup_error.
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <sys/types.h>

#include <string>
#include <string_view>

#include "shoal/error.hpp"

namespace shoal::sys {

// Calls f() again while it fails with EINTR. Returns its last result; errno
// is whatever the last call left.
template <class F>
auto retry_eintr(F f) {
    auto r = f();
    while (r == -1 && errno == EINTR) r = f();
    return r;
}

// Writes all n bytes to a blocking fd. Returns false with errno set on error.
// With `written`, stores how many bytes did reach the fd (all n on success).
bool write_all(int fd, const void* data, std::size_t n, std::size_t* written = nullptr);

// 1 or 2 when `path` names the regular file that this process's stdout or
// stderr is open on (the same device and inode: /dev/stdout while stdout
// is redirected to a file, /dev/fd/2, or the file's own name); else -1.
int standard_stream_for(const std::string& path);

// The name of the kernel file system `fd` is open on ("proc", "sysfs",
// "cgroup", "debugfs", ...), whose files are the kernel's settings and
// reports, not data (as root, /proc/version opens for writing and fails on
// the first write); nullptr for any other file.
const char* kernel_file_system(int fd);

// Whether process `pid` is stopped (SIGSTOP, SIGTSTP, a tracer), as
// /proc/PID/stat says; false when it cannot be read.
bool process_stopped(pid_t pid);

// The path the file open as `fd` has now (it follows a rename), from
// /proc/self/fd; "" when it has none (deleted, a pipe) or /proc says nothing.
std::string path_of_fd(int fd);

// Replaces the file at `path` with `content` in one step: writes a new
// temporary beside it (`path` + ".XXXXXX", made by mkstemp, so no existing
// file is touched), then renames it over `path`. Readers see the old file or
// the new one, never a part. The new file gets the mode a plain create would
// (0666 less the umask). No fsync: the content survives a crash of shoal, not
// of the machine.
// A symbolic link is written through: the file it names is replaced (in
// that file's directory), the link stays. A path that is not a regular file
// (a device such as /dev/stdout, a FIFO) is opened and written in place;
// the file stdout or stderr is open on (see standard_stream_for) is
// written through that descriptor, where it stands: a shell's `2>>log`
// keeps the log it appends to, and what it writes after lands after this.
// A new regular file gets `mode` less the umask. Returns false with errno
// set on failure; `path` is then as it was and the temporary is gone.
bool write_file_atomically(const std::string& path, std::string_view content, mode_t mode = 0666);

// A directory of its own under $TMPDIR (or /tmp), "<prefix>-XXXXXX",
// removed with what it holds when the process that made it destroys it (a
// forked child that exits does not). Throws setup_error(exit_code::file)
// if it cannot be made.
// While it is in use, the directory itself is flock()ed by the process that
// made it (and by forked children, which share the lock): a process killed
// with SIGKILL leaves its directory unlocked, and the next private_dir of
// the same prefix removes it (one of this user's, unlocked, untouched for a
// minute; see remove_abandoned).
class private_dir {
public:
    explicit private_dir(std::string_view prefix);
    ~private_dir();
    private_dir(const private_dir&) = delete;
    private_dir& operator=(const private_dir&) = delete;
    const std::string& path() const { return path_; }

    // Removes the "<prefix>-XXXXXX" directories under $TMPDIR (or /tmp)
    // that no live process holds: owned by this user, not locked, last
    // changed more than `quiet` ago. Returns how many it removed. Errors
    // are skipped: it is tidying, never a reason to stop.
    static std::size_t remove_abandoned(std::string_view prefix,
                                        std::chrono::seconds quiet = std::chrono::seconds(60));

private:
    std::string path_;
    int owner_;    // the pid that made it
    int lock_fd_;  // the directory, flock()ed
};

// Throws setup_error(code, what + ": " + strerror(errno)).
[[noreturn]] void throw_errno(exit_code code, const std::string& what);

void set_nonblocking(int fd);
void set_cloexec(int fd);

// Gives this process a title that `ps` shows, e.g. "shoal: worker 7 lines 1-100".
// REQUIRES: init_process_title was called once from main with argc/argv.
void init_process_title(int argc, char** argv);
void set_process_title(std::string_view title);

// Opens /dev/null on whichever of stdin, stdout and stderr is closed, so
// that no file opened later takes its number (and is read as the URL list
// or written as the records). Call first thing in main.
void fill_standard_fds();
// Whether fd (0, 1 or 2) was closed when fill_standard_fds() ran.
bool standard_fd_was_closed(int fd);

// Whether path is stdin under another name (/dev/stdin, /dev/fd/0, a link
// to it) while stdin was closed at start: it is the /dev/null that
// fill_standard_fds() put in its place. /dev/null named as such is not.
bool names_closed_stdin(const std::string& path);

// Throws setup_error (exit_code::file) "cannot write WHAT to stdout: it is
// closed" when the process started with stdout closed: what a command
// writes there would go to /dev/null, and the command would seem to work.
void require_open_stdout(std::string_view what);

// Raises RLIMIT_NOFILE's soft limit to the hard limit. Returns the new soft limit.
std::size_t raise_fd_limit();

// Number of CPUs this process may run on (at least 1).
unsigned cpu_count();

// How a child ended, from its wait status: "exited with status 4" or
// "killed by signal Killed" (strsignal's name of the signal).
std::string describe_exit(int status);

// Seconds of the steady clock since t.
inline double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace shoal::sys
