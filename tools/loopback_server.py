"""The lifecycle shared by shoal's loopback test servers.

tools/local_site.py and tests/hostile_server.py differ in what they answer, not
in how they run: an asyncio streams server on one port, the chosen port written
to --port-file, quiet about clients that go away, stopped by SIGTERM, SIGINT or
--max-seconds, its open connections cancelled on the way out.

    class Site:                    # any object with these three
        port: int                  # set here once listening
        tasks: set[asyncio.Task]   # the connections handle() is serving
        async def handle(self, reader, writer): ...

    def main(argv):
        args = parse_args(argv)
        return loopback_server.run("my_server", serve(args))

    async def serve(args):
        ctx = loopback_server.tls_context(args.tls_cert, args.tls_key)
        return await loopback_server.serve_site(Site(), "127.0.0.1", args.port, ctx,
                                                backlog=1024, port_file=args.port_file,
                                                max_seconds=args.max_seconds)

Stdlib only.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

MAX_HEAD = 64 * 1024  # the longest request head a server reads


def tls_context(cert: str | None, key: str | None,
                alpn: list[str] | None = None) -> ssl.SSLContext | None:
    """A server context for cert and key (PEM files), or None without a cert."""
    if not cert:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


def write_port_file(path: str, port: int) -> None:
    """Writes "PORT\\n" to path atomically, through a temporary of this process's own."""
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def quiet_exceptions(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """Clients that drop connections or refuse our certificate are expected, not errors.
    (ConnectionError, ssl.SSLError and TimeoutError are all OSErrors.)"""
    if isinstance(context.get("exception"), OSError):
        return
    loop.default_exception_handler(context)


async def serve_site(site: Any, host: str, port: int, ctx: ssl.SSLContext | None, *,
                     backlog: int, port_file: str | None, max_seconds: float,
                     also: Sequence[str] = ()) -> int:
    """Serves site.handle on host:port (and on the same port of each address in
    `also`) until SIGTERM, SIGINT or max_seconds, then cancels the connections
    in site.tasks. Returns 0 (the exit status)."""
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exceptions)
    server = await asyncio.start_server(site.handle, host, port, ssl=ctx, backlog=backlog,
                                        limit=MAX_HEAD, reuse_address=True)
    site.port = server.sockets[0].getsockname()[1]
    servers = [server]
    for other in also:
        servers.append(await asyncio.start_server(site.handle, other, site.port, ssl=ctx,
                                                  backlog=backlog, limit=MAX_HEAD,
                                                  reuse_address=True))
    if port_file:
        write_port_file(port_file, site.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), max_seconds)
    except TimeoutError:
        pass
    for s in servers:
        s.close()
    for task in list(site.tasks):
        task.cancel()
    await asyncio.gather(*site.tasks, return_exceptions=True)
    return 0


def run(name: str, main: Coroutine[Any, Any, int]) -> int:
    """Runs main; an OSError (a port in use, an unreadable certificate) is one line on
    stderr, "NAME: ERROR", and exit status 2."""
    try:
        return asyncio.run(main)
    except OSError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 2
