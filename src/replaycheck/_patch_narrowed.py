"""Why a ``ready`` patch verdict is held back when a live selection narrowed by ``--query`` or
``--workflow-id`` left out executions the server keeps of the gate's workflow types, and what
executions left unread (by ``--limit`` too) may have done."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck.patches import PatchVerdict


def narrowed(
    held: PatchVerdict, step: str, left: Sequence[tuple[str, int | None]], refused: str = ""
) -> tuple[PatchVerdict, str]:
    """The verdict ``held`` (the one a ``ready`` verdict falls back to before ``step``) and
    its reason: ``left`` are ``(workflow type, executions not read)``, ``None`` when the server
    did not count them (``refused``: why, as it said)."""
    from replaycheck.report import plural

    counted = [(t, n) for t, n in left if n is not None]
    uncounted = [t for t, n in left if n is None]
    said = []
    if counted:
        what = " and ".join(
            f"{plural(n, 'execution') if i == 0 else n} of workflow type {t!r}"
            for i, (t, n) in enumerate(counted)
        )
        verb = "were" if sum(n for _, n in counted) != 1 else "was"
        said.append(
            f"{what} that the server keeps {verb} not read (the --query or --workflow-id "
            f"selection left {'it' if verb == 'was' else 'them'} out)"
        )
    if uncounted:
        types = ("workflow type " if len(uncounted) == 1 else "workflow types ") + ", ".join(
            repr(t) for t in uncounted
        )
        why = f" (it answered: {refused})" if refused else ""
        said.append(
            f"the server did not count how many executions of {types} it keeps{why}, "
            "so the --query or --workflow-id selection may have left some out"
        )
    one = not uncounted and sum(n for _, n in counted) == 1
    return held, (
        f"{'; '.join(said)}, and {'it' if one else 'they'} may have {unread_went(held)}: run "
        f"`replaycheck patches --live` without --query or --workflow-id before {step}"
    )


def unread_went(held: PatchVerdict) -> str:
    """What executions left unread may have done that ``held`` (a verdict a ``ready`` one fell
    back to) guards against: taken the old branch, or recorded the marker with ``patched()``."""
    if held == "keep-both-branches":
        return "taken the old branch"
    return "recorded the marker with patched()"
