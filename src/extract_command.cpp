// `shoal extract` (see extract_command.hpp): read each saved page as bytes,
// convert it to UTF-8 as a crawl would, run the extractor, print a record.
#include "shoal/extract_command.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "shoal/charset.hpp"
#include "shoal/command_line.hpp"
#include "shoal/error.hpp"
#include "shoal/extractor.hpp"
#include "shoal/record.hpp"
#include "shoal/sys.hpp"
#include "shoal/url.hpp"

namespace shoal {
namespace {

struct extract_options {
    std::string rules;
    std::string url;
    std::string fetched_url;  // --url normalised, as a crawl fetches it: the record's final_url
    std::string content_type;
    std::size_t max_body = 8u << 20;  // as crawl's --max-body
    std::vector<std::string> files;
};

// Returns nullopt after printing help.
std::optional<extract_options> parse(int argc, char** argv) {
    extract_options o;
    CLI::App app(
        "run extraction rules over saved pages, offline, and print one JSONL record per FILE\n"
        "Exit codes: 0 done, 1 usage or bad rules, 2 unreadable FILE.",
        "shoal extract");
    app.formatter(std::make_shared<help_layout>(
        "\nUsage: shoal extract [--rules PATH] [--url URL] [--content-type TYPE] [--max-body BYTES] FILE...\n"));
    add_help_and_version(app);
    app.add_option("--rules", o.rules, "extraction rules (TOML); default: built-in title + price")
        ->check(non_empty_path())
        ->type_name("PATH");
    CLI::Option* url_option = app.add_option("--url", o.url,
                   "the URL the pages came from: the record's url, the host for `hosts`, the base "
                   "for url values")
        ->type_name("URL");
    app.add_option("--content-type", o.content_type,
                   "the Content-Type header the pages came with (its charset is used; an unknown "
                   "one is refused), e.g. 'text/html; charset=gbk'")
        ->type_name("TYPE");
    app.add_option("--max-body", o.max_body,
                   "cap on a page's bytes, as crawl's: a longer page is cut there and its record "
                   "says body_too_large (default 8M; K, M and G are 1024-based)")
        ->transform(byte_size(1, std::uint64_t{1} << 32))
        ->type_name("BYTES");
    app.add_option("FILE", o.files, "saved pages, read as bytes ('-': stdin)")->required()->type_name("FILE");
    if (!parse_command(app, argc, argv, "extract")) return std::nullopt;
    const bool url_given = url_option->count() > 0;
    // A charset typed here is checked: a page's own unknown label is skipped
    // (as in a crawl), which would hide a typo here.
    if (const std::string label = content_type_charset(o.content_type);
        !label.empty() && charset_name(label).empty())
        throw setup_error(exit_code::usage,
                          "--content-type " + o.content_type + ": unknown charset '" + label +
                              "'; known: " + known_charset_names() +
                              ", and their WHATWG labels such as gbk, latin1 or sjis "
                              "(see the README's Charsets)");
    // The same URLs as a crawl's lines: http(s) only, else a usage error.
    if (url_given && o.url.empty()) throw setup_error(exit_code::usage, "--url is empty: give the URL the pages came from");
    if (!o.url.empty()) {
        const auto parsed = parse_url(o.url);
        if (const auto* e = std::get_if<url_error>(&parsed))
            throw setup_error(exit_code::usage, "--url " + o.url + ": " + e->message);
        o.fetched_url = std::get<target_url>(parsed).url;
    }
    return o;
}

// At most cap + 1 bytes of the page at path ('-': stdin), so that a page
// over the cap is told apart without holding all of it.
std::string read_bytes(const std::string& path, std::size_t cap) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) throw setup_error(exit_code::file, path + ": " + std::strerror(errno));
        in = &file;
    }
    std::string out;
    char buf[1 << 16];
    while (out.size() <= cap && in->read(buf, sizeof buf).gcount() > 0)
        out.append(buf, static_cast<std::size_t>(in->gcount()));
    if (in->bad()) throw setup_error(exit_code::file, (path == "-" ? "<stdin>" : path) + ": read error");
    if (out.size() > cap + 1) out.resize(cap + 1);
    return out;
}

}  // namespace

int run_extract_command(int argc, char** argv) {
    std::optional<extract_options> o = parse(argc, argv);
    if (!o) return 0;
    // Bad rules and missing files stop the command before any output.
    std::unique_ptr<extractor> from_rules;
    if (!o->rules.empty()) from_rules = extractor::from_file(o->rules);
    const extractor& ex = from_rules ? *from_rules : extractor::builtin();
    sys::require_open_stdout("the records");
    if (std::count(o->files.begin(), o->files.end(), "-") > 1)
        throw setup_error(exit_code::usage, "'-' (a page from stdin) is given more than once: stdin holds one page");
    for (const std::string& f : o->files) {
        struct stat st{};
        if (f.empty()) throw setup_error(exit_code::usage, "an empty FILE name");
        if (f == "-") {
            if (sys::standard_fd_was_closed(STDIN_FILENO))
                throw setup_error(exit_code::file, "cannot read a page from stdin: it is closed");
            if (::fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode))
                throw setup_error(exit_code::file, "cannot read a page from stdin: it is a directory");
            continue;
        }
        if (sys::names_closed_stdin(f)) throw setup_error(exit_code::file, f + ": stdin is closed");
        if (::stat(f.c_str(), &st) != 0) throw setup_error(exit_code::file, f + ": " + std::strerror(errno));
        if (S_ISDIR(st.st_mode)) throw setup_error(exit_code::file, f + ": is a directory");
        // Only a regular file is opened to see that it can be: a FIFO's
        // writer would take that open for the reader and write into a
        // closed pipe, and a FIFO without one would wait here.
        if (S_ISREG(st.st_mode)) {
            std::ifstream probe(f, std::ios::binary);
            if (!probe) throw setup_error(exit_code::file, f + ": " + std::strerror(errno));
        } else if (::access(f.c_str(), R_OK) != 0) {
            throw setup_error(exit_code::file, f + ": " + std::strerror(errno));
        }
    }
    std::string out;
    for (std::size_t i = 0; i < o->files.size(); ++i) {
        std::string body = read_bytes(o->files[i], o->max_body);
        record r;
        r.line = i + 1;
        r.url = o->url.empty() ? o->files[i] : o->url;
        r.final_url = o->fetched_url;
        if (body.size() > o->max_body) {  // as a crawl records it: an error, and what the cap holds
            body.resize(o->max_body);
            r.stage = error_stage::body;
            r.error_code = "body_too_large";
            r.error_message = "decoded body larger than " + std::to_string(o->max_body) + " bytes";
        }
        r.bytes = body.size();
        auto start = std::chrono::steady_clock::now();
        // A type a crawl does not extract from (image/png, say) gives what a crawl's record holds.
        if (worth_extracting(o->content_type)) {
            const std::string charset = detect_charset(body, o->content_type);
            const std::string text = to_utf8(body, charset);
            extraction e = ex.extract(text, charset_currency_hint(charset), o->fetched_url);
            r.title = std::move(e.title);
            r.price = std::move(e.price);
            r.fields = std::move(e.fields);
        } else {
            r.fields = ex.empty_fields();
        }
        r.elapsed_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count();
        out.clear();
        append_jsonl(r, out);
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size())
            throw setup_error(exit_code::file, std::string("stdout: ") + std::strerror(errno));
    }
    if (std::fflush(stdout) != 0)
        throw setup_error(exit_code::file, std::string("stdout: ") + std::strerror(errno));
    return 0;
}

}  // namespace shoal
