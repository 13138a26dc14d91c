// Fuzzes extraction with the built-in rules and with the rules of
// data/rules/dangdang.toml (compiled once). The input is the page; it is made
// valid UTF-8 first, as the worker does: title and price text must then be
// valid UTF-8 and every custom field value valid JSON. The raw bytes are also
// given (extract() expects UTF-8, so that run only has to not crash).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "shoal/charset.hpp"
#include "shoal/extractor.hpp"

namespace {

const shoal::extractor& rule_extractor() {
    static const std::unique_ptr<shoal::extractor> ex =
        shoal::extractor::from_file(SHOAL_SOURCE_DIR "/data/rules/dangdang.toml");
    return *ex;
}

void check(const shoal::extractor& ex, const shoal::extraction& e) {
    if (e.title && !shoal::is_valid_utf8(*e.title)) std::abort();
    if (e.price) {
        if (!shoal::is_valid_utf8(e.price->amount) || !shoal::is_valid_utf8(e.price->currency) ||
            !shoal::is_valid_utf8(e.price->raw))
            std::abort();
        for (char c : e.price->amount)
            if (c != '.' && (c < '0' || c > '9')) std::abort();
    }
    const auto& names = ex.field_names();
    if (!e.fields.empty() && e.fields.size() != names.size()) std::abort();
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
        if (e.fields[i].first != names[i]) std::abort();
        boost::system::error_code ec;
        boost::json::value v = boost::json::parse(e.fields[i].second, ec);
        if (ec) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view raw(reinterpret_cast<const char*>(data), size);
    std::string page = shoal::make_valid_utf8(raw);
    const shoal::extractor& builtin = shoal::extractor::builtin();
    const shoal::extractor& rules = rule_extractor();

    check(builtin, builtin.extract(page));
    check(rules, rules.extract(page));
    check(rules, rules.extract(page, "", "http://search.dangdang.com/?key=x&page=2"));
    if (page.size() != raw.size() || page != raw) {
        (void)builtin.extract(raw, "CNY");
        (void)rules.extract(raw, "", "http://search.dangdang.com/?key=x&page=2");
    }
    return 0;
}
