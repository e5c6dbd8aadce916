"""What one replayed history says about patches: its markers and the calls its replay made.

Light on purpose (no temporalio import): ``Verdict.patches`` holds a :class:`PatchFacts`, and
verdicts cross the process boundary as JSON. Filled in by the replay worker
(``replaycheck._patch_record``) when ``ReplayJob.record_patches`` is set.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History

CHANGE_VERSION_ATTRIBUTE = "TemporalChangeVersion"
"""The search attribute core updates with the patch ids an execution recorded."""


@dataclass(frozen=True)
class PatchCall:
    """The first ``patched()`` / ``deprecate_patch()`` call of one patch id during a replay."""

    patch_id: str
    deprecated: bool
    """Made by ``deprecate_patch()``."""
    result: bool
    """What it returned: True is the new branch."""
    replaying: bool
    """The history decided the result. False: the call came in the workflow task after the
    history's end, which the execution has not run yet."""
    event_id: int = 0
    """History length at the workflow task that made the call."""
    file: str = ""
    line: int = 0
    """The workflow code line that made the call (empty / 0 if unknown)."""
    get_version: bool = False
    """Made by ``replaycheck.versioning.get_version``."""


@dataclass(frozen=True)
class PatchFacts:
    """What one history says about patches, and what its replay observed (``Verdict.patches``)."""

    markers: tuple[str, ...] = ()
    """Patch ids of the ``core_patch`` markers, in history order (``~`` prefix: deprecated)."""
    change_versions: tuple[str, ...] = ()
    """Patch ids the history's ``TemporalChangeVersion`` search attribute updates listed."""
    calls: tuple[PatchCall, ...] = ()
    observed: bool = True
    """Whether calls were recorded at all (False: replay never ran the workflow code)."""
    closed_at: str = ""
    """ISO time of the closing event, for closed executions."""
    continued_from: str = ""
    """The run id of the run this one continued as new from (empty: the first run)."""
    started_at: str = ""
    """ISO time of the started event, when ``continued_from`` is set (the earlier run closed
    then)."""
    generated: bool = False
    """Written by ``replaycheck generate --save``: a fixture, not an execution."""

    def marker(self, patch_id: str) -> Literal["", "patched", "deprecated"]:
        """How the history recorded ``patch_id``: by ``patched()``, only deprecated, or not."""
        if patch_id in self.markers:
            return "patched"
        return "deprecated" if "~" + patch_id in self.markers else ""

    def call(self, patch_id: str) -> PatchCall | None:
        """The recorded call of ``patch_id``, if the replay made one."""
        return next((c for c in self.calls if c.patch_id == patch_id), None)

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> PatchFacts:
        """Inverse of :meth:`to_json_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(PatchCall)}
        return cls(
            markers=tuple(data.get("markers", ())),
            change_versions=tuple(data.get("change_versions", ())),
            calls=tuple(
                PatchCall(**{k: v for k, v in c.items() if k in names})
                for c in data.get("calls", ())
            ),
            observed=bool(data.get("observed", True)),
            closed_at=str(data.get("closed_at", "")),
            continued_from=str(data.get("continued_from", "")),
            started_at=str(data.get("started_at", "")),
            generated=bool(data.get("generated", False)),
        )


def change_versions(history: History) -> tuple[str, ...]:
    """Patch ids listed by the history's ``TemporalChangeVersion`` search attribute updates."""
    found: dict[str, None] = {}
    for event in history.events:
        if not event.HasField("upsert_workflow_search_attributes_event_attributes"):
            continue
        fields_ = event.upsert_workflow_search_attributes_event_attributes.search_attributes
        payload = fields_.indexed_fields.get(CHANGE_VERSION_ATTRIBUTE)
        if payload is None:
            continue
        try:
            values = json.loads(payload.data)
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(values, list):
            found.update(dict.fromkeys(v for v in values if isinstance(v, str)))
    return tuple(found)


def split_version_id(patch_id: str) -> tuple[str, int] | None:
    """``"steps-v2"`` -> ``("steps", 2)``: the patch id ``get_version`` records for a version."""
    match = re.fullmatch(r"(.+)-v([1-9][0-9]*)", patch_id)
    return (match.group(1), int(match.group(2))) if match else None
