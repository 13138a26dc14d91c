// Tests for serve_counters: slots written by real forked processes are
// summed by json(), with each process's own line.
#include "shoal/serve_counters.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cstdint>

namespace json = boost::json;

namespace {

std::uint64_t cpu_us_of_self() {
    rusage ru{};
    REQUIRE(::getrusage(RUSAGE_SELF, &ru) == 0);
    return static_cast<std::uint64_t>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
           static_cast<std::uint64_t>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

}  // namespace

TEST_CASE("serve_counters: what forked processes count is summed in json()", "[serve_counters]") {
    shoal::serve_counters all(3);
    // Process 1 and 2 are children: each counts in its own slot, spends a
    // little CPU and stores it, then exits.
    pid_t kids[2];
    for (unsigned i = 1; i <= 2; ++i) {
        const pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            shoal::serve_counters::slot& mine = all.at(i);
            mine.pid.store(::getpid());
            mine.requests.fetch_add(10 * i, std::memory_order_relaxed);
            mine.connections.fetch_add(i, std::memory_order_relaxed);
            mine.tls_full.fetch_add(1, std::memory_order_relaxed);
            mine.bytes_sent.fetch_add(1000, std::memory_order_relaxed);
            const std::uint64_t start = cpu_us_of_self();
            volatile std::uint64_t spin = 0;
            while (cpu_us_of_self() < start + 20000) spin = spin + 1;
            shoal::update_cpu(mine);
            ::_exit(0);
        }
        kids[i - 1] = pid;
    }
    shoal::serve_counters::slot& self = all.at(0);
    self.pid.store(::getpid());
    self.requests.fetch_add(1, std::memory_order_relaxed);
    self.resets.fetch_add(2, std::memory_order_relaxed);
    self.errors.fetch_add(3, std::memory_order_relaxed);
    for (pid_t pid : kids) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        REQUIRE(WEXITSTATUS(status) == 0);
    }

    const std::string text = all.json();
    CHECK(text.back() == '\n');
    const json::object o = json::parse(text).as_object();
    CHECK(o.at("processes").to_number<int>() == 3);
    CHECK(o.at("requests").to_number<int>() == 31);
    CHECK(o.at("connections").to_number<int>() == 3);
    CHECK(o.at("tls_handshakes_full").to_number<int>() == 2);
    CHECK(o.at("tls_handshakes_resumed").to_number<int>() == 0);
    CHECK(o.at("bytes_sent").to_number<int>() == 2000);
    CHECK(o.at("responses_500").to_number<int>() == 3);
    CHECK(o.at("resets").to_number<int>() == 2);
    const double cpu = o.at("cpu_seconds").to_number<double>();
    CHECK(cpu >= 0.04);
    CHECK(cpu == Approx(o.at("cpu_user_seconds").to_number<double>() + o.at("cpu_system_seconds").to_number<double>()));
    const json::array& per = o.at("per_process").as_array();
    REQUIRE(per.size() == 3);
    CHECK(per[0].at("pid").to_number<pid_t>() == ::getpid());
    CHECK(per[0].at("requests").to_number<int>() == 1);
    for (unsigned i = 1; i <= 2; ++i) {
        CHECK(per[i].at("pid").to_number<pid_t>() == kids[i - 1]);
        CHECK(per[i].at("requests").to_number<unsigned>() == 10 * i);
        CHECK(per[i].at("connections").to_number<unsigned>() == i);
    }
}
