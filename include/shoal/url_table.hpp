// url_table: what one run said about each of its URLs, packed for `shoal diff`.
//
//   shoal::url_table run;
//   run.put("http://shop.test/a", entry);         // a later put of the URL replaces it
//   std::size_t i = run.find("http://shop.test/a");
//   if (i != shoal::url_table::npos) use(run.url(i), run.entry(i));
//
// Each entry is one run of bytes in a block arena (the URL, then the fields,
// lengths as varints), and the URLs are found through an open-addressing
// index of 64-bit URL hashes that holds 8 bytes per slot. Two URLs with the
// same hash are told apart by comparing the URLs themselves, so a collision
// costs time, never a wrong answer. The 1 M shop pages of the README's
// measure (57-byte URLs, 28-byte titles) take about 145 bytes per URL this
// way, against about 430 in an unordered_map<std::string, diff_entry>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/price.hpp"

namespace shoal {

// A price as a run wrote it: the amount is a decimal string.
using diff_price = shoal::price;

// What one run said about one URL.
struct diff_entry {
    std::uint64_t line = 0;               // `line` of the record (0 if absent: null in diff's JSONL)
    std::optional<int> status;            // nullopt: no HTTP status
    std::optional<std::string> title;     // nullopt: no title (an empty one counts as none)
    std::optional<diff_price> price;      // nullopt: no price
    std::string error_stage, error_code;  // empty when the record has no error
};

// Entries packed one after another, each with its URL, numbered from 0 in
// the order they were added. Entries never move once written.
// Not copyable: it would copy every block; moving is cheap.
class entry_arena {
  public:
    entry_arena() = default;
    entry_arena(const entry_arena&) = delete;
    entry_arena& operator=(const entry_arena&) = delete;
    // A moved-from arena is empty and can be used again.
    entry_arena(entry_arena&& other) noexcept;
    entry_arena& operator=(entry_arena&& other) noexcept;

    // Adds an entry and returns its number.
    std::size_t append(std::string_view url, const diff_entry& e);
    // Makes entry i hold url and e. The bytes of its old value stay in the
    // arena, unused: meant for the rare repeated URL.
    void replace(std::size_t i, std::string_view url, const diff_entry& e);

    std::size_t size() const { return entries_.size(); }
    // REQUIRES: i < size(). The view lives as long as the arena.
    std::string_view url(std::size_t i) const;
    // REQUIRES: i < size(). Returns a copy of entry i.
    diff_entry entry(std::size_t i) const;

  private:
    const char* write(std::string_view url, const diff_entry& e);
    char* allocate(std::size_t n);

    std::vector<std::unique_ptr<char[]>> blocks_;
    char* free_ = nullptr;  // the unused end of the last block
    std::size_t free_size_ = 0;
    std::vector<const char*> entries_;
    std::string scratch_;  // an entry being encoded
};

// The hash url_table indexes URLs by. Tests pass a weak one to make URLs collide.
using url_hash_fn = std::uint64_t (*)(std::string_view url);
std::uint64_t default_url_hash(std::string_view url);

// Whether a record of line `kept` stays over one of line `coming` for the
// same URL: it is of a later line of the list, or it has a line and the
// coming one has none (0 is no line; among records without one, file order).
inline bool later_line(std::uint64_t kept, std::uint64_t coming) {
    return kept != 0 && (coming == 0 || kept > coming);
}

// One entry per URL: an entry_arena with an index by URL.
class url_table {
  public:
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
    // The most URLs a table holds; put() throws std::length_error beyond.
    static constexpr std::size_t max_size = 0xFFFFFFFEu;

    explicit url_table(url_hash_fn hash_fn = default_url_hash) : hash_(hash_fn) {}

    // Stores e as the entry of url, replacing the entry the URL had unless
    // that one is of a later line of the list (a higher `line`: a crawl
    // writes records in the order their fetches end, not the list's; with
    // no line on either, the later put wins). Returns true when the URL is
    // new to the table.
    bool put(std::string_view url, const diff_entry& e);
    // Returns the number of url's entry, or npos.
    std::size_t find(std::string_view url) const;
    bool contains(std::string_view url) const { return find(url) != npos; }

    // Entries are numbered from 0 in the order their URLs were first put.
    std::size_t size() const { return arena_.size(); }
    std::string_view url(std::size_t i) const { return arena_.url(i); }
    diff_entry entry(std::size_t i) const { return arena_.entry(i); }
    // A copy of url's entry. Throws std::out_of_range when there is none.
    diff_entry at(std::string_view url) const;

    url_hash_fn hash() const { return hash_; }

  private:
    // An index slot: entry number + 1 (0: empty) and the hash's high half,
    // which rules out most other URLs without reading them.
    struct slot {
        std::uint32_t entry_plus_1 = 0;
        std::uint32_t tag = 0;
    };
    std::size_t find(std::string_view url, std::uint64_t hash) const;
    void grow();

    url_hash_fn hash_;
    entry_arena arena_;
    std::vector<slot> slots_;  // a power of two in size, at most 3/4 full
};

}  // namespace shoal
