"""Capturing histories from a Temporal cluster into history files.

Executions are selected by a visibility query or by workflow ids (with neither, by
:func:`configured_selection`: the workflow types the configured code registers) and their
histories fetched concurrently (:mod:`replaycheck.cluster`), then written atomically, with
provenance, as ``DIR/<WorkflowType>/<workflow-id>.json``. Payloads are written exactly as the
server stores them (still encoded, e.g. encrypted). An execution is already there when a file of
its workflow id is, in any history format. ``dedupe`` keeps one history per workflow type and shape
(:mod:`replaycheck.shapes`), counting the histories already in ``DIR``. One export at a time
writes into a directory: a second one is refused while the first runs.

The run itself, with its options and result (re-exported here), is in ``replaycheck._exporter``;
file names, formats and what a file already there holds, in ``replaycheck._export_files``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from replaycheck._export_files import WriteError, history_path, safe_name
from replaycheck._export_lock import export_lock
from replaycheck._exporter import Exporter, ExportOptions, ExportResult, OnProgress
from replaycheck.cluster import Selection, count_executions
from replaycheck.connection import Connection, connect
from replaycheck.errors import (
    ClusterConnectionError,
    ConfigError,
    NoHistoriesError,
    ReplaycheckError,
)

if TYPE_CHECKING:
    from replaycheck.config import Settings

__all__ = [
    "ExportOptions",
    "ExportResult",
    "Selection",
    "configured_selection",
    "export",
    "history_path",
    "safe_name",
]


WRITE_THREADS = 4
"""Threads writing files, so that ``fsync`` waits overlap with fetching."""


def configured_selection(
    settings: Settings, selection: Selection, *, sandbox: bool = True, cli: bool = False
) -> Selection:
    """``selection``; when it has no query and no workflow ids, every execution the server keeps
    of the workflow types that ``settings``' workflows register (as ``check --live`` names
    them, without its running-only filter), with ``selection``'s limit.

    Only the names of the types are needed: the converter, interceptors and failure exception
    types are not loaded (export never decodes a payload); the workflow modules, the sandbox
    settings and the plugins (which may add workflows) are. ``sandbox=False`` loads the
    workflows without temporalio's sandbox, for code whose worker runs it unsandboxed
    (``--no-sandbox``). ``cli``: messages name the command's options (``--query``), not
    ``Selection``'s arguments.

    Raises:
        ConfigError: nothing selected and no workflows configured (nor a plugin, which may
            add some), none registered at all, or a dynamic workflow among them (which may
            serve any type).
        WorkflowImportError: the workflow code cannot be loaded.
    """
    from dataclasses import replace

    from replaycheck._job import registers_nothing
    from replaycheck.live import default_selection, registered_types
    from replaycheck.replay import ReplayJob

    if selection.query or selection.workflow_ids:
        return selection
    if registers_nothing(settings):
        raise ConfigError(
            "configured_selection() was given a Selection with no query and no workflow ids, "
            "and settings with no workflows: pass Selection(query=\"WorkflowType='MyWorkflow'\") "
            "or Selection(workflow_ids=(ID, ...)), or settings with workflows "
            '(load_settings().override(workflows=["myapp.workflows"]), or workflows = [...] '
            "under [tool.replaycheck]) for every execution of the types they register."
        )
    job = replace(
        ReplayJob.from_settings(settings, []),
        data_converter=None,
        interceptors=(),
        workflow_failure_exception_types=(),
        sandbox=sandbox,
    )
    return default_selection(registered_types(job), selection, running=False, cli=cli)


def export(
    connection: Connection,
    selection: Selection,
    options: ExportOptions,
    *,
    on_start: Callable[[int | None], None] | None = None,
    on_progress: OnProgress | None = None,
) -> ExportResult:
    """Export the selected histories (see the module docstring).

    Args:
        connection: the cluster.
        selection: which executions.
        options: where and how to write.
        on_start: called with the number of matching executions (``None``: unknown).
        on_progress: called each time an execution has been dealt with.

    Raises:
        ConfigError: ``selection`` has no query and no workflow ids, both, or a blank
            workflow id (each message naming ``Selection``'s arguments). Unlike the command, this
            function reads no configuration and starts no replay worker to choose executions:
            :func:`configured_selection` does that, on the settings given to it.
        ClusterConnectionError: the cluster cannot be reached, refuses us, or goes away; files
            already written stay (each one complete), so running again finishes the job.
        NoHistoriesError: the query matched no execution.
        ReplaycheckError: a file cannot be written, or another export is writing into
            ``options.out_dir`` (see ``replaycheck._export_lock``).
    """
    selection.check()
    with export_lock(options.out_dir):  # one export at a time into a directory
        result = asyncio.run(_export(connection, selection, options, on_start, on_progress))
    if not result.matched:
        raise NoHistoriesError(
            f"no execution in namespace {connection.namespace!r} matched the query "
            f"{selection.query!r}, so nothing was exported; check the query "
            "(Selection(query=...), or the types configured_selection() chose) and the "
            "namespace (ConnectionOptions(namespace=...))."
        )
    return result


async def _export(
    connection: Connection,
    selection: Selection,
    options: ExportOptions,
    on_start: Callable[[int | None], None] | None,
    on_progress: OnProgress | None,
) -> ExportResult:
    client = await connect(connection)
    if on_start is not None:
        on_start(await count_executions(client, selection))
    exporter = Exporter(connection, selection, options, on_progress or (lambda result: None))
    with ThreadPoolExecutor(WRITE_THREADS, thread_name_prefix="replaycheck-write") as pool:
        from replaycheck.report import plural

        try:
            await exporter.run(client, pool)
        except ClusterConnectionError as exc:
            written = plural(len(exporter.result.written), "history")
            raise ClusterConnectionError(
                f"{str(exc).rstrip('.')}; {written} written before that, "
                "each complete: run the same command again to export the rest."
            ) from None
        except WriteError as exc:  # a full disk: what was written stays, each file whole
            written = plural(len(exporter.result.written), "history")
            raise ReplaycheckError(
                f"{exc.where}; {written} written before that, each complete: {exc.fix}, "
                "then run the same command again to export the rest."
            ) from None
    return exporter.result
