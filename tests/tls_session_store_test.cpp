// tls_session_store: the shared table of TLS sessions, within one process
// and across a fork, as the supervisor and its workers use it.
#include "shoal/tls_session_store.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

TEST_CASE("tls_session_store: keeps the latest session per origin", "[tls_session_store]") {
    shoal::tls_session_store store;
    std::string der;
    CHECK_FALSE(store.get("https://a:443", der));
    store.put("https://a:443", "first");
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "first");
    store.put("https://a:443", "second, longer");
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "second, longer");
    CHECK_FALSE(store.get("https://b:443", der));
    CHECK_FALSE(store.get("https://a:8443", der));
    // Empty and too-big sessions are not kept; the old one stays.
    store.put("https://a:443", "");
    store.put("https://a:443", std::string(shoal::tls_session_store::max_session_bytes + 1, 'x'));
    REQUIRE(store.get("https://a:443", der));
    CHECK(der == "second, longer");
    const std::string biggest(shoal::tls_session_store::max_session_bytes, 'y');
    store.put("https://c:443", biggest);
    REQUIRE(store.get("https://c:443", der));
    CHECK(der == biggest);
}

TEST_CASE("tls_session_store: a session kept in a forked child is seen by the parent", "[tls_session_store]") {
    shoal::tls_session_store store;
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        store.put("https://127.0.0.9:443", "from the child");
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    std::string der;
    REQUIRE(store.get("https://127.0.0.9:443", der));
    CHECK(der == "from the child");
}
