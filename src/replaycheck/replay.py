"""The replay engine: histories in, one :class:`~replaycheck.verdict.Verdict` per history out.

Histories are replayed by worker processes (``replaycheck._worker``), each batching its share
through one ``Replayer``. This process only supervises: a history that takes longer than the
timeout, or that crashes its worker, gets an ``error`` verdict, and a fresh worker carries on with
the rest, so one bad history can never hang or sink the batch.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from replaycheck.config import DEFAULT_TIMEOUT, Settings
from replaycheck.errors import ConfigError, ReplaycheckError, WorkflowImportError
from replaycheck.verdict import Verdict

STARTUP_GRACE = 60.0
"""Seconds a worker may take to import temporalio and the workflow modules."""

OnResult = Callable[[Verdict], None]


@dataclass(frozen=True)
class ReplayJob:
    """Everything a worker process needs; plain data so it crosses a process boundary."""

    paths: tuple[str, ...]
    workflows: tuple[str, ...]
    import_paths: tuple[str, ...] = ()
    data_converter: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    sandbox: bool = True
    """Replay in temporalio's sandbox (the default: it catches more nondeterminism)."""

    @classmethod
    def from_settings(cls, settings: Settings, paths: Sequence[str | Path]) -> ReplayJob:
        """A job for ``paths`` with the workflows, import roots and converter of ``settings``."""
        if not settings.workflows:
            raise ConfigError(
                "no workflows configured; pass -w package.module (or module:Class) or set "
                "workflows = [...] under [tool.replaycheck] in pyproject.toml."
            )
        return cls(
            paths=tuple(str(p) for p in paths),
            workflows=settings.workflows,
            import_paths=settings.import_paths,
            data_converter=settings.data_converter,
            timeout=settings.timeout,
        )

    def with_paths(self, paths: Sequence[str]) -> ReplayJob:
        """The same job over other paths."""
        return ReplayJob(**{**asdict(self), "paths": tuple(paths)})

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form sent to a worker."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ReplayJob:
        """Inverse of :meth:`to_json_dict`."""
        return cls(
            paths=tuple(data["paths"]),
            workflows=tuple(data["workflows"]),
            import_paths=tuple(data.get("import_paths", ())),
            data_converter=data.get("data_converter"),
            timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
            sandbox=bool(data.get("sandbox", True)),
        )


def replay(job: ReplayJob, *, jobs: int = 1, on_result: OnResult | None = None) -> list[Verdict]:
    """Replay every path of ``job``; verdicts come back in the order of ``job.paths``.

    Args:
        job: what to replay and against which code.
        jobs: worker processes to spread the histories over (each batches through one Replayer).
        on_result: called (from a supervising thread, under a lock) as each verdict arrives.

    Raises:
        WorkflowImportError / ConfigError: the workflow code or converter cannot be loaded.
    """
    if not job.paths:
        return []
    shards = split_paths(list(job.paths), max(1, jobs))
    results: dict[int, Verdict] = {}
    lock = threading.Lock()
    errors: list[ReplaycheckError] = []

    def collect(index: int, verdict: Verdict) -> None:
        with lock:
            results[index] = verdict
            if on_result is not None:
                on_result(verdict)

    supervisors = [_Supervisor(job, shard, collect, errors) for shard in shards]
    threads = [threading.Thread(target=s.run, daemon=True) for s in supervisors]
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


def worker_command() -> list[str]:
    """The command that starts a worker process with this interpreter."""
    return [sys.executable, "-m", "replaycheck._worker"]


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class _Supervisor:
    """Runs one shard in a worker, restarting it after a timeout or a crash."""

    def __init__(
        self,
        job: ReplayJob,
        shard: list[tuple[int, str]],
        collect: Callable[[int, Verdict], None],
        errors: list[ReplaycheckError],
    ) -> None:
        self.job = job
        self.pending = list(shard)
        self.collect = collect
        self.errors = errors

    def run(self) -> None:
        try:
            while self.pending and not self.errors:
                self._run_worker()
        except ReplaycheckError as exc:
            self.errors.append(exc)

    def _run_worker(self) -> None:
        proc = subprocess.Popen(
            worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_worker_env(),
        )
        assert proc.stdin is not None and proc.stdout is not None
        job = self.job.with_paths([path for _, path in self.pending])
        proc.stdin.write(json.dumps(job.to_json_dict()).encode())
        proc.stdin.close()
        try:
            self._read(proc, _LineReader(proc.stdout.fileno()))
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()

    def _read(self, proc: subprocess.Popen[bytes], reader: _LineReader) -> None:
        local = list(self.pending)  # worker-local index -> (global index, path)
        current: int | None = None
        deadline = time.monotonic() + STARTUP_GRACE + self.job.timeout
        while True:
            line = reader.readline(deadline - time.monotonic())
            if line is None:  # timed out
                self._lost(local, current, proc, f"timed out after {self.job.timeout:g} s")
                return
            if line == b"":  # worker exited
                self._lost(local, current, proc, _crash_reason(proc))
                return
            message = json.loads(line)
            if "start" in message:
                current = message["start"]
                deadline = time.monotonic() + self.job.timeout
            elif "verdict" in message:
                index = message["index"]
                self.collect(local[index][0], Verdict.from_json_dict(message["verdict"]))
                self.pending.remove(local[index])
                current = None
                deadline = time.monotonic() + self.job.timeout
            elif "fatal" in message:
                kind = WorkflowImportError if "Import" in message["kind"] else ConfigError
                raise kind(message["fatal"])
            elif "done" in message:
                return

    def _lost(
        self,
        local: list[tuple[int, str]],
        current: int | None,
        proc: subprocess.Popen[bytes],
        reason: str,
    ) -> None:
        if current is None:
            if not self.pending:
                return
            # Died between histories or while starting: blame the next one rather than loop.
            current = local.index(self.pending[0])
            reason = f"the replay worker stopped before this history ({reason})"
        index, path = local[current]
        if proc.poll() is None:
            proc.kill()
        message = f"replay {reason}; this history was not checked"
        self.collect(index, Verdict(path=path, verdict="error", message=message))
        self.pending.remove(local[current])


def _crash_reason(proc: subprocess.Popen[bytes]) -> str:
    code = proc.wait()
    if code < 0:
        return f"crashed the replay worker (signal {-code})"
    return f"crashed the replay worker (exit code {code})"


class _LineReader:
    """Reads lines from a pipe with a timeout (``select`` on the raw descriptor)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def readline(self, timeout: float) -> bytes | None:
        """A line, ``b""`` at end of file, ``None`` when ``timeout`` seconds pass first."""
        end = time.monotonic() + max(0.0, timeout)
        while b"\n" not in self.buffer:
            remaining = end - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                return None
            chunk = os.read(self.fd, 65536)
            if not chunk:
                line, self.buffer = self.buffer, b""
                return line
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"


def check(
    settings: Settings,
    paths: Sequence[str | Path] | None = None,
    *,
    jobs: int = 1,
    on_result: OnResult | None = None,
) -> list[Verdict]:
    """Discover histories (``paths`` or the configured ones) and replay them.

    Raises:
        NoHistoriesError: no history files were found.
        ConfigError: no workflows configured, or they cannot be imported.
    """
    from replaycheck.histories import discover

    roots = list(paths) if paths else list(settings.histories)
    if not roots:
        raise ConfigError(
            "no histories to check; pass paths or set histories = [\"fixtures/histories\"] "
            "under [tool.replaycheck] in pyproject.toml."
        )
    files = discover(roots)
    return replay(ReplayJob.from_settings(settings, files), jobs=jobs, on_result=on_result)


__all__ = ["ReplayJob", "Verdict", "check", "replay", "split_paths"]


