"""One sentence for each way a TLS connection to a Temporal cluster fails, read from the rustls
words in core's error text (``received fatal alert: UnknownCA``, ``NotValidForNameContext``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck.connection import Connection

TLS_FILES = "(or the TEMPORAL_TLS_* variables, or the profile)"

_ALERT = re.compile(r"received fatal alert: (\w+)")
_CERTIFICATE = re.compile(r"InvalidCertificate\((?:\w+\()*(\w+)")  # the innermost reason
# The server hung up without a word: one refusing the client certificate may do just that, and
# hyper reports some alerts as the connection closing. Under TLS 1.3 the client's handshake is
# over before the server judges its certificate, so this is the first call failing.
_CLOSED = re.compile(
    r"ConnectionReset|BrokenPipe|UnexpectedEof|close_notify|connection closed"
    r"|hyper::Error\((?:Canceled|Io)|^operation was canceled$|^transport error$"
)
_CLIENT_CERTIFICATE_ALERTS = frozenset({
    "BadCertificate", "UnsupportedCertificate", "CertificateRevoked", "CertificateExpired",
    "CertificateUnknown", "UnknownCA", "AccessDenied",
})  # fmt: skip
_SIGNED = "check that --tls-cert-path is signed by a CA the server trusts"


def closed_without_alert(text: str) -> bool:
    """Whether core's error ``text`` says the connection was closed, and no alert said why
    (the server may have sent one that was lost: ``replaycheck._tls_probe``)."""
    return _ALERT.search(text) is None and _CLOSED.search(text) is not None


def tls_reason(text: str, connection: Connection, lost: str | None = None) -> str | None:
    """The sentence (without its full stop) for core's error ``text`` when TLS was on, or
    ``None`` if the failure is not about TLS; ``lost``: the alert the server sent that core
    lost (:func:`replaycheck._tls_probe.lost_alert`)."""
    where = connection.display_address
    has_client_cert = getattr(connection.connect_kwargs.get("tls"), "client_cert", None) is not None
    alert = _ALERT.search(text)
    if alert is not None or lost is not None:
        return _alert_reason(alert.group(1) if alert else str(lost), where, has_client_cert)
    if "InvalidContentType" in text or "CorruptMessage" in text:
        return (
            f"the TLS handshake with {where} failed: the server does not speak TLS; connect "
            "without TLS (--no-tls) or check --address"
        )
    certificate = _CERTIFICATE.search(text)
    if certificate is not None:
        if "ConnectError" not in text and has_client_cert:  # refused before connecting: ours
            return (
                f"the TLS client certificate cannot be used ({_words(certificate.group(1))}); "
                f"check --tls-cert-path {TLS_FILES}"
            )
        return _server_certificate_reason(certificate.group(1), text, connection)
    if _CLOSED.search(text):
        return closed_reason(connection)
    if "certificate" in text.lower():
        return (
            f"the TLS certificate of {where} is not trusted; check --tls-ca-path and "
            "--tls-server-name"
        )
    return None


def _alert_reason(alert: str, where: str, has_client_cert: bool) -> str:
    if alert == "CertificateRequired" or (
        not has_client_cert and alert in _CLIENT_CERTIFICATE_ALERTS
    ):
        return (
            f"the server at {where} requires a TLS client certificate (mTLS); give "
            f"--tls-cert-path and --tls-key-path {TLS_FILES}"
        )
    if alert in _CLIENT_CERTIFICATE_ALERTS:
        return (
            f"the server at {where} refused the TLS client certificate ({_words(alert)}); "
            f"{_SIGNED} and is still valid"
        )
    return (
        f"the TLS handshake with {where} failed: the server sent the alert "
        f"'{_words(alert)}'; check --address and the --tls-* options"
    )


def closed_reason(
    connection: Connection, message: str | None = None, lost: str | None = None
) -> str | None:
    """The sentence for a TLS connection the server closed; given the ``message`` of a failed
    first call, ``None`` unless that message says the connection was dropped. ``lost``: the
    alert the server sent that core lost, which says why."""
    if message is not None and not _CLOSED.search(message):
        return None
    where = connection.display_address
    has_client_cert = getattr(connection.connect_kwargs.get("tls"), "client_cert", None) is not None
    if lost is not None:
        return _alert_reason(lost, where, has_client_cert)
    if has_client_cert:
        return (
            f"the server at {where} closed the TLS connection without answering, so it may "
            f"have refused the client certificate; {_SIGNED}, and check --address"
        )
    return (
        f"the server at {where} closed the TLS connection without answering; if it requires "
        f"a client certificate (mTLS) give --tls-cert-path and --tls-key-path {TLS_FILES}, "
        "else check --address and whether it expects TLS (--tls / --no-tls)"
    )


def _server_certificate_reason(problem: str, text: str, connection: Connection) -> str:
    where = connection.display_address
    if problem.startswith("NotValidForName"):
        return _name_reason(text, connection)
    if problem == "UnknownIssuer":
        signer = connection.tls_ca or "a CA this machine trusts"
        return (
            f"the TLS certificate of {where} is not trusted: {signer} did not sign it; give "
            f"the CA that did with --tls-ca-path {TLS_FILES}"
        )
    if problem == "UnsupportedCertVersion":
        return (
            f"the TLS certificate of {where} is an X.509 v1 certificate, which temporalio's "
            "TLS library refuses; the server needs a v3 certificate"
        )
    return (
        f"the TLS certificate of {where} is not trusted ({_words(problem)}); check "
        "--tls-ca-path and --tls-server-name"
    )


def _name_reason(text: str, connection: Connection) -> str:
    """The certificate is valid, but for other names: rustls lists them (``presented``)."""
    where = connection.display_address
    # The name checked: --tls-server-name, else the address's host (rustls shows an IP address
    # as the Debug form of its bytes).
    domain = getattr(connection.connect_kwargs.get("tls"), "domain", None)
    expected = domain or where.rsplit(":", 1)[0].strip("[]")
    presented = re.search(r"presented: \[([^\]]*)\]", text)
    if presented is None:
        return (
            f"the TLS certificate of {where} is not for {expected}; set --tls-server-name to a "
            "name it is for"
        )
    names = re.findall(r"\w+\(\\?\"?([^\"\\)]+)", presented.group(1))
    if not names:
        return (
            f"the TLS certificate of {where} names no host (it has no subjectAltName), so it "
            f"is not valid for {expected}; the server needs a certificate whose "
            "subjectAltName holds the name clients connect by"
        )
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return (
        f"the TLS certificate of {where} is for {listed}, not {expected}; set "
        "--tls-server-name to one of them"
    )


def _words(name: str) -> str:
    """``UnknownCA`` as ``unknown CA``."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)
    return " ".join(word if word.isupper() else word.lower() for word in words)
