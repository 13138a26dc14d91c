// Command-line parsing for shoal with CLI11: every option, its default and
// its range, checked before any process is forked or any URL fetched.
#include "shoal/options.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>

#include "shoal/command_line.hpp"
#include "shoal/error.hpp"
#include "shoal/fnv1a.hpp"
#include "shoal/literal_search.hpp"
#include "shoal/sys.hpp"

namespace shoal {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
    return s.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                      [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
}

// A byte HTTP allows in a header value: visible ASCII, space, tab, and
// bytes >= 0x80 (obs-text); no other control character.
bool allowed_in_value(char c) {
    auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7f);
}

// A byte of an HTTP token (a header name), RFC 9110 section 5.6.2.
bool token_char(char c) {
    if (c >= 'a' && c <= 'z') return true;
    if (c >= 'A' && c <= 'Z') return true;
    if (c >= '0' && c <= '9') return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::pair<std::string, std::string> split_header(const std::string& h) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0)
        throw setup_error(exit_code::usage, "--header wants 'Name: value', got '" + h + "'");
    std::string name = h.substr(0, colon);
    std::string value = h.substr(colon + 1);
    // Blanks around a value are not part of it (RFC 9110 5.5).
    auto first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? std::string() : value.substr(first, value.find_last_not_of(" \t") - first + 1);
    for (char c : name + value)
        if (c == '\r' || c == '\n' || c == '\0')
            throw setup_error(exit_code::usage, "--header must not contain line breaks");
    for (char c : name)
        if (c == ' ' || c == '\t')
            throw setup_error(exit_code::usage, "--header name must not contain spaces: '" + h + "'");
    if (!std::all_of(name.begin(), name.end(), token_char))
        throw setup_error(exit_code::usage, "--header name '" + name +
                                                "' has a character a header name cannot have "
                                                "(letters, digits and !#$%&'*+-.^_`|~ only)");
    if (!std::all_of(value.begin(), value.end(), allowed_in_value))
        throw setup_error(exit_code::usage, "--header " + name + ": the value has a control character");
    // Every request is a GET without a body: these would make a server wait
    // for one, or read the next request as its body.
    for (std::string_view framing : {"content-length", "transfer-encoding"})
        if (name.size() == framing.size() && matches_nocase_at(name, 0, framing))
            throw setup_error(exit_code::usage, "--header " + name +
                                                    " is refused: shoal sends GET requests without a body");
    return {name, value};
}

// A --proxy that parse_proxy() takes; its message otherwise.
CLI::Validator proxy_url() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            auto p = parse_proxy(v);
            auto* e = std::get_if<url_error>(&p);
            return e ? e->message : std::string();
        },
        "", "proxy URL");
}

// Usage lines that name the program and the command as users type them.
class usage_formatter : public help_layout {
public:
    std::string make_usage(const CLI::App* app, std::string) const override {
        if (app->get_parent() != nullptr) return "\nUsage: shoal " + app->get_name() + " URL_FILE [OPTIONS]\n";
        return "\nUsage: shoal COMMAND [OPTIONS]   (shoal COMMAND --help for its options)\n";
    }
};

void add_crawl_options(CLI::App& crawl, crawl_options& o, std::vector<std::string>& headers) {
    add_help_and_version(crawl);
    crawl.add_option("URL_FILE", o.input, "file with one URL per line; '-' reads stdin")
        ->required()
        ->type_name("PATH");
    crawl.add_option("-o,--output", o.output,
                     "result file: .jsonl (default format) or .csv by extension; '-' = stdout")
        ->capture_default_str()
        ->check(non_empty_path())
        ->type_name("PATH");
    crawl.add_option("--format", o.format_name,
                     "jsonl or csv, whatever the output's name (default: by -o's extension; JSONL "
                     "for '-')")
        ->transform(CLI::IsMember({"jsonl", "csv"}, CLI::ignore_case).description(""))
        ->type_name("F");
    crawl.add_option("-p,--processes", o.processes,
                     "worker processes taking lines at once (default: CPU count, here " +
                         std::to_string(sys::cpu_count()) + ")")
        ->transform(whole_number(1u, 1024u))
        ->type_name("N");
    crawl.add_option("-c,--concurrency", o.concurrency, "concurrent fetches per worker (1-100000); a worker finishing its chunk's last "
                     "fetches overlaps the next worker: use --per-host for a hard cap on a site")
        ->capture_default_str()
        ->transform(whole_number(1u, 100000u))
        ->type_name("N");
    crawl.add_option("--chunk-size", o.chunk_size,
                     "lines per chunk, one worker process each (default: 10000, or 10 x --concurrency if more; "
                     "lines from a pipe start at most 1 s after they came)")
        ->transform(whole_number(std::size_t{1}, std::size_t{10000000}))
        ->type_name("N");
    crawl.add_option("--per-host", o.per_host,
                     "max concurrent fetches to one host, all workers together (1-100000; default: no limit)")
        ->transform(whole_number(1u, 100000u))
        ->type_name("N");
    crawl.add_option("--per-host-rate", o.per_host_rate,
                     "max requests per second to one host, all workers together, spaced evenly "
                     "(0.001-1000000; 0.5 = one every 2 s; default: no limit)")
        ->check(decimal_range(0.001, 1000000.0))
        ->type_name("R");
    crawl.add_option("--rules", o.rules, "extraction rules (TOML); default: built-in title + price")
        ->check(non_empty_path())
        ->type_name("PATH");
    crawl.add_option("--timeout", o.timeout_s, "seconds for one fetch attempt, all phases")
        ->capture_default_str()
        ->check(decimal_range(0.001, 86400.0))
        ->type_name("S");
    crawl.add_option("--max-body", o.max_body,
                     "cap on the decoded body, " + size_text(1) + " to " + size_text(std::uint64_t{1} << 32) +
                         "; K, M and G are 1024-based (64K, 8M)")
        ->default_str("8M")
        ->transform(byte_size(1, std::uint64_t{1} << 32))
        ->type_name("BYTES");
    crawl.add_option("--retries", o.retries, "retries (0-100) on connect errors, timeouts, a connection closed or reset before the whole answer came, 429 and 5xx")
        ->capture_default_str()
        ->transform(whole_number(0u, 100u))
        ->type_name("N");
    crawl.add_option("--max-redirects", o.max_redirects, "redirects followed per URL (0-100)")
        ->capture_default_str()
        ->transform(whole_number(0u, 100u))
        ->type_name("N");
    crawl.add_flag("--insecure", o.insecure, "do not verify TLS certificates or host names");
    crawl.add_option("--ca-file", o.ca_file, "PEM file of CA certificates to trust instead of the system store")
        ->check(CLI::Validator(CLI::ExistingFile).description(""))
        ->type_name("PATH");
    crawl.add_option("--user-agent", o.user_agent, "User-Agent header")
        ->capture_default_str()
        ->type_name("S");
    crawl.add_flag("--robots", o.robots,
                   "obey each site's robots.txt for the --user-agent's product token (RFC 9309), "
                   "its Crawl-delay included");
    crawl.add_option("--header", headers, "extra request header 'Name: value' (repeatable)")
        ->type_name("'K: V'");
    crawl.add_option("--proxy", o.proxy,
                     "HTTP proxy for every fetch, http://[USER:PASS@]HOST[:PORT] (port 1080 if none); "
                     "https URLs go through it in a CONNECT tunnel")
        ->check(proxy_url())
        ->type_name("URL");
    crawl.add_flag("--resume", o.resume, "skip lines already present in the output file");
    crawl.add_flag("--force", o.force,
                   "with --resume: resume even if the options differ; without it: start over an "
                   "output that a stopped run left unfinished");
    crawl.add_option("--stats", o.stats_path, "write a JSON summary of the run to this file")
        ->check(non_empty_path())
        ->type_name("PATH");
    crawl.add_option("--grace", o.grace_s,
                     "seconds fetches under way may finish after Ctrl-C (those waiting "
                     "for a slot, a turn or a retry end at once, left to --resume)")
        ->capture_default_str()
        ->check(decimal_range(0.0, 3600.0))
        ->type_name("S");
    crawl.add_flag("--no-progress", [&o](std::int64_t) { o.progress = false; },
                   "no progress line on stderr");
    crawl.add_flag("-q,--quiet", o.quiet, "no progress line and no summary on stderr");
}

}  // namespace

command parse_command_line(int argc, char** argv) {
    CLI::App app{"shoal: a fast crawler for big URL lists", "shoal"};
    app.formatter(std::make_shared<usage_formatter>());
    app.require_subcommand(0, 1);
    bool version = false;
    app.set_help_flag("-h,--help", "print this help and exit");
    app.add_flag("--version", version, "print the version and exit (also after any command)");
    app.footer(
        "Other commands, each with its own --help:\n"
        "  shoal serve    the built-in experiment site (synthetic shop pages on 127.x.y.z)\n"
        "  shoal bench    throughput sweeps of crawl against serve, with wrk as reference\n"
        "  shoal extract  run extraction rules over saved HTML files, offline\n"
        "  shoal diff     price, title and status changes between two runs");
    command cmd;
    std::vector<std::string> headers;
    CLI::App* crawl = app.add_subcommand(
        "crawl",
        "fetch every URL of URL_FILE and write one result record per line\n"
        "Exit codes: 0 complete, 1 usage, 2 input/output file, 3 interrupted, 4 internal.");
    crawl->group("Commands");
    add_crawl_options(*crawl, cmd.crawl, headers);
    // The command comes first: "shoal urls.txt crawl" is no crawl of urls.txt.
    if (argc >= 2 && argv[1][0] != '-' && std::string_view(argv[1]) != "crawl") {
        const std::string first = argv[1];
        // A URL list or a URL where the command goes: "shoal urls.txt".
        const bool looks_like_input = first.find_first_of("./") != std::string::npos;
        const std::string near = closest_word(first, {"crawl", "extract", "diff", "serve", "bench", "help"});
        throw setup_error(exit_code::usage,
                          "unknown command '" + first + "'" + (near.empty() ? "" : " (did you mean " + near + "?)") +
                              "; the commands are crawl, extract, diff, serve and bench" +
                              (looks_like_input ? "; to crawl it: shoal crawl " + first : std::string()) +
                              " (see shoal --help)");
    }
    if (argc >= 2 && argv[1][0] == '-') {
        // An option before any command: shoal's own are few.
        std::vector<std::string> known;
        for (const CLI::Option* opt : app.get_options()) {
            for (const std::string& name : opt->get_lnames()) known.push_back("--" + name);
            for (const std::string& name : opt->get_snames()) known.push_back("-" + name);
        }
        const std::string first = std::string(argv[1]).substr(0, std::string_view(argv[1]).find('='));
        if (first == "-")
            throw setup_error(exit_code::usage,
                              "'-' where the command goes; to crawl a list on stdin: shoal crawl - (see shoal --help)");
        if (std::find(known.begin(), known.end(), first) == known.end()) {
            // A command's option before the command: say where it goes.
            if (crawl->get_option_no_throw(first) != nullptr)
                throw setup_error(exit_code::usage, first + " is an option of crawl, given after it: shoal crawl "
                                                    "URL_FILE " + first + " ... (see shoal crawl --help)");
            // A one-letter option is too short to be near another; a long
            // one may be near shoal's own or crawl's.
            std::vector<std::string> near_ones = known;
            for (const CLI::Option* opt : crawl->get_options())
                for (const std::string& name : opt->get_lnames()) near_ones.push_back("--" + name);
            const std::string near = first.size() > 2 ? closest_word(first, near_ones) : std::string();
            throw setup_error(exit_code::usage,
                              "unknown option " + first +
                                  (near.empty() ? std::string() : "; did you mean " + near + "?") +
                                  (first.starts_with("--") && near.empty()
                                       ? "; a command's options go after the command (shoal COMMAND " + first + " ...)"
                                       : std::string()) +
                                  " (see shoal --help)");
        }
    }
    if (argc >= 2) refuse_unknown_options(*crawl, argc, argv, 2, "crawl");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        cmd.help_text = (app.got_subcommand(crawl) ? crawl : &app)->help();
        return cmd;
    } catch (const CLI::CallForAllHelp&) {
        cmd.help_text = app.help("", CLI::AppFormatMode::All);
        return cmd;
    } catch (const CLI::ParseError& e) {
        // CLI11 says "--concurrency: At Most 1 required but received 2" for an option given twice.
        throw setup_error(exit_code::usage,
                          usage_error_text(e) +
                              (app.got_subcommand(crawl) ? " (see shoal crawl --help)" : " (see shoal --help)"));
    }
    if (version) {
        cmd.what = command::kind::version;
        return cmd;
    }
    if (!app.got_subcommand(crawl))
        throw setup_error(exit_code::usage, "no command given; try: shoal crawl URLS.txt -o results.jsonl (see shoal --help)");
    cmd.what = command::kind::crawl;
    crawl_options& o = cmd.crawl;
    // A User-Agent given as a --header is the --user-agent: the one sent is
    // the one whose product token --robots obeys for.
    std::optional<std::string> header_agent;
    bool host_given = false;
    for (const auto& h : headers) {
        auto header = split_header(h);
        if (ascii_iequals(header.first, "User-Agent")) {
            if (header_agent) throw setup_error(exit_code::usage, "--header User-Agent is given twice");
            header_agent = std::move(header.second);
            continue;
        }
        if (ascii_iequals(header.first, "Host")) {
            // RFC 9112 3.2: one Host field, naming the host (a server answers 400 otherwise).
            if (host_given) throw setup_error(exit_code::usage, "--header Host is given twice");
            if (header.second.empty() || header.second.find_first_of(" \t") != std::string::npos)
                throw setup_error(exit_code::usage, "--header Host wants a host name (and :port), got '" +
                                                        header.second + "'");
            host_given = true;
        }
        if (!o.proxy.empty() && ascii_iequals(header.first, "Proxy-Authorization"))
            throw setup_error(exit_code::usage,
                              "--header Proxy-Authorization with --proxy: give the proxy's credentials in it, "
                              "--proxy http://USER:PASS@HOST:PORT (the header would go to the sites too)");
        o.headers.push_back(std::move(header));
    }
    if (header_agent) {
        if (crawl->count("--user-agent") > 0 && trim_blanks(o.user_agent) != trim_blanks(*header_agent))
            throw setup_error(exit_code::usage,
                              "--user-agent and --header 'User-Agent: ...' differ: give the User-Agent once");
        o.user_agent = *header_agent;
    }
    o.user_agent = std::string(trim_blanks(o.user_agent));  // its first word is the product token
    if (o.user_agent.empty())
        throw setup_error(exit_code::usage,
                          "the User-Agent is empty: give one, such as --user-agent 'mybot/1.0 (+https://example.org/bot)'");
    if (o.processes == 0) o.processes = sys::cpu_count();
    if (o.chunk_size == 0) o.chunk_size = default_chunk_size(o.concurrency);
    o.format_given = !o.format_name.empty();
    if (o.format_given) o.format = o.format_name == "csv" ? output_format::csv : output_format::jsonl;
    else o.format = ends_with(o.output, ".csv") ? output_format::csv : output_format::jsonl;
    if (o.quiet) o.progress = false;
    if (o.resume && o.output == "-")
        throw setup_error(exit_code::usage, "--resume needs an output file (-o PATH), not stdout");
    if (o.user_agent.find_first_of("\r\n") != std::string::npos)
        throw setup_error(exit_code::usage, "--user-agent must not contain line breaks");
    if (!std::all_of(o.user_agent.begin(), o.user_agent.end(), allowed_in_value))
        throw setup_error(exit_code::usage, "--user-agent must not contain control characters");
    if (o.stats_path == "-")
        throw setup_error(exit_code::usage, "--stats wants a file path ('-' is not stdout here)");
    return cmd;
}

std::optional<proxy_server> proxy_of(const crawl_options& o) {
    if (o.proxy.empty()) return std::nullopt;
    return std::get<proxy_server>(parse_proxy(o.proxy));
}

std::size_t processes_fitting(std::size_t fd_limit) {
    // 12 for the run itself, 4 for each worker: its status and records
    // pipes, and spawning one takes 4 at once.
    return fd_limit > 12 ? (fd_limit - 12) / 4 : 0;
}

std::size_t concurrency_fitting(std::size_t fd_limit) { return fd_limit > 64 ? (fd_limit - 64) / 2 : 1; }

std::size_t default_chunk_size(unsigned concurrency) {
    return std::max<std::size_t>(10000, std::size_t{10} * concurrency);
}

namespace {

// A path as one spelling (./urls.txt and urls.txt alike, links followed).
std::string one_spelling(const std::string& path) {
    if (path.empty() || path == "-") return path;
    std::error_code ec;
    auto p = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : p.string();
}

// A hash as the fingerprint writes it after a path: "@" and 16 hex digits.
std::string hash_text(std::uint64_t h) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return std::string("@") + hex;
}

// The URL file's first bytes, hashed: a URL file with other lines at its
// start (a new list under the old name) would give records that do not
// match its lines. "@HASH:N" for its first N bytes (the whole list when it
// is shorter, N then saying so), or "@HASH" of the first list_prefix_bytes
// for an extent that is `legacy`.
std::string content_hash(const std::string& path, list_extent extent) {
    // Only a regular file: a FIFO's bytes are the run's input, read once.
    std::error_code ec;
    if (path.empty() || path == "-" || !std::filesystem::is_regular_file(path, ec)) return {};
    std::ifstream in(path, std::ios::binary);
    std::uint64_t h = fnv1a_basis;
    char buf[4096];
    const std::size_t limit = extent.legacy ? list_prefix_bytes : extent.bytes;
    std::size_t left = limit;
    while (left > 0 && (in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, left))) || in.gcount() > 0)) {
        left -= static_cast<std::size_t>(in.gcount());
        h = fnv1a(std::string_view(buf, static_cast<std::size_t>(in.gcount())), h);
    }
    if (extent.legacy) return hash_text(h);
    return hash_text(h) + ':' + std::to_string(limit - left);
}

// Free text as the fingerprint holds it: as it is, or in "..." with '"'
// and '\' escaped when a space, a tab, '"', '\' or '@' would let it run
// into the next item ("1 header=b:2" as one header value, or as two
// headers); a line break (a path may hold one) is written \n or \r, so
// the run file keeps the fingerprint on one line. Values without those
// bytes are written as they were before quoting came.
std::string as_item(std::string_view v) {
    if (v.find_first_of(" \t\"\\@\n\r") == std::string_view::npos) return std::string(v);
    std::string out = "\"";
    for (char c : v) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
    }
    out += '"';
    return out;
}

}  // namespace

list_extent fresh_list_extent(const crawl_options& o) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(o.input, ec);
    if (ec || o.input == "-") return {};
    return {false, static_cast<std::size_t>(std::min<std::uintmax_t>(size, list_prefix_bytes))};
}

std::optional<list_extent> list_extent_of(std::string_view fingerprint) {
    if (!fingerprint.starts_with("input=")) return std::nullopt;
    std::size_t i = 6;
    if (i < fingerprint.size() && fingerprint[i] == '"') {  // a quoted path (as_item)
        for (++i; i < fingerprint.size() && fingerprint[i] != '"'; ++i)
            if (fingerprint[i] == '\\') ++i;
        ++i;
    } else {
        while (i < fingerprint.size() && fingerprint[i] != '@' && fingerprint[i] != ' ') ++i;
    }
    if (i + 17 > fingerprint.size() || fingerprint[i] != '@') return std::nullopt;  // no hash: not a file
    i += 17;
    if (i >= fingerprint.size() || fingerprint[i] != ':') return list_extent{true, list_prefix_bytes};
    std::size_t bytes = 0;
    bool digits = false;
    for (++i; i < fingerprint.size() && fingerprint[i] >= '0' && fingerprint[i] <= '9'; ++i) {
        bytes = bytes * 10 + static_cast<std::size_t>(fingerprint[i] - '0');
        digits = true;
        if (bytes > list_prefix_bytes) return std::nullopt;
    }
    if (!digits) return std::nullopt;
    return list_extent{false, bytes};
}

// Words in a header name that say its value is a credential (Authorization,
// Proxy-Authorization, X-Api-Key, X-Auth-Token, X-Session-Id, ...).
constexpr std::string_view secret_words[] = {"auth", "key", "token", "secret", "session", "password", "signature"};

std::string resume_fingerprint(const crawl_options& o, std::uint64_t rules_hash, list_extent list) {
    // Only what changes the content of records; speed knobs may differ.
    std::ostringstream s;
    // The URL file's first 64 KiB at most, so that hashing a huge list costs nothing.
    s << "input=" << as_item(one_spelling(o.input)) << content_hash(o.input, list)
      << " rules=" << as_item(one_spelling(o.rules)) << (o.rules.empty() ? "" : hash_text(rules_hash))
      << " timeout=" << o.timeout_s
      << " max-body=" << o.max_body << " retries=" << o.retries
      << " max-redirects=" << o.max_redirects << " insecure=" << o.insecure
      << " ca-file=" << as_item(one_spelling(o.ca_file)) << " user-agent=" << as_item(o.user_agent);
    // A header name is a token (no ':', space or quote); its value may hold
    // anything. Credentials are kept as a hash: a mismatch message prints
    // the fingerprint (and the file is the owner's only).
    for (const auto& [k, v] : o.headers) {
        const std::string name = ascii_lower(k);
        const bool secret = name == "cookie" || std::any_of(std::begin(secret_words), std::end(secret_words),
                                                            [&](std::string_view w) { return name.find(w) != std::string::npos; });
        s << " header=" << name << ':' << (secret ? hash_text(fnv1a(v)) : as_item(v));
    }
    // Only when on, so that the runs before --robots existed resume as they were.
    if (o.robots) s << " robots=1";
    // Not the format: the output's first bytes say it (a CSV header or a
    // record), and --resume refuses the other one (refuse_foreign_output),
    // however it was chosen (-o's name, --format, stdout into a file).
    return s.str();
}

}  // namespace shoal
