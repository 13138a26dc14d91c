// Built-in title and price extraction with RE2 (see extractor.hpp).
#include "shoal/extractor.hpp"

#include <re2/re2.h>
#include <string.h>

#include "shoal/html_text.hpp"

namespace shoal {
namespace {

// A built-in pattern and a literal every match of it contains, lower case.
// The literal is looked up first (memchr-fast): a page without it skips the
// pattern, and a page with it is searched from shortly before its first
// occurrence, instead of from the top.
struct builtin_rule {
    const char* pattern;
    const char* literal;
};

// Each pattern has one or two capture groups (double- or single-quoted
// attribute values); the first group that matched is the value.
constexpr builtin_rule title_rules[] = {
    {R"re((?is)<title[^>]*>(.*?)</title)re", "<title"},
    {R"re((?is)<meta\s[^>]*?property\s*=\s*["']og:title["'][^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)'))re", "og:title"},
    {R"re((?is)<meta\s[^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*?property\s*=\s*["']og:title)re", "og:title"},
};

// In order of trust: structured data first, then visible price elements.
constexpr builtin_rule price_rules[] = {
    {R"re((?i)<meta\s[^>]*?property\s*=\s*["'](?:product|og):price:amount["'][^>]*?content\s*=\s*["']([^"']+))re", "price:amount"},
    {R"re((?i)<meta\s[^>]*?content\s*=\s*["']([^"']+)["'][^>]*?property\s*=\s*["'](?:product|og):price:amount)re", "price:amount"},
    {R"re((?i)itemprop\s*=\s*["']price["'][^>]*?content\s*=\s*["']([^"']+))re", "itemprop"},
    {R"re((?i)itemprop\s*=\s*["']price["'][^>]*>([^<]+)<)re", "itemprop"},
    {R"re("price"\s*:\s*"?([0-9][0-9.,]*))re", "\"price\""},
    {R"re((?i)class\s*=\s*["']search_now_price["'][^>]*>([^<]+)<)re", "search_now_price"},
    {R"re((?i)class\s*=\s*["'](?:[\w-]+\s+)*price(?:\s+[\w-]+)*["'][^>]*>([^<]+)<)re", "price"},
};

constexpr builtin_rule currency_rules[] = {
    {R"re((?i)<meta\s[^>]*?property\s*=\s*["'](?:product|og):price:currency["'][^>]*?content\s*=\s*["']([A-Za-z]{3})["'])re", "price:currency"},
    {R"re((?i)<meta\s[^>]*?content\s*=\s*["']([A-Za-z]{3})["'][^>]*?property\s*=\s*["'](?:product|og):price:currency)re", "price:currency"},
    {R"re((?i)itemprop\s*=\s*["']priceCurrency["'][^>]*?content\s*=\s*["']([A-Za-z]{3})["'])re", "pricecurrency"},
    {R"re("priceCurrency"\s*:\s*"([A-Za-z]{3})")re", "\"pricecurrency\""},
};

// How far before the literal a match may start (the rest of an HTML tag).
constexpr std::size_t max_lead = 4096;

struct compiled_rule {
    std::unique_ptr<RE2> re;
    std::string literal;
};

std::vector<compiled_rule> compile(const auto& rules) {
    std::vector<compiled_rule> out;
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    for (const builtin_rule& r : rules) {
        out.push_back({std::make_unique<RE2>(r.pattern, opt), r.literal});
        if (!out.back().re->ok()) throw std::logic_error(std::string("built-in rule: ") + r.pattern);
    }
    return out;
}

// The first capture group that matched, searching text (lower = text in
// ASCII lower case, for the literal).
std::optional<std::string_view> first_match(const compiled_rule& rule, std::string_view text,
                                            std::string_view lower) {
    auto hit = static_cast<const char*>(
        ::memmem(lower.data(), lower.size(), rule.literal.data(), rule.literal.size()));
    if (hit == nullptr) return std::nullopt;
    auto at = static_cast<std::size_t>(hit - lower.data());
    std::size_t start = at > max_lead ? at - max_lead : 0;
    re2::StringPiece groups[3];
    int n = std::min(rule.re->NumberOfCapturingGroups() + 1, 3);
    if (!rule.re->Match(re2::StringPiece(text.data(), text.size()), start, text.size(),
                        RE2::UNANCHORED, groups, n))
        return std::nullopt;
    for (int i = 1; i < n; ++i)
        if (groups[i].data() != nullptr) return std::string_view(groups[i].data(), groups[i].size());
    return std::nullopt;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s.size(), '\0');
    auto in = reinterpret_cast<const unsigned char*>(s.data());
    auto o = reinterpret_cast<unsigned char*>(out.data());
    for (std::size_t i = 0; i < s.size(); ++i)  // branch-free, so it vectorises
        o[i] = static_cast<unsigned char>(in[i] + (static_cast<unsigned char>(in[i] - 'A') < 26) * 32);
    return out;
}

}  // namespace

struct extractor::programs {
    std::vector<compiled_rule> title = compile(title_rules);
    std::vector<compiled_rule> price = compile(price_rules);
    std::vector<compiled_rule> currency = compile(currency_rules);
};

extractor::extractor() : p_(std::make_unique<programs>()) {}
extractor::~extractor() = default;

const extractor& extractor::builtin() {
    static const extractor instance;
    return instance;
}

extraction extractor::extract(std::string_view html, std::string_view currency_hint) const {
    extraction e;
    const std::string lower = ascii_lower(html);
    for (const auto& rule : p_->title) {
        if (auto m = first_match(rule, html, lower)) {
            std::string t = collapse_whitespace(decode_entities(*m));
            if (!t.empty()) {
                e.title = std::move(t);
                break;
            }
        }
    }
    std::string currency(currency_hint);
    for (const auto& rule : p_->currency) {
        if (auto m = first_match(rule, html, lower)) {
            currency.assign(*m);
            for (auto& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            break;
        }
    }
    for (const auto& rule : p_->price) {
        if (auto m = first_match(rule, html, lower)) {
            if (auto p = parse_price(html_to_text(*m), currency)) {
                e.price = std::move(p);
                break;
            }
        }
    }
    return e;
}

}  // namespace shoal
