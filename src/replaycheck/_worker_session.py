"""One replay worker process, supervised: :class:`WorkerSession` (histories fed as they come, a
deadline per history, a fresh worker after a hang or crash; re-exported from
``replaycheck.replay``) and :func:`stop_workers`, which kills them all as the command leaves."""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from typing import IO, Any

from replaycheck._job import ReplayJob
from replaycheck._pipes import LineReader, Writer
from replaycheck._worker_launch import (
    measured_by_coverage,
    sigint_held,
    worker_command,
    worker_env,
)
from replaycheck._worker_lost import crash_reason, timed_out_late, timeout_size
from replaycheck.errors import ConfigError, WorkflowImportError
from replaycheck.verdict import Verdict

STARTUP_GRACE = 60.0
"""Seconds a worker may take to import temporalio and the workflow modules."""
COVERAGE_GRACE = 30.0
"""Seconds an idle worker that coverage.py measures may take to save its data and leave."""


_LIVE: weakref.WeakSet[WorkerSession] = weakref.WeakSet()
"""Sessions that have started a worker, for :func:`stop_workers`."""
_LIVE_LOCK = threading.Lock()
_stopping = False
"""Set by :func:`stop_workers`: no worker starts any more (nor restarts after a kill)."""


def stop_workers() -> None:
    """Kill every replay worker still running, and start none again (the command is leaving:
    SIGTERM, Ctrl-C)."""
    global _stopping
    with _LIVE_LOCK:
        _stopping = True
        sessions = list(_LIVE)
    for session in sessions:
        proc = session.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(OSError):
                proc.kill()


class WorkerSession:
    """One replay worker process fed history paths as they come; one ``Replayer`` for all.

    Paths are queued with :meth:`submit` (the worker starts replaying at once) and verdicts
    collected with :meth:`next_verdict`, in submission order. A history that exceeds the timeout
    or crashes the worker gets an ``error`` verdict; a new worker takes the rest of the queue.
    """

    def __init__(
        self, job: ReplayJob, notes: list[str] | None = None, *, said: set[str] | None = None
    ) -> None:
        self.job = job.with_paths(())
        self.notes = notes
        """Where the worker's notes go, each once, for the owner to show (``None``: said on
        stderr as they come, each once per ``said``: :func:`say_note`)."""
        self.said: set[str] = set() if said is None else said
        """The notes said on stderr: one set per command or library call, which the sessions of
        its workers share (a note the worker sends again, as after a restart, is not said
        twice)."""
        self.queue: list[tuple[int, str | dict[str, str]]] = []
        """Submitted, no verdict yet, in order; the worker knows ``queue[i]`` by ``base + i``."""
        self.base = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.reader: LineReader | None = None
        self.current: int | None = None
        self.current_events = 0
        """Events of the history being replayed (0 until the worker has read it)."""
        self.deadline = 0.0
        self.started = 0.0
        """When the current history's replay started (the worker's "start")."""
        self.types: tuple[str, ...] | None = None
        """Workflow type names the worker registered (``*``: a dynamic workflow), once ready."""
        self.plugin_workflows: tuple[str, ...] = ()
        """``module:qualname`` of each workflow class the job's plugins add, once ready."""
        self.output: IO[bytes] | None = None
        """The worker's stderr when the job captures output; read up to ``output_read``."""
        self.output_read = 0
        self.writer: Writer | None = None

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_flight(self) -> int:
        """Histories submitted whose verdict has not been collected."""
        return len(self.queue)

    def submit(self, key: int, path: str) -> None:
        """Queue one history file; ``key`` comes back with its verdict."""
        self._queue(key, path)

    def submit_history(
        self, key: int, name: str, data: bytes, *, workflow_id: str = "", status: str = ""
    ) -> None:
        """Queue a history held in memory (binary protobuf), e.g. fetched from a cluster.

        Args:
            key: comes back with the verdict.
            name: shown as the verdict's path (e.g. ``live:<workflow-id>/<run-id>``).
            data: serialized ``temporal.api.history.v1.History``.
            workflow_id: the workflow id (histories do not always carry it).
            status: the execution status the server reported (``RUNNING``, ``COMPLETED``, ...).
        """
        item = {
            "name": name,
            "data": base64.b64encode(data).decode(),
            "workflow_id": workflow_id,
            "status": status,
        }
        self._queue(key, item)

    def start(self) -> None:
        """Start the worker process ahead of the first history (optional)."""
        if self.proc is None:
            self._start()

    def workflow_types(self) -> tuple[str, ...]:
        """Start the worker if needed and wait until it has imported the workflows.

        Returns:
            The registered workflow type names (``*`` stands for a dynamic workflow).

        Raises:
            WorkflowImportError / ConfigError: the workflows or the converter do not load, or
                the worker does not start.
        """
        if self.queue:
            raise RuntimeError("workflow_types() must come before the first submit")
        self.start()
        while self.types is None:
            assert self.reader is not None and self.proc is not None
            line = self.reader.readline(self.deadline - time.monotonic())
            if not line:
                raise self._not_ready(line)
            self._handle(json.loads(line))
        return self.types

    def _not_ready(self, line: bytes | None) -> ConfigError:
        """The worker ended or hung before it was ready (``line``: ``None`` when it hung): the
        workflow modules or the converter did not load. Closes the session."""
        assert self.proc is not None
        if _stopping:
            return ConfigError("the command is stopping; the replay worker was stopped.")
        if line is None:
            reason = f"did not finish within {STARTUP_GRACE + self.job.timeout:g} s"
        else:
            code = self.proc.wait()
            reason = f"was killed by signal {-code}" if code < 0 else f"exited ({code})"
        printed = [x.strip() for x in self._unread_output().splitlines() if x.strip()]
        self.close()
        said = f"; it printed: {' / '.join(printed[-3:])}" if printed else ""
        return ConfigError(
            f"the replay worker {reason} while importing the workflow modules and the data "
            f"converter, before any history{said}; import them in Python to see why (an import "
            "that blocks, exits or crashes)."
        )

    def _queue(self, key: int, item: str | dict[str, str]) -> None:
        self.queue.append((key, item))
        if self.proc is None:
            self._start()
        else:
            self._send([item])

    def next_verdict(self) -> tuple[int, Verdict]:
        """Block until the next verdict (submission order is not guaranteed across restarts)."""
        while True:
            assert self.proc is not None and self.reader is not None
            line = self.reader.readline(self.deadline - time.monotonic())
            if not line and self.types is None:  # it never got as far as the first history
                raise self._not_ready(line)
            if line is None:
                limit = self.job.limit_for(self.current_events)
                size = timeout_size(self.job, self.current is not None, self.current_events)
                return self._lost(f"timed out after {limit:g} s{size}")
            if line == b"":
                return self._lost(crash_reason(self.proc))
            verdict = self._handle(json.loads(line))
            if verdict is not None:
                return verdict

    def close(self) -> None:
        """Stop the worker (it finishes nothing further)."""
        proc, self.proc = self.proc, None
        if self.output is not None:
            self.output.close()
            self.output = None
        if proc is None:
            return
        if proc.poll() is None and not self.queue and not _stopping and measured_by_coverage():
            self._let_leave(proc)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if self.writer is not None:
            self.writer.close()  # its pipe is broken now: it stops at once
            self.writer = None
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                # stdin may hold what the writer could not send to a dead worker: closing
                # flushes it into the broken pipe
                with contextlib.suppress(OSError):
                    stream.close()

    def _let_leave(self, proc: subprocess.Popen[bytes]) -> None:
        """End an idle worker with the end of its input, so coverage.py saves what it measured
        there (killed, it would lose it)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=COVERAGE_GRACE)

    def _start(self) -> None:
        self.close()
        with _LIVE_LOCK:
            if _stopping:
                raise ConfigError("the command is stopping; no replay worker starts now.")
            _LIVE.add(self)
        if self.job.capture_output:
            self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
            self.output_read = 0
        try:
            with sigint_held():
                self.proc = subprocess.Popen(
                    worker_command(),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self.output,
                    env=worker_env(),
                )
        except OSError as exc:  # out of processes or file descriptors, an unusable interpreter
            raise ConfigError(
                f"cannot start a replay worker ({exc.strerror or exc}); check the limits on "
                "processes and open files (ulimit), or give fewer --jobs."
            ) from None
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.reader = LineReader(self.proc.stdout.fileno())
        self.writer = Writer(self.proc.stdin)
        self.types = None  # until this worker says it is ready
        self.base, self.current = 0, None
        self.deadline = time.monotonic() + STARTUP_GRACE + self.job.timeout
        self._send_raw(json.dumps(self.job.to_json_dict()))
        self._send([item for _, item in self.queue])

    def _send(self, items: list[str | dict[str, str]]) -> None:
        for item in items:
            self._send_raw(json.dumps(item))

    def _send_raw(self, line: str) -> None:
        assert self.writer is not None
        self.writer.put(line.encode() + b"\n")

    def _handle(self, message: dict[str, Any]) -> tuple[int, Verdict] | None:
        if "fatal" in message:
            self.close()
            kind = WorkflowImportError if "Import" in message["kind"] else ConfigError
            raise kind(message["fatal"])
        if "loaded" in message:
            self.current_events = int(message.get("events", 0))
            self.deadline = self.started + self.job.limit_for(self.current_events)
        elif "start" in message:
            self.current = message["start"]
            self.current_events = 0
            now = time.monotonic()
            started = float(message.get("at", now))  # the worker's clock is this one
            self.started = started if started <= now else now
            self.deadline = self.started + self.job.timeout
        elif "verdict" in message:
            self.output_read = int(message.get("output_end", self.output_read))
            return self._collect(message["index"], Verdict.from_json_dict(message["verdict"]))
        elif "note" in message:
            note = str(message["note"])
            if self.notes is None:
                say_note(note, self.said)
            elif note not in self.notes:
                self.notes.append(note)
        elif "ready" in message:
            self.types = tuple(message["ready"])
            self.plugin_workflows = tuple(message.get("plugin_workflows", ()))
            self.deadline = self._between_histories()
        return None

    def _collect(self, worker_index: int, verdict: Verdict) -> tuple[int, Verdict]:
        verdict = timed_out_late(verdict, self.job)
        position = worker_index - self.base
        key, _ = self.queue.pop(position)
        if position != 0:  # never happens: the worker answers in order
            raise RuntimeError("replay worker answered out of order")
        self.base += 1
        self.current = None
        self.deadline = self._between_histories()
        return key, verdict

    def _between_histories(self) -> float:
        """Deadline for the next "start": the worker may be building a Replayer; a history's
        own time starts with its "start"."""
        return time.monotonic() + STARTUP_GRACE + self.job.timeout

    def _lost(self, reason: str) -> tuple[int, Verdict]:
        if self.current is None:
            message = f"the replay worker stopped before this history ({reason})"
        else:
            message = f"replay {reason}"
        message += "; this history was not checked"
        output = self._unread_output()
        key, item = self.queue.pop(0)
        self.close()
        if self.queue:
            self._start()
        path = item if isinstance(item, str) else item["name"]
        return key, Verdict(path=path, verdict="error", message=message, output=output)

    def _unread_output(self) -> str:
        """What the worker wrote after its last verdict (e.g. why it crashed), when captured."""
        if self.output is None:
            return ""
        self.output.seek(self.output_read)
        return self.output.read().decode("utf-8", "replace")


def say_note(text: str, said: set[str]) -> None:
    """Write a worker's note to stderr unless it is in ``said`` (a command's or a library
    call's, however many workers send it), and add it there."""
    with _LIVE_LOCK:
        if text in said:
            return
        said.add(text)
    sys.stderr.write(f"replaycheck: note: {text}\n")
    sys.stderr.flush()
