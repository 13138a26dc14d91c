// currency_locale: the currency a page's language or its host's country
// suggests, to tell apart currencies that share a symbol ("kr" on a Danish
// page is DKK, "$" on an Australian shop AUD, "¥" on a Chinese page CNY).
//
//   locale_currency("<html lang=\"da-DK\">...", "https://shop.example/")  // "DKK"
//   locale_currency("<html lang=\"en\">...", "https://shop.com.au/p/1")  // "AUD"
#pragma once

#include <string_view>

namespace shoal {

// The ISO 4217 code the page's <html lang> (its region, else its
// language) or, failing that, its URL host's country-code top-level
// domain suggests; empty when neither suggests one. Only suggests: a
// price's text or the page's declared currency always wins.
std::string_view locale_currency(std::string_view html, std::string_view page_url);

}  // namespace shoal
