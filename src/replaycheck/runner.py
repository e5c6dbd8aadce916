"""Verdicts on demand for front ends that ask one history at a time (the pytest plugin).

Wraps a :class:`~replaycheck.replay.WorkerSession`: every history asked for, or announced ahead
with :meth:`Runner.prefetch`, goes to the same worker process and so through one ``Replayer``.
"""

from __future__ import annotations

from collections.abc import Iterable

from replaycheck.errors import ReplaycheckError
from replaycheck.replay import ReplayJob, WorkerSession
from replaycheck.verdict import Verdict


class Runner:
    """Replays histories lazily, in one worker, and remembers each verdict."""

    def __init__(self, job: ReplayJob) -> None:
        self.job = job
        self.session: WorkerSession | None = None
        self.keys: dict[str, int] = {}
        self.verdicts: dict[int, Verdict] = {}
        self.sent = 0
        self.failure: ReplaycheckError | None = None
        """A configuration error met once (e.g. an import error); every later ask re-raises it."""

    def warm(self) -> None:
        """Start the worker now (it imports temporalio and the workflows while we do other work)."""
        if self.session is None:
            self.session = WorkerSession(self.job)
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
        try:
            while key not in self.verdicts:
                assert self.session is not None
                done, verdict = self.session.next_verdict()
                self.verdicts[done] = verdict
        except ReplaycheckError as exc:
            self.failure = exc
            raise
        return self.verdicts[key]

    def replay_all(self, paths: Iterable[str]) -> list[Verdict]:
        """Replay these histories now, as they are on disk (no verdict remembered from an
        earlier ask), in the same worker; verdicts in the order of ``paths``.

        Raises:
            ReplaycheckError: the workflow code or converter could not be loaded.
        """
        if self.failure is not None:
            raise self.failure
        keys = [self._send(path) for path in paths]
        try:
            for key in keys:
                while key not in self.verdicts:
                    assert self.session is not None
                    done, verdict = self.session.next_verdict()
                    self.verdicts[done] = verdict
        except ReplaycheckError as exc:
            self.failure = exc
            raise
        return [self.verdicts.pop(key) for key in keys]

    def _submit(self, path: str) -> None:
        self.keys[path] = self._send(path)

    def _send(self, path: str) -> int:
        if self.session is None:
            self.session = WorkerSession(self.job)
        key, self.sent = self.sent, self.sent + 1
        self.session.submit(key, path)
        return key

    def close(self) -> None:
        """Stop the worker process."""
        if self.session is not None:
            self.session.close()
            self.session = None
