// Tests for robots_share: what one worker learned of a site's robots.txt,
// read by the others, and the claims that keep them from fetching it twice.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "shoal/robots_share.hpp"
#include "shoal/sys.hpp"
#include "shoal/url.hpp"
#include "support/process.hpp"

using shoal::robots_share;
using shoal::shared_robots;
using shoal::test::temp_dir;
using claim = robots_share::claim_result;

namespace {

// The claim file robots_share keeps for origin in dir.
std::string claim_path(const temp_dir& dir, std::string_view origin) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.claim", static_cast<unsigned long long>(shoal::origin_hash(origin)));
    return (dir / name).string();
}

// A pid that no process has now: a child's, reaped.
pid_t dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

}  // namespace

TEST_CASE("robots_share: what is published is what another reader finds, per origin", "[robots_share]") {
    temp_dir dir;
    robots_share a(dir.path().string()), b(dir.path().string());
    const std::string site = "http://shop.example:80", other = "https://shop.example:443";
    CHECK_FALSE(b.lookup(site).has_value());
    a.publish(site, shared_robots{true, false, "User-agent: *\nDisallow: /cart\n"});
    a.publish(other, shared_robots{false, false, ""});
    const auto got = b.lookup(site);
    REQUIRE(got.has_value());
    CHECK(got->has_file);
    CHECK(got->text == "User-agent: *\nDisallow: /cart\n");
    const auto none = b.lookup(other);
    REQUIRE(none.has_value());
    CHECK_FALSE(none->has_file);
    CHECK(none->text.empty());
    // A file of the origin's name that is not one of ours, or names another origin, is nothing.
    char name[32];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(shoal::origin_hash(site)));
    shoal::test::write_file(dir / name, "shoal-robots 1\nhttp://elsewhere.example:80\nnone\n");
    CHECK_FALSE(b.lookup(site).has_value());
    shoal::test::write_file(dir / name, "shoal-robots 1\nhttp://shop.example:80\nfi");  // torn
    CHECK_FALSE(b.lookup(site).has_value());
}

TEST_CASE("robots_share: an unreachable site is shared with its reason, for a minute", "[robots_share]") {
    temp_dir dir;
    robots_share a(dir.path().string()), b(dir.path().string());
    const std::string site = "http://shop.example:80";
    a.publish(site, shared_robots{false, true, "http://shop.example/robots.txt answered 503: ..."});
    const auto got = b.lookup(site);
    REQUIRE(got.has_value());
    CHECK(got->unreachable);
    CHECK_FALSE(got->has_file);
    CHECK(got->text == "http://shop.example/robots.txt answered 503: ...");
    // Older than a minute (the steady clock's milliseconds when found): tried again.
    char name[32];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(shoal::origin_hash(site)));
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
    shoal::test::write_file(dir / name, "shoal-robots 1\nhttp://shop.example:80\nunreachable " +
                                            std::to_string(now_ms - 61000) + "\nold reason");
    CHECK_FALSE(b.lookup(site).has_value());
    shoal::test::write_file(dir / name, "shoal-robots 1\nhttp://shop.example:80\nunreachable " +
                                            std::to_string(now_ms - 30000) + "\nrecent reason");
    REQUIRE(b.lookup(site).has_value());
    CHECK(b.lookup(site)->text == "recent reason");
}

TEST_CASE("robots_share: one claim per origin, a dead process's taken over", "[robots_share]") {
    temp_dir dir;
    robots_share share(dir.path().string());
    const std::string site = "http://shop.example:80";
    CHECK(share.claim(site) == claim::mine);
    CHECK(share.claim(site) == claim::taken);  // held by a live process (this one)
    CHECK(share.claim("http://other.example:80") == claim::mine);
    share.release(site);
    CHECK(share.claim(site) == claim::mine);
    share.release(site);

    // A claim whose process has died is taken over.
    shoal::test::write_file(claim_path(dir, site), std::to_string(dead_pid()) + "\n");
    CHECK(share.claim(site) == claim::mine);
    CHECK(shoal::test::read_file(claim_path(dir, site)) == std::to_string(::getpid()) + "\n");
    share.release(site);

    // Release leaves another live process's claim alone (pid 1 lives).
    shoal::test::write_file(claim_path(dir, site), "1\n");
    share.release(site);
    CHECK(std::filesystem::exists(claim_path(dir, site)));
    CHECK(share.claim(site) == claim::taken);
}

TEST_CASE("robots_share: a directory that cannot be written shares nothing", "[robots_share]") {
    temp_dir dir;
    robots_share share((dir / "missing").string());
    CHECK(share.claim("http://shop.example:80") == claim::unavailable);
    share.publish("http://shop.example:80", shared_robots{true, false, "x"});  // no error: nothing kept
    CHECK_FALSE(share.lookup("http://shop.example:80").has_value());
}

TEST_CASE("sys::private_dir: made fresh and removed with what it holds", "[robots_share]") {
    std::string path;
    {
        shoal::sys::private_dir d("shoal-test");
        path = d.path();
        CHECK(std::filesystem::is_directory(path));
        CHECK(std::filesystem::path(path).filename().string().starts_with("shoal-test-"));
        shoal::test::write_file(std::filesystem::path(path) / "f", "x");
    }
    CHECK_FALSE(std::filesystem::exists(path));
}
