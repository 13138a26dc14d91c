// Tests for shoal::parse_price: real-world price strings from many locales,
// texts without a price, and hostile inputs.
#include "shoal/price.hpp"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct price_case {
    std::string_view text;
    std::string_view hint;
    std::string_view amount;    // empty: no price expected
    std::string_view currency;  // expected ISO code, may be empty
};

void check_cases(const std::vector<price_case>& cases) {
    for (const auto& c : cases) {
        INFO("text: [" << c.text << "] hint: [" << c.hint << "]");
        const auto p = shoal::parse_price(c.text, c.hint);
        if (c.amount.empty()) {
            CHECK_FALSE(p.has_value());
            continue;
        }
        REQUIRE(p.has_value());
        CHECK(p->amount == c.amount);
        CHECK(p->currency == c.currency);
    }
}

}  // namespace

TEST_CASE("price: dollars and pounds", "[price]") {
    check_cases({
        {"$1,299.00", "", "1299.00", "USD"},
        {"$1,299", "", "1299", "USD"},
        {"$12.50", "", "12.50", "USD"},
        {"$ 12.50", "", "12.50", "USD"},
        {"$0.99", "", "0.99", "USD"},
        {"$.99", "", "0.99", "USD"},
        {"$1,234,567.89", "", "1234567.89", "USD"},
        {"USD 12.50", "", "12.50", "USD"},
        {"12.50 USD", "", "12.50", "USD"},
        {"12.50USD", "", "12.50", "USD"},
        {"12.50 usd", "", "12.50", "USD"},
        {"US$ 12.50", "", "12.50", "USD"},
        {"US$12.50", "", "12.50", "USD"},
        {"U$S 1.500", "", "1500", "USD"},
        {"CA$19.99", "", "19.99", "CAD"},
        {"C$ 19.99", "", "19.99", "CAD"},
        {"$19.99 CAD", "", "19.99", "CAD"},
        {"$19.99", "CAD", "19.99", "CAD"},
        {"$19.99", "aud", "19.99", "AUD"},
        {"$19.99", "EUR", "19.99", "USD"},
        {"A$ 49.95", "", "49.95", "AUD"},
        {"AU$49.95", "", "49.95", "AUD"},
        {"HK$ 1,280", "", "1280", "HKD"},
        {"NT$ 2,990", "", "2990", "TWD"},
        {"S$ 29.90", "", "29.90", "SGD"},
        {"NZ$ 79.00", "", "79.00", "NZD"},
        {"MX$ 1,499.00", "", "1499.00", "MXN"},
        {"$ 1.499", "MXN", "1499", "MXN"},
        {"£9.99", "", "9.99", "GBP"},
        {"9,99 £", "", "9.99", "GBP"},
        {"£1,049.00", "", "1049.00", "GBP"},
        {"GBP 9.99", "", "9.99", "GBP"},
        {"Now £7.50 Was £10.00", "", "7.50", "GBP"},
        {"Our price: $24.95", "", "24.95", "USD"},
        {"Price: $ 1 299.00", "", "1299.00", "USD"},
        {"From $9.99", "", "9.99", "USD"},
        {"from 9.99", "", "9.99", ""},
        {"Starting at $1,099", "", "1099", "USD"},
        {"$10 - $20", "", "10", "USD"},
        {"$10-$20", "", "10", "USD"},
        {"$10 to $20", "", "10", "USD"},
        {"10 - 20 USD", "", "10", "USD"},
        {"Sale! $49.99", "", "49.99", "USD"},
        {"Save 20% - now $15.99", "", "15.99", "USD"},
        {"2 for $10", "", "10", "USD"},
        {"$1,299.00 & free shipping", "", "1299.00", "USD"},
        {"$5", "", "5", "USD"},
        {"US $12.99", "", "12.99", "USD"},
        {"C $12.99", "", "12.99", "CAD"},
        {"AU $12.99", "", "12.99", "AUD"},
        {"$1,299.00 - $1,499.00", "", "1299.00", "USD"},
        {"$10 – $20", "", "10", "USD"},
        {"Was $20.00 now $15.00", "", "20.00", "USD"},
        {"＄12.00", "", "12.00", "USD"},
    });
}

TEST_CASE("price: a number of cents, with the cent sign after it", "[price]") {
    check_cases({
        {"99\u00a2", "", "0.99", "USD"},
        {"Only 49 \u00a2!", "", "0.49", "USD"},
        {"5\u00a2", "", "0.05", "USD"},
        {"150\u00a2", "", "1.50", "USD"},
        {"1,299\u00a2", "", "12.99", "USD"},
        {"99\u00a2", "CAD", "0.99", "CAD"},  // a "$" currency the page names
        {"50-99\u00a2", "", "0.50", "USD"},  // a range: its low end
        {"Was $1.29, now 99\u00a2", "", "1.29", "USD"},  // the first with a currency
        {"GH\u00a2 5", "", "5", "GHS"},  // before the number it is no cent (Ghana's cedi, written GH¢)
        {"GH\u00a225.00", "", "25.00", "GHS"},
    });
}

TEST_CASE("price: euro conventions", "[price]") {
    check_cases({
        {"1.299,00 €", "", "1299.00", "EUR"},
        {"1.299,00€", "", "1299.00", "EUR"},
        {"€ 12", "", "12", "EUR"},
        {"€12,50", "", "12.50", "EUR"},
        {"€1,299.00", "", "1299.00", "EUR"},
        {"12 EUR", "", "12", "EUR"},
        {"EUR 12", "", "12", "EUR"},
        {"EUR12,99", "", "12.99", "EUR"},
        {"12,99 eur", "", "12.99", "EUR"},
        {"12,99 Euro", "", "12.99", "EUR"},
        {"12,99 euros", "", "12.99", "EUR"},
        {"ab 9,99 €", "", "9.99", "EUR"},
        {"Preis: 1.299,- €", "", "1299", "EUR"},
        {"59,-", "", "59", ""},
        {"59,-", "EUR", "59", "EUR"},
        {"59,–", "EUR", "59", "EUR"},
        {"59,— €", "", "59", "EUR"},
        {"59.- €", "", "59", "EUR"},
        {"1 299,00 €", "", "1299.00", "EUR"},
        {"1\u00A0299,00\u00A0€", "", "1299.00", "EUR"},
        {"1\u202F299,00\u00A0€", "", "1299.00", "EUR"},
        {"1\u2009299,00 €", "", "1299.00", "EUR"},
        {"à partir de 19,90 €", "", "19.90", "EUR"},
        {"19,90 € TTC", "", "19.90", "EUR"},
        {"desde 19,90 €", "", "19.90", "EUR"},
        {"10 - 20 €", "", "10", "EUR"},
        {"10 bis 20 €", "", "10", "EUR"},
        {"9,99 € – 19,99 €", "", "9.99", "EUR"},
        {"9,99 - 19,99 €", "", "9.99", "EUR"},
        {"Größe 42 - 29,99 €", "", "29.99", "EUR"},
        {"20 - 10 €", "", "10", "EUR"},
        {"2x 12,99 €", "", "12.99", "EUR"},
        {"12 x 9,99 €", "", "9.99", "EUR"},
        {"12,99 €\n(inkl. MwSt.)", "", "12.99", "EUR"},
        {"9,95 € statt 14,95 €", "", "9.95", "EUR"},
        {"inkl. 19% MwSt. 49,99 €", "", "49.99", "EUR"},
        {"12,5 €", "", "12.5", "EUR"},
        {"0,50 €", "", "0.50", "EUR"},
        {"1.299 €", "", "1299", "EUR"},
        {"1.299.000 €", "", "1299000", "EUR"},
        {"1.299.000,50 €", "", "1299000.50", "EUR"},
        {"€ 1.000,-", "", "1000", "EUR"},
        {"1 000 000 €", "", "1000000", "EUR"},
        {"12€", "", "12", "EUR"},
        {"12 €*", "", "12", "EUR"},
        {"12,99 €/kg", "", "12.99", "EUR"},
        {"Prijs: € 24,95", "", "24.95", "EUR"},
        {"24,95", "eur", "24.95", "EUR"},
    });
}

TEST_CASE("price: yen, yuan, won and Asian currencies", "[price]") {
    check_cases({
        {"¥59.00", "", "59.00", "JPY"},
        {"¥59.00", "CNY", "59.00", "CNY"},
        {"￥59.00", "", "59.00", "JPY"},
        {"￥59.00", "cny", "59.00", "CNY"},
        {"¥1,280", "", "1280", "JPY"},
        {"1,280円", "", "1280", "JPY"},
        {"税込 1,280円", "", "1280", "JPY"},
        {"1,280円（税込）", "", "1280", "JPY"},
        {"￥１，２８０", "", "1280", "JPY"},
        {"59元", "", "59", "CNY"},
        {"59.00 元", "", "59.00", "CNY"},
        {"价格：59元", "", "59", "CNY"},
        {"RMB 59.00", "", "59.00", "CNY"},
        {"CN¥59.00", "", "59.00", "CNY"},
        {"人民币 1,299", "", "1299", "CNY"},
        {"59.00 CNY", "", "59.00", "CNY"},
        {"₩12,900", "", "12900", "KRW"},
        {"12,900원", "", "12900", "KRW"},
        {"12,900 KRW", "", "12900", "KRW"},
        {"₹1,299", "", "1299", "INR"},
        {"₹ 1,299/-", "", "1299", "INR"},
        {"Rs. 1,299/- only", "", "1299", "INR"},
        {"₹ 1,29,999.00", "", "129999.00", "INR"},
        {"Rs. 1,299", "", "1299", "INR"},
        {"Rs.1,299", "", "1299", "INR"},
        {"Rs 1,299", "", "1299", "INR"},
        {"Rs. 1,299", "PKR", "1299", "PKR"},
        {"₨ 2,500", "LKR", "2500", "LKR"},
        {"INR 499", "", "499", "INR"},
        {"฿1,290", "", "1290", "THB"},
        {"1,290 บาท", "", "1290", "THB"},
        {"1.290.000₫", "", "1290000", "VND"},
        {"1.290.000 đ", "", "1290000", "VND"},
        {"1.290.000 VNĐ", "", "1290000", "VND"},
        {"₱1,499.00", "", "1499.00", "PHP"},
        {"RM 12.90", "", "12.90", "MYR"},
        {"Rp 15.000", "", "15000", "IDR"},
        {"Rp15.000", "", "15000", "IDR"},
        {"NT$1,990", "", "1990", "TWD"},
        {"S$ 9.90", "", "9.90", "SGD"},
        {"HK$ 99", "", "99", "HKD"},
        {"৳ 1,200", "", "1200", "BDT"},
        {"₸ 12 990", "", "12990", "KZT"},
    });
}

TEST_CASE("price: Europe outside the euro", "[price]") {
    check_cases({
        {"1 299,00 zł", "", "1299.00", "PLN"},
        {"1\u00A0299,00\u00A0zł", "", "1299.00", "PLN"},
        {"1\u202F299,00 zł", "", "1299.00", "PLN"},
        {"49,99 zł", "", "49.99", "PLN"},
        {"49,99zł", "", "49.99", "PLN"},
        {"49,99 PLN", "", "49.99", "PLN"},
        {"1 299 Kč", "", "1299", "CZK"},
        {"1 299,- Kč", "", "1299", "CZK"},
        {"1299Kč", "", "1299", "CZK"},
        {"12 990 Ft", "", "12990", "HUF"},
        {"129,99 lei", "", "129.99", "RON"},
        {"129,99 Lei", "", "129.99", "RON"},
        {"129,99 RON", "", "129.99", "RON"},
        {"kr 1 299", "", "1299", "SEK"},
        {"1.299 kr", "", "1299", "SEK"},
        {"1 299 kr", "", "1299", "SEK"},
        {"1 299,00 kr", "", "1299.00", "SEK"},
        {"1.299 kr.", "DKK", "1299", "DKK"},
        {"kr 1 299,-", "NOK", "1299", "NOK"},
        {"1 299 kr", "ISK", "1299", "ISK"},
        {"1 299 kr", "EUR", "1299", "SEK"},
        {"299 SEK", "", "299", "SEK"},
        {"299 DKK", "", "299", "DKK"},
        {"299,- NOK", "", "299", "NOK"},
        {"99:-", "SEK", "99", "SEK"},
        {"1'299.00 CHF", "", "1299.00", "CHF"},
        {"CHF 1'299.00", "", "1299.00", "CHF"},
        {"CHF 1’299.00", "", "1299.00", "CHF"},
        {"Fr. 12.50", "", "12.50", "CHF"},
        {"12.50 Fr.", "", "12.50", "CHF"},
        {"SFr. 49.–", "", "49", "CHF"},
        {"CHF 49.–", "", "49", "CHF"},
        {"от 1 299 руб.", "", "1299", "RUB"},
        {"1 299 ₽", "", "1299", "RUB"},
        {"1 299 р.", "", "1299", "RUB"},
        {"1299 рублей", "", "1299", "RUB"},
        {"1\u00A0299\u00A0руб.", "", "1299", "RUB"},
        {"1 299 RUB", "", "1299", "RUB"},
        {"от 1 299 до 1 599 руб.", "", "1299", "RUB"},
        {"1 299 ₴", "", "1299", "UAH"},
        {"1 299 грн", "", "1299", "UAH"},
        {"1 299 грн.", "", "1299", "UAH"},
        {"₺1.299,90", "", "1299.90", "TRY"},
        {"1.299,90 TL", "", "1299.90", "TRY"},
        {"1.299,90TL", "", "1299.90", "TRY"},
        {"12,50 лв.", "", "12.50", "BGN"},
        {"12,50 лв", "", "12.50", "BGN"},
        {"12,50 BGN", "", "12.50", "BGN"},
        {"₪ 199.90", "", "199.90", "ILS"},
        {"199.90 ₪", "", "199.90", "ILS"},
        {"1.299 ISK", "", "1299", "ISK"},
    });
}

TEST_CASE("price: Americas, Africa and the Middle East", "[price]") {
    check_cases({
        {"R$ 1.299,90", "", "1299.90", "BRL"},
        {"R$1.299,90", "", "1299.90", "BRL"},
        {"a partir de R$ 49,90", "", "49.90", "BRL"},
        {"R$ 49,90 à vista", "", "49.90", "BRL"},
        {"R 1,299", "", "1299", "ZAR"},
        {"R1 299.00", "", "1299.00", "ZAR"},
        {"R 1 299,00", "", "1299.00", "ZAR"},
        {"ZAR 1,299", "", "1299", "ZAR"},
        {"$ 12.990", "CLP", "12990", "CLP"},
        {"$ 1.299.000", "COP", "1299000", "COP"},
        {"S/ 49.90", "", "49.90", "PEN"},
        {"S/. 49.90", "", "49.90", "PEN"},
        {"ARS 12.999", "", "12999", "ARS"},
        {"AED 1,299", "", "1299", "AED"},
        {"1,299 د.إ", "", "1299", "AED"},
        {"SAR 99.00", "", "99.00", "SAR"},
        {"₦12,500", "", "12500", "NGN"},
        {"KES 1,500", "", "1500", "KES"},
        {"EGP 499", "", "499", "EGP"},
        {"£ 499", "EGP", "499", "EGP"},
        {"١٢٫٥٠ د.إ", "", "12.50", "AED"},
        {"15 000 FCFA", "", "15000", "XOF"},
        {"15 000 FCFA", "XAF", "15000", "XAF"},
    });
}

TEST_CASE("price: prefixed dollars, pounds and local abbreviations", "[price]") {
    check_cases({
        // A letter before "£" or "$" names the currency; the bare sign does not win.
        {"E£ 1,299", "", "1299", "EGP"},
        {"E£1,299.50", "", "1299.50", "EGP"},
        {"1,299 E£", "", "1299", "EGP"},
        {"CDN$ 19.99", "", "19.99", "CAD"},
        {"CDN$19.99", "", "19.99", "CAD"},
        {"Can$ 19.99", "", "19.99", "CAD"},
        {"CAN$19.99", "", "19.99", "CAD"},
        {"CA$ 19.99", "", "19.99", "CAD"},
        {"C$19.99", "", "19.99", "CAD"},
        {"C$19.99", "NIO", "19.99", "NIO"},
        {"AU$ 19.99", "", "19.99", "AUD"},
        {"A$19.99", "", "19.99", "AUD"},
        {"NZ$19.99", "", "19.99", "NZD"},
        {"HK$19.99", "", "19.99", "HKD"},
        {"S$19.99", "", "19.99", "SGD"},
        {"US$19.99", "", "19.99", "USD"},
        {"MX$199", "", "199", "MXN"},
        {"Mex$ 199", "", "199", "MXN"},
        {"AR$ 12.999", "", "12999", "ARS"},
        {"COL$ 129.900", "", "129900", "COP"},
        {"CLP$ 12.990", "", "12990", "CLP"},
        {"J$1,500", "", "1500", "JMD"},
        {"TT$ 99.00", "", "99.00", "TTD"},
        {"MOP$ 99", "", "99", "MOP"},
        // Local abbreviations.
        {"KSh 1,500", "", "1500", "KES"},
        {"Ksh 1,500", "", "1500", "KES"},
        {"Tk 1,250", "", "1250", "BDT"},
        {"Tk. 1,250", "", "1250", "BDT"},
        {"100 kn", "", "100", "HRK"},
        {"1.299 din.", "", "1299", "RSD"},
        {"1.299 дин.", "", "1299", "RSD"},
        {"1.299 ден", "", "1299", "MKD"},
        {"499 L.E.", "", "499", "EGP"},
        {"Dhs. 1,299", "", "1299", "AED"},
        {"SR 99.00", "", "99.00", "SAR"},
        {"SR 99.00", "SCR", "99.00", "SCR"},
        {"QR 99", "", "99", "QAR"},
        {"KD 25", "", "25", "KWD"},
        {"BD 9.5", "", "9.5", "BHD"},
        {"B/. 49.99", "", "49.99", "PAB"},
        {"Gs. 150.000", "", "150000", "PYG"},
        {"25 د.ك", "", "25", "KWD"},
        {"99 ر.ق", "", "99", "QAR"},
        {"99 ر.ع", "", "99", "OMR"},
        {"99 د.ب", "", "99", "BHD"},
        {"99 د.م", "", "99", "MAD"},
        {"99 د.أ", "", "99", "JOD"},
        {"99 د.ت", "", "99", "TND"},
        {"៛40,000", "", "40000", "KHR"},
        {"֏ 5,000", "", "5000", "AMD"},
        // Symbols and names that were already known keep their meaning.
        {"19,99 zł", "", "19.99", "PLN"},
        {"199 Kč", "", "199", "CZK"},
        {"199 kr.", "", "199", "SEK"},
        {"199 kr.", "DKK", "199", "DKK"},
        {"kr 199", "NOK", "199", "NOK"},
        {"₹1,299", "", "1299", "INR"},
        {"₺199", "", "199", "TRY"},
        {"₴199", "", "199", "UAH"},
        {"₪199", "", "199", "ILS"},
        {"₩19,900", "", "19900", "KRW"},
        {"199.000₫", "", "199000", "VND"},
        {"CHF 19.90", "", "19.90", "CHF"},
        {"£100", "", "100", "GBP"},
        // Upper-case words that are not currencies here.
        {"DIN 912 M6", "", "912", ""},
        // ISO codes of more currencies.
        {"JMD 1,500", "", "1500", "JMD"},
        {"GTQ 149.00", "", "149.00", "GTQ"},
        {"CRC 12 500", "", "12500", "CRC"},
        {"UZS 150 000", "", "150000", "UZS"},
        {"1,500 NPR", "", "1500", "NPR"},
        {"GHS 250", "", "250", "GHS"},
        {"JOD 12.50", "", "12.50", "JOD"},
    });
}

TEST_CASE("price: French-Canadian dollars after the number", "[price]") {
    check_cases({
        // "$ CA" and "$ US" after the number name their dollar, whatever the hint.
        {"1 234,56 $ CA", "", "1234.56", "CAD"},
        {"1 234,56\u00A0$\u00A0CA", "", "1234.56", "CAD"},
        {"19,99 $CA", "", "19.99", "CAD"},
        {"19,99 $ CA", "USD", "19.99", "CAD"},
        {"19,99 $ US", "CAD", "19.99", "USD"},
        {"19,99 $US", "CAD", "19.99", "USD"},
        // As before: the bare sign, the prefixes and the codes.
        {"19,99 $", "", "19.99", "USD"},
        {"19,99 $", "CAD", "19.99", "CAD"},
        {"CA$ 19.99", "", "19.99", "CAD"},
        {"C$19.99", "", "19.99", "CAD"},
        {"19,99 CAD", "", "19.99", "CAD"},
        {"$19.99 CAD", "", "19.99", "CAD"},
        // Only the letters CA or US, not a word that starts with them.
        {"19,99 $ Canada", "", "19.99", "USD"},
    });
}

TEST_CASE("price: RUR and NIS, in the text or as the page's code, are RUB and ILS", "[price]") {
    check_cases({
        {"1 299 RUR", "", "1299", "RUB"},
        {"1 299", "RUR", "1299", "RUB"},
        {"1 299", "rur", "1299", "RUB"},
        {"NIS 45.90", "", "45.90", "ILS"},
        {"45.90", "NIS", "45.90", "ILS"},
    });
}

TEST_CASE("price: a page's code that is not ISO 4217 is ignored", "[price]") {
    check_cases({
        {"0.0042", "BTC", "0.0042", ""},
        {"19.99", "usd", "19.99", "USD"},
        {"19.99", "US$", "19.99", ""},
        {"19.99", "UDS", "19.99", ""},
        {"$19.99", "BTC", "19.99", "USD"},
        {"$19.99", "CAD", "19.99", "CAD"},
        {"19,99 €", "XYZ", "19.99", "EUR"},
    });
}

TEST_CASE("price: three-decimal currencies named in the text", "[price]") {
    // BHD, JOD, KWD, LYD, OMR and TND have three minor digits: next to one
    // of them, a lone '.' or ',' before three digits is the decimal point.
    check_cases({
        {"KWD 12.500", "", "12.500", "KWD"},
        {"12.500 KWD", "", "12.500", "KWD"},
        {"KD 12.500", "", "12.500", "KWD"},
        {"JD 7.250", "", "7.250", "JOD"},
        {"45.250 LD", "", "45.250", "LYD"},
        {"Prix : 12,500 DT", "", "12.500", "TND"},
        {"1.299,000 DT", "", "1299.000", "TND"},
        {"12.500 د.ك", "", "12.500", "KWD"},
        {"1,250.500 BHD", "", "1250.500", "BHD"},
        {"BHD 1,250.500", "", "1250.500", "BHD"},
        {"OMR 3.750", "", "3.750", "OMR"},
        {"JOD 0.750", "", "0.750", "JOD"},
        {"LYD 45.250", "", "45.250", "LYD"},
        {"12,500 TND", "", "12.500", "TND"},
        {"1 299,000 TND", "", "1299.000", "TND"},
        {"Price (KWD): 12.500", "", "12.500", "KWD"},
        {"10.500 - 12.500 KWD", "", "10.500", "KWD"},
        // Whole amounts, two decimals and repeated separators read as before.
        {"KWD 25", "", "25", "KWD"},
        {"JOD 12.50", "", "12.50", "JOD"},
        {"1.250.500 KWD", "", "1250500", "KWD"},
        {"1,250,500 BHD", "", "1250500", "BHD"},
        // IQD is written without its three decimals; other currencies keep
        // the thousands reading, and so does a currency known only from the hint.
        {"IQD 12.500", "", "12500", "IQD"},
        {"USD 12.500", "", "12500", "USD"},
        {"12.500 €", "", "12500", "EUR"},
        {"12.500", "KWD", "12500", "KWD"},
    });
}

TEST_CASE("price: digits of other scripts", "[price]") {
    check_cases({
        {"₹ १,२९९", "", "1299", "INR"},          // Devanagari
        {"रु १२,५००.५०", "INR", "12500.50", "INR"},
        {"৳ ১,২৫০", "", "1250", "BDT"},          // Bengali
        {"১২৫০ টাকা", "BDT", "1250", "BDT"},
        {"١٢٫٥٠ د.إ", "", "12.50", "AED"},        // Arabic-Indic
        {"۱۲۵۰۰ ریال", "IRR", "12500", "IRR"},    // extended Arabic-Indic
        {"￥１，２８０", "", "1280", "JPY"},       // full-width
        {"１２８０円", "", "1280", "JPY"},
    });
    // raw keeps the digits as written.
    const auto p = shoal::parse_price("₹ १,२९९");
    REQUIRE(p);
    CHECK(p->raw == "₹ १,२९९");
}

TEST_CASE("price: separators and the amount string", "[price]") {
    check_cases({
        {"1,299", "", "1299", ""},
        {"1.299", "", "1299", ""},
        {"1,29", "", "1.29", ""},
        {"1.2", "", "1.2", ""},
        {"1.2999", "", "1.2999", ""},
        {"0.500", "", "0.500", ""},
        {"0,500", "", "0.500", ""},
        {"007", "", "7", ""},
        {"000", "", "0", ""},
        {"00.50", "", "0.50", ""},
        {"0", "", "0", ""},
        {"0.00", "USD", "0.00", "USD"},
        {"1,299,00", "", "1299.00", ""},
        {"1.299.99", "", "1299.99", ""},
        {"1,234,567", "", "1234567", ""},
        {"1.234.567", "", "1234567", ""},
        {"1 234 567,89", "", "1234567.89", ""},
        {"1'234'567.89", "", "1234567.89", ""},
        {"1,299.", "", "1299", ""},
        {"12.", "", "12", ""},
        {"1,299.00", "usd", "1299.00", "USD"},
        {"1,299.00", " usd ", "1299.00", "USD"},
        {"1,299.00", "dollars", "1299.00", ""},
        {"1,299.00", "U$", "1299.00", ""},
        {"12 34", "", "12", ""},
        {"1234 567", "", "1234", ""},
        {"12 345,67 €", "", "12345.67", "EUR"},
        {"1.5k", "", "", ""},
        {"９９.９９", "", "99.99", ""},
    });
}

TEST_CASE("price: entities", "[price]") {
    check_cases({
        {"&yen;59.00", "", "59.00", "JPY"},
        {"&euro;12,50", "", "12.50", "EUR"},
        {"12,50&nbsp;&euro;", "", "12.50", "EUR"},
        {"1&nbsp;299,00&nbsp;z&#322;", "", "1299.00", "PLN"},
        {"&pound;9.99", "", "9.99", "GBP"},
        {"&#36;1,299.00", "", "1299.00", "USD"},
        {"&#x24;1,299.00", "", "1299.00", "USD"},
        {"&#8364; 12", "", "12", "EUR"},
        {"&#x20AC;12", "", "12", "EUR"},
        {"&#128;12", "", "12", "EUR"},
        {"&amp;euro;12", "", "12", "EUR"},
        {"&EURO;12", "", "12", "EUR"},
        {"&nbsp;&nbsp;$5", "", "5", "USD"},
        {"12&nbsp€", "", "12", "EUR"},
        {"1&#8239;299,00 &#8364;", "", "1299.00", "EUR"},
        {"&dollar;5", "", "5", "USD"},
        {"&bogus;5", "", "5", ""},
        {"&#0; $5", "", "5", "USD"},
        {"&#99999999999; $5", "", "5", "USD"},
        {"&#xD800;5", "", "5", ""},
    });
}

TEST_CASE("price: no price", "[price]") {
    check_cases({
        {"", "", "", ""},
        {"   ", "", "", ""},
        {"\u00A0\u202F\t\n", "USD", "", ""},
        {"Call for price", "", "", ""},
        {"Free", "", "", ""},
        {"FREE", "USD", "", ""},
        {"Sold out", "", "", ""},
        {"Price on request", "EUR", "", ""},
        {"$", "", "", ""},
        {"€", "", "", ""},
        {"USD", "", "", ""},
        {"Preis auf Anfrage", "", "", ""},
        {"По запросу", "", "", ""},
        {"価格未定", "", "", ""},
        {"...", "", "", ""},
        {",,,", "", "", ""},
        {"., ' -", "", "", ""},
        {"-", "", "", ""},
        {"20% off", "", "", ""},
        {"Save 20 %", "", "", ""},
        {"128GB", "", "", ""},
        {"SKU123", "", "", ""},
        {"X200", "", "", ""},
        // A minus sign before the amount or its currency: a discount or a credit.
        {"-$5.00", "", "", ""},
        {"$-5.00", "", "", ""},
        {"\u22125,00 \u20ac", "", "", ""},
        {"-5", "", "", ""},
    });
}

TEST_CASE("price: a negative amount is passed over, a range's dash is not a sign", "[price]") {
    check_cases({
        {"Coupon -$5.00, now $45.00", "", "45.00", "USD"},
        {"10-20 \u20ac", "", "10", "EUR"},
        {"$10-$20", "", "10", "USD"},
        {"Price: 1.299,00 \u20ac", "", "1299.00", "EUR"},
    });
}

TEST_CASE("price: machine format reads a lone '.' as the decimal point", "[price]") {
    auto machine = [](std::string_view text, std::string_view hint = {}) {
        auto p = shoal::parse_price(text, hint, shoal::price_format::machine);
        return p ? p->amount : std::string("none");
    };
    // Three decimals: KWD, BHD, OMR and unit prices; a JSON number.
    CHECK(machine("12.500", "KWD") == "12.500");
    CHECK(machine("1.299") == "1.299");
    CHECK(machine("0.125") == "0.125");
    CHECK(machine("1299.00") == "1299.00");
    CHECK(machine("1299") == "1299");
    // Other separators read as text does.
    CHECK(machine("1,299") == "1299");
    CHECK(machine("1,299.00") == "1299.00");
    CHECK(machine("1.299,00") == "1299.00");
    CHECK(machine("1.234.567") == "1234567");
    // The same texts shown to people keep the locale rules.
    CHECK(shoal::parse_price("12.500", "KWD")->amount == "12500");
    CHECK(shoal::parse_price("1.299")->amount == "1299");
    // A known currency without three minor digits, declared or named: the
    // '.' before three digits groups thousands (shops write the shown price there).
    CHECK(machine("12.990", "CLP") == "12990");
    CHECK(machine("1.299.000", "KRW") == "1299000");
    CHECK(machine("JPY 12.980") == "12980");
    CHECK(machine("\u00a512.980") == "12980");
    CHECK(machine("12.5", "JPY") == "12.5");
    CHECK(machine("0.990", "CLP") == "0.990");
    CHECK(machine("1e3", "JPY") == "1000");
    CHECK(machine("1.299", "SEK") == "1299");
    CHECK(machine("12.990", "HUF") == "12990");
    CHECK(machine("12.990") == "12.990");  // no currency known: the decimal point
    CHECK(machine("12.5", "SEK") == "12.5");
    // JSON-LD values hold no such grouping: 1.500 is 1.5 in any currency.
    CHECK(shoal::parse_price("1.500", "JPY", shoal::price_format::json)->amount == "1.500");
    CHECK(shoal::parse_price("1.250", "EUR", shoal::price_format::json)->amount == "1.250");
    // Four digits before the '.': no thousands group (a unit price).
    CHECK(machine("1234.567", "EUR") == "1234.567");
    // A declared currency with three minor digits changes no reading (as in text).
    CHECK(machine("1,250", "KWD") == "1250");
    CHECK(machine("KWD 1,250") == "1.250");
}

TEST_CASE("price: machine format reads an exponent exactly", "[price]") {
    auto machine = [](std::string_view text, std::string_view hint = {}) {
        auto p = shoal::parse_price(text, hint, shoal::price_format::machine);
        return p ? p->amount : std::string("none");
    };
    // JSON numbers, or their text in a JSON string or a content attribute.
    CHECK(machine("1e3") == "1000");
    CHECK(machine("1.5E+3") == "1500");
    CHECK(machine("1E-1") == "0.1");
    CHECK(machine("1.5E7") == "15000000");
    CHECK(machine("1.50e1") == "15.0");
    CHECK(machine("125e-2") == "1.25");
    CHECK(machine("0.5e-2") == "0.005");
    CHECK(machine("1e03") == "1000");
    CHECK(machine("0e5") == "0");
    CHECK(machine("12.500e0", "KWD") == "12.500");
    CHECK(machine("1e30") == "1" + std::string(30, '0'));
    CHECK(machine("1e-30") == "0." + std::string(29, '0') + "1");
    // Beyond 30 either way, no amount.
    CHECK(machine("1e31") == "none");
    CHECK(machine("1E-31") == "none");
    CHECK(machine("1e999999999999999999999") == "none");
    // A currency after it is still read; letters glued to it are not a price.
    const auto eur = shoal::parse_price("2E5 EUR", "", shoal::price_format::machine);
    REQUIRE(eur);
    CHECK(eur->amount == "200000");
    CHECK(eur->currency == "EUR");
    CHECK(machine("12.50EUR") == "12.50");
    CHECK(machine("1e3GB") == "none");
    CHECK(machine("1e") == "none");
    CHECK(machine("1,5e3") == "none");
    // Text shown to people has no exponents: as before.
    CHECK_FALSE(shoal::parse_price("1e3"));
    CHECK_FALSE(shoal::parse_price("1E-1"));
    CHECK_FALSE(shoal::parse_price("1.5E7"));
    CHECK(shoal::parse_price("1.5E+3")->amount == "3");
}

TEST_CASE("price: a currency glued to the number wins over one a blank apart before it", "[price]") {
    const auto p = shoal::parse_price("18\u30dd\u30a4\u30f3\u30c8\u9084\u5143 1,980\u5186");  // 18ポイント還元 1,980円
    REQUIRE(p);
    CHECK(p->amount == "1980");
    CHECK(p->currency == "JPY");
    // A marker that names one currency still wins over a shared one.
    CHECK(shoal::parse_price("$12 CAD")->currency == "CAD");
    CHECK(shoal::parse_price("EUR 12,00")->currency == "EUR");
}

TEST_CASE("price: French cents after the currency", "[price]") {
    auto read = [](std::string_view text) {
        auto p = shoal::parse_price(text);
        return p ? p->amount + " " + p->currency : std::string("none");
    };
    CHECK(read("19\u20ac99") == "19.99 EUR");
    CHECK(read("19\u20ac99 TTC") == "19.99 EUR");
    CHECK(read("1 299\u20ac99") == "1299.99 EUR");
    CHECK(read("Prix : 4\u20ac50") == "4.50 EUR");
    // Not cents: three digits, a decimal part, or a symbol with a blank before.
    CHECK(read("Model 2024\u00a31,299.00") == "1299.00 GBP");
    CHECK(read("Size 10$49.99") == "49.99 USD");
    CHECK(read("19 \u20ac 99") == "19 EUR");
    CHECK(read("5\u20ac100") == "100 EUR");
}

TEST_CASE("price: machine format drops a binary float's noise", "[price]") {
    auto json = [](std::string_view text, std::string_view hint = {}) {
        auto p = shoal::parse_price(text, hint, shoal::price_format::json);
        return p ? p->amount : std::string("none");
    };
    CHECK(json("19.990000000000002") == "19.99");
    CHECK(json("19.989999999999998") == "19.99");
    CHECK(json("0.30000000000000004") == "0.3");
    CHECK(json("20.000000000000004") == "20");
    CHECK(json("99.99999999999999") == "100");
    CHECK(json("0.9999999999999999") == "1");
    CHECK(json("1299.9899999999998", "USD") == "1299.99");
    CHECK(shoal::parse_price("19.990000000000002", "", shoal::price_format::machine)->amount == "19.99");
    // Not a float's noise: fewer or more significant digits, or a tail too long.
    CHECK(json("1e-30") == "0." + std::string(29, '0') + "1");
    CHECK(json("12.500000000000") == "12.500000000000");
    CHECK(json("19.98999999999999843103") == "19.98999999999999843103");
    CHECK(json("0.123456789012") == "0.123456789012");
    CHECK(json("19.99") == "19.99");
    // Text shown to people is read as written.
    CHECK(shoal::parse_price("$19.990000000000002")->amount == "19.990000000000002");
}

TEST_CASE("price: raw text", "[price]") {
    const auto p = shoal::parse_price("  \t$1,299.00\n ");
    REQUIRE(p);
    CHECK(p->raw == "$1,299.00");
    const auto q = shoal::parse_price("1\u00A0299,00\u202F  zł");
    REQUIRE(q);
    CHECK(q->raw == "1 299,00 zł");
    const auto r = shoal::parse_price("&yen;59.00");
    REQUIRE(r);
    CHECK(r->raw == "¥59.00");
    const auto s = shoal::parse_price(
        "\xFF"
        "12 \xC3 EUR");
    REQUIRE(s);
    CHECK(s->raw == "\uFFFD12 \uFFFD EUR");
    CHECK(s->amount == "12");
    CHECK(s->currency == "EUR");
}

TEST_CASE("price: currency named away from the number", "[price]") {
    check_cases({
        {"Price (EUR): 12,50", "", "12.50", "EUR"},
        {"Price in USD: 99", "GBP", "99", "USD"},
        {"99 (prices in €)", "", "99", "EUR"},
        {"usd price 99", "", "99", ""},  // lower-case codes only count next to a number
        {"Top 10", "", "10", ""},
        {"Try 30 days", "", "30", ""},
    });
}

TEST_CASE("price: a symbol glued to the digits after it is theirs, not the number's before", "[price]") {
    check_cases({
        {"Model 2024 \u00a31,299.00", "", "1299.00", "GBP"},
        {"Size 10 $49.99", "", "49.99", "USD"},
        {"Size 10 \u20ac49,99", "", "49.99", "EUR"},
        {"Pack of 3 $24.99", "", "24.99", "USD"},
        {"Qty 1 $24.99", "", "24.99", "USD"},
        {"12 \u20ac", "", "12", "EUR"},              // a suffix still
        {"12 \u20ac 2 pcs", "", "12", "EUR"},        // a space before the next digits: the first number's
        {"EU 42 49,99 \u20ac", "", "49.99", "EUR"},
    });
}

TEST_CASE("price: hostile input", "[price]") {
    SECTION("invalid UTF-8 and truncated sequences") {
        const std::vector<std::string> inputs = {
            "\xFF\xFE\xFD",
            "\xC3",
            "\xE2\x82",
            "\xE2\x82"
            "12",
            "12\xE2\x82",
            "\xF0\x9F\x92",
            "\xED\xA0\x80 12",
            "\xC0\xAF 12",
            "\xF4\x90\x80\x80",
            std::string("12\0 €", 6),
            "\x80\x80\x80\x80 5",
            "&#",
            "&#x",
            "&#;",
            "&",
            "&&&&;;;",
            "&amp",
            "&#x110000;",
        };
        for (const auto& in : inputs) {
            INFO(in);
            const auto p = shoal::parse_price(in, "\xFF\xFF\xFF");
            if (p) CHECK_FALSE(p->amount.empty());
        }
    }
    SECTION("only separators") {
        for (std::string in : {",", ".", "'", ",.,.,.,", "'''", "- - -", ".,", "\u00A0,\u00A0"}) {
            INFO(in);
            CHECK_FALSE(shoal::parse_price(in));
        }
    }
    SECTION("huge inputs are cut to the window") {
        const std::string digits(1 << 20, '9');
        const auto p = shoal::parse_price(digits);
        REQUIRE(p);
        CHECK(p->amount.size() == shoal::max_price_input);
        CHECK(p->raw.size() == shoal::max_price_input);

        std::string spaced = std::string(1 << 20, ' ') + "$5 " + std::string(1 << 20, 'x');
        const auto q = shoal::parse_price(spaced);
        REQUIRE(q);
        CHECK(q->amount == "5");
        CHECK(q->currency == "USD");
        CHECK(q->raw.size() <= shoal::max_price_input);

        std::string text = std::string(1 << 20, 'a') + " $5";
        CHECK_FALSE(shoal::parse_price(text));

        std::string euros;
        for (int i = 0; i < 100000; ++i) euros += "€";
        const auto r = shoal::parse_price(euros + "12");
        CHECK_FALSE(r);
    }
    SECTION("separator soup") {
        CHECK(shoal::parse_price("1,2.3,4.5")->amount == "1234.5");
        CHECK(shoal::parse_price("1.2,3.4,5")->amount == "1234.5");
        CHECK(shoal::parse_price("1 2 3")->amount == "1");
        CHECK(shoal::parse_price("1'2'3")->amount == "1");
    }
    SECTION("every byte value") {
        for (int b = 0; b < 256; ++b) {
            std::string in = "1" + std::string(1, static_cast<char>(b)) + "5";
            (void)shoal::parse_price(in);
            (void)shoal::parse_price(std::string(1, static_cast<char>(b)));
        }
    }
}

TEST_CASE("price: an instalment or a monthly amount gives way to the price beside it", "[price]") {
    check_cases({
        {"10x de R$ 29,90 sem juros ou R$ 299,00 \u00e0 vista", "", "299.00", "BRL"},
        {"R$ 299,00 \u00e0 vista ou 10x de R$ 29,90", "", "299.00", "BRL"},
        {"em at\u00e9 12x R$ 24,92 sem juros R$ 299,00", "", "299.00", "BRL"},
        {"12 x $ 1.999 o $ 23.990", "", "23990", "USD"},
        {"3 cuotas sin inter\u00e9s de $ 8.000 Total: $ 24.000", "", "24000", "USD"},
        {"or 4 interest-free payments of $12.50 $50.00", "", "50.00", "USD"},
        {"$19.99/mo or $239.88", "", "239.88", "USD"},
        {"49,90 \u20ac par mois ou 599,00 \u20ac", "", "599.00", "EUR"},
        {"6 Raten \u00e0 50,00 \u20ac, 300,00 \u20ac", "", "300.00", "EUR"},
        {"2 \u00d7 $4.00 $7.50", "", "7.50", "USD"},
        // Only an instalment shown: it is what there is.
        {"10x de R$ 29,90", "", "29.90", "BRL"},
        // An instalment starts no range: the dash leads to the price.
        {"10x R$ 29,90 - R$ 299,00", "", "299.00", "BRL"},
        {"$19.99/month", "", "19.99", "USD"},
        // Not instalments: an x inside a word, a size, a month in a name.
        {"Box de $5,00 \u2014 $9,00", "", "5.00", "USD"},
        {"$25.00 Monthly Planner", "", "25.00", "USD"},
        {"$12.00 a monogram", "", "12.00", "USD"},
    });
}
