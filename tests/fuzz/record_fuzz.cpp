// Fuzzes the JSONL record writer: a record whose strings (and numbers) come
// from the input must be written as exactly one line that Boost.JSON parses,
// with the strings coming back unchanged when they were valid UTF-8. The CSV
// writer runs too and must not crash.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shoal/charset.hpp"
#include "shoal/record.hpp"

namespace {

void expect_string(const boost::json::value& v, const std::string& s) {
    if (!v.is_string()) std::abort();
    if (shoal::is_valid_utf8(s) && std::string_view(v.as_string()) != s) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    shoal::record r;
    r.line = in.ConsumeIntegral<std::uint64_t>();
    r.status = in.ConsumeIntegralInRange<int>(-1, 999);  // what the frame decoder allows
    // elapsed_ms as the writer gets it: microseconds / 1000.
    r.elapsed_ms = static_cast<double>(in.ConsumeIntegral<std::uint64_t>()) / 1000.0;
    r.bytes = in.ConsumeIntegral<std::uint64_t>();
    r.attempts = in.ConsumeIntegral<std::uint32_t>();
    r.stage = static_cast<shoal::error_stage>(
        in.ConsumeIntegralInRange<int>(0, static_cast<int>(shoal::error_stage::crash)));
    r.url = in.ConsumeRandomLengthString(300);
    r.final_url = in.ConsumeRandomLengthString(300);
    if (in.ConsumeBool()) r.title = in.ConsumeRandomLengthString(300);
    if (in.ConsumeBool()) {
        r.price.emplace();
        r.price->amount = in.ConsumeRandomLengthString(20);
        r.price->currency = in.ConsumeRandomLengthString(5);
        r.price->raw = in.ConsumeRandomLengthString(100);
    }
    // Field values are already rendered JSON (the extractor renders them).
    std::size_t nfields = in.ConsumeIntegralInRange<std::size_t>(0, 4);
    for (std::size_t i = 0; i < nfields; ++i) {
        std::string name = in.ConsumeRandomLengthString(20);
        std::string value;
        shoal::append_json_string(in.ConsumeRandomLengthString(100), value);
        if (in.ConsumeBool()) value = "[" + value + ",null,1.5,{\"k\":" + value + "}]";
        r.fields.emplace_back(std::move(name), std::move(value));
    }
    r.error_code = in.ConsumeRandomLengthString(40);
    r.error_message = in.ConsumeRemainingBytesAsString();

    std::string out = "prefix\n";
    const std::size_t start = out.size();
    shoal::append_jsonl(r, out);
    std::string_view line(out);
    line.remove_prefix(start);
    if (line.empty() || line.back() != '\n') std::abort();
    line.remove_suffix(1);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
        std::abort();
    if (!shoal::is_valid_utf8(line)) std::abort();

    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(line, ec);
    if (ec || !v.is_object()) std::abort();
    const auto& o = v.as_object();
    if (!o.contains("url") || !o.contains("line") || !o.contains("fields")) std::abort();
    expect_string(o.at("url"), r.url);
    if (r.title) expect_string(o.at("title"), *r.title);
    else if (!o.at("title").is_null()) std::abort();
    if (r.price) {
        const auto& p = o.at("price");
        if (!p.is_object()) std::abort();
        expect_string(p.as_object().at("raw"), r.price->raw);
    }
    if (!o.at("fields").is_object()) std::abort();
    if (r.stage != shoal::error_stage::none) {
        const auto& e = o.at("error");
        if (!e.is_object()) std::abort();
        expect_string(e.as_object().at("message"), r.error_message);
    } else if (!o.at("error").is_null()) {
        std::abort();
    }
    if (o.at("line").to_number<std::uint64_t>() != r.line) std::abort();

    std::string csv;
    shoal::append_csv_header(csv);
    shoal::append_csv_row(r, csv);
    if (!shoal::is_valid_utf8(csv)) std::abort();
    return 0;
}
