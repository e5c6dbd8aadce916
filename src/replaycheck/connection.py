"""Connecting to a Temporal cluster the way the ``temporal`` CLI does.

The same flags (``--address``, ``--namespace``, ``--api-key``, ``--tls-*``, ``--profile``), the
same ``TEMPORAL_*`` environment variables and ``temporal.toml`` profiles, read through
``temporalio.envconfig``. Precedence: flag > environment variable > profile > default
(``localhost:7233``, namespace ``default``). Every failure to connect is a
:class:`~replaycheck.errors.ClusterConnectionError` of one sentence, raised within a bounded
time; secrets (the API key, TLS key material) never appear in a message.

Those sentences (``connect_error``, ``cluster_error``, re-exported here) are made in
``replaycheck._connection_errors``; the flags are added to a command by
``replaycheck._connection_options``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck._connection_errors import alert_lost, first_call_error
from replaycheck._connection_errors import cluster_error as cluster_error
from replaycheck._connection_errors import connect_error as connect_error
from replaycheck._tls_files import check_tls_files
from replaycheck.errors import ClusterConnectionError, ConfigError

if TYPE_CHECKING:
    from temporalio.client import Client
    from temporalio.envconfig import ClientConfigProfile, ClientConfigTLS

DEFAULT_ADDRESS = "localhost:7233"
DEFAULT_NAMESPACE = "default"
DEFAULT_CONNECT_TIMEOUT = 10.0
"""Seconds to wait for the server to answer when connecting."""
RPC_TIMEOUT = 60.0
"""Deadline, in seconds, of each call after connecting (one page of a history, of a listing)."""


@dataclass(frozen=True)
class ConnectionOptions:
    """Connection settings as given on the command line; ``None`` means "not given"."""

    address: str | None = None
    namespace: str | None = None
    api_key: str | None = field(default=None, repr=False)
    tls: bool | None = None
    """``--tls`` / ``--no-tls``; TLS is also on when an API key or a TLS file is given."""
    tls_cert_path: str | None = None
    tls_key_path: str | None = None
    tls_ca_path: str | None = None
    tls_server_name: str | None = None
    profile: str | None = None
    """Profile of the client configuration file (``TEMPORAL_CONFIG_FILE``, else
    ``temporal.toml`` in the user's config directory)."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT


@dataclass(frozen=True)
class Connection:
    """Where and how to connect, resolved from flags, environment and profile."""

    address: str
    namespace: str
    tls: bool
    timeout: float = DEFAULT_CONNECT_TIMEOUT
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Texts that must never be shown (the API key)."""
    connect_kwargs: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """Keyword arguments for ``temporalio.client.Client.connect``."""
    tls_ca: str | None = None
    """The CA certificate given, as messages name it (``the CA in FILE``); ``None``: none."""

    @property
    def display_address(self) -> str:
        """The address without any credentials in it (safe to print and to record)."""
        return safe_address(self.address)

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by ``***``."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def safe_address(address: str) -> str:
    """``host:port`` of an address, without a scheme, user info or query."""
    text = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", address.strip())
    text = text.rsplit("@", 1)[-1]
    return re.split(r"[/?#]", text, maxsplit=1)[0]


# --------------------------------------------------------------------------- resolving


def resolve(options: ConnectionOptions, env: Mapping[str, str] | None = None) -> Connection:
    """Combine flags with the environment (``env``, default ``os.environ``) and the profile.

    Raises:
        ConfigError: the profile does not exist, the configuration file is unreadable, or a
            TLS file cannot be read or holds no certificate or key TLS can use.
    """
    profile = _load_profile(options.profile, env)
    profile = dataclasses.replace(
        profile,
        address=options.address or profile.address or DEFAULT_ADDRESS,
        namespace=options.namespace or profile.namespace or DEFAULT_NAMESPACE,
        api_key=options.api_key or profile.api_key,
        tls=_merge_tls(profile.tls, options),
    )
    try:
        kwargs: dict[str, Any] = dict(profile.to_client_connect_config())
    except OSError as exc:
        raise ConfigError(
            f"cannot read the TLS file {exc.filename} ({exc.strerror}); check --tls-cert-path, "
            "--tls-key-path and --tls-ca-path (or the TEMPORAL_TLS_* variables or the profile)."
        ) from None
    _check_client_pair(kwargs.get("tls"))
    check_tls_files(profile.tls, kwargs.get("tls"))
    assert profile.address is not None and profile.namespace is not None
    _check_no_scheme(profile.address)
    _check_no_spaces(profile.address)
    return Connection(
        address=profile.address,
        namespace=profile.namespace,
        tls=bool(kwargs.get("tls")),
        timeout=options.connect_timeout,
        secrets=(profile.api_key,) if profile.api_key else (),
        connect_kwargs=kwargs,
        tls_ca=_named_ca(profile.tls),
    )


def _named_ca(tls: ClientConfigTLS | None) -> str | None:
    source = tls.server_root_ca_cert if tls is not None else None
    if source is None:
        return None
    return f"the CA in {source}" if isinstance(source, Path) else "the CA certificate data given"


def _check_no_scheme(address: str) -> None:
    """A URL (``http://host:port``) is no address for the client: temporalio warns and then
    fails on it with core's words, and the ``temporal`` CLI refuses it."""
    scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):/+", address)
    if scheme is not None:
        plain = safe_address(address[scheme.end() :])
        raise ConfigError(
            f"the address {scheme.group(1)}://{plain} is a URL, and Temporal takes host:port "
            f"without a scheme; give {plain or 'HOST:PORT'} to --address (or TEMPORAL_ADDRESS, "
            "or the profile)."
        )


def _check_no_spaces(address: str) -> None:
    """Spaces around an address (a copied variable's value) are no host:port: core fails on a
    leading one as no address ("invalid international domain name"), and the ``temporal`` CLI
    refuses both; the message showed the address without them, as if it were the one given."""
    plain = address.strip()
    if plain != address:
        shown = address.replace(plain, safe_address(plain))
        raise ConfigError(
            f"the address {shown!r} has spaces around it, and Temporal takes host:port alone; "
            f"give {safe_address(plain) or 'HOST:PORT'} to --address (or TEMPORAL_ADDRESS, or "
            "the profile)."
        )


def _check_client_pair(tls: Any) -> None:
    """mTLS needs the client certificate and its key together (else core raises ValueError)."""
    cert = getattr(tls, "client_cert", None)
    key = getattr(tls, "client_private_key", None)
    if (cert is None) != (key is None):
        given = "certificate" if key is None else "private key"
        raise ConfigError(
            f"mTLS needs the client certificate and its private key, but only the {given} was "
            "given; give both --tls-cert-path and --tls-key-path (or TEMPORAL_TLS_CLIENT_CERT_PATH "
            "and TEMPORAL_TLS_CLIENT_KEY_PATH, or the profile's tls), or neither."
        )


def _load_profile(name: str | None, env: Mapping[str, str] | None) -> ClientConfigProfile:
    from temporalio.envconfig import ClientConfigProfile

    try:
        return ClientConfigProfile.load(profile=name, override_env_vars=env)
    except Exception as exc:  # the bridge raises its own ConfigError type
        env = os.environ if env is None else env
        _explain_profile(name or env.get("TEMPORAL_PROFILE") or "", env, exc)
        # Only the first line: a TOML parse error quotes the offending line, maybe a key.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ConfigError(
            f"cannot load the Temporal client configuration ({reason}); check --profile, "
            "TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE."
        ) from None


def default_config_file(env: Mapping[str, str]) -> Path:
    """Where the ``temporal`` CLI and temporalio look without TEMPORAL_CONFIG_FILE:
    ``temporalio/temporal.toml`` in the user's configuration directory."""
    if os.name == "nt":
        base = Path(env.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "temporalio" / "temporal.toml"


def _explain_profile(profile: str, env: Mapping[str, str], exc: Exception) -> None:
    """Raise the sentence for a profile that did not load because of where it was looked for:
    a config file that is not there (which reads as an empty file, so the profile is "not
    found" in it), one that is no TOML (UTF-16 text, a syntax error), or a file without that
    profile (naming those it has)."""
    given = env.get("TEMPORAL_CONFIG_FILE")
    path = Path(given) if given else default_config_file(env)
    if given and not path.exists():
        raise ConfigError(
            f"the Temporal config file {path} (TEMPORAL_CONFIG_FILE) does not exist; point "
            "TEMPORAL_CONFIG_FILE at your temporal.toml, or unset it to use the default one."
        ) from None
    if path.is_file() and "not found" not in str(exc):
        from replaycheck.config import read_toml

        read_toml(path, bom=True)  # the file's own reason (UTF-16, not TOML), not the profile's
    if not profile or "not found" not in str(exc):
        return
    if not path.exists():
        raise ConfigError(
            f"there is no profile {profile!r}: the Temporal config file {path} (the default; "
            "TEMPORAL_CONFIG_FILE is not set) does not exist; create the profile with temporal "
            f"config set --profile {profile} --prop address --value HOST:PORT, or point "
            "TEMPORAL_CONFIG_FILE at your temporal.toml."
        ) from None
    names = sorted(_profiles_in(path))
    has = f"its profiles are {', '.join(names)}" if names else "it holds no profiles"
    raise ConfigError(
        f"the Temporal config file {path} has no profile {profile!r} ({has}); check --profile "
        "and TEMPORAL_PROFILE."
    ) from None


def _profiles_in(path: Path) -> list[str]:
    from replaycheck.config import read_toml

    try:
        table = read_toml(path, bom=True).get("profile", {})
    except ConfigError:
        return []
    return list(table) if isinstance(table, dict) else []


def _merge_tls(base: ClientConfigTLS | None, options: ConnectionOptions) -> ClientConfigTLS | None:
    from temporalio.envconfig import ClientConfigTLS

    changes: dict[str, Any] = {}
    if options.tls is not None:
        changes["disabled"] = not options.tls
    if options.tls_server_name:
        changes["server_name"] = options.tls_server_name
    for key, value in (
        ("server_root_ca_cert", options.tls_ca_path),
        ("client_cert", options.tls_cert_path),
        ("client_private_key", options.tls_key_path),
    ):
        if value:
            changes[key] = Path(value)
    if not changes:
        return base
    return dataclasses.replace(base or ClientConfigTLS(), **changes)


# --------------------------------------------------------------------------- connecting


async def connect(connection: Connection) -> Client:
    """Connect and check the namespace exists, within ``connection.timeout`` seconds each.

    Raises:
        ClusterConnectionError: unreachable, TLS failure, credentials refused, no such namespace.
    """
    client, _ = await connect_reading_retention(connection)
    return client


async def connect_reading_retention(connection: Connection) -> tuple[Client, float | None]:
    """:func:`connect`, also giving the namespace's retention in days (``None``: the server
    does not say), which the namespace check reads anyway.

    Raises:
        ClusterConnectionError: as :func:`connect`.
    """
    import asyncio

    from temporalio.client import Client
    from temporalio.service import RPCError

    where = connection.display_address
    deadline = asyncio.get_running_loop().time() + connection.timeout
    try:
        client = await asyncio.wait_for(
            Client.connect(
                **connection.connect_kwargs, identity="replaycheck", runtime=client_runtime()
            ),
            connection.timeout,
        )
    except asyncio.TimeoutError:
        raise ClusterConnectionError(
            f"no answer from Temporal at {where} within {connection.timeout:g} s; check "
            "--address (or TEMPORAL_ADDRESS, or the profile) and that the server is up."
        ) from None
    except RPCError as exc:
        lost = await _lost_alert(exc.message, connection, deadline)
        raise first_call_error(exc.status.name, exc.message, connection, lost) from None
    except RuntimeError as exc:  # core reports connection failures as RuntimeError
        lost = await _lost_alert(str(exc), connection, deadline)
        raise connect_error(str(exc), connection, lost) from None
    except ValueError as exc:  # e.g. "invalid target URL": not host:port
        raise ClusterConnectionError(
            f"{where} is not an address Temporal can connect to ({exc}); give host:port to "
            "--address (or TEMPORAL_ADDRESS, or the profile), e.g. localhost:7233."
        ) from None
    return client, await _check_namespace(client, connection)


async def _lost_alert(text: str, connection: Connection, deadline: float) -> str | None:
    """The alert an mTLS server sent that core lost (closing the connection is all it saw),
    asked again (``replaycheck._tls_probe``) until ``deadline`` (the event loop's time: the
    error still comes within the connect timeout); ``None`` if nothing was lost."""
    import asyncio

    left = deadline - asyncio.get_running_loop().time()
    if left <= 0 or not alert_lost(text, connection):
        return None
    from replaycheck._tls_probe import lost_alert

    return await asyncio.to_thread(lost_alert, connection, left)


_runtime: Any = None
_runtime_lock = threading.Lock()


def client_runtime() -> Any:
    """The temporalio ``Runtime`` for our clients, made once per process.

    Core logs each retried call as a WARN line on stdout, which would corrupt ``--format json``
    and bury the one-sentence error; its logs go to a silent logger instead (failures reach the
    user as exceptions anyway).
    """
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from replaycheck._runtime import silent_runtime

            _runtime = silent_runtime("replaycheck.cluster")
        return _runtime


async def _check_namespace(client: Client, connection: Connection) -> float | None:
    """Raise unless the namespace exists; its retention in days (``None``: not said)."""
    import asyncio
    from datetime import timedelta

    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.service import RPCError

    from replaycheck._command_events import proto_seconds

    request = DescribeNamespaceRequest(namespace=connection.namespace)
    try:
        described = await asyncio.wait_for(
            client.workflow_service.describe_namespace(
                request, retry=True, timeout=timedelta(seconds=connection.timeout)
            ),
            connection.timeout + 5,
        )
    except asyncio.TimeoutError:
        raise ClusterConnectionError(
            f"Temporal at {connection.display_address} did not answer within "
            f"{connection.timeout:g} s; check that the server is healthy."
        ) from None
    except RPCError as exc:
        raise cluster_error(exc, connection) from None
    if not described.HasField("config"):
        return None
    seconds = proto_seconds(described.config.workflow_execution_retention_ttl)
    return seconds / 86400 if seconds > 0 else None
