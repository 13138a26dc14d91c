// currency_locale: <html lang> and country-code domains to currencies.
#include "shoal/currency_locale.hpp"

#include "shoal/literal_search.hpp"

#include <algorithm>
#include <string>

namespace shoal {
namespace {

struct pair {
    std::string_view key, code;
};

// Countries (ISO 3166 codes, as lang regions and top-level domains) whose
// currency shares a symbol with others ("$", "kr", "¥", "Rs", "£").
constexpr pair countries[] = {
    {"ar", "ARS"}, {"au", "AUD"}, {"bs", "BSD"}, {"bz", "BZD"}, {"ca", "CAD"}, {"cl", "CLP"},
    {"cn", "CNY"}, {"co", "COP"}, {"dk", "DKK"}, {"do", "DOP"}, {"eg", "EGP"}, {"fj", "FJD"},
    {"fo", "DKK"}, {"gl", "DKK"}, {"hk", "HKD"}, {"is", "ISK"}, {"jm", "JMD"}, {"jp", "JPY"},
    {"lk", "LKR"}, {"mu", "MUR"}, {"mx", "MXN"}, {"na", "NAD"}, {"no", "NOK"}, {"np", "NPR"},
    {"nz", "NZD"}, {"pk", "PKR"}, {"sc", "SCR"}, {"se", "SEK"}, {"sg", "SGD"}, {"tt", "TTD"},
    {"tw", "TWD"}, {"uy", "UYU"},
};

// Languages whose speakers mostly pay in one such currency.
constexpr pair languages[] = {
    {"da", "DKK"}, {"is", "ISK"}, {"ja", "JPY"}, {"nb", "NOK"}, {"ne", "NPR"}, {"nn", "NOK"},
    {"no", "NOK"}, {"si", "LKR"}, {"sv", "SEK"}, {"ur", "PKR"}, {"zh", "CNY"},
};

std::string_view lookup(const auto& table, std::string_view key) {
    for (const pair& p : table)
        if (p.key == key) return p.code;
    return {};
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) { return ascii_lower(c); });
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// The value of the lang attribute of the page's <html> start tag (within
// its first 4 KiB), or empty.
std::string_view html_lang(std::string_view html) {
    const std::string_view head = html.substr(0, 4096);
    for (std::size_t at = 0; (at = head.find('<', at)) != std::string_view::npos; ++at) {
        if (at + 5 >= head.size() || lower(head.substr(at + 1, 4)) != "html" || !is_space(head[at + 5])) continue;
        const std::size_t end = head.find('>', at);
        const std::string_view tag = head.substr(at, end == std::string_view::npos ? head.size() - at : end - at);
        for (std::size_t i = 5; i + 5 < tag.size(); ++i) {
            // " lang=" as an attribute of its own (not xml:lang's tail, nor data-lang).
            if (!is_space(tag[i]) || lower(tag.substr(i + 1, 4)) != "lang") continue;
            std::size_t v = i + 5;
            while (v < tag.size() && is_space(tag[v])) ++v;
            if (v >= tag.size() || tag[v] != '=') continue;
            ++v;
            while (v < tag.size() && is_space(tag[v])) ++v;
            const char quote = v < tag.size() && (tag[v] == '"' || tag[v] == '\'') ? tag[v] : '\0';
            if (quote) ++v;
            std::size_t e = v;
            while (e < tag.size() && (quote ? tag[e] != quote : !is_space(tag[e]))) ++e;
            return tag.substr(v, e - v);
        }
        return {};
    }
    return {};
}

// The last label of the URL's host ("https://shop.com.au:8443/x" gives
// "au"), or empty.
std::string_view top_level_domain(std::string_view url) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string_view::npos) return {};
    std::string_view host = url.substr(scheme + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (const std::size_t at = host.rfind('@'); at != std::string_view::npos) host.remove_prefix(at + 1);
    if (host.starts_with('[')) return {};  // an IPv6 literal
    host = host.substr(0, host.find(':'));
    if (host.ends_with('.')) host.remove_suffix(1);
    const std::size_t dot = host.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : host.substr(dot + 1);
}

}  // namespace

std::string_view locale_currency(std::string_view html, std::string_view page_url) {
    const std::string lang = lower(html_lang(html));
    if (!lang.empty()) {
        // "zh-Hant-TW", "en_AU": the region is the last subtag of two letters.
        std::string_view rest = lang;
        std::string_view region;
        for (std::size_t sep; (sep = rest.find_first_of("-_")) != std::string_view::npos;) {
            rest.remove_prefix(sep + 1);
            const std::string_view subtag = rest.substr(0, rest.find_first_of("-_"));
            if (subtag.size() == 2) region = subtag;
        }
        if (const std::string_view code = lookup(countries, region); !code.empty()) return code;
        // Chinese in traditional characters without a region: Taiwan's or
        // Hong Kong's, not told apart.
        const std::string_view language = std::string_view(lang).substr(0, lang.find_first_of("-_"));
        const bool traditional = language == "zh" && lang.find("hant") != std::string::npos;
        if (const std::string_view code = lookup(languages, language); !code.empty() && !traditional) return code;
    }
    // Country-code domains sites take for their look (".co" for "company",
    // ".is", ".do", ".sc", ".na", ".mu", ".tt") say nothing of a currency.
    const std::string tld = lower(top_level_domain(page_url));
    for (std::string_view pun : {"co", "do", "is", "sc", "na", "mu", "tt", "fm"})
        if (tld == pun) return {};
    return lookup(countries, tld);
}

}  // namespace shoal
