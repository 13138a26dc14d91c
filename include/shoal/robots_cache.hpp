// robots_cache: --robots in one worker. The first time a URL of a site
// (scheme, host and port) is asked about, the site's /robots.txt is fetched
// (retries, redirects and limits as for any fetch); URLs of that site asked
// about meanwhile wait for it. Then, as RFC 9309 says:
//   2xx                      its rules decide (robots_rules)
//   other 4xx, 3xx at the    no robots.txt: everything is allowed
//     end of the redirects
//   429, 5xx, no answer,     unreachable: nothing of the site is fetched
//     an undecodable body
// A site's Crawl-delay (for the groups that apply; at most max_crawl_delay)
// is how far apart its requests go from then on (see crawl_delay()). A
// worker keeps what it learned for its life (one chunk of the list), and
// shares it with the run's other workers (robots_share): a site's file is
// fetched by one worker, the others wait for it, up to a bound.
//
//   robots_cache robots(io, fetcher, robots_token(user_agent), &share, wait_limit);
//   if (auto no = co_await robots.check(url)) ... no->code, no->message
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "shoal/fetcher.hpp"
#include "shoal/robots_share.hpp"
#include "shoal/url.hpp"

namespace boost::asio {
class io_context;
}

namespace shoal {

class robots_cache {
public:
    // A longer Crawl-delay counts as this.
    static constexpr std::chrono::seconds max_crawl_delay{60};

    // f (and share, when given) must outlive the cache; token: see
    // robots_token(). wait_limit: how long to wait for another worker's
    // fetch of a site's robots.txt before fetching it too.
    robots_cache(boost::asio::io_context& io, fetcher& f, std::string token,
                 robots_share* share = nullptr,
                 std::chrono::seconds wait_limit = std::chrono::seconds(60));
    ~robots_cache();
    robots_cache(const robots_cache&) = delete;
    robots_cache& operator=(const robots_cache&) = delete;

    // None when url may be fetched; else why not: robots_disallowed (a rule
    // for the token) or robots_unreachable (the site's robots.txt could not
    // be had). REQUIRES: url outlives the wait.
    boost::asio::awaitable<std::optional<fetch_refusal>> check(const target_url& url);

    // The spacing origin's robots.txt asks for (its Crawl-delay), or zero
    // (none, or not read yet).
    std::chrono::nanoseconds crawl_delay(const std::string& origin) const;

private:
    struct site;
    boost::asio::awaitable<void> load(site& s, const target_url& url);
    // What another worker published for origin, or nothing: then this one
    // fetches, and `mine` says whether it holds the claim to publish.
    boost::asio::awaitable<std::optional<shared_robots>> from_share(const std::string& origin,
                                                                    bool& mine);
    void settle(site& s, const shared_robots& what) const;
    // Fetches s's robots.txt: what it settled, or nothing when it cannot be
    // had (s.unreachable says why).
    boost::asio::awaitable<std::optional<shared_robots>> fetch(site& s);

    boost::asio::io_context& io_;
    fetcher& fetcher_;
    std::string token_;
    robots_share* share_;
    std::chrono::seconds wait_limit_;
    std::unordered_map<std::string, std::unique_ptr<site>> sites_;  // by origin
};

}  // namespace shoal
