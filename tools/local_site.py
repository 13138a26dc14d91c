#!/usr/bin/env python3
"""A local HTTP/1.1 test site for shoal's integration tests and README quick start.

Stdlib only (Python 3.11), asyncio streams, so a thousand keep-alive connections
are one thread and a few megabytes. It serves static files from --root and a set
of generated pages whose paths name the behaviour under test:

  /p/N.html                 product page N (title "Product N | Test Shop", $N.99;
                            see --price-shift)
  /gzip/p/N.html            same, Content-Encoding: gzip
  /deflate/p/N.html         same, Content-Encoding: deflate (zlib-wrapped)
  /chunked/p/N.html         same, Transfer-Encoding: chunked, several chunks
  /redirect/K/p/N.html      302 with a relative Location, K hops to /p/N.html (or to /NAME:
  /redirect/K/NAME          a --root file)
  /redirect-abs/p/N.html    301 to the absolute http(s)://HOST:PORT/p/N.html
  /to-https/P/p/N.html      301 to https://HOST:P/p/N.html (another site, over TLS)
  /to-port/P/PATH?QUERY     302 to the same scheme and host on port P, PATH?QUERY there
  /redirect-code/C/p/N.html redirect with status C (301/302/303/307/308)
  /redirect-loop            redirects to itself
  /redirect-ftp             redirects to ftp://example.invalid/x
  /status/CODE              that status (200-999), small HTML body
  /flaky/ID/K/p/N.html      503 for the first K requests with that ID, then the page
  /429/ID/K/p/N.html        same with 429 and Retry-After: 0
  /429wait/ID/K/p/N.html    same with 429 and Retry-After: 2
  /429date/ID/K/p/N.html    same with 429 and Retry-After as an HTTP-date 2 s ahead
                            (429date850, 429dateasc: in the RFC 850 and asctime forms)
  /slow/MS/p/N.html         answers after MS milliseconds
  /trickle                  headers, then one body byte per second, forever
  /hang                     reads the request, never answers
  /close/p/N.html           answers with Connection: close, then closes
  /conn-id                  title "conn K", K = the number of this TCP connection
  /open-connections         title "open K", K = connections open now (this one too)
  /stats                    {"connections": accepted, "requests": served,
                             "max_active": most requests answered at once} as JSON
  /requested                the paths (and queries) asked for, in order, as a JSON list
                            (the first 100000; /stats, /arrivals, /requested not counted)
  /robots.txt               a static file from --root when there is one, else a 301 to
                            --robots-redirect, else the status --robots-status gives (default 404)
  (static files)            from --root; a sibling FILE.content-type gives the Content-Type,
                            a sibling FILE.content-encoding holding "gzip" has FILE sent
                            gzip-compressed with Content-Encoding: gzip
  /arrivals                 when each request came (time.monotonic() seconds, the
                            first 100000, /stats and /arrivals not counted) as a JSON list
  /big/BYTES                a body of BYTES bytes
  /gzip-bomb                gzip body that expands to 64 MiB
  /gbk/N.html               GBK listing page, charset only in <meta http-equiv>
  /latin1                   ISO-8859-1 page, charset only in the Content-Type header
  /bad-utf8                 declares UTF-8 but holds invalid bytes in the title
  /echo-headers             title = User-Agent (or ?title=NAME: that header's value),
                            body lists the request headers as <li class="h">
  /charset/ENC/MODE/N.html  a page whose <title> is CHARSET_TITLES[ENC], encoded as ENC
                            with Python's codecs and declared as MODE says:
                              header          Content-Type charset only
                              meta            <meta charset="ENC"> only
                              http-equiv      <meta http-equiv="Content-Type"
                                              content="text/html; charset=ENC-IN-CAPITALS"> only
                              bom             a byte order mark only (utf-8, utf-16le/be)
                              none            no declaration at all (utf-8 only)
                              mislabel-gb2312 header and meta both say gb2312, the page holds
                                              characters outside GB2312 (gbk, gb18030 only)
                              header-vs-meta  header gives ENC, a <meta charset> gives a
                                              wrong one (the header wins)
                              xml-declaration an XHTML page opening with <?xml ...
                                              encoding="ENC"?> only (UTF-16 without a BOM)
                            404 for a combination not in CHARSET_MODES
  /charset-title/ENC        CHARSET_TITLES[ENC] as UTF-8 text/plain
  /charset-index            every served /charset/ENC/MODE/1.html path, one per line
The query string never changes which behaviour a path gets.

--price-shift PCT (default 0) changes the product pages (every /p/N.html family):
the price of page N becomes $N.99 x (1 + PCT/100), rounded half up to cents and
written the same way ($D.CC), except on pages whose N is divisible by 7, which
keep $N.99; and when PCT is not 0, the <title> of pages whose N is divisible by
11 gets " (new)" appended. Run twice on the same --port (with and without a
shift) to crawl two runs of one shop whose prices changed in between.

It logs nothing per request, prints errors to stderr, writes the chosen port to
--port-file (atomically) once listening, and exits on SIGTERM, SIGINT or after
--max-seconds (that lifecycle is tools/loopback_server.py, shared with
tests/hostile_server.py).
"""

from __future__ import annotations

import argparse
import asyncio
import decimal
import email.utils
import gzip
import html
import ipaddress
import json
import mimetypes
import random
import re
import resource
import ssl
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import loopback_server

REASONS = {
    200: "OK", 201: "Created", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    303: "See Other", 304: "Not Modified", 307: "Temporary Redirect",
    308: "Permanent Redirect", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 410: "Gone",
    413: "Content Too Large", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
}

HTML_UTF8 = "text/html; charset=utf-8"
BOMB_SIZE = 64 * 1024 * 1024

WORDS = ("sturdy compact wireless ergonomic premium classic silent rapid durable portable "
         "stainless waterproof modular vintage smart foldable backlit organic hybrid "
         "lightweight").split()
NOUNS = ("keyboard lamp kettle backpack monitor headset blender drill chair speaker "
         "router camera jacket tent mixer scanner").split()

# /charset pages: the expected title (UTF-8) of each encoding, and the ways each is declared.
CHARSET_TITLES = {
    "utf-8": "UTF-8: Ελληνικά 中文 Русский € ✓",
    "gb2312": "简体中文测试页：价格与书名",
    "gbk": "GBK 扩展字：镕 旻 堃 喆，图书价格",      # 镕 旻 堃 喆 are GBK, not GB2312
    "gb18030": "GB18030 测试：𠀀 镕 €",           # U+20000 is a four-byte GB18030 sequence
    "big5": "繁體中文測試頁面：價格",
    "shift_jis": "日本語のテストページ：価格",
    "euc-jp": "日本語のテストページ（ＥＵＣ）",
    "euc-kr": "한국어 테스트 페이지: 가격",
    "windows-1251": "Тестовая страница — цена",
    "koi8-r": "Тестовая страница: Цена",
    "iso-8859-5": "Тестовая страница: Ёё",
    "iso-8859-7": "Δοκιμαστική σελίδα: τιμή",
    "windows-1250": "Zażółć gęślą jaźń – cena",
    "iso-8859-2": "Příliš žluťoučký kůň úpěl",
    "windows-1252": "Café crème à 2,50 € – “prix”",
    "iso-8859-15": "Œuvre complète à 9,99 € (Šš Žž)",
    "utf-16le": "UTF-16LE: Ελληνικά 中文 Русский €",
    "utf-16be": "UTF-16BE: Ελληνικά 中文 Русский €",
}
_DECLARED = ("header", "meta", "http-equiv", "header-vs-meta", "xml-declaration")
CHARSET_MODES = {enc: _DECLARED for enc in CHARSET_TITLES}
CHARSET_MODES["utf-8"] = _DECLARED + ("bom", "none")
CHARSET_MODES["gbk"] = _DECLARED + ("mislabel-gb2312",)
CHARSET_MODES["gb18030"] = _DECLARED + ("mislabel-gb2312",)
CHARSET_MODES["utf-16le"] = ("header", "bom", "header-vs-meta", "xml-declaration")
CHARSET_MODES["utf-16be"] = ("header", "bom", "header-vs-meta", "xml-declaration")
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16le": b"\xff\xfe", "utf-16be": b"\xfe\xff"}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = HTML_UTF8
    close: bool = False
    chunks: int = 0  # > 0: send the body with Transfer-Encoding: chunked in this many chunks


@dataclass
class Request:
    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    version: str
    headers: list[tuple[str, str]]
    conn_number: int

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


class Site:
    """The state shared by all connections: counters, flaky-path attempts, caches."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.root = Path(args.root).resolve() if args.root else None
        self.scheme = "https" if args.tls_cert else "http"
        self.host = args.bind
        self.port = 0
        self.idle_timeout = args.idle_timeout
        self.connections = 0
        self.requests = 0
        self.active = 0       # requests being answered right now
        self.max_active = 0   # the most at once, for --per-host tests
        self.arrivals: list[float] = []  # for --per-host-rate tests
        self.requested: list[str] = []  # for --robots tests
        self.robots_requests = 0
        self.robots_status = args.robots_status
        self.robots_redirect = args.robots_redirect
        self.attempts: dict[str, int] = {}
        self.tasks: set[asyncio.Task] = set()
        self._bomb: bytes | None = None
        self._pages: dict[int, bytes] = {}
        self.price_shift = decimal.Decimal(str(args.price_shift))

    # ---- generated content -------------------------------------------------

    def product_page(self, n: int) -> bytes:
        page = self._pages.get(n)
        if page is not None:
            return page
        rng = random.Random(n * 2654435761 % 2**32)
        size = 2000 + rng.randrange(18000)
        name = f"Product {n}"
        suffix = " (new)" if self.price_shift != 0 and n % 11 == 0 else ""
        parts = [
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
            f"<title>{name} | Test Shop{suffix}</title>\n",
            "<link rel=\"stylesheet\" href=\"/static/shop.css\">\n</head>\n<body>\n",
            "<nav><a href=\"/\">Home</a> &rsaquo; <a href=\"/c/1\">Catalogue</a></nav>\n",
            f"<div class=\"product\" data-id=\"{n}\">\n<h1>{name}</h1>\n",
            f"<span class=\"price\">${self.product_price(n)}</span>\n",
            "<div class=\"description\">\n",
        ]
        length = sum(len(p) for p in parts)
        while length < size:
            words = " ".join(f"{rng.choice(WORDS)} {rng.choice(NOUNS)}" for _ in range(12))
            para = f"<p>Caf\u00e9-grade {words}. Item #{rng.randrange(100000)}.</p>\n"
            parts.append(para)
            length += len(para)
        parts.append("</div>\n<ul class=\"related\">\n")
        for k in range(1, 6):
            m = (n * 31 + k * 17) % 1000 + 1
            parts.append(f"<li><a href=\"/p/{m}.html\">Product {m}</a></li>\n")
        parts.append("</ul>\n</div>\n<footer>Test Shop &copy; 2024</footer>\n</body>\n</html>\n")
        page = "".join(parts).encode("utf-8")
        if len(self._pages) < 4096:
            self._pages[n] = page
        return page

    def product_price(self, n: int) -> str:
        """The price of product page N without the "$": "N.99", shifted by --price-shift."""
        cents = decimal.Decimal(n * 100 + 99)
        if self.price_shift != 0 and n % 7 != 0:
            cents = (cents * (100 + self.price_shift) / 100).quantize(
                decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP)
        c = int(cents)
        sign = "-" if c < 0 else ""
        return f"{sign}{abs(c) // 100}.{abs(c) % 100:02d}"

    @staticmethod
    def charset_page(enc: str, mode: str, n: int) -> Response | None:
        """/charset/ENC/MODE/N.html, or None for a combination that is not served."""
        if mode not in CHARSET_MODES.get(enc, ()):
            return None
        title = CHARSET_TITLES[enc]
        wrong = "iso-8859-5" if enc in ("windows-1252", "iso-8859-15") else "windows-1252"
        decl, ctype, bom, xml = "", "text/html", b"", ""
        if mode == "header":
            ctype = f"text/html; charset={enc}"
        elif mode == "meta":
            decl = f"<meta charset=\"{enc}\">\n"
        elif mode == "http-equiv":
            decl = (f"<meta http-equiv=\"Content-Type\" "
                    f"content=\"text/html; charset={enc.upper()}\">\n")
        elif mode == "bom":
            bom = BOMS[enc]
        elif mode == "mislabel-gb2312":
            ctype = "text/html; charset=gb2312"
            decl = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\n"
        elif mode == "header-vs-meta":
            ctype = f"text/html; charset={enc}"
            decl = f"<meta charset=\"{wrong}\">\n"
        elif mode == "xml-declaration":
            ctype = "application/xhtml+xml"
            xml = f"<?xml version=\"1.0\" encoding=\"{enc.upper()}\"?>\n"
        text = (xml + "<!DOCTYPE html>\n<html>\n<head>\n" + decl +
                f"<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n"
                f"<p>Page {n}, {enc}, {mode}.</p>\n</body>\n</html>\n")
        return Response(200, bom + text.encode(enc), content_type=ctype)

    def gbk_page(self, n: int) -> bytes:
        items = []
        for i in range(1, 11):
            k = (n - 1) * 10 + i
            price = 59 + (i - 1) * 3
            items.append(
                f"<li class=\"line{i}\"><a title=\" 书名{k}\" ddclick=\"act=normalResult_picture"
                f"&pos={k}_0_0_p\" href=\"/book/{k}.html\" target=\"_blank\">"
                f"<img src=\"/img/{k}.jpg\" alt=\" 书名{k}\"></a>\n"
                f"<p class=\"price\"><span class=\"search_now_price\">&yen;{price}.00</span>"
                f"<span class=\"search_pre_price\">&yen;{price * 2}.00</span></p></li>\n")
        text = (
            "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\">\n<html>\n<head>\n"
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\n"
            f"<title>图书列表 第{n}页 - 测试书店</title>\n</head>\n<body>\n"
            "<div class=\"con shoplist\"><ul class=\"bigimg\">\n" + "".join(items) +
            "</ul></div>\n<p>价格：人民币；全场包邮。</p>\n</body>\n</html>\n")
        return text.encode("gbk")

    def gzip_bomb(self) -> bytes:
        if self._bomb is None:
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31 = gzip wrapper
            chunk = b" " * (1024 * 1024)
            out = [comp.compress(b"<html><head><title>bomb</title></head><body>")]
            for _ in range(BOMB_SIZE // len(chunk)):
                out.append(comp.compress(chunk))
            out.append(comp.flush())
            self._bomb = b"".join(out)
        return self._bomb

    # ---- routing -----------------------------------------------------------

    def static_file(self, path: str) -> Response | None:
        if self.root is None:
            return None
        rel = unquote(path).lstrip("/")
        if rel == "" or rel.endswith("/"):
            rel += "index.html"
        target = (self.root / rel).resolve()
        if self.root not in target.parents or not target.is_file():
            return None
        sibling = target.with_name(target.name + ".content-type")
        if sibling.is_file():
            ctype = sibling.read_text(encoding="utf-8").strip()
        elif target.suffix in (".html", ".htm"):
            ctype = HTML_UTF8
        else:
            ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        body = target.read_bytes()
        headers: list[tuple[str, str]] = []
        encoding = target.with_name(target.name + ".content-encoding")
        if encoding.is_file() and encoding.read_text(encoding="utf-8").strip() == "gzip":
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        return Response(200, body, headers=headers, content_type=ctype)

    def page_response(self, rest: str) -> Response | None:
        m = re.fullmatch(r"/p/(\d{1,9})\.html", rest)
        if not m:
            return None
        return Response(200, self.product_page(int(m.group(1))))

    def redirect(self, code: int, location: str) -> Response:
        body = f"<html><head><title>{code}</title></head><body>moved</body></html>\n"
        return Response(code, body.encode(), headers=[("Location", location)])

    def status_page(self, code: int, extra: list[tuple[str, str]] | None = None) -> Response:
        reason = REASONS.get(code, "Status")
        body = (f"<html><head><title>Status {code}</title></head>"
                f"<body><h1>{code} {reason}</h1></body></html>\n").encode()
        if code in (204, 304):
            body = b""
        return Response(code, body, headers=extra or [])

    def counted(self, key: str, k: int) -> bool:
        """Returns true while KEY has been asked for fewer than K times (and counts it)."""
        seen = self.attempts.get(key, 0)
        self.attempts[key] = seen + 1
        return seen < k

    async def route(self, req: Request) -> Response | str:
        """Returns a Response, or the name of a special behaviour ("hang", "trickle", "big:N")."""
        if req.path == "/robots.txt":
            self.robots_requests += 1
        static = self.static_file(req.path)
        if static is not None:
            return static
        path = req.path
        page = self.page_response(path)
        if page is not None:
            return page
        if m := re.fullmatch(r"/(gzip|deflate)(/p/\d+\.html)", path):
            inner = self.page_response(m.group(2))
            if inner is None:
                return self.status_page(404)
            if m.group(1) == "gzip":
                inner.body = gzip.compress(inner.body, mtime=0)
            else:
                inner.body = zlib.compress(inner.body)
            inner.headers.append(("Content-Encoding", m.group(1)))
            return inner
        if m := re.fullmatch(r"/chunked(/p/\d+\.html)", path):
            inner = self.page_response(m.group(1))
            if inner is None:
                return self.status_page(404)
            inner.chunks = 5
            return inner
        if m := re.fullmatch(r"/redirect/(\d{1,4})(/p/\d+\.html|/[\w.-]+)", path):
            k, tail = int(m.group(1)), m.group(2)
            target = f"/redirect/{k - 1}{tail}" if k > 1 else tail
            # Alternate the two relative forms: path-absolute and dot-segments.
            location = target if k % 2 else "../../.." + target
            return self.redirect(302, location)
        if m := re.fullmatch(r"/redirect-abs(/p/\d+\.html)", path):
            return self.redirect(301, f"{self.scheme}://{self.host}:{self.port}{m.group(1)}")
        if m := re.fullmatch(r"/to-port/(\d{1,5})(/.*)", path):
            query = req.target.partition("?")[2]
            return self.redirect(302, f"{self.scheme}://{self.host}:{m.group(1)}{m.group(2)}"
                                      + (f"?{query}" if query else ""))
        if m := re.fullmatch(r"/to-https/(\d{1,5})(/p/\d+\.html)", path):
            return self.redirect(301, f"https://{self.host}:{m.group(1)}{m.group(2)}")
        if m := re.fullmatch(r"/redirect-code/(\d{3})(/p/\d+\.html)", path):
            return self.redirect(int(m.group(1)), m.group(2))
        if path == "/redirect-loop":
            return self.redirect(302, "/redirect-loop")
        if path == "/redirect-ftp":
            return self.redirect(302, "ftp://example.invalid/x")
        if m := re.fullmatch(r"/status/(\d{3})", path):
            code = int(m.group(1))
            return self.status_page(code if 200 <= code <= 999 else 400)
        if m := re.fullmatch(r"/(flaky|429|429wait|429date|429date850|429dateasc)/([^/]+)/(\d+)(/p/\d+\.html)", path):
            kind, ident, k, tail = m.groups()
            if self.counted(f"{kind}/{ident}", int(k)):
                if kind == "flaky":
                    return self.status_page(503)
                if kind.startswith("429date"):
                    # The three HTTP-date forms of RFC 9110 5.6.7, 2 s ahead.
                    ahead = time.gmtime(time.time() + 2)
                    at = {"429date": email.utils.formatdate(time.time() + 2, usegmt=True),
                          "429date850": time.strftime("%A, %d-%b-%y %H:%M:%S GMT", ahead),
                          "429dateasc": time.asctime(ahead)}[kind]
                    return self.status_page(429, [("Retry-After", at)])
                return self.status_page(429, [("Retry-After", "2" if kind == "429wait" else "0")])
            return self.page_response(tail) or self.status_page(404)
        if m := re.fullmatch(r"/slow/(\d{1,7})(/p/\d+\.html)", path):
            await asyncio.sleep(int(m.group(1)) / 1000)
            return self.page_response(m.group(2)) or self.status_page(404)
        if m := re.fullmatch(r"/close(/p/\d+\.html)", path):
            inner = self.page_response(m.group(1))
            if inner is None:
                return self.status_page(404)
            inner.close = True
            return inner
        if path in ("/hang", "/trickle"):
            return path[1:]
        if path == "/open-connections":
            body = (f"<html><head><title>open {len(self.tasks)}</title></head>"
                    f"<body>open connections</body></html>\n")
            return Response(200, body.encode())
        if path == "/conn-id":
            body = (f"<html><head><title>conn {req.conn_number}</title></head>"
                    f"<body>connection {req.conn_number}</body></html>\n")
            return Response(200, body.encode())
        if path == "/robots.txt":
            if self.robots_redirect:
                return self.redirect(301, self.robots_redirect)
            return self.status_page(self.robots_status)
        if path == "/requested":
            return Response(200, json.dumps(self.requested).encode(), content_type="application/json")
        if path == "/arrivals":
            return Response(200, json.dumps(self.arrivals).encode(), content_type="application/json")
        if path == "/stats":
            body = json.dumps({"connections": self.connections, "requests": self.requests,
                               "max_active": self.max_active, "robots": self.robots_requests})
            return Response(200, body.encode(), content_type="application/json")
        if m := re.fullmatch(r"/big/(\d{1,12})", path):
            return f"big:{m.group(1)}"
        if path == "/gzip-bomb":
            return Response(200, self.gzip_bomb(), headers=[("Content-Encoding", "gzip")])
        if m := re.fullmatch(r"/gbk/(\d{1,6})\.html", path):
            return Response(200, self.gbk_page(int(m.group(1))), content_type="text/html")
        if path == "/latin1":
            body = ("<html><head><title>Caf\u00e9 cr\u00e8me \u00e0 2,50 \u20ac</title>"
                    "</head><body>Men\u00fa</body></html>\n")
            body = body.replace("\u20ac", "EUR").encode("iso-8859-1")
            return Response(200, body, content_type="text/html; charset=iso-8859-1")
        if path == "/bad-utf8":
            body = (b"<html><head><meta charset=\"utf-8\"><title>bad \xff\xfe\xc3\x28 bytes"
                    b"</title></head><body>\x80\x81 <span class=\"price\">$5.00</span>"
                    b"</body></html>\n")
            return Response(200, body)
        if m := re.fullmatch(r"/charset/([a-z0-9_-]+)/([a-z0-9-]+)/(\d{1,6})\.html", path):
            return self.charset_page(m.group(1), m.group(2), int(m.group(3))) or \
                self.status_page(404)
        if m := re.fullmatch(r"/charset-title/([a-z0-9_-]+)", path):
            if m.group(1) not in CHARSET_TITLES:
                return self.status_page(404)
            return Response(200, CHARSET_TITLES[m.group(1)].encode("utf-8"),
                            content_type="text/plain; charset=utf-8")
        if path == "/charset-index":
            body = "".join(f"/charset/{enc}/{mode}/1.html\n"
                           for enc, modes in CHARSET_MODES.items() for mode in modes)
            return Response(200, body.encode("ascii"), content_type="text/plain; charset=utf-8")
        if path == "/echo-headers":
            wanted = req.query.get("title", ["User-Agent"])[0]
            title = req.header(wanted)
            items = "".join(f"<li class=\"h\">{html.escape(k)}: {html.escape(v)}</li>\n"
                            for k, v in req.headers)
            body = (f"<html><head><title>{html.escape(title if title is not None else '(none)')}"
                    f"</title></head><body><ul>\n{items}</ul></body></html>\n")
            return Response(200, body.encode("utf-8"))
        return self.status_page(404)

    # ---- connections -------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)
        self.connections += 1
        conn_number = self.connections
        try:
            while True:
                req = await self.read_request(reader, writer, conn_number)
                if req is None:
                    break
                self.requests += 1
                if req.path not in ("/stats", "/arrivals", "/requested") and len(self.arrivals) < 100000:
                    self.arrivals.append(time.monotonic())
                    self.requested.append(req.target)
                self.active += 1
                self.max_active = max(self.max_active, self.active)
                try:
                    result = await self.route(req)
                finally:
                    self.active -= 1
                if result == "hang":
                    # Read (and drop) whatever comes until the client gives up.
                    while await reader.read(65536):
                        pass
                    break
                if result == "trickle":
                    await self.trickle(writer)
                    break
                keep = self.keep_alive(req)
                if isinstance(result, str) and result.startswith("big:"):
                    await self.send_big(writer, req, int(result[4:]), keep)
                else:
                    await self.send(writer, req, result, keep and not result.close)
                    keep = keep and not result.close
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a bug in this server: say so, keep serving others
            print(f"local_site: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        finally:
            self.tasks.discard(task)
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           conn_number: int) -> Request | None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except asyncio.LimitOverrunError:
            await self.send(writer, None, self.status_page(431), False)
            return None
        except (asyncio.IncompleteReadError, TimeoutError):
            return None
        lines = head.decode("latin-1").split("\r\n")
        while lines and lines[0] == "":  # tolerate stray CRLFs between requests
            lines.pop(0)
        parts = lines[0].split(" ") if lines else []
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            await self.send(writer, None, self.status_page(400), False)
            return None
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            name, sep, value = line.partition(":")
            if not sep:
                await self.send(writer, None, self.status_page(400), False)
                return None
            headers.append((name.strip(), value.strip()))
        split = urlsplit(target)
        req = Request(method, target, split.path or "/", parse_qs(split.query), version, headers,
                      conn_number)
        # Drain a request body, if any, so the next request starts where it should.
        length = req.header("Content-Length")
        if length and length.isdigit() and int(length) > 0:
            await reader.readexactly(int(length))
        elif (req.header("Transfer-Encoding") or "").lower().endswith("chunked"):
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        return req

    @staticmethod
    def keep_alive(req: Request) -> bool:
        conn = (req.header("Connection") or "").lower()
        if req.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    @staticmethod
    def status_line(req: Request | None, code: int) -> str:
        version = req.version if req is not None and req.version == "HTTP/1.0" else "HTTP/1.1"
        return f"{version} {code} {REASONS.get(code, 'Status')}\r\n"

    async def send(self, writer: asyncio.StreamWriter, req: Request | None, resp: Response,
                   keep: bool) -> None:
        head = [self.status_line(req, resp.status), "Server: shoal-local-site\r\n"]
        if resp.content_type and resp.body:
            head.append(f"Content-Type: {resp.content_type}\r\n")
        head.extend(f"{k}: {v}\r\n" for k, v in resp.headers)
        chunked = resp.chunks > 0 and (req is None or req.version != "HTTP/1.0")
        if chunked:
            head.append("Transfer-Encoding: chunked\r\n")
        elif resp.status not in (204, 304):
            head.append(f"Content-Length: {len(resp.body)}\r\n")
        head.append("Connection: keep-alive\r\n\r\n" if keep else "Connection: close\r\n\r\n")
        writer.write("".join(head).encode("latin-1"))
        if req is not None and req.method == "HEAD":
            await writer.drain()
            return
        if chunked:
            step = max(1, -(-len(resp.body) // resp.chunks))
            for i in range(0, len(resp.body), step):
                piece = resp.body[i:i + step]
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                await writer.drain()
                await asyncio.sleep(0.002)  # so the pieces arrive in separate reads
            writer.write(b"0\r\n\r\n")
        else:
            writer.write(resp.body)
        await writer.drain()

    async def send_big(self, writer: asyncio.StreamWriter, req: Request, size: int,
                       keep: bool) -> None:
        head = (f"{self.status_line(req, 200)}Content-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {size}\r\n"
                f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n")
        writer.write(head.encode())
        if req.method == "HEAD":
            return await writer.drain()
        block = (b"0123456789abcdef" * 4096)
        left = size
        while left > 0:
            piece = block if left >= len(block) else block[:left]
            writer.write(piece)
            left -= len(piece)
            await writer.drain()

    async def trickle(self, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                     b"Content-Length: 100000000\r\n\r\n")
        await writer.drain()
        prefix = b"<html><head><title>trickle</title></head><body>"
        i = 0
        while True:
            writer.write(prefix[i:i + 1] if i < len(prefix) else b".")
            await writer.drain()
            i += 1
            await asyncio.sleep(1)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Local test site for shoal (loopback only).")
    p.add_argument("--bind", default="127.0.0.1", help="a 127.0.0.0/8 address (default 127.0.0.1)")
    p.add_argument("--also-bind", action="append", default=[], metavar="ADDR",
                   help="listen on this 127.0.0.0/8 address too, on the same port (repeatable)")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port (default)")
    p.add_argument("--port-file", help="write the chosen port here once listening")
    p.add_argument("--root", help="serve static files from this directory first")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="private key for --tls-cert (PEM)")
    p.add_argument("--robots-status", type=int, default=404, metavar="CODE",
                   help="status of /robots.txt when --root has none (default 404)")
    p.add_argument("--robots-redirect", metavar="PATH",
                   help="/robots.txt answers 301 to PATH (when --root has none)")
    p.add_argument("--max-seconds", type=float, default=120, help="exit after this long")
    p.add_argument("--idle-timeout", type=float, default=60,
                   help="close keep-alive connections idle this long")
    p.add_argument("--price-shift", type=float, default=0, metavar="PCT",
                   help="product pages (/p/N.html) cost $N.99 x (1 + PCT/100), rounded to "
                        "cents, unless N is divisible by 7; when PCT is not 0, the titles of "
                        "pages whose N is divisible by 11 get \" (new)\" (default 0)")
    args = p.parse_args(argv)
    for option, address in [("--bind", args.bind)] + [("--also-bind", a) for a in args.also_bind]:
        try:
            if ipaddress.ip_address(address) not in ipaddress.ip_network("127.0.0.0/8"):
                p.error(f"{option} must be a loopback address in 127.0.0.0/8")
        except ValueError:
            p.error(f"{option}: not an IPv4 address: {address}")
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if args.root and not Path(args.root).is_dir():
        p.error(f"--root: not a directory: {args.root}")
    return args


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
        except (ValueError, OSError):
            pass


async def serve(args: argparse.Namespace) -> int:
    ctx = loopback_server.tls_context(args.tls_cert, args.tls_key, alpn=["http/1.1"])
    return await loopback_server.serve_site(Site(args), args.bind, args.port, ctx, backlog=4096,
                                            port_file=args.port_file,
                                            max_seconds=args.max_seconds, also=args.also_bind)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    raise_fd_limit()
    return loopback_server.run("local_site", serve(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
