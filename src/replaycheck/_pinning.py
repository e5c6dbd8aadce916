"""Worker Versioning: the deployment version a history's execution is pinned to, if any.

Each ``WorkflowTaskCompleted`` event of a versioned worker records the workflow type's
versioning behavior and the worker's deployment version; an override (set at start or by
``temporal workflow update-options --versioning-override-...``, recorded in the started and
``WorkflowExecutionOptionsUpdated`` events) takes precedence over what the workers recorded. A
pinned execution runs to completion on its version: new code shipped as another version never
replays it (``docs/versioning.md``). Replay ignores all of this, so it only explains a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History, WorkflowTaskCompletedEventAttributes
    from temporalio.api.workflow.v1 import VersioningOverride

    from replaycheck.verdict import Verdict

_PINNED = 1
"""``VERSIONING_BEHAVIOR_PINNED``."""
_AUTO_UPGRADE = 2
"""``VERSIONING_BEHAVIOR_AUTO_UPGRADE``."""


def pinned_version(history: History) -> str:
    """The deployment version (``name:build_id``) the execution is pinned to at the history's
    end; empty when it is not pinned (auto-upgrade, unversioned, or moved by an override).

    The last behavior a workflow task recorded counts, unless an override was set since (one
    set at the start counts until a ``unset`` or another override).
    """
    worker = ""  # the version of the last pinned task ("": the last task was not pinned)
    override: str | None = None  # None: no override; "": one that does not pin
    for event in history.events:
        if event.HasField("workflow_task_completed_event_attributes"):
            task = event.workflow_task_completed_event_attributes
            if task.versioning_behavior:
                worker = _task_version(task) if task.versioning_behavior == _PINNED else ""
        elif event.HasField("workflow_execution_started_event_attributes"):
            started = event.workflow_execution_started_event_attributes
            if started.HasField("versioning_override"):
                override = _override_version(started.versioning_override)
        elif event.HasField("workflow_execution_options_updated_event_attributes"):
            updated = event.workflow_execution_options_updated_event_attributes
            if updated.unset_versioning_override:
                override = None
            if updated.HasField("versioning_override"):
                override = _override_version(updated.versioning_override)
    return worker if override is None else override


def _task_version(task: WorkflowTaskCompletedEventAttributes) -> str:
    """The deployment version a workflow task completed on (newest field first)."""
    if task.HasField("deployment_version"):
        return _version_text(task.deployment_version.deployment_name,
                             task.deployment_version.build_id)  # fmt: skip
    if task.worker_deployment_version:
        return task.worker_deployment_version
    if task.HasField("deployment"):
        return _version_text(task.deployment.series_name, task.deployment.build_id)
    return task.worker_deployment_name or "?"


def _override_version(override: VersioningOverride) -> str | None:
    """The version an override pins to; ``""`` for one that does not pin (auto-upgrade);
    ``None`` for a one-time move, after which the workers' behavior counts again."""
    if override.HasField("pinned"):
        version = override.pinned.version
        return _version_text(version.deployment_name, version.build_id)
    if override.auto_upgrade:
        return ""
    if override.HasField("one_time"):
        return None
    if override.behavior == _PINNED:  # the deprecated fields
        if override.pinned_version:
            return override.pinned_version
        return _version_text(override.deployment.series_name, override.deployment.build_id)
    return "" if override.behavior == _AUTO_UPGRADE else None


def _version_text(name: str, build_id: str) -> str:
    """``name:build_id``, as the ``TemporalWorkerDeploymentVersion`` search attribute spells
    a version (``?`` for a part the history left empty)."""
    return f"{name or '?'}:{build_id or '?'}"


# --------------------------------------------------------------------------- in reports

SKIP_QUERY = (
    "(TemporalWorkflowVersioningBehavior IS NULL OR TemporalWorkflowVersioningBehavior != 'Pinned')"
)
"""The visibility-query clause that leaves pinned executions out (what ``--skip-pinned``
does, as a query: for ``export``). ``!= 'Pinned'`` alone would drop unversioned executions
too, which have no value."""


def pinned_text(version: str, *, closed: bool = False) -> str:
    """What a pinned execution's failure means (the ``pinned:`` line under it). A closed
    execution's options cannot be updated (the server refuses: "workflow execution already
    completed"); only a reset that sets an override moves it."""
    head = (
        f"this execution is pinned to deployment version {version}: new code shipped as a new "
        f"version never replays it, only {version}'s workers do. The failure matters only if "
        f"you ship this code as {version} (the same build id) or "
    )
    if closed:
        return head + (
            "a reset moves the execution to the new version (temporal workflow reset "
            "with-workflow-update-options --versioning-override-behavior auto_upgrade, or "
            "pinned to it; update-options refuses a closed execution)"
        )
    return head + (
        "move the execution to the new version (temporal workflow update-options "
        "--versioning-override-behavior auto_upgrade, or pinned to it)"
    )


def versions_text(versions: Sequence[str]) -> str:
    """``3 on orders:v41, 1 on orders:v40``: how many of ``versions`` (one per execution) are
    each version, in first-seen order."""
    counts = {v: versions.count(v) for v in dict.fromkeys(versions)}
    return ", ".join(f"{n} on {v}" for v, n in counts.items())


def pinned_summary(versions: list[str], *, pytest: bool = False) -> str:
    """The summary's line on the failing histories of pinned executions (``versions``: the
    version of each; ``pytest``: the plugin's, which has no ``--skip-pinned``)."""
    from replaycheck.report import plural

    shown = versions_text(versions)
    one = len(versions) == 1
    whose = "is of an execution" if one else "are of executions"
    them, they, it = ("it", "it", "is") if one else ("them", "they", "are")
    leave = (
        f"otherwise drop {them} from the histories checked"
        if pytest
        else "--skip-pinned leaves pinned executions out"
    )
    return (
        f"{plural(len(versions), 'failing history')} {whose} pinned to a deployment version "
        f"({shown}): new code shipped as a new version never replays {them}, so {they} matter"
        f"{'s' if one else ''} only if this code ships as that version or {they} {it} moved to "
        f'the new one; {leave} (as a query, for export: --query "... AND {SKIP_QUERY}").'
    )


CLOSED_PINNED = "breaks queries and resets of this closed execution only if"
"""How the ``severity:`` of a closed pinned execution begins (see :func:`pinned_severity`)."""


def pinned_severity(severity: str, version: str) -> str:
    """The ``severity:`` of a failure (``diagnose.severity_of``) for an execution pinned to
    ``version`` (empty: not pinned): a running one breaks only as :func:`pinned_text` says.

    A closed one is replayed by queries and resets, and the server sends both to its version:
    a query's task carries the execution's effective versioning behavior and version, which
    matching routes to that version's workers; a reset rebuilds the new run from the events
    up to the reset point, so it stays pinned to the version they recorded unless the reset
    sets an override (``temporal workflow reset with-workflow-update-options``).
    """
    from replaycheck.diagnose import CLOSED, IN_FLIGHT

    if not version or severity not in (IN_FLIGHT, CLOSED):
        return severity
    if severity == CLOSED:
        return (
            f"{CLOSED_PINNED} this code ships as its version {version}: queries go to "
            f"{version}'s workers, and so does a reset (it stays pinned) unless it moves the "
            "execution to the new version (temporal workflow reset with-workflow-update-options "
            "--versioning-override-...)"
        )
    return (
        f"breaks this in-flight execution only if this code ships as its version {version} or "
        "it is moved to the new version"
    )


def is_closed(severity: str) -> bool:
    """Whether ``severity`` is that of a closed execution, pinned or not."""
    from replaycheck.diagnose import CLOSED

    return severity == CLOSED or severity.startswith(CLOSED_PINNED)


# --------------------------------------------------------------------------- --skip-pinned


def split_pinned(verdicts: Sequence[Verdict]) -> tuple[list[Verdict], list[Verdict]]:
    """``--skip-pinned`` on history files: the verdicts of executions not pinned, and those of
    pinned ones (left out).

    Raises:
        NoHistoriesError: every history is of a pinned execution, so nothing is left.
    """
    from replaycheck.errors import NoHistoriesError
    from replaycheck.report import plural

    kept = [v for v in verdicts if not v.pinned]
    left = [v for v in verdicts if v.pinned]
    if left and not kept:
        raise NoHistoriesError(
            f"every history ({plural(len(left), 'history')}) is of an execution pinned to a "
            "deployment version, and --skip-pinned left them out, so nothing was checked; "
            "drop --skip-pinned to check them."
        )
    return kept, left


def left_out_text(count: int) -> str:
    """The stderr line of ``--skip-pinned`` on history files that left ``count`` out."""
    from replaycheck.report import plural

    return f"left out {plural(count, 'history')} of pinned executions (--skip-pinned)"


def live_skipped_text(not_started: int, not_found: int, pinned: int) -> str:
    """What a live run skipped, for its stderr line (``" (2 not started yet, skipped; 3 pinned,
    left out by --skip-pinned)"``; empty when nothing was)."""
    skipped = [f"{not_started} not started yet, skipped"] if not_started else []
    skipped += [f"{not_found} not found"] if not_found else []
    skipped += [f"{pinned} pinned, left out by --skip-pinned"] if pinned else []
    return f" ({'; '.join(skipped)})" if skipped else ""
