#!/usr/bin/env python3
"""Hostile and broken HTTP server for shoal's integration tests (loopback only).

Each path is one misbehaviour, written on raw asyncio streams because the point
is to break HTTP in ways a real server library would not allow:

  /trickle                 200, Content-Length 100000, then one body byte a second
  /silent                  reads the request, never answers
  /slow-headers            the response head at one byte a second
  /endless-headers         a status line, then `X-A: b` header lines forever
  /huge-header             one 1 MiB header line
  /big-body                Content-Length 50 MB, sent as fast as the client reads
  /endless-chunked         a chunked body that never ends, fast
  /bomb                    gzip body that expands to 1 GiB of zeros (~1 MB sent)
  /deflate-bomb            the same as Content-Encoding: deflate (zlib stream)
  /endless-continue        `100 Continue` interim responses forever
  /continue-then-ok        one `100 Continue`, then the /ok page
  /huge-content-length     Content-Length of 40 nines
  /endless-chunk-line      a chunk-size line whose extension runs 64 MiB, then silence
  /excess-body             10 bytes promised, 35 sent, connection kept alive
  /corrupt-gzip            Content-Encoding gzip, garbage body
  /gzip-ok                 the /ok page, Content-Encoding gzip
  /brotli                  Content-Encoding br (which shoal does not ask for), 64 bytes
  /two-content-types       a UTF-8 page with two Content-Type fields, windows-1251 first
  /content-type-kept       a windows-1251 page: Content-Type text/html; charset=windows-1251,
                           then text/html (no charset), then */*, then garbage
  /gzip-gzip               the /ok page gzipped twice, Content-Encoding: gzip, gzip
  /te-gzip-chunked         the /ok page gzipped, Transfer-Encoding: gzip, chunked
  /te-unknown              Transfer-Encoding: foo, chunked (a coding shoal does not know)
  /switching-protocols     101 Switching Protocols to a GET that asked for no upgrade
  /chunked-twice           Transfer-Encoding: chunked, chunked over a body chunked once
  /chunked-then-gzip       Transfer-Encoding: chunked, gzip (a coding after chunked)
  /status-000              `HTTP/1.1 000 Zero` and the /ok page
  /lf-only                 the /ok page with a head whose lines end in LF alone
  /endless-trailers        the /ok page chunked, then trailer field lines forever
  /close-delimited         the /ok page without Content-Length, ended by closing the
                           connection (over TLS: without close_notify)
  /bad-chunked             an invalid chunk-size line
  /short-body              Content-Length 5000, 100 bytes, then close
  /reset-mid-body          part of the body, then a TCP RST (SO_LINGER 0)
  /garbage-status          `HELLO WORLD` instead of a status line
  /http09                  bare HTML, no status line, then close
  /no-headers-close        a status line, then close
  /redirect-loop           302 to itself
  /redirect-chain/N        302 to /redirect-chain/N-1; /redirect-chain/0 is /ok
  /redirect-javascript     Location: javascript:alert(1)
  /redirect-relative-weird Location: //127.0.0.1:PORT/ok (protocol-relative)
  /redirect-huge           Location: /ok? and 20,000 'a's (a URL too long to follow)
  /redirect-huge-scheme    Location: 8,000 'x's, then ':y' (a long unsupported scheme)
  /nul-title               a title holding NUL bytes
  /mega-title              a 2 MiB title
  /binary                  random bytes as application/octet-stream
  /binary-as-html          random bytes labelled text/html
  /invalid-utf8-title      a title with invalid UTF-8, declared UTF-8
  /ok                      a normal page: title "ok", price "$1.00"
  /late-extra              the /ok page, then 0.3 s later an unsolicited second 200
                           (title "stale") on the kept-alive connection
  /late-408                the /ok page, then 0.3 s later an unsolicited
                           `408 Request Timeout`, Connection: close, and close
  /408-next                the /ok page; the next request on the connection, whatever
                           it asks, gets `408 Request Timeout` and the connection closes
  /408-next-slow           the same, the page 0.3 s late

Without --tls-cert, a connection that opens with a TLS handshake (an https://
URL sent to this plain server) gets a plain-HTTP 400 answer and is closed.

Well-formed answers keep the connection alive; broken ones close it. The server
logs nothing per request, exits on SIGTERM/SIGINT or after --max-seconds.

  python3 tests/hostile_server.py --port 0 --port-file /tmp/port --max-seconds 300
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import socket
import struct
import sys
import zlib
from pathlib import Path

# The serving lifecycle shared with tools/local_site.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import loopback_server  # noqa: E402

IDLE_SECONDS = 60
CHUNK = 64 * 1024

OK_PAGE = (b"<!doctype html><html><head><meta charset=\"utf-8\"><title>ok</title></head>"
           b"<body><h1>ok</h1><span class=\"price\">$1.00</span></body></html>")


CRC32_OF_1GIB_ZEROS = 0x5B64C2B0


def make_bomb(wrapper: str = "gzip", total: int = 1 << 30, block: int = 1 << 20) -> bytes:
    """A gzip (or zlib, for Content-Encoding: deflate) stream of `total` zero
    bytes, made without compressing 1 GiB.

    After a full flush the compressor forgets its history, so every 1 MiB block
    of zeros after the first compresses to the same bytes: compress two blocks,
    repeat the second, and finish with the real CRC-32 and size.
    """
    zeros = bytes(block)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    steady = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)
    blocks = total // block
    if wrapper == "zlib":
        # Adler-32 of n zero bytes: a = 1, b = n mod 65521.
        adler = ((total % 65521) << 16) | 1
        header = b"\x78\xda"
        trailer = struct.pack(">I", adler & 0xFFFFFFFF)
    else:
        # CRC-32 of 1 GiB of zeros is a constant; other sizes are computed.
        crc = CRC32_OF_1GIB_ZEROS if total == 1 << 30 else 0
        for _ in range(blocks if total != 1 << 30 else 0):
            crc = zlib.crc32(zeros, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        trailer = struct.pack("<II", crc & 0xFFFFFFFF, total & 0xFFFFFFFF)
    return b"".join([header, first, steady * (blocks - 1), tail, trailer])


def head(status: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status}"] + [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def page(body: bytes, content_type: str = "text/html; charset=utf-8",
         status: str = "200 OK", extra: list[tuple[str, str]] | None = None) -> bytes:
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    return head(status, headers + (extra or [])) + body


class Site:
    def __init__(self) -> None:
        self.port = 0
        self.tls = False
        self.tasks: set[asyncio.Task] = set()
        rnd = random.Random(5)
        self.random_bytes = bytes(rnd.getrandbits(8) for _ in range(64 * 1024))
        # A gzip header, so the decoder gets past the magic, then garbage.
        self.garbage = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + bytes(
            rnd.getrandbits(8) for _ in range(4096))
        self.bombs: dict[str, asyncio.Future[bytes]] = {}

    async def bomb_bytes(self, wrapper: str) -> bytes:
        """Made once per wrapper, in a thread, on first use (well under a second)."""
        if wrapper not in self.bombs:
            self.bombs[wrapper] = asyncio.ensure_future(asyncio.to_thread(make_bomb, wrapper))
        return await self.bombs[wrapper]

    # The well-formed answers: the connection stays open for the next request.
    def fixed(self, path: str) -> bytes | None:
        if path == "/ok" or path == "/redirect-chain/0":
            return page(OK_PAGE)
        if path == "/gzip-ok":
            return page(zlib.compress(OK_PAGE, wbits=31), extra=[("Content-Encoding", "gzip")])
        if path == "/brotli":
            return page(self.random_bytes[:64], extra=[("Content-Encoding", "br")])
        if path == "/two-content-types":
            body = "<html><head><title>Цена</title></head></html>".encode("utf-8")
            return (head("200 OK", [("Content-Type", "text/html; charset=windows-1251"),
                                    ("Content-Type", "text/html; charset=utf-8"),
                                    ("Content-Length", str(len(body)))]) + body)
        if path == "/content-type-kept":
            body = "<html><head><title>Цена</title></head></html>".encode("cp1251")
            return (head("200 OK", [("Content-Type", "text/html; charset=windows-1251"),
                                    ("Content-Type", "text/html"),
                                    ("Content-Type", "*/*, garbage"),
                                    ("Content-Length", str(len(body)))]) + body)
        if path == "/te-unknown":
            return (head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "foo, chunked")])
                    + b"5\r\nhello\r\n0\r\n\r\n")
        if path == "/gzip-gzip":
            twice = zlib.compress(zlib.compress(OK_PAGE, wbits=31), wbits=31)
            return page(twice, extra=[("Content-Encoding", "gzip, gzip")])
        if path == "/te-gzip-chunked":
            gz = zlib.compress(OK_PAGE, wbits=31)
            half = len(gz) // 2
            body = b"".join(b"%x\r\n" % len(p) + p + b"\r\n" for p in (gz[:half], gz[half:]))
            return (head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                    ("Transfer-Encoding", "gzip, chunked")])
                    + body + b"0\r\n\r\n")
        if path == "/redirect-loop":
            return page(b"", status="302 Found", extra=[("Location", "/redirect-loop")])
        if path.startswith("/redirect-chain/"):
            try:
                n = int(path.rsplit("/", 1)[1])
            except ValueError:
                return None
            return page(b"", status="302 Found", extra=[("Location", f"/redirect-chain/{n - 1}")])
        if path == "/redirect-huge":
            return page(b"", status="302 Found", extra=[("Location", "/ok?" + "a" * 20000)])
        if path == "/redirect-huge-scheme":
            return page(b"", status="302 Found", extra=[("Location", "x" * 8000 + ":y")])
        if path == "/redirect-javascript":
            return page(b"", status="302 Found", extra=[("Location", "javascript:alert(1)")])
        if path == "/redirect-relative-weird":
            return page(b"", status="302 Found",
                        extra=[("Location", f"//127.0.0.1:{self.port}/ok")])
        if path == "/nul-title":
            return page(b"<html><head><title>a\x00b\x00c</title></head><body>\x00</body></html>")
        if path == "/mega-title":
            return page(b"<html><head><title>" + b"M" * (2 << 20) + b"</title></head></html>")
        if path == "/binary":
            return page(self.random_bytes, content_type="application/octet-stream")
        if path == "/binary-as-html":
            return page(self.random_bytes, content_type="text/html")
        if path == "/continue-then-ok":
            return b"HTTP/1.1 100 Continue\r\n\r\n" + page(OK_PAGE)
        if path == "/excess-body":
            # Content-Length 10, then 30 bytes: the excess must not poison the
            # next response read from this kept-alive connection.
            return (head("200 OK", [("Content-Type", "text/html"), ("Content-Length", "10")])
                    + b"<p>ok</p>\n" + b"HELLO WORLD GARBAGE\r\n\r\n")
        if path == "/invalid-utf8-title":
            return page(b"<html><head><title>caf\xe9 \xff\xfe ok</title></head></html>")
        return None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.tasks.add(task)
        try:
            try:
                first = await asyncio.wait_for(reader.read(1), IDLE_SECONDS)
            except TimeoutError:
                return
            if not first:
                return
            if first == b"\x16" and not self.tls:
                # A TLS ClientHello on the plain port: answer in plain HTTP.
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n"
                             b"Connection: close\r\n\r\n")
                await writer.drain()
                return
            prefix = first
            timed_out = False  # /408-next came: the next request gets a 408
            while True:
                path = await read_request(reader, prefix)
                prefix = b""
                if path is None:
                    return
                if timed_out:
                    writer.write(page(b"", status="408 Request Timeout", extra=[("Connection", "close")]))
                    await writer.drain()
                    return
                if path in ("/late-extra", "/late-408", "/408-next", "/408-next-slow"):
                    if path == "/408-next-slow":
                        await asyncio.sleep(0.3)
                    writer.write(page(OK_PAGE))
                    await writer.drain()
                    timed_out = path.startswith("/408-next")
                    if not timed_out:
                        late = asyncio.ensure_future(self.late(path, writer))
                        self.tasks.add(late)
                        late.add_done_callback(self.tasks.discard)
                    continue
                if path in ("/split-last-chunk", "/split-last-chunk-after-data"):
                    # The last chunk's line comes in two pieces, 50 ms apart:
                    # "0\r\n", then the blank line that ends the message.
                    data = b"" if path == "/split-last-chunk" else b"%x\r\n" % len(OK_PAGE) + OK_PAGE + b"\r\n"
                    writer.write(head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                                 ("Transfer-Encoding", "chunked")]) + data + b"0\r\n")
                    await writer.drain()
                    await asyncio.sleep(0.05)
                    writer.write(b"\r\n")
                    await writer.drain()
                    continue
                answer = self.fixed(path)
                if answer is not None:
                    writer.write(answer)
                    await writer.drain()
                    continue
                if path in ("/bomb", "/deflate-bomb"):
                    wrapper = "gzip" if path == "/bomb" else "zlib"
                    bomb = await self.bomb_bytes(wrapper)
                    writer.write(head("200 OK", [("Content-Type", "text/html"),
                                                 ("Content-Encoding",
                                                  "gzip" if wrapper == "gzip" else "deflate"),
                                                 ("Content-Length", str(len(bomb)))]))
                    await send_all(writer, bomb)
                    continue
                await self.misbehave(path, writer)
                return
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ValueError, asyncio.CancelledError):
            pass  # the client gave up, or the server is stopping
        finally:
            self.tasks.discard(task)
            if not writer.is_closing():
                writer.close()

    # Bytes no request asked for, on a kept-alive connection after its answer.
    async def late(self, path: str, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.sleep(0.3)
            if path == "/late-extra":
                writer.write(page(b"<html><head><title>stale</title></head>"
                                  b"<body><span class=\"price\">$9.99</span></body></html>"))
            else:
                writer.write(page(b"", status="408 Request Timeout", extra=[("Connection", "close")]))
            await writer.drain()
            if path == "/late-408":
                writer.close()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass

    # The broken answers: each ends the connection.
    async def misbehave(self, path: str, writer: asyncio.StreamWriter) -> None:
        if path == "/trickle":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Length", "100000")]))
            await trickle(writer, b"<html><head><title>trickle</title></head>" + b"." * 100000)
        elif path == "/silent":
            await asyncio.sleep(IDLE_SECONDS * 10)
        elif path == "/slow-headers":
            await trickle(writer, page(OK_PAGE))
        elif path == "/endless-headers":
            writer.write(b"HTTP/1.1 200 OK\r\n")
            lines = b"X-A: b\r\n" * (CHUNK // 8)
            while not writer.is_closing():
                writer.write(lines)
                await writer.drain()
        elif path == "/endless-continue":
            while not writer.is_closing():
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n" * 1024)
                await writer.drain()
        elif path == "/huge-content-length":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Length", "9" * 40)]) + b"x" * 1000)
            await writer.drain()
        elif path == "/endless-chunk-line":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Transfer-Encoding", "chunked")]) + b"10;a=")
            # 64 MiB, then silence: far past any sane line limit, yet a client
            # that buffers the line whole cannot take the test machine down.
            ext = b"b" * CHUNK
            for _ in range((64 << 20) // CHUNK):
                if writer.is_closing():
                    return
                writer.write(ext)
                await writer.drain()
            await asyncio.sleep(IDLE_SECONDS * 10)
        elif path == "/huge-header":
            writer.write(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n"
                         + page(OK_PAGE).split(b"\r\n", 1)[1])
            await writer.drain()
        elif path == "/big-body":
            size = 50_000_000
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Length", str(size))]))
            block = b"<p>big</p>" * (CHUNK // 10)
            sent = 0
            while sent < size and not writer.is_closing():
                part = block[:size - sent]
                writer.write(part)
                sent += len(part)
                await writer.drain()
        elif path == "/endless-chunked":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Transfer-Encoding", "chunked")]))
            chunk = b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
            # Over TLS, asyncio drops writes to a client that has gone without
            # closing the writer: 256 MB (far past any test's --max-body)
            # keeps this from spinning on.
            sent = 0
            while not writer.is_closing() and sent < 1 << 28:
                writer.write(chunk)
                sent += len(chunk)
                await writer.drain()
        elif path == "/corrupt-gzip":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Encoding", "gzip"),
                                         ("Content-Length", str(len(self.garbage)))])
                         + self.garbage)
            await writer.drain()
        elif path == "/bad-chunked":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Transfer-Encoding", "chunked")])
                         + b"zz-not-hex\r\nhello\r\n0\r\n\r\n")
            await writer.drain()
            await asyncio.sleep(1)
        elif path == "/short-body":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Length", "5000")]) + b"s" * 100)
            await writer.drain()
        elif path == "/reset-mid-body":
            writer.write(head("200 OK", [("Content-Type", "text/html"),
                                         ("Content-Length", "100000")]) + b"r" * 1000)
            await writer.drain()
            await asyncio.sleep(0.2)
            sock = writer.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
        elif path in ("/chunked-twice", "/chunked-then-gzip"):
            codings = "chunked, chunked" if path == "/chunked-twice" else "chunked, gzip"
            writer.write(head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", codings)])
                         + b"%x\r\n" % len(OK_PAGE) + OK_PAGE + b"\r\n0\r\n\r\n")
        elif path == "/endless-trailers":
            writer.write(head("200 OK", [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")])
                         + b"%x\r\n" % len(OK_PAGE) + OK_PAGE + b"\r\n0\r\n")
            line = b"X-Trailer: " + b"t" * 100 + b"\r\n"
            for _ in range(4096):  # 450 KB, then silence
                writer.write(line)
                await writer.drain()
            await asyncio.sleep(IDLE_SECONDS)
        elif path == "/lf-only":
            writer.write(b"HTTP/1.1 200 OK\nContent-Type: text/html\nContent-Length: %d\n\n" % len(OK_PAGE)
                         + OK_PAGE)
        elif path == "/status-000":
            writer.write(page(OK_PAGE, status="000 Zero"))
        elif path == "/switching-protocols":
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                         b"Connection: Upgrade\r\n\r\n\x81\x05hello")
            await writer.drain()
        elif path == "/close-delimited":
            writer.write(head("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                         ("Connection", "close")]) + OK_PAGE)
            await writer.drain()
            await asyncio.sleep(0.2)
            # abort(): the socket closes at once, over TLS without close_notify.
            writer.transport.abort()
        elif path == "/garbage-status":
            writer.write(b"HELLO WORLD\r\n\r\n")
            await writer.drain()
        elif path == "/http09":
            writer.write(b"<html><head><title>nineteen ninety-one</title></head></html>\n")
            await writer.drain()
        elif path == "/no-headers-close":
            writer.write(b"HTTP/1.1 200 OK\r\n")
            await writer.drain()
        else:
            writer.write(page(b"<html><title>not found</title></html>", status="404 Not Found"))
            await writer.drain()


async def read_request(reader: asyncio.StreamReader, prefix: bytes = b"") -> str | None:
    """Reads one request head (a body, if any, is skipped); returns its path or None at EOF.
    prefix: bytes of the head already read."""
    try:
        data = prefix + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_SECONDS)
    except (asyncio.IncompleteReadError, TimeoutError):
        return None
    lines = data.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        return None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length" and value.strip().isdigit():
            await reader.readexactly(int(value.strip()))
    return parts[1].split("?", 1)[0]


async def trickle(writer: asyncio.StreamWriter, data: bytes) -> None:
    for i in range(len(data)):
        if writer.is_closing():
            return
        writer.write(data[i:i + 1])
        await writer.drain()
        await asyncio.sleep(1)


async def send_all(writer: asyncio.StreamWriter, data: bytes) -> None:
    view = memoryview(data)
    for i in range(0, len(data), CHUNK):
        if writer.is_closing():
            return
        writer.write(view[i:i + CHUNK])
        await writer.drain()


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Hostile HTTP server for shoal's tests (127.0.0.1).")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port (default)")
    p.add_argument("--port-file", help="write the chosen port here once listening")
    p.add_argument("--max-seconds", type=float, default=300, help="exit after this long")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="private key for --tls-cert (PEM)")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    return args


async def serve(args: argparse.Namespace) -> int:
    site = Site()
    site.tls = bool(args.tls_cert)
    ctx = loopback_server.tls_context(args.tls_cert, args.tls_key)
    # asyncio warns when a client that went away is still written to: expected here.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    return await loopback_server.serve_site(site, "127.0.0.1", args.port, ctx, backlog=1024,
                                            port_file=args.port_file,
                                            max_seconds=args.max_seconds)


def main(argv: list[str]) -> int:
    return loopback_server.run("hostile_server", serve(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
