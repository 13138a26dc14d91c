#!/usr/bin/env python3
"""A TLS server whose handshakes fail, for shoal's tests (127.0.0.1 only). By
default it is too old to update: it speaks only TLS 1.0 and 1.1, so a modern
client's handshake ends in the server's protocol_version alert, as such
servers answer. With --client-cert-tls 1.2 or 1.3 it speaks that version and
wants a client certificate (signed by its own certificate), which ends the
handshake of a client that sends none: in TLS 1.2 with a handshake_failure
alert, in TLS 1.3 with certificate_required after the client's Finished. It
serves nothing else. Blocking sockets, so the alert is sent before the close
(asyncio's TLS drops it). With --close-in-handshake it reads the ClientHello
and closes the connection without a word, as a server or proxy going down
would. With --client-cert-reset it speaks TLS 1.3, asks for a client
certificate without requiring one, and resets each connection right after
its handshake, as a server whose certificate_required alert a reset
overtook looks to the client.

  python3 tests/old_tls_server.py --port 0 --port-file F --tls-cert C --tls-key K [--client-cert-tls 1.3]
"""

from __future__ import annotations

import argparse
import socket
import ssl
import struct
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import loopback_server  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--max-seconds", type=float, default=300)
    p.add_argument("--tls-cert", required=True)
    p.add_argument("--tls-key", required=True)
    p.add_argument("--client-cert-tls", choices=["1.2", "1.3"])
    p.add_argument("--close-in-handshake", action="store_true")
    p.add_argument("--client-cert-reset", action="store_true")
    args = p.parse_args(argv)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.client_cert_reset:
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_3
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(args.tls_cert)
    elif args.client_cert_tls:
        version = ssl.TLSVersion.TLSv1_2 if args.client_cert_tls == "1.2" else ssl.TLSVersion.TLSv1_3
        ctx.minimum_version = ctx.maximum_version = version
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.tls_cert)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with socket.create_server(("127.0.0.1", args.port)) as listener:
        listener.settimeout(0.5)
        loopback_server.write_port_file(args.port_file, listener.getsockname()[1])
        end = time.monotonic() + args.max_seconds
        while time.monotonic() < end:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                if args.close_in_handshake:
                    try:
                        conn.recv(4096)
                    except OSError:
                        pass
                    continue
                if args.client_cert_reset:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    try:
                        ctx.wrap_socket(conn, server_side=True).close()  # the reset
                    except (ssl.SSLError, OSError):
                        pass
                    continue
                # A second descriptor of the socket: a failed handshake closes
                # the wrapped one, and what the client sent meanwhile (a TLS
                # 1.3 client's request) is read from this one before the
                # close, so that no reset overtakes the alert.
                with conn.dup() as raw:
                    try:
                        tls = ctx.wrap_socket(conn, server_side=True)
                        tls.recv(1)  # TLS 1.3: the client's certificate is checked as its data comes
                        tls.close()
                    except (ssl.SSLError, OSError):
                        pass  # the handshake fails: that is the point
                    raw.settimeout(0.3)
                    try:
                        while raw.recv(4096):
                            pass
                    except OSError:
                        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
