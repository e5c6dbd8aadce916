"""The result of checking one history: exactly one of ``ok``, ``nondeterministic``, ``error``."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from replaycheck._patch_facts import PatchFacts
from replaycheck.diagnose import Diagnosis

VerdictKind = Literal["ok", "nondeterministic", "error"]
VERDICTS: tuple[VerdictKind, ...] = ("ok", "nondeterministic", "error")


@dataclass(frozen=True)
class Note:
    """Something core accepted on an ``ok`` replay that a deploy, or another worker, still
    changes: the history replays, but the execution would not go on as the code now reads."""

    kind: str
    """``input`` (a call gets other input than the history recorded: ``replaycheck._input_note``),
    ``timer`` (a running execution's pending timer the code now starts for another duration) or
    ``wait`` (the code now goes on where the running execution waits) or ``deprecated`` (a
    ``deprecate_patch()`` that found no marker: the running execution took the old branch)."""
    text: str
    """One sentence, as the ``ok`` line shows it after ``but``."""
    file: str = ""
    """Where the code issued the command the note is about (relative to the working directory
    when below it); empty when unknown."""
    line: int = 0


@dataclass(frozen=True)
class Verdict:
    """One history's outcome. Serializable, so worker processes can send it to the parent."""

    path: str
    """The history file (or ``live:<workflow-id>/<run-id>`` for a live check)."""
    verdict: VerdictKind
    message: str
    """One line a person can act on."""
    workflow_id: str = ""
    workflow_type: str = ""
    run_id: str = ""
    events: int = 0
    """Events in the history (0 when it could not be read)."""
    verified_through: int = 0
    """Last event id the replay checked against the code's commands."""
    status: str = ""
    """``RUNNING`` or the close status when the history was captured; empty if unreadable."""
    detail: str = ""
    """Raw failure text from temporalio / core, for whoever needs all of it."""
    diagnosis: Diagnosis | None = None
    """Why a ``nondeterministic`` history no longer replays (see ``replaycheck.diagnose``)."""
    seconds: float = 0.0
    """Wall time spent checking this history (reading and replaying it)."""
    patches: PatchFacts | None = None
    """Patch markers and the ``patched()`` calls the replay made; only when the job asked for
    them (``ReplayJob.record_patches``, used by ``replaycheck patches``)."""
    pinned: str = ""
    """The Worker Deployment Version (``name:build_id``) the execution is pinned to, as its
    history last recorded it; empty when it is not pinned. New code shipped as another version
    never replays a pinned execution; the verdict is the same either way."""
    output: str = ""
    """What the workflow code and temporalio wrote to stderr / stdout while this history
    replayed; only when the job asked for it (``ReplayJob.capture_output``, the pytest plugin)."""
    notes: tuple[Note, ...] = ()
    """On an ``ok`` verdict, what a deploy or another worker still changes (its ``message`` ends
    with them too, each after ``; but``)."""

    @property
    def ok(self) -> bool:
        """Whether the new code replays this history."""
        return self.verdict == "ok"

    @property
    def closed(self) -> bool:
        """Whether the execution had closed when the history was captured."""
        return bool(self.status) and self.status != "RUNNING"

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the ``results[]`` entries of ``--format json``); ``patches`` and
        ``output`` only when recorded."""
        data = asdict(self)
        if self.patches is None:
            del data["patches"]
        if not self.output:
            del data["output"]
        return data

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> Verdict:
        """Inverse of :meth:`to_json_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if isinstance(values.get("diagnosis"), dict):
            values["diagnosis"] = Diagnosis.from_json_dict(values["diagnosis"])
        if isinstance(values.get("patches"), dict):
            values["patches"] = PatchFacts.from_json_dict(values["patches"])
        if isinstance(values.get("notes"), list):
            values["notes"] = tuple(
                Note(**{k: v for k, v in n.items() if k in _NOTE_FIELDS}) for n in values["notes"]
            )
        return cls(**values)


_NOTE_FIELDS = frozenset(f.name for f in fields(Note))


def status_words(status: str) -> str:
    """An execution status as a report says it: ``completed``, ``continued as new``."""
    return status.lower().replace("_", " ")


def exit_code(verdicts: list[Verdict]) -> int:
    """0 when all are ok, 1 when any is nondeterministic and none errored, 2 on any error/none."""
    kinds = {v.verdict for v in verdicts}
    if not verdicts or "error" in kinds:
        return 2
    return 1 if "nondeterministic" in kinds else 0


def summarize(verdicts: list[Verdict]) -> dict[str, int]:
    """Count verdicts by kind (every kind present, zero included)."""
    counts: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        counts[v.verdict] += 1
    return counts
