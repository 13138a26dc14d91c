// Fuzzes charset detection and conversion. The first byte picks a charset
// label (or lets detect_charset decide), the next line (up to the first
// '\n', when the input starts with "CT:") is used as the Content-Type header;
// the rest is the body. Whatever the bytes, to_utf8 and make_valid_utf8 must
// return valid UTF-8, and both must leave valid UTF-8 unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "shoal/charset.hpp"

namespace {

constexpr std::string_view labels[] = {
    "UTF-8", "UTF-16LE", "UTF-16BE", "GB18030", "BIG5", "SHIFT_JIS", "EUC-JP",
    "ISO-2022-JP", "EUC-KR", "KOI8-R", "KOI8-U", "IBM866", "MACINTOSH", "MAC-CYRILLIC",
    "ISO-8859-2", "ISO-8859-5", "ISO-8859-8", "ISO-8859-16", "WINDOWS-874",
    "WINDOWS-1250", "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1258", "gbk", "gb2312",
    "latin1", "us-ascii", "ks_c_5601-1987", "x-sjis", "utf8", "csISO2022JP", "bogus",
    "", "UTF-32", "UTF-7", "utf-16", "x-user-defined"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::uint8_t pick = data[0];

    std::string_view content_type;
    if (in.substr(0, 3) == "CT:") {
        auto nl = in.find('\n');
        content_type = in.substr(3, nl == std::string_view::npos ? in.npos : nl - 3);
        in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    }

    std::string cs = shoal::detect_charset(in, content_type);
    if (cs.empty()) std::abort();
    std::string detected = shoal::to_utf8(in, cs);
    if (!shoal::is_valid_utf8(detected)) std::abort();
    if (shoal::decode_to_utf8(in, content_type) != detected) std::abort();

    std::string_view label = pick < std::size(labels) ? labels[pick] : std::string_view(cs);
    std::string out = shoal::to_utf8(in, label);
    if (!shoal::is_valid_utf8(out)) std::abort();

    std::string repaired = shoal::make_valid_utf8(in);
    if (!shoal::is_valid_utf8(repaired)) std::abort();
    if (shoal::is_valid_utf8(in)) {
        if (repaired != in) std::abort();
    } else if (repaired == in) {
        std::abort();
    }
    if (shoal::make_valid_utf8(repaired) != repaired) std::abort();
    // Repairing is what the UTF-8 decoder does (a leading BOM aside).
    std::string_view body = in;
    if (body.substr(0, 3) != "\xEF\xBB\xBF" && shoal::to_utf8(body, "UTF-8") != repaired)
        std::abort();
    return 0;
}
