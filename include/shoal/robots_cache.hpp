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
// worker keeps what it learned for its life (one chunk of the list).
//
//   robots_cache robots(io, fetcher, robots_token(user_agent), max_body);
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
#include "shoal/url.hpp"

namespace boost::asio {
class io_context;
}

namespace shoal {

class robots_cache {
public:
    // A longer Crawl-delay counts as this.
    static constexpr std::chrono::seconds max_crawl_delay{60};

    // f must outlive the cache; token: see robots_token().
    robots_cache(boost::asio::io_context& io, fetcher& f, std::string token, std::size_t max_body);
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

    // robots.txt files fetched so far.
    std::size_t fetched() const { return fetched_; }

private:
    struct site;
    boost::asio::awaitable<void> load(site& s, const target_url& url);

    boost::asio::io_context& io_;
    fetcher& fetcher_;
    std::string token_;
    std::size_t max_body_;
    std::unordered_map<std::string, std::unique_ptr<site>> sites_;  // by origin
    std::size_t fetched_ = 0;
};

}  // namespace shoal
