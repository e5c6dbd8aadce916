"""What ``patches`` says of executions that took the old branch when the code already calls
``deprecate_patch()``: which of them fail to replay, and which still replay only because their
history ends before the new code differs from the old branch (``check`` passes those)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck._patch_rules import executions_text

if TYPE_CHECKING:
    from replaycheck.patches import ExecutionRef


def old_branch_gone(old: Sequence[ExecutionRef]) -> str:
    """``took the old branch, which this code no longer has (...)``: the parenthesis says
    whose replay fails, and that a running one whose replay passes fails once it goes on."""
    failing = sum(1 for r in old if r.replay != "ok")
    passing = [r for r in old if r.replay == "ok"]
    if not passing:
        return "took the old branch, which this code no longer has (their replay fails)"
    running = sum(1 for r in passing if r.running)
    fails = f"the replay of {failing} fails; " if failing else ""
    verb = "replays" if len(passing) == 1 else "replay"
    text = (
        f"{fails}{executions_text(passing)} still {verb}, as their history ends before this "
        "code differs from the old branch"
    )
    if running:
        one = running == 1
        it = "the running one fails once it goes" if one else "the running ones fail once they go"
        text += f", but {it} on: `replaycheck check` passes {'it' if one else 'them'} only so far"
    return f"took the old branch, which this code no longer has ({text})"
