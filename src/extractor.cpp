// Built-in title and price extraction with RE2 (see extractor.hpp).
#include "shoal/extractor.hpp"

#include <re2/re2.h>

#include "shoal/html_text.hpp"

namespace shoal {
namespace {

// Each pattern has one or two capture groups (double- or single-quoted
// attribute values); the first group that matched is the value.
constexpr const char* title_patterns[] = {
    R"re((?is)<title[^>]*>(.*?)</title)re",
    R"re((?is)<meta\s[^>]*?property\s*=\s*["']og:title["'][^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)'))re",
    R"re((?is)<meta\s[^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*?property\s*=\s*["']og:title)re",
};

// In order of trust: structured data first, then visible price elements.
constexpr const char* price_patterns[] = {
    R"re((?i)<meta\s[^>]*?property\s*=\s*["'](?:product|og):price:amount["'][^>]*?content\s*=\s*["']([^"']+))re",
    R"re((?i)<meta\s[^>]*?content\s*=\s*["']([^"']+)["'][^>]*?property\s*=\s*["'](?:product|og):price:amount)re",
    R"re((?i)itemprop\s*=\s*["']price["'][^>]*?content\s*=\s*["']([^"']+))re",
    R"re((?i)itemprop\s*=\s*["']price["'][^>]*>([^<]+)<)re",
    R"re("price"\s*:\s*"?([0-9][0-9.,]*))re",
    R"re((?i)class\s*=\s*["']search_now_price["'][^>]*>([^<]+)<)re",
    R"re((?i)class\s*=\s*["'](?:[\w-]+\s+)*price(?:\s+[\w-]+)*["'][^>]*>([^<]+)<)re",
};

constexpr const char* currency_patterns[] = {
    R"re((?i)<meta\s[^>]*?property\s*=\s*["'](?:product|og):price:currency["'][^>]*?content\s*=\s*["']([A-Za-z]{3})["'])re",
    R"re((?i)<meta\s[^>]*?content\s*=\s*["']([A-Za-z]{3})["'][^>]*?property\s*=\s*["'](?:product|og):price:currency)re",
    R"re((?i)itemprop\s*=\s*["']priceCurrency["'][^>]*?content\s*=\s*["']([A-Za-z]{3})["'])re",
    R"re("priceCurrency"\s*:\s*"([A-Za-z]{3})")re",
};

std::vector<std::unique_ptr<RE2>> compile(const auto& patterns) {
    std::vector<std::unique_ptr<RE2>> out;
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    for (const char* p : patterns) {
        out.push_back(std::make_unique<RE2>(p, opt));
        if (!out.back()->ok()) throw std::logic_error(std::string("built-in rule: ") + p);
    }
    return out;
}

// The first capture group that matched anywhere in text.
std::optional<std::string_view> first_match(const RE2& re, std::string_view text) {
    re2::StringPiece groups[3];
    int n = std::min(re.NumberOfCapturingGroups() + 1, 3);
    if (!re.Match(re2::StringPiece(text.data(), text.size()), 0, text.size(), RE2::UNANCHORED,
                  groups, n))
        return std::nullopt;
    for (int i = 1; i < n; ++i)
        if (groups[i].data() != nullptr) return std::string_view(groups[i].data(), groups[i].size());
    return std::nullopt;
}

}  // namespace

struct extractor::programs {
    std::vector<std::unique_ptr<RE2>> title = compile(title_patterns);
    std::vector<std::unique_ptr<RE2>> price = compile(price_patterns);
    std::vector<std::unique_ptr<RE2>> currency = compile(currency_patterns);
};

extractor::extractor() : p_(std::make_unique<programs>()) {}
extractor::~extractor() = default;

const extractor& extractor::builtin() {
    static const extractor instance;
    return instance;
}

extraction extractor::extract(std::string_view html) const {
    extraction e;
    for (const auto& re : p_->title) {
        if (auto m = first_match(*re, html)) {
            std::string t = collapse_whitespace(decode_entities(*m));
            if (!t.empty()) {
                e.title = std::move(t);
                break;
            }
        }
    }
    std::string currency;
    for (const auto& re : p_->currency) {
        if (auto m = first_match(*re, html)) {
            currency.assign(*m);
            for (auto& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            break;
        }
    }
    for (const auto& re : p_->price) {
        if (auto m = first_match(*re, html)) {
            if (auto p = parse_price(html_to_text(*m), currency)) {
                e.price = std::move(p);
                break;
            }
        }
    }
    return e;
}

}  // namespace shoal
