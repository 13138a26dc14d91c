// Tests for the POSIX helpers: write_file_atomically puts the content in place
// through a temporary of its own, leaves other files alone, and cleans up when
// it fails.
#include "shoal/sys.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <set>
#include <string>

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
