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
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import IO, TYPE_CHECKING, Any

from replaycheck.config import import_object, import_workflows, workflow_type_names
from replaycheck.errors import ConfigError, HistoryError, ReplaycheckError
from replaycheck.histories import LoadedHistory, parse_history_bytes, read_history
from replaycheck.verdict import Verdict

if TYPE_CHECKING:
    from temporalio.worker import Replayer, WorkflowReplayResult

    from replaycheck._capture import Recording
    from replaycheck._job import ReplayJob
    from replaycheck.diagnose import Diagnosis

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


def configure_runtime() -> None:
    """Route core's logs through Python logging so its WARN lines never reach stdout."""
    from temporalio.runtime import Runtime

    from replaycheck._runtime import silent_runtime

    # temporalio logs each failed workflow activation (e.g. payloads it cannot decode) with a
    # traceback; the verdict carries the failure, so keep stderr for real problems.
    logging.getLogger("temporalio.worker._workflow_instance").setLevel(logging.CRITICAL)
    # The sandbox logs each call it stops; the verdict names the call and its line.
    logging.getLogger("temporalio.worker.workflow_sandbox._restrictions").setLevel(logging.ERROR)
    Runtime.set_default(silent_runtime("replaycheck.core"), error_if_already_set=False)


def make_replayer(job: ReplayJob, classes: list[type]) -> Replayer:
    """The ``Replayer`` for a job: sandboxed by default, with the job's data converter."""
    from temporalio.converter import DataConverter
    from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

    from replaycheck._capture import CallSiteInterceptor

    kwargs: dict[str, Any] = {"workflows": classes, "interceptors": [CallSiteInterceptor()]}
    if job.record_patches:
        from replaycheck._patch_record import PatchCallInterceptor

        kwargs["interceptors"].insert(0, PatchCallInterceptor())
    if job.data_converter:
        kwargs["data_converter"] = as_data_converter(
            import_object(job.data_converter, job.import_paths), DataConverter, job.data_converter
        )
    if not job.sandbox:
        kwargs["workflow_runner"] = UnsandboxedWorkflowRunner()
    return Replayer(**kwargs)


def as_data_converter(obj: Any, converter_type: type, spec: str = "") -> Any:
    """Accept a ``DataConverter``, a ``PayloadCodec`` or a zero-argument factory of either
    (``spec``: the ``module:object`` it was imported from, for the error)."""
    from temporalio.converter import PayloadCodec

    if callable(obj) and not isinstance(obj, (converter_type, PayloadCodec)):
        obj = obj()
    if isinstance(obj, PayloadCodec):
        return converter_type(payload_codec=obj)
    if not isinstance(obj, converter_type):
        raise ReplaycheckError(
            f"data_converter {spec + ' ' if spec else ''}must name a temporalio DataConverter "
            f"or PayloadCodec (or a function returning one), got {type(obj).__name__}; fix "
            "--data-converter, or data_converter in [tool.replaycheck]."
        )
    return obj


def failure_verdict(
    loaded: LoadedHistory,
    failure: BaseException,
    seconds: float,
    recording: Recording | None = None,
) -> Verdict:
    """Map a replay failure to ``nondeterministic`` (with its diagnosis) or ``error``."""
    from temporalio.workflow import NondeterminismError

    from replaycheck.diagnose import Diagnosis, core_message, severity_of

    text = str(failure)
    if isinstance(failure, NondeterminismError) or INVALID_TRANSITION in text:
        message = core_message(text)
        try:
            diagnosis = diagnose_failure(loaded, message, recording)
        except Exception:  # a bug of ours: the verdict stands, the traceback says where
            traceback.print_exc()
            diagnosis = Diagnosis(message=message, severity=severity_of(loaded.info.status))
        return _verdict(
            loaded, "nondeterministic", message, seconds, detail=text, diagnosis=diagnosis
        )
    return _verdict(loaded, "error", error_message(text), seconds, detail=text)


INVALID_TRANSITION = "says the transition is invalid"
"""Core's "Fatal error in workflow machines" when the code's commands take a machine somewhere
the history does not go (e.g. a cancel the history never requested): nondeterminism that core
does not call so (Cadence's Go client reports an illegal state transition as nondeterminism too)."""

_UNKNOWN_ENCODING = re.compile(r"Unknown payload encoding ([^\s'\"\\]+)")
_CAUSE = re.compile(r'cause: Some\(Failure \{ message: "((?:[^"\\]|\\.)*)"')
_CAUSE_TYPE = re.compile(r'r#type: "(\w+)"')


def error_message(text: str) -> str:
    """The message of an ``error`` verdict; payloads that cannot be decoded (encrypted, or in a
    custom format) point at the ``data_converter`` setting, recorded arguments that no longer
    fit the code's parameter types at the signature change, an exception the workflow code
    raised at its line."""
    from replaycheck._code_failure import code_failure_message
    from replaycheck.diagnose import core_message

    if "Failed decoding" not in text and "Unknown payload encoding" not in text:
        return code_failure_message(text) or f"replay failed: {core_message(text)}"
    cause = _CAUSE.search(text)
    if cause is not None and "value_to_type" in text:  # decoded, but does not fit the type
        kind = _CAUSE_TYPE.search(text, cause.end())
        reason = cause.group(1).replace('\\"', '"')
        what = (
            "the arguments recorded in the history (the workflow's input or a signal's) no "
            "longer fit the code's parameter types"
            if "Failed decoding arguments" in text
            else "a value recorded in the history (e.g. an activity's or a child workflow's "
            "result) no longer fits the type the code declares for it"
        )
        return (
            f"replay failed: {what} ({kind.group(1) + ': ' if kind else ''}{reason}); "
            "executions recorded with the old types would fail the same way: keep the old "
            "form accepted (new fields need defaults)"
        )
    encoding = _UNKNOWN_ENCODING.search(text)
    what = f"unknown payload encoding {encoding.group(1)}" if encoding else core_message(text)
    return (
        f"replay failed: the payloads could not be decoded ({what}); set data_converter = "
        '"module:object" in [tool.replaycheck] (or --data-converter) to the converter or codec '
        "your workers use"
    )


def diagnose_failure(loaded: LoadedHistory, message: str, recording: Recording | None) -> Diagnosis:
    """The diagnosis of a nondeterministic history from what the replay recorded."""
    from replaycheck._building import diagnose
    from replaycheck._commands import code_commands
    from replaycheck._source import source_frames

    issued = None
    last = 0
    early: list[tuple[str, str, int]] = []
    draws: list[tuple[str, int]] = []
    handlers = None
    if recording is not None:
        if isinstance(recording.signal_handlers, dict):
            handlers = frozenset(recording.signal_handlers)
        for stack, task in recording.draws:
            frames = source_frames(stack)
            if frames:
                draws.append((frames[0].short(), task))
        entries = recording.command_entries()
        issued = code_commands(entries, recording.continue_as_new_stack)
        last = recording.last_activation
        for patch_id, stack, count in recording.early_deprecations:
            frames = source_frames(stack)
            before = len(code_commands(entries[:count]))  # commands issued before it
            early.append((patch_id, frames[0].short() if frames else "", before))
    return diagnose(
        message,
        loaded.history,
        status=loaded.info.status,
        issued=issued,
        last_task=last,
        early_deprecations=early,
        draws=draws,
        signal_handlers=handlers,
    )


def _verdict(
    loaded: LoadedHistory,
    kind: Any,
    message: str,
    seconds: float,
    detail: str = "",
    diagnosis: Diagnosis | None = None,
) -> Verdict:
    info = loaded.info
    return Verdict(
        path=info.path,
        verdict=kind,
        message=message,
        workflow_id=info.workflow_id,
        workflow_type=info.workflow_type,
        run_id=info.run_id,
        events=info.events,
        verified_through=info.verified_through if kind == "ok" else 0,
        status=info.status,
        detail=detail,
        diagnosis=diagnosis,
        seconds=round(seconds, 4),
    )


def ok_message(loaded: LoadedHistory) -> str:
    """Say how much of the history the replay really checked."""
    info = loaded.info
    if info.closed:
        return f"replayed all {info.events} events; execution {info.status.lower()}"
    return (
        f"verified events 1-{info.verified_through} of {info.events}; execution still running, "
        "later commands are not checked until it makes them"
    )


def pending_timer_note(loaded: LoadedHistory, recording: Recording | None) -> str:
    """For a running execution: a timer still pending in its history that the code now starts
    for another duration. Core does not compare durations, so the replay passes, but after a
    deploy the execution keeps the timer it started, and the code sees it fire then."""
    if recording is None or loaded.info.closed:
        return ""
    timers = [(c, f) for c, _, f in recording.entries if c.HasField("start_timer")]
    if not timers:  # no timer of the code's: the history need not be read
        return ""
    from temporalio.api.enums.v1 import EventType

    from replaycheck._commands import duration_text, proto_seconds
    from replaycheck._source import display_file

    pending: dict[str, tuple[int, float]] = {}
    for event in loaded.history.events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            started = event.timer_started_event_attributes
            pending[started.timer_id] = (
                event.event_id,
                proto_seconds(started.start_to_fire_timeout),
            )
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            pending.pop(event.timer_fired_event_attributes.timer_id, None)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            pending.pop(event.timer_canceled_event_attributes.timer_id, None)
    for command, frames in timers if pending else ():
        found = pending.get(str(command.start_timer.seq))
        wanted = proto_seconds(command.start_timer.start_to_fire_timeout)
        if found is None or found[1] == wanted:
            continue
        where = f" at {display_file(frames[0][0])}:{frames[0][1]}" if frames else ""
        return (
            f"; but its timer started at event {found[0]} for {duration_text(found[1])} is still "
            f"pending, and the code now asks for {duration_text(wanted)}{where}: core does not "
            f"compare durations, so after a deploy this execution keeps the "
            f"{duration_text(found[1])} timer"
        )
    return ""


def _recordings() -> Any:
    """The call-site recordings of ``replaycheck._capture`` (imported late: it loads temporalio)."""
    from replaycheck._capture import RECORDINGS

    return RECORDINGS


class BatchReplay:
    """Replays histories in order through one ``Replayer``; a crash starts a fresh one."""

    def __init__(self, job: ReplayJob, classes: list[type], emit: Emit) -> None:
        self.job = job
        self.classes = classes
        self.registered = workflow_type_names(classes)
        self.emit = emit
        self.current: tuple[int, LoadedHistory, float] | None = None
        self.fed = 0
        self.done = False
        self.source: PathSource | None = None

    async def run(self, paths: PathSource) -> None:
        """Replay every path the source yields, emitting one verdict each."""
        self.source = paths
        while not self.done:
            await self._pass()

    async def _pass(self) -> None:
        replayer = make_replayer(self.job, self.classes)
        fed = self.fed
        try:
            async with replayer.workflow_replay_iterator(self._feed()) as results:
                async for result in results:
                    self._finish(result)
        except Exception as exc:  # the batch died: fail the history in flight, go on
            _recordings().clear()
            if self.current is not None:
                index, loaded, started = self.current
                self.current = None
                verdict = failure_verdict(loaded, exc, time.perf_counter() - started)
                verdict = self._with_patches(verdict, loaded)
                self.emit({"index": index, "verdict": verdict.to_json_dict()})
            elif self.fed == fed:
                raise  # failing before any history: retrying would loop forever

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
            names = ", ".join(sorted(self.registered)) or "none"
            message = (
                f"workflow type {wtype!r} is not registered (registered: {names}); "
                "add the module that defines it to the workflows setting, or, if you renamed "
                f"it, keep a workflow registered as {wtype!r}: executions recorded before run "
                "under that name"
            )
            verdict = _verdict(loaded, "error", message, 0)
            self.emit({"index": index, "verdict": verdict.to_json_dict()})
            return None
        return loaded

    def _finish(self, result: WorkflowReplayResult) -> None:
        assert self.current is not None
        index, loaded, started = self.current
        self.current = None
        seconds = time.perf_counter() - started
        recording = _recordings().take(loaded.info.workflow_id)
        try:
            if result.replay_failure is None:
                try:  # a note, not a verdict: a surprise in it must not cost the ok
                    note = pending_timer_note(loaded, recording)
                except Exception:
                    note = ""
                message = ok_message(loaded) + note
                verdict = _verdict(loaded, "ok", message, seconds)
            else:
                verdict = failure_verdict(loaded, result.replay_failure, seconds, recording)
            verdict = self._with_patches(verdict, loaded)
        except Exception as exc:  # a bug of ours: this history still gets its verdict
            traceback.print_exc()
            message = (
                f"replaycheck failed reading this history's replay ({type(exc).__name__}: {exc});"
                " this is a bug in replaycheck: please report it with the traceback on stderr"
            )
            verdict = _verdict(loaded, "error", message, seconds)
        self.emit({"index": index, "verdict": verdict.to_json_dict()})

    def _with_patches(self, verdict: Verdict, loaded: LoadedHistory) -> Verdict:
        """Add the history's patch markers and observed calls when the job records them."""
        if not self.job.record_patches:
            return verdict
        from replaycheck._patch_record import facts

        return dataclasses.replace(verdict, patches=facts(loaded))


def _protocol_stream() -> IO[str]:
    """Keep the real stdout for messages; send anything else printed to stderr."""
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


class OutputCapture:
    """Reads back what this process wrote to stderr (a file the parent gave it; stdout goes
    there too, see :func:`_protocol_stream`)."""

    def __init__(self) -> None:
        self.read = 0

    def take(self) -> tuple[str, int]:
        """What was written since the last call, and the file's size now."""
        sys.stderr.flush()
        end = os.fstat(2).st_size
        data = os.pread(2, end - self.read, self.read) if end > self.read else b""
        self.read = end
        return data.decode("utf-8", "replace"), end


def main() -> int:
    """Entry point of a worker process."""
    from replaycheck._job import ReplayJob

    out = _protocol_stream()
    # Ctrl-C reaches the whole process group; the parent reports it, a worker just leaves.
    # A parent that ignores SIGINT (started in the background) keeps running: so does this one.
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, lambda *_: os._exit(130))
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent until handled here
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _leave_with_parent()

    job = ReplayJob.from_json_dict(json.loads(sys.stdin.readline()))
    captured = OutputCapture() if job.capture_output else None

    def emit(message: dict[str, Any]) -> None:
        if captured is not None and "verdict" in message:
            message["verdict"]["output"], message["output_end"] = captured.take()
        out.write(json.dumps(message) + "\n")

    try:
        configure_runtime()
        classes = import_workflows(job.workflows, job.import_paths)
        if job.data_converter:
            try:
                make_replayer(job, classes)  # fail fast on a bad converter
            except ReplaycheckError:
                raise
            except Exception as exc:  # e.g. a converter factory that raises
                raise ConfigError(
                    f"data_converter {job.data_converter} could not be made "
                    f"({type(exc).__name__}: {exc}); fix it, or the --data-converter / "
                    "data_converter setting"
                ) from None
    except ReplaycheckError as exc:
        emit({"fatal": str(exc), "kind": type(exc).__name__})
        return 2
    emit({"ready": sorted(workflow_type_names(classes))})
    asyncio.run(BatchReplay(job, classes, emit).run(stdin_paths()))
    return 0


PARENT_CHECK_SECONDS = 1.0


def _leave_with_parent() -> None:
    """Exit when the parent dies without stopping this worker (SIGKILL, ``os._exit`` after a
    pytest-timeout, a cancelled CI job): end of input ends an idle worker, but not one stuck
    in a history. The parent's pid comes from the environment (it may have died before this
    process could ask who its parent is); POSIX only."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return
    parent = int(os.environ.get("REPLAYCHECK_PARENT_PID") or os.getppid())

    def alive() -> bool:
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            return False
        except OSError:  # it exists, under another user
            return True
        return True

    if not alive():
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if not alive():
                os._exit(1)

    threading.Thread(target=watch, name="replaycheck-parent", daemon=True).start()


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
