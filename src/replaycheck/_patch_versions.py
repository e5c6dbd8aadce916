"""``get_version`` changes in the patch report: which versions the executions recorded.

``replaycheck.versioning.get_version(change_id, min, max)`` records version ``n`` as the patch id
``f"{change_id}-v{n}"``; this module groups those ids back into one report per change and tells
whether ``min_supported`` can be raised.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from replaycheck._patch_facts import PatchFacts, split_version_id
from replaycheck._patch_nesting import branch_text, took_elsewhere
from replaycheck._patch_rules import (
    executions_text,
    pinned_hint,
    relevant_histories,
    unchecked_text,
    until_gone,
)
from replaycheck.patches import (
    DEFAULT_VERSION,
    CallSite,
    ExecutionRef,
    VersionReport,
    VersionVerdict,
    ref,
)

if TYPE_CHECKING:
    from replaycheck.verdict import Verdict


def version_text(version: int) -> str:
    """``-1`` -> ``DEFAULT_VERSION``; others as numbers."""
    return "DEFAULT_VERSION" if version == DEFAULT_VERSION else str(version)


def version_report(
    change_id: str, sites: Sequence[CallSite], verdicts: Sequence[Verdict]
) -> VersionReport:
    """Which versions of a ``get_version`` change the executions recorded."""
    mine = [
        i
        for v in verdicts
        if v.patches
        for i in (*v.patches.markers, *(c.patch_id for c in v.patches.calls))
        if (split_version_id(i.removeprefix("~")) or ("", 0))[0] == change_id
    ]
    relevant = relevant_histories(verdicts, sites, sorted(set(mine)))
    versions: dict[int, list[ExecutionRef]] = {}
    not_reached: list[ExecutionRef] = []
    unchecked: list[ExecutionRef] = []
    closed_before: list[ExecutionRef] = []
    elsewhere: list[ExecutionRef] = []
    took: dict[str, None] = {}
    for verdict in relevant:
        found = _recorded_version(change_id, verdict.patches)
        other = took_elsewhere(verdict.patches, sites) if verdict.patches else None
        if found is not None:
            versions.setdefault(found, []).append(ref(verdict))
        elif other is not None:  # took an older gate's branch that holds no get_version
            elsewhere.append(ref(verdict, other.event_id))
            took[branch_text(other)] = None
        elif verdict.patches is None or verdict.verdict != "ok" or not verdict.patches.observed:
            unchecked.append(ref(verdict))
        elif not verdict.closed:
            not_reached.append(ref(verdict))
        else:  # closed before get_version: never reaches it
            closed_before.append(ref(verdict))
    ranges = {(s.min_supported, s.max_supported) for s in sites}
    low, high = next(iter(ranges)) if len(ranges) == 1 else (None, None)
    by_version = tuple((n, tuple(versions[n])) for n in sorted(versions))
    verdict_, reason = version_verdict(by_version, unchecked, low, high)
    return VersionReport(
        change_id=change_id,
        verdict=verdict_,
        reason=reason,
        call_sites=tuple(sites),
        min_supported=low,
        max_supported=high,
        versions=by_version,
        not_reached=tuple(not_reached),
        unchecked=tuple(unchecked),
        closed_before=tuple(closed_before),
        never_meets=tuple(elsewhere),
        took_instead=tuple(took),
    )


def _recorded_version(change_id: str, facts: PatchFacts | None) -> int | None:
    """The version a history recorded; DEFAULT when the replay passed the call with no marker."""
    if facts is None:
        return None
    recorded = [
        split[1]
        for m in facts.markers
        if (split := split_version_id(m.removeprefix("~"))) and split[0] == change_id
    ]
    if recorded:
        return max(recorded)
    calls = [c for c in facts.calls if (split_version_id(c.patch_id) or ("", 0))[0] == change_id]
    return DEFAULT_VERSION if any(c.replaying for c in calls) else None


def version_verdict(
    versions: Sequence[tuple[int, Sequence[ExecutionRef]]],
    unchecked: Sequence[ExecutionRef],
    low: int | None,
    high: int | None,
) -> tuple[VersionVerdict, str]:
    """The verdict on a ``get_version`` range, from the versions the executions recorded."""
    outside = [
        (n, refs)
        for n, refs in versions
        if (low is not None and n < low) or (high is not None and n > high)
    ]
    if outside:
        refs = [r for _, r_ in outside for r in r_]
        which = ", ".join(version_text(n) for n, _ in outside)
        return "unsupported-version", (
            f"{executions_text(refs)} recorded version {which}, outside min_supported.."
            f"max_supported ({version_text(low or 0)}..{high}): their replay fails with "
            f"UnsupportedVersionError; widen the range again {until_gone(len(refs))}"
        ) + pinned_hint(refs)
    if unchecked:
        text = unchecked_text(unchecked).replace("the gate", "get_version")
        return "keep-versions", text + pinned_hint(unchecked)
    in_use = [n for n, _ in versions]
    if low is None or high is None:
        lowest = version_text(in_use[0]) if in_use else "none"
        return "keep-versions", f"the range is not literal; the oldest version in use is {lowest}"
    lowest_in_use = in_use[0] if in_use else high
    if lowest_in_use > low:
        seen = "" if in_use else " (no recorded execution reached get_version)"
        return "raise-min-supported", (
            f"no execution that may still be replayed is below version {lowest_in_use}{seen}: "
            f"raise min_supported to {lowest_in_use} and delete the branches of older versions"
        )
    users = next(refs for n, refs in versions if n == lowest_in_use)
    return "keep-versions", (
        f"min_supported ({version_text(low)}) is still used by {executions_text(users)}"
        + pinned_hint(users)
    )
