#!/usr/bin/env python3
"""A small HTTP proxy for shoal's --proxy tests (loopback only).

  CONNECT 127.x.y.z:PORT   opens a tunnel and relays bytes both ways
  GET http://127.x.y.z:PORT/path HTTP/1.1
                           fetches the URL from the site over a new connection
                           (its Proxy-Authorization removed, Connection: close)
                           and relays the answer, then closes

With --auth USER:PASS, a request without that Basic Proxy-Authorization gets
407. With --refuse, every CONNECT gets 403; with --busy S, 429 with
Retry-After: S. A target outside 127.0.0.0/8 gets
403 too: the tests never leave loopback. Every request is appended to --log
as one line: METHOD TARGET AUTH, where AUTH is the Proxy-Authorization value
or '-'.

  python3 tests/proxy_server.py --port 0 --port-file /tmp/port --log /tmp/log --max-seconds 300
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import ipaddress
import os
import signal
import urllib.parse


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        return False


class Proxy:
    def __init__(self, args: argparse.Namespace) -> None:
        self.log_path = args.log
        self.refuse = args.refuse
        self.busy = args.busy
        self.want = None
        if args.auth:
            self.want = "Basic " + base64.b64encode(args.auth.encode()).decode()

    def log(self, method: str, target: str, auth: str | None) -> None:
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(f"{method} {target} {auth or '-'}\n")

    async def answer(self, writer: asyncio.StreamWriter, status: str, extra: str = "") -> None:
        writer.write(f"HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = (lines[0].split(" ") + ["", "", ""])[:3]
        headers = [tuple(x.split(":", 1)) for x in lines[1:] if ":" in x]
        auth = next((v.strip() for k, v in headers if k.strip().lower() == "proxy-authorization"), None)
        self.log(method, target, auth)
        if self.want is not None and auth != self.want:
            await self.answer(writer, "407 Proxy Authentication Required")
            return
        if method == "CONNECT":
            await self.tunnel(target, reader, writer)
        elif method == "GET" and target.startswith("http://"):
            await self.forward(target, headers, writer)
        else:
            await self.answer(writer, "400 Bad Request")

    async def tunnel(self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, _, port = target.rpartition(":")
        host = host.strip("[]")
        if self.refuse or not loopback(host):
            await self.answer(writer, "403 Forbidden")
            return
        if self.busy is not None:
            await self.answer(writer, "429 Too Many Requests", f"Retry-After: {self.busy}\r\n")
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            await self.answer(writer, "502 Bad Gateway")
            return
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    async def forward(self, target: str, headers: list, writer: asyncio.StreamWriter) -> None:
        u = urllib.parse.urlsplit(target)
        if not loopback(u.hostname or ""):
            await self.answer(writer, "403 Forbidden")
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(u.hostname, u.port or 80)
        except OSError:
            await self.answer(writer, "502 Bad Gateway")
            return
        path = (u.path or "/") + ("?" + u.query if u.query else "")
        keep = [(k, v) for k, v in headers if k.strip().lower() not in ("proxy-authorization", "connection")]
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}:{v}\r\n" for k, v in keep) + "Connection: close\r\n\r\n"
        up_writer.write(req.encode("latin-1"))
        await up_writer.drain()
        while data := await up_reader.read(65536):
            writer.write(data)
            await writer.drain()
        up_writer.close()
        writer.close()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--auth", help="USER:PASS the proxy asks for")
    ap.add_argument("--refuse", action="store_true", help="answer 403 to every CONNECT")
    ap.add_argument("--busy", type=int, help="answer 429 with this Retry-After to every CONNECT")
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(str(port))
        os.replace(tmp, args.port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), args.max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
