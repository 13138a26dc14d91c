// robots_share: what the workers of one run learned of sites' robots.txt,
// so that each site's file is fetched once per run, not once per chunk. A
// directory the supervisor makes before forking (and removes at the end)
// holds a file per site, named by the origin's hash:
//
//   worker:  if (auto known = share.lookup(origin)) ...use it...
//            else if (share.claim(origin) == mine) { ...fetch...; share.publish(origin, what); share.release(origin); }
//            else ...another worker is fetching it: poll lookup() and claim() again...
//
// What a fetch settled is shared: a robots.txt with rules, or none (a 4xx),
// and a site found unreachable (5xx, 429, no answer) for a minute
// (unreachable_for): other workers take that verdict meanwhile, and the
// first to meet the site after it tries again. A claim names its process;
// one whose process has died counts as released, so a worker killed
// mid-fetch holds nobody up.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace shoal {

struct shared_robots {
    bool has_file = false;     // false: the site has no robots.txt (everything allowed)
    bool unreachable = false;  // the site could not be had: text says why, as its records do
    std::string text;          // the file (at most robots_rules::parse_limit bytes)
};

// How long a site found unreachable is taken as such by the run's workers.
inline constexpr std::chrono::seconds unreachable_for{60};

class robots_share {
public:
    // dir: an existing directory private to the run.
    explicit robots_share(std::string dir);

    // What a worker published for origin, or nothing (not yet, an
    // unreachable verdict older than unreachable_for, or a file that is not
    // one of ours: another origin of the same hash, a torn write).
    std::optional<shared_robots> lookup(std::string_view origin) const;
    enum class claim_result {
        mine,        // this process fetches and publishes
        taken,       // a live process holds the claim: its result is coming
        unavailable  // the directory cannot be written: fetch without sharing
    };
    // Claims origin's fetch for this process; a claim whose process has
    // died is taken over.
    claim_result claim(std::string_view origin);
    void publish(std::string_view origin, const shared_robots& what);
    // Ends this process's claim (after publishing, or when there is nothing to publish).
    void release(std::string_view origin);

private:
    std::string path_of(std::string_view origin) const;
    std::string dir_;
};

}  // namespace shoal
