// bench_report (see bench_report.hpp): bench.csv, bench.md and bench.svg
// from result rows. Pure formatting: no I/O, no clocks.
#include "shoal/bench_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace shoal::bench {
namespace {

// A fixed-point number, or "" when not measured.
std::string fixed(double value, int decimals) {
    if (!std::isfinite(value)) return "";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::vector<double> field(const result_row& row, double run_sample::*member) {
    std::vector<double> v;
    for (const run_sample& r : row.runs) v.push_back(r.*member);
    return v;
}

double median_of(const result_row& row, double run_sample::*member) {
    return median(field(row, member));
}

std::string csv_quote(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + '"';
}

std::string xml_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// Text for a markdown table cell: pipes escaped, line breaks flattened.
std::string md_cell(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '|') out += "\\|";
        else if (c == '\n' || c == '\r') out += ' ';
        else out += c;
    }
    return out;
}

// The wrk row of the same mode and in-flight count, or nullptr.
const result_row* wrk_peer(const std::vector<result_row>& rows, const result_row& row) {
    for (const result_row& r : rows)
        if (r.tool == "wrk" && r.mode == row.mode && r.in_flight() == row.in_flight()) return &r;
    return nullptr;
}

const mode_setup* find_mode(const report_context& ctx, const std::string& name) {
    for (const mode_setup& m : ctx.modes)
        if (m.name == name) return &m;
    return nullptr;
}

// Rows of one mode: shoal first, then wrk; each by processes, then concurrency.
std::vector<const result_row*> rows_of(const std::vector<result_row>& rows, const std::string& mode) {
    std::vector<const result_row*> out;
    for (const result_row& r : rows)
        if (r.mode == mode) out.push_back(&r);
    std::stable_sort(out.begin(), out.end(), [](const result_row* a, const result_row* b) {
        auto key = [](const result_row* r) {
            return std::make_tuple(r->tool != "shoal", r->tool, r->processes, r->concurrency);
        };
        return key(a) < key(b);
    });
    return out;
}

// The modes in report order: ctx.modes first, then any others in row order.
std::vector<std::string> mode_order(const std::vector<result_row>& rows, const report_context& ctx) {
    std::vector<std::string> out;
    for (const mode_setup& m : ctx.modes) out.push_back(m.name);
    for (const result_row& r : rows)
        if (std::find(out.begin(), out.end(), r.mode) == out.end()) out.push_back(r.mode);
    return out;
}

}  // namespace

double median(std::vector<double> values) {
    values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
                 values.end());
    if (values.empty()) return no_value;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

double min_of(const std::vector<double>& values) {
    double m = no_value;
    for (double v : values)
        if (std::isfinite(v) && !(v >= m)) m = v;
    return m;
}

double max_of(const std::vector<double>& values) {
    double m = no_value;
    for (double v : values)
        if (std::isfinite(v) && !(v <= m)) m = v;
    return m;
}

double median_pages_per_s(const result_row& row) { return median_of(row, &run_sample::pages_per_s); }

double lowest_correct_percent(const result_row& row) {
    return min_of(field(row, &run_sample::correct_percent));
}

double ideal_pages_per_s(unsigned in_flight, double latency_ms) {
    return latency_ms > 0 ? in_flight * 1000.0 / latency_ms : no_value;
}

std::string group_thousands(double value, int decimals) {
    if (!std::isfinite(value)) return "";
    std::string s = fixed(std::fabs(value), decimals);
    std::size_t int_end = s.find('.');
    if (int_end == std::string::npos) int_end = s.size();
    std::string grouped;
    for (std::size_t i = 0; i < int_end; ++i) {
        if (i > 0 && (int_end - i) % 3 == 0) grouped += ',';
        grouped += s[i];
    }
    grouped += s.substr(int_end);
    const bool negative = value < 0 && grouped.find_first_not_of("0.,") != std::string::npos;
    return negative ? "-" + grouped : grouped;
}

// ---------------------------------------------------------------- CSV

std::string to_csv(const std::vector<result_row>& rows) {
    std::string out =
        "mode,tool,processes,concurrency,in_flight,urls,repeats,pages_per_s,pages_per_s_min,"
        "pages_per_s_max,client_cpu_us_per_page,server_cpu_us_per_page,tls_resumed_share,"
        "correct_percent,wall_s\r\n";
    for (const result_row& r : rows) {
        const std::vector<double> pps = field(r, &run_sample::pages_per_s);
        std::vector<std::string> cells = {
            csv_quote(r.mode),
            csv_quote(r.tool),
            std::to_string(r.processes),
            std::to_string(r.concurrency),
            std::to_string(r.in_flight()),
            r.tool == "wrk" ? std::string() : std::to_string(r.urls),  // wrk runs for a duration
            std::to_string(r.runs.size()),
            fixed(median(pps), 1),
            fixed(min_of(pps), 1),
            fixed(max_of(pps), 1),
            fixed(median_of(r, &run_sample::client_cpu_us_per_page), 1),
            fixed(median_of(r, &run_sample::server_cpu_us_per_page), 1),
            fixed(median_of(r, &run_sample::tls_resumed_share), 4),
            fixed(lowest_correct_percent(r), 3),
            fixed(median_of(r, &run_sample::wall_s), 3),
        };
        for (std::size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + cells[i];
        out += "\r\n";
    }
    return out;
}

// ---------------------------------------------------------------- markdown

std::string markdown_table(const std::vector<result_row>& rows, const std::string& mode,
                           const report_context& ctx) {
    const std::vector<const result_row*> these = rows_of(rows, mode);
    if (these.empty()) return "";
    bool any_tls = false;
    for (const result_row* r : these)
        any_tls = any_tls || std::isfinite(median_of(*r, &run_sample::tls_resumed_share));
    const bool latency = mode == "latency";
    const bool any_wrk = std::any_of(these.begin(), these.end(), [](const result_row* r) { return r->tool == "wrk"; });

    std::vector<std::string> head = {"tool", "P", "C", "in flight", "URLs", "pages/s", "min-max"};
    if (any_wrk) head.push_back("shoal/wrk");
    if (latency) head.insert(head.end(), {"ideal pages/s", "% of ideal"});
    head.insert(head.end(), {"client CPU µs/page", "server CPU µs/page"});
    if (any_tls) head.push_back("TLS resumed %");
    head.insert(head.end(), {"correct %", "wall s"});

    std::string out = "|";
    for (const std::string& h : head) out += " " + h + " |";
    out += "\n|";
    for (std::size_t i = 0; i < head.size(); ++i) out += i == 0 ? "---|" : "---:|";
    out += "\n";

    for (const result_row* r : these) {
        const bool wrk = r->tool == "wrk";
        const std::vector<double> pps = field(*r, &run_sample::pages_per_s);
        const double med = median(pps);
        std::string ratio;
        if (const result_row* peer = wrk ? nullptr : wrk_peer(rows, *r)) {
            const double w = median_pages_per_s(*peer);
            if (std::isfinite(med) && std::isfinite(w) && w > 0) ratio = fixed(med / w, 2) + "x";
        }
        std::string range;
        if (std::isfinite(min_of(pps)))
            range = group_thousands(min_of(pps)) + "-" + group_thousands(max_of(pps));
        std::vector<std::string> cells = {
            md_cell(r->tool),
            std::to_string(r->processes),
            std::to_string(r->concurrency),
            group_thousands(r->in_flight()),
            wrk ? "-" : group_thousands(static_cast<double>(r->urls)),
            group_thousands(med),
            range,
        };
        if (any_wrk) cells.push_back(ratio);
        if (latency) {
            const double ideal = ideal_pages_per_s(r->in_flight(), ctx.latency_ms);
            cells.push_back(group_thousands(ideal));
            cells.push_back(std::isfinite(ideal) && std::isfinite(med) ? fixed(100 * med / ideal, 1)
                                                                        : "");
        }
        cells.push_back(fixed(median_of(*r, &run_sample::client_cpu_us_per_page), 1));
        cells.push_back(fixed(median_of(*r, &run_sample::server_cpu_us_per_page), 1));
        if (any_tls) cells.push_back(fixed(100 * median_of(*r, &run_sample::tls_resumed_share), 1));
        cells.push_back(wrk ? "n/a" : fixed(lowest_correct_percent(*r), 2));
        cells.push_back(fixed(median_of(*r, &run_sample::wall_s), 2));
        out += "|";
        for (const std::string& c : cells) out += " " + (c.empty() ? std::string("-") : c) + " |";
        out += "\n";
    }
    return out;
}

std::string to_markdown(const std::vector<result_row>& rows, const report_context& ctx) {
    std::string out = "# shoal bench\n\n";
    out += ctx.wrk_command.empty()
               ? "`shoal crawl` against the built-in experiment site `shoal serve`, without wrk.\n\n"
               : "`shoal crawl` against the built-in experiment site `shoal serve`, with wrk as a "
                 "reference.\n\n";
    out += "- command: `" + ctx.command_line + "`\n";
    out += "- machine: " + std::to_string(ctx.cpus) + " CPUs, " +
           (ctx.cpu_model.empty() ? std::string("unknown CPU") : ctx.cpu_model) + ", Linux " +
           ctx.kernel + "\n";
    if (!ctx.date.empty()) out += "- date: " + ctx.date + "\n";
    if (!ctx.crawl_command.empty()) out += "- each crawl: `" + ctx.crawl_command + "`\n";
    if (!ctx.wrk_command.empty()) out += "- wrk: `" + ctx.wrk_command + "`\n";
    out += "\n";
    out += "P is crawl worker processes (`-p`), C concurrent fetches per process (`-c`); in "
           "flight is P x C. Each point is the median of its runs, with the range of pages/s. "
           "pages/s is records / wall time of the whole `shoal crawl` (start to exit). client CPU "
           "is the user + system time of the crawl's process tree (supervisor, workers, "
           "writer) per page; server CPU is `shoal serve`'s own, from its /stats. correct is "
           "the share of records with status 200 and the exact title and price of the page, "
           "in the worst run.";
    if (std::any_of(rows.begin(), rows.end(), [](const result_row& r) { return r.tool == "wrk"; }))
        out += " For wrk, P is threads, C connections per thread, and pages/s its requests/s on "
               "one page, without decoding or parsing; shoal/wrk compares the medians at the same "
               "mode and in-flight count.";
    out += "\n";
    for (const std::string& mode : mode_order(rows, ctx)) {
        const std::string table = markdown_table(rows, mode, ctx);
        if (table.empty()) continue;
        out += "\n## " + mode + "\n\n";
        if (const mode_setup* m = find_mode(ctx, mode)) {
            if (!m->description.empty()) out += m->description + "\n";
            out += "Server: `shoal serve" + (m->serve_args.empty() ? "" : " " + m->serve_args) + "`";
            if (!m->crawl_args.empty()) out += "; crawl adds `" + m->crawl_args + "`";
            out += ".\n\n";
        }
        out += table;
    }
    if (!ctx.notes.empty()) {
        out += "\n## Notes\n\n";
        for (const std::string& n : ctx.notes) out += "- " + n + "\n";
    }
    return out;
}

// ---------------------------------------------------------------- axes

std::vector<double> log2_ticks(double lo, double hi) {
    if (!(lo > 0) || !(hi >= lo)) return {1, 2};
    int a = static_cast<int>(std::floor(std::log2(lo) + 1e-9));
    int b = static_cast<int>(std::ceil(std::log2(hi) - 1e-9));
    if (a == b) {
        --a;
        ++b;
    }
    std::vector<double> ticks;
    for (int e = a; e <= b; ++e) ticks.push_back(std::ldexp(1.0, e));
    return ticks;
}

std::vector<double> log10_ticks(double lo, double hi) {
    if (!(lo > 0) || !(hi >= lo)) return {1, 10};
    const int a = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    const int b = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    std::vector<double> candidates;
    if (std::log10(hi) - std::log10(lo) > 2) {
        for (int e = a; e <= b; ++e) candidates.push_back(std::pow(10.0, e));
        if (a == b) candidates.push_back(std::pow(10.0, b + 1));
        return candidates;
    }
    for (int e = a - 1; e <= b + 1; ++e)
        for (double m : {1.0, 2.0, 5.0}) candidates.push_back(m * std::pow(10.0, e));
    // The largest candidate <= lo and the smallest >= hi, one step wider if equal.
    std::size_t first = 0, last = candidates.size() - 1;
    for (std::size_t i = 0; i < candidates.size(); ++i)
        if (candidates[i] <= lo * (1 + 1e-9)) first = i;
    for (std::size_t i = candidates.size(); i-- > 0;)
        if (candidates[i] >= hi * (1 - 1e-9)) last = i;
    if (first == last) {
        if (first > 0) --first;
        if (last + 1 < candidates.size()) ++last;
    }
    return {candidates.begin() + static_cast<std::ptrdiff_t>(first),
            candidates.begin() + static_cast<std::ptrdiff_t>(last) + 1};
}

std::vector<double> linear_ticks(double hi) {
    if (!(hi > 0)) return {0, 1};
    const double raw = hi / 5;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / mag;
    const double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    std::vector<double> ticks = {0};
    while (ticks.back() < hi * (1 - 1e-9)) ticks.push_back(ticks.size() * step);
    return ticks;
}

// ---------------------------------------------------------------- SVG

namespace {

struct series {
    std::string label;
    std::string kind;  // "shoal", "wrk", "ideal": the CSS class
    std::string color;
    std::string dash;  // stroke-dasharray, "" for solid
    int marker = 0;    // 0 circle, 1 square, 2 triangle, 3 diamond, -1 none
    bool hollow = false;
    std::vector<std::pair<double, double>> points;  // (in flight, value), by x
};

std::string mode_color(const std::string& mode, std::size_t index) {
    static const std::map<std::string, std::string> known = {
        {"keep-alive", "#1f77b4"}, {"close", "#e8710a"}, {"https", "#2ca02c"}, {"latency", "#d62728"}};
    static const char* spare[] = {"#9467bd", "#8c564b", "#e377c2", "#17becf"};
    auto it = known.find(mode);
    return it != known.end() ? it->second : spare[index % 4];
}

// color mixed with black: amount 0 = color, 1 = black.
std::string darken(const std::string& color, double amount) {
    unsigned rgb = 0;
    std::sscanf(color.c_str() + 1, "%x", &rgb);
    auto ch = [&](int shift) {
        const double c = (rgb >> shift) & 0xff;
        return static_cast<unsigned>(std::lround(c * (1 - amount)));
    };
    char buf[8];
    std::snprintf(buf, sizeof buf, "#%02x%02x%02x", ch(16), ch(8), ch(0));
    return buf;
}

// Tick label of a pages/s axis: 500, 1k, 2.5k, 1M.
std::string si_label(double v) {
    auto trim = [](std::string s) {
        if (s.find('.') != std::string::npos) {
            while (s.back() == '0') s.pop_back();
            if (s.back() == '.') s.pop_back();
        }
        return s;
    };
    if (v >= 1e6) return trim(fixed(v / 1e6, 2)) + "M";
    if (v >= 1e3) return trim(fixed(v / 1e3, 2)) + "k";
    return trim(fixed(v, 2));
}

std::string num(double v) { return fixed(v, 1); }

struct panel {
    double x, y, w, h;                  // the plot area in SVG pixels
    std::vector<double> xticks, yticks;  // first and last are the range
    bool ylog = true;

    double px(double v) const {
        const double a = std::log2(xticks.front()), b = std::log2(xticks.back());
        return x + (std::log2(v) - a) / (b - a) * w;
    }
    double py(double v) const {
        const double a = ylog ? std::log10(yticks.front()) : yticks.front();
        const double b = ylog ? std::log10(yticks.back()) : yticks.back();
        const double t = ylog ? std::log10(v) : v;
        return y + h - (t - a) / (b - a) * h;
    }
    bool plottable(double yv) const { return std::isfinite(yv) && (!ylog || yv > 0); }
};

void draw_marker(std::string& out, const series& s, double cx, double cy, const std::string& tip) {
    const std::string fill = s.hollow ? "#ffffff" : s.color;
    const std::string style = " fill=\"" + fill + "\" stroke=\"" + s.color + "\" stroke-width=\"1.5\"";
    std::string shape;
    switch (s.marker) {
        case 0: shape = "<circle cx=\"" + num(cx) + "\" cy=\"" + num(cy) + "\" r=\"3.5\"" + style; break;
        case 1:
            shape = "<rect x=\"" + num(cx - 3.2) + "\" y=\"" + num(cy - 3.2) +
                    "\" width=\"6.4\" height=\"6.4\"" + style;
            break;
        case 2:
            shape = "<path d=\"M" + num(cx) + " " + num(cy - 4.2) + "L" + num(cx + 4) + " " +
                    num(cy + 3) + "L" + num(cx - 4) + " " + num(cy + 3) + "Z\"" + style;
            break;
        case 3:
            shape = "<path d=\"M" + num(cx) + " " + num(cy - 4.5) + "L" + num(cx + 4.5) + " " +
                    num(cy) + "L" + num(cx) + " " + num(cy + 4.5) + "L" + num(cx - 4.5) + " " +
                    num(cy) + "Z\"" + style;
            break;
        default: return;
    }
    out += "    " + shape + " class=\"point\"><title>" + xml_escape(tip) + "</title>" +
           (s.marker == 0 ? "</circle>\n" : s.marker == 1 ? "</rect>\n" : "</path>\n");
}

void draw_series(std::string& out, const panel& p, const series& s, const std::string& unit) {
    std::string pts;
    std::vector<std::pair<double, double>> shown;
    for (auto [xv, yv] : s.points)
        if (xv > 0 && p.plottable(yv)) shown.emplace_back(xv, yv);
    if (shown.empty()) return;
    for (auto [xv, yv] : shown) pts += (pts.empty() ? "" : " ") + num(p.px(xv)) + "," + num(p.py(yv));
    out += "  <g class=\"" + s.kind + "\">\n";
    out += "    <polyline class=\"series " + s.kind + "\" points=\"" + pts +
           "\" fill=\"none\" stroke=\"" + s.color + "\" stroke-width=\"" +
           (s.kind == "shoal" ? "2" : "1.5") + "\" stroke-linejoin=\"round\"" +
           (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") + "><title>" +
           xml_escape(s.label) + "</title></polyline>\n";
    for (auto [xv, yv] : shown)
        draw_marker(out, s, p.px(xv), p.py(yv),
                    s.label + ": " + group_thousands(xv) + " in flight, " +
                        group_thousands(yv, yv < 100 ? 1 : 0) + " " + unit);
    out += "  </g>\n";
}

void draw_axes(std::string& out, const panel& p, const std::string& title, const std::string& ylabel,
               const std::string& xlabel) {
    out += "  <g class=\"axes\" font-size=\"11\" fill=\"#333333\">\n";
    out += "    <rect x=\"" + num(p.x) + "\" y=\"" + num(p.y) + "\" width=\"" + num(p.w) +
           "\" height=\"" + num(p.h) + "\" fill=\"#ffffff\" stroke=\"#999999\"/>\n";
    const std::size_t label_every = p.xticks.size() > 9 ? 2 : 1;
    for (std::size_t i = 0; i < p.xticks.size(); ++i) {
        const double x = p.px(p.xticks[i]);
        out += "    <line class=\"xtick\" x1=\"" + num(x) + "\" y1=\"" + num(p.y) + "\" x2=\"" + num(x) +
               "\" y2=\"" + num(p.y + p.h + 4) + "\" stroke=\"#e3e3e3\"/>\n";
        if (i % label_every == 0)
            out += "    <text x=\"" + num(x) + "\" y=\"" + num(p.y + p.h + 17) +
                   "\" text-anchor=\"middle\">" + fixed(p.xticks[i], 0) + "</text>\n";
    }
    for (double t : p.yticks) {
        const double y = p.py(t);
        out += "    <line class=\"ytick\" x1=\"" + num(p.x - 4) + "\" y1=\"" + num(y) + "\" x2=\"" +
               num(p.x + p.w) + "\" y2=\"" + num(y) + "\" stroke=\"#e3e3e3\"/>\n";
        out += "    <text x=\"" + num(p.x - 7) + "\" y=\"" + num(y + 4) + "\" text-anchor=\"end\">" +
               si_label(t) + "</text>\n";
    }
    out += "    <rect x=\"" + num(p.x) + "\" y=\"" + num(p.y) + "\" width=\"" + num(p.w) +
           "\" height=\"" + num(p.h) + "\" fill=\"none\" stroke=\"#999999\"/>\n";
    out += "    <text x=\"" + num(p.x) + "\" y=\"" + num(p.y - 9) +
           "\" font-size=\"13\" font-weight=\"bold\" fill=\"#222222\">" + xml_escape(title) + "</text>\n";
    out += "    <text x=\"" + num(p.x + p.w / 2) + "\" y=\"" + num(p.y + p.h + 34) +
           "\" text-anchor=\"middle\">" + xml_escape(xlabel) + "</text>\n";
    const double ly = p.y + p.h / 2;
    out += "    <text x=\"" + num(p.x - 52) + "\" y=\"" + num(ly) +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 " + num(p.x - 52) + " " + num(ly) +
           ")\">" + xml_escape(ylabel) + "</text>\n";
    out += "  </g>\n";
}

// Sets the panel's ticks from the values its series will show.
void fit(panel& p, const std::vector<series>& all) {
    double xlo = no_value, xhi = no_value, ylo = no_value, yhi = no_value;
    for (const series& s : all)
        for (auto [xv, yv] : s.points) {
            if (!(xv > 0) || !p.plottable(yv)) continue;
            xlo = std::isfinite(xlo) ? std::min(xlo, xv) : xv;
            xhi = std::isfinite(xhi) ? std::max(xhi, xv) : xv;
            ylo = std::isfinite(ylo) ? std::min(ylo, yv) : yv;
            yhi = std::isfinite(yhi) ? std::max(yhi, yv) : yv;
        }
    p.xticks = std::isfinite(xlo) ? log2_ticks(xlo, xhi) : std::vector<double>{1, 2};
    if (p.ylog) p.yticks = std::isfinite(ylo) ? log10_ticks(ylo, yhi) : std::vector<double>{1, 10};
    else p.yticks = linear_ticks(std::isfinite(yhi) ? yhi : 1);
}

// The series of one panel: shoal per mode x processes, wrk per mode, ideal.
std::vector<series> build_series(const std::vector<result_row>& rows, const report_context& ctx,
                                 double run_sample::*member, bool with_ideal) {
    std::vector<series> out;
    const std::vector<std::string> modes = mode_order(rows, ctx);
    for (std::size_t mi = 0; mi < modes.size(); ++mi) {
        const std::string& mode = modes[mi];
        const std::string color = mode_color(mode, mi);
        std::set<unsigned> procs;
        for (const result_row& r : rows)
            if (r.mode == mode && r.tool == "shoal") procs.insert(r.processes);
        std::size_t pi = 0;
        for (unsigned p : procs) {
            series s;
            s.label = mode + ", P=" + std::to_string(p);
            s.kind = "shoal";
            s.color = procs.size() > 1 ? darken(color, 0.45 * pi / (procs.size() - 1)) : color;
            s.marker = static_cast<int>(pi % 3);
            for (const result_row& r : rows)
                if (r.mode == mode && r.tool == "shoal" && r.processes == p)
                    s.points.emplace_back(r.in_flight(), median_of(r, member));
            out.push_back(std::move(s));
            ++pi;
        }
        series w;
        w.label = "wrk, " + mode;
        w.kind = "wrk";
        w.color = color;
        w.dash = "6 4";
        w.marker = 3;
        w.hollow = true;
        for (const result_row& r : rows)
            if (r.mode == mode && r.tool == "wrk") w.points.emplace_back(r.in_flight(), median_of(r, member));
        if (!w.points.empty()) out.push_back(std::move(w));
        if (with_ideal && mode == "latency" && ctx.latency_ms > 0) {
            series ideal;
            ideal.label = "ideal P×C / " + fixed(ctx.latency_ms, ctx.latency_ms == std::floor(ctx.latency_ms) ? 0 : 1) + " ms";
            ideal.kind = "ideal";
            ideal.color = "#555555";
            ideal.dash = "2 4";
            ideal.marker = -1;
            std::set<unsigned> xs;
            for (const result_row& r : rows)
                if (r.mode == mode) xs.insert(r.in_flight());
            for (unsigned x : xs) ideal.points.emplace_back(x, ideal_pages_per_s(x, ctx.latency_ms));
            if (!ideal.points.empty()) out.push_back(std::move(ideal));
        }
    }
    for (series& s : out) std::sort(s.points.begin(), s.points.end());
    return out;
}

void draw_legend(std::string& out, const std::vector<series>& all, double x, double y) {
    out += "  <g class=\"legend\" font-size=\"12\" fill=\"#222222\">\n";
    for (const series& s : all) {
        out += "    <line x1=\"" + num(x) + "\" y1=\"" + num(y) + "\" x2=\"" + num(x + 30) + "\" y2=\"" +
               num(y) + "\" stroke=\"" + s.color + "\" stroke-width=\"" + (s.kind == "shoal" ? "2" : "1.5") +
               "\"" + (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") + "/>\n";
        std::string marker;
        draw_marker(marker, s, x + 15, y, s.label);
        out += marker;
        out += "    <text x=\"" + num(x + 38) + "\" y=\"" + num(y + 4) + "\">" + xml_escape(s.label) +
               "</text>\n";
        y += 19;
    }
    out += "  </g>\n";
}

}  // namespace

std::string to_svg(const std::vector<result_row>& rows, const report_context& ctx) {
    const double width = 940, left = 84, plot_w = 600;
    panel top{left, 74, plot_w, 330, {}, {}, true};
    panel bottom{left, top.y + top.h + 92, plot_w, 230, {}, {}, false};
    const double height = bottom.y + bottom.h + 52;

    const std::vector<series> speed = build_series(rows, ctx, &run_sample::pages_per_s, true);
    const std::vector<series> cpu = build_series(rows, ctx, &run_sample::client_cpu_us_per_page, false);
    fit(top, speed);
    fit(bottom, cpu);
    // Both panels share the x axis range.
    std::vector<double> xt = top.xticks;
    if (bottom.xticks.front() < xt.front() || bottom.xticks.back() > xt.back())
        xt = log2_ticks(std::min(xt.front(), bottom.xticks.front()), std::max(xt.back(), bottom.xticks.back()));
    top.xticks = bottom.xticks = xt;

    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(width) + "\" height=\"" +
           num(height) + "\" viewBox=\"0 0 " + num(width) + " " + num(height) +
           "\" font-family=\"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\">\n";
    out += "  <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
    out += "  <text x=\"" + num(left) + "\" y=\"26\" font-size=\"16\" font-weight=\"bold\" fill=\"#111111\">"
           "shoal bench: shoal crawl against shoal serve</text>\n";
    std::string sub = std::to_string(ctx.cpus) + " CPUs";
    if (!ctx.cpu_model.empty()) sub += ", " + ctx.cpu_model;
    if (!ctx.kernel.empty()) sub += ", Linux " + ctx.kernel;
    if (!ctx.date.empty()) sub += ", " + ctx.date;
    out += "  <text x=\"" + num(left) + "\" y=\"45\" font-size=\"11\" fill=\"#555555\">" + xml_escape(sub) +
           "</text>\n";

    const std::string xlabel = "fetches in flight, P × C (wrk: connections), log scale";
    const bool any_wrk = std::any_of(speed.begin(), speed.end(), [](const series& s) { return s.kind == "wrk"; });
    draw_axes(out, top, "Throughput (median of runs)",
              any_wrk ? "pages/s (wrk: requests/s), log scale" : "pages/s, log scale", xlabel);
    for (const series& s : speed) draw_series(out, top, s, s.kind == "wrk" ? "requests/s" : "pages/s");
    draw_axes(out, bottom, "Client CPU per page (crawl process tree; wrk: per request)",
              "client CPU µs / page", xlabel);
    for (const series& s : cpu) draw_series(out, bottom, s, s.kind == "wrk" ? "µs/request" : "µs/page");
    if (speed.empty())
        out += "  <text x=\"" + num(top.x + top.w / 2) + "\" y=\"" + num(top.y + top.h / 2) +
               "\" text-anchor=\"middle\" fill=\"#777777\">no data</text>\n";
    draw_legend(out, speed, left + plot_w + 26, top.y + 8);
    out += "</svg>\n";
    return out;
}

}  // namespace shoal::bench
