// Rule files: TOML reading and validation (see rules.hpp). The only
// translation unit that includes toml++.
#include "shoal/rules.hpp"

#include <boost/url/ipv6_address.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "shoal/error.hpp"
#include "shoal/fnv1a.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/price.hpp"
#include "shoal/url.hpp"

namespace shoal {
namespace {

[[noreturn]] void fail(const std::string& message) {
    throw setup_error(exit_code::usage, message);
}

std::string at_line(const toml::node& n) {
    const auto& where = n.source().begin;
    return where.line > 0 ? "line " + std::to_string(where.line) + ": " : std::string();
}

bool parse_type(std::string_view s, value_type& out) {
    for (value_type t : {value_type::text, value_type::price, value_type::number, value_type::url,
                         value_type::raw})
        if (s == to_string(t)) {
            out = t;
            return true;
        }
    return false;
}

// Reads one [[rule]] table; `where` prefixes messages ("<file>: rule 'x': ").
rule read_rule(const toml::table& t, const std::string& source, std::size_t index) {
    rule r;
    std::string where = source + ": rule #" + std::to_string(index + 1) + ": ";
    if (auto name = t["name"].value<std::string>(); name && !name->empty()) {
        // A name is a JSON key and a CSV column: no line breaks, tabs or other controls.
        if (std::any_of(name->begin(), name->end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
            fail(where + at_line(*t.get("name")) +
                 "a name may not hold a control character (a line break, a tab): it names a JSON key and a "
                 "CSV column");
        r.name = *name;
        where = source + ": rule '" + r.name + "': ";
    } else {
        fail(where + at_line(t.contains("name") ? *t.get("name") : static_cast<const toml::node&>(t)) +
             "needs a non-empty string 'name'");
    }
    r.line = t.source().begin.line;
    auto pattern = t["pattern"].value<std::string>();
    if (!pattern || pattern->empty())
        fail(where + at_line(t.contains("pattern") ? *t.get("pattern") : static_cast<const toml::node&>(t)) +
             "needs a non-empty string 'pattern'");
    r.pattern = *pattern;
    r.pattern_line = t.get("pattern")->source().begin.line;
    // In "...", TOML reads \b as a backspace before RE2 sees the pattern (a
    // word boundary never matches then). \t, \n, \r, \f and \uXXXX mean to
    // RE2 what TOML makes of them, and \d and the like TOML refuses.
    if (r.pattern.find('\b') != std::string::npos)
        fail(where + at_line(*t.get("pattern")) +
             "the pattern has a backspace (0x08), which is what TOML makes of \\b in a \"...\" string; "
             "for a word boundary write the pattern in single quotes '...', or write \\\\b");
    bool typed = false;
    for (auto&& [key, node] : t) {
        const std::string_view k = key.str();
        if (k == "name" || k == "pattern") continue;
        if (k == "type") {
            auto s = node.value<std::string>();
            if (!s || !parse_type(*s, r.type))
                fail(where + at_line(node) + "type must be one of text, price, number, url, raw");
            typed = true;
        } else if (k == "all") {
            if (!node.is_boolean()) fail(where + at_line(node) + "'all' must be true or false");
            r.all = *node.value<bool>();
        } else if (k == "currency") {
            auto s = node.value<std::string>();
            if (!s || s->size() != 3 || !std::all_of(s->begin(), s->end(), [](char c) {
                    return std::isalpha(static_cast<unsigned char>(c));
                }))
                fail(where + at_line(node) +
                     "currency must be a 3-letter ISO 4217 code, e.g. \"EUR\"");
            // As a page's declared currency is read: RUR is RUB, NIS is ILS.
            r.currency = currency_code(*s);
            if (r.currency.empty())
                fail(where + at_line(node) + "currency \"" + *s +
                     "\" is not an ISO 4217 code (such as \"EUR\", \"USD\", \"CNY\")");
        } else if (k == "hosts") {
            const toml::array* a = node.as_array();
            if (a == nullptr) fail(where + at_line(node) + "'hosts' must be an array of strings");
            if (a->empty())
                fail(where + at_line(node) + "'hosts' is empty; leave it out for a rule that applies to every host");
            for (const toml::node& h : *a) {
                const std::string_view example = "'hosts' entries must be host names or globs like \"*.example.com\"";
                auto s = h.value<std::string>();
                if (!s) fail(where + at_line(h) + std::string(example));
                std::string why;
                std::string glob = normalise_host_glob(*s, why);
                if (glob.empty())
                    fail(where + at_line(h) + std::string(example) + ": \"" + *s + "\" is none (" + why + ")");
                r.hosts.push_back(std::move(glob));
            }
        } else if (k == "types") {
            const toml::table* tt = node.as_table();
            if (tt == nullptr)
                fail(where + at_line(node) + "'types' must be a table, e.g. { price = \"price\" }");
            for (auto&& [group, tn] : *tt) {
                auto s = tn.value<std::string>();
                value_type gt;
                if (!s || !parse_type(*s, gt))
                    fail(where + at_line(tn) + "types." + std::string(group.str()) +
                         " must be one of text, price, number, url, raw");
                r.group_types.emplace_back(std::string(group.str()), gt);
            }
        } else {
            fail(where + at_line(node) + "unknown key '" + std::string(k) +
                 "' (known: name, pattern, type, all, currency, hosts, types)");
        }
    }
    if (!typed && r.name == "price") r.type = value_type::price;
    // The record's title is text, its price a price, and the page's currency
    // a code read as text: a rule of these names giving another type would
    // fill none of them.
    const bool text_type = r.type == value_type::text || r.type == value_type::url || r.type == value_type::raw;
    const std::string type_line = typed ? at_line(*t.get("type")) : at_line(t);
    if ((r.name == "title" || r.name == "currency") && !text_type)
        fail(where + type_line + "type = \"" + std::string(to_string(r.type)) + "\" cannot give " +
             (r.name == "title" ? "the record's title, which is text" : "the page's currency, which is a code") +
             " (text, url or raw); give the rule another name to put its value in fields");
    if (r.name == "price" && r.type != value_type::price)
        fail(where + type_line + "type = \"" + std::string(to_string(r.type)) +
             "\" cannot give the record's price; leave 'type' out, or give the rule another name to put its "
             "value in fields");
    // A group named price is a price unless 'types' says otherwise.
    const auto price_group_type = std::find_if(r.group_types.begin(), r.group_types.end(),
                                               [](const auto& g) { return g.first == "price"; });
    const bool price_group = r.pattern.find("(?P<price>") != std::string::npos &&
                             (price_group_type == r.group_types.end() || price_group_type->second == value_type::price);
    const bool gives_price = r.type == value_type::price || price_group ||
                             std::any_of(r.group_types.begin(), r.group_types.end(),
                                         [](const auto& g) { return g.second == value_type::price; });
    if (!r.currency.empty() && !gives_price)
        fail(where + at_line(*t.get("currency")) + "'currency' is for prices that name none; this rule gives " +
             std::string(to_string(r.type)) +
             " (add type = \"price\", give a group the price type with types = { NAME = \"price\" }, "
             "or leave 'currency' out)");
    // RE2 has no lookbehind and spells named groups (?P<name>...).
    for (std::size_t at = r.pattern.find("(?<"); at != std::string::npos; at = r.pattern.find("(?<", at + 1)) {
        const bool escaped = at > 0 && r.pattern[at - 1] == '\\';
        if (!escaped)
            fail(where + at_line(*t.get("pattern")) + "RE2 does not take '(?<': write a named group as (?P<name>...); "
                                      "lookbehind ((?<=...), (?<!...)) is not supported");
    }
    return r;
}

void read_items(const toml::node& node, rule_file& f) {
    const std::string where = f.source + ": [items]: ";
    const toml::table* t = node.as_table();
    if (t == nullptr) fail(where + at_line(node) + "must be a table with 'from'");
    for (auto&& [key, value] : *t) {
        if (key.str() != "from")
            fail(where + at_line(value) + "unknown key '" + std::string(key.str()) +
                 "' (known: from)");
    }
    const toml::array* from = (*t)["from"].as_array();
    if (from == nullptr || from->empty())
        fail(where + at_line(node) + "needs 'from', a non-empty array of rule names");
    for (const toml::node& n : *from) {
        auto name = n.value<std::string>();
        if (!name) fail(where + at_line(n) + "'from' must hold rule names (strings)");
        auto it = std::find_if(f.rules.begin(), f.rules.end(),
                               [&](const rule& r) { return r.name == *name; });
        const std::string here = where + at_line(n);
        if (it == f.rules.end()) fail(here + "'from' names '" + *name + "', which no rule has");
        if (*name == "currency") fail(here + "'currency' is the hint for prices, not a field");
        if (!it->all)
            fail(here + "'from' names '" + *name + "', which is not an `all = true` rule (" +
                 (it->line > 0 ? "line " + std::to_string(it->line) : std::string("its [[rule]]")) + ")");
        if (std::find(f.items_from.begin(), f.items_from.end(), *name) != f.items_from.end())
            fail(here + "'from' names '" + *name + "' twice");
        f.items_from.push_back(*name);
    }
    for (const rule& r : f.rules)
        if (r.name == "items")
            fail(where + "a rule is named 'items' (line " + std::to_string(r.line) + "), which [items] writes");
}

}  // namespace

std::string_view to_string(value_type t) {
    switch (t) {
        case value_type::text:
            return "text";
        case value_type::price:
            return "price";
        case value_type::number:
            return "number";
        case value_type::url:
            return "url";
        case value_type::raw:
            return "raw";
    }
    return "text";
}

rule_file parse_rule_file(std::string_view toml_text, const std::string& source) {
    rule_file f;
    f.source = source;
    f.content_hash = fnv1a(toml_text);
    toml::table doc;
    try {
        doc = toml::parse(toml_text, source);
    } catch (const toml::parse_error& e) {
        std::string what(e.description());
        // A pattern in "..." makes \d an escape of TOML's own.
        if (what.find("escape sequence") != std::string::npos)
            what += " (write patterns in '...' literal strings, where a backslash stays a backslash)";
        fail(source + ": line " + std::to_string(e.source().begin.line) + ": " + what);
    }
    for (auto&& [key, node] : doc) {
        const std::string_view k = key.str();
        if (k != "rule" && k != "items")
            fail(source + ": " + at_line(node) + "unknown key '" + std::string(k) +
                 "' (known: [[rule]], [items])");
    }
    const toml::array* rules = doc["rule"].as_array();
    if (doc.contains("rule") && (rules == nullptr || !rules->is_array_of_tables()))
        fail(source + ": 'rule' must be written as [[rule]] tables");
    if (rules == nullptr || rules->empty()) fail(source + ": no [[rule]] tables");
    for (std::size_t i = 0; i < rules->size(); ++i) {
        rule r = read_rule(*rules->get(i)->as_table(), source, i);
        // Fallbacks are alternatives for one value: they must agree on its shape.
        for (const rule& earlier : f.rules) {
            if (earlier.name != r.name) continue;
            const std::string where = source + ": rule '" + r.name + "': line " + std::to_string(r.line) + ": ";
            const std::string other = "the rule '" + r.name + "' at line " + std::to_string(earlier.line);
            if (earlier.all != r.all)
                fail(where + "rules sharing a name must agree on 'all' (" + other + " has all = " +
                     (earlier.all ? "true" : "false") + ", this one all = " + (r.all ? "true" : "false") + ")");
            if (earlier.type != r.type)
                fail(where + "rules sharing a name must agree on 'type' (" + other + " gives " +
                     std::string(to_string(earlier.type)) + ", this one " + std::string(to_string(r.type)) + ")");
            const bool named = r.pattern.find("(?P<") != std::string::npos;
            if ((earlier.pattern.find("(?P<") != std::string::npos) != named)
                fail(where + "rules sharing a name must agree on named groups (" + other + " gives " +
                     (named ? "a value" : "an object of named groups") + ", this one " +
                     (named ? "an object of named groups" : "a value") + ")");
            break;
        }
        f.rules.push_back(std::move(r));
    }
    if (const toml::node* items = doc.get("items")) read_items(*items, f);
    return f;
}

rule_file load_rule_file(const std::string& path) {
    std::error_code ec;
    if (path == "-") fail("-: a rule file is named by its path (rules on stdin: --rules /dev/stdin)");
    if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory, not a rule file");
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(path + ": cannot read the rule file" + (errno != 0 ? std::string(": ") + std::strerror(errno) : ""));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) fail(path + ": cannot read the rule file");
    return parse_rule_file(text.str(), path);
}

namespace {

// One label of a glob that has '*' in it: ASCII letters (lower-cased),
// digits, '-', '_' and '*'.
bool append_star_label(std::string_view label, std::string& out, std::string& why) {
    for (char c : label) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x80) {
            why = "a label with '*' must be ASCII: write its other characters in punycode (xn--...)";
            return false;
        }
        if (!std::isalnum(u) && c != '-' && c != '_' && c != '*') {
            why = u <= 0x20 || u == 0x7f ? "the host name has spaces or control characters"
                                         : "the host name has a character that host names cannot have: '" +
                                               std::string(1, c) + "'";
            return false;
        }
        out += ascii_lower(c);
    }
    return true;
}

}  // namespace

std::string normalise_host_glob(std::string_view glob, std::string& why) {
    // An IPv6 address, in brackets as URLs write it: its one canonical form,
    // as a URL's host has it ("[0:0::1]" is "::1").
    if (glob.size() > 2 && glob.front() == '[' && glob.back() == ']') {
        const auto a = boost::urls::parse_ipv6_address(glob.substr(1, glob.size() - 2));
        if (!a) {
            why = "the address in brackets is not an IPv6 address";
            return {};
        }
        return a->to_string();
    }
    const std::string_view g = without_root_dot(glob);
    if (g.empty() || g == ".") {
        why = "the host name is empty";
        return {};
    }
    if (g.back() == '.') {
        why = "the host name has an empty label (a '.' first, or two in a row)";
        return {};
    }
    // Without '*', exactly what a URL's host becomes.
    if (g.find('*') == std::string_view::npos) {
        auto n = normalise_host_name(std::string(g));
        if (auto* e = std::get_if<url_error>(&n)) {
            why = e->message;
            return {};
        }
        return std::string(without_root_dot(std::get<host_name>(n).name));
    }
    // With '*': label by label, the labels without '*' as a URL's.
    std::string out;
    for (std::size_t from = 0; from <= g.size();) {
        const std::size_t end = std::min(g.find('.', from), g.size());
        const std::string_view label = g.substr(from, end - from);
        if (!out.empty()) out += '.';
        if (label.empty()) {
            why = "the host name has an empty label (a '.' first, or two in a row)";
            return {};
        }
        if (label.find('*') != std::string_view::npos) {
            if (!append_star_label(label, out, why)) return {};
        } else {
            auto n = normalise_host_name(std::string(label));
            if (auto* e = std::get_if<url_error>(&n)) {
                why = e->message;
                return {};
            }
            // A label of digits is no IPv4 address here ("127" in "127.0.0.*").
            if (std::get<host_name>(n).ipv4) {
                if (!append_star_label(label, out, why)) return {};
            } else {
                out += std::get<host_name>(n).name;
            }
        }
        from = end + 1;
    }
    return out;
}

bool host_matches(std::string_view glob, std::string_view host) {
    glob = without_root_dot(glob);
    host = without_root_dot(host);
    if (glob.size() > 2 && glob.substr(0, 2) == "*." && host.size() == glob.size() - 2) {
        // "*.example.com" also covers "example.com".
        bool same = true;
        for (std::size_t i = 0; i < host.size() && same; ++i)
            same = ascii_lower(host[i]) == glob[i + 2];
        if (same) return true;
    }
    // Iterative glob match with backtracking to the last '*'.
    std::size_t g = 0, h = 0, star = std::string_view::npos, resume = 0;
    while (h < host.size()) {
        const char c = ascii_lower(host[h]);
        if (g < glob.size() && glob[g] == '*') {
            star = g++;
            resume = h;
        } else if (g < glob.size() && glob[g] == c) {
            ++g;
            ++h;
        } else if (star != std::string_view::npos) {
            g = star + 1;
            h = ++resume;
        } else {
            return false;
        }
    }
    while (g < glob.size() && glob[g] == '*') ++g;
    return g == glob.size();
}

bool hosts_allow(const std::vector<std::string>& globs, std::string_view host) {
    if (globs.empty()) return true;
    return std::any_of(globs.begin(), globs.end(),
                       [&](const std::string& g) { return host_matches(g, host); });
}

}  // namespace shoal
