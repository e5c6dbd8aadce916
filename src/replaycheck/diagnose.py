"""Turning temporalio's replay failures into something a person can act on.

A :class:`Diagnosis` says where replay diverged (history event id and type), what the history
recorded there, what the new code commanded instead (and which line of it), the commands around
that point, how to gate the change, and what deploying it would break. Built in the replay
worker (``replaycheck._building.diagnose``) from the history's command events, the commands the
code issued (with their call sites: ``replaycheck._capture``) and core's own message, the
cross check and fallback: a message nothing else explains still gives a Diagnosis holding it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from replaycheck._commands import KIND_LABELS, Command
from replaycheck._core_message import core_message
from replaycheck._diagnosis_fields import CLOSED, IN_FLIGHT, DiagnosisFields
from replaycheck._divergence import TimelineRow, parse_core_message
from replaycheck._source import SourceFrame

CHANGES = (
    "added", "removed", "renamed", "reordered", "replaced", "loop", "branch", "sequential",
    "id-changed", "patch-removed", "unknown",
)  # fmt: skip
"""Values of :attr:`Diagnosis.change`."""


def severity_of(status: str) -> str:
    """What a divergence means for a deploy, given the execution's status when captured."""
    return IN_FLIGHT if status == "RUNNING" else CLOSED


@dataclass(frozen=True)
class Diagnosis(DiagnosisFields):
    """Why a history no longer replays, in terms of the workflow code: its fields (what it
    holds, :class:`~replaycheck._diagnosis_fields.DiagnosisFields`), and what they read as."""

    @property
    def recorded(self) -> str:
        """What the history recorded, in words (``nothing`` when it recorded no command)."""
        return _describe(self.recorded_kind, self.recorded_name, self.cancelled_child)

    @property
    def commanded(self) -> str:
        """What the code commanded, in words (``nothing`` when it commanded none)."""
        return _describe(self.commanded_kind, self.commanded_name, self.commanded_child)

    @property
    def told_apart(self) -> tuple[str, str]:
        """:attr:`recorded` and :attr:`commanded`, with their ids when the words alone are the
        same (an id changed, or two of one type traded places)."""
        recorded, commanded = self.recorded, self.commanded
        if recorded == commanded and len(self.ids) == 2:
            return f"{recorded} (id {self.ids[0]!r})", f"{commanded} (id {self.ids[1]!r})"
        return recorded, commanded

    @property
    def located(self) -> bool:
        """Whether anything beyond core's message is known."""
        return self.change != "unknown" or bool(self.event_id)

    def where(self, frames: int = 3) -> str:
        """``shared.py:104 in _step, called from shared.py:80 in prepare_v2`` (or empty)."""
        shown = self.location[:frames]
        return ", called from ".join(f.short() for f in shown)

    def headline(self) -> str:
        """The diagnosis in one line (JUnit failure messages, GitHub annotation titles); see
        ``replaycheck._headline``."""
        from replaycheck._headline import headline

        return headline(self)

    @property
    def reads_otherwise(self) -> bool:
        """Whether the change is not the pair of commands itself: a handler gone, a patch call
        removed or deprecated too early, a failure or cancel no longer caught, a cancel an
        abandoned activity no longer requests, commands no longer started together."""
        return self.change in ("patch-removed", "sequential") or any(
            (self.deprecated_early, self.removed_gate, self.unhandled_signal,
             self.unhandled_update, self.handler, self.failure_uncaught, self.cancel_uncaught,
             self.abandoned_at)
        )  # fmt: skip

    def explanation(self) -> str:
        """What the change most likely was, in a sentence."""
        from replaycheck._fix_text import explanation

        return explanation(self)

    def fix(self) -> list[str]:
        """How to make the change safe, as lines of text (code lines indented four spaces); see
        ``replaycheck._fix_text``."""
        from replaycheck._fix_text import fix

        return fix(self)

    @property
    def gate_at(self) -> SourceFrame | None:
        """The frame whose call the suggested gate wraps."""
        if not self.location:
            return None
        return self.location[min(self.gate_frame, len(self.location) - 1)]

    @property
    def fix_at(self) -> SourceFrame | None:
        """The frame whose line the fix's first reading changes: where a removed gate was
        (:attr:`removed_gate_at`), the call passing a branch's argument (:attr:`branch_caller`,
        when the condition reads nothing else), else :attr:`gate_at` (:attr:`run_starts_at`)."""
        if self.removed_gate_at is not None:
            return self.removed_gate_at
        if self.abandoned_at is not None:
            return self.abandoned_at
        if not self.location and self.waits_at and self.change != "branch":
            return self.waits_at[0]
        from replaycheck._fix_branches import branch_frame

        caller = not self.branch_reads_more and self.branch_caller
        return caller or branch_frame(self) or self.gate_at or self.run_starts_at

    @property
    def placed_at(self) -> SourceFrame | None:
        """The line a report points to for the fix (GitHub annotations, the closing list of
        places): :attr:`fix_at`, else the code's last command before the divergence, after
        which the fix of a command removed where the code completes goes."""
        return self.fix_at or (self.previous[0] if self.previous else None)

    @property
    def branch_caller(self) -> SourceFrame | None:
        """``branch``: the call passing the :attr:`branch_parameters` to the function holding
        the branch (``None``: none, or none in the workflow code)."""
        at = self.gate_frame + 1
        if not self.branch_parameters or len(self.location) <= at:
            return None
        return self.location[at]

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``diagnosis`` of a ``--format json`` result)."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Diagnosis:
        """Inverse of :meth:`to_json_dict`; unknown keys are ignored."""
        from replaycheck._diagnosis_json import diagnosis_values

        return cls(**diagnosis_values(cls, data))


def _describe(kind: str, name: str, child_type: str = "") -> str:
    if not kind:
        return "nothing"
    return Command(kind, name, child_type=child_type).describe()


__all__ = [
    "CHANGES",
    "CLOSED",
    "IN_FLIGHT",
    "KIND_LABELS",
    "Diagnosis",
    "SourceFrame",
    "TimelineRow",
    "core_message",
    "parse_core_message",
    "severity_of",
]
