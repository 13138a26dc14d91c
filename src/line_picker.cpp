// The order lanes take lines in (see line_picker.hpp).
#include "shoal/line_picker.hpp"

#include <utility>

namespace shoal {

line_picker::line_picker(const std::vector<input_line>& lines, std::size_t window,
                         std::function<bool(const std::string&)> has_idle)
    : lines_(lines), window_(window), has_idle_(std::move(has_idle)) {}

picked_line line_picker::parsed(std::size_t index) const {
    picked_line p;
    p.line = &lines_[index];
    p.url = parse_url(p.line->text);
    if (auto* u = std::get_if<target_url>(&p.url)) p.origin = u->origin();
    return p;
}

picked_line line_picker::pop_waiting(waiting_map::iterator it) {
    picked_line p = parsed(it->second.front());
    it->second.pop_front();
    --waiting_;
    ++busy_[it->first];
    if (it->second.empty()) waiting_for_.erase(it);
    return p;
}

std::optional<picked_line> line_picker::next(const std::string& finished_origin) {
    if (!finished_origin.empty()) {
        auto b = busy_.find(finished_origin);
        if (b != busy_.end() && --b->second == 0) busy_.erase(b);
        // The connection that fetch used is free now: its origin's next line goes on it.
        auto w = waiting_for_.find(finished_origin);
        if (w != waiting_for_.end()) return pop_waiting(w);
    }
    while (next_ < lines_.size()) {
        const std::size_t index = next_++;
        picked_line p = parsed(index);
        if (p.origin.empty()) return p;  // a bad URL: its record is the error
        auto b = busy_.find(p.origin);
        if (b == busy_.end() || waiting_ >= window_ || has_idle_(p.origin)) {
            ++busy_[p.origin];
            return p;
        }
        waiting_for_[p.origin].push_back(index);
        ++waiting_;
    }
    // Every line has been looked at: what waits goes now, on a new
    // connection, from the origin with the most lines waiting (of the first
    // few looked at), so that lanes share the long queues instead of
    // hopping between short ones, a connection per hop.
    if (waiting_for_.empty()) return std::nullopt;
    auto longest = waiting_for_.begin();
    int looked = 0;
    for (auto it = waiting_for_.begin(); it != waiting_for_.end() && looked < 64; ++it, ++looked)
        if (it->second.size() > longest->second.size()) longest = it;
    return pop_waiting(longest);
}

}  // namespace shoal
