// serve_pages: the pages of `shoal serve`, the built-in experiment site, and
// the facts a test or a benchmark needs to check a crawl of it. Pure code:
// no sockets, no Asio. Everything is deterministic: the same N gives the
// same title, price and bytes on every machine and every run.
//
//   shoal::serve_pages::site s(19000);               // --page-size
//   shoal::serve_pages::body b;
//   s.product(17, /*gzip=*/true, b);                 // b.parts: the gzip body, in pieces
//   std::string html = s.product_page(17);           // the same page, decoded, in one piece
//   serve_pages::product_title(17);                  // what the extractor must find in <title>
//   serve_pages::product_price(17).amount;           // "1234.56", currency "USD"
//   serve_pages::url_line("http", 5, 256, 8080);     // "http://127.0.0.5:8080/p/5.html"
//
// Paths served:
//   /               an index page linking listings and products
//   /p/N.html       product page N (N >= 1, no leading zeros), about page_size bytes
//   /list/N.html    listing page N: products 20(N-1)+1 .. 20N with links, names, prices
//   anything else   404 (the server adds /stats)
//
// A product page is made of parts: two small variable ones built per
// request (the head with the title, the buy box with the price)
// and shared blocks chosen by N from a fixed set built once (site chrome,
// description, specifications, reviews, "also viewed", footer). For gzip,
// each shared block is deflated once at startup as a standalone segment that
// ends byte-aligned (Z_SYNC_FLUSH on a fresh stream; the footer is the final
// segment, Z_FINISH); the variable parts go out as stored deflate blocks. One
// gzip member is then the 10-byte header, the segments in order, and a CRC-32
// chained from the parts' CRCs (crc32_combine), so a request compresses
// nothing.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shoal::serve_pages {

// ---- Facts about the site (pure functions) ----

// The product name of page N: the text of its <title> as shoal's extractor
// returns it (entities decoded), e.g. "Barnes & Noble Turbo Air Fryer AF-417".
std::string product_title(std::uint64_t n);

struct price {
    std::string amount;    // decimal, two places, no separators: "1234.56"
    std::string currency;  // always "USD"
};
// The price of product N (between 4.99 and 2504.98).
price product_price(std::uint64_t n);
// The price as the page shows it: "$1,234.56".
std::string price_text(std::uint64_t n);

// URL-list hosts. Host j (0-based) is 127.A.B.C with q = j / 254,
// A = q / 256, B = q % 256, C = 1 + j % 254: 127.0.0.1 .. 127.0.0.254,
// then 127.0.1.1 .. 127.0.1.254, and so on. The last byte is never 0 or
// 255. REQUIRES: j < max_hosts.
constexpr std::uint64_t max_hosts = 254ull * 65536ull;
std::string host_address(std::uint64_t j);

// Line i (1-based) of the URL list for `hosts` hosts:
// SCHEME://HOST:PORT/p/i.html, HOST = host_address((i - 1) % hosts).
// REQUIRES: i >= 1, 1 <= hosts <= max_hosts.
std::string url_line(std::string_view scheme, std::uint64_t i, std::uint64_t hosts,
                     unsigned port);

// --error-rate and --reset-rate: whether product page N answers 500, or has
// its connection reset mid-body, at that rate. Deterministic in N, and
// independent of each other; an error page is never reset. rate <= 0 is
// never, rate >= 1 always. A page that fails at rate r fails at every rate
// above r too.
bool answers_error(std::uint64_t n, double rate);
bool resets(std::uint64_t n, double rate);

// What a request target names. Any "?query" is ignored.
enum class page_kind { index, product, listing, stats, not_found };
struct route {
    page_kind kind = page_kind::not_found;
    std::uint64_t n = 0;  // product or listing number
};
route parse_target(std::string_view target);

// ---- Bodies ----

// A response body in pieces, ready for one gather write. The pieces point
// into the site's shared blocks and into `scratch`, so they stay valid until
// the next call that fills this body, and as long as the site lives.
struct body {
    static constexpr std::size_t max_parts = 16;
    std::array<std::string_view, max_parts> parts{};
    std::size_t count = 0;
    std::size_t size = 0;  // sum of the parts' sizes
    std::string scratch;   // storage of the variable parts; reused
    std::string joined() const;
};

// What site's constructor throws when its stop flag is set.
class stopped : public std::exception {
public:
    const char* what() const noexcept override { return "stopped while building the site's pages"; }
};

// The smallest page_size `shoal serve` takes. Every product page carries
// about 5.8 KB of head, site header, buy box and footer whatever its size,
// so a smaller page_size gives pages of that size; near this minimum pages
// come out a few percent larger than asked and vary less.
constexpr std::size_t min_page_size = 6000;

class site {
public:
    // page_size: approximate decoded size of a product page in bytes; pages
    // vary from about 0.6x to 1.4x of it around that mean (below
    // min_page_size, they are the smallest the site makes). Builds and
    // compresses the shared blocks: a few milliseconds at the default size,
    // over half a minute at 64 MiB. When stop is given and turns true
    // meanwhile (a signal handler may set it), gives up within a fraction
    // of a second and throws stopped.
    explicit site(std::size_t page_size = 19000, const std::atomic<bool>* stop = nullptr);
    ~site();
    site(const site&) = delete;  // holds the blocks the bodies point into
    site& operator=(const site&) = delete;

    // Product page N, decoded (gzip false) or as one gzip member (gzip true).
    void product(std::uint64_t n, bool gzip, body& out) const;
    // Product page N decoded, in one string.
    std::string product_page(std::uint64_t n) const;
    // Listing page N, appended to out (decoded).
    void listing_page(std::uint64_t n, std::string& out) const;
    std::string listing_page(std::uint64_t n) const;
    // Fixed pages, decoded and gzipped once.
    const std::string& index_page(bool gzip) const;
    const std::string& not_found_page(bool gzip) const;
    const std::string& error_page(bool gzip) const;  // the 500 page

    std::size_t page_size() const;

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

// A reusable gzip compressor (zlib level 1) for pages made per request,
// such as listings. One per thread.
class gzip_encoder {
public:
    gzip_encoder();
    ~gzip_encoder();
    gzip_encoder(const gzip_encoder&) = delete;
    gzip_encoder& operator=(const gzip_encoder&) = delete;
    // Returns one gzip member holding `in`; valid until the next call.
    std::string_view encode(std::string_view in);

private:
    struct impl;
    std::unique_ptr<impl> p_;
};

}  // namespace shoal::serve_pages
