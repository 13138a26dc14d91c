// Tests for bench_report: medians, axis ticks, and the CSV, markdown and SVG
// written from hand-made rows.
#include "shoal/bench_report.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace shoal::bench;

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
    }
    return out;
}

run_sample sample(double pps, double cpu, double correct = 100, double tls = no_value) {
    run_sample s;
    s.pages_per_s = pps;
    s.wall_s = 20000 / pps;
    s.client_cpu_us_per_page = cpu;
    s.server_cpu_us_per_page = cpu / 2;
    s.tls_resumed_share = tls;
    s.correct_percent = correct;
    return s;
}

result_row row(std::string mode, std::string tool, unsigned p, unsigned c, std::vector<run_sample> runs) {
    result_row r;
    r.mode = std::move(mode);
    r.tool = std::move(tool);
    r.processes = p;
    r.concurrency = c;
    r.urls = r.tool == "wrk" ? 0 : 20000;
    r.runs = std::move(runs);
    return r;
}

// keep-alive: P=1 and P=2 at C=16 and 64, wrk at 16, 32, 64, 128 in flight;
// https with TLS shares; latency at P=1, C=100 and 1000.
std::vector<result_row> sample_rows() {
    return {
        row("keep-alive", "shoal", 1, 16, {sample(4000, 200), sample(5000, 190), sample(4400, 210)}),
        row("keep-alive", "shoal", 1, 64, {sample(6000, 180), sample(6200, 170), sample(5800, 175)}),
        row("keep-alive", "shoal", 2, 16, {sample(7000, 185), sample(7100, 180), sample(6900, 190)}),
        row("keep-alive", "shoal", 2, 64, {sample(7500, 181), sample(7700, 179), sample(7600, 180)}),
        row("keep-alive", "wrk", 1, 16, {sample(20000, 25), sample(21000, 26), sample(19000, 24)}),
        row("keep-alive", "wrk", 2, 16, {sample(25000, 25)}),
        row("keep-alive", "wrk", 2, 32, {sample(28000, 25)}),
        row("keep-alive", "wrk", 2, 64, {sample(30000, 26)}),
        row("https", "shoal", 1, 16, {sample(3000, 300, 100, 0.9), sample(3100, 310, 100, 0.95)}),
        row("latency", "shoal", 1, 100, {sample(950, 220)}),
        row("latency", "shoal", 1, 1000, {sample(8000, 230, 99.5)}),
    };
}

report_context sample_context() {
    report_context ctx;
    ctx.command_line = "shoal bench --modes keep-alive,https,latency --out '/tmp/a b'";
    ctx.cpus = 2;
    ctx.cpu_model = "AMD EPYC <test> & co";
    ctx.kernel = "6.1.0";
    ctx.date = "2026-11-22 10:00 UTC";
    ctx.latency_ms = 100;
    ctx.modes = {{"keep-alive", "Server defaults.", "--processes 1", ""},
                 {"https", "TLS.", "--tls", "--insecure"},
                 {"latency", "Held back.", "--latency 100", ""}};
    ctx.notes = {"latency P=1 C=1000 run 1: 50 lines have no record"};
    return ctx;
}

}  // namespace

TEST_CASE("bench report: median, min and max skip missing values", "[bench]") {
    CHECK(median({3, 1, 2}) == 2);
    CHECK(median({4, 1, 3, 2}) == 2.5);
    CHECK(median({5}) == 5);
    CHECK(std::isnan(median({})));
    CHECK(median({no_value, 7, 1, no_value, 4}) == 4);
    CHECK(min_of({3, no_value, 1}) == 1);
    CHECK(max_of({3, no_value, 1}) == 3);
    CHECK(std::isnan(min_of({no_value})));

    result_row r = row("close", "shoal", 1, 16, {sample(10, 1, 100), sample(30, 1, 99), sample(20, 1, 100)});
    CHECK(median_pages_per_s(r) == 20);
    CHECK(lowest_correct_percent(r) == 99);
    CHECK(ideal_pages_per_s(1000, 100) == 10000);
}

TEST_CASE("bench report: thousands grouping", "[bench]") {
    CHECK(group_thousands(0) == "0");
    CHECK(group_thousands(999) == "999");
    CHECK(group_thousands(1000) == "1,000");
    CHECK(group_thousands(1234567.891, 1) == "1,234,567.9");
    CHECK(group_thousands(-12345) == "-12,345");
    CHECK(group_thousands(no_value).empty());
}

TEST_CASE("bench report: axis ticks", "[bench]") {
    // Powers of two covering the range, one more on each side of a single point.
    CHECK(log2_ticks(16, 1024) == std::vector<double>{16, 32, 64, 128, 256, 512, 1024});
    CHECK(log2_ticks(20, 1000) == std::vector<double>{16, 32, 64, 128, 256, 512, 1024});
    CHECK(log2_ticks(64, 64) == std::vector<double>{32, 64, 128});
    // 1-2-5 steps within two decades, whole decades beyond.
    CHECK(log10_ticks(4000, 9000) == std::vector<double>{2000, 5000, 10000});
    CHECK(log10_ticks(900, 30000) == std::vector<double>{500, 1000, 2000, 5000, 10000, 20000, 50000});
    CHECK(log10_ticks(50, 200000) == std::vector<double>{10, 100, 1000, 10000, 100000, 1000000});
    CHECK(log10_ticks(1000, 100000) == std::vector<double>{1000, 2000, 5000, 10000, 20000, 50000, 100000});
    CHECK(log10_ticks(1000, 1000) == std::vector<double>{500, 1000, 2000});
    CHECK(linear_ticks(230) == std::vector<double>{0, 50, 100, 150, 200, 250});
    CHECK(linear_ticks(1) == std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1});
    CHECK(linear_ticks(0) == std::vector<double>{0, 1});
}

TEST_CASE("bench report: CSV has a header and one row per point", "[bench]") {
    const std::vector<result_row> rows = sample_rows();
    const std::string csv = to_csv(rows);
    const std::vector<std::string> lines = lines_of(csv);
    REQUIRE(lines.size() == rows.size() + 1);
    CHECK(lines[0] ==
          "mode,tool,processes,concurrency,in_flight,urls,repeats,pages_per_s,pages_per_s_min,"
          "pages_per_s_max,client_cpu_us_per_page,server_cpu_us_per_page,tls_resumed_share,"
          "correct_percent,wall_s");
    CHECK(count(csv, "\r\n") == rows.size() + 1);
    // Median 4400 of 4000, 5000, 4400; CPU median 200; wall median 20000/4400.
    CHECK(lines[1] == "keep-alive,shoal,1,16,16,20000,3,4400.0,4000.0,5000.0,200.0,100.0,,100.000,4.545");
    CHECK(lines[4] == "keep-alive,shoal,2,64,128,20000,3,7600.0,7500.0,7700.0,180.0,90.0,,100.000,2.632");
    CHECK(lines[5] == "keep-alive,wrk,1,16,16,,3,20000.0,19000.0,21000.0,25.0,12.5,,100.000,1.000");
    CHECK(lines[9].rfind("https,shoal,1,16,16,20000,2,3050.0,3000.0,3100.0,305.0,152.5,0.9250,100.000,", 0) == 0);
    CHECK(lines[11].rfind("latency,shoal,1,1000,1000,20000,1,8000.0,8000.0,8000.0,230.0,115.0,,99.500,", 0) == 0);
}

TEST_CASE("bench report: CSV quotes fields that need it", "[bench]") {
    std::vector<result_row> rows = {row("a,b \"c\"", "shoal", 1, 1, {sample(1, 1)})};
    const std::string csv = to_csv(rows);
    CHECK(csv.find("\r\n\"a,b \"\"c\"\"\",shoal,1,1,1,") != std::string::npos);
}

TEST_CASE("bench report: markdown tables per mode, ratios, ideal and notes", "[bench]") {
    const std::vector<result_row> rows = sample_rows();
    const report_context ctx = sample_context();
    const std::string md = to_markdown(rows, ctx);
    CHECK(md.find("# shoal bench") == 0);
    CHECK(md.find("- command: `shoal bench --modes keep-alive,https,latency --out '/tmp/a b'`") !=
          std::string::npos);
    CHECK(md.find("- machine: 2 CPUs, AMD EPYC <test> & co, Linux 6.1.0") != std::string::npos);
    // Sections in the context's order.
    const std::size_t ka = md.find("\n## keep-alive\n"), tls = md.find("\n## https\n"),
                      lat = md.find("\n## latency\n"), notes = md.find("\n## Notes\n");
    REQUIRE(ka != std::string::npos);
    REQUIRE(tls != std::string::npos);
    REQUIRE(lat != std::string::npos);
    REQUIRE(notes != std::string::npos);
    CHECK((ka < tls && tls < lat && lat < notes));
    CHECK(md.find("Server: `shoal serve --tls`; crawl adds `--insecure`.") != std::string::npos);
    CHECK(md.find("- latency P=1 C=1000 run 1: 50 lines have no record") != std::string::npos);

    const std::string keep = markdown_table(rows, "keep-alive", ctx);
    const std::vector<std::string> kl = lines_of(keep);
    REQUIRE(kl.size() == 2 + 8);
    CHECK(kl[0] ==
          "| tool | P | C | in flight | URLs | pages/s | min-max | shoal/wrk | client CPU µs/page | "
          "server CPU µs/page | correct % | wall s |");
    // shoal 1x16 at 4,400 against wrk at 16 in flight (median 20,000): 0.22x.
    CHECK(kl[2] == "| shoal | 1 | 16 | 16 | 20,000 | 4,400 | 4,000-5,000 | 0.22x | 200.0 | 100.0 | 100.00 | 4.55 |");
    // 2x64 = 128 in flight against wrk 2x64.
    CHECK(kl[5] == "| shoal | 2 | 64 | 128 | 20,000 | 7,600 | 7,500-7,700 | 0.25x | 180.0 | 90.0 | 100.00 | 2.63 |");
    CHECK(kl[6] == "| wrk | 1 | 16 | 16 | - | 20,000 | 19,000-21,000 | - | 25.0 | 12.5 | n/a | 1.00 |");

    const std::string https = markdown_table(rows, "https", ctx);
    CHECK(https.find("| TLS resumed % |") != std::string::npos);
    CHECK(https.find("| 92.5 |") != std::string::npos);
    CHECK(keep.find("TLS resumed") == std::string::npos);

    const std::string latency = markdown_table(rows, "latency", ctx);
    CHECK(latency.find("| ideal pages/s | % of ideal |") != std::string::npos);
    CHECK(latency.find("| 1,000 | 95.0 |") != std::string::npos);
    CHECK(latency.find("| 10,000 | 80.0 |") != std::string::npos);
    CHECK(latency.find("| 99.50 |") != std::string::npos);
    CHECK(latency.find("shoal/wrk") == std::string::npos);  // no wrk rows: no ratio column
    CHECK(md.find("For wrk, P is threads") != std::string::npos);
    std::vector<result_row> no_wrk;
    for (const result_row& r : rows)
        if (r.tool != "wrk") no_wrk.push_back(r);
    const std::string md_no_wrk = to_markdown(no_wrk, ctx);
    CHECK(md_no_wrk.find("wrk,") == std::string::npos);
    CHECK(md_no_wrk.find("For wrk") == std::string::npos);
    CHECK(md_no_wrk.find("shoal/wrk") == std::string::npos);
    CHECK(markdown_table(rows, "close", ctx).empty());
}

TEST_CASE("bench report: markdown escapes pipes in cells", "[bench]") {
    std::vector<result_row> rows = {row("m", "a|b", 1, 1, {sample(1, 1)})};
    CHECK(markdown_table(rows, "m", report_context{}).find("| a\\|b |") != std::string::npos);
}

TEST_CASE("bench report: SVG panels, one polyline per series, markers per point", "[bench]") {
    const std::vector<result_row> rows = sample_rows();
    const report_context ctx = sample_context();
    const std::string svg = to_svg(rows, ctx);
    CHECK(svg.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"", 0) == 0);
    CHECK(svg.find("</svg>\n") == svg.size() - 7);
    CHECK(svg.find("href") == std::string::npos);  // self-contained

    // Speed panel: keep-alive P=1, P=2, wrk; https P=1; latency P=1 and its ideal: 6.
    // CPU panel: the same without the ideal line: 5.
    CHECK(count(svg, "<polyline class=\"series shoal\"") == 2 * 4);
    CHECK(count(svg, "<polyline class=\"series wrk\"") == 2 * 1);
    CHECK(count(svg, "<polyline class=\"series ideal\"") == 1);
    CHECK(count(svg, "<polyline") == 11);
    // Markers: 7 shoal points + 4 wrk points per panel, plus one per legend entry
    // that has a marker (5 of the 6 series; the ideal line has none).
    CHECK(count(svg, "class=\"point\"") == 2 * 11 + 5);
    CHECK(svg.find("keep-alive, P=2: 128 in flight, 7,600 pages/s") != std::string::npos);
    CHECK(svg.find("ideal P×C / 100 ms") != std::string::npos);

    // Escaping of text taken from the context.
    CHECK(svg.find("AMD EPYC &lt;test&gt; &amp; co") != std::string::npos);
    CHECK(svg.find("<test>") == std::string::npos);

    // Log axes: powers of two for in flight (16 .. 1024 here); pages/s from
    // 950 to 30,000 spans under two decades: 1-2-5 steps.
    for (const char* tick : {">16<", ">32<", ">64<", ">128<", ">256<", ">512<", ">1024<"})
        CHECK(svg.find(tick) != std::string::npos);
    CHECK(count(svg, "class=\"xtick\"") == 2 * 7);
    for (const char* tick : {">500<", ">1k<", ">2k<", ">5k<", ">10k<", ">20k<", ">50k<"})
        CHECK(svg.find(tick) != std::string::npos);
    CHECK(svg.find(">100k<") == std::string::npos);
    // wrk's points count requests, not pages.
    CHECK(svg.find("pages/s (wrk: requests/s), log scale") != std::string::npos);
    CHECK(count(svg, " requests/s</title>") == 4);
    CHECK(count(svg, " µs/request</title>") == 4);
    CHECK(svg.find("client CPU µs / page") != std::string::npos);
}

TEST_CASE("bench report: SVG with no rows still renders", "[bench]") {
    const std::string svg = to_svg({}, report_context{});
    CHECK(svg.find("no data") != std::string::npos);
    CHECK(svg.find("pages/s, log scale") != std::string::npos);
    CHECK(count(svg, "<polyline") == 0);
    CHECK(svg.find("nan") == std::string::npos);
}
