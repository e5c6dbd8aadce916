"""The TLS alert core lost: asking the server again, quietly, why it closed the connection.

A server that requires a client certificate (mTLS) and got none judges it once the client's
handshake is over (TLS 1.3), sends an alert and closes. The client (hyper, in core) has already
sent its first request by then, so the server closes with that request unread, and the reset
this sends may reach the client before the alert does: core then reports the connection as
closed, and the alert, which said why, is lost (about one refusal in six on a loaded machine).

:func:`lost_alert` shakes hands with the server once more, without a client certificate (none
was given), sends nothing and reads: the server's alert then arrives whole. No credential is
sent: only a TLS handshake, with no client certificate and no API key.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck.connection import Connection

_OPENSSL_ALERT = re.compile(r"^(?:SSLV3|TLSV1|TLSV13)_ALERT_(\w+)$")
"""OpenSSL's name of a received alert (``TLSV13_ALERT_CERTIFICATE_REQUIRED``)."""
_ACRONYMS = {"CA": "CA"}


def lost_alert(connection: Connection, timeout: float) -> str | None:
    """The alert a server sends a TLS client that gives no client certificate, in rustls's
    spelling (``CertificateRequired``); ``None`` when it sends none (it accepts such clients,
    or hangs up without a word, or cannot be reached now). Blocks up to ``timeout`` seconds."""
    import socket
    import ssl
    import time

    tls = connection.connect_kwargs.get("tls")
    if not connection.tls or getattr(tls, "client_cert", None) is not None:
        return None  # only the refusal of a client without a certificate is asked about
    host, _, port = connection.display_address.rpartition(":")
    host = host.strip("[]")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # nothing is sent to it: only its answer is read
    context.set_alpn_protocols(["h2"])
    name = getattr(tls, "domain", None) or host
    end = time.monotonic() + timeout
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as raw:
            raw.settimeout(max(end - time.monotonic(), 0.001))
            with context.wrap_socket(raw, server_hostname=name) as conn:
                conn.settimeout(max(end - time.monotonic(), 0.001))
                conn.recv(1)  # the server's verdict on the certificate, or its first frame
    except ssl.SSLError as exc:
        found = _OPENSSL_ALERT.match(str(exc.reason or ""))
        if found is None:
            return None
        return "".join(_ACRONYMS.get(word, word.title()) for word in found.group(1).split("_"))
    except (OSError, ValueError):
        return None
    return None
