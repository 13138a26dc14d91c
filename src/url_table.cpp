// url_table: entries of one run packed into blocks, with an index by URL hash.
//
// An entry's bytes: varint length + URL, varint line, a flags byte, then
// what the flags say is there: status (zigzag varint), title, price (amount,
// currency, raw), error (stage, code), each string as varint length + bytes.
#include "shoal/url_table.hpp"

#include <cstring>
#include <functional>
#include <stdexcept>
#include <utility>

namespace shoal {

namespace {

constexpr std::size_t block_size = 1 << 20;
// Entries longer than this get a block of their own, so that starting a new
// block never leaves more than this unused at the end of the last one.
constexpr std::size_t own_block_above = 4096;

enum entry_flags : unsigned char {
    has_status = 1,
    has_title = 2,
    has_price = 4,
    has_error = 8,
};

void put_varint(std::uint64_t v, std::string& out) {
    while (v >= 0x80) {
        out += static_cast<char>(v | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

void put_string(std::string_view s, std::string& out) {
    put_varint(s.size(), out);
    out += s;
}

// Reads what put_varint and put_string wrote; p moves past it.
std::uint64_t get_varint(const char*& p) {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        const auto byte = static_cast<unsigned char>(*p++);
        v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
        if (byte < 0x80) return v;
    }
}

std::string_view get_string(const char*& p) {
    const auto n = static_cast<std::size_t>(get_varint(p));
    std::string_view s(p, n);
    p += n;
    return s;
}

void encode(std::string_view url, const diff_entry& e, std::string& out) {
    put_string(url, out);
    put_varint(e.line, out);
    const bool error = !e.error_stage.empty() || !e.error_code.empty();
    out += static_cast<char>((e.status ? has_status : 0) | (e.title ? has_title : 0) |
                             (e.price ? has_price : 0) | (error ? has_error : 0));
    if (e.status) {
        const auto s = static_cast<std::int64_t>(*e.status);
        put_varint((static_cast<std::uint64_t>(s) << 1) ^ static_cast<std::uint64_t>(s >> 63), out);
    }
    if (e.title) put_string(*e.title, out);
    if (e.price) {
        put_string(e.price->amount, out);
        put_string(e.price->currency, out);
        put_string(e.price->raw, out);
    }
    if (error) {
        put_string(e.error_stage, out);
        put_string(e.error_code, out);
    }
}

diff_entry decode(const char* p) {
    get_string(p);  // the URL
    diff_entry e;
    e.line = get_varint(p);
    const auto flags = static_cast<unsigned char>(*p++);
    if (flags & has_status) {
        const std::uint64_t z = get_varint(p);
        e.status =
            static_cast<int>(static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1));
    }
    if (flags & has_title) e.title = std::string(get_string(p));
    if (flags & has_price) {
        diff_price price;
        price.amount = get_string(p);
        price.currency = get_string(p);
        price.raw = get_string(p);
        e.price = std::move(price);
    }
    if (flags & has_error) {
        e.error_stage = get_string(p);
        e.error_code = get_string(p);
    }
    return e;
}

}  // namespace

// ---- entry_arena -----------------------------------------------------------

entry_arena::entry_arena(entry_arena&& other) noexcept {
    *this = std::move(other);
}

entry_arena& entry_arena::operator=(entry_arena&& other) noexcept {
    if (this == &other) return *this;
    blocks_ = std::move(other.blocks_);
    free_ = std::exchange(other.free_, nullptr);  // it points into blocks_
    free_size_ = std::exchange(other.free_size_, 0);
    entries_ = std::move(other.entries_);
    other.entries_.clear();
    other.blocks_.clear();
    return *this;
}

char* entry_arena::allocate(std::size_t n) {
    if (n > own_block_above) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(n));
        return blocks_.back().get();
    }
    if (n > free_size_) {
        blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_size));
        free_ = blocks_.back().get();
        free_size_ = block_size;
    }
    char* p = free_;
    free_ += n;
    free_size_ -= n;
    return p;
}

const char* entry_arena::write(std::string_view url, const diff_entry& e) {
    scratch_.clear();
    encode(url, e, scratch_);
    char* p = allocate(scratch_.size());
    std::memcpy(p, scratch_.data(), scratch_.size());
    return p;
}

std::size_t entry_arena::append(std::string_view url, const diff_entry& e) {
    entries_.push_back(write(url, e));
    return entries_.size() - 1;
}

void entry_arena::replace(std::size_t i, std::string_view url, const diff_entry& e) {
    entries_[i] = write(url, e);
}

std::string_view entry_arena::url(std::size_t i) const {
    const char* p = entries_[i];
    return get_string(p);
}

diff_entry entry_arena::entry(std::size_t i) const {
    return decode(entries_[i]);
}

// ---- url_table ---------------------------------------------------------------

std::uint64_t default_url_hash(std::string_view url) {
    return std::hash<std::string_view>{}(url);
}

std::size_t url_table::find(std::string_view url) const {
    return find(url, hash_(url));
}

std::size_t url_table::find(std::string_view url, std::uint64_t h) const {
    if (slots_.empty()) return npos;
    const auto tag = static_cast<std::uint32_t>(h >> 32);
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t at = h & mask;; at = (at + 1) & mask) {
        const slot& s = slots_[at];
        if (s.entry_plus_1 == 0) return npos;
        if (s.tag == tag && arena_.url(s.entry_plus_1 - 1) == url) return s.entry_plus_1 - 1;
    }
}

bool url_table::put(std::string_view url, const diff_entry& e) {
    const std::uint64_t h = hash_(url);
    if (const std::size_t i = find(url, h); i != npos) {
        if (!later_line(arena_.entry(i).line, e.line)) arena_.replace(i, url, e);
        return false;
    }
    if (size() >= max_size) throw std::length_error("more than 4294967294 URLs in one run");
    if ((size() + 1) * 4 > slots_.size() * 3) grow();
    const std::size_t i = arena_.append(url, e);
    const std::size_t mask = slots_.size() - 1;
    std::size_t at = h & mask;
    while (slots_[at].entry_plus_1 != 0) at = (at + 1) & mask;
    slots_[at] = {static_cast<std::uint32_t>(i + 1), static_cast<std::uint32_t>(h >> 32)};
    return true;
}

void url_table::grow() {
    std::vector<slot> bigger(slots_.empty() ? 16 : slots_.size() * 2);
    const std::size_t mask = bigger.size() - 1;
    for (const slot& s : slots_) {
        if (s.entry_plus_1 == 0) continue;
        std::size_t at = hash_(arena_.url(s.entry_plus_1 - 1)) & mask;
        while (bigger[at].entry_plus_1 != 0) at = (at + 1) & mask;
        bigger[at] = s;
    }
    slots_ = std::move(bigger);
}

diff_entry url_table::at(std::string_view url) const {
    const std::size_t i = find(url);
    if (i == npos) throw std::out_of_range("no entry for " + std::string(url));
    return entry(i);
}

}  // namespace shoal
