// Title, price and custom field extraction with RE2 (see extractor.hpp): the
// built-in rules first, then the rules of rule files.
#include "shoal/extractor.hpp"

#include <re2/re2.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory_resource>

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <span>
#include <variant>
#include <vector>

#include "shoal/charset.hpp"
#include "shoal/currency_locale.hpp"
#include "shoal/error.hpp"
#include "shoal/html_text.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/record.hpp"
#include "shoal/url.hpp"

namespace shoal {
namespace {

// Where a match of a built-in pattern can start, relative to its literal.
enum class lead {
    none,      // the pattern starts with the literal
    in_tag,    // only [^>] comes before the literal: the match starts after the last '>'
    max_lead,  // anything may (a quoted attribute value): up to max_lead bytes before
};

// What the value of a built-in price rule is (title rules: none; currency
// rules: none, or ld_json for the JSON key).
enum class price_source {
    none,
    visible,    // text shown on the page: the locale rules of parse_price, cents
                // raised in a <sup> after it, struck or old prices passed over
    attribute,  // a machine-written value (content=): '.' is the decimal point
    ld_json,    // a machine-written value in a <script type="application/ld+json">
};

// A built-in pattern and a literal every match of it contains, lower case.
// The literal is looked up first (SIMD-fast): a page without it skips the
// pattern, and a page with it is searched from where a match around its
// first occurrence could start, instead of from the top.
// `then` lists the bytes of which one comes right after the literal in
// every match (nullptr: any): an occurrence followed by another byte is
// skipped without running the regex. So is one whose tag lacks `needs`
// (lead::in_tag rules), a literal every match has before the literal.
struct builtin_rule {
    const char* pattern;
    const char* literal;
    lead before;
    const char* then;
    price_source source = price_source::none;
    const char* needs = nullptr;
};

constexpr const char* quote = "\"'";
constexpr const char* space_quote_or_gt = " \t\n\f\r\"'>";  // RE2's \s, a quote or '>'
constexpr const char* space_or_colon = " \t\n\f\r:";
constexpr const char* space_or_equals = " \t\n\f\r=";

// Each pattern has one or two capture groups (double- or single-quoted
// attribute values); the first group that matched is the value.
// After the <title> element (literal_positions::title_element(), outside
// comments, tags, text elements and inline <svg>/<math>), og:title.
constexpr builtin_rule title_rules[] = {
    {R"re((?is)<meta\s[^>]*?(?:property|name)\s*=\s*["']og:title["'][^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)'))re", "og:title", lead::in_tag, quote},
    {R"re((?is)<meta\s[^>]*?content\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*?(?:property|name)\s*=\s*["']og:title)re", "og:title", lead::max_lead, nullptr},
};

// In order of trust: structured data first (a sale price's meta, an
// Offer's price, then an AggregateOffer's lowPrice), then visible price
// elements. A JSON-LD
// value is a JSON string, taken whole ("19,99 €" names its currency),
// or a JSON number. The visible rules' second alternative captures the
// start of a child element or a comment right after the element's tag
// ("<del", "<span", "<!--", as front-end frameworks leave them): see
// read_visible().
constexpr builtin_rule price_rules[] = {
    {R"re((?i)<meta\s[^>]*?(?:property|name)\s*=\s*["'](?:product|og):sale_price:amount["'][^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)'))re", "sale_price:amount", lead::in_tag, quote, price_source::attribute},
    {R"re((?i)<meta\s[^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)')[^>]*?(?:property|name)\s*=\s*["'](?:product|og):sale_price:amount)re", "sale_price:amount", lead::max_lead, nullptr, price_source::attribute},
    {R"re((?i)<meta\s[^>]*?(?:property|name)\s*=\s*["'](?:product|og):price:amount["'][^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)'))re", "price:amount", lead::in_tag, quote, price_source::attribute},
    {R"re((?i)<meta\s[^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)')[^>]*?(?:property|name)\s*=\s*["'](?:product|og):price:amount)re", "price:amount", lead::max_lead, nullptr, price_source::attribute},
    {R"re((?i)itemprop\s*=\s*["']price["'][^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)'))re", "itemprop", lead::none, space_or_equals, price_source::attribute},
    {R"re((?i)<\w+\s[^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)')[^>]*?itemprop\s*=\s*["']price["'])re", "itemprop", lead::in_tag, space_or_equals, price_source::attribute, "content"},
    {R"re((?i)itemprop\s*=\s*["']price["'][^>]*>(?:([^<]+)<|\s*(<(?:[a-zA-Z]|!--))))re", "itemprop", lead::none, space_or_equals, price_source::visible},
    {R"re("price"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+(?:[.,][0-9]+)*(?:[eE][+-]?[0-9]+)?)))re", "\"price\"", lead::none, space_or_colon, price_source::ld_json},
    {R"re("lowPrice"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([0-9]+(?:[.,][0-9]+)*(?:[eE][+-]?[0-9]+)?)))re", "\"lowprice\"", lead::none, space_or_colon, price_source::ld_json},
    {R"re((?i)<\w+\s[^>]*?(?:itemprop\s*=\s*["']lowPrice["'][^>]*?content\s*=\s*(?:"([^"]+)"|'([^']+)')|content\s*=\s*(?:"([^"]+)"|'([^']+)')[^>]*?itemprop\s*=\s*["']lowPrice["']))re", "itemprop", lead::in_tag, space_or_equals, price_source::attribute},
    {R"re((?i)class\s*=\s*["']search_now_price["'][^>]*>([^<]+)<)re", "search_now_price", lead::in_tag, quote, price_source::visible},
    {R"re((?i)class\s*=\s*(?:["']\s*(?:[\w-]+\s+)*price(?:\s+[\w-]+)*\s*["'][^>]*|price(?:\s[^>]*)?)>(?:([^<]+)<|\s*(<(?:[a-zA-Z]|!--))))re", "price", lead::in_tag, space_quote_or_gt, price_source::visible},
};

constexpr builtin_rule currency_rules[] = {
    {R"re((?i)<meta\s[^>]*?(?:property|name)\s*=\s*["'](?:product|og):price:currency["'][^>]*?content\s*=\s*["']\s*([A-Za-z]{3})\s*["'])re", "price:currency", lead::in_tag, quote},
    {R"re((?i)<meta\s[^>]*?content\s*=\s*["']\s*([A-Za-z]{3})\s*["'][^>]*?(?:property|name)\s*=\s*["'](?:product|og):price:currency)re", "price:currency", lead::max_lead, nullptr},
    {R"re((?i)itemprop\s*=\s*["']priceCurrency["'][^>]*?content\s*=\s*["']\s*([A-Za-z]{3})\s*["'])re", "pricecurrency", lead::in_tag, quote},
    {R"re((?i)<\w+\s[^>]*?content\s*=\s*["']\s*([A-Za-z]{3})\s*["'][^>]*?itemprop\s*=\s*["']priceCurrency["'])re", "itemprop", lead::in_tag, space_or_equals, price_source::none, "content"},
    // Only in JSON-LD: not an analytics script's, nor one in the page's text.
    {R"re("priceCurrency"\s*:\s*"\s*([A-Za-z]{3})\s*")re", "\"pricecurrency\"", lead::none, space_or_colon, price_source::ld_json},
};

// Most literals above contain "price": they are found among the page's
// occurrences of "price", listed in one pass (see literal_positions).
constexpr std::string_view price_anchor = "price";

// How far before the literal a match may start (the rest of an HTML tag).
constexpr std::size_t max_lead = 4096;

struct compiled_rule {
    std::unique_ptr<RE2> re;
    std::string_view then;  // see builtin_rule; empty: any byte
    // For lead::in_tag, "[^>]*?(?:re)": anchored where the tag of an
    // occurrence of the literal starts, it finds the first match starting in
    // that tag, and fails within the tag (or its text) when there is none.
    // For lead::none, re itself anchored at an occurrence. Null for max_lead.
    std::unique_ptr<RE2> at_candidate;
    std::string literal;
    lead before;
    price_source source;
    std::string_view needs;  // see builtin_rule; empty: nothing
    // Whether matches are markup, not read in comments, templates and text
    // elements (JSON keys are read in JSON-LD scripts only).
    bool markup;
};

std::vector<compiled_rule> compile(const auto& rules) {
    std::vector<compiled_rule> out;
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    for (const builtin_rule& r : rules) {
        compiled_rule c{std::make_unique<RE2>(r.pattern, opt), r.then ? r.then : "", nullptr,
                        r.literal, r.before, r.source, r.needs ? r.needs : "", r.literal[0] != '"'};
        if (r.before == lead::in_tag)
            c.at_candidate = std::make_unique<RE2>(std::string("[^>]*?(?:") + r.pattern + ")", opt);
        if (!c.re->ok() || (c.at_candidate && !c.at_candidate->ok()))
            throw std::logic_error(std::string("built-in rule: ") + r.pattern);
        out.push_back(std::move(c));
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

// Elements whose text is not markup, up to their own end tag: raw text (a
// script's, a style's, and <xmp>, <iframe>, <noembed>, <noframes>) and
// escapable raw text (<textarea>, <title>); a <plaintext> has no end tag,
// the page's text is plain text after it. A <noscript> is read: its text
// is markup where scripts are off, and a price there is the page's.
struct text_element {
    std::string_view open;   // "<script", a delimiter after it: the start tag
    std::string_view close;  // "</script", a delimiter after it: the end tag
};

constexpr text_element text_elements[] = {
    {"<script", "</script"}, {"<style", "</style"},     {"<textarea", "</textarea"},
    {"<title", "</title"},   {"<xmp", "</xmp"},         {"<iframe", "</iframe"},
    {"<noembed", "</noembed"}, {"<noframes", "</noframes"}, {"<plaintext", ""},
};

// Where a comment, a template or a text element may start: the two bytes
// after its '<' ("no" for <noembed> and <noframes>). In a template, where
// its end tag may be as well.
constexpr lt_pairs hidden_starts{"!-", "sc", "st", "te", "ti", "xm", "if", "no", "pl"};
constexpr lt_pairs template_starts{"!-", "sc", "st", "te", "ti", "xm", "if", "no", "pl", "/t"};
// Where a <title>, an <svg> or a <math> may start.
constexpr lt_pairs title_starts{"ti", "sv", "ma"};

// What a visible price rule's match reads (see read_visible).
struct visible_read {
    std::string text;
    bool only_old = false;
};

// Where rule literals occur in one page, found without regard to ASCII case.
// A literal that contains "price" is found among the occurrences of
// "price", listed in one pass over the page the first time one is asked
// for; another literal is searched for. A literal's first position is kept
// (rules share literals). Also where
// the page's JSON-LD blocks are, listed the first time one is asked about,
// and its comments, templates and text elements (scripts, styles,
// textareas, titles and the like; see text_elements), listed as far as is
// asked about.
class literal_positions {
public:
    explicit literal_positions(std::string_view html) : html_(html) {}

    // Whether `at` lies inside a <script type="application/ld+json"> element:
    // after its start tag, before its </script> (or the end of the page).
    bool in_ld_json(std::size_t at) {
        // List blocks until one ends past `at` or there are no more.
        while (next_block_ < html_.size() && (blocks_.empty() || blocks_.back().second <= at))
            list_ld_json();
        // Blocks are listed in page order: the last one starting at or before `at`.
        auto it = std::upper_bound(blocks_.begin(), blocks_.end(), at,
                                   [](std::size_t a, const auto& b) { return a < b.first; });
        return it != blocks_.begin() && at < std::prev(it)->second;
    }

    // Where the comment, template or text element that `at` lies in ends
    // (past its "-->" or at its end tag; the end of the page when it is
    // not closed), or 0 when `at` lies in none: markup there is not the
    // page's. Those elements are listed up to `at` the first time a
    // position there is asked about, in one pass shared by every rule: the
    // cost is the page up to the farthest match looked at.
    std::size_t hidden_end(std::size_t at) { return hidden_at(at).second; }

    // The element of those that `at` lies in, [begin, end), or {0, 0}.
    std::pair<std::size_t, std::size_t> hidden_at(std::size_t at) {
        while (listed_to_ <= at && listed_to_ < html_.size()) list_hidden(at);
        if (hidden_.empty()) return {0, 0};
        // Most positions asked about are past the last element listed.
        auto it = at >= hidden_.back().first
                      ? hidden_.end()
                      : std::upper_bound(hidden_.begin(), hidden_.end(), at,
                                         [](std::size_t a, const auto& h) { return a < h.first; });
        if (it == hidden_.begin() || at >= std::prev(it)->second) return {0, 0};
        return *std::prev(it);
    }

    // The inside of the page's <title> element: the first <title> start
    // tag (its name ends at a blank, '/' or '>') outside tags, comments,
    // templates, text elements and foreign content (inline <svg> and
    // <math>, whose <title> names the drawing or formula, as in browsers),
    // up to its end tag. nullopt when there is none or it is not closed.
    std::optional<std::string_view> title_element() {
        constexpr std::size_t npos = std::string_view::npos;
        for (std::size_t from = 0;;) {
            const std::size_t lt = find_lt_pair(html_.substr(from), title_starts);
            if (lt == npos) return std::nullopt;
            const std::size_t at = from + lt;
            from = at + 1;
            const bool title = tag_at(at, "<title");
            const bool svg = !title && tag_at(at, "<svg");
            if (!title && !svg && !tag_at(at, "<math")) continue;  // <time>, <main>, ...
            // A title is a text element itself: the one `at` lies in is its own.
            if (const auto [begin, end] = hidden_at(at); end != 0 && begin != at) {
                from = end;
                continue;
            }
            // In an attribute value (a data: URL's "<svg><title>I</title>")
            // or a bogus comment: on past that tag.
            if (const std::size_t tag = enclosing_tag(at); tag != npos) {
                const std::size_t past = past_tag(tag);
                if (past == npos) return std::nullopt;  // that tag holds the rest of the page
                from = past;
                continue;
            }
            const std::size_t past = past_tag(at);
            if (past == npos) return std::nullopt;
            const std::size_t gt = past - 1;
            if (title) {
                const std::size_t end = end_tag(gt + 1, "</title");
                if (end == html_.size()) return std::nullopt;
                return html_.substr(gt + 1, end - gt - 1);
            }
            if (html_[gt - 1] == '/') continue;  // <svg .../> holds nothing
            from = svg ? foreign_end(gt + 1, "<svg", "</svg") : foreign_end(gt + 1, "<math", "</math");
            if (from == npos) return std::nullopt;  // the rest of the page is in it
        }
    }

    // The last visible price read, by its capture: judge() and the rule's
    // read of one match both need it.
    template <typename Read>
    const visible_read& visible_at(std::string_view capture, Read read) {
        if (capture.data() != visible_capture_.data() || capture.size() != visible_capture_.size()) {
            visible_ = read();
            visible_capture_ = capture;
        }
        return visible_;
    }

    // Whether a JSON-LD price's object may be scanned once more (ld_offer_at):
    // at most 256 scans of 20 KiB a page, so that a script of many "price"
    // keys costs no scan each.
    bool may_scan_ld_object() {
        if (ld_scans_ == max_ld_scans) return false;
        ++ld_scans_;
        return true;
    }

    // The first occurrence of literal at or after `from`, or npos.
    std::size_t find(std::string_view literal, std::size_t from = 0) {
        constexpr std::size_t npos = std::string_view::npos;
        if (from > html_.size()) return npos;
        // A first occurrence is looked for once: rules share literals.
        if (from == 0) {
            for (std::size_t i = 0; i < count_; ++i)
                if (first_[i].first == literal) return first_[i].second;
        }
        const std::size_t offset = literal.find(price_anchor);
        std::size_t at = npos;
        if (offset != npos) {
            at = find_anchored(literal, offset, from);
        } else if (at = find_ascii_nocase(html_.substr(from), literal); at != npos) {
            at += from;
        }
        if (from == 0 && count_ < first_.size()) first_[count_++] = {literal, at};
        return at;
    }

private:
    // Occurrences of literal sit `offset` bytes before occurrences of the anchor.
    std::size_t find_anchored(std::string_view literal, std::size_t offset, std::size_t from) {
        constexpr std::size_t npos = std::string_view::npos;
        if (!listed_) {
            anchors_count_ = find_every_nocase(html_, price_anchor, anchors_);
            listed_ = true;
        }
        const auto listed = std::span(anchors_).first(anchors_count_);
        const std::size_t tail = literal.size() - 1;  // its last byte, looked at first
        const auto last = static_cast<unsigned char>(literal.back());
        for (auto it = std::lower_bound(listed.begin(), listed.end(), from + offset); it != listed.end(); ++it) {
            const std::size_t at = *it - offset;
            if (at + tail >= html_.size()) break;
            auto c = static_cast<unsigned char>(html_[at + tail]);
            if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + 32);
            if (c == last && matches_nocase_at(html_, at, literal)) return at;
        }
        if (anchors_count_ < anchors_.size()) return npos;  // that was every occurrence
        // More than the list holds: search on past its last one.
        const std::size_t past = listed.back() + 1 > offset ? listed.back() + 1 - offset : 0;
        const std::size_t start = std::max(from, past);
        if (start > html_.size()) return npos;
        std::size_t at = find_ascii_nocase(html_.substr(start), literal);
        return at == npos ? npos : start + at;
    }

    // Lists the next JSON-LD block from next_block_ on, if there is one:
    // an "ld+json" inside a <script ...> start tag opens it.
    void list_ld_json() {
        constexpr std::size_t npos = std::string_view::npos;
        while (next_block_ < html_.size()) {
            std::size_t at = find_ascii_nocase(html_.substr(next_block_), "ld+json");
            if (at == npos) break;
            at += next_block_;
            next_block_ = at + 1;
            const std::size_t lt = html_.rfind('<', at);
            const std::size_t gt = html_.find('>', at);
            if (lt == npos || gt == npos) break;
            if (!matches_nocase_at(html_, lt, "<script") || html_.find('>', lt) < at) continue;
            // A script inside a comment (its own element starts at lt).
            if (const auto [begin, end] = hidden_at(lt); end != 0 && begin < lt) continue;
            const std::size_t end = end_tag(gt + 1, "</script");
            blocks_.emplace_back(gt + 1, end);
            next_block_ = end;
            return;
        }
        next_block_ = html_.size();
    }

    // Whether html_ holds `tag` ("<script", "</script") at `at`, followed
    // by a delimiter: a blank, '/', '>' or the end of the page.
    bool tag_at(std::size_t at, std::string_view tag) const {
        if (!matches_nocase_at(html_, at, tag)) return false;
        const std::size_t after = at + tag.size();
        return after == html_.size() || html_[after] == '>' || html_[after] == '/' || is_space(html_[after]);
    }

    // Where the first end tag `close` ("</script") from `from` on is, or
    // the end of the page.
    std::size_t end_tag(std::size_t from, std::string_view close) const {
        constexpr std::size_t npos = std::string_view::npos;
        if (close.empty()) return html_.size();  // <plaintext>
        for (;;) {
            const std::size_t at = find_ascii_nocase(html_.substr(from), close);
            if (at == npos) return html_.size();
            if (tag_at(from + at, close)) return from + at;
            from += at + 1;  // "</scripts"
        }
    }

    // Where the comment whose "<!--" is at `open` ends: past its "-->"
    // ("<!-->" and "<!--->" close at once, as in browsers) or a "--!>"
    // before that, or at the end of the page.
    std::size_t comment_end(std::size_t open) const {
        constexpr std::size_t npos = std::string_view::npos;
        std::size_t end = find_ascii_nocase(html_.substr(open + 2), "-->");
        end = end == npos ? html_.size() : open + 2 + end + 3;
        const std::size_t bang = find_ascii_nocase(html_.substr(open + 4, end - (open + 4)), "--!>");
        return bang == npos ? end : open + 4 + bang + 4;
    }

    // Where the comment or text element whose start is at `open` ends (see
    // comment_end, or at its end tag), or npos when none starts there.
    std::size_t text_end(std::size_t open) const {
        constexpr std::size_t npos = std::string_view::npos;
        if (html_[open + 1] == '!') return matches_nocase_at(html_, open, "<!--") ? comment_end(open) : npos;
        for (const text_element& e : text_elements)
            if (ascii_lower(html_[open + 1]) == e.open[1] && tag_at(open, e.open))
                return end_tag(open + e.open.size(), e.close);
        return npos;
    }

    // Whether the '<' at `open` lies inside a tag, in an attribute value
    // (data-embed="<iframe src=...>"), where it opens nothing, or in a
    // bogus comment ("<!DOCTYPE", "<![CDATA[", "<?": up to the first '>'):
    // the nearest '<' before it that could start one (a letter, '/', '!'
    // or '?' after it) comes after the nearest '>'. A quoted '>' before it
    // in the same tag ("a>b") hides the tag, which is then read as before.
    bool inside_tag(std::size_t open) const { return enclosing_tag(open) != std::string_view::npos; }

    // Where the tag or bogus comment that the '<' at `open` lies inside
    // starts (see inside_tag), or npos.
    std::size_t enclosing_tag(std::size_t open) const {
        for (std::size_t i = open; i-- > 0;) {
            const char c = html_[i];
            if (c == '>') break;
            if (c == '<') {
                const auto next = static_cast<unsigned char>(html_[i + 1]);
                if (std::isalpha(next) || next == '/' || next == '!' || next == '?') return i;
            }
        }
        return std::string_view::npos;
    }

    // Just past the tag that starts at `lt`: past its first '>' outside a
    // quoted attribute value (a bogus comment's first '>'), or npos.
    std::size_t past_tag(std::size_t lt) const {
        constexpr std::size_t npos = std::string_view::npos;
        if (html_[lt + 1] == '!' || html_[lt + 1] == '?') {
            const std::size_t gt = html_.find('>', lt);
            return gt == npos ? npos : gt + 1;
        }
        char open_quote = 0;
        bool after_equals = false;
        for (std::size_t i = lt + 1; i < html_.size(); ++i) {
            const char c = html_[i];
            if (open_quote != 0) {
                if (c == open_quote) open_quote = 0;
            } else if (c == '>') {
                return i + 1;
            } else if (after_equals && (c == '"' || c == '\'')) {
                open_quote = c;
                after_equals = false;
            } else if (!is_space(c)) {
                after_equals = c == '=';
            }
        }
        return npos;
    }

    // Where the template whose content starts at `from` ends: at its end
    // tag, templates inside it counted and comments and text elements in
    // it passed over whole ("</template>" in a script there ends nothing),
    // or at the end of the page.
    std::size_t template_end(std::size_t from) const {
        constexpr std::size_t npos = std::string_view::npos;
        for (int depth = 1;;) {
            const std::size_t lt = find_lt_pair(html_.substr(from), template_starts);
            if (lt == npos) return html_.size();
            const std::size_t at = from + lt;
            if (inside_tag(at)) {
                from = at + 1;
            } else if (tag_at(at, "</template")) {
                if (--depth == 0) return at;
                from = at + 1;
            } else if (tag_at(at, "<template")) {
                ++depth;
                from = at + 1;
            } else {
                const std::size_t end = text_end(at);
                from = end == npos ? at + 1 : end;
            }
        }
    }

    // Where the <svg> or <math> element (open "<svg", close "</svg") whose
    // content starts at `from` ends: at its end tag, elements of its name
    // inside it counted (but not self-closed ones), comments and CDATA
    // sections in it passed over; npos when it is not closed.
    std::size_t foreign_end(std::size_t from, std::string_view open, std::string_view close) const {
        constexpr std::size_t npos = std::string_view::npos;
        for (int depth = 1;;) {
            const std::size_t at = html_.find('<', from);
            if (at == npos) return npos;
            from = at + 1;
            if (matches_nocase_at(html_, at, "<!--")) {
                from = comment_end(at);
            } else if (html_.compare(at, 9, "<![CDATA[") == 0) {
                const std::size_t end = html_.find("]]>", at + 9);
                if (end == npos) return npos;
                from = end + 3;
            } else if (tag_at(at, close)) {
                if (--depth == 0) return at;
            } else if (tag_at(at, open)) {
                const std::size_t gt = html_.find('>', at);
                if (gt == npos) return npos;
                if (html_[gt - 1] != '/') ++depth;
            }
        }
    }

    // Looks for the next comment, template or text element that starts at
    // or before `limit`, from listed_to_ on: lists it and moves listed_to_
    // to its end, or (none) to past `limit`.
    void list_hidden(std::size_t limit) {
        constexpr std::size_t npos = std::string_view::npos;
        for (std::size_t from = listed_to_;;) {
            if (from > limit) {
                listed_to_ = from;
                return;
            }
            // Whole blocks of 64 bytes (the vector scan's step) past `limit`
            // are looked at: an element found there is listed as well.
            const std::size_t span = std::min(html_.size() - from, (limit + 1 - from + 63) / 64 * 64 + 2);
            const std::size_t lt = find_lt_pair(html_.substr(from, span), hidden_starts);
            if (lt == npos) {
                // A '<' in the span's last two bytes is looked at again.
                listed_to_ = from + span == html_.size() ? html_.size() : from + span - 2;
                return;
            }
            const std::size_t open = from + lt;
            const std::size_t end = inside_tag(open)              ? npos
                                    : tag_at(open, "<template") ? template_end(open + 9)
                                                                : text_end(open);
            if (end == npos) {  // <strong>, <time>, <noscript>, an attribute's "<script", ...
                from = open + 1;
                continue;
            }
            hidden_.emplace_back(open, end);
            listed_to_ = end;
            return;
        }
    }

    std::string_view html_;
    // The lists below live here up to 2 KiB (some 30 elements before the
    // price): most pages allocate nothing for them.
    std::array<std::byte, 2048> arena_;
    std::pmr::monotonic_buffer_resource memory_{arena_.data(), arena_.size()};
    std::pmr::vector<std::pair<std::size_t, std::size_t>> hidden_{&memory_};  // [begin, end), in order
    std::size_t listed_to_ = 0;  // where listing hidden elements goes on
    std::pmr::vector<std::pair<std::size_t, std::size_t>> blocks_{&memory_};  // JSON-LD, [begin, end)
    std::size_t next_block_ = 0;  // where listing blocks goes on
    std::array<std::pair<std::string_view, std::size_t>, 16> first_{};  // first occurrences found
    std::size_t count_ = 0;
    std::array<std::size_t, 256> anchors_{};  // where "price" occurs, in order
    std::size_t anchors_count_ = 0;
    bool listed_ = false;
    static constexpr int max_ld_scans = 256;
    int ld_scans_ = 0;
    std::string_view visible_capture_;
    visible_read visible_;
};

// Where a match of rule that contains the literal at `at` can start at the
// earliest.
std::size_t search_start(const compiled_rule& rule, std::string_view text, std::size_t at) {
    const std::size_t floor = at > max_lead ? at - max_lead : 0;
    if (rule.before == lead::none) return at;
    if (rule.before == lead::max_lead) return floor;
    std::size_t tag_end = text.substr(floor, at - floor).rfind('>');
    return tag_end == std::string_view::npos ? floor : floor + tag_end + 1;
}

// Runs re on text from start (to the end), anchored there or not. nullopt
// when it does not match; else the first capture group that took part, or
// an empty optional inside when none did.
std::optional<std::optional<std::string_view>> match_at(const RE2& re, std::string_view text,
                                                        std::size_t start, RE2::Anchor anchor) {
    re2::StringPiece groups[5];
    int n = std::min(re.NumberOfCapturingGroups() + 1, 5);
    if (!re.Match(re2::StringPiece(text.data(), text.size()), start, text.size(), anchor, groups, n))
        return std::nullopt;
    for (int i = 1; i < n; ++i)
        if (groups[i].data() != nullptr) return std::string_view(groups[i].data(), groups[i].size());
    return std::optional<std::string_view>();
}

// Occurrences of a rule's literal tried one by one before one plain search
// from the current one on.
constexpr int max_candidates = 32;

// Whether the start tag `tag` ("<s ...>") is <s>, <del> or <strike>.
bool struck_tag(std::string_view tag) {
    const char first = tag.size() > 1 ? static_cast<char>(tag[1] | 0x20) : '\0';
    if (first != 's' && first != 'd') return false;
    for (std::string_view name : {"<s", "<del", "<strike"}) {
        if (!matches_nocase_at(tag, 0, name)) continue;
        const char next = tag.size() > name.size() ? tag[name.size()] : '>';
        if (next == '>' || next == '/' || is_space(next)) return true;
    }
    return false;
}

// Class names (and Magento's data-price-type="oldPrice") that mark a price
// that does not apply: an old one, or a list price beside the price asked
// (BigCommerce's "price price--rrp" for MSRP, "price price--non-sale" for
// the price before a sale). Not "regular-price": Magento 1 wraps the price
// in it when there is no sale.
constexpr std::string_view old_price_marks[] = {
    "old-price", "oldprice", "price-old", "price--old", "was-price", "price-was",
    "compare-at", "price--rrp", "rrp-price", "msrp", "price--non-sale",
};

bool has_old_price_mark(std::string_view tag) {
    // Each mark holds "old", "was", "com", "rrp", "msr" or "non": look for
    // those first.
    bool maybe = false;
    for (std::size_t i = 0; i + 2 < tag.size() && !maybe; ++i) {
        const char a = static_cast<char>(tag[i] | 0x20), b = static_cast<char>(tag[i + 1] | 0x20),
                   c = static_cast<char>(tag[i + 2] | 0x20);
        maybe = (a == 'o' && b == 'l' && c == 'd') || (a == 'w' && b == 'a' && c == 's') ||
                (a == 'c' && b == 'o' && c == 'm') ||
                (a == 'r' && b == 'r' && c == 'p') || (a == 'm' && b == 's' && c == 'r') ||
                (a == 'n' && b == 'o' && c == 'n');
    }
    // A mark is a word of a class or attribute value: not the end of
    // another word ("gold-price", "bold-price"), nor an attribute's name
    // (data-was-price="...").
    auto marks_at = [&](std::string_view mark) {
        for (std::size_t from = 0;;) {
            const std::size_t at = find_ascii_nocase(tag.substr(from), mark);
            if (at == std::string_view::npos) return false;
            const std::size_t begin = from + at, end = begin + mark.size();
            // A lower-case letter, then the mark's upper-case one, is a
            // boundary too ("productOldPrice").
            const bool camel = begin > 0 && std::islower(static_cast<unsigned char>(tag[begin - 1])) &&
                               std::isupper(static_cast<unsigned char>(tag[begin]));
            const bool word_before =
                begin > 0 && std::isalnum(static_cast<unsigned char>(tag[begin - 1])) && !camel;
            if (!word_before && (end >= tag.size() || tag[end] != '=')) return true;
            from = begin + 1;
        }
    };
    return maybe && std::any_of(std::begin(old_price_marks), std::end(old_price_marks), marks_at);
}

// Whether the element whose text starts at `inside`, or an element opened
// right before it (only whitespace and start tags between, four at most),
// has a start tag that `marked` says yes to.
template <typename Marked>
bool enclosing_tag_marked(std::string_view text, std::size_t inside, Marked marked) {
    std::size_t end = inside;  // just past the '>' of the tag looked at
    for (int depth = 0; depth < 4 && end > 0 && text[end - 1] == '>'; ++depth) {
        const std::size_t lt = text.rfind('<', end - 1);
        if (lt == std::string_view::npos) return false;
        const std::string_view tag = text.substr(lt, end - lt);
        if (tag.size() < 2 || tag[1] == '/' || tag[1] == '!') return false;  // not an enclosing element
        if (marked(tag)) return true;
        end = lt;
        while (end > 0 && is_space(text[end - 1])) --end;
    }
    return false;
}

// Whether the element whose text starts at `inside` shows a struck or old
// price: it, or an element opened right before it, is <s>, <del> or
// <strike> or has an old-price mark.
bool old_price_at(std::string_view text, std::size_t inside) {
    return enclosing_tag_marked(text, inside,
                                [](std::string_view tag) { return struck_tag(tag) || has_old_price_mark(tag); });
}

// Class names and ids of a price without tax shown beside the one with it
// (Magento's "price-excluding-tax", PrestaShop's "product-without-taxes").
constexpr std::string_view net_price_marks[] = {
    "excluding-tax", "excluding_tax", "excl-tax", "excl_tax", "tax-excl", "price-excl", "without-tax",
    "ex-vat", "excl-vat", "exc-vat",
};

bool net_price_at(std::string_view text, std::size_t inside) {
    return enclosing_tag_marked(text, inside, [](std::string_view tag) {
        return std::any_of(std::begin(net_price_marks), std::end(net_price_marks), [&](std::string_view mark) {
            return find_ascii_nocase(tag, mark) != std::string_view::npos;
        });
    });
}

// Words that label an old price where it is shown ("Was $29.99", "List
// Price: $49.99", "UVP 39,99 €", "29,99 € statt 39,99 €"), matched
// without regard to ASCII case as whole words; those ending in ':' only
// with it. "Regular price" is left out: themes label the current price so
// when there is no sale.
// Also a reference price beside the price: the lowest of the last 30 days
// (the EU's Omnibus rule), a saving, India's MRP.
constexpr std::string_view old_price_labels[] = {
    "was", "reg", "reg.", "regularly", "previously", "originally", "original price", "list price", "list:",
    "typical price", "rrp", "msrp", "compare at", "you save", "lowest price", "mrp", "m.r.p", "m.r.p.",
    "uvp", "statt", "vorher", "sie sparen", "niedrigster preis", "au lieu de", "prix barr\u00e9", "ancien prix",
    "vous \u00e9conomisez", "prix le plus bas", "antes", "de:", "invece di", "voorheen", "tidigare pris",
    "najni\u017csza cena",
    "\u901a\u5e38\u4fa1\u683c",                          // 通常価格
    "\u5b9a\u4fa1",                                        // 定価
    "\u53c2\u8003\u4fa1\u683c",                          // 参考価格
    "\u30e1\u30fc\u30ab\u30fc\u5e0c\u671b\u5c0f\u58f2\u4fa1\u683c",  // メーカー希望小売価格
};

// Labels of a reference price that go on after them ("Niedrigster Preis
// der letzten 30 Tage:", "Lowest price in 30 days:"): in the text right
// before a price element, they count at its start too, when it ends in a
// colon.
constexpr std::string_view reference_price_labels[] = {
    "lowest price", "niedrigster preis", "prix le plus bas", "najni\u017csza cena"};

// Words that label the current price after an old one in the same text
// ("Was $29.99 Now $19.99").
constexpr std::string_view current_price_labels[] = {
    "now", "sale", "today", "only", "our price", "jetzt", "nur", "maintenant", "ahora", "por",
    "\u8ca9\u58f2\u4fa1\u683c",  // 販売価格
    "\u7279\u4fa1",                // 特価
};

bool ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Whether `label` ("list:") is written in s at `at` as a whole word: no
// letter right before or after it.
bool label_at(std::string_view s, std::size_t at, std::string_view label) {
    const bool colon = label.ends_with(':');
    if (colon) label.remove_suffix(1);
    if (!matches_nocase_at(s, at, label)) return false;
    if (at > 0 && ascii_letter(s[at - 1])) return false;
    const std::size_t end = at + label.size();
    if (colon) return end < s.size() && s[end] == ':';
    return end >= s.size() || !ascii_letter(s[end]) || label.back() == '.';
}

// Whether the price text s starts with an old-price label.
bool starts_with_old_label(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return std::any_of(std::begin(old_price_labels), std::end(old_price_labels),
                       [&](auto label) { return label_at(s, 0, label); });
}

// Where the first current-price label after `from` in s starts; npos when none.
std::size_t current_label_after(std::string_view s, std::size_t from) {
    for (std::size_t i = from; i < s.size(); ++i) {
        if (i > 0 && ascii_letter(s[i - 1])) continue;
        for (std::string_view label : current_price_labels)
            if (label_at(s, i, label)) return i;
    }
    return std::string_view::npos;
}

// The text shown right before the element whose text starts at `inside`
// ("Was: <span class=price>", "<span>UVP</span> <span class=price>"),
// looked for past at most four tags and whitespace, within 256 bytes: its
// last run of text (64 bytes at most), without a colon at its end (then
// `colon`) or a note in brackets before that ("通常価格(税込)：").
struct label_before {
    std::string_view run;
    bool colon = false;
};

label_before shown_label_before(std::string_view text, std::size_t inside) {
    const std::size_t floor = inside > 256 ? inside - 256 : 0;
    std::size_t end = inside;
    for (int tags = 0; end > floor; ) {
        if (is_space(text[end - 1])) {
            --end;
        } else if (end - floor >= 6 && text.substr(0, end).ends_with("&nbsp;")) {
            end -= 6;
        } else if (text[end - 1] == '>') {
            const std::size_t lt = text.substr(floor, end - 1 - floor).rfind('<');
            if (lt == std::string_view::npos || ++tags > 4) return {};
            end = floor + lt;
        } else {
            break;
        }
    }
    // The text before `end`, back to the tag before it.
    std::size_t begin = end;
    while (begin > floor && text[begin - 1] != '>' && end - begin < 64) --begin;
    label_before label{text.substr(begin, end - begin)};
    std::string_view& run = label.run;
    auto trim = [&] {
        for (;;) {
            if (!run.empty() && is_space(run.back())) run.remove_suffix(1);
            else if (run.ends_with("&nbsp;")) run.remove_suffix(6);
            else return;
        }
    };
    trim();
    label.colon = run.ends_with(':') || run.ends_with("\uFF1A");  // or a full-width one
    if (label.colon) run.remove_suffix(run.ends_with(':') ? 1 : 3);
    trim();
    // A note in brackets after the label: "通常価格(税込)：", "Was (incl. VAT):".
    for (std::string_view close : {")", "\uFF09"}) {
        if (!run.ends_with(close)) continue;
        const std::size_t ascii = run.rfind('('), wide = run.rfind("\uFF08");
        const std::size_t open = ascii == std::string_view::npos ? wide
                                 : wide == std::string_view::npos ? ascii
                                                                  : std::max(ascii, wide);
        if (open != std::string_view::npos && run.size() - open <= 32) run = run.substr(0, open);
        trim();
    }
    return label;
}

// Whether run ends with `label` as a whole word.
bool ends_with_label(std::string_view run, std::string_view label) {
    if (run.size() < label.size()) return false;
    const std::size_t at = run.size() - label.size();
    return matches_nocase_at(run, at, label) && (at == 0 || !ascii_letter(run[at - 1]));
}

// Whether the text shown right before a price element (shown_label_before)
// ends with an old-price label.
bool old_label(const label_before& label) {
    std::string_view start = label.run;
    while (!start.empty() && is_space(start.front())) start.remove_prefix(1);
    if (label.colon && std::any_of(std::begin(reference_price_labels), std::end(reference_price_labels),
                                   [&](std::string_view l) { return label_at(start, 0, l); }))
        return true;
    return std::any_of(std::begin(old_price_labels), std::end(old_price_labels), [&](std::string_view l) {
        const bool needs_colon = l.ends_with(':');
        if (needs_colon) {
            if (!label.colon) return false;
            l.remove_suffix(1);
        }
        return ends_with_label(label.run, l);
    });
}

// Labels of a price without tax shown beside the one with it ("Excl. Tax:
// €10.00 Incl. Tax: €12.10"), matched at the end of the text before it.
constexpr std::string_view net_price_labels[] = {
    "excl. tax", "excl tax", "excluding tax", "excl. vat", "excl vat", "ex. vat", "ex vat", "excluding vat",
    "exkl. mwst.", "exkl. mwst", "netto", "hors taxes", "excl. btw", "exkl. moms",
};

bool net_label(const label_before& label) {
    return std::any_of(std::begin(net_price_labels), std::end(net_price_labels),
                       [&](std::string_view l) { return ends_with_label(label.run, l); });
}

// Labels written after a price without tax ("16,66 € HT", "16,80 €
// <small>zzgl. MwSt.</small>"). Not "zzgl. Versand" (plus shipping), which
// follows prices with tax too.
constexpr std::string_view net_price_labels_after[] = {
    "ht", "h.t.", "hors taxes", "zzgl. mwst", "zzgl. ust", "exkl. mwst", "excl. vat", "excl vat", "ex. vat",
    "ex vat", "excl. tax", "excl tax", "+ vat", "plus vat", "netto", "excl. btw", "exkl. moms", "sin iva",
    "+ iva", "iva excluida", "iva esclusa",
};

// Whether the price text `capture` (an element's text up to its first tag)
// is followed by a net-price label: in it, after the amount, or in the
// text shown right after the element (past at most four tags and
// whitespace).
bool net_label_after(std::string_view text, std::string_view capture) {
    if (capture.empty() || capture.front() == '<') return false;
    auto label_starts = [](std::string_view run) {
        for (;;) {  // past blanks and the currency's signs
            if (!run.empty() && (is_space(run.front()) || run.front() == '*')) run.remove_prefix(1);
            else if (run.starts_with("&nbsp;")) run.remove_prefix(6);
            else break;
        }
        return std::any_of(std::begin(net_price_labels_after), std::end(net_price_labels_after),
                           [&](std::string_view l) { return label_at(run, 0, l); });
    };
    // In the element's text: what follows its last digit, past a currency.
    const std::size_t last_digit = capture.find_last_of("0123456789");
    if (last_digit == std::string_view::npos) return false;
    std::string_view rest = capture.substr(last_digit + 1);
    for (std::size_t i = 0; i < rest.size() && i < 24; ++i) {
        if ((i == 0 || !ascii_letter(rest[i - 1])) && label_starts(rest.substr(i))) return true;
    }
    // After the element.
    std::size_t at = static_cast<std::size_t>(capture.data() - text.data()) + capture.size();
    const std::size_t limit = std::min(text.size(), at + 256);
    for (int tags = 0; at < limit;) {
        if (is_space(text[at])) {
            ++at;
        } else if (text.substr(at).starts_with("&nbsp;")) {
            at += 6;
        } else if (text[at] == '<') {
            const std::size_t gt = text.find('>', at);
            if (gt == std::string_view::npos || gt >= limit || ++tags > 4) return false;
            at = gt + 1;
        } else {
            break;
        }
    }
    return at < limit && label_starts(text.substr(at, std::min<std::size_t>(64, limit - at)));
}

// Marks and labels of the price with tax, looked for within 1 KiB after a
// price without it: only then does that one give way (a shop that shows
// prices without tax alone keeps its price, not a related product's).
constexpr std::string_view gross_price_marks[] = {
    "including-tax", "including_tax", "incl-tax", "incl_tax", "tax-incl", "price-incl", "with-tax",
    "incl. tax", "incl tax", "including tax", "incl. vat", "incl vat", "inc. vat", "inc vat", "including vat",
    "inkl. mwst", "brutto", "ttc", "incl. btw", "inkl. moms",
};

bool gross_price_after(std::string_view text, std::size_t at) {
    const std::string_view after = text.substr(at, 1024);
    return std::any_of(std::begin(gross_price_marks), std::end(gross_price_marks),
                       [&](std::string_view m) { return find_ascii_nocase(after, m) != std::string_view::npos; });
}

bool has_digit(std::string_view s) {
    return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The name of the tag that starts at text[lt] ("<span class=x>", "</span>":
// "span"), as written.
std::string_view tag_name(std::string_view text, std::size_t lt) {
    std::size_t begin = lt + 1;
    if (begin < text.size() && text[begin] == '/') ++begin;
    std::size_t end = begin;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '-')) ++end;
    return text.substr(begin, end - begin);
}

bool is_void_element(std::string_view name) {
    constexpr std::string_view names[] = {"area", "base", "br",   "col",   "embed",  "hr",  "img",
                                          "input", "link", "meta", "source", "track", "wbr"};
    return std::any_of(std::begin(names), std::end(names), [&](auto n) { return ascii_iequals(name, n); });
}

// Classes of text meant for screen readers only (WooCommerce's "Original
// price was: £25.00." beside the struck price), not shown.
bool has_screen_reader_mark(std::string_view tag) {
    constexpr std::string_view marks[] = {"screen-reader-text", "sr-only", "visually-hidden", "visuallyhidden"};
    return std::any_of(std::begin(marks), std::end(marks),
                       [&](auto mark) { return find_ascii_nocase(tag, mark) != std::string_view::npos; });
}

// Past the end tag of the element `name` whose start tag ends at `from`
// (elements of its name inside it counted); npos when it does not end
// before `limit`.
std::size_t past_element(std::string_view text, std::string_view name, std::size_t from, std::size_t limit) {
    int depth = 1;
    for (std::size_t lt = from; (lt = text.find('<', lt)) < limit; ++lt) {
        const bool end_tag = lt + 1 < text.size() && text[lt + 1] == '/';
        if (!ascii_iequals(tag_name(text, lt), name)) continue;
        if (end_tag && --depth == 0) {
            const std::size_t gt = text.substr(0, limit).find('>', lt);
            return gt == std::string_view::npos ? std::string_view::npos : gt + 1;
        }
        if (!end_tag) ++depth;
    }
    return std::string_view::npos;
}

// Adds the text of another element to the price text read so far: the two
// meet without a blank, as shown ("$1,299" and ".99", "$" and "19.99",
// "19" and "€99"), but for ASCII text right after a number ("19.99" and
// "12" stay two numbers, "19.99" and "USD" two words) and a number after a
// number's currency ("20,00 €" and "25,00 €": the "€" stays the first
// one's).
void append_element_text(std::string& price, std::string_view t) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!t.empty() && !price.empty()) {
        const char last = price.back();
        // (A symbol after it stays glued, as "19" and "€" or "€99" show it.)
        const bool after_number = digit(last) && t.front() != '.' && t.front() != ',' &&
                                  static_cast<unsigned char>(t.front()) < 0x80;
        // (But for two digits alone: French cents after the currency, "19€" and "99".)
        const bool cents = t.size() == 2 && digit(t[0]) && digit(t[1]);
        const bool after_currency = digit(t.front()) && !digit(last) && !is_space(last) && last != '.' &&
                                    last != ',' && last != '-' && has_digit(price) && !cents;
        if (after_number || after_currency) price += ' ';
    }
    price.append(t);
}

// Adds the inside of a <sup> to the price text read so far: cents after a
// whole number are joined with a point ("$19" and "99": "$19.99"; "19,"
// and "99": "19,99"; "$49" and ".99": "$49.99"), anything else as it is.
void append_sup(std::string& price, std::string_view sup) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    while (!sup.empty() && is_space(sup.front())) sup.remove_prefix(1);
    while (!sup.empty() && is_space(sup.back())) sup.remove_suffix(1);
    std::string_view cents = sup;
    char point = '.';
    if (!cents.empty() && (cents.front() == '.' || cents.front() == ',')) {
        point = cents.front();
        cents.remove_prefix(1);
    }
    std::size_t end = price.size();
    while (end > 0 && is_space(price[end - 1])) --end;
    const bool after_point = end > 1 && (price[end - 1] == '.' || price[end - 1] == ',') && digit(price[end - 2]);
    const bool after_whole = end > 0 && digit(price[end - 1]) &&
                             !(end >= 3 && (price[end - 3] == '.' || price[end - 3] == ','));  // no cents yet
    if (cents.size() != 2 || !digit(cents[0]) || !digit(cents[1]) || !(after_point || after_whole)) {
        append_element_text(price, sup);
        return;
    }
    price.resize(end);
    if (!after_point) price += point;
    price.append(cents);
}

// Which elements shown_price_text leaves out.
enum class leave_out {
    old_prices,  // struck ones (<s>, <del>, <strike>) and those with an old-price mark too
    hidden,      // only text for screen readers, scripts, styles and templates
};

// The price a price element shows, read from `from` (in the element) to its
// end tag, at most 1 KiB: the text of its elements, but for those `what`
// leaves out; cents in a <sup> after a whole number joined with a point
// ("<span>$</span>19<sup>99</sup>" is "$19.99"). Every search stops at
// the 1 KiB: a page of many price elements costs no scan of it each.
std::string shown_price_text(std::string_view text, std::size_t from, leave_out what = leave_out::old_prices) {
    constexpr std::size_t npos = std::string_view::npos;
    const std::size_t limit = std::min(text.size(), from + 1024);
    const std::string_view window = text.substr(0, limit);
    std::string price;
    int depth = 0;
    for (std::size_t pos = from; pos < limit;) {
        const std::size_t lt = std::min(window.find('<', pos), limit);
        append_element_text(price, text.substr(pos, lt - pos));
        if (lt == limit) break;
        if (matches_nocase_at(window, lt, "<!--")) {
            const std::size_t close = window.find("-->", lt + 4);
            if (close == npos) break;
            pos = close + 3;
            continue;
        }
        const std::string_view name = tag_name(window, lt);
        if (name.empty()) {  // a '<' that starts no tag: text
            const std::size_t next = std::min(window.find('<', lt + 1), limit);
            price.append(text.substr(lt, next - lt));
            pos = next;
            continue;
        }
        const std::size_t gt = window.find('>', lt);
        if (gt == npos) break;
        pos = gt + 1;
        const std::string_view tag = text.substr(lt, gt + 1 - lt);
        if (tag[1] == '/') {
            if (--depth < 0) break;  // the price element's end tag
        } else if (is_void_element(name) || tag.ends_with("/>")) {
        } else if ((what == leave_out::old_prices && (struck_tag(tag) || has_old_price_mark(tag))) ||
                   has_screen_reader_mark(tag) || ascii_iequals(name, "script") || ascii_iequals(name, "style") ||
                   ascii_iequals(name, "template")) {
            pos = past_element(text, name, gt + 1, limit);
            if (pos == npos) break;
        } else if (const std::size_t close = window.substr(0, gt + 65).find('<', gt + 1);
                   ascii_iequals(name, "sup") && close != npos && matches_nocase_at(window, close, "</sup")) {
            append_sup(price, text.substr(gt + 1, close - gt - 1));
            const std::size_t end = window.find('>', close);
            if (end == npos) break;
            pos = end + 1;
        } else {
            ++depth;
        }
    }
    return html_to_text(price);
}

// What a visible price rule's match shows: the price its element shows
// (shown_price_text) when the match is a child element's start tag, text
// without a digit (a currency in a <span> of its own, a label, only
// whitespace) or text followed by a child element ("$1,299<span>.99</span>",
// "$19<sup>99</sup>"); else the text. An element whose only number is in
// struck or old-price children gives that (an old price).
visible_read read_shown(std::string_view text, std::string_view capture) {
    const auto at = static_cast<std::size_t>(capture.data() - text.data());
    const std::size_t after = at + capture.size();
    const bool child_after = after + 1 < text.size() && text[after] == '<' &&
                             std::isalpha(static_cast<unsigned char>(text[after + 1]));
    if (!capture.starts_with('<') && has_digit(capture) && !child_after) return {html_to_text(capture)};
    visible_read r{shown_price_text(text, at)};
    if (has_digit(r.text)) return r;
    std::string with_old = shown_price_text(text, at, leave_out::hidden);
    if (has_digit(with_old)) return {std::move(with_old), true};
    return r;
}

// What a visible price rule's match reads: what it shows (read_shown),
// an old price when that starts with an old-price label ("Was $29.99"),
// unless a current-price label follows the old number with a price naming
// its currency after it ("Was $29.99 Now $19.99": read from "Now").
visible_read read_visible(std::string_view text, std::string_view capture) {
    visible_read r = read_shown(text, capture);
    if (!starts_with_old_label(r.text)) return r;
    // The current label after the old price's number, a price naming its
    // currency after it ("Was $29.99 Only 2 left" and "Was only $29.99"
    // are old prices).
    const std::size_t digit = r.text.find_first_of("0123456789");
    const std::size_t now = digit == std::string::npos ? digit : current_label_after(r.text, digit);
    const auto current = now == std::string::npos ? std::nullopt : parse_price(std::string_view(r.text).substr(now));
    if (current && !current->currency.empty()) {
        r.text.erase(0, now);
    } else {
        r.only_old = true;
    }
    return r;
}

// What the JSON object around a "price" value in JSON-LD says of it, by its
// own members (not those of objects inside it).
struct ld_offer {
    // Its "priceType" names schema.org's StrikethroughPrice, ListPrice, MSRP
    // or SRP: a price before a sale (Google's sale markup puts the old price
    // in such a priceSpecification beside the price).
    bool struck = false;
    // Its "availability" is schema.org's OutOfStock, SoldOut or Discontinued.
    bool unavailable = false;
    // It is an offer of an object with a "lowPrice" (an AggregateOffer's
    // "offers": {...} or [{...}, ...]): the range's lowPrice, not one
    // offer's price, is the price.
    bool in_range = false;
    std::string currency;  // its "priceCurrency", as written; "" when none
};

// Whether str is one of names, as written or as a schema.org URL
// ("https://schema.org/ListPrice", "schema:ListPrice").
bool schema_name_is(std::string_view str, std::initializer_list<std::string_view> names) {
    for (std::string_view name : names) {
        if (str.size() < name.size() || !ascii_iequals(str.substr(str.size() - name.size()), name)) continue;
        if (str.size() == name.size()) return true;
        const char before = str[str.size() - name.size() - 1];
        if (before == '/' || before == ':') return true;
    }
    return false;
}

// Where the JSON object or array that text[at] lies in starts, looked for
// within `reach` bytes before at; npos when not found.
std::size_t ld_open_before(std::string_view text, std::size_t at, std::size_t reach) {
    int depth = 0;
    for (std::size_t i = at; i > 0 && at - i < reach;) {
        const char c = text[--i];
        if (c == '}' || c == ']') ++depth;
        else if ((c == '{' || c == '[') && depth-- == 0) return i;
    }
    return std::string_view::npos;
}

// Calls on_string(str, depth, after_colon) for each string of the object
// whose '{' is at text[open], up to `end` (depth 0: the object's own level;
// after_colon: a member's value, not its key), until it returns false.
template <typename OnString>
void ld_walk_strings(std::string_view text, std::size_t open, std::size_t end, OnString on_string) {
    bool after_colon = false;
    int depth = 0;
    for (std::size_t i = open + 1; i < end; ++i) {
        const char c = text[i];
        if (c == '"') {
            std::size_t j = i + 1;
            while (j < end && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
            if (j >= end) return;
            if (!on_string(text.substr(i + 1, j - i - 1), depth, after_colon)) return;
            after_colon = false;
            i = j;
        } else if (c == ':') {
            after_colon = true;
        } else if (c == ',') {
            after_colon = false;  // a value that is no string (40.00, null) ended
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth-- == 0) return;
        }
    }
}

// Calls member(key, value) for each member of the object whose '{' is at
// text[open] whose value is a string, up to `end`: strings read whole,
// nested values skipped.
template <typename Member>
void ld_string_members(std::string_view text, std::size_t open, std::size_t end, Member member) {
    std::string_view previous;  // the last string at the object's level
    ld_walk_strings(text, open, end, [&](std::string_view str, int depth, bool after_colon) {
        if (depth == 0 && after_colon) member(previous, str);
        if (depth == 0) previous = str;
        return true;
    });
}

// Whether the object whose '{' is at text[open] has a "lowPrice" member
// (of any value), looked for up to `end`.
bool ld_has_low_price(std::string_view text, std::size_t open, std::size_t end) {
    bool found = false;
    ld_walk_strings(text, open, end, [&](std::string_view str, int depth, bool after_colon) {
        found = depth == 0 && !after_colon && str == "lowPrice";
        return !found;
    });
    return found;
}

// The object around text[at], its start looked for within 4 KiB before and
// its members within 16 KiB after (a long shippingDetails list may come
// before priceCurrency); braces in strings before `at` are not told apart.
ld_offer ld_offer_at(std::string_view text, std::size_t at, bool range_possible) {
    constexpr std::size_t reach = 4096;
    ld_offer offer;
    const std::size_t open = ld_open_before(text, at, reach);
    if (open == std::string_view::npos || text[open] != '{') return offer;
    ld_string_members(text, open, std::min(text.size(), at + 4 * reach),
                      [&](std::string_view key, std::string_view value) {
                          if (key == "priceType")
                              offer.struck = offer.struck || schema_name_is(value, {"StrikethroughPrice", "ListPrice", "MSRP", "SRP"});
                          else if (key == "availability")
                              offer.unavailable = schema_name_is(value, {"OutOfStock", "SoldOut", "Discontinued"});
                          else if (key == "priceCurrency" && offer.currency.empty())
                              offer.currency.assign(value);
                      });
    if (range_possible) {
        std::size_t parent = ld_open_before(text, open, reach);
        if (parent != std::string_view::npos && text[parent] == '[') parent = ld_open_before(text, parent, reach);
        offer.in_range = parent != std::string_view::npos && text[parent] == '{' &&
                         ld_has_low_price(text, parent, std::min(text.size(), at + 4 * reach));
    }
    return offer;
}

// What a price rule's match is worth: the value; a value of second choice
// (taken when the rule has no match worth taking: an offer out of stock);
// an old price (taken only when the rule has no other match, and giving
// way to a later rule's value); or no match at all (a "price" key outside
// JSON-LD); or a price without tax shown beside the price with it, which
// gives way to the next match when that one is its price with tax.
enum class verdict { take, second, old, reject, net };

verdict judge(const compiled_rule& rule, std::string_view text, std::string_view capture,
              literal_positions& literals) {
    const auto at = static_cast<std::size_t>(capture.data() - text.data());
    if (rule.source == price_source::ld_json) {
        if (!literals.in_ld_json(at)) return verdict::reject;
        if (!literals.may_scan_ld_object()) return verdict::take;
        const ld_offer offer = ld_offer_at(text, at, literals.find("\"lowprice\"") != std::string_view::npos);
        return offer.struck || offer.in_range ? verdict::old : offer.unavailable ? verdict::second : verdict::take;
    }
    // For a child element (or a comment) the price element's tag is before the blanks.
    std::size_t inside = at;
    while (capture.starts_with('<') && inside > 0 && is_space(text[inside - 1])) --inside;
    // Markup in a comment, a template or a text element is not the page's
    // (a comment that is the match itself is the price element's).
    const std::size_t where = capture.starts_with("<!--") && inside > 0 ? inside - 1 : at;
    if (rule.markup && literals.hidden_end(where) != 0) return verdict::reject;
    if (rule.source != price_source::visible) return verdict::take;
    const label_before label = shown_label_before(text, inside);
    if (old_price_at(text, inside) || old_label(label) ||
        literals.visible_at(capture, [&] { return read_visible(text, capture); }).only_old)
        return verdict::old;
    // A price without tax gives way to the one with it beside it.
    return (net_price_at(text, inside) || net_label(label) || net_label_after(text, capture)) &&
                   gross_price_after(text, at)
               ? verdict::net
               : verdict::take;
}

// Matches of a rule read without a value (a price element holding only a
// label, or no number) before the rule gives up on the page.
constexpr int max_unread = 16;

// Sets `out` to what `read` makes of the first capture group of the rule's
// first match in text (the leftmost, as an unanchored search would find it)
// that judge() takes and that reads as a value; failing that, of its first
// old one that does. read(capture) returns a std::optional (nullopt: no
// value). Every match contains an occurrence of the literal, and starts at
// it (lead::none) or in its tag (lead::in_tag): so the match is tried,
// anchored, at each occurrence in turn, and a page where "price" appears
// often without a match is not searched to its end once per rule. Each
// match is read at most once, and at most max_unread of them without a
// value. REQUIRES: out is empty.
// A match of second choice is taken when no match is taken, before an old
// one; the first one with a value is kept for the end, like the first old
// one. A value that weak(value) calls weak (a price of zero: a header's
// empty cart, a placeholder) is taken only when there is no other, old ones
// included, and counts as read without a value; so does an old (or second)
// match once the rule holds an old (or second) value.
// When `old_taken` is given, it says whether out is an old one.
// A price without tax (verdict::net) is taken unless the match right after
// it reads as its price with tax (with_tax(net, next)): then that one is.
template <typename Read, typename Value, typename Weak = bool (*)(const Value&),
          typename WithTax = bool (*)(const Value&, const Value&)>
void first_value(const compiled_rule& rule, std::string_view text, literal_positions& literals,
                 Read read, std::optional<Value>& out, Weak weak = [](const Value&) { return false; },
                 bool* old_taken = nullptr,
                 WithTax with_tax = [](const Value&, const Value&) { return false; }) {
    constexpr std::size_t npos = std::string_view::npos;
    std::size_t at = literals.find(rule.literal);
    if (at == npos) return;
    std::optional<Value> second, old, weak_one, net;
    int unread = 0;
    // Whether the match m ends the search: one taken that reads as a value
    // (then in out), or one too many without a value. The first old one
    // with a value is kept for the end.
    auto taken = [&](const std::optional<std::string_view>& m) {
        if (!m) return true;  // no group took part: nothing to read
        const verdict v = judge(rule, text, *m, literals);
        if (v == verdict::reject) return false;
        if (net) {  // the match after a price without tax: its price with tax, or not
            std::optional<Value> value = read(*m);
            const bool gross = value && v != verdict::old && !weak(*value) && with_tax(*net, *value);
            out = gross ? std::move(value) : std::move(net);
            return true;
        }
        std::optional<Value>& keep = v == verdict::old      ? old
                                     : v == verdict::second ? second
                                     : v == verdict::net    ? net
                                                            : out;
        if (keep) return ++unread == max_unread;  // each was read to judge it
        std::optional<Value> value = read(*m);
        if (!value) return ++unread == max_unread;
        if (weak(*value)) {
            if (!weak_one) weak_one = std::move(value);
            return ++unread == max_unread;
        }
        keep = std::move(value);
        return v == verdict::take;
    };
    auto finish = [&] {
        if (out) return;
        if (net) {
            out = std::move(net);
            return;
        }
        if (old_taken != nullptr) *old_taken = !second && old;
        out = second ? std::move(second) : old ? std::move(old) : std::move(weak_one);
    };
    // A plain search from start on, past the matches not taken.
    auto search_from = [&](std::size_t start) {
        while (auto m = match_at(*rule.re, text, start, RE2::UNANCHORED)) {
            if (taken(*m)) break;
            start = static_cast<std::size_t>(m->value().data() - text.data()) + m->value().size();
        }
        finish();
    };
    if (rule.before == lead::max_lead) return search_from(search_start(rule, text, at));
    const RE2& at_candidate = rule.at_candidate ? *rule.at_candidate : *rule.re;
    std::size_t tried = npos;  // the last start tried
    int n = 0;
    for (; at != npos; at = literals.find(rule.literal, at + 1)) {
        // One followed by a byte no match has there cannot be the literal
        // of a match, nor can a "price" key outside JSON-LD.
        const std::size_t after = at + rule.literal.size();
        const std::size_t start = search_start(rule, text, at);
        const bool can_match =
            (rule.then.empty() || (after < text.size() && rule.then.find(text[after]) != npos)) &&
            (rule.needs.empty() || find_ascii_nocase(text.substr(start, at - start), rule.needs) != npos) &&
            (rule.source != price_source::ld_json || literals.in_ld_json(at));
        if (can_match && n++ == max_candidates) return search_from(start);
        // Occurrences in one tag share their start.
        if (start != tried && can_match) {
            if (auto m = match_at(at_candidate, text, start, RE2::ANCHOR_START); m && taken(*m)) break;
            tried = start;
        }
    }
    finish();
}

// The text of a <title> element's inside, or nullopt when it has none:
// character references decoded, except in CDATA sections (XHTML's
// <![CDATA[A & B]]>), taken as written; whitespace collapsed.
std::optional<std::string> title_element_text(std::string_view inside) {
    constexpr std::size_t npos = std::string_view::npos;
    std::string text;
    for (std::size_t open; (open = inside.find("<![CDATA[")) != npos;) {
        text += decode_entities(inside.substr(0, open));
        const std::size_t close = inside.find("]]>", open + 9);
        text += inside.substr(open + 9, close == npos ? npos : close - open - 9);
        inside.remove_prefix(close == npos ? inside.size() : close + 3);
    }
    text += decode_entities(inside);
    text = collapse_whitespace(text);
    if (text.empty()) return std::nullopt;
    return text;
}


// The text of a JSON string's inside: its escapes (\", \\, \n, \u20AC and
// surrogate pairs) decoded; a lone surrogate or a bad escape is U+FFFD.
std::string json_string_text(std::string_view s) {
    // The code unit of the \uXXXX at s[at], or -1 when none is there.
    auto unit_at = [s](std::size_t at) -> int {
        if (at + 6 > s.size() || s[at] != '\\' || s[at + 1] != 'u') return -1;
        int v = 0;
        for (std::size_t k = at + 2; k < at + 6; ++k) {
            const int d = hex_digit_value(s[k]);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    };
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '\\') {
            out += s[i];
        } else if (int cp = unit_at(i); cp >= 0) {
            i += 5;
            const int low = cp >= 0xD800 && cp < 0xDC00 ? unit_at(i + 1) : -1;
            if (low >= 0xDC00 && low < 0xE000) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }
            append_utf8(out, static_cast<char32_t>(cp));  // a lone surrogate: U+FFFD
        } else {
            constexpr std::string_view from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
            const std::size_t k = i + 1 < s.size() ? from.find(s[++i]) : std::string_view::npos;
            if (k == std::string_view::npos) out += "\uFFFD";
            else out += to[k];
        }
    }
    return out;
}

// Phrases that say the product cannot be bought now, in any case, their
// words apart by blanks, &nbsp; or hyphens ("Sold out", "Out of stock",
// "Currently unavailable").
std::unique_ptr<RE2> compile_unavailable() {
    const std::string gap = R"re((?:[\s-]|&nbsp;|\x{a0})+)re";
    RE2::Options opt;
    opt.set_log_errors(false);
    // "Almost sold out" and "nearly out of stock" say the opposite: their
    // first word is captured and the match passed over.
    auto re = std::make_unique<RE2>("(?i)\\b(?:(almost|nearly)" + gap + ")?(?:sold" + gap + "out|out" + gap + "of" + gap +
                                        "stock|currently" + gap + "unavailable)\\b",
                                    opt);
    if (!re->ok()) throw std::logic_error("built-in availability phrases: " + re->error());
    return re;
}

// A word of each of those phrases, lower case.
constexpr std::string_view unavailable_words[] = {"sold", "stock", "unavailable"};

// A URL as written in HTML, as browsers read it: tabs and line breaks
// dropped wherever they are (an href wrapped over lines), controls and
// spaces trimmed from both ends.
std::string url_text(std::string_view s) {
    while (!s.empty() && static_cast<unsigned char>(s.front()) <= ' ') s.remove_prefix(1);
    while (!s.empty() && static_cast<unsigned char>(s.back()) <= ' ') s.remove_suffix(1);
    return without_tabs_and_line_breaks(s);
}

// Whether `at` lies inside a tag (in an attribute value, say), not in text:
// the nearest '<' or '>' at or before it is a '<'. Looked for at most
// max_back bytes back (beyond that: text).
bool in_tag(std::string_view html, std::size_t at, std::size_t max_back = std::string_view::npos) {
    const std::size_t stop = at + 1 > max_back ? at + 1 - max_back : 0;
    for (std::size_t i = std::min(at + 1, html.size()); i > stop;) {
        const char c = html[--i];
        if (c == '<') return true;
        if (c == '>') return false;
    }
    return false;
}

// The href of the page's first <base> element that has one (outside
// comments, scripts and the like), entities decoded: the base of the
// page's relative links (HTML's document base URL). nullopt when none.
std::optional<std::string> base_element_href(std::string_view html, literal_positions& literals) {
    constexpr std::size_t npos = std::string_view::npos;
    for (std::size_t at = literals.find("<base"); at != npos; at = literals.find("<base", at + 1)) {
        const char next = at + 5 < html.size() ? html[at + 5] : '>';
        if (!(is_space(next) || next == '/') || literals.hidden_end(at) != 0) continue;
        // Its attributes: name, then = and a quoted or unquoted value, or none.
        for (std::size_t i = at + 5; i < html.size() && html[i] != '>';) {
            if (is_space(html[i]) || html[i] == '/') {
                ++i;
                continue;
            }
            const std::size_t name = i;
            while (i < html.size() && !is_space(html[i]) && html[i] != '=' && html[i] != '>' && html[i] != '/') ++i;
            const std::string_view attribute = html.substr(name, i - name);
            while (i < html.size() && is_space(html[i])) ++i;
            if (i >= html.size() || html[i] != '=') continue;  // no value
            for (++i; i < html.size() && is_space(html[i]);) ++i;
            std::size_t begin = i, end;
            if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
                end = html.find(html[i], ++begin);
                if (end == npos) return std::nullopt;
                i = end + 1;
            } else {
                while (i < html.size() && !is_space(html[i]) && html[i] != '>') ++i;
                end = i;
            }
            if (ascii_iequals(attribute, "href"))
                return decode_entities(html.substr(begin, end - begin), reference_context::attribute);
        }
    }
    return std::nullopt;
}

// Where the main product area starts: the page's first <h1> outside
// comments, scripts and the like (a product page's name), else the top.
std::size_t product_area_start(std::string_view html, literal_positions& literals) {
    constexpr std::size_t npos = std::string_view::npos;
    for (std::size_t at = literals.find("<h1"); at != npos; at = literals.find("<h1", at + 1)) {
        const char next = at + 3 < html.size() ? html[at + 3] : '>';
        if ((next == '>' || is_space(next)) && literals.hidden_end(at) == 0) return at;
    }
    return 0;
}

// Whether the text at `at` is the text of an element for screen readers
// only (its start tag, within 256 bytes before, has a screen-reader mark):
// a variant picker's "Variant sold out or unavailable" beside each choice.
bool in_screen_reader_text(std::string_view html, std::size_t at) {
    const std::size_t floor = at > 256 ? at - 256 : 0;
    const std::size_t lt = html.substr(floor, at - floor).rfind('<');
    if (lt == std::string_view::npos) return false;
    const std::string_view tag = html.substr(floor + lt, at - floor - lt);
    return tag.size() > 1 && tag[1] != '/' && has_screen_reader_mark(tag);
}

// Whether the page's own text says the product cannot be bought (one of
// the `unavailable` phrases, not in a tag, a comment, a script or text for
// screen readers only) in the main product area before `price_at`: a visible price there is then an
// old or a related product's, not an offer.
bool unavailable_before(const RE2& unavailable, std::string_view html, std::size_t price_at,
                        literal_positions& literals) {
    const std::size_t start = product_area_start(html, literals);
    if (start >= price_at) return false;
    // A word of each phrase, looked for first (SIMD-fast): most pages have none.
    const std::string_view area = html.substr(start, price_at - start);
    if (std::none_of(std::begin(unavailable_words), std::end(unavailable_words),
                     [&](std::string_view w) { return find_ascii_nocase(area, w) != std::string_view::npos; }))
        return false;
    const re2::StringPiece text(html.data(), html.size());
    re2::StringPiece m[2];
    // Whether the bytes reached so far are in a tag, followed forward from
    // the area's start: many phrases in one long attribute cost no walk
    // back to its '<' each.
    bool tag = in_tag(html, start);
    std::size_t followed = start;
    auto in_tag_at = [&](std::size_t at) {
        for (; followed <= at; ++followed) {
            if (html[followed] == '<') tag = true;
            else if (html[followed] == '>') tag = false;
        }
        return tag;
    };
    for (std::size_t from = start;
         from < price_at && unavailable.Match(text, from, price_at, RE2::UNANCHORED, m, 2);) {
        const auto at = static_cast<std::size_t>(m[0].data() - html.data());
        if (m[1].data() == nullptr && !in_tag_at(at) && literals.hidden_end(at) == 0 &&
            !in_screen_reader_text(html, at))
            return true;
        from = at + m[0].size();
    }
    return false;
}

// Words of a class or id that start the other products' area of a product
// page (WooCommerce's "related products", Magento's "block related",
// Shopify's "related-products", up-sells and cross-sells), and headings
// that do (OpenCart's "<h3>Related Products</h3>" has no class).
constexpr std::string_view related_marks[] = {"related", "upsell", "up-sell", "crosssell", "cross-sell",
                                              "recently-viewed", "recently_viewed"};
constexpr std::string_view related_headings[] = {
    "related products", "you may also like", "you might also like", "customers also bought",
    "customers who bought", "\u00e4hnliche produkte", "\u00c4hnliche produkte", "produits similaires",
    "productos relacionados",
    "prodotti correlati"};

// Whether html[at] starts a word of the value of a class or id attribute
// (the tag's '<' within 1 KiB before).
bool in_class_or_id(std::string_view html, std::size_t at) {
    if (at > 0 && std::isalnum(static_cast<unsigned char>(html[at - 1]))) return false;
    const std::size_t floor = at > 1024 ? at - 1024 : 0;
    std::size_t i = at;
    while (i > floor && html[i - 1] != '"' && html[i - 1] != '\'' && html[i - 1] != '=' && html[i - 1] != '<' &&
           html[i - 1] != '>')
        --i;
    if (i == floor || html[i - 1] == '<' || html[i - 1] == '>') return false;
    if (html[i - 1] != '=') --i;  // past the opening quote
    if (i == floor || html[i - 1] != '=') return false;
    std::size_t name_end = --i;
    while (name_end > floor && is_space(html[name_end - 1])) --name_end;
    std::size_t name_begin = name_end;
    while (name_begin > floor && (std::isalnum(static_cast<unsigned char>(html[name_begin - 1])) || html[name_begin - 1] == '-'))
        --name_begin;
    const std::string_view name = html.substr(name_begin, name_end - name_begin);
    return (ascii_iequals(name, "class") || ascii_iequals(name, "id")) && in_tag(html, at, 1024);
}

// Whether the other products' area (a related_marks class or id, or an
// element whose whole text is one of the related_headings) starts between the main product area's start
// (its <h1>; only on a page that has one) and `price_at`: a visible price
// there is another product's.
bool related_before(std::string_view html, std::size_t price_at, literal_positions& literals) {
    const std::size_t start = product_area_start(html, literals);
    if (!matches_nocase_at(html, start, "<h1") || start >= price_at) return false;
    const std::string_view area = html.substr(start, price_at - start);
    // Each word's occurrences are looked at, at most 64 of them (a page of
    // many costs no walk back from each).
    auto any_of_word = [&](std::string_view word, auto is_it) {
        std::size_t from = 0;
        for (int n = 0; n < 64; ++n) {
            const std::size_t hit = find_ascii_nocase(area.substr(from), word);
            if (hit == std::string_view::npos) return false;
            const std::size_t where = start + from + hit;
            if (is_it(where) && literals.hidden_end(where) == 0) return true;
            from += hit + 1;
        }
        return false;
    };
    for (std::string_view mark : related_marks)
        if (any_of_word(mark, [&](std::size_t at) { return in_class_or_id(html, at); })) return true;
    // A heading is an element's whole text ("<h3>Related Products</h3>").
    for (std::string_view heading : related_headings) {
        auto whole_text = [&](std::size_t at) {
            std::size_t before = at, after = at + heading.size();
            while (before > 0 && is_space(html[before - 1])) --before;
            while (after < html.size() && (is_space(html[after]) || html[after] == ':')) ++after;
            return before > 0 && html[before - 1] == '>' && after < html.size() && html[after] == '<';
        };
        if (any_of_word(heading, whole_text)) return true;
    }
    return false;
}

bool zero_amount(std::string_view amount) {
    return amount.find_first_not_of("0.") == std::string_view::npos;
}

// The built-in price: the first rule's (in order) that gives one. A
// visible price after an availability phrase gives way to the next rules
// (structured ones later in the order may still hold an offer); an old
// price (struck, or a JSON-LD list price) to any current price of a later
// rule, and a price of zero (an empty cart's, a placeholder's) to any other
// price, of its rule or a later one.
// `local` (locale_currency) tells apart the currencies of a shared symbol
// when neither the page nor the price's JSON-LD object declares one.
std::optional<price> builtin_price(const std::vector<compiled_rule>& rules, const RE2& unavailable,
                                   std::string_view html, literal_positions& literals,
                                   const std::string& currency, std::string_view local) {
    std::optional<price> old, zero;
    for (const auto& rule : rules) {
        const bool visible = rule.source == price_source::visible;
        const auto base_format = visible ? price_format::text : price_format::machine;
        // A match's price and where the match is, if it parses: a label or
        // a text without a number gives way to the rule's next match.
        auto price_at = [&](std::string_view m) -> std::optional<std::pair<price, std::size_t>> {
            const std::string text = visible ? literals.visible_at(m, [&] { return read_visible(html, m); }).text
                                     : rule.source == price_source::ld_json ? html_to_text(json_string_text(m))
                                                                            : html_to_text(m, reference_context::attribute);
            // A JSON-LD price's own priceCurrency beats the page's.
            std::string own;
            if (rule.source == price_source::ld_json && literals.may_scan_ld_object())
                own = currency_code(ld_offer_at(html, static_cast<std::size_t>(m.data() - html.data()), false).currency);
            const auto format = rule.source == price_source::ld_json ? price_format::json : base_format;
            const bool by_locale = own.empty() && currency.empty() && !local.empty();
            auto p = parse_price(text, !own.empty() ? std::string_view(own) : by_locale ? local : currency, format);
            if (!p) return std::nullopt;
            // The locale only chooses among a named symbol's currencies: a
            // price whose text names none is read as without it.
            if (by_locale && p->currency == local)
                if (auto plain = parse_price(text, {}, format); plain->currency.empty()) p = std::move(plain);
            return std::pair(std::move(*p), static_cast<std::size_t>(m.data() - html.data()));
        };
        std::optional<std::pair<price, std::size_t>> found;
        bool old_taken = false;
        // The price with tax shown after one without: in the same currency,
        // at most 28 % more (no VAT is higher), and not another product's.
        auto with_tax = [&](const std::pair<price, std::size_t>& net, const std::pair<price, std::size_t>& next) {
            if (!net.first.currency.empty() && !next.first.currency.empty() && net.first.currency != next.first.currency)
                return false;
            const double without = std::strtod(net.first.amount.c_str(), nullptr);
            const double with = std::strtod(next.first.amount.c_str(), nullptr);
            return without > 0 && with >= without && with <= without * 1.28 &&
                   !related_before(html, next.second, literals);
        };
        first_value(
            rule, html, literals, price_at, found,
            [](const std::pair<price, std::size_t>& p) { return zero_amount(p.first.amount); }, &old_taken,
            with_tax);
        if (!found || (visible && (unavailable_before(unavailable, html, found->second, literals) ||
                                   related_before(html, found->second, literals))))
            continue;
        // An old price, then a price of zero, gives way to a later source's price.
        std::optional<price>& fallback = old_taken ? old : zero;
        if (!old_taken && !zero_amount(found->first.amount)) return std::move(found->first);
        if (!fallback) fallback = std::move(found->first);
    }
    return old ? std::move(old) : std::move(zero);
}

}  // namespace

struct extractor::programs {
    std::vector<compiled_rule> title = compile(title_rules);
    std::vector<compiled_rule> price = compile(price_rules);
    std::vector<compiled_rule> currency = compile(currency_rules);
    std::unique_ptr<RE2> unavailable = compile_unavailable();
};

extractor::extractor() : p_(std::make_unique<programs>()) {}

const extractor& extractor::builtin() {
    static const extractor instance;
    return instance;
}

// ---------------------------------------------------------------------------
// Rule files.

namespace {

// Matches kept per `all = true` rule and page, so one record stays bounded.
constexpr std::size_t max_matches = 10000;

struct named_group {
    std::string name;
    int index = 0;
    value_type type = value_type::text;
};

struct user_rule {
    std::unique_ptr<RE2> re;
    value_type type = value_type::text;
    std::string currency;
    std::vector<std::string> hosts;
    int groups = 0;                  // capture groups in the pattern
    std::vector<named_group> named;  // non-empty: one object per match
};

// What a rule name feeds: a custom field, or the record's title or price, or
// the currency hint of price values.
enum class role { field, title, price, currency };

// The rules sharing one name, tried in order.
struct field_rules {
    std::string name;
    bool all = false;
    role what = role::field;
    std::vector<user_rule> alternatives;
};

// One value, rendered; `text`/`amount` kept for the title, price and hint.
struct value {
    bool present = false;
    std::string json = "null";
    std::string text;                    // string-typed values
    std::optional<shoal::price> amount;  // price values
};

struct page {
    std::string_view html;
    std::string_view host;           // empty: unknown, hosts not checked
    std::optional<target_url> base;  // for url values
    std::string_view hint;           // currency hint for price values
};

[[noreturn]] void rule_error(const rule_file& f, const rule& r, const std::string& message) {
    const std::string line = r.pattern_line > 0 ? "line " + std::to_string(r.pattern_line) + ": " : "";
    throw setup_error(exit_code::usage, f.source + ": rule '" + r.name + "': " + line + message);
}

// A name the pattern gives to more than one capture group, or empty. RE2
// takes (?P<a>x)|(?P<a>y) and keeps only the leftmost group under the name.
std::string repeated_group_name(const RE2& re) {
    const std::map<int, std::string>& names = re.CapturingGroupNames();  // index -> name
    for (auto it = names.begin(); it != names.end(); ++it)
        for (auto later = std::next(it); later != names.end(); ++later)
            if (later->second == it->second) return it->second;
    return {};
}

user_rule compile_rule(const rule_file& f, const rule& r) {
    RE2::Options opt;
    opt.set_log_errors(false);
    opt.set_max_mem(64 << 20);
    user_rule u;
    u.re = std::make_unique<RE2>(r.pattern, opt);
    if (!u.re->ok()) rule_error(f, r, u.re->error());
    u.type = r.type;
    u.currency = r.currency;
    u.hosts = r.hosts;
    u.groups = u.re->NumberOfCapturingGroups();
    if (u.groups == 0) rule_error(f, r, "the pattern has no capture group: put the value in (...)");
    if (const std::string name = repeated_group_name(*u.re); !name.empty())
        rule_error(f, r, "the pattern has more than one group named '" + name +
                             "': give each its own name, or put alternatives in one group, (?P<" + name +
                             ">a|b)");
    for (const auto& [name, index] : u.re->NamedCapturingGroups()) {
        value_type t = name == "price" ? value_type::price : r.type;
        for (const auto& [g, gt] : r.group_types)
            if (g == name) t = gt;
        u.named.push_back({name, index, t});
    }
    std::sort(u.named.begin(), u.named.end(),
              [](const named_group& a, const named_group& b) { return a.index < b.index; });
    // Named groups give an object per match: no title, price or currency.
    if (!u.named.empty() && (r.name == "title" || r.name == "price" || r.name == "currency"))
        rule_error(f, r,
                   "named groups ((?P<" + u.named.front().name + ">...)) give an object, which cannot be the " +
                       (r.name == "currency" ? std::string("page's currency")
                                             : "record's " + r.name) +
                       "; use unnamed groups (...), or give the rule another name to put the objects in fields");
    for (const auto& [g, gt] : r.group_types)
        if (std::none_of(u.named.begin(), u.named.end(),
                         [&g = g](const named_group& n) { return n.name == g; }))
            rule_error(f, r,
                       "'types' names group '" + g + "', which the pattern does not have as (?P<" +
                           g + ">...)");
    return u;
}

// The first decimal number in s, as an exact JSON number (no float round
// trip): an optional '-', digits without leading zeros, and a fraction;
// ".5" (a '.' before the digits, after no digit) is 0.5, and so is ",5" when
// no word is glued before the comma.
// Digit groups of three go away: "12,500,000", "12 345", "1.234.567" and
// "1.234,56" (a '.' group only with a second group or a decimal comma
// after it), also "1'234" (Swiss). The decimal point is '.' or, where ','
// does not start a group of three, ',' ("4,7").
std::optional<std::string> first_number(std::string_view s) {
    auto digit = [&](std::size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    auto group_at = [&](std::size_t i) {  // a separator at i, then exactly three digits
        return digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4);
    };
    // A minus sign ending at i: '-' or U+2212.
    auto minus_before = [&](std::size_t i) {
        return (i > 0 && s[i - 1] == '-') || (i > 2 && s.substr(i - 3, 3) == "\xE2\x88\x92");
    };
    std::size_t i = 0;
    while (i < s.size() && !digit(i)) ++i;
    if (i == s.size()) return std::nullopt;
    std::string out;
    // ".99", "-.5", ",5": a fraction alone. A ',' counts only with no word
    // glued before it ("item,5" is 5).
    const auto word_byte = [](char c) {  // letters and digits, non-ASCII ones too
        const auto u = static_cast<unsigned char>(c);
        return u >= 0x80 || std::isalnum(u);
    };
    const bool comma_fraction = i > 0 && s[i - 1] == ',' && (i == 1 || !word_byte(s[i - 2]));
    if (i > 0 && (s[i - 1] == '.' || comma_fraction)) {
        if (minus_before(i - 1)) out += '-';
        out += "0.";
        for (; digit(i); ++i) out += s[i];
        if (out.find_first_not_of("-0.") == std::string::npos) return "0";  // "-.0" is 0
        return out;
    }
    if (minus_before(i)) out += '-';
    std::string whole;
    for (; digit(i); ++i) whole += s[i];
    // Which separator groups digits: the first one seen, kept after that.
    char grouping = '\0';
    // Lakh and crore grouping (India): "1,23,456", "12,34,56,789".
    if (whole.size() <= 2) {
        std::size_t j = i;
        while (j < s.size() && s[j] == ',' && digit(j + 1) && digit(j + 2) && j + 3 < s.size() && s[j + 3] == ',') j += 3;
        if (j > i && s[j] == ',' && group_at(j)) {
            for (; i < j; i += 3) whole.append(s.substr(i + 1, 2));
            grouping = ',';
        }
    }
    for (;;) {
        const char sep = i < s.size() ? s[i] : '\0';
        if (!group_at(i) || (grouping != '\0' && sep != grouping)) break;
        if (sep == ',' && grouping == '\0') grouping = ',';
        else if ((sep == ' ' || sep == '\'') && grouping == '\0' && whole.size() <= 3) grouping = sep;  // 1'234 (Swiss)
        else if (sep == '.' && grouping == '\0' && whole.size() <= 3 &&
                 ((s.size() > i + 4 && s[i + 4] == '.' && group_at(i + 4)) ||
                  (s.size() > i + 5 && s[i + 4] == ',' && digit(i + 5))))
            grouping = '.';
        if (sep != grouping) break;
        whole.append(s.substr(i + 1, 3));
        i += 4;
    }
    std::size_t nz = whole.find_first_not_of('0');
    out += nz == std::string::npos ? "0" : whole.substr(nz);
    const char point = grouping == ',' ? '.' : grouping == '.' ? ',' : '\0';
    if (i + 1 < s.size() && (s[i] == point || (point == '\0' && (s[i] == '.' || s[i] == ','))) && digit(i + 1)) {
        out += '.';
        for (++i; digit(i); ++i) out += s[i];
    }
    return out;
}

// Whether s starts with a URL scheme and its ':' ("mailto:", "http:"),
// where a relative reference ("/wiki/File:X.png") does not.
bool starts_with_scheme(std::string_view s) {
    const std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(s[0])))
        return false;
    return std::all_of(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    });
}

// Where a capture of the page sits: in a tag (an attribute's value) or in
// text. Looked for at most 4 KiB back, so that thousands of matches in a
// large script cost no scan of the page each.
reference_context context_of(std::string_view capture, std::string_view html) {
    const bool inside = capture.data() > html.data() && capture.data() <= html.data() + html.size() &&
                        in_tag(html, static_cast<std::size_t>(capture.data() - html.data()) - 1, 4096);
    return inside ? reference_context::attribute : reference_context::text;
}

value render(value_type type, std::string_view capture, const page& pg,
             std::string_view rule_currency) {
    value v;
    std::string s;
    const reference_context where = type == value_type::raw ? reference_context::text : context_of(capture, pg.html);
    switch (type) {
        case value_type::text:
            s = html_to_text(capture, where);
            break;
        case value_type::raw:
            s.assign(capture);
            break;
        case value_type::url: {
            // Always as in an attribute: a URL in a script or JSON-LD
            // ("/s?q=tv&region=us") is read by no entity decoder at all.
            s = url_text(decode_entities(capture, reference_context::attribute));
            // Relative, and nothing to resolve it against: as written.
            if (s.empty() || (!pg.base && !starts_with_scheme(s))) break;
            // Without a base, an absolute one is read as leniently as with
            // one (a raw space in its path is encoded), against a stand-in.
            static const target_url no_base = std::get<target_url>(parse_url("http://no-base.invalid/"));
            auto resolved = resolve_location(pg.base ? *pg.base : no_base, s);
            if (auto* t = std::get_if<target_url>(&resolved)) {
                s = t->url;
            } else if (const std::string& code = std::get<url_error>(resolved).code;
                       code != "unsupported_scheme" && code != "userinfo" && code != "too_long") {
                s.clear();  // not a URL a browser could follow: null (mailto: and the like stay)
            }
            break;
        }
        case value_type::number:
            if (auto n = first_number(fold_for_parsing(html_to_text(capture, where)))) {
                v.present = true;
                v.json = std::move(*n);
            }
            return v;
        case value_type::price:
            v.amount =
                parse_price(html_to_text(capture, where), rule_currency.empty() ? pg.hint : rule_currency);
            if (v.amount) {
                v.present = true;
                v.json.clear();
                append_price_json(*v.amount, v.json);
            }
            return v;
    }
    if (!s.empty()) {
        v.present = true;
        v.json.clear();
        append_json_string(s, v.json);
        v.text = std::move(s);
    }
    return v;
}

// The value of one match: the first unnamed group that took part, or an
// object of the named groups.
value match_value(const user_rule& u, const re2::StringPiece* groups, const page& pg) {
    if (u.named.empty()) {
        for (int i = 1; i <= u.groups; ++i)
            if (groups[i].data() != nullptr)
                return render(u.type, std::string_view(groups[i].data(), groups[i].size()), pg,
                              u.currency);
        return {};
    }
    value obj;
    obj.json = "{";
    for (std::size_t k = 0; k < u.named.size(); ++k) {
        const named_group& g = u.named[k];
        if (k > 0) obj.json += ',';
        append_json_string(g.name, obj.json);
        obj.json += ':';
        const re2::StringPiece& cap = groups[g.index];
        value v;
        if (cap.data() != nullptr)
            v = render(g.type, std::string_view(cap.data(), cap.size()), pg, u.currency);
        obj.present = obj.present || v.present;
        obj.json += v.json;
    }
    obj.json += '}';
    return obj;
}

// Runs one rule: its first match, or with `all` every match in page order.
// Returns false when the pattern does not match at all.
bool run_rule(const user_rule& u, bool all, const page& pg, std::vector<value>& out) {
    const re2::StringPiece text(pg.html.data(), pg.html.size());
    std::vector<re2::StringPiece> groups(static_cast<std::size_t>(u.groups) + 1);
    std::size_t pos = 0;
    bool matched = false;
    while (pos <= text.size() &&
           u.re->Match(text, pos, text.size(), RE2::UNANCHORED, groups.data(), u.groups + 1)) {
        matched = true;
        out.push_back(match_value(u, groups.data(), pg));
        if (!all || out.size() >= max_matches) break;
        std::size_t end =
            static_cast<std::size_t>(groups[0].data() - text.data()) + groups[0].size();
        if (groups[0].empty()) {  // step past an empty match, to the next UTF-8 character
            ++end;
            while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
                ++end;
        }
        pos = end;
    }
    return matched;
}

// The record's title from a title rule's value: a NUL in it is U+FFFD, in
// JSONL as in CSV (a `raw` title keeps every other byte).
std::string title_text(std::string text) {
    for (std::size_t at; (at = text.find('\0')) != std::string::npos;) text.replace(at, 1, "\uFFFD");
    return text;
}

std::string json_array(const std::vector<value>& values) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += values[i].json;
    }
    out += ']';
    return out;
}

}  // namespace

struct extractor::rule_programs {
    std::vector<field_rules> fields;       // one per rule name, in file order
    std::vector<std::size_t> items_from;   // indexes into fields
    std::vector<std::string> field_names;  // what extraction::fields holds
    std::vector<std::pair<std::string, std::string>> empty_fields;  // field_names, nothing matched
    bool reads_urls = false;  // a rule gives url values: the page's <base href> counts

    explicit rule_programs(const rule_file& f) {
        for (const rule& r : f.rules) {
            auto it = std::find_if(fields.begin(), fields.end(),
                                   [&](const field_rules& x) { return x.name == r.name; });
            if (it == fields.end()) {
                fields.push_back({r.name, r.all, role::field, {}});
                it = fields.end() - 1;
            }
            it->alternatives.push_back(compile_rule(f, r));
            const user_rule& u = it->alternatives.back();
            reads_urls = reads_urls || (u.named.empty() && u.type == value_type::url) ||
                         std::any_of(u.named.begin(), u.named.end(),
                                     [](const named_group& g) { return g.type == value_type::url; });
        }
        for (field_rules& fr : fields) {
            // Their types and groups are checked: title and currency rules
            // give text, price rules prices, from unnamed groups.
            if (fr.name == "currency")
                fr.what = role::currency;
            else if (fr.name == "title")
                fr.what = role::title;
            else if (fr.name == "price")
                fr.what = role::price;
            if (fr.what == role::field || (fr.what != role::currency && fr.all)) {
                field_names.push_back(fr.name);
                empty_fields.emplace_back(fr.name, fr.all ? "[]" : "null");
            }
        }
        for (const std::string& name : f.items_from)
            for (std::size_t i = 0; i < fields.size(); ++i)
                if (fields[i].name == name) items_from.push_back(i);
        if (!items_from.empty()) {
            field_names.push_back("items");
            empty_fields.emplace_back("items", "[]");
        }
    }

    // The values of one rule name: the first rule (for this host) that
    // gives a value, or with `all` the first that matches at all.
    std::vector<value> run(const field_rules& fr, const page& pg) const {
        std::vector<value> values;
        for (const user_rule& u : fr.alternatives) {
            if (!pg.host.empty() && !hosts_allow(u.hosts, pg.host)) continue;
            values.clear();
            bool matched = run_rule(u, fr.all, pg, values);
            if (fr.all ? matched : (matched && values.front().present)) return values;
        }
        values.clear();
        return values;
    }

    extraction extract(std::string_view html, std::string_view currency_hint,
                       std::string_view page_url) const {
        page pg;
        pg.html = html;
        std::string host;
        if (!page_url.empty()) {
            auto parsed = parse_url(page_url);
            if (auto* t = std::get_if<target_url>(&parsed)) {
                host = t->host;
                pg.base = std::move(*t);
            }
        }
        pg.host = host;
        if (reads_urls) {
            // A <base href> sets the base of relative links.
            literal_positions literals(html);
            if (auto href = base_element_href(html, literals)) {
                const std::string text = url_text(*href);
                auto based = pg.base ? resolve_location(*pg.base, text) : parse_url(text);
                if (auto* t = std::get_if<target_url>(&based)) pg.base = std::move(*t);
            }
        }
        // The page's declared currency beats the caller's hint.
        std::string declared;
        for (const field_rules& fr : fields) {
            if (fr.what != role::currency) continue;
            for (const value& v : run(fr, pg)) {
                if (v.present) declared = currency_code(v.text);
                if (!declared.empty()) break;
            }
            if (!declared.empty()) break;
        }
        pg.hint = declared.empty() ? currency_hint : std::string_view(declared);

        extraction e;
        std::vector<std::vector<value>> results(fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            const field_rules& fr = fields[i];
            if (fr.what == role::currency) continue;
            results[i] = run(fr, pg);
            const std::vector<value>& values = results[i];
            auto first = std::find_if(values.begin(), values.end(),
                                      [](const value& v) { return v.present; });
            if (fr.what == role::title && first != values.end()) e.title = title_text(first->text);
            if (fr.what == role::price && first != values.end()) e.price = first->amount;
            if (fr.all && fr.what != role::currency)
                e.fields.emplace_back(fr.name, json_array(values));
            else if (fr.what == role::field)
                e.fields.emplace_back(fr.name,
                                      values.empty() ? std::string("null") : values.front().json);
        }
        if (!items_from.empty()) e.fields.emplace_back("items", zip_items(results));
        return e;
    }

    // [items]: element k of every named array, as one object; the shortest
    // array decides how many items there are.
    std::string zip_items(const std::vector<std::vector<value>>& results) const {
        std::size_t n = max_matches;
        for (std::size_t i : items_from) n = std::min(n, results[i].size());
        std::string out = "[";
        for (std::size_t k = 0; k < n; ++k) {
            if (k > 0) out += ',';
            out += '{';
            for (std::size_t j = 0; j < items_from.size(); ++j) {
                if (j > 0) out += ',';
                append_json_string(fields[items_from[j]].name, out);
                out += ':';
                out += results[items_from[j]][k].json;
            }
            out += '}';
        }
        out += ']';
        return out;
    }
};

extractor::extractor(std::unique_ptr<rule_programs> r) : r_(std::move(r)) {}
extractor::~extractor() = default;

std::unique_ptr<extractor> extractor::from_rules(const rule_file& rules) {
    return std::unique_ptr<extractor>(new extractor(std::make_unique<rule_programs>(rules)));
}

std::unique_ptr<extractor> extractor::from_file(const std::string& path) {
    return from_rules(load_rule_file(path));
}

const std::vector<std::string>& extractor::field_names() const {
    static const std::vector<std::string> none;
    return r_ ? r_->field_names : none;
}

const std::vector<std::pair<std::string, std::string>>& extractor::empty_fields() const {
    static const std::vector<std::pair<std::string, std::string>> none;
    return r_ ? r_->empty_fields : none;
}

extraction extractor::extract(std::string_view html, std::string_view currency_hint,
                              std::string_view page_url) const {
    if (r_) return r_->extract(html, currency_hint, page_url);
    extraction e;
    literal_positions literals(html);
    // A title's value: its text, if there is any.
    auto title_text = [](std::string_view m) -> std::optional<std::string> {
        std::string t = collapse_whitespace(decode_entities(m, reference_context::attribute));  // og:title
        if (t.empty()) return std::nullopt;
        return t;
    };
    if (auto m = literals.title_element()) e.title = title_element_text(*m);
    for (std::size_t i = 0; i < p_->title.size() && !e.title; ++i)
        first_value(p_->title[i], html, literals, title_text, e.title);
    std::string currency(currency_hint);
    for (const auto& rule : p_->currency) {
        std::optional<std::string> code;
        first_value(rule, html, literals, [](std::string_view m) -> std::optional<std::string> {
            std::string c = currency_code(m);
            if (c.empty()) return std::nullopt;
            return c;
        }, code);
        if (code) {
            currency = std::move(*code);
            break;
        }
    }
    e.price = builtin_price(p_->price, *p_->unavailable, html, literals, currency,
                            currency.empty() ? locale_currency(html, page_url) : std::string_view());
    return e;
}

bool worth_extracting(std::string_view content_type) {
    if (content_type.empty()) return true;
    for (std::string_view kind : {"html", "xml", "text", "json"})
        if (find_ascii_nocase(content_type, kind) != std::string_view::npos) return true;
    return false;
}

std::string_view charset_currency_hint(std::string_view charset) {
    if (charset == "GB18030") return "CNY";
    if (charset == "SHIFT_JIS" || charset == "EUC-JP") return "JPY";
    return {};
}

}  // namespace shoal
