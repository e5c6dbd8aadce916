"""``get_version`` for Python workflows, with the semantics of Go's ``workflow.GetVersion``.

Built on ``workflow.patched()``: version ``n`` of a change is the patch id ``f"{change_id}-v{n}"``
(:func:`patch_id`). A new execution records one marker, the one of ``max_supported``; a replay
asks ``patched()`` from ``max_supported`` down to 1 and the first id whose marker the history
holds is the execution's version, so histories recorded under every earlier ``max_supported``
keep replaying. Import it in workflow code (it is safe inside temporalio's sandbox)::

    from replaycheck.versioning import DEFAULT_VERSION, get_version

    version = get_version("schema-steps", DEFAULT_VERSION, 2)
    if version == DEFAULT_VERSION:
        ...  # executions that got here before the change
    elif version == 1:
        ...
    else:
        ...  # version 2: every new execution

Cost: one patch id per version step kept in the code, up to ``max_supported`` ``patched()``
calls while replaying (free: no command) and one marker plus one ``TemporalChangeVersion``
search attribute update per execution. For a single change, plain ``workflow.patched()`` is
simpler; see ``docs/versioning.md``.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from temporalio import workflow

__all__ = [
    "DEFAULT_VERSION",
    "UnsupportedVersionError",
    "VersionRangeError",
    "get_version",
    "patch_id",
]

DEFAULT_VERSION = -1
"""The version of an execution that reached ``get_version`` before the change existed."""

_VERSIONS: weakref.WeakKeyDictionary[Any, dict[str, int]] = weakref.WeakKeyDictionary()
"""Version found per workflow instance and change id: every call in one execution agrees."""


class VersionRangeError(ValueError):
    """``get_version`` was called with a range that can never be right (e.g. min > max)."""


class UnsupportedVersionError(workflow.NondeterminismError):
    """The execution recorded a version outside ``[min_supported, max_supported]``.

    Raised inside the workflow: the workflow task fails (and is retried, as Go's panic is) until
    code that supports the version is deployed; a replay of the history fails with this message.
    """

    def __init__(self, message: str, *, change_id: str, version: int) -> None:
        super().__init__(message)
        self.change_id = change_id
        self.version = version


def patch_id(change_id: str, version: int) -> str:
    """The patch id that records ``version`` of ``change_id``: ``"<change_id>-v<version>"``."""
    return f"{change_id}-v{version}"


def get_version(change_id: str, min_supported: int, max_supported: int) -> int:
    """The version of ``change_id`` this execution uses, as Go's ``GetVersion`` returns it.

    Args:
        change_id: names the change; never reuse it for another change.
        min_supported: the oldest version the code still handles: ``DEFAULT_VERSION`` while
            executions from before the change may be replayed, else 1..``max_supported``.
        max_supported: the newest version (1 or more); new executions get it.

    Returns:
        The version recorded for this execution; ``DEFAULT_VERSION`` when it reached this call
        before the change existed; ``max_supported`` when it reaches this call for the first time.

    Raises:
        VersionRangeError: the range itself is wrong (``min_supported > max_supported``, ...).
        UnsupportedVersionError: the execution recorded a version outside the range, i.e.
            ``min_supported`` was raised or ``max_supported`` lowered past it.
    """
    check_range(change_id, min_supported, max_supported)
    found = _versions_of_instance()
    version = found.get(change_id)
    if version is None:
        version = _recorded_version(change_id, max_supported)
        found[change_id] = version
    _check_supported(change_id, version, min_supported, max_supported)
    return version


def check_range(change_id: str, min_supported: int, max_supported: int) -> None:
    """Reject a range no execution can be checked against.

    Raises:
        VersionRangeError: with what is wrong and what to write instead.
    """
    call = f"get_version({change_id!r}, {min_supported!r}, {max_supported!r})"
    if not isinstance(change_id, str) or not change_id:
        raise VersionRangeError(f"{call}: change_id must be a non-empty string.")
    for name, value in (("min_supported", min_supported), ("max_supported", max_supported)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise VersionRangeError(f"{call}: {name} must be an int, got {value!r}.")
    if max_supported < 1:
        raise VersionRangeError(
            f"{call}: max_supported must be 1 or more (versions count from 1; "
            "DEFAULT_VERSION is only a min_supported)."
        )
    if min_supported > max_supported:
        raise VersionRangeError(
            f"{call}: min_supported is greater than max_supported; a new execution gets "
            "max_supported, so min_supported must not exceed it."
        )
    if min_supported != DEFAULT_VERSION and min_supported < 1:
        raise VersionRangeError(
            f"{call}: min_supported must be DEFAULT_VERSION (-1) or a version from 1 to "
            "max_supported; there is no version 0."
        )


def _versions_of_instance() -> dict[str, int]:
    instance = workflow.instance()
    try:
        return _VERSIONS.setdefault(instance, {})
    except TypeError:  # an instance that cannot be weakly referenced: ask patched() each time
        return {}


def _recorded_version(change_id: str, max_supported: int) -> int:
    newer = _newer_recorded(change_id, max_supported)
    if newer is not None:
        return newer
    for version in range(max_supported, 0, -1):
        # Replaying, patched() is True only for the id whose marker the history holds (and
        # records nothing otherwise); running new code, the first call is True and records it.
        if workflow.patched(patch_id(change_id, version)):
            return version
    return DEFAULT_VERSION


def _newer_recorded(change_id: str, max_supported: int) -> int | None:
    """A version above ``max_supported`` whose marker the replayed history holds, if any.

    Best effort, from the patch ids core announced to the workflow (a private attribute of
    temporalio's workflow instance); without it core still fails the replay, with a
    less specific "Non-deprecated patch marker encountered" nondeterminism error.
    """
    runtime = workflow._Runtime.maybe_current()
    notified = getattr(runtime, "_patches_notified", None)
    if not notified:
        return None
    pattern = re.compile(re.escape(change_id) + r"-v([1-9][0-9]*)")
    versions = [int(m.group(1)) for m in map(pattern.fullmatch, notified) if m]
    newer = [v for v in versions if v > max_supported]
    return max(newer) if newer else None


def _check_supported(change_id: str, version: int, min_supported: int, max_supported: int) -> None:
    if min_supported <= version <= max_supported:
        return
    where = f"get_version({change_id!r}, {min_supported}, {max_supported})"
    if version == DEFAULT_VERSION:
        what = (
            "this execution reached the change before it existed (DEFAULT_VERSION), but "
            f"min_supported is {min_supported}; keep min_supported = DEFAULT_VERSION until no "
            "such execution may be replayed (replaycheck patches lists them)"
        )
    elif version < min_supported:
        what = (
            f"this execution recorded version {version}, below min_supported {min_supported}; "
            f"lower min_supported to {version} until no such execution may be replayed "
            "(replaycheck patches lists them)"
        )
    else:
        what = (
            f"this execution recorded version {version}, above max_supported {max_supported}; "
            "it was started by newer code: deploy code that supports it again"
        )
    raise UnsupportedVersionError(
        f"{where}: unsupported version: {what}.", change_id=change_id, version=version
    )
