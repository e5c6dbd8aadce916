"""A :class:`~replaycheck.diagnose.Diagnosis` in one line (JUnit failure messages, GitHub
annotation titles)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def headline(d: Diagnosis) -> str:
    """Where replay diverged and the two commands there (the explanation instead, when the
    two alone would mislead), and where the code issued its command or waits."""
    if not d.located:
        return d.message
    event = f"event {d.event_id} ({d.event_type})" if d.event_id else "replay"
    recorded, commanded = d.told_apart
    line = f"{event}: history recorded {recorded}, code commanded {commanded}"
    if d.reads_otherwise:  # the two commands alone would mislead: say what it is
        line = f"{event}: {d.explanation()}"
    if d.location:
        line += f" at {d.where(d.gate_frame + 1)}"
    elif d.waits_at:
        line += f" (the code waits at {d.waits_at[0].short()})"
    return line
