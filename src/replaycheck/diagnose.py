"""Turning temporalio's replay failures into something a person can act on.

A :class:`Diagnosis` says where replay diverged (history event id and type), what the history
recorded there, what the new code commanded instead (and which line of it), the commands around
that point, how to gate the change, and what deploying it would break. :func:`diagnose` builds
it in the replay worker (``replaycheck._building``) from the history's command events, the
commands the code issued during replay (recorded with their call sites by
``replaycheck._capture``) and core's own message, which serves as a cross check and as the
fallback: a message nothing else explains still gives a Diagnosis holding it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from replaycheck._commands import KIND_LABELS, Command
from replaycheck._divergence import TimelineRow, parse_core_message
from replaycheck._readings import slug
from replaycheck._source import SourceFrame

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
    """Explain a nondeterminism failure; never raises (see ``replaycheck._building``).

    Args:
        message: core's message (:func:`core_message`).
        history: the history that failed to replay.
        status: the execution's status when captured (``RUNNING`` or a close status).
        issued: the commands the code issued during replay, with call sites (``None``: unknown).
        last_task: history length of the code's last activation.
        early_deprecations: ``(patch id, where, commands issued before it)`` of each
            ``deprecate_patch()`` call that found no marker in this history while it replayed.
    """
    from replaycheck._building import diagnose as build

    return build(
        message,
        history,
        status=status,
        issued=issued,
        last_task=last_task,
        early_deprecations=early_deprecations,
    )


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
