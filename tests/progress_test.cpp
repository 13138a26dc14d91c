// Tests for run_stats: the summary and --stats JSON, counted from records.
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include <string>

#include "shoal/progress.hpp"
#include "shoal/record.hpp"

using shoal::error_stage;
using shoal::record;
using shoal::run_stats;

namespace {

record failed(error_stage stage, std::string code) {
    record r;
    r.stage = stage;
    r.error_code = std::move(code);
    r.error_message = "what happened";
    return r;
}

}  // namespace

TEST_CASE("run_stats: errors are counted by code, the commonest first in the summary", "[progress]") {
    run_stats stats;
    record ok;
    ok.status = 200;
    stats.add(ok);
    stats.add(failed(error_stage::connect, "timeout"));
    for (int i = 0; i < 3; ++i) stats.add(failed(error_stage::request, "robots_disallowed"));
    stats.add(failed(error_stage::input, "bad_url"));
    stats.add(failed(error_stage::connect, "timeout"));

    const std::string text = stats.summary();
    INFO(text);
    CHECK(text.find("\n  errors: 6 ") != std::string::npos);
    CHECK(text.find("\n  error codes: robots_disallowed 3, timeout 2, bad_url 1\n") != std::string::npos);

    const auto json = boost::json::parse(stats.json()).as_object();
    INFO(boost::json::serialize(json));
    CHECK(json.at("errors") == 6);
    const auto& codes = json.at("error_codes").as_object();
    CHECK(codes.size() == 3);
    CHECK(codes.at("robots_disallowed") == 3);
    CHECK(codes.at("timeout") == 2);
    CHECK(codes.at("bad_url") == 1);
}

TEST_CASE("run_stats: a run without errors has no error codes line and an empty object", "[progress]") {
    run_stats stats;
    record ok;
    ok.status = 200;
    stats.add(ok);
    CHECK(stats.summary().find("error codes") == std::string::npos);
    CHECK(boost::json::parse(stats.json()).at("error_codes").as_object().empty());
}
