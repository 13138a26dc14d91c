// control: the worker -> supervisor status notes, as the supervisor reads
// them off a byte stream that may end in the middle of one.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "shoal/control.hpp"

using shoal::handed_back_note;
using shoal::take_worker_status;
using shoal::worker_note;
using shoal::worker_status;

TEST_CASE("control: status notes come off the stream whole, in order, from any split", "[control]") {
    const std::string stream = std::string("t") + handed_back_note({3, 70000, 9}) + "d" + handed_back_note({});
    // Fed one cut at a time, the notes come out the same whatever the cut.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        INFO("cut at " << cut);
        std::string buf = stream.substr(0, cut);
        std::vector<worker_status> got;
        worker_status s;
        while (take_worker_status(buf, s) == 1) got.push_back(s);
        buf += stream.substr(cut);
        while (take_worker_status(buf, s) == 1) got.push_back(s);
        CHECK(buf.empty());
        REQUIRE(got.size() == 4);
        CHECK(got[0].note == worker_note::own_tls);
        CHECK(got[1].note == worker_note::handed_back);
        CHECK(got[1].lines == std::vector<std::uint32_t>{3, 70000, 9});
        CHECK(got[2].note == worker_note::draining);
        CHECK(got[2].lines.empty());
        CHECK(got[3].note == worker_note::handed_back);
        CHECK(got[3].lines.empty());
    }
}

TEST_CASE("control: a byte that is no note is refused and left for the caller", "[control]") {
    std::string buf = "xd";
    worker_status s;
    CHECK(take_worker_status(buf, s) == -1);
    CHECK(buf == "xd");
    buf.erase(0, 1);
    CHECK(take_worker_status(buf, s) == 1);
    CHECK(s.note == worker_note::draining);
    CHECK(take_worker_status(buf, s) == 0);
}
