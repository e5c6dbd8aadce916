"""The text of a :class:`~replaycheck.diagnose.Diagnosis`: what the change was, and the fix.

The fix puts the new code behind ``workflow.patched("<id>")``; its ``else``: none for an addition,
the old command for a replacement or a removal, the old order for a move; where one history
cannot tell, both readings, the likelier first (``replaycheck._readings``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from replaycheck._cancel_readings import abandoned_fix, cancel_explanation
from replaycheck._fix_branches import branch_explanation, branch_fix
from replaycheck._fix_cases import (
    catch_again,
    deprecated_early_fix,
    gate,
    handler_addition,
    keep_handler,
    keyword_source,
    loop_command,
    loop_fix,
    old_code,
    skipped_note,
)
from replaycheck._fix_pairs import ends_there, pair_fix, replaced_or_added
from replaycheck._fix_patches import (
    late_gate_note,
    patch_removed_fix,
    removed_gate_fix,
    renamed_reading,
)
from replaycheck._fix_tasks import (
    sequential_explanation,
    sequential_fix,
    wait_explanation,
    wait_fix,
)
from replaycheck._renamed_readings import renamed_note
from replaycheck._uncaught_readings import timed_out_explanation
from replaycheck._undecoded import undecoded_explanation, undecoded_fix

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def explanation(d: Diagnosis) -> str:
    """What the change most likely was, in a sentence."""
    rec, com = d.recorded, d.commanded
    if d.handler:
        return (
            f"the update handler {d.handler!r} no longer runs {rec} "
            "before it returns: the history ran it while handling the update"
        )
    if d.unhandled_update:
        return (
            f"the code has no handler for update {d.unhandled_update!r}, which this execution "
            "accepted here: if its handler was renamed or removed, replay rejects the update, "
            "and the code does not go on where the history went on"
        )
    if undecoded := undecoded_explanation(d):
        return undecoded
    if d.unhandled_signal:
        return (
            f"the code has no handler for signal {d.unhandled_signal!r}, which this execution "
            f"received: if its handler was renamed or removed, the signal waits unhandled and "
            f"the code does not go on where the history went on with {rec}"
        )
    if d.waits_at and d.change == "removed":
        return wait_explanation(d)
    if d.signals and not d.commanded_kind:
        return (
            f"the code made no command after {d.signals[-1]}, where the history went on "
            f"with {rec}: that signal's handler, its argument type or the condition waiting "
            f"for it changed (or {rec} was removed)"
        )
    if d.failure_uncaught:
        where = f" at {d.previous[0].short()}" if d.previous else ""
        return (
            f"the workflow now fails where this execution went on with {rec}: the failure of "
            f"{d.failure_uncaught}{where} is no longer caught (or is caught elsewhere)"
        )
    if d.cancel_uncaught:
        where = f" at {d.previous[0].short()}" if d.previous else ""
        return (
            f"the workflow now ends cancelled where this execution went on with {rec}, which "
            f"the code still runs later: the cancellation of the statement{where} is no longer "
            "caught (or is caught elsewhere)"
        )
    if d.removed_gate:
        return (
            f"the code no longer has the gate workflow.patched({d.removed_gate!r}): this "
            "execution started before the patch (its history has no marker of it) and took "
            f"the old branch, which is gone; the code now commands {com} where it ran {rec}"
        )
    if d.deprecated_early:
        return (
            f"deprecate_patch({d.deprecated_early!r}) came too early: this execution "
            "started before the patch (its history has no marker of it) and took the old "
            f"branch, where the code now commands {com}"
        )
    if cancel := cancel_explanation(d):
        return cancel
    if timed_out := timed_out_explanation(d):
        return timed_out
    if d.change == "sequential":
        return sequential_explanation(d)
    if d.change in ("renamed", "replaced") and d.still_runs_later:
        return (
            f"the code commands {com} where the history recorded {rec}, which the code "
            f"still runs after it (added before it, or replacing it)"
        )
    if d.same_task:
        return (
            f"the code now commands {com} where the history recorded {rec}, which the code still "
            f"runs after it: {com} was added to the statement that started {d.same_task}"
        )
    if d.change == "id-changed" and len(d.ids) == 2:
        return (
            f"{rec} now gets id {d.ids[1]!r}; the history recorded id {d.ids[0]!r} "
            "(core compares activity and child workflow ids, not just types)"
        )
    if d.change == "reordered" and len(d.ids) == 2 and rec == com:  # two of one type swapped
        return f"{com} (id {d.ids[1]!r}) now comes before {rec} (id {d.ids[0]!r})"
    if d.change == "branch":
        return branch_explanation(d, rec, com)
    return handler_addition(d) or {
        "loop": f"the loop at {d.loop} now runs {loop_command(d)} "
        f"{'more' if d.loop_more else 'fewer'} times than this history recorded "
        f"({d.loop_runs})",
        "added": f"the code now commands {com} where the history recorded {rec}",
        "removed": f"the code no longer commands {rec}; it commanded {com} there instead"
        + (
            " (or the condition leading to it changed)"
            if d.recorded_kind in ("continue-as-new", "timer") or d.signals_relevant
            else ""
        ),
        "renamed": f"{rec} became {com}{renamed_note(d)}",
        "reordered": f"{com} now comes before {rec}" + _reorder_reading(d),
        "replaced": f"the code commands {com} where the history recorded {rec} "
        + (
            "(replacing it: nothing runs after it)"
            if ends_there(d)
            else "(replacing it, or added before it)"
        ),
        "patch-removed": f"the code no longer calls workflow.{_patch_call(d)}"
        f"({d.recorded_name!r}) (nor deprecate_patch), but the history recorded its "
        "marker" + renamed_reading(d),
    }.get(d.change, "")


def _reorder_reading(d: Diagnosis) -> str:
    """What a reorder's explanation adds: a swap, or that the recorded command moved or went."""
    if d.swapped:
        return f" (they traded places: the next statement runs {d.recorded})"
    if d.swapped_within:
        return f" (they traded places in one statement, which runs {d.recorded} too)"
    return "" if d.seen_later else f" ({d.recorded} was removed or moved after it)"


def fix(d: Diagnosis) -> list[str]:
    """How to make the change safe, as lines of text (code lines indented four spaces), with
    notes: signals on the way, a timer core took for another, random values drawn on the way,
    a change core does not see on this history, a gate asked too late (:func:`_fix`)."""
    lines = _fix(d)
    if d.signals_relevant and d.commanded_kind and lines:  # (none: gate in a handler)
        signal = d.signals_relevant[-1].split(" (event")[0]
        rows = itertools.takewhile(lambda row: not row.diverged, d.timeline)
        since = "since the code's last matching command"  # else none matched before it
        since = since if any(row.commanded for row in rows) else "before the code's first command"
        lines.append(
            f"  note: {', '.join(d.signals_relevant)} arrived {since}: if "
            f"the handling of {signal} changed rather than this code, gate the change in its "
            "handler instead"
        )
    if d.core_stopped_at and not d.core_skipped and lines:
        lines.append(
            f"  note: core does not compare timer durations: it took the code's "
            f"{d.commanded} for the history's {d.recorded} at event {d.event_id}, and "
            f"stopped at {d.core_stopped_at}, where the code was still waiting on its own timer"
        )
    if d.draws and lines:
        at = ", ".join(d.draws)
        lines.append(
            f"  note: the code took workflow.random() / workflow.uuid4() on the way here ({at}); "
            "each value depends on how many came before, so a draw added, removed or moved "
            "changes every later one and what the code does with it. If that is the change, "
            'gate the draw instead: x = workflow.uuid4() if workflow.patched("<id>") else None'
        )
    if d.core_skipped and lines:
        lines.append(skipped_note(d))
    return [*lines, *late_gate_note(d)] if lines else lines


def _fix(d: Diagnosis) -> list[str]:
    """How to make the change safe, as lines of text (code lines indented four spaces).

    An addition needs no ``else`` (executions recorded before never ran the new command); a
    replacement or a removal keeps the old code in the ``else``; a move keeps the old order.
    Where the history cannot tell which it was, both readings are given, the one the source
    suggests first.
    """
    if d.undecoded:
        return undecoded_fix(d)
    if d.unhandled_signal:
        return keep_handler("signal", d.unhandled_signal, "received", " -> None")
    if d.unhandled_update:
        return keep_handler("update", d.unhandled_update, "accepted", "")
    if d.change == "patch-removed":
        return patch_removed_fix(d)
    if d.failure_uncaught:
        # A local activity's failure reaches the code as it was raised (checked on the dev
        # server), not wrapped in an ActivityError.
        error = _CAUGHT_AS.get(d.failure_uncaught.split(" '")[0], "ActivityError")
        return catch_again(
            d,
            f"the failure of {d.failure_uncaught}",
            f"went on with {d.recorded}",
            error,
            f"...  # the statement that ran {d.failure_uncaught}",
            "...  # executions recorded before go on from here, as the old code did "
            f"({d.recorded})",
        )
    if d.cancel_uncaught:
        return catch_again(
            d,
            "the cancellation",
            "went on",
            "asyncio.CancelledError",
            "...  # the statement that was cancelled, as it is",
            "# executions recorded before go on from here, as the old code did",
        )
    if d.removed_gate:
        return removed_gate_fix(d)
    if d.deprecated_early:
        return deprecated_early_fix(d, either=replaced_or_added(d) and not d.deprecated_ran)
    if d.change == "loop":
        return loop_fix(d)
    if d.change == "branch":
        return branch_fix(d)
    if d.change == "sequential":
        return sequential_fix(d)
    if d.change == "id-changed" and len(d.ids) == 2:
        frame = d.gate_at
        where = f"at {frame.short()}" if frame else "where the code gives the id"
        field = "activity_id" if d.recorded_kind == "activity" else "id"
        new = keyword_source(frame.code if frame else "", field) or repr(d.ids[1])
        if d.recorded_kind == "activity" and d.ids[0].isdigit():
            old = f"None  # the default id, a sequence number ({d.ids[0]!r} here)"
        else:
            old = f"<the old expression>  # it gave {d.ids[0]!r} here"
        return [
            f"gate the new id {where} (executions recorded before use the old one):",
            f'    {field}={new} if workflow.patched("{d.patch_id}") else {old}',
        ]
    rec = d.recorded
    if d.handler:
        at = f" ({d.handler_at})" if d.handler_at else ""
        return [
            f"gate it in the update handler {d.handler!r}{at}:",
            *gate(d, f"...  # the new handler code, without {rec}"),
            "    else:",
            *old_code(d),
        ]
    if d.abandoned_at is not None and len(d.abandoned_types) == 2:
        return abandoned_fix(d)
    if d.change == "removed" and d.waits_at:
        return wait_fix(d)
    return pair_fix(d)


def _patch_call(d: Diagnosis) -> str:
    return "deprecate_patch" if d.marker_deprecated else "patched"


_CAUGHT_AS = {"child workflow": "ChildWorkflowError", "local activity": "ApplicationError"}
"""What the code catches the failure of each kind of command as (an activity's: ActivityError)."""
