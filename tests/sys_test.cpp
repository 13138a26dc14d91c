// Tests for the POSIX helpers: write_file_atomically puts the content in place
// through a temporary of its own, leaves other files alone, and cleans up when
// it fails; private_dir tidies up after runs killed with SIGKILL, and only them.
#include "shoal/sys.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using shoal::test::read_file;
using shoal::test::temp_dir;
using shoal::test::write_file;

// The names of the entries of dir.
std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
    return names;
}

mode_t mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("sys: write_file_atomically leaves a user's PATH.tmp alone", "[sys]") {
    temp_dir dir;
    const fs::path path = dir / "stats.json";
    write_file(dir / "stats.json.tmp", "the user's own file\n");

    REQUIRE(shoal::sys::write_file_atomically(path.string(), "{\"ok\":1}\n"));

    CHECK(read_file(path) == "{\"ok\":1}\n");
    CHECK(read_file(dir / "stats.json.tmp") == "the user's own file\n");
    CHECK(names_in(dir.path()) == std::set<std::string>{"stats.json", "stats.json.tmp"});
}

TEST_CASE("sys: write_file_atomically replaces a file with the mode a plain create gives",
          "[sys]") {
    temp_dir dir;
    const fs::path path = dir / "out.txt";
    write_file(dir / "plain.txt", "");
    write_file(path, "an old and longer content\n");

    REQUIRE(shoal::sys::write_file_atomically(path.string(), "new\n"));

    CHECK(read_file(path) == "new\n");
    CHECK(mode_of(path) == mode_of(dir / "plain.txt"));
    CHECK(names_in(dir.path()) == std::set<std::string>{"out.txt", "plain.txt"});
}

TEST_CASE("sys: write_file_atomically writes an empty file", "[sys]") {
    temp_dir dir;
    REQUIRE(shoal::sys::write_file_atomically((dir / "empty").string(), ""));
    CHECK(read_file(dir / "empty").empty());
}

TEST_CASE("sys: write_file_atomically fails with errno in a missing directory", "[sys]") {
    temp_dir dir;
    errno = 0;
    CHECK_FALSE(shoal::sys::write_file_atomically((dir / "missing" / "f").string(), "x"));
    CHECK(errno == ENOENT);
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("sys: write_file_atomically removes its temporary when the rename fails", "[sys]") {
    temp_dir dir;
    // A non-empty directory cannot be replaced by a file.
    fs::create_directory(dir / "taken");
    write_file(dir / "taken" / "inside", "kept\n");
    errno = 0;

    CHECK_FALSE(shoal::sys::write_file_atomically((dir / "taken").string(), "x"));

    CHECK(errno == EISDIR);
    CHECK(names_in(dir.path()) == std::set<std::string>{"taken"});
    CHECK(read_file(dir / "taken" / "inside") == "kept\n");
}

namespace {

// Points $TMPDIR at dir while it lives (private_dir makes its directories there).
class tmpdir_as {
public:
    explicit tmpdir_as(const fs::path& dir) {
        if (const char* old = std::getenv("TMPDIR")) old_ = old;
        ::setenv("TMPDIR", dir.c_str(), 1);
    }
    ~tmpdir_as() {
        if (old_) ::setenv("TMPDIR", old_->c_str(), 1);
        else ::unsetenv("TMPDIR");
    }
    tmpdir_as(const tmpdir_as&) = delete;
    tmpdir_as& operator=(const tmpdir_as&) = delete;

private:
    std::optional<std::string> old_;
};

// Makes path look untouched for two hours.
void age(const fs::path& path) {
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(2));
}

}  // namespace

TEST_CASE("sys: private_dir removes only abandoned directories of its prefix", "[sys]") {
    temp_dir root;
    tmpdir_as tmp(root.path());
    fs::create_directory(root / "shoal-t-abc123");  // a killed run's: unlocked, old
    write_file(root / "shoal-t-abc123" / "claim", "x");
    age(root / "shoal-t-abc123");
    fs::create_directory(root / "shoal-t-new123");  // unlocked but just made
    fs::create_directory(root / "shoal-u-abc123");  // another prefix
    age(root / "shoal-u-abc123");
    fs::create_directory(root / "shoal-t-toolong7");  // not mkdtemp's name
    age(root / "shoal-t-toolong7");
    write_file(root / "shoal-t-file12", "a file");
    fs::create_directory(root / "elsewhere");
    age(root / "elsewhere");
    fs::create_directory_symlink(root / "elsewhere", root / "shoal-t-link12");

    shoal::sys::private_dir live("shoal-t");
    const fs::path mine = live.path();
    CHECK(mine.parent_path() == root.path());
    CHECK(fs::is_directory(mine));
    CHECK_FALSE(fs::exists(root / "shoal-t-abc123"));
    age(mine);
    // A live one is locked: old as it looks, it stays.
    CHECK(shoal::sys::private_dir::remove_abandoned("shoal-t") == 0);
    CHECK(fs::is_directory(mine));
    for (const char* kept : {"shoal-t-new123", "shoal-u-abc123", "shoal-t-toolong7", "shoal-t-file12",
                             "elsewhere", "shoal-t-link12"}) {
        INFO(kept);
        CHECK(fs::exists(root / kept));
    }
    CHECK(fs::is_directory(root / "elsewhere"));
}

TEST_CASE("sys: a private_dir left by a process killed with SIGKILL goes with the next one",
          "[sys]") {
    temp_dir root;
    tmpdir_as tmp(root.path());
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The child makes its directory, says so, and waits to be killed
        // (or ends by itself after a minute).
        ::alarm(60);
        shoal::sys::private_dir d("shoal-k");
        [[maybe_unused]] auto n = ::write(ready[1], "1", 1);
        for (;;) ::pause();
    }
    struct reaper {
        pid_t pid;
        ~reaper() {
            if (pid <= 0) return;
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } guard{child};
    ::close(ready[1]);
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    ::close(ready[0]);
    std::vector<fs::path> left;
    for (const auto& e : fs::directory_iterator(root.path())) left.push_back(e.path());
    REQUIRE(left.size() == 1);
    age(left[0]);
    // Alive, the child holds its lock.
    CHECK(shoal::sys::private_dir::remove_abandoned("shoal-k") == 0);
    REQUIRE(::kill(child, SIGKILL) == 0);
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    guard.pid = 0;
    CHECK(fs::is_directory(left[0]));  // SIGKILL leaves it

    shoal::sys::private_dir next("shoal-k");
    CHECK_FALSE(fs::exists(left[0]));
    CHECK(fs::is_directory(next.path()));
}
