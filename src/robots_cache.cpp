// A worker's robots.txt per site, fetched once (see robots_cache.hpp).
#include "shoal/robots_cache.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <utility>
#include <variant>

#include "shoal/robots.hpp"

namespace shoal {

namespace net = boost::asio;

struct robots_cache::site {
    explicit site(net::io_context& io) : ready_signal(io, net::steady_timer::time_point::max()) {}
    bool ready = false;
    std::string robots_url;
    robots_rules rules;
    std::chrono::nanoseconds crawl_delay{0};
    std::optional<fetch_refusal> unreachable;  // set: every URL of the site gets it
    net::steady_timer ready_signal;            // cancelled when ready
};

namespace {

// The site's robots.txt URL, without a port that is the scheme's default.
std::string robots_url_of(const target_url& url) {
    std::string origin = url.origin();
    const bool default_port = url.port == (url.https ? 443 : 80);
    if (default_port) origin.resize(origin.rfind(':'));
    return origin + "/robots.txt";
}

}  // namespace

robots_cache::robots_cache(net::io_context& io, fetcher& f, std::string token, robots_share* share,
                           std::chrono::seconds wait_limit)
    : io_(io), fetcher_(f), token_(std::move(token)), share_(share), wait_limit_(wait_limit) {}

robots_cache::~robots_cache() = default;

net::awaitable<std::optional<fetch_refusal>> robots_cache::check(const target_url& url) {
    if (url.target == "/robots.txt") co_return std::nullopt;
    auto [it, fresh] = sites_.try_emplace(url.origin());
    if (fresh) it->second = std::make_unique<site>(io_);
    site& s = *it->second;  // stays put: the map holds pointers
    if (fresh) {
        co_await load(s, url);
    } else {
        while (!s.ready) co_await s.ready_signal.async_wait(net::as_tuple(net::use_awaitable));
    }
    if (s.unreachable) co_return s.unreachable;
    const robots_rules::verdict v = s.rules.check(url.target);
    if (v.allowed) co_return std::nullopt;
    co_return fetch_refusal{"robots_disallowed", s.robots_url + " disallows " + url.target +
                                                     " for '" +
                                                     (token_.empty() ? std::string("*") : token_) +
                                                     "' (" + v.rule + ")"};
}

std::chrono::nanoseconds robots_cache::crawl_delay(const std::string& origin) const {
    const auto it = sites_.find(origin);
    return it == sites_.end() ? std::chrono::nanoseconds{0} : it->second->crawl_delay;
}

void robots_cache::settle(site& s, const shared_robots& what) const {
    if (what.unreachable) {  // another worker found it so, a moment ago
        s.unreachable = fetch_refusal{"robots_unreachable", what.text};
        return;
    }
    if (!what.has_file) return;  // no robots.txt: everything allowed
    s.rules = robots_rules::parse(what.text, token_);
    if (const std::optional<double> d = s.rules.crawl_delay())
        s.crawl_delay = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(std::min(*d, double(max_crawl_delay.count()))));
}

net::awaitable<std::optional<shared_robots>> robots_cache::from_share(const std::string& origin,
                                                                      bool& mine) {
    const auto give_up = std::chrono::steady_clock::now() + wait_limit_;
    net::steady_timer poll(io_);
    for (;;) {
        if (auto known = share_->lookup(origin)) co_return known;
        switch (share_->claim(origin)) {
            case robots_share::claim_result::mine:
                mine = true;
                co_return std::nullopt;
            case robots_share::claim_result::unavailable:
                co_return std::nullopt;
            case robots_share::claim_result::taken:
                break;
        }
        // Another worker is fetching it: look again soon, up to a bound.
        if (std::chrono::steady_clock::now() >= give_up) co_return std::nullopt;
        poll.expires_after(std::chrono::milliseconds(20));
        co_await poll.async_wait(net::as_tuple(net::use_awaitable));
    }
}

net::awaitable<void> robots_cache::load(site& s, const target_url& url) {
    s.robots_url = robots_url_of(url);
    const std::string origin = url.origin();
    bool mine = false;
    std::optional<shared_robots> settled;
    if (share_ != nullptr) settled = co_await from_share(origin, mine);
    if (settled) {
        settle(s, *settled);
    } else {
        settled = co_await fetch(s);
        if (settled) settle(s, *settled);
        // The robots.txt fetch was a request too: a Crawl-delay spaces the
        // site's first page from it (sites that count it between any two
        // requests see no burst).
        fetcher_.space_next(origin, s.crawl_delay);
        if (mine) {
            if (settled) share_->publish(origin, *settled);
            // Unreachable: the others take it so for a while, not each a try of its own.
            else if (s.unreachable) share_->publish(origin, shared_robots{false, true, s.unreachable->message});
            share_->release(origin);
        }
    }
    s.ready = true;
    s.ready_signal.cancel();
}

net::awaitable<std::optional<shared_robots>> robots_cache::fetch(site& s) {
    auto unreachable = [&s](const std::string& why) {
        s.unreachable = fetch_refusal{
            "robots_unreachable",
            s.robots_url + " " + why +
                ": the site counts as disallowed (RFC 9309), nothing of it is fetched"};
    };
    auto parsed = parse_url(s.robots_url);
    fetch_result f;
    if (auto* target = std::get_if<target_url>(&parsed)) {
        // Up to the bytes that are parsed, whatever --max-body says: a longer
        // file's start is read (RFC 9309 2.5: the rest may be ignored).
        f = co_await fetcher_.fetch_ungated(std::move(*target), robots_rules::parse_limit);
    } else {
        // Not expected: the URL is made of an origin that parsed.
        f.stage = error_stage::input;
        f.error_message = std::get<url_error>(parsed).message;
    }
    if (f.stage == error_stage::redirect && f.error_code == "too_many_redirects")
        co_return shared_robots{};  // redirected past the limit: no robots.txt
    if (f.stage != error_stage::none) {
        unreachable("could not be fetched (" + f.error_message + ")");
        co_return std::nullopt;
    }
    // A status outside 100-599 is no answer HTTP defines: not a "no rules"
    // 4xx, so the site is not taken to allow everything.
    if (f.status == 429 || f.status >= 500 || f.status < 100) {
        unreachable("answered " + std::to_string(f.status));
        co_return std::nullopt;
    }
    if (f.status < 200 || f.status > 299) co_return shared_robots{};  // 4xx, a 3xx without Location
    std::string scratch;
    // Only the bytes that are parsed are decoded: a longer file is cut there.
    const std::string_view body = decode_body(f, robots_rules::parse_limit, scratch);
    if (f.stage == error_stage::decode) {
        unreachable("could not be decoded (" + f.error_message + ")");
        co_return std::nullopt;
    }
    co_return shared_robots{true, false, std::string(body)};
}

}  // namespace shoal
