// serve_request: the request head parser of `shoal serve` and its loopback
// test, with no I/O.
#include <catch2/catch.hpp>

#include <string>

#include "shoal/serve_request.hpp"

using namespace shoal::serve_request;

TEST_CASE("serve request: the head parser", "[serve]") {
    request_head r;
    std::size_t used = 0;
    std::string req = "GET /p/1.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\nGET";
    REQUIRE(parse(req, r, used) == parse_status::ok);
    CHECK(used == req.size() - 3);
    CHECK(r.method == "GET");
    CHECK(r.target == "/p/1.html");
    CHECK(r.minor_version == 1);
    CHECK(r.keep_alive);
    CHECK(r.gzip);
    CHECK(parse("GET", r, used) == parse_status::incomplete);
    CHECK(parse("GET / HTTP/1.1\r\nHost: x\r\n", r, used) == parse_status::incomplete);

    REQUIRE(parse("\r\nGET / HTTP/1.0\nConnection: Keep-Alive\n\n", r, used) ==
            parse_status::ok);
    CHECK(r.minor_version == 0);
    CHECK(r.keep_alive);
    CHECK_FALSE(r.gzip);
    REQUIRE(parse("GET / HTTP/1.0\r\n\r\n", r, used) == parse_status::ok);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("GET / HTTP/1.1\r\nconnection: upgrade, close\r\n\r\n", r, used) ==
            parse_status::ok);
    CHECK_FALSE(r.keep_alive);
    REQUIRE(parse("GET http://127.0.0.1:80/p/2.html HTTP/1.1\r\n\r\n", r, used) ==
            parse_status::ok);
    CHECK(r.target == "/p/2.html");
    REQUIRE(parse("HEAD / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", r, used) ==
            parse_status::ok);
    CHECK(r.method == "HEAD");

    // Accept-Encoding.
    auto gzip_of = [&](const std::string& v) {
        request_head h;
        std::size_t u = 0;
        REQUIRE(parse("GET / HTTP/1.1\r\nAccept-Encoding: " + v + "\r\n\r\n", h, u) ==
                parse_status::ok);
        return h.gzip;
    };
    CHECK(gzip_of("gzip"));
    CHECK(gzip_of("GZIP;q=0.5"));
    CHECK(gzip_of("br, x-gzip"));
    CHECK(gzip_of("*"));
    CHECK_FALSE(gzip_of("gzip;q=0"));
    CHECK_FALSE(gzip_of("gzip; q=0.000, *"));
    CHECK_FALSE(gzip_of("deflate, br"));
    CHECK_FALSE(gzip_of("identity"));

    for (const char* bad :
         {"GET /\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", " / HTTP/1.1\r\n\r\n", "GET x HTTP/1.1\r\n\r\n",
          "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nNo colon\r\n\r\n",
          "GET / HTTP/1.1\r\nBad name: x\r\n\r\n", "POST / HTTP/1.1\r\nContent-Length: 5x\r\n\r\n",
          "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"}) {
        INFO(bad);
        CHECK(parse(bad, r, used) == parse_status::bad);
    }
    // A body is seen, not read: the server answers and closes.
    REQUIRE(parse("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde", r, used) == parse_status::ok);
    CHECK(r.has_body);
    REQUIRE(parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", r, used) == parse_status::ok);
    CHECK(r.has_body);
    REQUIRE(parse("GET / HTTP/1.1\r\nContent-Length: 000\r\n\r\n", r, used) == parse_status::ok);
    CHECK_FALSE(r.has_body);
    // What cannot start a request line is refused before the head is whole:
    // a TLS ClientHello on the plain port gets its 400 at once.
    for (std::string_view early : {std::string_view("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
                                   std::string_view("G(T /"), std::string_view("\r\nGET\x01")}) {
        INFO(early);
        CHECK(parse(early, r, used) == parse_status::bad);
    }
    CHECK(parse("GE", r, used) == parse_status::incomplete);
    CHECK(parse("\r\nGET /x HTTP/1.1\r\nHost: a", r, used) == parse_status::incomplete);
    std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(max_head_bytes, 'a');
    CHECK(parse(huge, r, used) == parse_status::too_large);
    CHECK(parse(huge + "\r\n\r\n", r, used) == parse_status::too_large);
}

TEST_CASE("serve request: which addresses are loopback ones", "[serve]") {
    CHECK(is_loopback("127.0.0.1"));
    CHECK(is_loopback("127.3.2.1"));
    CHECK(is_loopback("127.255.255.254"));
    CHECK(is_loopback("::1"));
    CHECK(is_loopback("::ffff:127.0.0.9"));
    CHECK_FALSE(is_loopback("128.0.0.1"));
    CHECK_FALSE(is_loopback("10.0.0.1"));
    CHECK_FALSE(is_loopback("192.168.1.20"));
    CHECK_FALSE(is_loopback("0.0.0.0"));
    CHECK_FALSE(is_loopback("::ffff:10.0.0.1"));
    CHECK_FALSE(is_loopback("fe80::1"));
    CHECK_FALSE(is_loopback("not an address"));
}
