"""A TLS-terminating proxy in front of a real Temporal server, and certificates to use with it.

The dev server speaks plain gRPC only; Temporal Cloud and most self-hosted clusters speak TLS,
some asking for a client certificate (mTLS). The proxy accepts TLS (optionally requiring a
client certificate signed by a given CA) and forwards the decrypted bytes to the dev server, so
the connection code meets real handshakes and a real frontend behind them.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.fake_grpc import accepting

_CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key (PEM files)."""

    cert: Path
    key: Path


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)


def make_ca(directory: Path, name: str) -> Issued:
    """A throw-away self-signed CA, valid for a day (made with the ``openssl`` command)."""
    ca = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl("req", "-x509", *_CURVE, "-keyout", ca.key, "-out", ca.cert,
             "-subj", f"/CN={name}", "-days", "1")  # fmt: skip
    return ca


def issue(ca: Issued, directory: Path, name: str, extensions: str | None) -> Issued:
    """A certificate for ``name`` signed by ``ca``; ``extensions`` (an openssl extfile's text)
    makes it X.509 v3, ``None`` makes the v1 certificate plain ``openssl x509 -req`` makes."""
    issued = Issued(directory / f"{name}.pem", directory / f"{name}.key")
    request = directory / f"{name}.csr"
    _openssl("req", *_CURVE, "-keyout", issued.key, "-out", request, "-subj", f"/CN={name}")
    extfile: list[object] = []
    if extensions is not None:
        (directory / f"{name}.ext").write_text(extensions)
        extfile = ["-extfile", directory / f"{name}.ext"]
    _openssl("x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key,
             "-CAcreateserial", "-out", issued.cert, "-days", "1", *extfile)  # fmt: skip
    return issued


SERVER_EXTENSIONS = "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
CLIENT_EXTENSIONS = "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"


def server_context(server: Issued, client_ca: Path | None = None) -> ssl.SSLContext:
    """TLS for the proxy's side; with ``client_ca`` a client certificate it signed is required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server.cert, server.key)
    context.set_alpn_protocols(["h2"])
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


class _Tls:
    """The proxy's end of one TLS connection, driven by hand through memory buffers so that a
    refused handshake can end either as servers usually end it (a TLS alert) or abruptly."""

    def __init__(self, conn: socket.socket, context: ssl.SSLContext) -> None:
        self.conn = conn
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)

    def flush(self) -> None:
        if data := self.outgoing.read():
            self.conn.sendall(data)

    def feed(self) -> bool:
        """Read what the client sent; ``False`` once it has closed."""
        data = self.conn.recv(65536)
        if data:
            self.incoming.write(data)
        else:
            self.incoming.write_eof()
        return bool(data)

    def handshake(self, alert: Callable[[], bool]) -> bool:
        while True:
            try:
                self.tls.do_handshake()
                self.flush()
                return True
            except ssl.SSLWantReadError:
                self.flush()
                if not self.feed():
                    return False
            except ssl.SSLError:
                if alert():  # the alert OpenSSL wrote, as a real server sends it
                    self.flush()
                    self.linger()
                return False

    def linger(self) -> None:
        """Read until the client hangs up: closing with its data unread would send a reset,
        which may reach the client before the alert does (and the tests want the alert)."""
        self.conn.shutdown(socket.SHUT_WR)
        self.conn.settimeout(5)
        while self.conn.recv(65536):
            pass

    def read(self) -> bytes:
        """The application data decrypted so far (``b""`` if none yet)."""
        chunks = []
        with contextlib.suppress(ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            while data := self.tls.read(65536):
                chunks.append(data)
        self.flush()  # e.g. an answer to a key update
        return b"".join(chunks)

    def write(self, data: bytes) -> None:
        self.tls.write(data)
        self.flush()


def _serve(conn: socket.socket, context: ssl.SSLContext, upstream: tuple[str, int],
           alert: Callable[[], bool], stop: threading.Event) -> None:  # fmt: skip
    with conn, contextlib.suppress(OSError, ssl.SSLError):
        client = _Tls(conn, context)
        if not client.handshake(alert):
            return
        with socket.create_connection(upstream) as up:
            while not stop.is_set():
                ready, _, _ = select.select([conn, up], [], [], 0.1)
                if conn in ready:
                    if not client.feed():
                        return
                    up.sendall(client.read())
                if up in ready:
                    data = up.recv(65536)
                    if not data:
                        return
                    client.write(data)


@contextlib.contextmanager
def tls_proxy(
    upstream: str, context: ssl.SSLContext, *, alert: bool = True, lose_first: bool = False
) -> Iterator[str]:
    """Listen on 127.0.0.1 with ``context`` and forward every connection to ``upstream``
    (``host:port``); yields the proxy's ``host:port``. A refused handshake ends with the TLS
    alert OpenSSL chose, or (``alert=False``) with the connection closed and nothing sent.

    ``lose_first``: the first refused handshake ends with nothing sent, the later ones with the
    alert: what a client sees when the reset of a server closing with its request unread
    overtakes the alert (hyper, in core, about one refusal in six on a loaded machine), while
    a client that sends nothing and reads gets the alert."""
    host, port = upstream.rsplit(":", 1)
    refusals = itertools.count()
    lock = threading.Lock()

    def alert_now() -> bool:
        with lock:
            first = next(refusals) == 0
        return alert and not (lose_first and first)

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        _serve(conn, context, (host, int(port)), alert_now, stop)

    with accepting(handle) as address:
        yield address
