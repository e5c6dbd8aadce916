"""Call-site capture during replay: which line of workflow code issued each command.

Runs in the replay worker only. :class:`CallSiteInterceptor`, registered on the ``Replayer``, hooks
every workflow instance it creates: each command the instance adds to an activation completion is
recorded with the workflow task it answers (the activation's history length) and the user-code
frames on the stack at that moment. Recording is cheap (a frame walk of file, line and function
names), so it runs for every history; the records are only turned into text when a replay fails.

Interceptors run inside temporalio's sandbox, but this module is imported outside it, so its
globals (the registry below) are the real ones and shared across sandboxed runs.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from types import CodeType
from typing import TYPE_CHECKING, Any, NoReturn

from temporalio.worker import (
    ContinueAsNewInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from replaycheck._core_message import joined_lines
from replaycheck._recording import Recording
from replaycheck._user_frames import (
    INTERCEPTOR_CODE,
    ORIGIN_DEPTH,
    Site,
    is_user_file,
    user_stack,
)
from replaycheck._waiting import waiting_stacks

if TYPE_CHECKING:
    from temporalio.bridge.proto.workflow_commands import WorkflowCommand


MAX_DRAWS = 200
"""Places (per activation) that took ``workflow.random()`` kept per workflow instance."""


_SLEEPS = frozenset({"sleep", "workflow_sleep"})
"""Functions that create a future and then the timer that resolves it (asyncio's, temporalio's)."""


class _SleepFuture(asyncio.Future):  # type: ignore[type-arg]
    """A sleep's future: a ``cancel()`` reaching it (``task.cancel()`` on the sleeping task
    cancels the future it waits on) records where the workflow code asked for it."""

    _replaycheck_timer: tuple[Recording, int] | None = None

    def cancel(self, msg: Any | None = None) -> bool:
        timer = self._replaycheck_timer
        if timer is not None and not self.done():
            stack = user_stack(sys._getframe(1))
            if stack:  # not temporalio cancelling it (a workflow cancel reaching the sleep)
                timer[0].cancels.setdefault(("cancel_timer", timer[1]), stack)
        return super().cancel(msg)


class _Registry:
    """The recording of the instance created most recently for each workflow id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workflow: dict[str, Recording] = {}

    def start(self, workflow_id: str) -> Recording:
        recording = Recording()
        with self._lock:
            self._by_workflow[workflow_id] = recording
        return recording

    def take(self, workflow_id: str) -> Recording | None:
        """Remove and return the recording for ``workflow_id`` (``None`` if there is none)."""
        with self._lock:
            return self._by_workflow.pop(workflow_id, None)

    def clear(self) -> None:
        """Forget every recording (a replay batch died)."""
        with self._lock:
            self._by_workflow.clear()


RECORDINGS = _Registry()


def _hook_instance(instance: Any, recording: Recording) -> None:
    """Record every command ``instance`` adds, with the user code that asked for it."""
    add_command = instance._add_command
    activate = instance.activate
    entries, entry_sites = recording.entries, recording.entry_sites
    getframe = sys._getframe

    def recording_activate(act: Any) -> Any:
        if not any(job.HasField("remove_from_cache") for job in act.jobs):
            recording.last_activation = act.history_length
        else:  # before the eviction cancels the tasks: where the code waits
            recording.waiting = waiting_stacks(instance, is_user_file)
        for job in act.jobs:
            if job.HasField("do_update"):
                update = job.do_update
                recording.update_names[update.protocol_instance_id] = update.name
        depth = sys.get_coroutine_origin_tracking_depth()
        sys.set_coroutine_origin_tracking_depth(ORIGIN_DEPTH)  # per thread: this workflow's
        try:
            return activate(act)
        finally:
            sys.set_coroutine_origin_tracking_depth(depth)

    def recording_add_command() -> WorkflowCommand:
        command: WorkflowCommand = add_command()
        if not getattr(instance, "_deleting", False):
            history_length = getattr(instance, "_current_history_length", 0)
            sites: list[Site | None] = []
            entries.append((command, history_length, user_stack(getframe(1), sites)))
            entry_sites.append(tuple(sites))
        return command

    instance._add_command = recording_add_command
    instance.activate = recording_activate
    _hook_decoding(instance, recording)
    _hook_sleeps(instance, recording)
    instance._replaycheck_recording = recording  # for the handles' cancel() (_hook_cancels)
    recording.signal_handlers = getattr(instance, "_signals", None)
    recording.update_handlers = getattr(instance, "_updates", None)
    recording.definition = getattr(instance, "_defn", None)
    workflow_random = getattr(instance, "workflow_random", None)
    if workflow_random is not None:
        draws, seen = recording.draws, set()

        def recording_random() -> Any:
            if len(draws) < MAX_DRAWS:
                stack = user_stack(getframe(1))
                at = (stack[0] if stack else None, getattr(instance, "_current_history_length", 0))
                if stack and at not in seen:
                    seen.add(at)
                    draws.append((stack, at[1], len(entries)))
            return workflow_random()

        instance.workflow_random = recording_random
    patch = getattr(instance, "workflow_patch", None)
    if patch is None:
        return
    early, unmatched = recording.early_deprecations, recording.unmatched_patches

    def recording_patch(id: str, *args: Any, deprecated: bool, **kwargs: Any) -> bool:
        used = bool(patch(id, *args, deprecated=deprecated, **kwargs))
        calls = early if deprecated else unmatched
        if not used and all(seen != id for seen, _, _ in calls):
            calls.append((id, user_stack(getframe(1)), len(entries)))
        return used

    instance.workflow_patch = recording_patch


def _hook_decoding(instance: Any, recording: Recording) -> None:
    """Record the signal and update inputs the handlers' parameter types cannot take."""
    process = getattr(instance, "_process_handler_args", None)
    if process is None:
        return
    undecoded = recording.undecoded

    def recording_process(job_name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return process(job_name, *args, **kwargs)
        except Exception as err:
            if len(undecoded) < MAX_UNDECODED:
                cause = err.__cause__ or err
                text = str(cause).strip()
                error = f"{type(cause).__name__}: {joined_lines(text)}" if text else ""
                undecoded.append((str(job_name), error[:300] or type(cause).__name__))
            raise

    instance._process_handler_args = recording_process


MAX_UNDECODED = 20
"""Undecodable inputs kept per workflow instance."""


def _hook_sleeps(instance: Any, recording: Recording) -> None:
    """Give each sleep a :class:`_SleepFuture` tied to its timer's sequence number: cancelling
    the sleeping task cancels that future, and the timer's cancel command follows later, from
    the loop (``workflow.sleep``) or the sleep's cleanup (``asyncio.sleep``), off the user's
    stack."""
    create_future = getattr(instance, "create_future", None)
    timer_impl = getattr(instance, "_timer_impl", None)
    if create_future is None or timer_impl is None:
        return
    getframe = sys._getframe

    def recording_create_future() -> Any:
        if getframe(1).f_code.co_name not in _SLEEPS:
            return create_future()
        future = _SleepFuture(loop=instance)
        recording.sleep_future = future
        return future

    def recording_timer_impl(*args: Any, **kwargs: Any) -> Any:
        handle = timer_impl(*args, **kwargs)
        future, recording.sleep_future = recording.sleep_future, None
        seq = getattr(handle, "_seq", None)
        if future is not None and isinstance(seq, int):
            future._replaycheck_timer = (recording, seq)
        return handle

    instance.create_future = recording_create_future
    instance._timer_impl = recording_timer_impl


def _hook_cancels() -> None:
    """Record where workflow code cancels an activity, child workflow or Nexus operation handle
    (once, on temporalio's handle classes; instances that are not recorded are left alone)."""
    from temporalio.worker import _workflow_instance as instances

    for cls, command in (
        (getattr(instances, "_ActivityHandle", None), "request_cancel_activity"),
        (getattr(instances, "_ChildWorkflowHandle", None), "cancel_child_workflow_execution"),
        (getattr(instances, "_NexusOperationHandle", None), "request_cancel_nexus_operation"),
    ):
        if cls is None or getattr(cls.cancel, "_replaycheck", False):
            continue
        cls.cancel = _recording_cancel(cls.cancel, command)


def _recording_cancel(cancel: Any, command: str) -> Any:
    def recording_cancel(self: Any, *args: Any, **kwargs: Any) -> Any:
        recording = getattr(getattr(self, "_instance", None), "_replaycheck_recording", None)
        seq = getattr(self, "_seq", None)
        if isinstance(recording, Recording) and isinstance(seq, int):
            stack = user_stack(sys._getframe(1))
            if stack:  # not temporalio cancelling it (a workflow cancel reaching the activity)
                recording.cancels.setdefault((command, seq), stack)
        return cancel(self, *args, **kwargs)

    recording_cancel._replaycheck = True  # type: ignore[attr-defined]
    return recording_cancel


class _Outbound(WorkflowOutboundInterceptor):
    def __init__(self, next: WorkflowOutboundInterceptor, recording: Recording) -> None:
        super().__init__(next)
        self._recording = recording

    def continue_as_new(self, input: ContinueAsNewInput) -> NoReturn:
        self._recording.continue_as_new_stack = user_stack(sys._getframe(1))
        super().continue_as_new(input)


_HOOKED = ("_add_command", "activate", "_info")
"""Private attributes of temporalio's workflow instance the capture relies on."""


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        instance: Any = outbound
        while instance is not None and not hasattr(instance, "_instance"):
            instance = getattr(instance, "next", None)  # a plugin put another one first
        instance = getattr(instance, "_instance", None)
        if instance is None or not all(hasattr(instance, name) for name in _HOOKED):
            # temporalio changed: record nothing, and the diagnosis falls back to core's
            # message and the history
            super().init(outbound)
            return
        recording = RECORDINGS.start(instance._info.workflow_id)
        _hook_instance(instance, recording)
        super().init(_Outbound(outbound, recording))
        _note_interceptors(self)


_SEEN_CLASSES: set[type] = set()
"""Interceptor classes whose methods are in ``INTERCEPTOR_CODE`` (or are temporalio's)."""


def _note_interceptors(outermost: WorkflowInboundInterceptor) -> None:
    """Put the methods of the interceptors inside ours (the worker's own: inbound, and the
    outbound ones they made) in ``INTERCEPTOR_CODE``, once per class: the call sites of the
    workflow's commands skip their frames."""
    chain: list[Any] = []
    inbound: Any = outermost.next
    outbound: Any = None
    while inbound is not None:
        chain.append(inbound)
        outbound = getattr(inbound, "_outbound", None)  # the root: temporalio's own
        inbound = getattr(inbound, "next", None)
    while outbound is not None and not isinstance(outbound, _Outbound):
        chain.append(outbound)
        outbound = getattr(outbound, "next", None)
    for cls in {k for obj in chain for k in type(obj).__mro__} - _SEEN_CLASSES:
        _SEEN_CLASSES.add(cls)
        if cls.__module__.partition(".")[0] in ("temporalio", "replaycheck", "builtins"):
            continue
        for value in vars(cls).values():
            code = getattr(getattr(value, "__func__", value), "__code__", None)
            if isinstance(code, CodeType):
                INTERCEPTOR_CODE.add(code)


class CallSiteInterceptor(Interceptor):
    """Register on a ``Replayer`` to record the call site of every workflow command."""

    def __init__(self) -> None:
        _hook_cancels()

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound
