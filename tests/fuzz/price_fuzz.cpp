// Fuzzes price parsing. An input that starts with "HINT:XXX\n" uses XXX as the
// currency hint. For every parse: the amount is digits with at most one '.',
// no sign, no leading zeros but one; the currency is empty or three upper-case
// letters; raw is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "shoal/charset.hpp"
#include "shoal/price.hpp"

namespace {

void check(const std::optional<shoal::price>& p) {
    if (!p) return;
    const std::string& a = p->amount;
    if (a.empty()) std::abort();
    int dots = 0;
    for (char c : a) {
        if (c == '.') ++dots;
        else if (c < '0' || c > '9') std::abort();
    }
    if (dots > 1 || a.front() == '.' || a.back() == '.') std::abort();
    if (a.size() > 1 && a[0] == '0' && a[1] != '.') std::abort();  // leading zeros dropped
    if (!p->currency.empty()) {
        if (p->currency.size() != 3) std::abort();
        for (char c : p->currency)
            if (c < 'A' || c > 'Z') std::abort();
    }
    if (!shoal::is_valid_utf8(p->raw)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::string_view hint;
    if (in.substr(0, 5) == "HINT:") {
        auto nl = in.find('\n');
        hint = in.substr(5, nl == std::string_view::npos ? in.npos : nl - 5);
        in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    }
    check(shoal::parse_price(in));
    check(shoal::parse_price(in, hint));
    check(shoal::parse_price(in, "CNY"));
    return 0;
}
