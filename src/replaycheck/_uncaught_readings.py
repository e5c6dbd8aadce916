"""A cancel or a failure the code no longer catches: where the history went on after it, the
code's ``run`` now ends with it (the cancel came up, or an awaited command's failure did)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._building_names import classify, patch_ids_in_use, unused
from replaycheck._readings import name_pattern, slug
from replaycheck._source_flow import mentioned_later

if TYPE_CHECKING:
    from replaycheck._commands import Command, HistoryCommands
    from replaycheck.diagnose import Diagnosis


def uncaught_reading(
    diagnosis: Diagnosis, h: Command | None, c: Command | None, history: HistoryCommands
) -> Diagnosis | None:
    """The diagnosis of a cancel or a failure no longer caught, else ``None``.

    Args:
        diagnosis: the diagnosis located at the divergence.
        h: what the history recorded there.
        c: what the code commanded there.
        history: the history's commands.
    """
    if h is None or c is None:
        return None
    if diagnosis.change == "removed" and c.kind == "cancel":
        last = diagnosis.previous[0] if diagnosis.previous else None
        if h.name and last and mentioned_later(last.file, last.line, name_pattern(h.name)):
            taken = patch_ids_in_use(history, diagnosis)
            return replace(
                diagnosis,
                change=classify(h, c, history, cancel_ends=False),
                cancel_uncaught=True,
                patch_id=unused("propagate-cancel", taken),
            )
    if c.kind == "fail" and not diagnosis.location:
        # Not from a `raise` (that has a line): the failure of an awaited command came up.
        failed = [x for x in history.commands if x.event_id < h.event_id
                  and x.event_id in history.failed]  # fmt: skip
        if failed:
            taken = patch_ids_in_use(history, diagnosis)
            return replace(
                diagnosis,
                failure_uncaught=failed[-1].describe(),
                patch_id=unused(f"propagate-{slug(failed[-1].name)}-failure", taken),
            )
    return None


def timed_out_explanation(d: Diagnosis) -> str:
    """The workflow now fails with ``asyncio.TimeoutError`` from a wait with a timeout (its line
    known) where the history went on ('' for other changes)."""
    if d.commanded_kind != "fail" or d.commanded_name != "TimeoutError" or not d.location:
        return ""
    return (
        f"the workflow now fails with asyncio.TimeoutError where this execution went on with "
        f"{d.recorded}: the wait at {d.location[0].short()} ran out, and a timeout that is not "
        "caught fails the workflow (catch asyncio.TimeoutError if the wait may run out)"
    )
