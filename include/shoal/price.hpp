// Price normalisation: turns the price text of real shops ("$1,299.00",
// "1.299,00 €", "от 1 299 руб.", "¥59.00") into an exact decimal amount and an
// ISO 4217 currency code.
//
//   auto p = shoal::parse_price("1.299,00 €");   // {"1299.00", "EUR", "1.299,00 €"}
//   auto q = shoal::parse_price("59,-", "EUR");  // {"59", "EUR", "59,-"}
//   auto r = shoal::parse_price("Call for price"); // nullopt
//
// Amounts are kept as decimal strings, never floats, so runs diff exactly.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace shoal {

struct price {
    // Decimal string: digits, at most one '.', no separators, no sign. The
    // digits after the decimal point are kept as written ("1299.00", "59",
    // "0.5"); leading zeros of the integer part are dropped except a single 0.
    std::string amount;
    // ISO 4217 code ("USD", "EUR", "CNY", ...) or empty when unknown.
    std::string currency;
    // The text looked at: entities decoded, whitespace runs collapsed to one
    // ASCII space, trimmed, invalid UTF-8 replaced by U+FFFD, capped at
    // max_price_input bytes of input. Always valid UTF-8.
    std::string raw;
};

// Bytes of input (after leading whitespace) that parse_price looks at.
inline constexpr std::size_t max_price_input = 256;

// How the number in a price text is written.
enum class price_format {
    text,     // shown to people: the locale rules below ("1.299" is 1299)
    machine,  // structured data in HTML (OpenGraph price:amount, content=):
              // a lone '.' is the decimal point ("12.500" is 12.500), but
              // after one to three digits and before three, in a known
              // currency without three decimals, it groups thousands
              // ("1.299" SEK is 1299: shops write the shown price there);
              // with ',' in the number too, as text
    json,     // a JSON-LD value, number or string: as machine, but a lone
              // '.' is always the decimal point
};

// Parses a price out of `text` (UTF-8). HTML entities should already be
// decoded, but "&yen;", "&euro;", "&pound;", "&nbsp;", "&#36;", "&#x20AC;"
// style entities are accepted too (also double-escaped "&amp;euro;").
//
// The amount is the first number that carries a currency (a symbol, code or
// local name right before or after it; for a range "10 - 20 €" the first
// number of the range); failing that, the first plain number. Numbers glued
// to letters ("128GB", "X200") and percentages are never amounts.
//
// Separators: when both '.' and ',' occur the last one is the decimal point;
// a single '.' or ',' followed by exactly 3 digits is a thousands separator
// (unless the integer part is 0); followed by other digit counts it is the
// decimal point. Spaces (incl. NBSP, U+202F, thin space) and apostrophes are
// thousands separators between digit groups of 3. With price_format::machine
// (or json)
// a number whose only separator is one '.' has it as the decimal point,
// whatever follows. So does a number whose only '.' or ',' occurs once when
// the text names a currency with three minor digits (BHD, JOD, KWD, LYD,
// OMR, TND; not IQD, written without them): "KWD 12.500" is 12.500, a
// hint alone does not do this.
//
// `currency_hint` (an ISO code, case-insensitive; anything else, such as "BTC"
// or "US$", is ignored) is used when the text names no currency, and to resolve shared symbols: "$" (CAD, AUD, ...), "¥" (CNY),
// "kr" (DKK, NOK, ISK), "Rs" (PKR, LKR, ...), "£" (EGP, ...).
//
// Returns nullopt when there is no usable number ("", "Free", "Call for
// price"). Never throws; safe on any bytes; cost bounded by max_price_input.
std::optional<price> parse_price(std::string_view text, std::string_view currency_hint = {},
                                 price_format format = price_format::text);

// `s` with full-width, Arabic-Indic, Devanagari and Bengali digits and
// separators in ASCII, typographic apostrophes as '\'', and the spaces that
// group digits (figure, punctuation, thin, narrow no-break) as ' ': "１２３"
// is "123", "٣٫٥" is "3.5". Other bytes stay.
std::string fold_for_parsing(std::string_view s);

// `text` as an ISO 4217 code: spaces around it dropped, upper-cased, and the
// codes pages still give for ones ISO 4217 has replaced or never had read as
// ISO's (RUR is RUB, NIS is ILS); "" when it is no ISO 4217 code ("BTC",
// "US$", "UDS"). "usd" is "USD".
std::string currency_code(std::string_view text);

// True when `code` (upper case) is an ISO 4217 currency code: "EUR", "CNY";
// not "UDS", not "eur".
bool is_iso_4217_code(std::string_view code);

}  // namespace shoal
