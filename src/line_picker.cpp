// The order lanes take lines in (see line_picker.hpp).
#include "shoal/line_picker.hpp"

#include <algorithm>
#include <utility>

namespace shoal {

line_picker::line_picker(const std::vector<input_line>& lines, std::size_t window,
                         std::function<bool(const std::string&)> has_idle)
    : lines_(lines), window_(window), has_idle_(std::move(has_idle)), unseen_(lines.size()) {
    for (const input_line& line : lines_) {
        auto url = parse_url(line.text);
        if (auto* u = std::get_if<target_url>(&url)) ++left_[origin_hash(u->origin())];
    }
}

void line_picker::handing_out(const std::string& origin) {
    ++busy_[origin];
    // Counted in the constructor from the same line (parse_url is a function of its text).
    if (auto it = left_.find(origin_hash(origin)); it != left_.end() && it->second > 0) --it->second;
}

bool line_picker::done_with(const std::string& origin) const {
    // A line handed out and not yet finished may still be waiting to send
    // (for a --per-host slot, its --per-host-rate turn): a connection kept
    // for the origin is its.
    if (busy_.count(origin) != 0) return false;
    auto it = left_.find(origin_hash(origin));
    if (it == left_.end()) return next_ == lines_.size() && waiting_ == 0;
    return it->second == 0;
}

picked_line line_picker::parsed(std::size_t index) const {
    picked_line p;
    p.line = &lines_[index];
    p.url = parse_url(p.line->text);
    if (auto* u = std::get_if<target_url>(&p.url)) p.origin = u->origin();
    return p;
}

picked_line line_picker::pop_waiting(waiting_map::iterator it) {
    picked_line p = parsed(it->second.front());
    const std::size_t left = it->second.size() - 1;
    if (ranked_) {
        by_length_.erase({left + 1, it->first});
        if (left > 0) by_length_.insert({left, it->first});
    }
    it->second.pop_front();
    --waiting_;
    handing_out(p.origin);
    if (left == 0) waiting_for_.erase(it);
    return p;
}

std::optional<picked_line> line_picker::next(const std::string& finished_origin, bool open_more) {
    if (!finished_origin.empty()) {
        auto b = busy_.find(finished_origin);
        if (b != busy_.end() && --b->second == 0) busy_.erase(b);
        // The connection that fetch used is free now: its origin's next line goes on it.
        auto w = waiting_for_.find(finished_origin);
        if (w != waiting_for_.end()) return pop_waiting(w);
    }
    while (next_ < lines_.size()) {
        const std::size_t index = next_++;
        --unseen_;
        skip_given();
        picked_line p = parsed(index);
        if (p.origin.empty()) return p;  // a bad URL: its record is the error
        auto b = busy_.find(p.origin);
        if (b == busy_.end() || waiting_ >= window_ || has_idle_(p.origin)) {
            handing_out(p.origin);
            return p;
        }
        waiting_for_[p.origin].push_back(index);
        ++waiting_;
    }
    // Every line has been looked at: what waits goes now, on a new
    // connection, from the origin with the most lines waiting, so that the
    // queues drain together and a lane seldom has to move (each move is a
    // connection, over HTTPS a handshake). No line is added from here on:
    // the queues are ranked by length once.
    if (waiting_for_.empty()) return std::nullopt;
    if (!ranked_) {
        for (const auto& [origin, q] : waiting_for_) by_length_.insert({q.size(), origin});
        ranked_ = true;
    }
    std::string longest(by_length_.rbegin()->second);
    if (!open_more && busy_.count(longest) != 0 && !has_idle_(longest)) return std::nullopt;
    return pop_waiting(waiting_for_.find(longest));
}

void line_picker::skip_given() {
    if (given_.empty()) return;
    while (next_ < lines_.size() && given_[next_]) ++next_;
}

std::vector<std::size_t> line_picker::give_away() {
    // The lines left, per origin, in file order: the waiting ones, then
    // those not looked at yet.
    std::unordered_map<std::string, std::vector<std::size_t>> by_origin;
    for (const auto& [origin, q] : waiting_for_) by_origin[origin].assign(q.begin(), q.end());
    for (std::size_t i = next_; i < lines_.size(); ++i) {
        if (!given_.empty() && given_[i]) continue;
        auto url = parse_url(lines_[i].text);
        if (auto* u = std::get_if<target_url>(&url)) by_origin[u->origin()].push_back(i);
    }
    // Each origin's lines left, in file order; the last n of them go.
    struct gift {
        const std::string* origin;
        const std::vector<std::size_t>* lines;
        std::size_t n;
    };
    std::size_t total = 0;
    std::vector<gift> origins;
    for (const auto& [origin, v] : by_origin) {
        total += v.size();
        origins.push_back({&origin, &v, v.size()});
    }
    if (total < 2) return {};
    // Largest first; among equals, the one whose first line comes first.
    std::sort(origins.begin(), origins.end(), [](const gift& a, const gift& b) {
        if (a.n != b.n) return a.n > b.n;
        return a.lines->front() < b.lines->front();
    });
    const std::size_t half = total / 2;
    std::size_t gave = 0;
    std::vector<gift> giving;
    const gift* largest_kept = nullptr;
    for (const gift& o : origins) {
        if (gave + o.n <= half) {
            giving.push_back(o);
            gave += o.n;
        } else if (largest_kept == nullptr) {
            largest_kept = &o;
        }
    }
    if (gave * 4 < total && largest_kept != nullptr)
        giving.push_back({largest_kept->origin, largest_kept->lines, half - gave});

    if (given_.empty()) given_.assign(lines_.size(), false);
    std::vector<std::size_t> out;
    for (const auto& [origin, lines, n] : giving) {
        const std::vector<std::size_t>& v = *lines;
        std::size_t queued = 0;  // of the n given, those waiting (before next_)
        for (std::size_t k = v.size() - n; k < v.size(); ++k) {
            std::size_t i = v[k];
            out.push_back(i);
            if (i < next_) {
                ++queued;
            } else {
                given_[i] = true;
                --unseen_;
            }
        }
        if (queued > 0) {
            auto w = waiting_for_.find(*origin);
            const std::size_t had = w->second.size();
            if (ranked_) by_length_.erase({had, w->first});
            w->second.erase(w->second.end() - static_cast<std::ptrdiff_t>(queued), w->second.end());
            waiting_ -= queued;
            if (w->second.empty()) {
                waiting_for_.erase(w);
            } else if (ranked_) {
                by_length_.insert({w->second.size(), w->first});
            }
        }
        if (auto l = left_.find(origin_hash(*origin)); l != left_.end()) l->second -= std::min(l->second, n);
    }
    skip_given();
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace shoal
