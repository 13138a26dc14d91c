// End to end: pages in every encoding of issue 3, declared (or mis-declared) in
// every way, served by tools/local_site.py (/charset/ENC/MODE/N.html) and crawled
// in one run by the real `shoal` binary. Each record's title must be the page's
// title in UTF-8, exactly.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

#ifndef SHOAL_BINARY
#error "SHOAL_BINARY must be defined (path of the shoal executable, as a string literal)"
#endif

namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using shoal::test::local_site;
using shoal::test::run_process;
using shoal::test::temp_dir;

// The expected titles, written here independently of the server (which encodes
// its own copy of this table with Python's codecs).
const std::map<std::string, std::string>& expected_titles() {
    static const std::map<std::string, std::string> titles = {
        {"utf-8", "UTF-8: Ελληνικά 中文 Русский € ✓"},
        {"gb2312", "简体中文测试页：价格与书名"},
        {"gbk", "GBK 扩展字：镕 旻 堃 喆，图书价格"},
        {"gb18030", "GB18030 测试：𠀀 镕 €"},
        {"big5", "繁體中文測試頁面：價格"},
        {"shift_jis", "日本語のテストページ：価格"},
        {"euc-jp", "日本語のテストページ（ＥＵＣ）"},
        {"euc-kr", "한국어 테스트 페이지: 가격"},
        {"windows-1251", "Тестовая страница — цена"},
        {"koi8-r", "Тестовая страница: Цена"},
        {"iso-8859-5", "Тестовая страница: Ёё"},
        {"iso-8859-7", "Δοκιμαστική σελίδα: τιμή"},
        {"windows-1250", "Zażółć gęślą jaźń – cena"},
        {"iso-8859-2", "Příliš žluťoučký kůň úpěl"},
        {"windows-1252", "Café crème à 2,50 € – “prix”"},
        {"iso-8859-15", "Œuvre complète à 9,99 € (Šš Žž)"},
        {"utf-16le", "UTF-16LE: Ελληνικά 中文 Русский €"},
        {"utf-16be", "UTF-16BE: Ελληνικά 中文 Русский €"},
    };
    return titles;
}

// Every ENC x MODE combination the site must serve:
//   header, meta, http-equiv: the one declaration, for every byte-oriented encoding;
//   header-vs-meta: the header is right, a <meta charset> is wrong (header wins);
//   bom: a byte order mark only; none: no declaration (UTF-8 by validity);
//   xml-declaration: <?xml ... encoding="ENC"?> opening an XHTML page only (UTF-16
//     without a byte order mark);
//   mislabel-gb2312: declared gb2312, holding GBK / GB18030 characters outside it.
std::set<std::pair<std::string, std::string>> expected_combinations() {
    std::set<std::pair<std::string, std::string>> out;
    for (const auto& [enc, title] : expected_titles()) {
        if (enc == "utf-16le" || enc == "utf-16be") {
            for (const char* mode : {"header", "bom", "header-vs-meta", "xml-declaration"})
                out.emplace(enc, mode);
            continue;
        }
        for (const char* mode :
             {"header", "meta", "http-equiv", "header-vs-meta", "xml-declaration"}) {
            out.emplace(enc, mode);
        }
    }
    out.emplace("utf-8", "bom");
    out.emplace("utf-8", "none");
    out.emplace("gbk", "mislabel-gb2312");
    out.emplace("gb18030", "mislabel-gb2312");
    return out;
}

std::string path_of(const std::string& enc, const std::string& mode, int n) {
    return "/charset/" + enc + "/" + mode + "/" + std::to_string(n) + ".html";
}

}  // namespace

TEST_CASE("charset site: the site serves every combination and titles agree with this test",
          "[charset-site]") {
    local_site site;
    // /charset-index lists the served combinations, one /charset/ENC/MODE/1.html a line.
    const std::string index = site.get("/charset-index");
    REQUIRE_FALSE(index.empty());
    std::set<std::pair<std::string, std::string>> served;
    std::istringstream in(index);
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) continue;
        // /charset/ENC/MODE/1.html
        const auto a = line.find('/', 1), b = line.find('/', a + 1), c = line.find('/', b + 1);
        REQUIRE(c != std::string::npos);
        served.emplace(line.substr(a + 1, b - a - 1), line.substr(b + 1, c - b - 1));
    }
    CHECK(served == expected_combinations());
    for (const auto& [enc, title] : expected_titles()) {
        INFO(enc);
        CHECK(site.get("/charset-title/" + enc) == title);
    }
}

TEST_CASE("charset site: every encoding and declaration gives the exact UTF-8 title",
          "[charset-site][crawl]") {
    local_site site;
    temp_dir dir;
    const auto combos = expected_combinations();
    // Two pages per combination, so a cached decision cannot leak between them
    // and every combination is seen by more than one lane.
    std::vector<std::pair<std::string, std::string>> lines;  // url, expected title
    for (int n = 1; n <= 2; ++n) {
        for (const auto& [enc, mode] : combos) {
            lines.emplace_back(site.url(path_of(enc, mode, n)), expected_titles().at(enc));
        }
    }
    std::string url_file;
    for (const auto& [url, title] : lines) url_file += url + "\n";
    shoal::test::write_file(dir / "urls.txt", url_file);

    auto r = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.jsonl").string(), "-p", "2", "-c", "16", "-q"},
                         "", 120s);
    INFO("stderr: " << r.err);
    REQUIRE_FALSE(r.timed_out);
    REQUIRE(r.exit_code == 0);
    // read_jsonl parses with Boost.JSON, which rejects invalid UTF-8.
    const auto records = shoal::test::read_jsonl(dir / "out.jsonl");
    REQUIRE(records.size() == lines.size());

    std::map<std::string, std::string> got;  // url -> title ("<null>" when none)
    for (const auto& rec : records) {
        INFO(json::serialize(rec));
        REQUIRE(rec.at("url").is_string());
        CHECK(rec.at("status") == 200);
        CHECK(rec.at("error").is_null());
        const json::value& t = rec.at("title");
        got[std::string(rec.at("url").as_string())] =
            t.is_string() ? std::string(t.as_string()) : "<null>";
    }
    std::vector<std::string> wrong;
    for (const auto& [url, title] : lines) {
        INFO(url);
        auto it = got.find(url);
        REQUIRE(it != got.end());
        CHECK(it->second == title);
        if (it->second != title) wrong.push_back(url + " -> " + it->second);
    }
    // One summary line per wrong combination, to read the failures at a glance.
    std::string summary;
    for (const auto& w : wrong) summary += w + "\n";
    INFO("wrong titles:\n" << summary);
    CHECK(wrong.empty());
}

TEST_CASE("charset site: the CSV output holds the same titles", "[charset-site][crawl]") {
    local_site site;
    temp_dir dir;
    // A few of the hardest cases; CSV is written in UTF-8 too.
    const std::vector<std::pair<std::string, std::string>> picks = {
        {"gb18030", "mislabel-gb2312"},
        {"shift_jis", "http-equiv"},
        {"utf-16be", "bom"},
        {"windows-1252", "header-vs-meta"},
        {"koi8-r", "meta"}};
    std::string url_file;
    for (const auto& [enc, mode] : picks) url_file += site.url(path_of(enc, mode, 1)) + "\n";
    shoal::test::write_file(dir / "urls.txt", url_file);
    auto r = run_process({SHOAL_BINARY, "crawl", (dir / "urls.txt").string(), "-o",
                          (dir / "out.csv").string(), "-p", "1", "-q"},
                         "", 120s);
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string csv = shoal::test::read_file(dir / "out.csv");
    INFO("csv:\n" << csv);
    for (const auto& [enc, mode] : picks) {
        INFO(enc << " " << mode);
        // Titles here hold no comma or quote except windows-1252's, which CSV quotes.
        std::string title = expected_titles().at(enc);
        if (title.find_first_of(",\"") != std::string::npos) title = "\"" + title + "\"";
        CHECK(csv.find("," + title + ",") != std::string::npos);
    }
}
