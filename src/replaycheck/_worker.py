"""Replay worker: replays a list of history files through one batched ``Replayer``.

Run as ``python -m replaycheck._worker``: reads a :class:`~replaycheck.replay.ReplayJob` as one JSON
line on stdin, then one JSON-encoded history path per line until end of input, and writes one
JSON message per line to the original stdout (everything else the process prints goes to stderr).
The parent (``replaycheck.replay``) enforces timeouts and restarts a worker that hangs or
crashes, so this module only has to be correct, not defensive about hangs.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

from replaycheck._converter_failure import ConfiguredConverter, replay_converter
from replaycheck._input_values import replay_codec
from replaycheck._sandbox import sandbox_refusal
from replaycheck._spec_hints import unregistered_message
from replaycheck._worker_plugins import plugins_replayer, replayer_workflows, unissued_note
from replaycheck._worker_process import (
    OutputCapture,
    configure_runtime,
    leave_with_parent,
    protocol_stream,
)
from replaycheck._worker_setup import Setup, explain_converter_warnings, make_setup
from replaycheck._worker_verdict import (
    failure_verdict,
    ok_verdict,
    unchecked_verdict,
    verdict_for,
)
from replaycheck.config import import_workflows, workflow_type_names
from replaycheck.errors import HistoryError, ReplaycheckError
from replaycheck.histories import LoadedHistory, parse_history_bytes, read_history
from replaycheck.verdict import Verdict

if TYPE_CHECKING:
    from temporalio.worker import Replayer, WorkflowReplayResult

    from replaycheck._job import ReplayJob
    from replaycheck._recording import Recording

Emit = Callable[[dict[str, Any]], None]
HistorySource = str | dict[str, Any]
"""A file path, or an inline history: ``{"name", "data" (base64 binpb), "workflow_id", "status"}``.
"""
PathSource = Callable[[], Awaitable[tuple[int, HistorySource] | None]]
"""Gives the next (index, history source) to replay, or ``None`` when there are no more."""


def inline_history(item: dict[str, Any]) -> LoadedHistory:
    """A history sent inline (``check --live``): binary protobuf plus what the server told us."""
    name = str(item["name"])
    loaded = parse_history_bytes(base64.b64decode(item["data"]), name + ".binpb")
    info = dataclasses.replace(
        loaded.info,
        path=name,
        workflow_id=str(item.get("workflow_id") or loaded.info.workflow_id),
        status=str(item.get("status") or loaded.info.status),
    )
    return LoadedHistory(info=info, history=loaded.history)


def make_replayer(job: ReplayJob, classes: list[type], setup: Setup) -> tuple[Replayer, list[type]]:
    """The ``Replayer`` for a job: sandboxed as configured, with the job's data converter,
    interceptors and plugins; and the workflow classes those plugins add.

    replaycheck's interceptors come first, outermost: the worker's own (and those its plugins
    add, after them) wrap the calls the workflow code makes, and the call-site capture reads
    temporalio's workflow instance from the outbound call it is given."""
    from temporalio.worker import Replayer

    from replaycheck._capture import CallSiteInterceptor

    ours: list[Any] = [CallSiteInterceptor()]
    if job.record_patches:
        from replaycheck._patch_record import PatchCallInterceptor

        ours.insert(0, PatchCallInterceptor())
    kwargs = setup.worker_options()
    kwargs["interceptors"] = [*ours, *setup.interceptors]
    if setup.data_converter is not None:
        kwargs["data_converter"] = setup.data_converter
    return plugins_replayer(lambda ws: Replayer(workflows=ws, **kwargs), classes, job.plugins)


def _recordings() -> Any:
    """The call-site recordings of ``replaycheck._capture`` (imported late: it loads temporalio)."""
    from replaycheck._capture import RECORDINGS

    return RECORDINGS


class BatchReplay:
    """Replays histories in order through one ``Replayer``; a crash starts a fresh one."""

    def __init__(self, job: ReplayJob, classes: list[type], setup: Setup, emit: Emit) -> None:
        self.job = job
        self.classes = classes
        self.setup = setup
        self.registered = workflow_type_names(classes)
        self.emit = emit
        self.current: tuple[int, LoadedHistory, float] | None = None
        self.fed = 0
        self.done = False
        self.ready = False
        """Whether a ``Replayer`` has loaded the workflows (said once, as ``ready``)."""
        self.converter: ConfiguredConverter | None = None
        """The converter the replay uses, when not temporalio's default (of each ``Replayer``)."""
        self.source: PathSource | None = None
        self.codec: Any = None  # the current Replayer's payload codec (its plugins' too)
        self.added: list[type] = []
        """The workflow classes the job's plugins add (said with ``ready``)."""

    async def run(self, paths: PathSource) -> None:
        """Replay every path the source yields, emitting one verdict each."""
        self.source = paths
        while not self.done:
            await self._pass()

    async def _pass(self) -> None:
        replayer, self.added = make_replayer(self.job, self.classes, self.setup)
        if self.job.plugins:  # a plugin may add workflows
            self.registered = workflow_type_names(replayer_workflows(replayer))
        self.codec = replay_codec(replayer)
        self.converter = replay_converter(self.job, self.setup, replayer)
        fed = self.fed
        try:
            async with replayer.workflow_replay_iterator(self._feed()) as results:
                if not self.ready:
                    self.ready = True
                    added = [f"{c.__module__}:{c.__qualname__}" for c in self.added]
                    self.emit({"ready": sorted(self.registered), "plugin_workflows": added})
                async for result in results:
                    await self._finish(result)
        except Exception as exc:  # the batch died: fail the history in flight, go on
            _recordings().clear()
            if self.current is not None:
                index, loaded, started = self.current
                self.current = None
                seconds = time.perf_counter() - started
                verdict = self._failed(loaded, exc, seconds)
                verdict = self._with_patches(verdict, loaded)
                self.emit({"index": index, "verdict": verdict.to_json_dict()})
            elif self.fed == fed:  # failing before any history: retrying would loop forever
                passing = self.job.python_name("passthrough_modules")
                refused = None if self.ready else sandbox_refusal(exc, self._modules(), passing)
                if refused is not None:
                    raise refused from None
                raise

    def _failed(
        self,
        loaded: LoadedHistory,
        failure: BaseException,
        seconds: float,
        recording: Recording | None = None,
    ) -> Verdict:
        """:func:`failure_verdict`, its fixes naming where the job's caller gives a setting."""
        types = self.job.python_name("workflow_failure_exception_types")
        return failure_verdict(loaded, failure, seconds, recording, self.converter, types)

    def _modules(self) -> set[str]:
        return {cls.__module__ for cls in self.classes}

    async def _feed(self) -> AsyncIterator[Any]:
        from temporalio.client import WorkflowHistory

        while True:
            assert self.source is not None
            item = await self.source()
            if item is None:
                self.done = True
                return
            index, source = item
            self.fed += 1
            # The history's time starts now, reading included, by a clock every process shares:
            # the parent may read this line late (the pytest plugin reads as items run).
            self.emit({"start": index, "at": time.monotonic()})
            started = time.perf_counter()
            loaded = self._load(index, source)
            if loaded is None:
                continue
            self.emit({"loaded": index, "events": loaded.info.events})  # for a timeout message
            _recordings().take(loaded.info.workflow_id)  # nothing stale from an earlier history
            self.current = (index, loaded, started)
            yield WorkflowHistory(loaded.info.workflow_id, loaded.history.events)

    def _load(self, index: int, source: HistorySource) -> LoadedHistory | None:
        path = source if isinstance(source, str) else str(source["name"])
        try:
            loaded = read_history(source) if isinstance(source, str) else inline_history(source)
        except HistoryError as exc:
            verdict = Verdict(path=path, verdict="error", message=exc.reason)
            self.emit({"index": index, "verdict": verdict.to_json_dict()})
            return None
        except Exception as exc:  # a bug of ours: raised into the Replayer, it would hang it
            traceback.print_exc()
            message = (
                f"replaycheck failed reading this history ({type(exc).__name__}: {exc}); this is "
                "a bug in replaycheck: please report it with the traceback on stderr"
            )
            verdict = Verdict(path=path, verdict="error", message=message)
            self.emit({"index": index, "verdict": verdict.to_json_dict()})
            return None
        wtype = loaded.info.workflow_type
        if wtype not in self.registered and "*" not in self.registered:
            message = unregistered_message(wtype, self.registered, self.job.workflows)
            verdict = verdict_for(loaded, "error", message, 0)
            self.emit({"index": index, "verdict": verdict.to_json_dict()})
            return None
        return loaded

    async def _finish(self, result: WorkflowReplayResult) -> None:
        assert self.current is not None
        index, loaded, started = self.current
        self.current = None
        seconds = time.perf_counter() - started
        recording = _recordings().take(loaded.info.workflow_id)
        try:
            if result.replay_failure is None:
                verdict = _unchecked(loaded, recording, seconds)
                verdict = verdict or await ok_verdict(loaded, recording, seconds, self.codec)
            else:
                failure = result.replay_failure
                verdict = self._failed(loaded, failure, seconds, recording)
                note = unissued_note(self.job, loaded, verdict, recording)
                if note:  # said once per command, before the verdict
                    self.emit({"note": note})
            verdict = self._with_patches(verdict, loaded)
        except Exception as exc:  # a bug of ours: this history still gets its verdict
            traceback.print_exc()
            message = (
                f"replaycheck failed reading this history's replay ({type(exc).__name__}: {exc});"
                " this is a bug in replaycheck: please report it with the traceback on stderr"
            )
            verdict = verdict_for(loaded, "error", message, seconds)
        self.emit({"index": index, "verdict": verdict.to_json_dict()})

    def _with_patches(self, verdict: Verdict, loaded: LoadedHistory) -> Verdict:
        """Add the history's patch markers and observed calls when the job records them."""
        if not self.job.record_patches:
            return verdict
        from replaycheck._patch_record import facts

        return dataclasses.replace(verdict, patches=facts(loaded))


def _unchecked(
    loaded: LoadedHistory, recording: Recording | None, seconds: float
) -> Verdict | None:
    """:func:`unchecked_verdict`; a surprise in it leaves the history to core's verdict."""
    try:
        return unchecked_verdict(loaded, recording, seconds)
    except Exception:  # a bug of ours: say where, and keep the verdict core gave
        traceback.print_exc()
        return None


def main() -> int:
    """Entry point of a worker process."""
    from replaycheck._job import ReplayJob

    out = protocol_stream()
    # Ctrl-C reaches the whole process group; the parent reports it, a worker just leaves.
    # A parent that ignores SIGINT (started in the background) keeps running: so does this one.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent until handled here
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    leave_with_parent()

    job = ReplayJob.from_json_dict(json.loads(sys.stdin.readline()))
    captured = OutputCapture() if job.capture_output else None
    notes: list[str] = []  # said during a replay (another thread), sent before its verdict

    def emit(message: dict[str, Any]) -> None:
        while notes:
            out.write(json.dumps({"note": notes.pop(0)}) + "\n")
        if captured is not None and "verdict" in message:
            message["verdict"]["output"], message["output_end"] = captured.take()
        out.write(json.dumps(message) + "\n")

    try:
        configure_runtime()
        explain_converter_warnings(job, notes)
        classes = import_workflows(
            job.workflows, job.import_paths, python=job.python_name("workflows")
        )
        setup = make_setup(job)
        # Ready (said by the first Replayer, once temporalio's sandbox has loaded the workflows)
        asyncio.run(BatchReplay(job, classes, setup, emit).run(stdin_paths()))
    except ReplaycheckError as exc:
        emit({"fatal": str(exc), "kind": type(exc).__name__})
        return 2
    return 0


def stdin_paths() -> PathSource:
    """Read one JSON-encoded path per line from stdin (without blocking the event loop)."""
    counter = iter(range(1 << 62))

    async def next_path() -> tuple[int, HistorySource] | None:
        line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        if not line:
            return None
        return next(counter), json.loads(line)

    return next_path


if __name__ == "__main__":
    sys.exit(main())
