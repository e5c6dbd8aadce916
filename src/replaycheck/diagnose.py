"""Turning temporalio's replay failures into something a person can act on.

A :class:`Diagnosis` says where replay diverged (history event id and type), what the history
recorded there, what the new code commanded instead (and which line of it), the commands around
that point, how to gate the change, and what deploying it would break. It is built in the replay
worker from the history's command events, the commands the code issued during replay (recorded
with their call sites by ``replaycheck._capture``) and core's own message, which serves as a cross
check and as the fallback: a message nothing else explains still gives a Diagnosis holding it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

from replaycheck._commands import (
    KIND_LABELS,
    NAMED_KINDS,
    Command,
    HistoryCommands,
    history_commands,
)
from replaycheck._divergence import (
    CoreHint,
    Divergence,
    TimelineRow,
    align,
    at_event,
    gate_frame,
    parse_core_message,
    timeline,
)
from replaycheck._readings import (
    added_block,
    loop_change,
    moved_too,
    naming_frame,
    shares_statement,
    slug,
    still_runs_later,
    update_handler,
)
from replaycheck._source import SourceFrame, patch_ids_in_source, source_frames
from replaycheck.histories import event_type_name

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

_MESSAGE = re.compile(r'message: "((?:[^"\\]|\\.)*)"')

IN_FLIGHT = "breaks in-flight executions"
CLOSED = "breaks queries and resets of closed executions"
CHANGES = (
    "added", "removed", "renamed", "reordered", "replaced", "loop", "id-changed", "patch-removed",
    "unknown",
)  # fmt: skip
"""Values of :attr:`Diagnosis.change`."""


def core_message(text: str) -> str:
    """Core's own message, unwrapped from the Rust debug dump temporalio puts around it.

    ``Workflow activation completion failed: Failure { failure: Some(Failure { message: "[TMPRL1100]
    Nondeterminism error: ..." ...`` becomes ``[TMPRL1100] Nondeterminism error: ...``. Text in any
    other shape comes back as its first non-empty line.
    """
    match = _MESSAGE.search(text)
    if match:
        return match.group(1).replace('\\"', '"').replace("\\\\", "\\")
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return text.strip() or "unknown failure"


def severity_of(status: str) -> str:
    """What a divergence means for a deploy, given the execution's status when captured."""
    return IN_FLIGHT if status == "RUNNING" else CLOSED


@dataclass(frozen=True)
class Diagnosis:
    """Why a history no longer replays, in terms of the workflow code."""

    message: str
    """Core's message, always kept."""
    change: str = "unknown"
    """One of :data:`CHANGES`; ``unknown`` when only ``message`` is known."""
    event_id: int = 0
    """History event where replay diverged (0: unknown)."""
    event_type: str = ""
    recorded_kind: str = ""
    """What the history recorded there (a ``_commands.KIND_LABELS`` key); empty: nothing."""
    recorded_name: str = ""
    commanded_kind: str = ""
    """What the code commanded instead; empty: nothing."""
    commanded_name: str = ""
    location: tuple[SourceFrame, ...] = ()
    """Workflow code that issued the diverging command: innermost frame, then its callers."""
    previous: tuple[SourceFrame, ...] = ()
    """Where the code issued its last command before the divergence (for changes with no line)."""
    timeline: tuple[TimelineRow, ...] = ()
    patch_id: str = ""
    """Suggested patch id (for ``patch-removed``: the id of the removed ``patched()`` call)."""
    gate_frame: int = 0
    """Index in :attr:`location` of the call to gate: the innermost frame that differs from the
    previous command's, so a helper issuing every command (``_step``) points at its caller."""
    severity: str = CLOSED
    old_order: tuple[str, ...] = ()
    """``reordered``: the commands the history recorded from the diverging one up to where the
    code's command came (the old order, for the ``else`` branch)."""
    still_runs_later: bool = False
    """The code still issues what the history recorded, after the diverging command (read
    from the source): an addition or a move rather than a replacement or a removal."""
    other_patch_id: str = ""
    """Patch id of the other reading of an ambiguous change (see :meth:`fix`)."""
    signals: tuple[str, ...] = ()
    """Signals the history delivered after the code's last matching command, when the code then
    commanded nothing (e.g. ``signal 'approve' (event 29)``): their handling may have changed."""
    loop: str = ""
    """``loop``: where the loop is and its header (``wf.py:26 (for i in range(3):)``)."""
    loop_runs: int = 0
    """``loop``: how often the history recorded the loop's command."""
    loop_more: bool = False
    """``loop``: the loop now runs more often than recorded (else less often)."""
    loop_literal: bool = False
    """``loop``: it runs over ``range(<number>)``, a bound to gate as a number."""
    shares_statement: bool = False
    """The gated statement also issues commands the history recorded (``asyncio.gather`` of
    several): gating it needs an ``else`` that keeps them, even for an addition."""
    seen_later: bool = False
    """The code issued what the history recorded after the diverging command while replaying:
    a move or an addition for certain, not a removal or a replacement."""
    added_block: str = ""
    """For an addition: the statements from the gated one up to the one that runs what the
    history recorded (several added in a row get one gate)."""
    added_to: int = 0
    """Last line of :attr:`added_block`."""
    moved_too: str = ""
    """The statement after the gated one runs a command the history recorded later (it moved
    up too): ``activity 'seed_data' at shared.py:80``."""
    deprecated_early: str = ""
    """A ``deprecate_patch()`` id this history has no marker of: the execution started before
    the patch, and the deprecation came too early."""
    marker_deprecated: bool = False
    """``patch-removed``: the history's marker was recorded by ``deprecate_patch()``."""
    handler: str = ""
    """The update handler that completed where the history ran a command first (the command
    was removed from the handler): ``set_note``."""
    handler_at: str = ""
    """Where that handler is defined (``wf.py:53``), when found."""
    ids: tuple[str, ...] = ()
    """``id-changed``: the id the history recorded and the one the code gives now."""
    deprecated_at: str = ""
    """Where the code called that ``deprecate_patch()`` (``wf.py:31 in run``)."""

    @property
    def recorded(self) -> str:
        """What the history recorded, in words (``nothing`` when it recorded no command)."""
        return _describe(self.recorded_kind, self.recorded_name)

    @property
    def commanded(self) -> str:
        """What the code commanded, in words (``nothing`` when it commanded none)."""
        return _describe(self.commanded_kind, self.commanded_name)

    @property
    def located(self) -> bool:
        """Whether anything beyond core's message is known."""
        return self.change != "unknown" or bool(self.event_id)

    def where(self, frames: int = 3) -> str:
        """``shared.py:104 in _step, called from shared.py:80 in prepare_v2`` (or empty)."""
        shown = self.location[:frames]
        return ", called from ".join(f.short() for f in shown)

    def headline(self) -> str:
        """The diagnosis in one line (JUnit failure messages, GitHub annotation titles)."""
        if not self.located:
            return self.message
        event = f"event {self.event_id} ({self.event_type})" if self.event_id else "replay"
        line = f"{event}: history recorded {self.recorded}, code commanded {self.commanded}"
        if self.location:
            line += f" at {self.where(self.gate_frame + 1)}"
        return line

    def explanation(self) -> str:
        """What the change most likely was, in a sentence."""
        rec, com = self.recorded, self.commanded
        if self.handler:
            return (
                f"the update handler {self.handler!r} no longer runs {rec} "
                "before it returns: the history ran it while handling the update"
            )
        if self.signals and not self.commanded_kind:
            return (
                f"the code made no command after {self.signals[-1]}, where the history went on "
                f"with {rec}: that signal's handler, its argument type or the condition waiting "
                f"for it changed (or {rec} was removed)"
            )
        if self.deprecated_early:
            return (
                f"deprecate_patch({self.deprecated_early!r}) came too early: this execution "
                "started before the patch (its history has no marker of it) and took the old "
                f"branch, where the code now commands {com}"
            )
        if self.change in ("renamed", "replaced") and self.still_runs_later:
            return (
                f"the code commands {com} where the history recorded {rec}, which the code "
                f"still runs after it (added before it, or replacing it)"
            )
        if self.change == "id-changed" and len(self.ids) == 2:
            return (
                f"{rec} now gets id {self.ids[1]!r}; the history recorded id {self.ids[0]!r} "
                "(core compares activity and child workflow ids, not just types)"
            )
        return {
            "loop": f"the loop at {self.loop} now runs {self._loop_command()} "
            f"{'more' if self.loop_more else 'fewer'} times than this history recorded "
            f"({self.loop_runs})",
            "added": f"the code now commands {com} where the history recorded {rec}",
            "removed": f"the code no longer commands {rec}; it commanded {com} there instead"
            + (
                " (or the condition leading to it changed)"
                if self.recorded_kind in ("continue-as-new", "timer") or self.signals
                else ""
            ),
            "renamed": f"{rec} became {com}",
            "reordered": f"{com} now comes before {rec}"
            + ("" if self.seen_later else f" ({rec} was removed or moved after it)"),
            "replaced": f"the code commands {com} where the history recorded {rec} "
            f"(added before it, or replacing it)",
            "patch-removed": f"the code no longer calls workflow.{self._patch_call()}"
            f"({self.recorded_name!r}) (nor deprecate_patch), but the history recorded its "
            "marker",
        }.get(self.change, "")

    def fix(self) -> list[str]:
        """How to make the change safe, as lines of text (code lines indented four spaces).

        An addition needs no ``else`` (executions recorded before never ran the new command); a
        replacement or a removal keeps the old code in the ``else``; a move keeps the old order.
        Where the history cannot tell which it was, both readings are given, the one the source
        suggests first.
        """
        if self.change == "patch-removed":
            return _patch_removed_fix(self)
        if self.deprecated_early:
            return self._deprecated_early_fix()
        if self.change == "loop":
            return self._loop_fix()
        if self.change == "id-changed" and len(self.ids) == 2:
            frame = self.gate_at
            where = f"at {frame.short()}" if frame else "where the code gives the id"
            field = "activity_id" if self.recorded_kind == "activity" else "id"
            new = _keyword_source(frame.code if frame else "", field) or repr(self.ids[1])
            if self.recorded_kind == "activity" and self.ids[0].isdigit():
                old = f"None  # the default id, a sequence number ({self.ids[0]!r} here)"
            else:
                old = f"<the old expression>  # it gave {self.ids[0]!r} here"
            return [
                f"gate the new id {where} (executions recorded before use the old one):",
                f'    {field}={new} if workflow.patched("{self.patch_id}") else {old}',
            ]
        rec = self.recorded
        if self.handler:
            at = f" ({self.handler_at})" if self.handler_at else ""
            return [
                f"gate it in the update handler {self.handler!r}{at}:",
                *self._gate(f"...  # the new handler code, without {rec}"),
                "    else:",
                *self._old(rec),
            ]
        if self.change == "removed":
            where = f"where {rec} was"
            if self.previous:
                where += f", after {self.previous[0].short()}"
            removal = [*self._gate(f"...  # the new code, without {rec}"), "    else:",
                       *self._old(rec)]  # fmt: skip
            if not self.signals or self.commanded_kind:
                return [f"gate the change {where}:", *removal]
            signal = self.signals[-1].split(" (event")[0]
            handling = slug(signal.removeprefix("signal ").strip("'")) + "-handling"
            return [
                f"if the handling of {signal} changed, gate it in the handler (or where the code "
                "waits for it):",
                f'    if workflow.patched("{handling}"):',
                "        ...  # the new handling",
                "    else:",
                "        ...  # the old handling, for executions recorded before",
                f"  if {rec} was removed, gate it {where}:",
                *removal,
            ]
        frame = self.gate_at
        new_code = (frame.code if frame else "") or f"...  # the new code: {self.commanded}"
        where = f"at {frame.short()}" if frame else "at the changed code"
        if self.change == "added":
            if self.shares_statement:
                return [f"gate the change {where}:", *self._addition(new_code)]
            return [f"gate the change {where} (no else: executions recorded before never ran it):",
                    *self._gate(new_code)]  # fmt: skip
        other = self.other_patch_id or "<change-id>"
        if self.change == "reordered":
            old = ", then ".join(self.old_order) or rec
            readings = [
                (f"if {rec} still runs later (moved after it):",
                 [*self._gate(new_code, "...  # and the rest in the new order"), "    else:",
                  f"        ...  # the old code from here on, in its order: {old}"]),
                (f"if {rec} is gone (removed):",
                 [*self._gate(f"pass  # the new code no longer runs {rec}"), "    else:",
                  *self._old(rec)]),
            ]  # fmt: skip
        elif self.change in ("renamed", "replaced"):
            addition = f"if {rec} still runs after it (an addition)" + (
                ":" if self.shares_statement else ", no else:"
            )
            readings = [
                (addition, self._addition(new_code)),
                (f"if it replaced {rec}:", [*self._gate(new_code), "    else:", *self._old(rec)]),
            ]
        else:
            return [f"gate the change {where}:", *self._gate(new_code), "    else:",
                    *self._old(rec)]  # fmt: skip
        if not self.still_runs_later:
            readings.reverse()
        elif self.seen_later:
            return [f"gate the change {where}; {readings[0][0]}", *readings[0][1], *self._moved()]
        (first, first_code), (second, second_code) = readings
        return [
            f"gate the change {where}; {first}",
            *first_code,
            f"  {second}",
            *(line.replace(f'"{self.patch_id}"', f'"{other}"') for line in second_code),
            *self._moved(),
        ]

    def _moved(self) -> list[str]:
        if not self.moved_too:
            return []
        return [
            f"  note: the next statement runs {self.moved_too}, which this history ran later: "
            "it moved too, and replay will stop there next; gate the whole new sequence, with "
            "the old one in the else"
        ]

    def _patch_call(self) -> str:
        return "deprecate_patch" if self.marker_deprecated else "patched"

    def _addition(self, code: str) -> list[str]:
        """The gate of an added command: no ``else``, unless the statement issues others too.
        Statements added in a row before what the history recorded share the gate."""
        if self.added_block:
            frame = self.gate_at
            lines = f" (lines {frame.line}-{self.added_to})" if frame else ""
            return [
                f"    # the statements added in a row{lines}, up to the one running "
                f"{self.recorded}, share the gate",
                *self._gate(self.added_block),
            ]
        if not self.shares_statement:
            return self._gate(code)
        return [
            *self._gate(code),
            "    else:",
            f"        ...  # the statement as it was, without {self.commanded}",
        ]

    def _loop_command(self) -> str:
        return self.commanded if self.loop_more else self.recorded

    def _loop_fix(self) -> list[str]:
        patch_id = self.patch_id or "<change-id>"
        why = (
            "not a call inside it (patched() gives one answer per execution, so a gate inside "
            f"the loop skips every iteration); this history ran {self._loop_command()} "
            f"{self.loop_runs} times there"
        )
        if self.loop_literal:
            return [
                f"gate the loop's bound at {self.loop}, {why}:",
                f'    runs = <new count> if workflow.patched("{patch_id}") else {self.loop_runs}'
                "  # as this history ran it",
                "    # and loop `runs` times",
            ]
        return [  # the count depends on the data: gate what decides it
            f"gate what decides how often the loop at {self.loop} runs (its condition, what it "
            f"runs over, a `continue` or `break` in it), {why}:",
            f'    if workflow.patched("{patch_id}"):',
            "        ...  # the new condition or selection",
            "    else:",
            "        ...  # the old one, for executions recorded before",
        ]

    def _deprecated_early_fix(self) -> list[str]:
        frame = self.gate_at
        new_code = self.added_block or (frame.code if frame else "")
        new_code = new_code or f"...  # the new code: {self.commanded}"
        lines = [
            f"deprecate_patch({self.deprecated_early!r}) at {self.deprecated_at} came too early: "
            "executions that started before the patch still run or replay; go back to the gate "
            "until none is left (`replaycheck patches` says when)"
            + (f", no else: {self.recorded} still runs after it" if self.still_runs_later else "")
            + ":",
            f'    if workflow.patched("{self.deprecated_early}"):',
            *(f"        {line}" for line in new_code.splitlines()),
        ]
        if not self.still_runs_later:
            lines += ["    else:", *self._old(self.recorded)]
        return lines

    def _gate(self, code: str, *more: str) -> list[str]:
        return [
            f'    if workflow.patched("{self.patch_id or "<change-id>"}"):',
            *(f"        {line}" for line in code.splitlines()),
            *(f"        {line}" for line in more),
        ]

    @staticmethod
    def _old(recorded: str) -> list[str]:
        return [f"        ...  # the old code ({recorded}), for executions recorded before"]

    @property
    def gate_at(self) -> SourceFrame | None:
        """The frame whose call the suggested gate wraps."""
        if not self.location:
            return None
        return self.location[min(self.gate_frame, len(self.location) - 1)]

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``diagnosis`` of a ``--format json`` result)."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Diagnosis:
        """Inverse of :meth:`to_json_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("location", "previous"):
            values[key] = tuple(SourceFrame(**_known(SourceFrame, f)) for f in values.get(key, ()))
        values["timeline"] = tuple(
            TimelineRow(**_known(TimelineRow, r)) for r in values.get("timeline", ())
        )
        for key in ("old_order", "signals", "ids"):  # JSON lists back to tuples
            values[key] = tuple(values.get(key, ()))
        return cls(**values)


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _describe(kind: str, name: str) -> str:
    if not kind:
        return "nothing"
    return Command(kind, name).describe()


def _keyword_source(code: str, name: str) -> str:
    """The source of the ``name=`` argument of a call in ``code`` ('' when there is none)."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == name:
                    return ast.unparse(keyword.value)
    return ""


def _patch_removed_fix(diagnosis: Diagnosis) -> list[str]:
    patch_id = diagnosis.recorded_name
    frame = diagnosis.gate_at
    at = f" (before {frame.short()})" if frame else ""
    if diagnosis.marker_deprecated:
        return [
            f"executions recorded with deprecate_patch({patch_id!r}) still need its marker: put "
            f"the call back where it was{at}:",
            f'    workflow.deprecate_patch("{patch_id}")',
            "    # delete it once no execution recorded with the marker can be replayed "
            "(`replaycheck patches` says when)",
        ]
    return [
        f"executions recorded with patch {patch_id!r} still need its marker. While executions "
        "that started before the patch may still run or replay (`replaycheck patches` says "
        f"when), put the gate back where it was{at}:",
        f'    if workflow.patched("{patch_id}"):',
        "        ...  # the new code",
        "    else:",
        "        ...  # the old code, for executions that started before the patch",
        "  once none is left, keep only the new code and call there",
        f'    workflow.deprecate_patch("{patch_id}")',
        "    # delete it once no execution recorded with the patch can be replayed "
        "(docs/versioning.md)",
    ]


# --------------------------------------------------------------------------- building


def diagnose(
    message: str,
    history: History,
    *,
    status: str,
    issued: Sequence[Command] | None = None,
    last_task: int = 0,
    early_deprecations: Sequence[tuple[str, str, int]] = (),
) -> Diagnosis:
    """Explain a nondeterminism failure; never raises.

    Args:
        message: core's message (:func:`core_message`).
        history: the history that failed to replay.
        status: the execution's status when captured (``RUNNING`` or a close status).
        issued: the commands the code issued during replay, with call sites (``None``: unknown).
        last_task: history length of the code's last activation.
        early_deprecations: ``(patch id, where, commands issued before it)`` of each
            ``deprecate_patch()`` call that found no marker in this history while it replayed.
    """
    severity = severity_of(status)
    try:
        commands = history_commands(history)
        found = _divergence_of(message, commands, issued, last_task)
        if found is None:
            hint = _hint_with_history(parse_core_message(message), commands)
            diagnosis = _from_hint(message, hint, severity)
        else:
            diagnosis = _from_divergence(message, found, commands, severity)
        diagnosis = _with_ids(diagnosis, message, history, commands, issued, severity)
        early = _early_deprecation(diagnosis, found, commands, issued, early_deprecations)
        if early is not None:
            patch_id, at = early
            diagnosis = replace(
                diagnosis,
                deprecated_early=patch_id,
                deprecated_at=at,
                patch_id=patch_id,
                other_patch_id="",
            )
        return _with_signals(diagnosis, history)
    except Exception:  # a diagnosis is a courtesy: any surprise degrades to core's message
        return Diagnosis(message=message, severity=severity)


def _divergence_of(
    message: str, history: HistoryCommands, issued: Sequence[Command] | None, last_task: int
) -> Divergence | None:
    """Where the code's commands part from the history's (core's event id wins)."""
    if issued is None:
        return None
    hint = parse_core_message(message)
    found = align(history, issued, history.task_for(last_task) or max(history.tasks, default=0))
    if hint.event_id and (found is None or _event_of(found) != hint.event_id):
        found = at_event(history, issued, hint.event_id) or found
    return found


def _early_deprecation(
    diagnosis: Diagnosis,
    found: Divergence | None,
    history: HistoryCommands,
    issued: Sequence[Command] | None,
    early: Sequence[tuple[str, str, int]],
) -> tuple[str, str] | None:
    """The ``deprecate_patch()`` that came too early for this divergence: one whose marker the
    history lacks, called right before the diverging command (no command in between), so the
    change it stands for is the one that diverged."""
    if found is None or found.commanded is None or issued is None:
        return None
    if diagnosis.change in ("patch-removed", "id-changed", "unknown"):
        return None
    position = next((i for i, x in enumerate(issued) if x is found.commanded), None)
    markers = {x.name for x in history.commands if x.kind == "patch"}
    for patch_id, at, before in reversed(early):
        if patch_id not in markers and before == position:
            return patch_id, at
    return None


_ID_EVENTS = {
    "activity": ("ActivityTaskScheduled", "activity_task_scheduled_event_attributes",
                 "activity_id"),
    "child": ("StartChildWorkflowExecutionInitiated",
              "start_child_workflow_execution_initiated_event_attributes", "workflow_id"),
}  # fmt: skip


def _with_ids(
    diagnosis: Diagnosis,
    message: str,
    history: History,
    commands: HistoryCommands,
    issued: Sequence[Command] | None,
    severity: str,
) -> Diagnosis:
    """An activity's or a child workflow's id changed: the event that recorded the old id, the
    code that gave the new one."""
    hint = parse_core_message(message)
    if hint.ids is None:
        return diagnosis
    kind, old, new = hint.ids
    event_type, attributes, field = _ID_EVENTS[kind]
    event_id = next(
        (e.event_id for e in history.events
         if event_type_name(e.event_type) == event_type
         and getattr(getattr(e, attributes), field) == old),
        0,
    )  # fmt: skip
    found = at_event(commands, issued, event_id) if event_id and issued is not None else None
    if found is not None:
        diagnosis = _from_divergence(message, found, commands, severity)
    else:
        target = next((x for x in commands.commands if x.event_id == event_id), None)
        diagnosis = Diagnosis(
            message=message,
            event_id=event_id,
            event_type=event_type if event_id else "",
            recorded_kind=kind,
            recorded_name=target.name if target else "",
            commanded_kind=kind,
            commanded_name=target.name if target else "",
            severity=severity,
        )
    name = diagnosis.recorded_name or kind
    taken = _patch_ids_in_use(commands, diagnosis)
    return replace(
        diagnosis,
        change="id-changed",
        ids=(old, new),
        patch_id=_unused(f"{slug(name)}-id", taken),
        other_patch_id="",
        still_runs_later=False,
        loop="",
    )


def _with_signals(diagnosis: Diagnosis, history: History) -> Diagnosis:
    """When the code commanded nothing where the history went on, the signals delivered since
    the code's last matching command (their handling may have changed), in the timeline too."""
    if diagnosis.commanded_kind or not diagnosis.event_id or not diagnosis.timeline:
        return diagnosis
    rows = list(diagnosis.timeline)
    at = next(i for i, row in enumerate(rows) if row.diverged)
    after = max((row.event_id for row in rows[:at]), default=0)
    found = [
        (event.event_id, event.workflow_execution_signaled_event_attributes.signal_name)
        for event in history.events
        if after < event.event_id < diagnosis.event_id
        and event_type_name(event.event_type) == "WorkflowExecutionSignaled"
    ]
    if not found:
        return diagnosis
    received = [TimelineRow(event_id=e, recorded=f"signal {n!r} received") for e, n in found]
    return replace(
        diagnosis,
        signals=tuple(f"signal {n!r} (event {e})" for e, n in found),
        timeline=(*rows[:at], *received, *rows[at:]),
    )


def _event_of(found: Divergence) -> int:
    return found.recorded.event_id if found.recorded is not None else 0


def _hint_with_history(hint: CoreHint, history: HistoryCommands) -> CoreHint:
    """Fill in what the history recorded at the event core names."""
    target = next((x for x in history.commands if x.event_id == hint.event_id), None)
    if target is None or not hint.event_id:
        return hint
    return replace(hint, recorded=(target.kind, target.name))


def _from_hint(message: str, hint: CoreHint, severity: str) -> Diagnosis:
    recorded = hint.recorded or ("", "")
    commanded = hint.commanded or ("", "")
    change = "unknown"
    if hint.recorded and hint.recorded[0] == "patch":
        change = "patch-removed"
    elif (
        hint.recorded
        and hint.commanded
        and hint.recorded[0] == hint.commanded[0]
        and (hint.recorded[0] in NAMED_KINDS)
    ):
        change = "renamed"
    diagnosis = Diagnosis(
        message=message,
        change=change,
        event_id=hint.event_id,
        event_type=hint.event_type,
        recorded_kind=recorded[0],
        recorded_name=recorded[1],
        commanded_kind=commanded[0],
        commanded_name=commanded[1],
        severity=severity,
    )
    h = Command(*recorded) if recorded[0] else None
    c = Command(*commanded) if commanded[0] else None
    return _with_patch_id(diagnosis, h, c)


def _from_divergence(
    message: str, found: Divergence, history: HistoryCommands, severity: str
) -> Diagnosis:
    h, c = found.recorded, found.commanded
    previous = next((p[1] for p in reversed(found.matched) if p[1] is not None), None)
    # Without a command before it to tell a shared helper's frames, the statement naming it.
    depth = gate_frame(c, previous) if previous is not None else naming_frame(c)
    diagnosis = Diagnosis(
        message=message,
        change=classify(h, c, history),
        event_id=h.event_id if h is not None else 0,
        event_type=h.event_type if h is not None else "",
        recorded_kind=h.kind if h is not None else "",
        recorded_name=h.name if h is not None else "",
        commanded_kind=c.kind if c is not None else "",
        commanded_name=c.name if c is not None else "",
        location=source_frames(c.frames) if c is not None else (),
        previous=source_frames(previous.frames) if previous is not None else (),
        gate_frame=depth,
        timeline=timeline(found, depth),
        severity=severity,
    )
    if diagnosis.change == "patch-removed" and h is not None:
        diagnosis = replace(diagnosis, marker_deprecated=h.deprecated)
    if diagnosis.change == "reordered" and h is not None:
        # The else replays everything the history did from here on, in its order.
        rest = [x.describe() for x in history.commands  # handlers' updates are not run's code
                if x.event_id >= h.event_id and x.kind not in ("complete", "update")]  # fmt: skip
        shown = rest[:OLD_ORDER_SHOWN] + (["…"] if len(rest) > OLD_ORDER_SHOWN else [])
        diagnosis = replace(diagnosis, old_order=tuple(shown))
    frames = diagnosis.location[depth:]  # the gated call, then its callers
    later = still_runs_later(h, found.commanded_rest, frames, history)
    diagnosis = replace(
        diagnosis,
        still_runs_later=later,
        seen_later=h is not None and any(x.matches(h) for x in found.commanded_rest[:1]),
        shares_statement=shares_statement(c, depth, found),
    )
    frame = diagnosis.gate_at
    if later and frame is not None and h is not None and not diagnosis.shares_statement:
        block = added_block(frame, h, history)
        if block is not None:
            diagnosis = replace(diagnosis, added_to=block[0], added_block=block[1])
        else:
            diagnosis = replace(diagnosis, moved_too=moved_too(frame, h, history))
    taken = _patch_ids_in_use(history, diagnosis)
    if c is not None and c.kind == "update" and h is not None and h.kind != "update":
        handler, handler_at = update_handler(h, found, history)
        if handler:
            return replace(
                diagnosis,
                change="removed",
                handler=handler,
                handler_at=handler_at,
                patch_id=_unused(f"remove-{_slug_of(h)}", taken),
                still_runs_later=False,
            )
    loop = loop_change(h, c, found, history)
    if loop is not None:
        return replace(
            diagnosis,
            change="loop",
            loop=loop.where,
            loop_runs=loop.runs,
            loop_more=loop.more,
            loop_literal=loop.literal,
            patch_id=_unused(f"{slug(loop.name)}-runs", taken),
        )
    return _with_patch_id(diagnosis, h, c, taken=taken)


OLD_ORDER_SHOWN = 6
"""Commands listed in a reorder's ``else`` comment before ``…``."""


def _patch_ids_in_use(history: HistoryCommands, diagnosis: Diagnosis) -> set[str]:
    """Patch ids the history recorded or the workflow source already passes to ``patched()``
    / ``deprecate_patch()``: a suggestion must not reuse one."""
    taken = {x.name for x in history.commands if x.kind == "patch"}
    for path in {f.file for f in (*diagnosis.location, *diagnosis.previous)}:
        taken.update(patch_ids_in_source(path))
    return taken


def classify(h: Command | None, c: Command | None, history: HistoryCommands) -> str:
    """Name the change from the diverging pair (see :data:`CHANGES`)."""
    if h is None and c is None:
        return "unknown"
    if h is not None and h.kind == "patch" and not (c is not None and c.kind == "patch"):
        return "patch-removed"
    if h is None or h.kind == "complete":
        return "added"
    if c is None or c.kind == "complete":
        return "removed"
    if _later_match(h, c, history) is not None:
        return "reordered"
    if h.kind == c.kind and h.kind in NAMED_KINDS:
        return "renamed"
    return "replaced"


def _later_match(h: Command, c: Command, history: HistoryCommands) -> Command | None:
    """The history's next command after ``h`` that is ``c`` (timers: of the same duration, so
    an added timer is not taken for a moved one)."""
    return next(
        (x for x in history.commands
         if x.event_id > h.event_id and x.kind == c.kind and x.name == c.name),
        None,
    )  # fmt: skip


def _with_patch_id(
    diagnosis: Diagnosis,
    h: Command | None,
    c: Command | None,
    taken: Collection[str] = frozenset(),
) -> Diagnosis:
    """The patch id of the likelier reading first, the other's in ``other_patch_id``; never one
    in ``taken`` (``-2``, ``-3``, ... appended)."""
    suggested = _suggest_ids(diagnosis, h, c)
    if diagnosis.change == "patch-removed":
        return suggested
    return replace(
        suggested,
        patch_id=_unused(suggested.patch_id, taken),
        other_patch_id=_unused(suggested.other_patch_id, taken),
    )


def _unused(patch_id: str, taken: Collection[str]) -> str:
    if not patch_id or patch_id not in taken:
        return patch_id
    n = 2
    while f"{patch_id}-{n}" in taken:
        n += 1
    return f"{patch_id}-{n}"


def _suggest_ids(diagnosis: Diagnosis, h: Command | None, c: Command | None) -> Diagnosis:
    change = diagnosis.change
    if change not in ("reordered", "renamed", "replaced"):
        return replace(diagnosis, patch_id=suggest_patch_id(change, h, c))
    new, old = _slug_of(c), _slug_of(h)
    if not (new and old):
        return diagnosis
    readings = {  # (likely when it still runs later, likely when it does not)
        "reordered": (f"{new}-before-{old}", f"remove-{old}"),
        "renamed": (f"{new}-before-{old}", f"{new}-instead-of-{old}"),
        "replaced": (f"{new}-before-{old}", f"{new}-instead-of-{old}"),
    }[change]
    first, second = readings if diagnosis.still_runs_later else readings[::-1]
    return replace(diagnosis, patch_id=first, other_patch_id=second)


def suggest_patch_id(change: str, h: Command | None, c: Command | None) -> str:
    """A readable patch id for gating the change (the removed id for ``patch-removed``)."""
    if change == "patch-removed" and h is not None:
        return h.name
    new, old = _slug_of(c), _slug_of(h)
    if change == "added" and new:
        return f"add-{new}"
    if change == "removed" and old:
        return f"remove-{old}"
    if not (new and old):
        return ""
    if change == "reordered" or (change == "replaced" and c is not None and c.kind == "timer"):
        return f"{new}-before-{old}"
    return f"{new}-instead-of-{old}"


def _slug_of(command: Command | None) -> str:
    if command is None:
        return ""
    if command.kind in ("activity", "local-activity", "child") and command.name:
        return slug(command.name)
    if command.kind == "signal-external" and command.name:
        return f"signal-{slug(command.name)}"
    if command.kind == "complete":
        return "completion"
    return command.kind


__all__ = [
    "CHANGES",
    "KIND_LABELS",
    "Diagnosis",
    "SourceFrame",
    "TimelineRow",
    "core_message",
    "diagnose",
    "parse_core_message",
    "severity_of",
]
