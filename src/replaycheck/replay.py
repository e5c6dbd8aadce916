"""The replay engine: histories in, one :class:`~replaycheck.verdict.Verdict` per history out.

Histories are replayed by worker processes (``replaycheck._worker``), each batching its share
through one ``Replayer``. This process only supervises: a history that takes longer than the
timeout, or that crashes its worker, gets an ``error`` verdict, and a fresh worker carries on with
the rest, so one bad history can never hang or sink the batch. One worker and its supervision
are a :class:`WorkerSession` (``replaycheck._worker_session``, re-exported here).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from replaycheck._job import ReplayJob
from replaycheck._worker_session import WorkerSession
from replaycheck.config import Settings
from replaycheck.errors import ConfigError, ReplaycheckError
from replaycheck.verdict import Verdict

OnResult = Callable[[Verdict], None]


def replay(
    job: ReplayJob,
    *,
    jobs: int = 1,
    on_result: OnResult | None = None,
    on_ready: Callable[[WorkerSession], None] | None = None,
) -> list[Verdict]:
    """Replay every path of ``job``; verdicts come back in the order of ``job.paths``.

    Args:
        job: what to replay and against which code.
        jobs: worker processes to spread the histories over (each batches through one Replayer).
        on_result: called (from a supervising thread, under a lock) as each verdict arrives.
        on_ready: called (from a supervising thread) with each worker's session once it has
            registered the workflows, before any history is sent to it.

    A note the workers send (``replaycheck: note: ...``, e.g. what to set for pydantic models)
    is written to stderr once per call.

    Raises:
        WorkflowImportError / ConfigError: the workflow code or converter cannot be loaded.
    """
    if not job.paths:
        return []
    shards = split_paths(list(job.paths), max(1, jobs))
    results: dict[int, Verdict] = {}
    lock = threading.Lock()
    errors: list[ReplaycheckError] = []
    said: set[str] = set()  # each note once per call, however many workers send it

    def run_shard(shard: list[tuple[int, str]]) -> None:
        with WorkerSession(job, said=said) as session:
            try:
                if on_ready is not None:
                    session.workflow_types()
                    on_ready(session)
                for index, path in shard:
                    session.submit(index, path)
                while session.in_flight and not errors:
                    index, verdict = session.next_verdict()
                    with lock:
                        results[index] = verdict
                        if on_result is not None:
                            on_result(verdict)
            except ReplaycheckError as exc:
                errors.append(exc)

    threads = [threading.Thread(target=run_shard, args=(s,), daemon=True) for s in shards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(job.paths))]


def split_paths(paths: list[str], jobs: int) -> list[list[tuple[int, str]]]:
    """Spread paths over ``jobs`` shards of about equal bytes (largest first, greedy)."""
    jobs = min(jobs, len(paths))
    shards: list[list[tuple[int, str]]] = [[] for _ in range(jobs)]
    loads = [0] * jobs
    by_size = sorted(enumerate(paths), key=lambda item: -_size(item[1]))
    for index, path in by_size:
        target = loads.index(min(loads))
        shards[target].append((index, path))
        loads[target] += _size(path) or 1
    return [sorted(shard) for shard in shards if shard]


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def check(
    settings: Settings,
    paths: str | Path | Sequence[str | Path] | None = None,
    *,
    jobs: int = 1,
    sandbox: bool = True,
    on_result: OnResult | None = None,
) -> list[Verdict]:
    """Discover histories (``paths``: one path or several; or the configured ones) and replay
    them; relative paths are from the working directory.

    Raises:
        NoHistoriesError: no history files were found.
        ConfigError: no workflows configured, or they cannot be imported; ``paths`` holds
            something that is no path; ``settings`` is not a :class:`Settings`.
    """
    from replaycheck._config_values import described
    from replaycheck._discovery import histories_given
    from replaycheck.histories import as_paths, discover

    if not isinstance(settings, Settings):  # e.g. the fixture's check(paths, workflows) order
        raise ConfigError(
            f"check(settings=...): expected the Settings of load_settings(), got "
            f"{described(settings)}; call check(load_settings(), paths) (the replaycheck "
            "fixture's check(paths, workflows) takes the paths first)."
        )

    roots = as_paths(paths) if paths is not None else []
    given = "" if roots else histories_given(settings.python_names)
    roots = roots or list(settings.history_roots)
    if not roots:
        raise ConfigError(
            'no histories to check; pass paths or set histories = ["fixtures/histories"] '
            "under [tool.replaycheck] in pyproject.toml."
        )
    job = replace(ReplayJob.from_settings(settings, discover(roots, given=given)), sandbox=sandbox)
    return replay(job, jobs=jobs, on_result=on_result)


__all__ = ["ReplayJob", "Verdict", "WorkerSession", "check", "replay", "split_paths"]
