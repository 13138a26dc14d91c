// page_cost: the CPU one page costs a worker once its bytes are in, stage by
// stage (gzip decoding, charset detection and checking, extraction, record
// framing), measured over saved gzip files. It isolates the user-space part
// of `shoal crawl` from the network, so that a change to one stage can be
// measured without the noise of a crawl.
//
//   cmake --build build --target shoal_page_cost
//   build/shoal_page_cost /tmp/crawlbench/site 3000 5
//   (directory of .gz pages, how many pages at most, rounds)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "shoal/charset.hpp"
#include "shoal/content_decoder.hpp"
#include "shoal/extractor.hpp"
#include "shoal/frame.hpp"
#include "shoal/record.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<std::string> load_pages(const std::filesystem::path& dir, std::size_t most) {
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.path().extension() == ".gz") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    if (paths.size() > most) paths.resize(most);
    std::vector<std::string> pages;
    for (const auto& p : paths) {
        std::ifstream in(p, std::ios::binary);
        pages.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return pages;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: shoal_page_cost DIR_OF_GZ_PAGES [MAX_PAGES [ROUNDS]]\n");
        return 1;
    }
    const std::size_t most = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 3000;
    const int rounds = argc > 3 ? std::atoi(argv[3]) : 5;
    const auto pages = load_pages(argv[1], most);
    if (pages.empty()) {
        std::fprintf(stderr, "shoal_page_cost: no .gz files under %s\n", argv[1]);
        return 2;
    }
    const shoal::extractor& ex = shoal::extractor::builtin();
    std::vector<double> decode_us, charset_us, extract_us, frame_us;
    std::size_t found = 0;
    std::string body, frames;
    for (int round = 0; round < rounds; ++round) {
        double t_decode = 0, t_charset = 0, t_extract = 0, t_frame = 0;
        found = 0;
        for (const std::string& gz : pages) {
            auto t0 = clock_type::now();
            shoal::decode_content("gzip", gz, 8 << 20, body);
            auto t1 = clock_type::now();
            std::string charset = shoal::detect_charset(body, "text/html");
            std::string converted;
            std::string_view text = body;
            if (charset != "UTF-8" || !shoal::is_valid_utf8(body)) {
                converted = shoal::to_utf8(body, charset);
                text = converted;
            }
            auto t2 = clock_type::now();
            shoal::extraction e = ex.extract(text, shoal::charset_currency_hint(charset));
            auto t3 = clock_type::now();
            shoal::record r;
            r.line = 1;
            r.url = "http://127.0.0.1:18080/p/1.html";
            r.status = 200;
            r.bytes = body.size();
            r.title = std::move(e.title);
            r.price = std::move(e.price);
            found += r.title && r.price ? 1 : 0;
            frames.clear();
            shoal::append_frame(r, frames);
            auto t4 = clock_type::now();
            auto us = [](auto a, auto b) { return std::chrono::duration<double, std::micro>(b - a).count(); };
            t_decode += us(t0, t1);
            t_charset += us(t1, t2);
            t_extract += us(t2, t3);
            t_frame += us(t3, t4);
        }
        const double n = static_cast<double>(pages.size());
        decode_us.push_back(t_decode / n);
        charset_us.push_back(t_charset / n);
        extract_us.push_back(t_extract / n);
        frame_us.push_back(t_frame / n);
    }
    std::printf("%zu pages, %d rounds, %zu with title and price; median us per page:\n",
                pages.size(), rounds, found);
    std::printf("  decode %.1f  charset %.1f  extract %.1f  frame %.1f  total %.1f\n",
                median(decode_us), median(charset_us), median(extract_us), median(frame_us),
                median(decode_us) + median(charset_us) + median(extract_us) + median(frame_us));
    return 0;
}
