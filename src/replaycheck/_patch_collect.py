"""Running ``replaycheck patches``: replay the histories (files, or a cluster's executions)
recording every ``patched()`` call, then :func:`~replaycheck.patches.analyze` them (both
re-exported from :mod:`replaycheck.patches`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from replaycheck.config import Settings
    from replaycheck.connection import Connection
    from replaycheck.export import Selection
    from replaycheck.live import LiveStats
    from replaycheck.patches import PatchesReport
    from replaycheck.replay import WorkerSession


def collect(
    settings: Settings,
    paths: Sequence[str | Path] = (),
    *,
    jobs: int = 1,
    sandbox: bool = True,
    retention_days: float | None = None,
    now: datetime | None = None,
    skip_pinned: bool = False,
) -> PatchesReport:
    """Replay the history files (``paths``, else the configured ones) recording patch calls
    (``skip_pinned``: then leave out executions pinned to a deployment version).

    Raises:
        ConfigError: no histories or workflows configured, or the workflows do not import.
        NoHistoriesError: a path holds no history file, or every one is of a pinned execution
            (``skip_pinned``).
    """
    from replaycheck._discovery import histories_given
    from replaycheck._patch_scan import scan
    from replaycheck.errors import ConfigError
    from replaycheck.histories import discover
    from replaycheck.patches import analyze
    from replaycheck.replay import ReplayJob, replay

    given = "" if paths else histories_given(settings.python_names)
    roots = list(paths) or list(settings.history_roots)
    if not roots:
        raise ConfigError(
            'no histories to read; pass paths or set histories = ["fixtures/histories"] '
            "under [tool.replaycheck] in pyproject.toml."
        )
    job = ReplayJob.from_settings(settings, discover(roots, given=given))
    job = replace(job, sandbox=sandbox, record_patches=True)
    added: dict[str, None] = {}  # each worker says the same

    def on_ready(session: WorkerSession) -> None:
        added.update(dict.fromkeys(session.plugin_workflows))

    verdicts = replay(job, jobs=jobs, on_ready=on_ready if settings.plugins else None)
    found = scan(scanned_specs(settings, list(added)), settings.import_paths)
    return analyze(
        verdicts,
        found.sites,
        retention_days=retention_days,
        now=now,
        types=found.workflow_types,
        types_unknown=found.types_unknown,
        continues_into=found.continues_into,
        skip_pinned=skip_pinned,
    )


def collect_live(
    settings: Settings,
    connection: Connection,
    selection: Selection,
    *,
    concurrency: int = 16,
    sandbox: bool = True,
    skip_pinned: bool = False,
    cli: bool = False,
) -> tuple[PatchesReport, LiveStats]:
    """The report over executions fetched from a cluster (nothing is written; ``skip_pinned``:
    executions pinned to a deployment version are left out as they arrive; ``cli``: a
    message names ``--query``, not ``Selection(query=...)``).

    Without a query or workflow ids, selects every execution the server still keeps (running,
    or closed within the namespace's retention) of the workflow types the code registers (as
    the replay worker names them: ``@workflow.defn(name=...)`` may be any expression). With a
    query or workflow ids, the server also counts the executions it keeps of each workflow type
    read, so a ``ready`` verdict is held back while the selection left some of them unread.

    Raises:
        ClusterConnectionError / NoHistoriesError: as ``replaycheck check --live``.
    """
    from replaycheck._patch_scan import scan
    from replaycheck.live import check_live
    from replaycheck.patches import analyze
    from replaycheck.replay import ReplayJob

    narrowed = bool(selection.query or selection.workflow_ids)
    everything = not narrowed and not selection.limit
    job = replace(ReplayJob.from_settings(settings, []), sandbox=sandbox, record_patches=True)
    verdicts, stats = check_live(job, connection, selection, concurrency=concurrency,
                                 running=False, skip_pinned=skip_pinned,
                                 count_kept=narrowed, cli=cli)  # fmt: skip
    found = scan(scanned_specs(settings, stats.plugin_workflows), settings.import_paths)
    unread = {  # what the narrowed selection left out of each type it read (None: unknown)
        t: None if kept is None else max(kept - stats.read_types.get(t, 0), 0)
        for t, kept in stats.kept_types.items()
    }
    report = analyze(
        verdicts,
        found.sites,
        complete=everything,
        types=found.workflow_types,
        types_unknown=found.types_unknown,
        continues_into=found.continues_into,
        live=True,
        pinned_types=sorted(stats.pinned_types),
        pinned_runs=sorted(stats.pinned_runs),
        namespace_retention_days=stats.retention_days,
        limit=selection.limit if selection.limit and stats.matched >= selection.limit else 0,
        unread=unread,
        uncounted_reason=stats.count_refused,
    )
    return replace(report, pinned_left_out=stats.pinned), stats


def scanned_specs(settings: Settings, plugin_workflows: Sequence[str]) -> list[str]:
    """The workflow specs whose source is scanned for ``patched()`` calls: the configured
    workflows, and ``plugin_workflows`` (``module:qualname`` of each class the configured
    plugins add, ``SimplePlugin(workflows=...)``, as the replay worker registered them)."""
    return [*settings.workflows, *(s for s in plugin_workflows if s not in settings.workflows)]
