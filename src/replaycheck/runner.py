"""Verdicts on demand for front ends that ask one history at a time (the pytest plugin).

Wraps a :class:`~replaycheck.replay.WorkerSession`: every history asked for, or announced ahead
with :meth:`Runner.prefetch`, goes to the same worker process and so through one ``Replayer``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from replaycheck.errors import ReplaycheckError
from replaycheck.replay import ReplayJob, WorkerSession
from replaycheck.verdict import Verdict


class Runner:
    """Replays histories lazily, in one worker, and remembers each verdict."""

    def __init__(self, job: ReplayJob, *, keep_notes: bool = False) -> None:
        self.job = job
        self.notes: list[str] | None = [] if keep_notes else None
        """The worker's notes, each once (``keep_notes``; else said on stderr, each once per
        :meth:`replay_all`)."""
        self.said: set[str] = set()
        self.notes_taken = 0
        self.session: WorkerSession | None = None
        self.keys: dict[str, int] = {}
        self.verdicts: dict[int, Verdict] = {}
        self.sent = 0
        self.failure: ReplaycheckError | None = None
        """A configuration error met once (e.g. an import error); every later ask re-raises it."""

    def warm(self) -> None:
        """Start the worker now (it imports temporalio and the workflows while we do other work)."""
        if self.session is None:
            self.session = WorkerSession(self.job, self.notes, said=self.said)
            self.session.start()

    def prefetch(self, paths: Iterable[str]) -> None:
        """Start replaying these histories now, so their verdicts are ready when asked for."""
        for path in paths:
            if path not in self.keys and self.failure is None:
                self._submit(path)

    def verdict(self, path: str) -> Verdict:
        """The verdict for one history (replaying it now unless prefetched).

        Raises:
            ReplaycheckError: the workflow code or converter could not be loaded.
        """
        if self.failure is not None:
            raise self.failure
        if path not in self.keys:
            self._submit(path)
        key = self.keys[path]
        self._wait_for(key)
        return self.verdicts[key]

    def take_notes(self) -> list[str]:
        """The worker's notes that came since the last call (``keep_notes``)."""
        if self.notes is None:
            return []
        new, self.notes_taken = self.notes[self.notes_taken :], len(self.notes)
        return new

    def forget(self, path: str) -> None:
        """Drop the verdict for ``path``: the next ask replays it again."""
        key = self.keys.pop(path, None)
        if key is not None:
            self.verdicts.pop(key, None)

    def replay_all(self, paths: Iterable[str]) -> list[Verdict]:
        """Replay these histories now, as they are on disk (no verdict remembered from an
        earlier ask), in the same worker; verdicts in the order of ``paths``.

        Raises:
            ReplaycheckError: the workflow code or converter could not be loaded.
        """
        if self.failure is not None:
            raise self.failure
        self.said.clear()  # a note this call's replays send is said again
        keys = [self._send(path) for path in paths]
        for key in keys:
            self._wait_for(key)
        return [self.verdicts.pop(key) for key in keys]

    def _wait_for(self, key: int) -> None:
        """Collect verdicts until the one for ``key`` is in; a configuration error is kept, so
        every later ask raises it again."""
        try:
            while key not in self.verdicts:
                assert self.session is not None
                done, verdict = self.session.next_verdict()
                self.verdicts[done] = verdict
        except ReplaycheckError as exc:
            self.failure = exc
            raise

    def _submit(self, path: str) -> None:
        self.keys[path] = self._send(path)

    def _send(self, path: str) -> int:
        if self.session is None:
            self.session = WorkerSession(self.job, self.notes, said=self.said)
        key, self.sent = self.sent, self.sent + 1
        self.session.submit(key, path)
        return key

    def close(self) -> None:
        """Stop the worker process."""
        if self.session is not None:
            self.session.close()
            self.session = None


class RunnerPool:
    """Workers kept for repeated asks (the ``replaycheck`` fixture): one per job, started again
    when the environment or the files of the job's workflow, converter and runner modules
    changed since (a worker holds them as they were when it started)."""

    def __init__(self) -> None:
        self.held: dict[ReplayJob, tuple[Any, Runner]] = {}

    def runner(self, job: ReplayJob) -> Runner:
        """The worker for ``job`` (its paths do not matter), started afresh if need be."""
        stamp = _stamp(job)
        held = self.held.get(job)
        if held is not None and held[0] == stamp:
            return held[1]
        if held is not None:
            held[1].close()
        runner = Runner(job)
        self.held[job] = (stamp, runner)
        return runner

    def close(self) -> None:
        """Stop every worker."""
        for _, runner in self.held.values():
            runner.close()
        self.held.clear()


def _stamp(job: ReplayJob) -> Any:
    """What a worker fixes when it starts: the environment, and the modules it imports by name
    (their files' modification times; the modules those import are not followed)."""
    from replaycheck.config import module_file

    files = []
    objects = (job.data_converter or "", job.workflow_runner or "", *job.interceptors, *job.plugins)
    for spec in (*job.workflows, *objects):
        path = module_file(spec.partition(":")[0], job.import_paths) if spec else None
        try:
            files.append((str(path), path.stat().st_mtime_ns) if path else None)
        except OSError:
            files.append(None)
    environment = frozenset(x for x in os.environ.items() if x[0] != "PYTEST_CURRENT_TEST")
    return environment, tuple(files)
