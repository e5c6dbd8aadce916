"""One sentence for each way connecting to, or calling, a Temporal cluster fails, with the
flag or setting to check; secrets are redacted from every message."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from replaycheck._tls_errors import (
    TLS_FILES,
    closed_reason,
    closed_without_alert,
    tls_reason,
)
from replaycheck.errors import ClusterConnectionError

if TYPE_CHECKING:
    from replaycheck.connection import Connection


_STATUS = re.compile(r"code: (\w+), message: \"((?:[^\"\\]|\\.)*)\"")


def connect_error(
    text: str, connection: Connection, lost: str | None = None
) -> ClusterConnectionError:
    """One sentence for core's ``Failed client connect: ...`` text; ``lost``: the TLS alert
    the server sent that core lost (``replaycheck._tls_probe``)."""
    where = connection.display_address
    reason = _client_file_reason(text) or _network_reason(text, where, connection.tls)
    if reason is None and connection.tls:
        reason = tls_reason(text, connection, lost)
    if reason is None and ("ConnectionReset" in text or "BrokenPipe" in text):
        reason = (
            f"the server at {where} closed the connection without answering; check --address "
            f"({_FRONTEND_PORT}) and whether the server expects TLS (--tls / --no-tls)"
        )
    if reason is None:
        status = _STATUS.search(text)
        if status is not None:
            return first_call_error(status.group(1), status.group(2), connection, lost)
        reason = f"cannot connect to Temporal at {where} ({_short(text)}); check --address"
    return ClusterConnectionError(connection.redact(reason) + ".")


def _client_file_reason(text: str) -> str | None:
    """The client certificate or key could not be used (most are refused before connecting,
    by ``_tls_files``; these are what rustls still finds wrong)."""
    if "PrivateKeyParseError" in text:
        return f"the TLS client key is not a PEM private key; check --tls-key-path {TLS_FILES}"
    if "NoCertificatesPresented" in text:
        return (
            "the TLS client certificate file holds no PEM certificate; check --tls-cert-path "
            + TLS_FILES
        )
    if "InconsistentKeys" in text:
        return (
            "the TLS client key does not belong to the client certificate; check "
            f"--tls-cert-path and --tls-key-path {TLS_FILES}"
        )
    return None


def _network_reason(text: str, where: str, tls: bool) -> str | None:
    if "dns error" in text:
        return f"cannot resolve the host name of {where}; check --address"
    if "Connection refused" in text or "ConnectionRefused" in text:
        return (
            f"cannot connect to Temporal at {where}: connection refused"
            f"{_no_port(where, tls)}; check --address (or TEMPORAL_ADDRESS, or the profile) and "
            "that the server is up"
        )
    return None


def _no_port(where: str, tls: bool) -> str:
    """What a refused address without a port adds: the client tried HTTP's (HTTPS's) port."""
    host = where.rpartition("]")[2] if where.startswith("[") else where
    if ":" in host:
        return ""
    tried = 443 if tls else 80
    return f" (no port given, so port {tried} was tried; give {_FRONTEND_PORT}: {where}:7233)"


_FRONTEND_PORT = "the frontend's gRPC port, 7233 by default"


def first_call_error(
    code: str, message: str, connection: Connection, lost: str | None = None
) -> ClusterConnectionError:
    """The first call after connecting failed: unless the server refused us or our namespace,
    whatever answered is not a Temporal frontend (an HTTP server, another gRPC service).
    ``lost``: the TLS alert the server sent that core lost (``replaycheck._tls_probe``)."""
    normalized = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", code).upper()
    # What a server that is no gRPC server (HTTP/1.1, say) or another gRPC service gets.
    foreign = normalized in ("UNIMPLEMENTED", "UNKNOWN", "CANCELLED") or (
        normalized == "INTERNAL" and re.search(r"h2|http|protocol", message, re.I) is not None
    )
    where = connection.display_address
    dropped = closed_reason(connection, message, lost) if connection.tls and foreign else None
    if dropped is not None:  # e.g. an mTLS server that refused the client certificate
        return ClusterConnectionError(connection.redact(dropped) + ".")
    if not foreign and normalized not in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
        return _status_error(code, message, connection)  # a Temporal server said no
    if normalized in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
        reason = (
            f"Temporal at {where} is not available ({_short(message)}); check --address "
            "(or TEMPORAL_ADDRESS, or the profile) and that the server is up"
        )
    else:
        reason = (
            f"the server at {where} did not answer as a Temporal frontend ({_short(message)}); "
            f"check --address ({_FRONTEND_PORT})"
        )
    return ClusterConnectionError(connection.redact(reason) + ".")


def cluster_error(exc: Any, connection: Connection, doing: str = "") -> ClusterConnectionError:
    """One sentence for an ``RPCError`` (``doing``: what was being done, for the message)."""
    return _status_error(exc.status.name, exc.message, connection, doing)


def _status_error(
    code: str, message: str, connection: Connection, doing: str = ""
) -> ClusterConnectionError:
    where, namespace = connection.display_address, connection.namespace
    normalized = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", code).upper()
    during = f" while {doing}" if doing else ""
    if normalized == "UNAUTHENTICATED":
        reason = (
            f"Temporal at {where} refused the credentials{during} ({_short(message)}); check "
            "--api-key (or TEMPORAL_API_KEY, or the profile) or the TLS client certificate"
        )
    elif normalized == "PERMISSION_DENIED":
        reason = (
            f"the credentials may not use namespace {namespace!r} at {where}{during} "
            f"({_short(message)}); check --namespace and the key's permissions"
        )
    elif normalized == "NOT_FOUND" and not doing:
        reason = f"namespace {namespace!r} was not found at {where}; check --namespace"
    elif normalized in ("UNAVAILABLE", "DEADLINE_EXCEEDED", "CANCELLED"):
        reason = f"lost the connection to Temporal at {where}{during} ({_short(message)})"
    else:
        reason = f"Temporal at {where} answered {normalized}{during}: {_short(message)}"
    return ClusterConnectionError(connection.redact(reason) + ".")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).rstrip(".")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def alert_lost(text: str, connection: Connection) -> bool:
    """Whether a TLS server closed the connection on a client that gave no certificate,
    without the alert that says why reaching core: ``replaycheck._tls_probe`` asks again."""
    tls = connection.connect_kwargs.get("tls")
    return (
        connection.tls and getattr(tls, "client_cert", None) is None and closed_without_alert(text)
    )
