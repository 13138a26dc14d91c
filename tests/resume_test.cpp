// Reading back an interrupted run's output: which lines are done, and what
// is cut off (resume.hpp), on files written here byte by byte.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "shoal/done_lines.hpp"
#include "shoal/error.hpp"
#include "shoal/options.hpp"
#include "shoal/resume.hpp"
#include "support/process.hpp"

namespace fs = std::filesystem;
using shoal::done_lines;
using shoal::existing_output;
using shoal::load_existing_output;
using shoal::output_format;
using shoal::test::temp_dir;

namespace {

const std::string csv_header =
    "line,url,status,final_url,title,price_amount,price_currency,price_raw,elapsed_ms,bytes,attempts,"
    "error_stage,error_code,error_message,fields.notes";

// A CSV row for line n whose last field is `notes`, quoted as the writer quotes.
std::string csv_row(int n, const std::string& notes) {
    return std::to_string(n) + ",http://127.0.0.1:9/" + std::to_string(n) + ",200,,,,,,1.0,10,1,,,,\"" + notes +
           "\"\r\n";
}

}  // namespace

TEST_CASE("resume: a CSV record whose quoted field holds line breaks is one record", "[resume]") {
    // The second physical line of line 1's record starts "7,": it is not a
    // record of line 7, which must still be fetched.
    temp_dir dir;
    const fs::path out = dir / "out.csv";
    const std::string text = csv_header + "\r\n" + csv_row(1, "first\n7,second") +
                             csv_row(2, "say \"\"hi\"\"\nand\r\nmore") + csv_row(3, "plain");
    shoal::test::write_file(out, text);
    done_lines done;
    existing_output e = load_existing_output(out.string(), output_format::csv, done);
    CHECK(e.records == 3);
    CHECK(e.unreadable == 0);
    CHECK(e.cut_bytes == 0);
    CHECK(e.has_csv_header);
    CHECK(e.csv_header == csv_header);
    CHECK(done.test(1));
    CHECK(done.test(2));
    CHECK(done.test(3));
    CHECK_FALSE(done.test(7));
    CHECK(shoal::test::read_file(out) == text);
}

TEST_CASE("resume: the records of the first and of the last done lines are checked against the list", "[resume]") {
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    std::string text;
    for (int n = 1; n <= 3000; ++n)
        text += "{\"line\":" + std::to_string(n) + ",\"url\":\"http://127.0.0.1:9/" + std::to_string(n) +
                "\",\"status\":null}\n";
    shoal::test::write_file(out, text);
    done_lines done;
    existing_output e = load_existing_output(out.string(), output_format::jsonl, done);
    REQUIRE(e.records == 3000);
    auto same = [&](std::uint64_t n, const std::string& url) {
        return shoal::same_url_as_record(e, shoal::input_line{n, url}, output_format::jsonl);
    };
    // The first 1,024 and the last 1,024 lines are compared.
    CHECK(same(1, "http://127.0.0.1:9/1"));
    CHECK_FALSE(same(1, "http://127.0.0.1:9/x"));
    CHECK_FALSE(same(1024, "http://127.0.0.1:9/x"));
    CHECK(same(1025, "http://127.0.0.1:9/x"));  // not sampled
    CHECK(same(1976, "http://127.0.0.1:9/x"));
    // A line inserted anywhere before the end shifts the last ones.
    CHECK_FALSE(same(1977, "http://127.0.0.1:9/1976"));
    CHECK_FALSE(same(3000, "http://127.0.0.1:9/2999"));
    CHECK(same(3000, "http://127.0.0.1:9/3000"));
}

TEST_CASE("resume: a quote inside an unquoted CSV field is a plain byte", "[resume]") {
    // Not what shoal writes, but a file edited by hand may hold one: it must
    // not swallow the records after it as one open field.
    temp_dir dir;
    const fs::path out = dir / "out.csv";
    const std::string text = csv_header + "\r\n" + "1,http://127.0.0.1:9/1,200,,5\" screen,,,,1.0,10,1,,,,\r\n" +
                             csv_row(2, "two") + csv_row(3, "three");
    shoal::test::write_file(out, text);
    done_lines done;
    existing_output e = load_existing_output(out.string(), output_format::csv, done);
    CHECK(e.records == 3);
    CHECK(e.cut_bytes == 0);
    CHECK(done.test(3));
    CHECK(shoal::test::read_file(out) == text);
}

TEST_CASE("resume: a CSV record torn inside a quoted field is cut off whole", "[resume]") {
    temp_dir dir;
    const fs::path out = dir / "out.csv";
    const std::string whole = csv_header + "\r\n" + csv_row(1, "one");
    SECTION("torn after a line break inside the field") {
        const std::string torn = "2,http://127.0.0.1:9/2,200,,,,,,1.0,10,1,,,,\"part\n9,of the field\n";
        shoal::test::write_file(out, whole + torn);
        done_lines done;
        existing_output e = load_existing_output(out.string(), output_format::csv, done);
        CHECK(e.records == 1);
        CHECK(e.cut_bytes == torn.size());
        CHECK_FALSE(done.test(2));
        CHECK_FALSE(done.test(9));
    }
    SECTION("torn before the record's line end") {
        const std::string torn = "2,http://127.0.0.1:9/2,200,,,,,,1.0,10,1,,,,\"done\"";
        shoal::test::write_file(out, whole + torn);
        done_lines done;
        existing_output e = load_existing_output(out.string(), output_format::csv, done);
        CHECK(e.records == 1);
        CHECK(e.cut_bytes == torn.size());
        CHECK_FALSE(done.test(2));
    }
    CHECK(shoal::test::read_file(out) == whole);
}

TEST_CASE("resume: JSONL lines that are not records are counted and kept, a torn last line cut", "[resume]") {
    temp_dir dir;
    const fs::path out = dir / "out.jsonl";
    const std::string kept = "{\"line\":4,\"url\":\"http://a/\",\"status\":200}\n"
                             "a note someone added\n"
                             "\n"
                             "{\"line\":2,\"url\":\"http://b/\",\"status\":404}\n";
    shoal::test::write_file(out, kept + "{\"line\":3,\"url\":\"http://tor");
    done_lines done;
    existing_output e = load_existing_output(out.string(), output_format::jsonl, done);
    CHECK(e.records == 2);
    CHECK(e.unreadable == 1);
    CHECK(e.cut_bytes == std::string("{\"line\":3,\"url\":\"http://tor").size());
    CHECK(done.test(2));
    CHECK(done.test(4));
    CHECK_FALSE(done.test(3));
    CHECK(shoal::test::read_file(out) == kept);
}

TEST_CASE("resume: a missing output is an empty one", "[resume]") {
    temp_dir dir;
    done_lines done;
    existing_output e = load_existing_output((dir / "none.jsonl").string(), output_format::jsonl, done);
    CHECK(e.records == 0);
    CHECK(e.cut_bytes == 0);
    CHECK_FALSE(fs::exists(dir / "none.jsonl"));
}

namespace {

// The crawl options of `shoal crawl urls -o out.jsonl ARGS...`.
shoal::crawl_options crawl_options_of(std::vector<std::string> args) {
    args.insert(args.begin(), {"shoal", "crawl", "-", "-o", "out.jsonl"});
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    shoal::command c = shoal::parse_command_line(static_cast<int>(argv.size()), argv.data());
    REQUIRE(c.what == shoal::command::kind::crawl);
    return c.crawl;
}

std::string fingerprint_of(std::vector<std::string> args, std::uint64_t rules_hash = 0) {
    const shoal::crawl_options o = crawl_options_of(std::move(args));
    return shoal::resume_fingerprint(o, rules_hash, shoal::fresh_list_extent(o));
}

}  // namespace

TEST_CASE("resume: the fingerprint keeps one header from looking like two", "[resume]") {
    const std::string one = fingerprint_of({"--header", "X-A: 1 header=X-B:2"});
    const std::string two = fingerprint_of({"--header", "X-A: 1", "--header", "X-B: 2"});
    CHECK(one != two);
    CHECK_THAT(one, Catch::EndsWith(R"( header=x-a:"1 header=X-B:2")"));
    CHECK_THAT(two, Catch::EndsWith(" header=x-a:1 header=x-b:2"));
    // The user agent comes before the headers: its text cannot stand for one.
    CHECK(fingerprint_of({"--user-agent", "bot header=x-a:1"}) != fingerprint_of({"--user-agent", "bot", "--header", "x-a: 1"}));
    // Quotes and backslashes in a value are escaped.
    CHECK_THAT(fingerprint_of({"--header", R"(X-Q: a"b\c)"}), Catch::EndsWith(R"( header=x-q:"a\"b\\c")"));
    CHECK(fingerprint_of({"--header", R"(X-Q: a" header=x-r:"b)"}) !=
          fingerprint_of({"--header", "X-Q: a", "--header", "X-R: b"}));
}

TEST_CASE("resume: credentials in --header are kept as a hash, not as written", "[resume]") {
    for (const char* name : {"Authorization", "cookie", "Proxy-Authorization", "X-Api-Key", "X-Auth-Token"}) {
        INFO(name);
        const std::string f = fingerprint_of({"--header", std::string(name) + ": Bearer TOPSECRET"});
        CHECK(f.find("TOPSECRET") == std::string::npos);
        CHECK(f != fingerprint_of({"--header", std::string(name) + ": Bearer OTHER"}));
        CHECK(f == fingerprint_of({"--header", std::string(name) + ":Bearer TOPSECRET"}));
    }
    CHECK_THAT(fingerprint_of({"--header", "Accept-Language: de"}), Catch::EndsWith(" header=accept-language:de"));
}

TEST_CASE("crawl options: a User-Agent header is the --user-agent, Host once and naming a host", "[resume]") {
    // The one sent is the one --robots obeys for.
    CHECK(crawl_options_of({"--header", "User-Agent: PriceBot/2.0"}).user_agent == "PriceBot/2.0");
    CHECK(crawl_options_of({"--header", "user-agent: PriceBot/2.0"}).headers.empty());
    CHECK(crawl_options_of({"--header", "User-Agent: PriceBot/2.0", "--user-agent", "PriceBot/2.0"}).user_agent ==
          "PriceBot/2.0");
    CHECK(crawl_options_of({"--user-agent", "  PriceBot/2.0 "}).user_agent == "PriceBot/2.0");
    auto refused = [](std::vector<std::string> args) {
        args.insert(args.begin(), {"shoal", "crawl", "-", "-o", "out.jsonl"});
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        try {
            shoal::parse_command_line(static_cast<int>(argv.size()), argv.data());
        } catch (const shoal::setup_error& e) {
            CHECK(e.code() == shoal::exit_code::usage);
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(refused({"--header", "User-Agent: a", "--user-agent", "b"}) ==
          "--user-agent and --header 'User-Agent: ...' differ: give the User-Agent once");
    CHECK(refused({"--header", "User-Agent: a", "--header", "User-Agent: a"}) == "--header User-Agent is given twice");
    CHECK(refused({"--header", "Host: a", "--header", "host: b"}) == "--header Host is given twice");
    CHECK(refused({"--header", "Host:"}) == "--header Host wants a host name (and :port), got ''");
    CHECK(refused({"--header", "Host: a b"}) == "--header Host wants a host name (and :port), got 'a b'");
    CHECK(crawl_options_of({"--header", "Host: shop.example:8080"}).headers.size() == 1);
    CHECK_THAT(refused({"--proxy", "http://127.0.0.1:3128", "--header", "Proxy-Authorization: Basic eDp5"}),
               Catch::StartsWith("--header Proxy-Authorization with --proxy: give the proxy's credentials in it"));
}

TEST_CASE("resume: header names count the same in any case", "[resume]") {
    CHECK(fingerprint_of({"--header", "x-a:1"}) == fingerprint_of({"--header", "X-A: 1"}));
    CHECK(fingerprint_of({"--header", "Accept-Language: de"}) == fingerprint_of({"--header", "accept-language:de"}));
    // Values are compared as they are.
    CHECK(fingerprint_of({"--header", "X-A: b"}) != fingerprint_of({"--header", "X-A: B"}));
}

TEST_CASE("resume: the fingerprint holds the hash of the rules as read whatever their path is", "[resume]") {
    // The hash comes from the bytes the run read: /dev/stdin or <(...) has one too.
    const std::string a = fingerprint_of({"--rules", "/dev/stdin"}, 0x1234);
    INFO(a);
    CHECK(a.find("@0000000000001234 timeout=") != std::string::npos);
    CHECK(a != fingerprint_of({"--rules", "/dev/stdin"}, 0x5678));
    // Without --rules there is no hash.
    CHECK(fingerprint_of({}, 0x1234) == fingerprint_of({}, 0));
    CHECK(fingerprint_of({}).find(" rules= ") != std::string::npos);
}

TEST_CASE("resume: a plain run's fingerprint is written as before", "[resume]") {
    // Runs without free text that needs quoting resume across the change.
    CHECK(fingerprint_of({"--user-agent", "shop-bot/2.0", "--timeout", "5"}) ==
          "input=- rules= timeout=5 max-body=8388608 retries=2 max-redirects=10 insecure=0 ca-file= "
          "user-agent=shop-bot/2.0");
    CHECK(fingerprint_of({"--user-agent", "Mozilla/5.0 (X11)"}).find(R"x( user-agent="Mozilla/5.0 (X11)")x") !=
          std::string::npos);
}

TEST_CASE("resume: a fingerprint tells how much of the list it hashed", "[resume]") {
    using shoal::list_extent_of;
    const std::string rest = " rules= timeout=30";
    auto extent = list_extent_of("input=/l.txt@0123456789abcdef:123" + rest);
    REQUIRE(extent);
    CHECK_FALSE(extent->legacy);
    CHECK(extent->bytes == 123);
    extent = list_extent_of("input=/l.txt@0123456789abcdef" + rest);  // written before the count
    REQUIRE(extent);
    CHECK(extent->legacy);
    extent = list_extent_of("input=\"/a b@c\\\"d\"@0123456789abcdef:5" + rest);  // a quoted path
    REQUIRE(extent);
    CHECK(extent->bytes == 5);
    CHECK_FALSE(list_extent_of("input=-" + rest));  // stdin: no hash
    CHECK_FALSE(list_extent_of("input=/l.txt@0123456789abcdef:" + rest));
    CHECK_FALSE(list_extent_of("input=/l.txt@0123456789abcdef:99999999" + rest));
    CHECK_FALSE(list_extent_of("rules= input=/l.txt@0123456789abcdef:5"));
}
