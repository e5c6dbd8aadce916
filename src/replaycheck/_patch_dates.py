"""When the executions that hold a patch verdict back are gone: the retention after the last of
them closed (``replaycheck patches``), so the report can give a date to come back on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from replaycheck.patches import ExecutionRef


def deleted_by(
    refs: Sequence[ExecutionRef], retention_days: float | None
) -> tuple[str, ExecutionRef | None]:
    """When the server has deleted every execution of ``refs`` (ISO 8601, UTC): ``retention_days``
    after the last of them closed; and that last one. ``("", None)`` when one of them is still
    running, one's close time is unknown, or the retention is."""
    if not refs or retention_days is None or any(r.running or not r.closed_at for r in refs):
        return "", None
    last = max(refs, key=lambda r: datetime.fromisoformat(r.closed_at))
    gone = datetime.fromisoformat(last.closed_at) + timedelta(days=retention_days)
    return gone.isoformat(), last


def held_until_text(until: str, last: ExecutionRef, retention_days: float, live: bool) -> str:
    """The report's line under a verdict that waits for closed executions to be deleted."""
    retention = f"{retention_days:g}-day retention"
    whose = f"the namespace's {retention}" if live else f"a {retention} (--retention)"
    return (
        f"held until {_minute(until)}: {whose} deletes the last of them from then on "
        f"({last.workflow_id}, closed {_minute(last.closed_at)}); run this again after it, as "
        "long as no new execution joins them"
    )


def _minute(iso: str) -> str:
    """``2026-12-04 13:58 UTC`` from an ISO 8601 time in UTC."""
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")
