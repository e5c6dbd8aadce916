"""The connection flags every command that talks to a cluster takes (``--address``,
``--namespace``, ``--api-key``, TLS, ``--profile``, ``--connect-timeout``), gathered into one
:class:`~replaycheck.connection.ConnectionOptions`."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from replaycheck._cli_types import FiniteRange
from replaycheck.connection import DEFAULT_CONNECT_TIMEOUT, ConnectionOptions

F = TypeVar("F", bound=Callable[..., Any])


_OPTIONS: tuple[Callable[[F], F], ...] = (
    click.option(
        "--address", metavar="HOST:PORT",
        help="Temporal frontend address [env TEMPORAL_ADDRESS; default localhost:7233].",
    ),
    click.option(
        "-n", "--namespace", metavar="NAME",
        help="Namespace [env TEMPORAL_NAMESPACE; default 'default'].",
    ),
    click.option(
        "--api-key", metavar="KEY",
        help="API key; prefer the TEMPORAL_API_KEY environment variable (flags show in `ps`).",
    ),
    click.option(
        "--tls/--no-tls", default=None,
        help="Use TLS (on by default with an API key or TLS files) [env TEMPORAL_TLS].",
    ),
    click.option(
        "--tls-cert-path", metavar="FILE",
        help="Client certificate for mTLS [env TEMPORAL_TLS_CLIENT_CERT_PATH].",
    ),
    click.option(
        "--tls-key-path", metavar="FILE",
        help="Client private key for mTLS [env TEMPORAL_TLS_CLIENT_KEY_PATH].",
    ),
    click.option(
        "--tls-ca-path", metavar="FILE",
        help="CA certificate to trust the server by [env TEMPORAL_TLS_SERVER_CA_CERT_PATH].",
    ),
    click.option(
        "--tls-server-name", metavar="NAME",
        help="Server name for TLS (SNI) [env TEMPORAL_TLS_SERVER_NAME].",
    ),
    click.option(
        "--profile", metavar="NAME",
        help="Profile in the client config file [env TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE].",
    ),
    click.option(
        "--connect-timeout", type=FiniteRange(min=0, max=3600, min_open=True),
        default=DEFAULT_CONNECT_TIMEOUT, show_default=True, metavar="SECONDS",
        help="How long to wait for the server when connecting.",
    ),
)  # fmt: skip
_NAMES = tuple(f.name for f in dataclasses.fields(ConnectionOptions))


def connection_options(func: F) -> F:
    """Add the connection flags to a click command; it receives ``connection=ConnectionOptions``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        values = {name: kwargs.pop(name) for name in _NAMES}
        return func(*args, connection=ConnectionOptions(**values), **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
