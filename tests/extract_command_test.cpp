// Tests for `shoal extract`: in process (run_extract_command with stdout
// captured) and through the real binary for exit codes and messages.
#include "shoal/extract_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "shoal/error.hpp"
#include "support/process.hpp"

namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using shoal::test::run_process;
using shoal::test::temp_dir;
using shoal::test::write_file;

const std::string source_dir = SHOAL_SOURCE_DIR;
const std::string books = source_dir + "/data/example-site/list/books-gbk.html";
const std::string dangdang = source_dir + "/data/rules/dangdang.toml";

// Runs run_extract_command("shoal", "extract", args...) and returns its stdout.
std::string run_in_process(std::vector<std::string> args) {
    args.insert(args.begin(), {"shoal", "extract"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    temp_dir dir;
    const std::string out_path = (dir / "stdout").string();
    std::fflush(stdout);
    int saved = ::dup(1);
    int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE((saved >= 0 && fd >= 0));
    ::dup2(fd, 1);
    ::close(fd);
    struct restore {
        int saved;
        ~restore() {
            std::fflush(stdout);
            ::dup2(saved, 1);
            ::close(saved);
        }
    };
    {
        restore r{saved};
        CHECK(shoal::run_extract_command(static_cast<int>(argv.size() - 1), argv.data()) == 0);
    }
    return shoal::test::read_file(out_path);
}

}  // namespace

TEST_CASE("extract: the bookshop listing, GBK, with the dangdang preset", "[extract]") {
    auto records = shoal::test::parse_jsonl(run_in_process(
        {"--rules", dangdang, "--url", "http://search.dangdang.com/?key=book", books}));
    REQUIRE(records.size() == 1);
    const json::object& r = records[0];
    CHECK(r.at("line").as_int64() == 1);
    CHECK(r.at("url").as_string() == "http://search.dangdang.com/?key=book");
    CHECK(r.at("status").is_null());
    CHECK(r.at("error").is_null());
    CHECK(r.at("title").as_string() == "深入理解计算机系统");
    CHECK(r.at("price").at("amount").as_string() == "59.00");
    CHECK(r.at("price").at("currency").as_string() == "CNY");
    const json::array& items = r.at("fields").at("items").as_array();
    REQUIRE(items.size() == 5);
    CHECK(items[1].at("title").as_string() == "算法导论");
    CHECK(items[1].at("price").at("amount").as_string() == "87.50");
    CHECK(items[4].at("title").as_string() == "计算机网络：自顶向下方法");
    CHECK(items[4].at("price").at("amount").as_string() == "66.30");
    CHECK(items[4].at("price").at("currency").as_string() == "CNY");
    CHECK(items[4].at("price").at("raw").as_string() == "¥66.30");
    CHECK(r.at("fields").at("title").as_array().size() == 5);
    CHECK(r.at("fields").at("price").as_array().size() == 5);
}

TEST_CASE("extract: built-in rules without --rules, one record per file in order", "[extract]") {
    temp_dir dir;
    write_file(dir / "a.html",
               "<title>Caf\xe9</title><span class=\"price\">12,50 \x80</span>");  // windows-1252
    write_file(dir / "b.html", "<title>B</title>");
    auto records = shoal::test::parse_jsonl(
        run_in_process({(dir / "a.html").string(), (dir / "b.html").string()}));
    REQUIRE(records.size() == 2);
    CHECK(records[0].at("line").as_int64() == 1);
    CHECK(records[0].at("url").as_string() == (dir / "a.html").string());
    CHECK(records[0].at("final_url").is_null());
    CHECK(records[0].at("title").as_string() == "Café");
    CHECK(records[0].at("price").at("amount").as_string() == "12.50");
    CHECK(records[0].at("price").at("currency").as_string() == "EUR");
    CHECK(records[0].at("fields").as_object().empty());
    CHECK(records[0].at("bytes").as_int64() == 53);
    CHECK(records[1].at("line").as_int64() == 2);
    CHECK(records[1].at("title").as_string() == "B");
    CHECK(records[1].at("price").is_null());
}

TEST_CASE("extract: --url is the record's url as given, and its final_url as a crawl fetches it", "[extract]") {
    temp_dir dir;
    write_file(dir / "p.html", "<title>P</title>");
    auto records = shoal::test::parse_jsonl(
        run_in_process({"--url", "HTTP://B\xc3\xbc" "cher.Example:80/caf\xc3\xa9", (dir / "p.html").string()}));
    REQUIRE(records.size() == 1);
    CHECK(records[0].at("url").as_string() == "HTTP://B\xc3\xbc" "cher.Example:80/caf\xc3\xa9");
    CHECK(records[0].at("final_url").as_string() == "http://xn--bcher-kva.example/caf%C3%A9");
}

TEST_CASE("extract: --content-type decides the charset", "[extract]") {
    temp_dir dir;
    write_file(dir / "k.html",
               "<title>\xd0\xa6\xd0\xb5\xd0\xbd\xd0\xb0</title>");  // "Цена" in UTF-8 ...
    auto utf8 = shoal::test::parse_jsonl(run_in_process({(dir / "k.html").string()}));
    CHECK(utf8[0].at("title").as_string() == "Цена");
    // ... and the same bytes declared as KOI8-R.
    auto koi = shoal::test::parse_jsonl(
        run_in_process({"--content-type", "text/html; charset=koi8-r", (dir / "k.html").string()}));
    CHECK(koi[0].at("title").as_string() != "Цена");
    // A type a crawl does not extract from: nothing is extracted here either; any case is a type.
    auto png = shoal::test::parse_jsonl(run_in_process({"--content-type", "image/png", (dir / "k.html").string()}));
    CHECK(png[0].at("title").is_null());
    auto upper = shoal::test::parse_jsonl(run_in_process({"--content-type", "TEXT/HTML", (dir / "k.html").string()}));
    CHECK(upper[0].at("title").as_string() == "Цена");
}

TEST_CASE("extract: errors before any output", "[extract]") {
    temp_dir dir;
    write_file(dir / "bad.toml", "[[rule]]\nname = \"price\"\npattern = '(unclosed'\n");
    write_file(dir / "p.html", "<title>x</title>");
    auto code_of = [](std::vector<std::string> args) {
        args.insert(args.begin(), {"shoal", "extract"});
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        try {
            shoal::run_extract_command(static_cast<int>(argv.size()), argv.data());
        } catch (const shoal::setup_error& e) {
            return std::make_pair(static_cast<int>(e.code()), std::string(e.what()));
        }
        return std::make_pair(0, std::string());
    };
    auto bad_rules = code_of({"--rules", (dir / "bad.toml").string(), (dir / "p.html").string()});
    CHECK(bad_rules.first == 1);
    CHECK(bad_rules.second == (dir / "bad.toml").string() + ": rule 'price': line 3: missing ): (unclosed");
    write_file(dir / "twice.toml", "[[rule]]\nname = \"item\"\npattern = '(?P<sku>\\d+)-(?P<sku>\\w+)'\n");
    auto twice = code_of({"--rules", (dir / "twice.toml").string(), (dir / "p.html").string()});
    CHECK(twice.first == 1);
    CHECK_THAT(twice.second, Catch::StartsWith((dir / "twice.toml").string() +
                                               ": rule 'item': line 3: the pattern has more than one group named 'sku'"));
    auto missing = code_of({(dir / "p.html").string(), (dir / "nope.html").string()});
    CHECK(missing.first == 2);
    CHECK_THAT(missing.second, Catch::Contains("nope.html"));
    auto directory = code_of({(dir / "p.html").string(), dir.path().string()});
    CHECK(directory.first == 2);
    CHECK(directory.second == dir.path().string() + ": is a directory");
    CHECK(code_of({}).first == 1);
    auto empty_rules = code_of({"--rules", "", (dir / "p.html").string()});
    CHECK(empty_rules.first == 1);
    CHECK_THAT(empty_rules.second, Catch::Contains("--rules: an empty path"));
    CHECK(code_of({"--bogus", (dir / "p.html").string()}).first == 1);
    for (const char* not_http : {"not a url", "ftp://127.0.0.1/x"}) {
        auto bad_url = code_of({"--url", not_http, (dir / "p.html").string()});
        CHECK(bad_url.first == 1);
        CHECK_THAT(bad_url.second, Catch::StartsWith(std::string("--url ") + not_http + ": "));
    }
    CHECK(code_of({"--url", "http://127.0.0.1/p/1.html", (dir / "p.html").string()}).first == 0);
    auto empty_url = code_of({"--url", "", (dir / "p.html").string()});
    CHECK(empty_url.first == 1);
    CHECK_THAT(empty_url.second, Catch::Contains("--url is empty"));
    // A charset typed on the command line must be one shoal knows.
    auto unknown_charset =
        code_of({"--content-type", "text/html; charset=x-bogus", (dir / "p.html").string()});
    CHECK(unknown_charset.first == 1);
    CHECK_THAT(unknown_charset.second,
               Catch::StartsWith("--content-type text/html; charset=x-bogus: "
                                 "unknown charset 'x-bogus'; known: UTF-8, "));
    CHECK_THAT(unknown_charset.second, Catch::Contains("GB18030"));
    CHECK(code_of({"--content-type", "text/html; charset=\"GBK\"", (dir / "p.html").string()})
              .first == 0);
    CHECK(code_of({"--content-type", "text/html", (dir / "p.html").string()}).first == 0);
}

TEST_CASE("extract: a charset the page declares and shoal does not know is skipped, as in a crawl",
          "[extract][crawl]") {
    temp_dir root;
    // windows-1252 bytes, then UTF-8 ones, each under a meta charset nobody knows.
    write_file(root / "latin.html", "<meta charset=\"x-bogus\"><title>Caf\xe9 cr\xe8me</title>");
    write_file(root / "utf8.html",
               "<meta charset=\"x-bogus\"><title>Caf\xc3\xa9 cr\xc3\xa8me</title>");
    for (const char* page : {"latin.html", "utf8.html"})
        write_file(root / (std::string(page) + ".content-type"), "text/html");  // no charset
    shoal::test::local_site site(std::nullopt, {"--root", root.path().string()});
    temp_dir dir;
    write_file(dir / "urls.txt", site.url("/latin.html") + "\n" + site.url("/utf8.html") + "\n");
    auto crawl = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                              (dir / "out.jsonl").string(), "-q", "-p", "1"},
                             "", std::chrono::seconds(60));
    REQUIRE(crawl.exit_code == 0);
    std::map<std::int64_t, std::string> crawled;
    for (const auto& r : shoal::test::read_jsonl(dir / "out.jsonl"))
        crawled[r.at("line").as_int64()] = std::string(r.at("title").as_string());
    auto extracted = shoal::test::parse_jsonl(run_in_process({"--content-type", "text/html",
                                                              (root / "latin.html").string(),
                                                              (root / "utf8.html").string()}));
    REQUIRE(crawled.size() == 2);
    REQUIRE(extracted.size() == 2);
    for (std::int64_t line : {1, 2}) {
        INFO("line " << line);
        CHECK(crawled[line] == "Caf\xc3\xa9 cr\xc3\xa8me");
        const auto& record = extracted[static_cast<std::size_t>(line - 1)];
        CHECK(record.at("title").as_string() == crawled[line]);
    }
}

TEST_CASE("extract: a page with a byte order mark, and one of a type not read, give what a crawl gives",
          "[extract][crawl]") {
    temp_dir root;
    write_file(root / "bom.html", "\xEF\xBB\xBF<title>With a BOM</title>");
    write_file(root / "bom.html.content-type", "text/html; charset=utf-8");
    write_file(root / "logo.png", "\x89PNG\r\n<title>not read</title>");
    write_file(root / "logo.png.content-type", "image/png");
    temp_dir dir;
    // The first three characters of the page, and every match's first one.
    write_file(dir / "rules.toml",
               "[[rule]]\nname = \"start\"\npattern = '\\A(.{3})'\ntype = \"raw\"\n"
               "[[rule]]\nname = \"letters\"\npattern = '<(t)'\nall = true\n");
    shoal::test::local_site site(std::nullopt, {"--root", root.path().string()});
    write_file(dir / "urls.txt", site.url("/bom.html") + "\n" + site.url("/logo.png") + "\n");
    auto crawl = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                              (dir / "out.jsonl").string(), "-q", "-p", "1", "--rules",
                              (dir / "rules.toml").string()},
                             "", std::chrono::seconds(60));
    REQUIRE(crawl.exit_code == 0);
    std::map<std::int64_t, std::string> crawled;
    for (const auto& r : shoal::test::read_jsonl(dir / "out.jsonl"))
        crawled[r.at("line").as_int64()] = json::serialize(r.at("fields"));
    REQUIRE(crawled.size() == 2);
    CHECK(crawled[1] == R"({"start":"<ti","letters":["t"]})");
    CHECK(crawled[2] == R"({"start":null,"letters":[]})");
    const char* types[] = {"text/html; charset=utf-8", "image/png"};
    const char* pages[] = {"bom.html", "logo.png"};
    for (std::int64_t line : {1, 2}) {
        INFO("line " << line);
        const auto k = static_cast<std::size_t>(line - 1);
        auto extracted = shoal::test::parse_jsonl(run_in_process(
            {"--rules", (dir / "rules.toml").string(), "--content-type", types[k], (root / pages[k]).string()}));
        REQUIRE(extracted.size() == 1);
        CHECK(json::serialize(extracted[0].at("fields")) == crawled[line]);
    }
}

TEST_CASE("extract: the shoal binary, exit codes and messages", "[extract]") {
    temp_dir dir;
    write_file(dir / "bad.toml", "[[rule]]\nname = \"title\"\npattern = '<h1>(.*?</h1>'\n");
    write_file(dir / "p.html", "<title>x</title>");
    auto ok = run_process({SHOAL_BINARY, "extract", "--rules", dangdang, books});
    CHECK(ok.exit_code == 0);
    auto records = shoal::test::parse_jsonl(ok.out);
    REQUIRE(records.size() == 1);
    CHECK(records[0].at("fields").at("items").as_array().size() == 5);
    CHECK(records[0].at("url").as_string() == books);

    auto bad = run_process({SHOAL_BINARY, "extract", "--rules", (dir / "bad.toml").string(),
                            (dir / "p.html").string()});
    CHECK(bad.exit_code == 1);
    CHECK(bad.out.empty());
    CHECK_THAT(bad.err, Catch::Contains("bad.toml: rule 'title': line 3: missing ): <h1>(.*?</h1>"));

    auto missing = run_process({SHOAL_BINARY, "extract", (dir / "missing.html").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.out.empty());

    // A page over --max-body is cut there, as a crawl cuts it.
    write_file(dir / "long.html", "<title>ab</title>" + std::string(100, ' '));
    auto capped = shoal::test::run_process({SHOAL_BINARY, "extract", "--max-body", "20", (dir / "long.html").string()},
                                           "", std::chrono::seconds(30));
    CHECK(capped.exit_code == 0);
    auto capped_records = shoal::test::parse_jsonl(capped.out);
    REQUIRE(capped_records.size() == 1);
    CHECK(capped_records[0].at("bytes").to_number<int>() == 20);
    CHECK(capped_records[0].at("title").as_string() == "ab");
    CHECK(capped_records[0].at("error").at("code").as_string() == "body_too_large");

    // Sizes with K, M or G, as crawl's.
    write_file(dir / "2k.html", "<title>ab</title>" + std::string(2048, ' '));
    auto kib = shoal::test::run_process({SHOAL_BINARY, "extract", "--max-body", "1k", (dir / "2k.html").string()},
                                        "", std::chrono::seconds(30));
    CHECK(kib.exit_code == 0);
    auto kib_records = shoal::test::parse_jsonl(kib.out);
    REQUIRE(kib_records.size() == 1);
    CHECK(kib_records[0].at("bytes").to_number<int>() == 1024);
    auto bad_unit = run_process({SHOAL_BINARY, "extract", "--max-body", "8X", (dir / "2k.html").string()});
    CHECK(bad_unit.exit_code == 1);
    CHECK_THAT(bad_unit.err, Catch::Contains("--max-body: '8X' is not a size in bytes"));

    // '-' is a page on stdin, beside files.
    auto piped = shoal::test::run_process({SHOAL_BINARY, "extract", "-", (dir / "p.html").string()},
                                          "<title>from stdin</title>", std::chrono::seconds(30));
    CHECK(piped.exit_code == 0);
    auto from_stdin = shoal::test::parse_jsonl(piped.out);
    REQUIRE(from_stdin.size() == 2);
    CHECK(from_stdin[0].at("title").as_string() == "from stdin");
    CHECK(from_stdin[0].at("url").as_string() == "-");
    CHECK(from_stdin[1].at("title").as_string() == "x");

    auto help = run_process({SHOAL_BINARY, "extract", "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--content-type"));
}

TEST_CASE("extract: a FIFO is read once, whether its writer comes first or later", "[extract]") {
    // Its files are checked before any output; a FIFO is not opened for that
    // (its writer would take that open and write into a closed pipe).
    temp_dir dir;
    const std::string fifo = (dir / "page.fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    for (const char* order : {"writer later", "writer first"}) {
        INFO(order);
        const std::string later = std::string(order) == "writer later" ? "sleep 1; " : "";
        // The writer in the background of the same shell: shoal starts at
        // once, or after the writer blocks in its open.
        auto r = run_process({"sh", "-c",
                              "(" + later + "printf '<title>From a FIFO</title>' > \"$1\") & " +
                                  (later.empty() ? "sleep 1; " : "") + "exec \"$0\" extract \"$1\"",
                              SHOAL_BINARY, fifo},
                             "", 30s);
        REQUIRE_FALSE(r.timed_out);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("\"title\":\"From a FIFO\"") != std::string::npos);
        CHECK(r.out.find("\"bytes\":26") != std::string::npos);
    }
    // stdin named as a file while it is closed is no empty page.
    auto closed = run_process({"sh", "-c", "exec \"$0\" extract /dev/stdin <&-", SHOAL_BINARY}, "", 30s);
    CHECK(closed.exit_code == 2);
    CHECK(closed.err == "shoal: /dev/stdin: stdin is closed\n");
    // A directory on stdin is no page.
    auto d = run_process({"sh", "-c", "exec \"$0\" extract - < \"$1\"", SHOAL_BINARY, dir.path().string()}, "", 30s);
    CHECK(d.exit_code == 2);
    CHECK(d.err == "shoal: cannot read a page from stdin: it is a directory\n");
    CHECK(d.out.empty());
}
