"""Checks on the TLS files (CA certificate, client certificate and key) before connecting.

temporalio hands them to rustls, which reports a CA file without a PEM certificate as a server
certificate "not trusted (UnknownIssuer)" and an X.509 v1 client certificate as an invalid
certificate of the server; read here first, each problem names its file and the fix.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck.errors import ConfigError

if TYPE_CHECKING:
    from temporalio.envconfig import ClientConfigTLS, DataSource

_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----"
)
# The key types rustls reads (PKCS#8, PKCS#1 RSA, SEC1 EC); an encrypted key is none of them.
_PEM_KEY = re.compile(rb"-----BEGIN (?:RSA |EC )?PRIVATE KEY-----")
_ENCRYPTED_KEY = re.compile(rb"-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED")


@dataclass(frozen=True)
class _Item:
    """One TLS input, as the user gave it."""

    what: str
    option: str
    variable: str
    """The environment variable that gives it as data (the ``*_PATH`` twin gives a file)."""
    source: DataSource | None

    def __str__(self) -> str:
        if isinstance(self.source, Path):
            return f"the {self.what} file {self.source}"
        return f"the {self.what} given as data (the profile or {self.variable})"

    @property
    def fix_where(self) -> str:
        return f"{self.option} (or {self.variable.replace('_DATA', '_PATH')}, or the profile)"


def check_tls_files(sources: ClientConfigTLS | None, tls: Any) -> None:
    """Refuse TLS inputs rustls cannot use.

    Args:
        sources: the TLS settings as given (file paths or data).
        tls: the ``temporalio.service.TLSConfig`` made of them (their bytes), or a bool when
            TLS is off or uses the defaults.

    Raises:
        ConfigError: a CA or client certificate without a usable PEM certificate, or a client
            key that is not an unencrypted PEM private key.
    """
    if sources is None or tls is None or isinstance(tls, bool):
        return
    checks = (
        (_Item("CA certificate", "--tls-ca-path", "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
               sources.server_root_ca_cert), tls.server_root_ca_cert, _ca_problem),
        (_Item("TLS client certificate", "--tls-cert-path", "TEMPORAL_TLS_CLIENT_CERT_DATA",
               sources.client_cert), tls.client_cert, _client_certificate_problem),
        (_Item("TLS client key", "--tls-key-path", "TEMPORAL_TLS_CLIENT_KEY_DATA",
               sources.client_private_key), tls.client_private_key, _key_problem),
    )  # fmt: skip
    for item, data, problem_of in checks:
        problem = problem_of(item, data) if item.source is not None and data else None
        if problem:
            raise ConfigError(f"{problem}.")


def _ca_problem(item: _Item, data: bytes) -> str | None:
    if _PEM_CERTIFICATE.search(data):
        return None
    if isinstance(item.source, Path) and data.startswith(b"\x30"):  # a DER SEQUENCE
        return (
            f"{item} is DER, not PEM; convert it with `openssl x509 -inform der -in "
            f"{item.source} -out ca.pem` and give ca.pem to {item.option}"
        )
    return (
        f"{item} holds no PEM certificate; give {item.fix_where} the certificate of the CA that "
        "signed the server's, as PEM (-----BEGIN CERTIFICATE-----)"
    )


def _client_certificate_problem(item: _Item, data: bytes) -> str | None:
    found = _PEM_CERTIFICATE.search(data)
    if found is None:
        return (
            f"{item} holds no PEM certificate; give {item.fix_where} the client certificate as "
            "PEM (-----BEGIN CERTIFICATE-----)"
        )
    if _x509_version(found.group(1)) == 1:  # rustls: UnsupportedCertVersion
        return (
            f"{item} is an X.509 v1 certificate, which temporalio's TLS library refuses; reissue "
            "it as v3 (give `openssl x509 -req` an -extfile holding e.g. "
            f"extendedKeyUsage=clientAuth) and pass that to {item.option}"
        )
    return None


def _key_problem(item: _Item, data: bytes) -> str | None:
    if _ENCRYPTED_KEY.search(data):  # before _PEM_KEY: an old-style encrypted key matches both
        given = item.source if isinstance(item.source, Path) else "encrypted.key"
        return (
            f"{item} is encrypted; decrypt it with `openssl pkey -in {given} -out client.key` "
            f"and give client.key to {item.option}"
        )
    if _PEM_KEY.search(data):
        return None
    return (
        f"{item} holds no PEM private key; give {item.fix_where} the client certificate's "
        "private key as PEM (-----BEGIN PRIVATE KEY-----)"
    )


def _x509_version(base64_body: bytes) -> int | None:
    """The X.509 version of a PEM certificate's body (``None`` if it cannot be read)."""
    try:
        der = base64.b64decode(b"".join(base64_body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    # Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] EXPLICIT Version DEFAULT v1, ...
    tbs = _content(der, 0)
    first = _content(der, tbs) if tbs is not None else None
    if first is None or first >= len(der):
        return None
    if der[first] != 0xA0:  # no version field: the default, v1
        return 1
    version = der[first + 2 : first + 5]  # INTEGER, length 1, the value (0-based)
    return version[2] + 1 if len(version) == 3 and version[:2] == b"\x02\x01" else None


def _content(der: bytes, at: int) -> int | None:
    """Where the content of the DER element starting at ``at`` begins."""
    if at + 2 > len(der):
        return None
    length = der[at + 1]
    return at + 2 + (length & 0x7F if length & 0x80 else 0)
