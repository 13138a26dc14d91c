// Groups URL lines into chunks (see chunker.hpp).
#include "shoal/chunker.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>

#include "shoal/literal_search.hpp"
#include "shoal/url.hpp"

namespace shoal {

namespace detail {

namespace {

// The host's bytes in a URL line, as they are written (see host_of_line).
std::string_view host_span(std::string_view line) {
    std::size_t scheme_end = line.find("://");
    if (scheme_end == std::string_view::npos) return line;
    std::string_view authority = line.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#\\"));
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        return authority.substr(0, close == std::string_view::npos ? authority.size() : close + 1);
    }
    return authority.substr(0, authority.find(':'));
}

}  // namespace

void host_of_line(std::string_view line, std::string& out) {
    std::string_view host = host_span(line);
    out.clear();
    out.reserve(host.size());
    for (char ch : host) out.push_back(ascii_lower(ch));
}

}  // namespace detail

chunker::chunker(url_source& source, std::size_t chunk_size,
                 std::function<bool(const input_line&)> skip, chunk_dealing dealing)
    : source_(source), chunk_size_(std::max<std::size_t>(chunk_size, 1)), skip_(std::move(skip)),
      dealing_(dealing) {
    dealing_.ways = std::max(dealing_.ways, 1U);
    dealing_.min_lines = std::max<std::size_t>(dealing_.min_lines, 1);
}

std::optional<chunk> chunker::next() {
    if (dealt_.empty() && !failure_) read_window();
    if (dealt_.empty()) rethrow_failure();
    return next_dealt();
}

void chunker::rethrow_failure() {
    if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

std::optional<chunk> chunker::next_dealt() {
    if (dealt_.empty()) return std::nullopt;
    chunk c;
    c.lines = std::move(dealt_.front());
    dealt_.pop_front();
    c.id = new_id();
    return c;
}

std::optional<chunk> chunker::next_at_hand(clock::time_point now) {
    if (!dealt_.empty()) return next_dealt();
    const std::size_t cap = chunk_size_ * dealing_.ways;
    input_line line;
    try {
        while (!ended_ && waiting_.size() < cap) {
            const url_source::taken t = source_.next_at_hand(line);
            if (t == url_source::taken::later) break;
            if (t == url_source::taken::end) {
                ended_ = true;
                break;
            }
            if (skip_ && skip_(line)) {
                ++skipped_;
                continue;
            }
            if (waiting_.empty()) first_came_ = now;
            waiting_.push_back(std::move(line));
        }
    } catch (...) {
        failure_ = std::current_exception();  // the lines taken before it go first
        ended_ = true;
    }
    if (waiting_.empty()) {
        rethrow_failure();
        return std::nullopt;
    }
    if (waiting_.size() < cap && !ended_ && now < first_came_ + patience) return std::nullopt;
    deal(std::move(waiting_));
    waiting_.clear();
    return next_dealt();
}

std::optional<chunker::clock::time_point> chunker::cut_due() const {
    if (waiting_.empty()) return std::nullopt;
    return first_came_ + patience;
}

namespace {

// The window's lines grouped by host, in order of first appearance. Hosts
// whose hashes meet are one group, which costs only balance.
struct host_groups {
    std::vector<std::uint32_t> group_of;  // by line
    std::vector<std::size_t> size;        // by group
};

host_groups group_by_host(const std::vector<input_line>& window) {
    host_groups g;
    g.group_of.resize(window.size());
    std::unordered_map<std::uint64_t, std::uint32_t> group_by_hash;
    group_by_hash.reserve(window.size());
    std::string host;  // its capacity reused
    for (std::size_t i = 0; i < window.size(); ++i) {
        detail::host_of_line(window[i].text, host);
        auto [it, fresh] = group_by_hash.try_emplace(origin_hash(host), static_cast<std::uint32_t>(g.size.size()));
        if (fresh) g.size.push_back(0);
        g.group_of[i] = it->second;
        ++g.size[it->second];
    }
    return g;
}

}  // namespace

void chunker::read_window() {
    std::vector<input_line> window;
    const std::size_t cap = chunk_size_ * dealing_.ways;
    input_line line;
    try {
        while (window.size() < cap) {
            if (!source_.next(line)) {
                ended_ = true;  // exhausted() once the window's chunks are out
                break;
            }
            if (skip_ && skip_(line)) {
                ++skipped_;
                continue;
            }
            window.push_back(std::move(line));
        }
    } catch (...) {
        failure_ = std::current_exception();  // the lines read before it go first
    }
    deal(std::move(window));
}

void chunker::deal(std::vector<input_line> window) {
    if (window.empty()) return;
    const std::size_t n = window.size();
    const std::size_t at_least = (n + chunk_size_ - 1) / chunk_size_;  // chunks of <= K lines
    const std::size_t ways = std::max(at_least, std::min<std::size_t>(dealing_.ways, n / dealing_.min_lines));
    if (ways <= 1) {
        dealt_.push_back(std::move(window));
        return;
    }

    const host_groups groups = group_by_host(window);
    const std::vector<std::uint32_t>& group_of = groups.group_of;
    const std::vector<std::size_t>& group_size = groups.size;
    // Largest hosts first, each to the chunk with the fewest lines so far; a
    // host larger than what that chunk may still take spills into the next.
    // A host's lines fill its places in file order.
    std::vector<std::uint32_t> order(group_size.size());
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(),
                     [&group_size](std::uint32_t a, std::uint32_t b) { return group_size[a] > group_size[b]; });
    const std::size_t share = (n + ways - 1) / ways;
    struct place {
        std::size_t bin, lines;
    };
    // Each group's places, together and in the order filled, from first_place[g].
    std::vector<place> places;
    std::vector<std::size_t> first_place(group_size.size());
    std::vector<std::size_t> bin_size(ways, 0);
    using fill = std::pair<std::size_t, std::size_t>;  // (lines so far, bin)
    std::priority_queue<fill, std::vector<fill>, std::greater<>> lightest;
    for (std::size_t b = 0; b < ways; ++b) lightest.emplace(0, b);
    for (std::uint32_t g : order) {
        first_place[g] = places.size();
        for (std::size_t left = group_size[g]; left > 0;) {
            auto [size, b] = lightest.top();
            lightest.pop();
            const std::size_t take = std::min(left, share - size);
            places.push_back({b, take});
            left -= take;
            bin_size[b] = size + take;
            lightest.emplace(size + take, b);
        }
    }
    std::vector<std::vector<input_line>> bins(ways);
    for (std::size_t b = 0; b < ways; ++b) bins[b].reserve(bin_size[b]);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t g = group_of[i];
        place& p = places[first_place[g]];
        bins[p.bin].push_back(std::move(window[i]));
        if (--p.lines == 0) ++first_place[g];
    }
    // Chunks handed out by their first line.
    std::sort(bins.begin(), bins.end(), [](const auto& a, const auto& b) {
        return !a.empty() && (b.empty() || a.front().number < b.front().number);
    });
    for (auto& b : bins)
        if (!b.empty()) dealt_.push_back(std::move(b));
}

}  // namespace shoal
