// record: the one result of one input line, and how it is written out as a
// JSONL object or a CSV row. Output is always valid UTF-8, whatever bytes the
// page, the URL or the server held.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/price.hpp"

namespace shoal {

// Where a fetch failed. `none` means the record has no error.
enum class error_stage : std::uint8_t {
    none, connect, tls, request, response, body, decode, redirect, input, crash
};
std::string_view to_string(error_stage s);

struct record {
    std::uint64_t line = 0;
    std::string url;
    std::string final_url;
    int status = -1;  // -1: no HTTP status received
    double elapsed_ms = 0;
    std::uint64_t bytes = 0;  // decoded body bytes
    std::uint32_t attempts = 0;
    std::optional<std::string> title;
    std::optional<shoal::price> price;
    // Custom rule results: name -> a JSON value, already rendered.
    std::vector<std::pair<std::string, std::string>> fields;
    error_stage stage = error_stage::none;
    std::string error_code;     // short snake_case token, e.g. "timeout"
    std::string error_message;  // human readable
};

// Appends the record as one JSON object and a newline.
void append_jsonl(const record& r, std::string& out);

// The CSV header line and one RFC 4180 row per record (CRLF line ends).
// field_names: the custom fields of a rule file, as extra columns named
// "fields.NAME" after the standard ones; a string value is written as its
// text, others as JSON.
void append_csv_header(std::string& out, const std::vector<std::string>& field_names = {});
void append_csv_row(const record& r, std::string& out,
                    const std::vector<std::string>& field_names = {});

// Appends s as one CSV field, quoted when needed, repairing invalid UTF-8.
void append_csv_field(std::string_view s, std::string& out);

// Appends s as a JSON string literal (quotes included), repairing invalid UTF-8.
void append_json_string(std::string_view s, std::string& out);

// Appends p as {"amount":...,"currency":... or null,"raw":...}.
void append_price_json(const shoal::price& p, std::string& out);

// What one worker's fetches did, beside its records: sent to the writer at
// the end of the chunk and summed into --stats.
struct fetch_counters {
    std::uint64_t connections = 0;     // TCP connections opened
    std::uint64_t reused = 0;          // requests sent on a kept-alive connection
    std::uint64_t tls_handshakes = 0;
    std::uint64_t tls_resumed = 0;     // handshakes that resumed a session
    std::uint64_t ca_store_loads = 0;  // system CA store loaded by the worker itself

    fetch_counters& operator+=(const fetch_counters& o) {
        connections += o.connections;
        reused += o.reused;
        tls_handshakes += o.tls_handshakes;
        tls_resumed += o.tls_resumed;
        ca_store_loads += o.ca_store_loads;
        return *this;
    }
};

}  // namespace shoal
