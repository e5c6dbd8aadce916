"""Patch calls observed during replay: what ``patched()`` / ``deprecate_patch()`` returned.

Runs in the replay worker only, when the job asks for it (``ReplayJob.record_patches``, set by
``replaycheck patches``). :class:`PatchCallInterceptor` wraps the ``workflow_patch`` method of every
workflow instance the ``Replayer`` creates (where both ``workflow.patched`` and
``workflow.deprecate_patch`` land) and records, for the first call of each patch id, its result,
whether the history decided it (replaying) and the user code line that made it. temporalio is
passed through the sandbox, so the wrapper sees every sandboxed call.
"""

from __future__ import annotations

import os
import sys
import threading
from datetime import timezone
from types import FrameType
from typing import TYPE_CHECKING, Any

from temporalio.worker import (
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)

from replaycheck._patch_facts import PatchCall, PatchFacts, change_versions
from replaycheck._user_frames import user_stack

if TYPE_CHECKING:
    from replaycheck.histories import LoadedHistory

_VERSIONING_FILE = os.path.join("replaycheck", "versioning.py")


class _Registry:
    """The calls of the instance created most recently for each workflow id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workflow: dict[str, list[PatchCall]] = {}

    def start(self, workflow_id: str) -> list[PatchCall]:
        calls: list[PatchCall] = []
        with self._lock:
            self._by_workflow[workflow_id] = calls
        return calls

    def take(self, workflow_id: str) -> tuple[PatchCall, ...] | None:
        """Remove and return the calls recorded for ``workflow_id`` (``None``: not observed)."""
        with self._lock:
            calls = self._by_workflow.pop(workflow_id, None)
        return None if calls is None else tuple(calls)

    def clear(self) -> None:
        """Forget every recording (a replay batch died)."""
        with self._lock:
            self._by_workflow.clear()


CALLS = _Registry()


def facts(loaded: LoadedHistory) -> PatchFacts:
    """What the history holds about patches plus the calls its replay made (taken once)."""
    calls = CALLS.take(loaded.info.workflow_id)
    return PatchFacts(
        markers=loaded.info.patches,
        change_versions=change_versions(loaded.history),
        calls=calls or (),
        observed=calls is not None,
        closed_at=_closed_at(loaded),
        generated=loaded.info.generated,
        **_continued(loaded),
    )


def _continued(loaded: LoadedHistory) -> dict[str, str]:
    """``continued_from`` and ``started_at`` of a run that continued an earlier one."""
    first = loaded.history.events[0]
    earlier = first.workflow_execution_started_event_attributes.continued_execution_run_id
    if not earlier:
        return {}
    started = ""
    if first.HasField("event_time"):
        started = first.event_time.ToDatetime(tzinfo=timezone.utc).isoformat()
    return {"continued_from": earlier, "started_at": started}


def _closed_at(loaded: LoadedHistory) -> str:
    last = loaded.history.events[-1]
    if not loaded.info.closed or not last.HasField("event_time"):
        return ""
    return last.event_time.ToDatetime(tzinfo=timezone.utc).isoformat()


_HERE = os.path.dirname(os.path.abspath(__file__))
_HOOKS = frozenset(os.path.join(_HERE, name) for name in ("_capture.py", "_patch_record.py"))
"""replaycheck's own wrappers of ``workflow_patch`` (the call-site capture wraps it too)."""


def _via_get_version(frame: FrameType | None) -> bool:
    """Whether the innermost frame outside temporalio (and replaycheck's hooks) is
    ``replaycheck.versioning``."""
    while frame is not None and (
        os.sep + "temporalio" + os.sep in frame.f_code.co_filename
        or os.path.abspath(frame.f_code.co_filename) in _HOOKS
    ):
        frame = frame.f_back
    return frame is not None and frame.f_code.co_filename.endswith(_VERSIONING_FILE)


def _hook(instance: Any, calls: list[PatchCall]) -> None:
    original = instance.workflow_patch
    seen: set[str] = set()

    def workflow_patch(id: str, *, deprecated: bool, **kwargs: Any) -> bool:
        replaying = bool(instance.workflow_is_replaying())
        result = original(id, deprecated=deprecated, **kwargs)
        if id not in seen and not getattr(instance, "_deleting", False):
            seen.add(id)  # later calls of the id return the memoized first result
            frame = sys._getframe(1)
            stack = user_stack(frame)
            calls.append(
                PatchCall(
                    patch_id=id,
                    deprecated=deprecated,
                    result=bool(result),
                    replaying=replaying,
                    event_id=int(getattr(instance, "_current_history_length", 0)),
                    file=os.path.realpath(stack[0][0]) if stack else "",
                    line=stack[0][1] if stack else 0,
                    get_version=_via_get_version(frame),
                )
            )
        return bool(result)

    instance.workflow_patch = workflow_patch


def _instance_of(outbound: Any) -> Any:
    """temporalio's workflow instance behind ``outbound`` (through other interceptors)."""
    while outbound is not None and not hasattr(outbound, "_instance"):
        outbound = getattr(outbound, "next", None)
    return getattr(outbound, "_instance", None)


class _Inbound(WorkflowInboundInterceptor):
    def init(self, outbound: WorkflowOutboundInterceptor) -> None:
        instance = _instance_of(outbound)
        needed = ("workflow_patch", "workflow_is_replaying", "_info")
        if instance is not None and all(hasattr(instance, name) for name in needed):
            _hook(instance, CALLS.start(instance._info.workflow_id))
        # else temporalio changed: the facts say "not observed" and no gate counts as passed
        super().init(outbound)


class PatchCallInterceptor(Interceptor):
    """Register on a ``Replayer`` to record every patch call and its result."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        return _Inbound
