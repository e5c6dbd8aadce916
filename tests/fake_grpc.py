"""A gRPC server that refuses every call, for testing failed authentication without a cluster.

The dev server does not check API keys, so "a wrong API key" needs a server that does. This one
speaks just enough HTTP/2 (optionally over TLS) to answer every request with a trailers-only
response ``grpc-status: 16`` (UNAUTHENTICATED), as Temporal Cloud answers a bad key.
"""

from __future__ import annotations

import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HEADERS, SETTINGS, PING = 0x1, 0x4, 0x6
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return (
        struct.pack(">I", len(payload))[1:]
        + bytes([kind, flags])
        + struct.pack(">I", stream)
        + payload
    )


def _literal(name: bytes, value: bytes) -> bytes:
    """HPACK literal header field without indexing, new name, no Huffman coding."""
    assert len(name) < 127 and len(value) < 127
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


def _refusal(message: bytes) -> bytes:
    return (
        b"\x88"  # :status 200 (static table entry 8)
        + _literal(b"content-type", b"application/grpc")
        + _literal(b"grpc-status", b"16")
        + _literal(b"grpc-message", message)
    )


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _serve_connection(conn: socket.socket, message: bytes) -> None:
    with conn:
        try:
            if _read_exactly(conn, len(PREFACE)) != PREFACE:  # e.g. a TLS hello: answer as Go does
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
                return
            conn.sendall(_frame(SETTINGS, 0, 0))
            while True:
                head = _read_exactly(conn, 9)
                length = int.from_bytes(head[:3], "big")
                kind, flags = head[3], head[4]
                stream = int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
                payload = _read_exactly(conn, length)
                if kind == SETTINGS and not flags & ACK:
                    conn.sendall(_frame(SETTINGS, ACK, 0))
                elif kind == PING and not flags & ACK:
                    conn.sendall(_frame(PING, ACK, 0, payload))
                elif kind == HEADERS:
                    conn.sendall(
                        _frame(HEADERS, END_STREAM | END_HEADERS, stream, _refusal(message))
                    )
        except (ConnectionError, OSError, ssl.SSLError):
            return


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate it signed for ``localhost`` / 127.0.0.1, valid
    for a day (made with the ``openssl`` command). Returns ``(ca, server cert, server key)``."""
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = (
        directory / "server.pem",
        directory / "server.key",
        directory / "server.csr",
    )
    ext = directory / "server.ext"
    ext.write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["req", "-x509", *curve, "-keyout", ca_key, "-out", ca, "-subj", "/CN=replaycheck test CA",
         "-days", "1"],
        ["req", *curve, "-keyout", key, "-out", request, "-subj", "/CN=localhost"],
        ["x509", "-req", "-in", request, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "1", "-extfile", ext],
    ):  # fmt: skip
        subprocess.run(["openssl", *map(str, command)], check=True, capture_output=True)
    return ca, cert, key


@contextmanager
def refusing_server(
    certificate: tuple[Path, Path] | None = None, message: bytes = b"invalid API key"
) -> Iterator[str]:
    """Run the server on 127.0.0.1 (TLS with ``certificate`` as ``(cert, key)``); yields its
    ``host:port``."""
    context: ssl.SSLContext | None = None
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(certificate[0]), str(certificate[1]))
        context.set_alpn_protocols(["h2"])

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        if context is not None:
            try:
                conn = context.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                conn.close()
                return
        _serve_connection(conn, message)

    with accepting(handle) as address:
        yield address


@contextmanager
def accepting(handle: Callable[[socket.socket, threading.Event], None]) -> Iterator[str]:
    """Listen on 127.0.0.1 and run ``handle(connection, stop)`` in a thread for each
    connection; yields the ``host:port``. ``stop`` is set when the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)  # so that the accepting thread sees ``stop`` soon
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            threading.Thread(target=handle, args=(conn, stop), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)
