// line_picker: the order in which a worker's lanes take the lines of their
// chunk. Lines go in file order, except that a line whose origin (scheme,
// host, port) is being fetched already, with no kept-alive connection free,
// waits instead of opening another connection: the lane whose fetch to that
// origin ends takes it next, on the connection it just used. On a list that
// mixes many hosts, that keeps about one connection per host in use instead
// of one per concurrent fetch to it, which over HTTPS is one handshake
// instead of several (both client and server pay ~1 ms for each).
//
// Waiting is bounded: at most `window` lines wait at once (beyond that a line
// goes at once, on a new connection), and once every line has been looked at
// the waiting ones go to whichever lane asks, from the longest queue first,
// so a slow or dead host holds up its own lines only while other work is
// left. A waiting line costs its index (its URL is parsed again when it goes).
// The caller may forbid that last step for a while (next(..., false)): while
// the CPU is the limit, a second connection to a host is a cost with no gain.
//
// Each origin's lines are counted when the picker is made (every URL parsed
// once more), so done_with() knows when a kept-alive connection is of no
// more use while the chunk's later lines are still unseen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "shoal/url.hpp"
#include "shoal/url_source.hpp"

namespace shoal {

// A line handed to a lane, its URL parsed.
struct picked_line {
    const input_line* line = nullptr;
    std::variant<target_url, url_error> url;
    std::string origin;  // empty when the URL is bad (no fetch)
};

class line_picker {
public:
    // has_idle(origin): whether a kept-alive connection to origin is free.
    line_picker(const std::vector<input_line>& lines, std::size_t window,
                std::function<bool(const std::string&)> has_idle);

    // The next line for a lane whose last fetch (from a line this picker
    // gave) went to `finished_origin`, "" for a lane's first line, after a
    // bad URL or after a wait. nullopt when every line has been handed out,
    // or, with open_more false, when the lines left all wait for origins
    // being fetched with no kept-alive connection free (taking one would open
    // another connection): the lane then waits and asks again later.
    std::optional<picked_line> next(const std::string& finished_origin, bool open_more = true);

    // Every line has been handed out (or given away).
    bool exhausted() const { return next_ == lines_.size() && waiting_ == 0; }
    std::size_t waiting() const { return waiting_; }
    // Lines neither handed out nor given away.
    std::size_t left() const { return waiting_ + unseen_; }

    // Gives up about half of left() for another worker to fetch, and returns
    // their indexes in the chunk, ascending: whole origins, the largest that
    // fit first, so that each origin stays on one worker's connections; an
    // origin is split only when origins too large for half leave the share
    // given under a quarter. Bad URLs (no fetch, no time) are kept. Nothing
    // is given when fewer than two lines with an origin are left.
    std::vector<std::size_t> give_away();
    // No line left to hand out goes to origin, so its kept-alive
    // connections are of no more use: the chunk's lines for it (counted when
    // the picker is made) have all been handed out, and their fetches have
    // all finished (told by next()). An origin no line names (one reached by
    // a redirect) is done once every line has been handed out.
    bool done_with(const std::string& origin) const;

private:
    using waiting_map = std::unordered_map<std::string, std::deque<std::size_t>>;
    // Hands out the first line waiting in it, and counts its origin busy.
    picked_line pop_waiting(waiting_map::iterator it);
    picked_line parsed(std::size_t index) const;
    // A line for origin goes to a lane: its fetch is in flight, one line less is left.
    void handing_out(const std::string& origin);
    // Moves next_ past lines given away.
    void skip_given();

    const std::vector<input_line>& lines_;
    std::size_t window_;
    std::function<bool(const std::string&)> has_idle_;
    std::size_t next_ = 0;     // first line not yet looked at
    std::size_t waiting_ = 0;  // lines in waiting_for_
    std::size_t unseen_ = 0;   // lines from next_ on, not given away
    std::vector<bool> given_;  // lines given away (empty until the first give_away())
    // Lines not yet handed out, per origin_hash() of their origin (origins
    // whose hashes meet share a count: their connections are kept longer).
    std::unordered_map<std::uint64_t, std::size_t> left_;
    std::unordered_map<std::string, unsigned> busy_;  // fetches in flight per origin
    waiting_map waiting_for_;  // line indexes per origin, in file order; no empty deque
    // Once every line has been looked at: (lines waiting, origin) of each
    // queue in waiting_for_, the origin viewing its key there.
    std::set<std::pair<std::size_t, std::string_view>> by_length_;
    bool ranked_ = false;
};

}  // namespace shoal
