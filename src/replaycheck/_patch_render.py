"""Rendering the ``replaycheck patches`` report: text for people, JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from replaycheck._patch_generated import (
    generated_old_text,
    generated_summary,
    generated_versions_text,
)
from replaycheck.patches import (
    SHOWN,
    VERDICT_TEXT,
    CallSite,
    ExecutionRef,
    PatchesReport,
    PatchReport,
    VersionReport,
    more_listed,
)
from replaycheck.report import display_path, paint, plural, printable

FORMATS = ("text", "json")
"""Values accepted by ``replaycheck patches --format``."""

_COLOUR = {
    "keep-both-branches": "yellow",
    "keep-deprecate-patch": "yellow",
    "keep-versions": "yellow",
    "ready-to-deprecate": "green",
    "ready-to-remove": "green",
    "raise-min-supported": "green",
    "removed": "green",
    "orphaned": "red",
    "unsupported-version": "red",
}


def render(report: PatchesReport, fmt: str, *, color: bool = False) -> str:
    """The report in one of :data:`FORMATS`."""
    return render_json(report) if fmt == "json" else render_text(report, color=color)


# --------------------------------------------------------------------------- text


def render_text(report: PatchesReport, *, color: bool = False) -> str:
    """Each patch id and ``get_version`` change: verdict, reason, call sites, executions."""
    blocks = [_patch_text(p, color, _held_until(p, report)) for p in report.patches]
    blocks += [_change_text(c, color) for c in report.changes]
    if report.non_literal:
        blocks.append(_non_literal_text(report.non_literal))
    blocks.append(_summary(report))
    return "\n\n".join(blocks) + "\n"


def _head(name: str, verdict: str, color: bool) -> str:
    return f"{name}  {paint(VERDICT_TEXT[verdict], _COLOUR[verdict], color)}"


def _held_until(patch: PatchReport, report: PatchesReport) -> str:
    """The line dating when the executions holding ``patch``'s verdict are deleted ('')."""
    from replaycheck._patch_dates import held_until_text

    live = report.namespace_retention_days is not None
    days = report.namespace_retention_days if live else report.retention_days
    if not patch.held_until or patch.last_to_go is None or days is None:
        return ""
    return held_until_text(patch.held_until, patch.last_to_go, days, live)


def _patch_text(patch: PatchReport, color: bool, held_until: str = "") -> str:
    lines = [_head(patch.patch_id, patch.verdict, color), f"  {patch.reason}"]
    lines += [f"  {held_until}"] if held_until else []
    lines += _sites_text(patch.call_sites)
    lines += _group("new branch", "recorded the marker", patch.new_branch)
    lines += _group("old branch", "passed the gate before it existed", patch.old_branch)
    lines += generated_old_text(patch.generated_old_branch)
    if patch.verdict != "removed":  # no gate left to reach
        lines += _group("not reached yet", "yet to reach the gate", patch.not_reached)
    lines += _never_meets("the gate", patch.took_instead, patch.never_meets)
    lines += _group("not checked", "replay stopped before the gate", patch.unchecked)
    if patch.verdict != "removed":
        lines += _group(
            "closed before the gate",
            _closed_what("the gate", "which takes the new branch"),
            patch.closed_before,
        )
    if patch.change_version:
        count = plural(patch.change_version, "execution")
        lines.append(f"  TemporalChangeVersion lists it for {count}")
    return "\n".join(lines)


def _change_text(change: VersionReport, color: bool) -> str:
    from replaycheck._patch_versions import version_text

    span = ""
    if change.min_supported is not None and change.max_supported is not None:
        span = f" {version_text(change.min_supported)}..{change.max_supported}"
    lines = [_head(f"{change.change_id} (get_version{span})", change.verdict, color)]
    lines.append(f"  {change.reason}")
    lines += _sites_text(change.call_sites)
    for version, refs in change.versions:
        what = "passed it before the change" if version == -1 else "recorded it"
        lines += _group(f"version {version_text(version)}", what, refs)
    lines += generated_versions_text(change)
    lines += _group("not reached yet", "yet to reach get_version", change.not_reached)
    lines += _never_meets("get_version", change.took_instead, change.never_meets)
    lines += _group("not checked", "replay stopped before get_version", change.unchecked)
    lines += _group(
        "closed before get_version",
        _closed_what("get_version", "which returns max_supported"),
        change.closed_before,
    )
    return "\n".join(lines)


def _never_meets(gate: str, took: Sequence[str], refs: Sequence[ExecutionRef]) -> list[str]:
    """The group of executions that took an older gate's branch which holds no ``gate``."""
    what = (
        f"took {' or '.join(took)}, which holds no call of it: they never meet it, running or "
        "not, and hold nothing back here (the older gate's own verdict counts them)"
    )
    return _group(f"never meets {gate}", what, refs)


def _closed_what(gate: str, live: str) -> str:
    """Why executions closed before the gate hold nothing back."""
    return (
        f"ended before reaching {gate}: nothing to keep for them (a query replays only their "
        f"history, which ends before {gate}; a reset runs {gate} live, {live})"
    )


def _site_text(site: CallSite) -> str:
    call = {"patched": "workflow.patched", "deprecate_patch": "workflow.deprecate_patch"}.get(
        site.kind, "get_version"
    )
    where = f"{display_path(site.file)}:{site.line}" if site.file else "(unknown line)"
    args = site.expression or repr(site.patch_id)
    if site.kind == "get_version" and site.min_supported is not None:
        args += f", {site.min_supported}, {site.max_supported}"
    text = f"{where}  {call}({args})"
    if site.workflow_type:
        text += f" in {site.workflow_type}"
    return text + ("  (seen during replay)" if site.observed else "")


def _sites_text(sites: Sequence[CallSite]) -> list[str]:
    if not sites:
        return ["  call sites: none"]
    return ["  call sites:", *(f"    {_site_text(s)}" for s in sites)]


def _group(label: str, what: str, refs: Sequence[ExecutionRef]) -> list[str]:
    if not refs:
        shown_empty = label != "not checked"
        shown_empty = shown_empty and not label.startswith(("closed before", "never meets"))
        return [f"  {label}: none"] if shown_empty else []
    running = sum(1 for r in refs if r.running)
    counts = f"{plural(len(refs), 'execution')} ({running} running, {len(refs) - running} closed)"
    lines = [f"  {label}: {counts} {what}"]
    width = max(len(r.workflow_id) for r in refs[:SHOWN])
    status_width = max(len(r.status or "?") for r in refs[:SHOWN]) + 2
    for ref in refs[:SHOWN]:
        notes = ["deprecated marker"] if ref.deprecated else []
        notes += [f"replay: {ref.replay}"] if ref.replay != "ok" else []
        notes += [f"pinned to {printable(ref.pinned)}"] if ref.pinned else []
        extra = f"  ({', '.join(notes)})" if notes else ""
        lines.append(
            f"    {ref.status or '?':{status_width}}{ref.workflow_id:{width}}  "
            f"{display_path(ref.path)}{extra}"
        )
    return lines + more_listed(len(refs), "    ")


def _non_literal_text(sites: Sequence[CallSite]) -> str:
    lines = ["call sites whose id is not a literal (ids they produced during replay are above):"]
    lines += [f"  {_site_text(s)}" for s in sites]
    return "\n".join(lines)


def summary_line(report: PatchesReport) -> str:
    """The text report's counts line (``1 patch id in 14 histories (replay: 14 ok)``)."""
    return _summary(report).splitlines()[0]


def _replayed(count: int, verdict: str) -> str:
    """``4 ok``, ``2 nondeterministic``, ``1 error``, ``10 errors``: as ``check`` counts them."""
    return plural(count, verdict) if verdict == "error" else f"{count} {verdict}"


def _summary(report: PatchesReport) -> str:
    parts = [plural(len(report.patches), "patch id")]
    if report.changes:
        parts.append(plural(len(report.changes), "get_version change"))
    replayed = ", ".join(_replayed(n, kind) for kind, n in report.replay.items() if n)
    line = f"{' and '.join(parts)} in {plural(report.histories, 'history')}"
    line += f" (replay: {replayed or 'none'})"
    if report.retention_days is not None:
        line += (
            f"; {plural(report.expired, 'closed execution')} past the "
            f"{report.retention_days:g}-day retention left out"
        )
    line += generated_summary(report.generated)
    if report.pinned_left_out:
        count = plural(report.pinned_left_out, "pinned execution")
        line += f"; {count} left out (--skip-pinned)"
    if report.copies:
        from replaycheck._patch_copies import copies_text

        line += "\n" + copies_text(report.copies, SHOWN)
    if report.errors:
        line += "\n" + _errors_text(report.errors)
    if report.expired_paths:
        line += "\n" + _expired_text(report)
    return line


def _expired_text(report: PatchesReport) -> str:
    """The files of the runs the retention has deleted (every copy of each) to delete."""
    copy_of = dict(report.expired_copies)
    lines = [
        "past the retention, the server has deleted them: delete their fixtures too, or "
        "`check` keeps replaying them (and fails them once a gate is deprecated):"
    ]
    for path in report.expired_paths[:SHOWN]:
        kept = copy_of.get(path)
        lines.append(
            f"  {display_path(path)}" + (f"  (a copy of {display_path(kept)})" if kept else "")
        )
    return "\n".join(lines + more_listed(len(report.expired_paths), "  "))


def _errors_text(errors: Sequence[tuple[str, str]]) -> str:
    """What the histories that could not be replayed leave out, the first one's reason, and
    what to do."""
    path, message = errors[0]
    more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
    return (
        f"{plural(len(errors), 'history')} could not be replayed, so the patches they hold and "
        f"the branches they took may be missing above: {display_path(path)}: {message}{more}; "
        "`replaycheck check` shows each one's reason: fix them and run this again."
    )


# --------------------------------------------------------------------------- JSON


def render_json(report: PatchesReport) -> str:
    """One document: ``{"version": 1, "patches": [...], "changes": [...], ...}``."""
    doc: dict[str, Any] = {
        "version": 1,
        "patches": [_patch_json(p) for p in report.patches],
        "changes": [_change_json(c) for c in report.changes],
        "non_literal": [_site_json(s) for s in report.non_literal],
        "histories": report.histories,
        "replay": dict(report.replay),
        "expired": report.expired,
        "expired_paths": list(report.expired_paths),
        "retention_days": report.retention_days,
        "namespace_retention_days": report.namespace_retention_days,
        "pinned_left_out": report.pinned_left_out,
        "errors": [{"path": p, "message": m} for p, m in report.errors],
        "copies": [{"path": p, "kept": k} for p, k in report.copies],
        "expired_copies": [{"path": p, "kept": k} for p, k in report.expired_copies],
    }
    if report.generated:  # only then, so reports without them read as they always did
        doc["generated"] = list(report.generated)
        for patch, data in zip(report.patches, doc["patches"], strict=True):
            data["generated_old_branch"] = _refs_json(patch.generated_old_branch)
        for change, data in zip(report.changes, doc["changes"], strict=True):
            data["generated_old_versions"] = [
                {"version": n, "histories": _refs_json(refs)}
                for n, refs in change.generated_old_versions
            ]
    return json.dumps(doc, indent=2) + "\n"


def _site_json(site: CallSite) -> dict[str, Any]:
    data = asdict(site)
    data["file"] = display_path(site.file) if site.file else ""
    return data


def _refs_json(refs: Sequence[ExecutionRef]) -> list[dict[str, Any]]:
    return [asdict(r) for r in refs]


def _patch_json(patch: PatchReport) -> dict[str, Any]:
    return {
        "patch_id": patch.patch_id,
        "verdict": patch.verdict,
        "reason": patch.reason,
        "call_sites": [_site_json(s) for s in patch.call_sites],
        "new_branch": _refs_json(patch.new_branch),
        "old_branch": _refs_json(patch.old_branch),
        "not_reached": _refs_json(patch.not_reached),
        "unchecked": _refs_json(patch.unchecked),
        "closed_before": _refs_json(patch.closed_before),
        "never_meets": _refs_json(patch.never_meets),
        "took_instead": list(patch.took_instead),
        "change_version": patch.change_version,
        "held_until": patch.held_until or None,
        "last_to_go": asdict(patch.last_to_go) if patch.last_to_go else None,
    }


def _change_json(change: VersionReport) -> dict[str, Any]:
    return {
        "change_id": change.change_id,
        "verdict": change.verdict,
        "reason": change.reason,
        "call_sites": [_site_json(s) for s in change.call_sites],
        "min_supported": change.min_supported,
        "max_supported": change.max_supported,
        "versions": [{"version": n, "executions": _refs_json(refs)} for n, refs in change.versions],
        "not_reached": _refs_json(change.not_reached),
        "unchecked": _refs_json(change.unchecked),
        "closed_before": _refs_json(change.closed_before),
        "never_meets": _refs_json(change.never_meets),
        "took_instead": list(change.took_instead),
    }
