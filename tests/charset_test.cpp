// Tests for charset: detection from BOM, header and meta; decoding of the
// common legacy encodings to UTF-8; UTF-8 validation and repair.
#include "shoal/charset.hpp"

#include <iconv.h>

#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::string_literals;

namespace {

const std::string fffd = "\xEF\xBF\xBD";

// Encodes UTF-8 text into charset with iconv (the test's own converter).
std::string encode(std::string_view utf8, const char* charset) {
    iconv_t cd = iconv_open(charset, "UTF-8");
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(utf8.size() * 4 + 16, '\0');
    char* src = const_cast<char*>(utf8.data());
    std::size_t left = utf8.size(), room = out.size();
    char* dst = out.data();
    const std::size_t rc = iconv(cd, &src, &left, &dst, &room);
    iconv_close(cd);
    REQUIRE(rc != static_cast<std::size_t>(-1));
    out.resize(out.size() - room);
    return out;
}

// A small page whose <title> holds title (already encoded), with head_extra
// (ASCII markup such as a meta tag) before it.
std::string page(std::string_view head_extra, std::string_view title) {
    std::string p = "<!DOCTYPE html>\n<html><head>";
    p += head_extra;
    p += "<title>";
    p += title;
    p += "</title></head><body><p>hello</p></body></html>\n";
    return p;
}

std::string title_of(std::string_view utf8) {
    return "<title>" + std::string(utf8) + "</title>";
}

struct sample {
    const char* iconv_name;  // to encode the test page
    const char* label;       // what the page declares
    const char* detected;    // what detect_charset must return
    const char* title;       // UTF-8
};

const sample samples[] = {
    {"GBK", "gbk", "GB18030", "中文标题：朱镕基与旻"},
    {"GB18030", "gb18030", "GB18030", "价格 €99 𠮷"},
    {"BIG5", "big5", "BIG5", "繁體中文標題"},
    {"SHIFT_JIS", "shift_jis", "SHIFT_JIS", "日本語のタイトル"},
    {"EUC-JP", "euc-jp", "EUC-JP", "日本語のタイトル"},
    {"EUC-KR", "euc-kr", "EUC-KR", "한국어 제목"},
    {"WINDOWS-1250", "windows-1250", "WINDOWS-1250", "Zażółć gęślą jaźń"},
    {"WINDOWS-1251", "windows-1251", "WINDOWS-1251", "Привет, мир"},
    {"WINDOWS-1252", "windows-1252", "WINDOWS-1252", "Café – “quoted” €5"},
    {"KOI8-R", "koi8-r", "KOI8-R", "Привет, мир"},
    {"ISO-8859-2", "iso-8859-2", "ISO-8859-2", "Příliš žluťoučký kůň"},
    {"ISO-8859-5", "iso-8859-5", "ISO-8859-5", "Привет, мир"},
    {"ISO-8859-7", "iso-8859-7", "ISO-8859-7", "Καλημέρα κόσμε"},
    {"ISO-8859-15", "iso-8859-15", "ISO-8859-15", "Œuvre à 5 €"},
};

void check_decodes(const std::string& body, std::string_view content_type, const sample& s) {
    INFO("encoding " << s.iconv_name << ", content type '" << content_type << "'");
    CHECK(shoal::detect_charset(body, content_type) == s.detected);
    const std::string text = shoal::decode_to_utf8(body, content_type);
    CHECK(text.find(title_of(s.title)) != std::string::npos);
    CHECK(shoal::is_valid_utf8(text));
}

}  // namespace

TEST_CASE("charset: declared in the Content-Type header only") {
    for (const sample& s : samples) {
        const std::string body = page("", encode(s.title, s.iconv_name));
        check_decodes(body, std::string("text/html; charset=") + s.label, s);
    }
}

TEST_CASE("charset: declared by meta charset only") {
    for (const sample& s : samples) {
        const std::string meta = std::string("<meta charset=\"") + s.label + "\">";
        check_decodes(page(meta, encode(s.title, s.iconv_name)), "text/html", s);
    }
}

TEST_CASE("charset: declared by meta http-equiv only") {
    for (const sample& s : samples) {
        const std::string meta =
            std::string("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=") +
            s.label + "\">";
        check_decodes(page(meta, encode(s.title, s.iconv_name)), "", s);
    }
}

TEST_CASE("charset: UTF-16 with a byte order mark only") {
    const std::string title = "中文 Привет 𠮷";
    const std::string le = "\xFF\xFE" + encode(page("", title), "UTF-16LE");
    const std::string be = "\xFE\xFF" + encode(page("", title), "UTF-16BE");
    CHECK(shoal::detect_charset(le, "") == "UTF-16LE");
    CHECK(shoal::detect_charset(be, "text/html; charset=iso-8859-1") == "UTF-16BE");  // BOM wins
    CHECK(shoal::decode_to_utf8(le, "") == page("", title));                          // BOM dropped
    CHECK(shoal::decode_to_utf8(be, "") == page("", title));
}

TEST_CASE("charset: an undeclared legacy page is told by its text") {
    struct legacy {
        const char* iconv_name;
        const char* detected;
        const char* text;  // UTF-8
    };
    const legacy pages[] = {
        {"SHIFT_JIS", "SHIFT_JIS", "日本語のページです。これはテストのための文章で、文字コードの宣言がありません。"},
        {"EUC-JP", "EUC-JP", "日本語のページです。これはテストのための文章で、文字コードの宣言がありません。"},
        {"GBK", "GB18030", "这是一个没有声明字符集的中文网页。我们的产品价格很便宜，欢迎大家来购买。"},
        {"BIG5", "BIG5", "這是一個沒有聲明字元集的中文網頁。我們的產品價格很便宜，歡迎大家來購買。"},
        {"EUC-KR", "EUC-KR", "이 페이지는 문자 인코딩 선언이 없는 한국어 페이지입니다. 우리 제품의 가격은 저렴합니다."},
        {"WINDOWS-1251", "WINDOWS-1251", "Это страница на русском языке без объявления кодировки. Цены очень низкие."},
        {"KOI8-R", "KOI8-R", "Это страница на русском языке без объявления кодировки. Цены очень низкие."},
        {"WINDOWS-1252", "WINDOWS-1252", "Größe: Übergröße für Männer. Schöne Grüße aus Köln, die Bücher sind günstig."},
        {"WINDOWS-1252", "WINDOWS-1252", "Promoção de calçados: preço baixo, atenção às ofertas, não perca."},
        // Quotes and dashes read as Shift_JIS or GBK would make a kanji each, alone between ASCII words.
        {"WINDOWS-1252", "WINDOWS-1252",
         "“Hello,” she said — it’s a “great” deal… only €5 – “Buy” now • © 2024 “Shop”."},
        // Short ones: a price line, a title.
        {"WINDOWS-1251", "WINDOWS-1251", "Цена: 1990 руб. Купить сейчас"},
        {"SHIFT_JIS", "SHIFT_JIS", "価格：１９８０円（税込）"},
        // Shop pages: a menu and a product, none of the language's most frequent words.
        {"GBK", "GB18030", "首页 | 手机 | 电脑 | 家电 | 服装 | 华为 Mate 60 手机 颜色: 黑色 ￥2999.00"},
        {"GBK", "GB18030", "苹果手机 价格 优惠"},
        {"GBK", "GB18030", "女装 男装 鞋靴 箱包 运动 户外 珠宝 饰品"},
        {"BIG5", "BIG5", "首頁 | 手機 | 電腦 | 購物車 | 會員登入 | 價格 NT$ 2,990"},
        {"EUC-KR", "EUC-KR", "홈 | 휴대폰 | 장바구니 | 로그인 | 가격 29,900원 무료배송"},
        {"EUC-JP", "EUC-JP", "トップ | カート | ログイン | 価格 1,980円 送料無料"},
        {"SHIFT_JIS", "SHIFT_JIS", "トップ | カート | ログイン | 価格 1,980円 送料無料"},
        {"WINDOWS-1251", "WINDOWS-1251", "Главная | Корзина | Войти | Смартфон ЧЕРНЫЙ 29 990 руб."},
        {"KOI8-R", "KOI8-R", "Главная | Корзина | Войти | Смартфон ЧЕРНЫЙ 29 990 руб."},
    };
    for (const legacy& l : pages) {
        INFO(l.iconv_name << ": " << l.text);
        const std::string body = page("", encode(l.text, l.iconv_name));
        CHECK(shoal::detect_charset(body, "") == l.detected);
        CHECK(shoal::decode_to_utf8(body, "").find(title_of(l.text)) != std::string::npos);
        // What the page declares still wins.
        CHECK(shoal::detect_charset(body, "text/html; charset=iso-8859-5") == "ISO-8859-5");
    }
    // Text that runs past the 16 KiB sample without an ASCII byte is still read whole.
    std::string run_on;
    while (run_on.size() < 40000) run_on += "这是一个没有声明字符集的中文网页我们的产品价格很便宜欢迎大家来购买";
    const std::string long_page = "<html><head><title>" + encode("商品", "GBK") + "</title></head><body><p>" +
                                  encode(run_on, "GBK") + "</p></body></html>";
    CHECK(shoal::detect_charset(long_page, "") == "GB18030");
    // Too little non-ASCII text to tell: windows-1252, as without a guess.
    CHECK(shoal::detect_charset(page("", encode("日本", "SHIFT_JIS")), "") == "WINDOWS-1252");
    CHECK(shoal::detect_charset(page("", "Caf\xE9 \xA9 2024"), "") == "WINDOWS-1252");
}

TEST_CASE("charset: undeclared pages are sniffed as UTF-8 or windows-1252") {
    const std::string utf8 = page("", "Привет €");
    CHECK(shoal::detect_charset(utf8, "text/html") == "UTF-8");
    CHECK(shoal::decode_to_utf8(utf8, "text/html") == utf8);
    CHECK(shoal::decode_to_utf8("\xEF\xBB\xBF" + utf8, "") == utf8);  // UTF-8 BOM dropped

    const std::string latin = page("", encode("Café – “quoted” €5", "WINDOWS-1252"));
    CHECK(shoal::detect_charset(latin, "") == "WINDOWS-1252");
    CHECK(shoal::decode_to_utf8(latin, "").find(title_of("Café – “quoted” €5")) !=
          std::string::npos);

    // A UTF-8 page with a stray byte far from its start is still UTF-8 (a
    // U+FFFD for the byte); a windows-1252 page with one pair that happens
    // to be valid UTF-8 is still windows-1252.
    const std::string stray = page("", "日本語のタイトル") + std::string(18000, ' ') + "<p>caf\xE9</p>";
    CHECK(shoal::detect_charset(stray, "") == "UTF-8");
    const std::string stray_text = shoal::decode_to_utf8(stray, "");
    CHECK(stray_text.find(title_of("日本語のタイトル")) != std::string::npos);
    CHECK(stray_text.find("caf" + fffd + "</p>") != std::string::npos);
    const std::string mixed = page("", encode("Café – “quoted”", "WINDOWS-1252")) + "\xC3\xA9";
    CHECK(shoal::detect_charset(mixed, "") == "WINDOWS-1252");

    // A body cut off inside a multibyte character is still UTF-8.
    const std::string cut = page("", "Привет") + "\xD0";
    CHECK(shoal::detect_charset(cut, "") == "UTF-8");
    CHECK(shoal::decode_to_utf8(cut, "") == page("", "Привет") + fffd);
}

TEST_CASE("charset: the header wins over meta, BOM wins over both") {
    const std::string gbk = page("<meta charset=gbk>", encode("中文", "GBK"));
    CHECK(shoal::detect_charset(gbk, "text/html; charset=utf-8") == "UTF-8");
    CHECK(shoal::decode_to_utf8(gbk, "text/html; charset=utf-8").find(fffd) != std::string::npos);
    CHECK(shoal::detect_charset(gbk, "text/html") == "GB18030");
    CHECK(shoal::detect_charset("\xEF\xBB\xBF" + gbk, "text/html; charset=gbk") == "UTF-8");
}

TEST_CASE("charset: gb2312 label decodes GBK-only characters via GB18030") {
    const std::string body = page("<meta charset=\"gb2312\">", encode("朱镕基 旻", "GBK"));
    CHECK(shoal::detect_charset(body, "") == "GB18030");
    CHECK(shoal::decode_to_utf8(body, "").find(title_of("朱镕基 旻")) != std::string::npos);
    CHECK(shoal::to_utf8("\x80", "GB18030") == "€");  // WHATWG single-byte euro
}

TEST_CASE("charset: header charset parameter syntax") {
    const std::string body = encode("日本語", "SHIFT_JIS");
    CHECK(shoal::detect_charset(body, "text/html;charset=\"Shift_JIS\"") == "SHIFT_JIS");
    CHECK(shoal::detect_charset(body, "text/html; CHARSET = 'sjis'") == "SHIFT_JIS");
    CHECK(shoal::detect_charset(body, "text/html; charset=windows-31j; foo=bar") == "SHIFT_JIS");
    CHECK(shoal::detect_charset(body, "TEXT/HTML; Charset=  X-SJIS  ") == "SHIFT_JIS");
    CHECK(shoal::detect_charset("abc", "text/html; charset=") == "UTF-8");
    CHECK(shoal::detect_charset("abc", "text/html; charset=\"utf-8") == "UTF-8");
}

TEST_CASE("charset: meta prescan variants") {
    auto detect = [](std::string_view head) { return shoal::detect_charset(page(head, "x"), ""); };
    CHECK(detect("<META CHARSET=KOI8-R>") == "KOI8-R");
    CHECK(detect("<meta charset='windows-1251'/>") == "WINDOWS-1251");
    CHECK(detect("<meta\ncharset = \" euc-kr \" >") == "EUC-KR");
    CHECK(detect("<meta name=x charset=latin1>") == "WINDOWS-1252");
    CHECK(detect("<meta http-equiv=content-type content='text/html;charset=ks_c_5601-1987'>") ==
          "EUC-KR");
    CHECK(detect("<meta content=\"text/html; charset=big5\" http-equiv=\"Content-Type\">") ==
          "BIG5");
    CHECK(detect("<meta content=\"text/html; charset=big5\">") == "UTF-8");  // no pragma
    CHECK(detect("<!-- <meta charset=gbk> --><meta charset=iso-8859-7>") == "ISO-8859-7");
    CHECK(detect("<meta charset=utf-16>") == "UTF-8");                       // as browsers do
    CHECK(detect("<meta charset=bogus><meta charset=koi8-u>") == "KOI8-U");  // next meta is read
    CHECK(detect("<meta charset=bogus>") == "UTF-8");
    CHECK(detect("<metacharset=gbk>") == "UTF-8");
    CHECK(detect("<div title='<meta charset=gbk>'></div>") == "UTF-8");
    CHECK(detect("<script>var s='<meta charset=gbk>';</script>") ==
          "GB18030");  // prescan sees it too
    CHECK(shoal::detect_charset(page("<meta charset=gbk>", "x"), "text/html; charset=unknown") ==
          "GB18030");

}

TEST_CASE("charset: a meta after the first 4096 bytes counts within 64 KiB, not in a script or style") {
    // A long inline style before the meta, as browsers' parsers read it.
    std::string style = "<html><head><style>";
    while (style.size() < 6000) style += ".a{color:red}";
    style += "</style>";
    CHECK(shoal::detect_charset(style + "<meta charset=gbk><title>x</title>", "") == "GB18030");
    CHECK(shoal::detect_charset(std::string(5000, ' ') + "<meta charset=gbk>", "") == "GB18030");
    // One that starts within the 4096 bytes and ends after them.
    CHECK(shoal::detect_charset(std::string(4080, ' ') + "<meta charset=\"shift_jis\">", "") == "SHIFT_JIS");
    // A meta in a script's or a style's text past the 4096 bytes is not the page's.
    CHECK(shoal::detect_charset(std::string(5000, ' ') + "<script>document.write('<meta charset=gbk>')</script>", "") ==
          "UTF-8");
    CHECK(shoal::detect_charset(style + "<style>/* <meta charset=gbk> */</style>", "") == "UTF-8");
    CHECK(shoal::detect_charset(std::string(5000, ' ') + "<script>var a;", "") == "UTF-8");  // unclosed
    // Nor one past 64 KiB, nor one after the first meta that declares.
    CHECK(shoal::detect_charset(std::string(70000, ' ') + "<meta charset=gbk>", "") == "UTF-8");
    CHECK(shoal::detect_charset(std::string(5000, ' ') + "<meta charset=koi8-r><meta charset=gbk>", "") == "KOI8-R");
    // The page decodes by it.
    const std::string body = std::string(5000, ' ') + "<meta charset=windows-1251><title>\xCF\xF0\xE8\xE2\xE5\xF2</title>";
    CHECK(shoal::decode_to_utf8(body, "text/html").find("Привет") != std::string::npos);
}

TEST_CASE("charset: an XML declaration declares when no meta does") {
    const std::string latin = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                              "<html><head><title>Caf\xE9</title></head></html>";
    CHECK(shoal::detect_charset(latin, "application/xhtml+xml") == "WINDOWS-1252");
    CHECK(shoal::decode_to_utf8(latin, "text/xml").find("Caf\xC3\xA9") != std::string::npos);
    auto detect = [](std::string_view s) { return shoal::detect_charset(s, ""); };
    CHECK(detect("<?xml version='1.0' encoding = 'koi8-r' ?><a/>") == "KOI8-R");
    CHECK(detect("<?xml version=\"1.0\" ENCODING=\"Shift_JIS\"?><a/>") == "SHIFT_JIS");
    CHECK(detect("<?xml version=\"1.0\" encoding=\"utf-16\"?><a/>") == "UTF-8");
    // The header, then a meta, come first; the declaration must open the body.
    CHECK(shoal::detect_charset(latin, "text/xml; charset=koi8-u") == "KOI8-U");
    CHECK(detect("<?xml version=\"1.0\" encoding=\"koi8-r\"?><meta charset=gbk>") == "GB18030");
    CHECK(detect(" <?xml version=\"1.0\" encoding=\"koi8-r\"?><a/>") == "UTF-8");
    CHECK(detect("<!-- x --><?xml version=\"1.0\" encoding=\"koi8-r\"?><a/>") == "UTF-8");
    // Malformed declarations declare nothing.
    CHECK(detect("<?xml version=\"1.0\" encoding=\"koi8-r\"") == "UTF-8");       // no '>'
    CHECK(detect("<?xml version=\"1.0\"?><a encoding=\"koi8-r\"/>") == "UTF-8");  // after '>'
    CHECK(detect("<?xml version=\"1.0\" encoding=koi8-r?><a/>") == "UTF-8");      // unquoted
    CHECK(detect("<?xml version=\"1.0\" encoding=\"koi8 -r\"?><a/>") == "UTF-8");  // a space
    CHECK(detect("<?xml version=\"1.0\" encoding=\"bogus\"?><a/>") == "UTF-8");
    // UTF-16 without a byte order mark, told by "<?x".
    const std::string le("<\0?\0x\0m\0l\0 \0?\0>\0", 16);
    CHECK(detect(le) == "UTF-16LE");
    CHECK(shoal::decode_to_utf8(le, "") == "<?xml ?>");
    CHECK(detect(std::string("\0<\0?\0x\0m\0l", 10)) == "UTF-16BE");
}

TEST_CASE("charset: every canonical name is its own label and opens in iconv") {
    const char* names[] = {"UTF-8",        "UTF-16LE",     "UTF-16BE",     "GB18030",
                           "BIG5",         "SHIFT_JIS",    "EUC-JP",       "ISO-2022-JP",
                           "EUC-KR",       "KOI8-R",       "KOI8-U",       "IBM866",
                           "MACINTOSH",    "MAC-CYRILLIC", "ISO-8859-2",   "ISO-8859-3",
                           "ISO-8859-4",   "ISO-8859-5",   "ISO-8859-6",   "ISO-8859-7",
                           "ISO-8859-8",   "ISO-8859-10",  "ISO-8859-13",  "ISO-8859-14",
                           "ISO-8859-15",  "ISO-8859-16",  "WINDOWS-874",  "WINDOWS-1250",
                           "WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253", "WINDOWS-1254",
                           "WINDOWS-1255", "WINDOWS-1256", "WINDOWS-1257", "WINDOWS-1258"};
    for (const char* name : names) {
        INFO(name);
        CHECK(shoal::detect_charset("abc", std::string("text/html; charset=") + name) == name);
        if (std::string_view(name).substr(0, 6) != "UTF-16")
            CHECK(shoal::to_utf8("abc", name) == "abc");
        iconv_t cd = iconv_open("UTF-8", name);
        CHECK(cd != reinterpret_cast<iconv_t>(-1));
        if (cd != reinterpret_cast<iconv_t>(-1)) iconv_close(cd);
    }
}

TEST_CASE("charset: single-byte charsets read each byte as one character, none held back") {
    using shoal::to_utf8;
    // windows-1258: e-circumflex, then a combining dot below (0xF2), as
    // WHATWG's index has them; the letter after the mark stays.
    CHECK(to_utf8("<title>Vi\xEA\xF2t Nam</title>", "windows-1258") == "<title>Vi\u00EA\u0323t Nam</title>");
    CHECK(to_utf8("Ti\xEA\xECng abcdefgh", "windows-1258") == "Ti\u00EA\u0301ng abcdefgh");
    CHECK(to_utf8("a\xEC" "bcd", "windows-1258") == "a\u0301" "bcd");
    // windows-1255: shin and its dot stay two characters; the last letter
    // of a word before markup is kept.
    CHECK(to_utf8("\xF9\xD1", "windows-1255") == "\u05E9\u05C1");
    CHECK(to_utf8("\xF9\xEC\xE5\xED</title>", "windows-1255") == "\u05E9\u05DC\u05D5\u05DD</title>");
    // Bytes a charset has no character for are U+FFFD.
    CHECK(to_utf8("a\xA1" "b", "ISO-8859-8") == "a\uFFFD" "b");
    CHECK(to_utf8("\xC0\xDF\xE0", "KOI8-R") == "\u044E\u044A\u042E");
}

TEST_CASE("charset: long ASCII runs between encoded text") {
    // Markup copied as is must not split a character or swallow a trail byte.
    const std::string markup(40, 'm');
    const std::string text = "中" + markup + "文\\~ " + markup + "€𠮷" + markup;
    for (const char* cs : {"GB18030", "SHIFT_JIS", "BIG5", "EUC-KR", "EUC-JP"}) {
        const std::string utf8 =
            std::string(cs) == "GB18030" ? text : "中" + markup + "文 " + markup;
        INFO(cs);
        CHECK(shoal::to_utf8(encode(utf8, cs == std::string("SHIFT_JIS") ? "CP932" : cs), cs) ==
              utf8);
    }
    // A GB18030 four-byte prefix cut short by ASCII decodes as browsers do.
    CHECK(shoal::to_utf8("\x81\x30" + markup, "GB18030") == fffd + "0" + markup);
    const std::string spaces(40, ' ');  // not trail bytes
    CHECK(shoal::to_utf8("\x81\x30\x81" + spaces, "GB18030") == fffd + "0" + fffd + spaces);
    CHECK(shoal::to_utf8("\x81" + markup, "GB18030") == "乵" + markup.substr(1));  // 'm' is a trail
}

TEST_CASE("charset: superset decoders for Japanese, Korean and Chinese") {
    CHECK(shoal::to_utf8("C:\x5C\x7E", "SHIFT_JIS") == "C:\\~");   // not yen and overline
    CHECK(shoal::to_utf8("\x87\x40", "SHIFT_JIS") == "①");         // NEC row 13
    CHECK(shoal::to_utf8("\xAD\xA1\xA1\xC1", "EUC-JP") == "①～");  // NEC row 13; the wave dash as browsers
    // EUC-JP as WHATWG decodes it, the same characters as Shift_JIS: NEC's
    // and IBM's extensions (name kanji), symbols, half-width katakana, JIS X 0212.
    CHECK(shoal::to_utf8("\xFC\xE2\xB6\xB6", "EUC-JP") == "髙橋");
    CHECK(shoal::to_utf8("\xF9\xF5\xF9\xFE", "EUC-JP") == "\uFA11\u5FB7");
    CHECK(shoal::to_utf8("\xA1\xDD\xA2\xCC", "EUC-JP") == "\uFF0D\uFFE2");
    CHECK(shoal::to_utf8("\x81\x7C\x81\xCA", "SHIFT_JIS") == "\uFF0D\uFFE2");
    CHECK(shoal::to_utf8("\x8E\xB1\x8E\xDF", "EUC-JP") == "\uFF71\uFF9F");
    CHECK(shoal::to_utf8("\x8F\xB0\xA1x", "EUC-JP") == "丂x");
    CHECK(shoal::to_utf8("a\xA9\xA1" "b\xB6<c\xB6", "EUC-JP") == "a\uFFFD" "b\uFFFD<c\uFFFD");
    // A byte that starts no character is one U+FFFD alone: the text after it is read as it is.
    CHECK(shoal::to_utf8("\xA0\xA4\xA2\xA4\xA4", "EUC-JP") == "\uFFFDあい");
    CHECK(shoal::to_utf8("\x80\xFF\xA4\xA2", "EUC-JP") == "\uFFFD\uFFFDあ");
    CHECK(shoal::to_utf8("\x81\x41", "EUC-KR") == "갂");           // CP949 extension
    CHECK(shoal::to_utf8("\x87\x40", "BIG5") == "䏰");             // HKSCS
    CHECK(shoal::to_utf8("\x88\x62", "BIG5") == "Ê̄");              // HKSCS pair, flushed at end
}

TEST_CASE("charset: invalid bytes become U+FFFD and decoding goes on") {
    CHECK(shoal::to_utf8("\xD6\xD0\xFF\xCE\xC4", "GB18030") == "中" + fffd + "文");
    CHECK(shoal::to_utf8("a\x81\x8D\x9D"
                         "b",
                         "WINDOWS-1252") ==
          "a\xC2\x81\xC2\x8D\xC2\x9D"
          "b");
    CHECK(shoal::to_utf8("\x3D\xD8\x41\x00"s, "UTF-16LE") == fffd + "A");  // lone surrogate
    CHECK(shoal::to_utf8("\xDC\x00\x00\x42"s, "UTF-16BE") == fffd + "B");
    CHECK(shoal::to_utf8("\xA4\xA4\xA4", "BIG5") == "中" + fffd);  // cut off
    CHECK(shoal::to_utf8("ab\xD6", "GB18030") == "ab" + fffd);
    CHECK(shoal::to_utf8("A\x00"
                         "B"s,
                         "UTF-16LE") == "A" + fffd);
    CHECK(shoal::to_utf8("\xE4\xB8", "UTF-8") == fffd);
}

TEST_CASE("charset: an invalid double-byte pair is one U+FFFD, an ASCII byte after a lead is kept") {
    // A rejected lead byte and the non-ASCII byte after it are one character
    // (the next character is not read from its trail byte).
    CHECK(shoal::to_utf8("\xC8\xB8\xBB\xE7\xC9\xA1\xB7\xCE\xB0\xED", "EUC-KR") == "회사" + fffd + "로고");
    CHECK(shoal::to_utf8("a\x85\xA0" "b", "SHIFT_JIS") == "a" + fffd + "b");
    CHECK(shoal::to_utf8("a\xA9\xA1" "b", "EUC-JP") == "a" + fffd + "b");
    // An ASCII byte after a lead byte is ASCII: '<' of an end tag is kept.
    CHECK(shoal::to_utf8("\x85\x41" "c", "SHIFT_JIS") == fffd + "Ac");
    CHECK(shoal::to_utf8("\xC8<t", "EUC-KR") == fffd + "<t");
    // Characters browsers' tables hold that glibc's converters reject or skip.
    CHECK(shoal::to_utf8("\xA2\xE8</title>", "EUC-KR") == "\u327E</title>");
    CHECK(shoal::to_utf8("\xBF\xEC\xA2\xE8" "ABC", "EUC-KR") == "우\u327E" "ABC");
    CHECK(shoal::to_utf8("\xA4\xA4\xA3\xE1\xA4\x45", "BIG5") == "中€九");
    CHECK(shoal::to_utf8("\xA1\xC3\xA2\xCC\xA2\xCE\xA1\x5A", "BIG5") == "\uFFE3\u5341\u5345\u2574");
}

TEST_CASE("charset: empty input and unknown charsets") {
    CHECK(shoal::detect_charset("", "") == "UTF-8");
    CHECK(shoal::decode_to_utf8("", "") == "");
    for (const char* cs : {"UTF-8", "WINDOWS-1252", "GB18030", "UTF-16LE", "SHIFT_JIS", "nonsense"})
        CHECK(shoal::to_utf8("", cs) == "");
    CHECK(shoal::to_utf8("\xFF\xFE", "UTF-16LE") == "");
    CHECK(shoal::to_utf8("ok \xFF", "no-such-charset") == "ok " + fffd);
    CHECK(shoal::to_utf8("ok", "UTF-8//TRANSLIT") == "ok");  // never handed to iconv
    CHECK(shoal::to_utf8("\xD6\xD0", "gbk") == "中");        // labels work too
}

TEST_CASE("charset: labels by name, a Content-Type's charset, and the known names") {
    CHECK(shoal::charset_name("gbk") == "GB18030");
    CHECK(shoal::charset_name(" Latin1 ") == "WINDOWS-1252");
    CHECK(shoal::charset_name("SHIFT_JIS") == "SHIFT_JIS");
    CHECK(shoal::charset_name("x-bogus").empty());
    CHECK(shoal::charset_name("").empty());
    CHECK(shoal::content_type_charset("text/html; charset=\"x-Bogus\"") == "x-Bogus");
    CHECK(shoal::content_type_charset("text/html;charset=gbk; q=1") == "gbk");
    CHECK(shoal::content_type_charset("text/html").empty());
    // Parameters as MIME types have them: a quoted value hides its ';' and
    // "charset=", the first charset counts, an unclosed quote runs to the end.
    CHECK(shoal::content_type_charset("text/html; foo=\"bar;charset=koi8-r\"; charset=windows-1251") == "windows-1251");
    CHECK(shoal::content_type_charset("text/html; charset=\"windows-1251") == "windows-1251");
    CHECK(shoal::content_type_charset("text/html; charset=\"a\\\"b\"") == "a\"b");
    CHECK(shoal::content_type_charset("text/html; charset=gbk; charset=big5") == "gbk");
    CHECK(shoal::content_type_charset("text/html; xcharset=big5").empty());
    CHECK(shoal::content_type_charset("text/html; charset=; charset=utf-8") == "utf-8");  // an empty one is none
    CHECK(shoal::content_type_charset("text/html;charset=utf-8 ") == "utf-8");
    CHECK(shoal::content_type_charset("text/html charset=utf-8") == "utf-8");  // no ';': as a meta's
    CHECK(shoal::detect_charset("x", "text/html; foo=\"bar;charset=koi8-r\"; charset=windows-1251") == "WINDOWS-1251");
    const std::string names = shoal::known_charset_names();
    CHECK(names.starts_with("UTF-8, "));
    for (const char* name :
         {"GB18030", "BIG5", "SHIFT_JIS", "EUC-KR", "WINDOWS-1258", "UTF-16LE", "KOI8-U"}) {
        INFO(name);
        CHECK(names.find(name) != std::string::npos);
        CHECK(shoal::charset_name(name) == name);
    }
    CHECK(names.find("UTF-8, UTF-8") == std::string::npos);  // each once
}

TEST_CASE("charset: is_valid_utf8") {
    CHECK(shoal::is_valid_utf8(""));
    CHECK(shoal::is_valid_utf8("plain ascii"));
    CHECK(shoal::is_valid_utf8(
        "\xC2\x80 \xE0\xA0\x80 \xED\x9F\xBF \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
    CHECK(!shoal::is_valid_utf8("\xC0\xAF"));          // overlong
    CHECK(!shoal::is_valid_utf8("\xE0\x80\xAF"));      // overlong
    CHECK(!shoal::is_valid_utf8("\xED\xA0\x80"));      // surrogate
    CHECK(!shoal::is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    CHECK(!shoal::is_valid_utf8("\xF5\x80\x80\x80"));
    CHECK(!shoal::is_valid_utf8("\xE4\xB8"));  // truncated
    CHECK(!shoal::is_valid_utf8("\x80"));
    // A bad byte at every offset around the 8- and 16-byte fast paths.
    for (std::size_t at = 0; at < 40; ++at) {
        std::string s(40, 'a');
        s[at] = '\xFF';
        CHECK(!shoal::is_valid_utf8(s));
        s[at] = 'b';
        CHECK(shoal::is_valid_utf8(s));
    }
}

TEST_CASE("charset: append_utf8 encodes every code point, U+FFFD for the others") {
    auto encoded = [](char32_t cp) {
        std::string out = "x";
        shoal::append_utf8(out, cp);
        return out.substr(1);
    };
    CHECK(encoded(0) == std::string(1, '\0'));
    CHECK(encoded(0x7F) == "\x7F");
    CHECK(encoded(0x80) == "\xC2\x80");
    CHECK(encoded(0x7FF) == "\xDF\xBF");
    CHECK(encoded(0x800) == "\xE0\xA0\x80");
    CHECK(encoded(0xFFFF) == "\xEF\xBF\xBF");
    CHECK(encoded(0x10000) == "\xF0\x90\x80\x80");
    CHECK(encoded(0x10FFFF) == "\xF4\x8F\xBF\xBF");
    CHECK(encoded(0xD800) == fffd);
    CHECK(encoded(0xDFFF) == fffd);
    CHECK(encoded(0x110000) == fffd);
    CHECK(encoded(0xFFFFFFFF) == fffd);
    for (char32_t cp = 0; cp < 0x110000; cp += 0x101)
        CHECK(shoal::is_valid_utf8(encoded(cp)));
}

TEST_CASE("charset: make_valid_utf8 substitutes maximal subparts") {
    CHECK(shoal::make_valid_utf8("ok €") == "ok €");
    CHECK(shoal::make_valid_utf8("\xC0\xAF") == fffd + fffd);
    CHECK(shoal::make_valid_utf8("\xE0\x80\xAF") == fffd + fffd + fffd);
    CHECK(shoal::make_valid_utf8("\xED\xA0\x80") == fffd + fffd + fffd);
    CHECK(shoal::make_valid_utf8("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd);
    CHECK(shoal::make_valid_utf8("\xE4\xB8") == fffd);
    CHECK(shoal::make_valid_utf8("\xF0\x9F\x98"
                                 "A") == fffd + "A");
    CHECK(shoal::make_valid_utf8("\xE4\xB8\xE4\xB8\xAD") == fffd + "中");
    // The example of Unicode 15, table 3-8.
    CHECK(shoal::make_valid_utf8("\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64") ==
          "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d");
}

TEST_CASE("charset: random bytes always give valid UTF-8") {
    std::mt19937 rng(12345);
    const char* charsets[] = {"UTF-8",     "WINDOWS-1252", "GB18030",    "BIG5",
                              "SHIFT_JIS", "EUC-JP",       "EUC-KR",     "UTF-16LE",
                              "UTF-16BE",  "KOI8-R",       "ISO-8859-7", "ISO-2022-JP"};
    for (int round = 0; round < 300; ++round) {
        std::string bytes(rng() % 64, '\0');
        for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() % 128 : rng());
        CHECK(shoal::is_valid_utf8(shoal::decode_to_utf8(bytes, "")));
        for (const char* cs : charsets) CHECK(shoal::is_valid_utf8(shoal::to_utf8(bytes, cs)));
    }
}

TEST_CASE("charset: threads use their own iconv handles") {
    const std::string body = page("<meta charset=gbk>", encode("中文标题", "GBK"));
    const std::string expected = shoal::decode_to_utf8(body, "");
    std::vector<std::thread> threads;
    std::vector<int> ok(4, 0);
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) ok[t] += shoal::decode_to_utf8(body, "") == expected;
        });
    for (std::thread& th : threads) th.join();
    for (int n : ok) CHECK(n == 200);
}

TEST_CASE("charset: UTF-8 validation finds a bad byte at any place in or after an ASCII run") {
    // The ASCII runs are skipped 16 or 32 bytes at a time: put the byte
    // after the vector boundaries and at the tail.
    for (std::size_t run = 0; run <= 100; ++run) {
        const std::string ascii(run, 'a');
        INFO("ASCII run of " << run);
        CHECK(shoal::is_valid_utf8(ascii));
        CHECK(shoal::is_valid_utf8(ascii + "\xC3\xA9" + ascii));
        CHECK_FALSE(shoal::is_valid_utf8(ascii + "\xFF" + ascii));
        CHECK_FALSE(shoal::is_valid_utf8(ascii + "\xC3"));
        CHECK_FALSE(shoal::is_valid_utf8(ascii + "\xC3\xA9" + ascii + "\x80" + ascii));
        // The bad byte is replaced where it is, the rest kept.
        CHECK(shoal::to_utf8(ascii + "\xFF" + "b", "utf-8") == ascii + "\xEF\xBF\xBD" + "b");
    }
}

// Decodes bytes from charset to UTF-8 with iconv in one call (the test's own
// converter), or nullopt if iconv refuses any of them.
std::optional<std::string> iconv_decode(std::string_view bytes, const char* charset) {
    iconv_t cd = iconv_open("UTF-8", charset);
    REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
    std::string out(bytes.size() * 4 + 16, '\0');
    char* src = const_cast<char*>(bytes.data());
    char* dst = out.data();
    std::size_t left = bytes.size(), room = out.size();
    const std::size_t rc = iconv(cd, &src, &left, &dst, &room);
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1) || left != 0) return std::nullopt;
    out.resize(out.size() - room);
    return out;
}

TEST_CASE("charset: GB18030 two-byte characters decode as iconv decodes them, each and mixed") {
    // Every lead/trail pair, alone and between ASCII (the table path).
    std::vector<std::string> valid;
    for (unsigned lead = 0x81; lead <= 0xFE; ++lead) {
        for (unsigned trail = 0x40; trail <= 0xFE; ++trail) {
            if (trail == 0x7F) continue;
            const std::string pair = {static_cast<char>(lead), static_cast<char>(trail)};
            const auto want = iconv_decode(pair, "GB18030");
            if (!want) continue;  // e.g. user-defined areas iconv refuses
            valid.push_back(pair);
            INFO("pair " << std::hex << lead << " " << trail);
            REQUIRE(shoal::to_utf8(pair, "gb18030") == *want);
            REQUIRE(shoal::to_utf8("a" + pair + "b", "gb18030") == "a" + *want + "b");
        }
    }
    REQUIRE(valid.size() > 20000);
    // Random text of characters, four-byte sequences and short and long ASCII runs.
    std::mt19937 rng(2026);
    const std::string four_byte = "\x81\x30\x81\x30";  // U+0080
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        const int parts = static_cast<int>(rng() % 40);
        for (int k = 0; k < parts; ++k) {
            switch (rng() % 4) {
                case 0: text += valid[rng() % valid.size()]; break;
                case 1: text += std::string(rng() % 12, 'x'); break;
                case 2: text += four_byte; break;
                default: text += valid[rng() % valid.size()] + valid[rng() % valid.size()]; break;
            }
        }
        const auto want = iconv_decode(text, "GB18030");
        REQUIRE(want);
        REQUIRE(shoal::to_utf8(text, "gb18030") == *want);
    }
    // Bytes iconv refuses still become U+FFFD, the characters around them kept.
    const std::string zhong = "\xD6\xD0";  // 中
    CHECK(shoal::to_utf8(zhong + "\xFF" + zhong, "gb18030") == "中\xEF\xBF\xBD中");
    CHECK(shoal::to_utf8(zhong + "\x81", "gb18030") == "中\xEF\xBF\xBD");
    CHECK(shoal::to_utf8(zhong + "\x81\x7F" + zhong, "gb18030") == "中\xEF\xBF\xBD\x7F中");
    CHECK(shoal::to_utf8("\x80" + zhong, "gb18030") == "€中");
}
