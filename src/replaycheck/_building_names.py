"""Naming what :mod:`replaycheck._building` found: the kind of change (:func:`classify`) and the
patch ids a diagnosis suggests for gating it, readable and never one the history or the source
already uses."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from replaycheck._commands import (
    NAMED_KINDS,
    UPDATE_KINDS,
    Command,
    HistoryCommands,
    durations_differ,
    kind_switch,
)
from replaycheck._readings import passed_on_later, slug, source_names
from replaycheck._source import in_update_handler, patch_ids_in_source
from replaycheck.diagnose import Diagnosis


def patch_ids_in_use(history: HistoryCommands, diagnosis: Diagnosis) -> set[str]:
    """Patch ids the history recorded or the workflow source already passes to ``patched()``
    / ``deprecate_patch()``: a suggestion must not reuse one."""
    taken = {x.name for x in history.commands if x.kind == "patch"}
    for path in {f.file for f in (*diagnosis.location, *diagnosis.previous)}:
        taken.update(patch_ids_in_source(path))
    return taken


def classify(
    h: Command | None, c: Command | None, history: HistoryCommands, *, cancel_ends: bool = True
) -> str:
    """Name the change from the diverging pair (see :data:`CHANGES`); ``cancel_ends``: a
    workflow cancel where the history went on means the command was removed (not when the
    source still runs it after the line that matched: the cancel is no longer caught)."""
    if h is None and c is None:
        return "unknown"
    if h is not None and h.kind == "patch" and not (c is not None and c.kind == "patch"):
        return "patch-removed"
    if h is None or h.kind == "complete":
        return "added"
    if c is None or c.kind == "complete" or (cancel_ends and c.kind == "cancel"):
        return "removed"  # nothing runs after a workflow's end: h cannot have moved after it
    if (
        h.kind == "update-completion"
        and c.kind not in UPDATE_KINDS
        and (_later_match(h, c, history) is None or in_update_handler(c.frames, h.name))
    ):  # the handler runs it before it returns now (a later one of its kind is another's)
        return "added"
    if _later_match(h, c, history) is not None:
        return "reordered"
    if h.kind == c.kind and h.kind in NAMED_KINDS:
        return "renamed"
    if kind_switch(h, c):
        return "renamed"  # local activity 'x' became activity 'x'
    return "replaced"


def _later_match(h: Command, c: Command, history: HistoryCommands) -> Command | None:
    """The history's next command after ``h`` that is ``c`` (timers: of the same duration, so
    an added timer is not taken for a moved one); none past the completion of the update whose
    handler commands ``c``, which another handler (or the run) commanded, not this one."""
    later = next(
        (x for x in history.commands
         if x.event_id > h.event_id and x.kind == c.kind and x.name == c.name),
        None,
    )  # fmt: skip
    if later is None or c.kind == "update-completion":
        return later
    ended = any(
        h.event_id < x.event_id < later.event_id and x.kind == "update-completion"
        and in_update_handler(c.frames, x.name)
        for x in history.commands
    )  # fmt: skip
    return None if ended else later


def with_patch_id(
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
        patch_id=unused(suggested.patch_id, taken),
        other_patch_id=unused(suggested.other_patch_id, taken),
    )


def unused(patch_id: str, taken: Collection[str]) -> str:
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
    new, old = slug_of(c), slug_of(h)
    if not (new and old):
        return diagnosis
    if durations_differ(h, c):
        assert h is not None and c is not None
        new, old = f"timer-{slug(c.name)}", f"timer-{slug(h.name)}"  # two durations
    if new == old and h is not None and c is not None and h.kind == c.kind == "nexus":
        new, old = slug(c.name), slug(h.name)  # the same operation of another service
    if kind_switch(h, c):
        local = c is not None and c.kind == "local-activity"
        new, old = (f"{new}-local", f"{old}-activity") if local else (new, f"{old}-local")
    readings = {  # (likely when it still runs later, likely when it does not)
        "reordered": (f"{new}-before-{old}", f"remove-{old}"),
        "renamed": (f"{new}-before-{old}", f"{new}-instead-of-{old}"),
        "replaced": (f"{new}-before-{old}", f"{new}-instead-of-{old}"),
    }[change]
    first, second = readings if diagnosis.still_runs_later else readings[::-1]
    frame = diagnosis.gate_at
    if (
        change != "reordered" and diagnosis.still_runs_later and frame is not None
        and h is not None and h.name
        and passed_on_later(diagnosis.location[diagnosis.gate_frame :], source_names(h.name))
    ):  # fmt: skip
        first = f"{new}-in-{slug(frame.function)}"  # a helper every caller runs: one id for all
    return replace(diagnosis, patch_id=first, other_patch_id=second)


def suggest_patch_id(change: str, h: Command | None, c: Command | None) -> str:
    """A readable patch id for gating the change (the removed id for ``patch-removed``)."""
    if change == "patch-removed" and h is not None:
        return h.name
    new, old = slug_of(c), slug_of(h)
    if change == "added" and new:
        return f"add-{new}"
    if change == "removed" and old:
        return f"remove-{old}"
    if not (new and old):
        return ""
    if change == "reordered" or (change == "replaced" and c is not None and c.kind == "timer"):
        return f"{new}-before-{old}"
    return f"{new}-instead-of-{old}"


def branch_ids(
    h: Command | None, c: Command | None, *, skipped: bool, added: bool = False
) -> tuple[str, str]:
    """The patch ids of a branch taken otherwise: gating its condition, and the second
    reading's (a rename in the branch; a continue-as-new or a raise that is new, or with
    ``added`` the command of a branch the execution went past; none when the history
    continued as new or failed, or when the code skipped the branch running ``h``: the code
    still does, in the branch it did not take)."""
    new, old = slug_of(c), slug_of(h)
    if skipped:
        return f"skip-{old}", ""
    if h is not None and h.kind in ("continue-as-new", "fail"):
        return f"{new}-or-{old}", ""
    if added or (c is not None and c.kind in ("continue-as-new", "fail")):
        return f"{new}-or-{old}", f"add-{new}"
    return f"{new}-or-{old}", f"{new}-instead-of-{old}"


def slug_of(command: Command | None) -> str:
    if command is None:
        return ""
    if command.kind in ("activity", "local-activity", "child") and command.name:
        return slug(command.name)
    if command.kind == "cancel-activity" and command.name:
        return f"cancel-{slug(command.name)}"
    if command.kind == "cancel-external" and command.child_type:
        return f"cancel-{slug(command.child_type)}"
    if command.kind == "signal-external" and command.name:
        return f"signal-{slug(command.name)}"
    if command.kind == "nexus" and command.name:
        return slug(command.name.rpartition("/")[2])  # the operation: the service rarely differs
    if command.kind == "cancel-nexus" and command.name:
        return f"cancel-{slug(command.name.rpartition('/')[2])}"
    if command.kind == "update" and command.name:
        return slug(command.name)
    if command.kind == "update-completion" and command.name:
        return f"{slug(command.name)}-completion"
    if command.kind == "complete":
        return "completion"
    if command.kind == "properties":
        return "memo"
    return command.kind
