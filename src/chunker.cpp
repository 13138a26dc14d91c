// Groups URL lines into chunks (see chunker.hpp).
#include "shoal/chunker.hpp"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <string>
#include <unordered_map>
#include <utility>

namespace shoal {

namespace detail {

void host_of_line(std::string_view line, std::string& out) {
    out.clear();
    std::size_t scheme_end = line.find("://");
    if (scheme_end == std::string_view::npos) {
        out.assign(line);
        return;
    }
    std::string_view authority = line.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#\\"));
    if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') {
        host = host.substr(0, host.find(']') == std::string_view::npos ? host.size() : host.find(']') + 1);
    } else {
        host = host.substr(0, host.find(':'));
    }
    out.reserve(host.size());
    for (char ch : host) out.push_back(ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch);
}

}  // namespace detail

chunker::chunker(url_source& source, std::size_t chunk_size,
                 std::function<bool(std::uint64_t)> skip, chunk_dealing dealing)
    : source_(source), chunk_size_(std::max<std::size_t>(chunk_size, 1)), skip_(std::move(skip)),
      dealing_(dealing) {
    dealing_.ways = std::max(dealing_.ways, 1U);
    dealing_.min_lines = std::max<std::size_t>(dealing_.min_lines, 1);
}

std::optional<chunk> chunker::next() {
    if (dealt_.empty()) read_window();
    if (dealt_.empty()) return std::nullopt;
    chunk c;
    c.lines = std::move(dealt_.front());
    dealt_.pop_front();
    c.id = new_id();
    return c;
}

void chunker::read_window() {
    std::vector<input_line> window;
    const std::size_t cap = chunk_size_ * dealing_.ways;
    input_line line;
    while (window.size() < cap && source_.next(line)) {
        if (skip_ && skip_(line.number)) {
            ++skipped_;
            continue;
        }
        window.push_back(std::move(line));
    }
    if (window.empty()) return;

    const std::size_t n = window.size();
    const std::size_t at_least = (n + chunk_size_ - 1) / chunk_size_;  // chunks of <= K lines
    const std::size_t ways = std::max(at_least, std::min<std::size_t>(dealing_.ways, n / dealing_.min_lines));
    if (ways <= 1) {
        dealt_.push_back(std::move(window));
        return;
    }

    // Group the window's lines by host, in order of first appearance.
    std::vector<std::vector<std::uint32_t>> groups;
    {
        std::unordered_map<std::string, std::uint32_t> group_of;
        std::string host;
        for (std::size_t i = 0; i < n; ++i) {
            detail::host_of_line(window[i].text, host);
            auto [it, fresh] = group_of.try_emplace(host, static_cast<std::uint32_t>(groups.size()));
            if (fresh) groups.emplace_back();
            groups[it->second].push_back(static_cast<std::uint32_t>(i));
        }
    }
    // Largest hosts first, each to the chunk with the fewest lines so far; a
    // host larger than what that chunk may still take spills into the next.
    std::vector<std::uint32_t> order(groups.size());
    std::iota(order.begin(), order.end(), 0U);
    std::stable_sort(order.begin(), order.end(),
                     [&groups](std::uint32_t a, std::uint32_t b) { return groups[a].size() > groups[b].size(); });
    const std::size_t share = (n + ways - 1) / ways;
    std::vector<std::vector<std::uint32_t>> bins(ways);
    using fill = std::pair<std::size_t, std::size_t>;  // (lines so far, bin)
    std::priority_queue<fill, std::vector<fill>, std::greater<>> lightest;
    for (std::size_t b = 0; b < ways; ++b) lightest.emplace(0, b);
    for (std::uint32_t g : order) {
        const auto& members = groups[g];
        std::size_t taken = 0;
        while (taken < members.size()) {
            auto [size, b] = lightest.top();
            lightest.pop();
            std::size_t take = std::min(members.size() - taken, share - size);
            bins[b].insert(bins[b].end(), members.begin() + static_cast<std::ptrdiff_t>(taken),
                           members.begin() + static_cast<std::ptrdiff_t>(taken + take));
            taken += take;
            lightest.emplace(size + take, b);
        }
    }
    // Each chunk in file order; chunks handed out by their first line.
    for (auto& b : bins) std::sort(b.begin(), b.end());
    std::sort(bins.begin(), bins.end(), [](const auto& a, const auto& b) {
        return !a.empty() && (b.empty() || a.front() < b.front());
    });
    for (auto& b : bins) {
        if (b.empty()) continue;
        std::vector<input_line> lines;
        lines.reserve(b.size());
        for (std::uint32_t i : b) lines.push_back(std::move(window[i]));
        dealt_.push_back(std::move(lines));
    }
}

}  // namespace shoal
