// The pages of `shoal serve` (see serve_pages.hpp): deterministic product,
// listing and fixed pages, and gzip bodies assembled from deflate segments
// made once.
#include "shoal/serve_pages.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <stdexcept>

namespace shoal::serve_pages {
namespace {

// The caller's stop flag (see site's constructor), looked at between steps
// of the shared blocks: a relaxed load, cheap enough for every loop turn.
class stop_check {
public:
    explicit stop_check(const std::atomic<bool>* flag = nullptr) : flag_(flag) {}
    void operator()() const {
        if (flag_ != nullptr && flag_->load(std::memory_order_relaxed)) throw stopped();
    }

private:
    const std::atomic<bool>* flag_;
};

// ---- Deterministic randomness ----

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::uint64_t hash_of(std::uint64_t n, std::uint64_t salt) { return mix(mix(n) ^ salt); }

// A uniform double in [0, 1) from a hash.
double unit_of(std::uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

class rng {
public:
    explicit rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() { return mix(s_ += 0x9e3779b97f4a7c15ull); }
    std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
    bool chance(unsigned percent) { return below(100) < percent; }

private:
    std::uint64_t s_;
};

// ---- Vocabularies ----

constexpr std::string_view brands[] = {
    "Acme",     "Globex",   "Initech",  "Umbrella", "Stark",    "Wayne",     "Hooli",
    "Vandelay", "Soylent",  "Tyrell",   "Cyberdyne", "Aperture", "Wonka",    "Oscorp",
    "Monarch",  "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware",   "Zenith",
    "Kestrel",  "Barnes & Noble", "O'Reilly", "Procter & Gamble", "Halcyon", "Bluth",
    "Gringotts", "Nakatomi", "Sirius"};
constexpr std::string_view adjectives[] = {
    "UltraQuiet", "Pro",       "Max",     "Slim",    "Smart",      "Classic",     "Eco",
    "Turbo",      "Compact",   "Premium", "Deluxe",  "Wireless",   "Portable",    "Heavy-Duty",
    "Ergonomic",  "Vintage",   "Ultra-Wide", "Noise-Cancelling", "Stainless", "Carbon",
    "Titanium",   "Organic",   "Foldable", "Rechargeable", "Modular", "Cordless"};
constexpr std::string_view nouns[] = {
    "Blender",  "Headphones", "Monitor",    "Laptop Stand", "Espresso Machine", "Backpack",
    "Running Shoes", "Desk Lamp", "Air Fryer", "Keyboard",  "Office Chair", "Tent",
    "Smartwatch", "Vacuum Cleaner", "Cookware Set", "Drone", "Power Bank",  "Router",
    "Sofa",     "Mattress",   "Bicycle Helmet", "Water Bottle", "Camera Lens", "Speaker",
    "Toaster",  "Kettle",     "Projector",  "Mouse",        "Webcam",       "Rice Cooker"};
constexpr std::string_view colors[] = {"Black",    "White",       "Silver",   "Midnight Blue",
                                       "Forest Green", "Rose Gold", "Graphite", "Crimson",
                                       "Sand",     "Stainless Steel"};
constexpr std::string_view words[] = {
    "the",       "a",          "of",         "and",       "to",          "in",
    "for",       "with",       "on",         "at",        "by",          "from",
    "this",      "that",       "is",         "are",       "was",         "be",
    "as",        "it",         "its",        "your",      "you",         "our",
    "quality",   "design",     "durable",    "premium",   "build",       "comfortable",
    "lightweight", "battery",  "performance", "warranty", "shipping",    "return",
    "customer",  "review",     "product",    "feature",   "material",    "steel",
    "aluminum",  "fabric",     "easy",       "clean",     "setup",       "install",
    "power",     "speed",      "noise",      "level",     "capacity",    "size",
    "weight",    "color",      "finish",     "model",     "series",      "version",
    "upgrade",   "compatible", "wireless",   "bluetooth", "charging",    "cable",
    "adapter",   "included",   "box",        "manual",    "daily",       "use",
    "home",      "office",     "travel",     "outdoor",   "kitchen",     "garden",
    "great",     "value",      "price",      "fast",      "delivery",    "works",
    "perfectly", "recommend",  "highly",     "sturdy",    "solid",       "stylish",
    "modern",    "classic",    "simple",     "smooth",    "quiet",       "bright",
    "display",   "screen",     "touch",      "control",   "app",         "mode",
    "settings",  "timer",      "temperature", "energy",   "efficient",   "saving",
    "safe",      "certified",  "tested",     "approved",  "resistant",   "water",
    "dust",      "scratch",    "heat",       "cold",      "grip",        "handle",
    "strap",     "pocket",     "zipper",     "seam",      "stitching",   "layer",
    "foam",      "cushion",    "support",    "back",      "neck",        "arm",
    "adjustable", "height",    "angle",      "tilt",      "swivel",      "lock",
    "wheel",     "base",       "frame",      "panel",     "cover",       "lid",
    "glass",     "ceramic",    "plastic",    "wood",      "bamboo",      "leather",
    "cotton",    "wool",       "silk",       "rubber",    "silicone",    "copper",
    "after",     "before",     "during",     "every",     "each",        "some",
    "many",      "few",        "more",       "less",      "most",        "very",
    "really",    "quite",      "pretty",     "much",      "well",        "better",
    "best",      "good",       "nice",       "bad",       "poor",        "okay",
    "would",     "could",      "should",     "will",      "can",         "may",
    "bought",    "ordered",    "received",   "arrived",   "opened",      "tried",
    "used",      "returned",   "replaced",   "fixed",     "broke",       "lasted",
    "week",      "month",      "year",       "day",       "hour",        "minute",
    "first",     "second",     "third",      "last",      "next",        "only",
    "also",      "still",      "even",       "just",      "never",       "always",
    "kids",      "family",     "friends",    "wife",      "husband",     "gift",
    "holiday",   "birthday",   "weekend",    "morning",   "evening",     "night",
    "small",     "large",      "medium",     "extra",     "wide",        "narrow",
    "thick",     "thin",       "heavy",      "light",     "soft",        "hard",
    "sound",     "bass",       "treble",     "volume",    "microphone",  "camera",
    "lens",      "zoom",       "focus",      "image",     "video",       "resolution",
    "storage",   "memory",     "processor",  "port",      "usb",         "hdmi",
    "signal",    "range",      "connection", "network",   "router",      "stable"};
constexpr std::string_view spec_names[] = {
    "Weight",   "Dimensions",  "Material",   "Color",       "Power",       "Voltage",
    "Capacity", "Battery life", "Warranty",  "Model number", "Connectivity", "Noise level",
    "Charging time", "Operating temperature", "Certification", "Country of origin",
    "Package contents", "Care instructions", "Max load",  "Screen size"};
constexpr std::string_view units[] = {"kg", "g", "cm", "mm", "W", "V", "L", "ml", "h",
                                      "min", "dB", "mAh", "in", "lb", "years"};
constexpr std::string_view first_names[] = {
    "James", "Mary",  "Wei",   "Aisha",  "Carlos", "Yuki",   "Olga",  "Ahmed",
    "Emma",  "Noah",  "Priya", "Lucas",  "Sofia",  "Mateo",  "Chloe", "Ivan",
    "Fatima", "Liam", "Hannah", "Kenji", "Amara",  "Diego",  "Elena", "Tom"};
constexpr std::string_view months[] = {"January", "February", "March",     "April",
                                       "May",     "June",     "July",      "August",
                                       "September", "October", "November", "December"};
constexpr std::string_view categories[] = {"Kitchen", "Audio", "Computers", "Outdoor",
                                           "Home",    "Office", "Sports",   "Cameras"};

// Stock phrases of shop copy and of reviews: real pages repeat them, which
// is much of why they compress 3-5x.
constexpr std::string_view copy_phrases[] = {
    "designed for everyday use",
    "built to last with premium materials",
    "easy to clean and simple to set up",
    "backed by our two-year warranty",
    "free shipping on every order over fifty dollars",
    "compatible with most devices on the market",
    "perfect for home, office and travel",
    "tested by our team for quality and safety",
    "the ideal gift for friends and family",
    "lightweight and easy to carry",
    "made with recycled materials where possible",
    "engineered for quiet and efficient performance",
    "with a sleek, modern design that fits any room",
    "includes everything you need to get started",
    "available in several colors and sizes",
    "the battery lasts all day on a single charge",
    "comes with a detailed user manual",
    "our best-selling model for three years running",
    "a great value for the price",
    "returns are free within thirty days",
    "covered by our price match guarantee",
    "ships within one business day",
    "rated highly by thousands of customers",
    "the upgraded version of our classic model",
    "adjustable to suit your needs",
    "energy efficient and certified safe",
    "water resistant for outdoor use",
    "made to the highest standards",
};
constexpr std::string_view review_phrases[] = {
    "works exactly as described",
    "arrived on time and well packed",
    "would definitely buy again",
    "the quality is much better than I expected",
    "stopped working after a month",
    "great value for the money",
    "easy to set up and use",
    "my kids love it",
    "not as sturdy as I hoped",
    "customer service was very helpful",
    "five stars, highly recommend",
    "the color is a bit different from the photos",
    "does the job",
    "I use it every day",
    "bought this as a gift and it was a hit",
    "a little noisy but it works well",
    "the instructions were not very clear",
    "better than the more expensive brands",
    "I returned it and got a replacement",
    "exactly what I was looking for",
};

template <std::size_t N>
std::string_view pick(const std::string_view (&list)[N], std::uint64_t h) {
    return list[h % N];
}

// ---- Small writers ----

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_padded(std::string& out, std::uint64_t v, unsigned width) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    for (auto len = static_cast<unsigned>(r.ptr - buf); len < width; ++len) out += '0';
    out.append(buf, r.ptr);
}

void append_escaped(std::string& out, std::string_view s) {
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

// The title of product n, escaped for HTML (escaped) or as plain text.
void append_title(std::string& out, std::uint64_t n, bool escaped) {
    const std::uint64_t h = hash_of(n, 1);
    std::string_view brand = pick(brands, h);
    if (escaped) append_escaped(out, brand);
    else out += brand;
    out += ' ';
    out += pick(adjectives, h >> 12);
    out += ' ';
    out += pick(nouns, h >> 24);
    out += ' ';
    out += static_cast<char>('A' + (h >> 36) % 26);
    out += static_cast<char>('A' + (h >> 42) % 26);
    out += '-';
    append_uint(out, 100 + (h >> 48) % 900);
}

std::uint64_t price_cents(std::uint64_t n) { return 499 + hash_of(n, 2) % 250000; }

void append_price_text(std::string& out, std::uint64_t n) {
    const std::uint64_t cents = price_cents(n);
    const std::uint64_t dollars = cents / 100;
    out += '$';
    if (dollars >= 1000) {
        append_uint(out, dollars / 1000);
        out += ',';
        append_padded(out, dollars % 1000, 3);
    } else {
        append_uint(out, dollars);
    }
    out += '.';
    append_padded(out, cents % 100, 2);
}

// A product number for links from page `seed`: spread over the first million.
std::uint64_t linked_product(rng& r) { return 1 + r.below(1000000); }

// A word, the first ones of the list far more often (as in real text).
std::string_view skewed_word(rng& r) {
    const double u = unit_of(r.next());
    return words[static_cast<std::size_t>(u * u * static_cast<double>(std::size(words)))];
}

void append_sentence(std::string& out, rng& r, std::size_t min_words, std::size_t max_words) {
    const std::size_t n = min_words + r.below(max_words - min_words + 1);
    for (std::size_t i = 0; i < n; ++i) {
        std::string_view w = skewed_word(r);
        if (i == 0) {
            out += static_cast<char>(w[0] - 'a' + 'A');
            out.append(w.substr(1));
        } else {
            out += ' ';
            if (r.chance(4)) {
                append_uint(out, 1 + r.below(500));
                out += ' ';
                out += pick(units, r.next());
            } else {
                out += w;
            }
            if (i + 1 < n && r.chance(8)) out += ',';
        }
    }
    out += r.chance(10) ? '!' : '.';
}

// A sentence of shop copy: stock phrases, some of them with a few random
// words after them.
template <std::size_t N>
void append_copy(std::string& out, rng& r, const std::string_view (&phrases)[N]) {
    const std::size_t n = 1 + r.below(3);
    for (std::size_t i = 0; i < n; ++i) {
        const double u = unit_of(r.next());
        std::string_view p = phrases[static_cast<std::size_t>(u * u * N)];
        if (i == 0) {
            out += p[0] >= 'a' && p[0] <= 'z' ? static_cast<char>(p[0] - 'a' + 'A') : p[0];
            out.append(p.substr(1));
        } else {
            out += i + 1 == n ? " and " : ", ";
            out += p;
        }
        if (r.chance(15)) {
            for (std::size_t k = 0, m = 1 + r.below(4); k < m; ++k) {
                out += ' ';
                out += skewed_word(r);
            }
        }
    }
    out += r.chance(10) ? '!' : '.';
}

// ---- Shared blocks ----

constexpr std::size_t variants_per_kind = 16;
// Two kinds of filler blocks: description and specifications; reviews and
// "also viewed". Few large blocks compress better than many small ones.
constexpr std::size_t filler_kinds = 2;
// The variable parts of a product page come to about this many bytes.
constexpr std::size_t variable_bytes_estimate = 700;

void make_description(std::string& out, rng& r, std::size_t target, const stop_check& stop) {
    out += "<section class=\"description\" id=\"description\">\n<h2>About this item</h2>\n";
    while (out.size() + 20 < target) {
        stop();
        if (r.chance(40)) {
            out += "<ul class=\"features\">\n";
            for (std::size_t i = 0, n = 3 + r.below(4); i < n && out.size() + 20 < target; ++i) {
                out += "<li><strong>";
                append_sentence(out, r, 2, 3);
                out.pop_back();
                out += "</strong> ";
                append_copy(out, r, copy_phrases);
                out += "</li>\n";
            }
            out += "</ul>\n";
            continue;
        }
        out += "<p>";
        for (std::size_t i = 0, n = 2 + r.below(4); i < n; ++i) {
            if (i > 0) out += ' ';
            if (r.chance(15)) {
                out += "<a href=\"/p/";
                append_uint(out, linked_product(r));
                out += ".html\">";
                append_sentence(out, r, 2, 4);
                out.pop_back();
                out += "</a>.";
            } else if (r.chance(85)) {
                append_copy(out, r, copy_phrases);
            } else {
                append_sentence(out, r, 6, 16);
            }
        }
        out += "</p>\n";
    }
    out += "</section>\n";
}

void make_specs(std::string& out, rng& r, std::size_t target, const stop_check& stop) {
    out += "<section class=\"specs\" id=\"specs\">\n<h2>Specifications</h2>\n"
           "<table class=\"spec-table\">\n";
    while (out.size() + 30 < target) {
        stop();
        out += "<tr><th>";
        out += pick(spec_names, r.next());
        out += "</th><td>";
        if (r.chance(60)) {
            append_uint(out, 1 + r.below(2000));
            if (r.chance(40)) {
                out += '.';
                append_uint(out, r.below(10));
            }
            out += ' ';
            out += pick(units, r.next());
        } else {
            append_sentence(out, r, 1, 4);
            out.pop_back();
        }
        out += "</td></tr>\n";
    }
    out += "</table>\n</section>\n";
}

void make_reviews(std::string& out, rng& r, std::size_t target, const stop_check& stop) {
    out += "<section class=\"reviews\" id=\"reviews\">\n<h2>Customer reviews</h2>\n";
    while (out.size() + 40 < target) {
        stop();
        const std::size_t stars = 1 + r.below(5);
        out += "<div class=\"review\" data-rating=\"";
        append_uint(out, stars);
        out += "\">\n<div class=\"review-head\"><span class=\"stars\">";
        for (std::size_t i = 0; i < 5; ++i) out += i < stars ? "&#9733;" : "&#9734;";
        out += "</span> <b class=\"review-title\">";
        append_sentence(out, r, 2, 6);
        out.pop_back();
        out += "</b></div>\n<div class=\"review-meta\">By <span class=\"author\">";
        out += pick(first_names, r.next());
        out += ' ';
        out += static_cast<char>('A' + r.below(26));
        out += ".</span> on <time datetime=\"";
        const std::size_t year = 2015 + r.below(10), month = r.below(12), day = 1 + r.below(28);
        append_uint(out, year);
        out += '-';
        append_padded(out, month + 1, 2);
        out += '-';
        append_padded(out, day, 2);
        out += "\">";
        out += months[month];
        out += ' ';
        append_uint(out, day);
        out += ", ";
        append_uint(out, year);
        out += "</time>";
        if (r.chance(70)) out += " &middot; Verified purchase";
        out += "</div>\n<p>";
        for (std::size_t i = 0, n = 1 + r.below(4); i < n; ++i) {
            if (i > 0) out += ' ';
            if (r.chance(85)) append_copy(out, r, review_phrases);
            else append_sentence(out, r, 4, 14);
        }
        out += "</p>\n<div class=\"helpful\"><button type=\"button\">Helpful</button> ";
        append_uint(out, r.below(200));
        out += " people found this helpful</div>\n</div>\n";
    }
    out += "</section>\n";
}

void make_also_viewed(std::string& out, rng& r, std::size_t target, const stop_check& stop) {
    out += "<section class=\"also-viewed\">\n<h2>Customers also viewed</h2>\n"
           "<ul class=\"carousel\">\n";
    while (out.size() + 40 < target) {
        stop();
        const std::uint64_t k = linked_product(r);
        out += "<li class=\"card\"><a href=\"/p/";
        append_uint(out, k);
        out += ".html\"><img src=\"/img/p/";
        append_uint(out, k);
        out += "-1.jpg\" alt=\"\" loading=\"lazy\" width=\"160\" height=\"160\"><span class=\"name\">";
        append_title(out, k, true);
        out += "</span></a> <span class=\"price\">";
        append_price_text(out, k);
        out += "</span></li>\n";
    }
    out += "</ul>\n</section>\n";
}

std::string make_filler(std::size_t kind, std::size_t variant, std::size_t target,
                        const stop_check& stop) {
    std::string out;
    if (target == 0) return out;
    rng r(hash_of(kind * 1000 + variant, 7));
    if (kind == 0) {
        make_description(out, r, target * 2 / 5, stop);
        make_specs(out, r, target, stop);
    } else {
        make_reviews(out, r, target * 3 / 5, stop);
        make_also_viewed(out, r, target, stop);
    }
    return out;
}

// The end of every page's <head>: metadata, an inline style sheet and links.
constexpr std::string_view head_common =
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta name=\"theme-color\" content=\"#0b5cab\">\n"
    "<meta property=\"og:site_name\" content=\"Shoal Shop\">\n"
    "<link rel=\"icon\" href=\"/static/favicon.ico\" sizes=\"any\">\n"
    "<link rel=\"preconnect\" href=\"https://cdn.shoal-shop.test\">\n"
    "<link rel=\"stylesheet\" href=\"/static/shop.css?v=3\">\n"
    "<style>\n"
    ":root{--brand:#0b5cab;--accent:#f59e0b;--text:#1f2937;--muted:#6b7280;--border:#e5e7eb}\n"
    "body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:var(--text)}\n"
    ".site-header{display:flex;align-items:center;gap:16px;padding:8px 24px;border-bottom:1px solid var(--border)}\n"
    ".site-header .logo img{display:block;height:40px;width:auto}\n"
    ".site-header .search{flex:1;display:flex}\n"
    ".site-header .search input{flex:1;padding:8px 12px;border:1px solid var(--border);border-radius:4px 0 0 4px}\n"
    ".site-header .search button{padding:8px 16px;border:0;background:var(--brand);color:#fff;border-radius:0 4px 4px 0}\n"
    ".categories ul{display:flex;gap:12px;list-style:none;margin:0;padding:8px 24px}\n"
    ".categories a{color:var(--text);text-decoration:none}\n"
    ".breadcrumb{padding:8px 24px;font-size:14px;color:var(--muted)}\n"
    ".product{display:grid;grid-template-columns:1fr 1fr;gap:24px;padding:0 24px}\n"
    ".product .gallery img{max-width:100%;height:auto;border:1px solid var(--border)}\n"
    ".product-title{font-size:28px;line-height:1.2;margin:0 0 8px}\n"
    ".buy-box{padding:16px;border:1px solid var(--border);border-radius:8px}\n"
    ".buy-box .price{font-size:32px;font-weight:700;color:var(--text)}\n"
    ".buy-box .add-to-cart{width:100%;padding:12px;border:0;border-radius:24px;background:var(--accent)}\n"
    ".reviews .review{border-top:1px solid var(--border);padding:12px 0}\n"
    ".reviews .stars{color:var(--accent)}\n"
    ".carousel{display:flex;gap:12px;overflow-x:auto;list-style:none;padding:0}\n"
    ".carousel .card{flex:0 0 180px;font-size:14px}\n"
    ".spec-table{border-collapse:collapse;width:100%}\n"
    ".spec-table th,.spec-table td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--border)}\n"
    ".site-footer{margin-top:48px;padding:24px;background:#f3f4f6;font-size:14px}\n"
    ".site-footer .columns{display:flex;gap:48px}\n"
    "@media (max-width:720px){.product{grid-template-columns:1fr}.site-footer .columns{flex-direction:column}}\n"
    "</style>\n";

// What follows the price in a product's buy box: the same on every page.
constexpr std::string_view buy_box_rest =
    "</span>\n<span class=\"stock\">In stock</span>\n"
    "<form action=\"/cart\" method=\"post\"><label>Quantity <select name=\"qty\">"
    "<option>1</option><option>2</option><option>3</option><option>4</option>"
    "<option>5</option></select></label>\n"
    "<button type=\"submit\" class=\"add-to-cart\">Add to cart</button></form>\n"
    "<ul class=\"perks\">\n<li>Free delivery on orders over fifty dollars</li>\n"
    "<li>Free returns within thirty days</li>\n<li>Two-year warranty included</li>\n"
    "<li>Secure payment: Visa, Mastercard, American Express, PayPal</li>\n</ul>\n"
    "</div>\n</div>\n";

std::string make_header() {
    std::string out =
        "<header class=\"site-header\">\n"
        "<div class=\"topbar\"><a href=\"/help\">Help</a> <a href=\"/orders\">Orders</a> "
        "<a href=\"/account\">Sign in</a> <a href=\"/cart\" class=\"cart\">Cart (0)</a></div>\n"
        "<a class=\"logo\" href=\"/\"><img src=\"/static/logo.svg\" alt=\"Shoal Shop\" "
        "width=\"140\" height=\"40\"></a>\n"
        "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">"
        "<input type=\"search\" name=\"q\" placeholder=\"Search products\" "
        "aria-label=\"Search products\"><button type=\"submit\">Search</button></form>\n"
        "<nav class=\"categories\"><ul>\n";
    for (std::size_t i = 0; i < std::size(categories); ++i) {
        out += "<li><a href=\"/list/";
        append_uint(out, 1 + i * 50);
        out += ".html\">";
        out += categories[i];
        out += "</a></li>\n";
    }
    out += "</ul></nav>\n</header>\n";
    return out;
}

std::string make_footer() {
    std::string out =
        "<footer class=\"site-footer\">\n<div class=\"columns\">\n"
        "<div><h4>Shop</h4><ul><li><a href=\"/list/1.html\">All products</a></li>"
        "<li><a href=\"/deals\">Deals</a></li><li><a href=\"/gift-cards\">Gift cards</a></li>"
        "</ul></div>\n"
        "<div><h4>Customer service</h4><ul><li><a href=\"/help/shipping\">Shipping</a></li>"
        "<li><a href=\"/help/returns\">Returns</a></li><li><a href=\"/help/contact\">Contact "
        "us</a></li></ul></div>\n"
        "<div><h4>About</h4><ul><li><a href=\"/about\">About Shoal Shop</a></li>"
        "<li><a href=\"/careers\">Careers</a></li><li><a href=\"/privacy\">Privacy</a></li>"
        "<li><a href=\"/terms\">Terms</a></li></ul></div>\n"
        "</div>\n<p class=\"copyright\">&copy; 2024 Shoal Shop. All prices in US dollars. "
        "This is a synthetic experiment site.</p>\n</footer>\n"
        "<script src=\"/static/shop.js?v=3\" defer></script>\n"
        "<script>\nwindow.dataLayer = window.dataLayer || [];\n"
        "function track(event, data) { window.dataLayer.push(Object.assign({event: event}, data)); }\n"
        "document.addEventListener('DOMContentLoaded', function () {\n"
        "  track('page_view', {site: 'shoal-shop', currency: 'USD'});\n"
        "  document.querySelectorAll('.add-to-cart').forEach(function (button) {\n"
        "    button.addEventListener('click', function () { track('add_to_cart', {}); });\n"
        "  });\n"
        "  document.querySelectorAll('.carousel .card a').forEach(function (link) {\n"
        "    link.addEventListener('click', function () { track('select_item', {}); });\n"
        "  });\n"
        "});\n</script>\n</body>\n</html>\n";
    return out;
}

// One shared block: its text, its deflate segment, and its CRC-32.
struct block {
    std::string text;
    std::string deflated;
    uLong crc = 0;
    uLong combine_op = 0;  // crc32_combine_gen(text.size())

    block() = default;
    block(std::string t, bool final_segment, const stop_check& stop = stop_check())
        : text(std::move(t)) {
        crc = crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size()));
        combine_op = crc32_combine_gen(static_cast<z_off_t>(text.size()));
        if (text.empty() && !final_segment) return;
        struct stream {
            z_stream zs{};
            ~stream() { deflateEnd(&zs); }
        } s;
        z_stream& zs = s.zs;
        if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
            throw std::runtime_error("deflateInit2 failed");
        deflated.resize(deflateBound(&zs, static_cast<uLong>(text.size())) + 16);
        zs.next_out = reinterpret_cast<Bytef*>(deflated.data());
        zs.avail_out = static_cast<uInt>(deflated.size());
        // In pieces, so that a stop is heard while a block of many megabytes
        // compresses; with room for all the output, the bytes are the same.
        constexpr std::size_t piece = 1 << 20;
        std::size_t fed = 0;
        int rc = Z_OK;
        do {
            stop();
            const std::size_t n = std::min(piece, text.size() - fed);
            zs.next_in = reinterpret_cast<Bytef*>(text.data() + fed);
            zs.avail_in = static_cast<uInt>(n);
            fed += n;
            const bool last = fed == text.size();
            rc = deflate(&zs, !last ? Z_NO_FLUSH : final_segment ? Z_FINISH : Z_SYNC_FLUSH);
        } while (fed < text.size() && rc == Z_OK);
        const bool ok = final_segment ? rc == Z_STREAM_END : rc == Z_OK && zs.avail_in == 0;
        deflated.resize(zs.total_out);
        if (!ok) throw std::runtime_error("deflate of a shared block failed");
    }
};

std::string gzip_whole(std::string_view in) {
    gzip_encoder enc;
    return std::string(enc.encode(in));
}

constexpr char gzip_header[10] = {'\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3};  // deflate, Unix

void append_le32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

bool parse_number(std::string_view digits, std::uint64_t& n) {
    if (digits.empty() || digits.size() > 18 || digits[0] == '0') return false;
    n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}

// The start of a page, up to the variable part of its <head>.
void append_head_start(std::string& out, std::string_view title_escaped, std::string_view path) {
    out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
    out += title_escaped;
    out += "</title>\n<link rel=\"canonical\" href=\"";
    out += path;
    out += "\">\n";
}

void append_document_head(std::string& out, std::string_view title_escaped, std::string_view path,
                          std::string_view body_class) {
    append_head_start(out, title_escaped, path);
    out += head_common;
    out += "</head>\n<body class=\"";
    out += body_class;
    out += "\">\n";
}

// A product page's breadcrumb, title, rating and color, up to its price's text.
void append_product_summary(std::string& o, std::uint64_t n, std::uint64_t h, std::string_view title) {
    const std::uint64_t stars10 = 25 + (h >> 8) % 26;  // 2.5 .. 5.0
    o += "<main id=\"content\">\n<nav class=\"breadcrumb\"><a href=\"/\">Home</a> &rsaquo; "
         "<a href=\"/list/";
    append_uint(o, (n - 1) / 20 + 1);
    o += ".html\">";
    o += pick(nouns, hash_of(n, 1) >> 24);
    o += "</a> &rsaquo; <span>";
    o += title;
    o += "</span></nav>\n<article class=\"product\" id=\"product-";
    append_uint(o, n);
    o += "\">\n<div class=\"gallery\"><img src=\"/img/p/";
    append_uint(o, n);
    o += "-1.jpg\" alt=\"\" width=\"600\" height=\"600\"></div>\n<div class=\"summary\">\n"
         "<h1 class=\"product-title\">";
    o += title;
    o += "</h1>\n<div class=\"rating\">";
    append_uint(o, stars10 / 10);
    o += '.';
    append_uint(o, stars10 % 10);
    o += " out of 5 <a href=\"#reviews\">";
    append_uint(o, (h >> 20) % 3000);
    o += " ratings</a></div>\n<p class=\"color\">Color: ";
    o += pick(colors, h >> 44);
    o += "</p>\n<div class=\"buy-box\"><span class=\"price\">";
    append_price_text(o, n);
}

// Assembles a body from the site's shared blocks and variable text, in page
// order. Variable text is written into the body's scratch first; the views
// are made by finish(), once scratch no longer grows. With gzip, the body is
// one gzip member: the header, the shared blocks' deflate segments, each
// variable text as a stored deflate block (it starts byte-aligned, after the
// header or a segment that ended with a sync flush), and the trailer, whose
// CRC-32 is combined from the pieces' CRCs.
class body_builder {
public:
    body_builder(body& out, bool gzip) : out_(out), sc_(out.scratch), gzip_(gzip) {
        sc_.clear();
        if (sc_.capacity() < 8192) sc_.reserve(8192);
        if (gzip_) {
            sc_.append(gzip_header, sizeof gzip_header);
            pieces_[count_++] = {nullptr, 0, sc_.size()};
        }
    }

    void add_shared(const block& b) {
        if (b.text.empty()) return;
        pieces_[count_++] = {&b, 0, 0};
        crc_ = crc32_combine_op(crc_, b.crc, b.combine_op);
        total_ += b.text.size();
    }

    // `write(std::string&)` appends the text to scratch.
    template <class Write>
    void add_variable(Write write) {
        const std::size_t begin = sc_.size();
        if (gzip_) sc_.append(5, '\0');
        const std::size_t text_begin = sc_.size();
        write(sc_);
        const std::size_t len = sc_.size() - text_begin;
        if (len > 0xffff) throw std::logic_error("variable part too large for a stored block");
        crc_ = libdeflate_crc32(static_cast<std::uint32_t>(crc_), sc_.data() + text_begin, len);
        total_ += len;
        if (gzip_) {
            sc_[begin] = 0;  // BFINAL 0, BTYPE 00 (stored), then padding to the byte
            sc_[begin + 1] = static_cast<char>(len & 0xff);
            sc_[begin + 2] = static_cast<char>(len >> 8);
            sc_[begin + 3] = static_cast<char>(~len & 0xff);
            sc_[begin + 4] = static_cast<char>((~len >> 8) & 0xff);
        }
        // Scratch right after scratch (the gzip header): one piece.
        if (count_ > 0 && pieces_[count_ - 1].shared == nullptr && pieces_[count_ - 1].end == begin)
            pieces_[count_ - 1].end = sc_.size();
        else
            pieces_[count_++] = {nullptr, begin, sc_.size()};
    }

    // The gzip trailer, then the body's views.
    void finish() {
        if (gzip_) {
            const std::size_t begin = sc_.size();
            append_le32(sc_, static_cast<std::uint32_t>(crc_));
            append_le32(sc_, static_cast<std::uint32_t>(total_));
            pieces_[count_++] = {nullptr, begin, sc_.size()};
        }
        out_.count = count_;
        out_.size = 0;
        for (std::size_t i = 0; i < count_; ++i) {
            const piece& p = pieces_[i];
            out_.parts[i] = p.shared == nullptr ? std::string_view(sc_).substr(p.begin, p.end - p.begin)
                                                : std::string_view(gzip_ ? p.shared->deflated : p.shared->text);
            out_.size += out_.parts[i].size();
        }
    }

private:
    struct piece {
        const block* shared;  // or nullptr: scratch [begin, end)
        std::size_t begin, end;
    };
    body& out_;
    std::string& sc_;
    bool gzip_;
    std::array<piece, body::max_parts> pieces_{};
    std::size_t count_ = 0;
    uLong crc_ = 0;
    std::uint64_t total_ = 0;
};

}  // namespace

// ---- Facts ----

std::string product_title(std::uint64_t n) {
    std::string out;
    append_title(out, n, false);
    return out;
}

price product_price(std::uint64_t n) {
    const std::uint64_t cents = price_cents(n);
    std::string amount;
    append_uint(amount, cents / 100);
    amount += '.';
    append_padded(amount, cents % 100, 2);
    return {std::move(amount), "USD"};
}

std::string price_text(std::uint64_t n) {
    std::string out;
    append_price_text(out, n);
    return out;
}

std::string host_address(std::uint64_t j) {
    const std::uint64_t q = j / 254;
    std::string out = "127.";
    append_uint(out, (q / 256) % 256);
    out += '.';
    append_uint(out, q % 256);
    out += '.';
    append_uint(out, 1 + j % 254);
    return out;
}

std::string url_line(std::string_view scheme, std::uint64_t i, std::uint64_t hosts,
                     unsigned port) {
    std::string out(scheme);
    out += "://";
    out += host_address((i - 1) % hosts);
    out += ':';
    append_uint(out, port);
    out += "/p/";
    append_uint(out, i);
    out += ".html";
    return out;
}

bool answers_error(std::uint64_t n, double rate) { return unit_of(hash_of(n, 3)) < rate; }
bool resets(std::uint64_t n, double rate) { return unit_of(hash_of(n, 4)) < rate; }

route parse_target(std::string_view target) {
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
    route r;
    if (target == "/") {
        r.kind = page_kind::index;
    } else if (target == "/stats") {
        r.kind = page_kind::stats;
    } else if (target.size() > 8 && target.starts_with("/p/") && target.ends_with(".html")) {
        if (parse_number(target.substr(3, target.size() - 8), r.n)) r.kind = page_kind::product;
    } else if (target.size() > 11 && target.starts_with("/list/") && target.ends_with(".html")) {
        if (parse_number(target.substr(6, target.size() - 11), r.n)) r.kind = page_kind::listing;
    }
    return r;
}

std::string body::joined() const {
    std::string out;
    out.reserve(size);
    for (std::size_t i = 0; i < count; ++i) out += parts[i];
    return out;
}

// ---- The site ----

struct site::impl {
    std::size_t page_size;
    std::string header;  // the site header, in every page after <body>
    block top;           // a product page from the end of its <head> to the end of the header
    block buy;           // a product's buy box after the price
    std::string footer;  // the site footer, at the end of every page
    block product_end;   // a product page from the end of the article on
    std::vector<block> fillers;  // kind k, variant v at k * variants_per_kind + v
    std::string index[2], not_found[2], error[2];  // [gzip]
};

site::site(std::size_t page_size, const std::atomic<bool>* stop_flag)
    : p_(std::make_unique<impl>()) {
    const stop_check stop(stop_flag);
    p_->page_size = page_size;
    p_->header = make_header();
    p_->top = block(std::string(head_common) + "</head>\n<body class=\"product-page\">\n" +
                        p_->header,
                    false);
    p_->buy = block(std::string(buy_box_rest), false);
    p_->footer = make_footer();
    p_->product_end = block("</article>\n</main>\n" + p_->footer, true);
    const std::size_t fixed = p_->top.text.size() + p_->buy.text.size() +
                              p_->product_end.text.size() + variable_bytes_estimate;
    const std::size_t per_kind = page_size > fixed ? (page_size - fixed) / filler_kinds : 0;
    p_->fillers.reserve(filler_kinds * variants_per_kind);
    for (std::size_t k = 0; k < filler_kinds; ++k) {
        for (std::size_t v = 0; v < variants_per_kind; ++v) {
            // Sizes from 0.6x to 1.4x of the mean, so pages differ in size.
            const double factor = 0.6 + 0.8 * static_cast<double>(v) / (variants_per_kind - 1);
            // Reviews and "also viewed" take the larger share, as on real shop pages.
            const double share = k == 0 ? 0.7 : 1.3;
            const auto target =
                static_cast<std::size_t>(static_cast<double>(per_kind) * share * factor);
            p_->fillers.emplace_back(make_filler(k, v, target, stop), false, stop);
        }
    }

    std::string page;
    append_document_head(page, "Shoal Shop: experiment site", "/", "index-page");
    page += p_->header;
    page += "<main id=\"content\">\n<h1>Shoal Shop</h1>\n<p>A synthetic shop for crawler "
            "experiments. Product pages are /p/N.html, listings /list/N.html, counters "
            "/stats.</p>\n<h2>Listings</h2>\n<ul class=\"listings\">\n";
    for (std::uint64_t i = 1; i <= 50; ++i) {
        page += "<li><a href=\"/list/";
        append_uint(page, i);
        page += ".html\">Products, page ";
        append_uint(page, i);
        page += "</a></li>\n";
    }
    page += "</ul>\n<h2>Featured products</h2>\n<ul class=\"featured\">\n";
    for (std::uint64_t i = 1; i <= 20; ++i) {
        page += "<li><a href=\"/p/";
        append_uint(page, i);
        page += ".html\">";
        append_title(page, i, true);
        page += "</a></li>\n";
    }
    page += "</ul>\n</main>\n";
    page += p_->footer;
    p_->index[0] = page;
    p_->index[1] = gzip_whole(page);

    p_->not_found[0] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>404 Not Found</title>\n</head>\n<body>\n<h1>Not Found</h1>\n"
        "<p>No such page. Products are /p/N.html, listings /list/N.html.</p>\n"
        "<p><a href=\"/\">Back to the shop</a></p>\n</body>\n</html>\n";
    p_->not_found[1] = gzip_whole(p_->not_found[0]);
    p_->error[0] =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>500 Internal Server Error</title>\n</head>\n<body>\n"
        "<h1>Internal Server Error</h1>\n<p>Something went wrong (on purpose: "
        "--error-rate).</p>\n</body>\n</html>\n";
    p_->error[1] = gzip_whole(p_->error[0]);
}

site::~site() = default;

std::size_t site::page_size() const { return p_->page_size; }
const std::string& site::index_page(bool gzip) const { return p_->index[gzip ? 1 : 0]; }
const std::string& site::not_found_page(bool gzip) const { return p_->not_found[gzip ? 1 : 0]; }
const std::string& site::error_page(bool gzip) const { return p_->error[gzip ? 1 : 0]; }

void site::product(std::uint64_t n, bool gzip, body& out) const {
    const impl& s = *p_;
    body_builder page(out, gzip);
    const std::uint64_t h = hash_of(n, 5);
    thread_local std::string title;
    title.clear();
    append_title(title, n, true);
    page.add_variable([&](std::string& o) {
        o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
        o += title;
        o += "</title>\n<link rel=\"canonical\" href=\"/p/";
        append_uint(o, n);
        o += ".html\">\n";
    });
    page.add_shared(s.top);
    page.add_variable([&](std::string& o) { append_product_summary(o, n, h, title); });
    page.add_shared(s.buy);
    for (std::size_t k = 0; k < filler_kinds; ++k)
        page.add_shared(s.fillers[k * variants_per_kind + hash_of(n, 10 + k) % variants_per_kind]);
    page.add_shared(s.product_end);
    page.finish();
}

std::string site::product_page(std::uint64_t n) const {
    body b;
    product(n, false, b);
    return b.joined();
}

void site::listing_page(std::uint64_t n, std::string& out) const {
    std::string title = "Products, page ";
    append_uint(title, n);
    std::string path = "/list/";
    append_uint(path, n);
    path += ".html";
    append_document_head(out, title, path, "listing-page");
    out += p_->header;
    out += "<main id=\"content\">\n<h1>";
    out += title;
    out += "</h1>\n<ul class=\"product-list\">\n";
    for (std::uint64_t k = (n - 1) * 20 + 1; k <= n * 20; ++k) {
        out += "<li class=\"product-card\"><a href=\"/p/";
        append_uint(out, k);
        out += ".html\">";
        append_title(out, k, true);
        out += "</a> <span class=\"price\">";
        append_price_text(out, k);
        out += "</span></li>\n";
    }
    out += "</ul>\n<nav class=\"pagination\">";
    if (n > 1) {
        out += "<a rel=\"prev\" href=\"/list/";
        append_uint(out, n - 1);
        out += ".html\">Previous</a> ";
    }
    out += "<a rel=\"next\" href=\"/list/";
    append_uint(out, n + 1);
    out += ".html\">Next</a></nav>\n</main>\n";
    out += p_->footer;
}

std::string site::listing_page(std::uint64_t n) const {
    std::string out;
    listing_page(n, out);
    return out;
}

// ---- gzip_encoder ----

struct gzip_encoder::impl {
    z_stream zs{};
    std::string out;
};

gzip_encoder::gzip_encoder() : p_(std::make_unique<impl>()) {
    if (deflateInit2(&p_->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2 failed");
}

gzip_encoder::~gzip_encoder() { deflateEnd(&p_->zs); }

std::string_view gzip_encoder::encode(std::string_view in) {
    z_stream& zs = p_->zs;
    deflateReset(&zs);
    p_->out.resize(deflateBound(&zs, static_cast<uLong>(in.size())) + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(p_->out.data());
    zs.avail_out = static_cast<uInt>(p_->out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("gzip encoding failed");
    return std::string_view(p_->out).substr(0, zs.total_out);
}

}  // namespace shoal::serve_pages
