"""A diagnosis read back from JSON (``--format json``, the worker's answers, pytest-xdist's
reports): the tuples and frames :class:`replaycheck.diagnose.Diagnosis` holds, rebuilt."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from replaycheck._divergence import TimelineRow
from replaycheck._source import SourceFrame


def diagnosis_values(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``cls`` (a diagnosis class) in ``data``, as the class holds them; unknown
    keys are ignored."""
    names = {f.name for f in fields(cls)}
    values = {k: v for k, v in data.items() if k in names}
    for key in ("location", "previous", "waits_at"):
        values[key] = tuple(SourceFrame(**_known(SourceFrame, f)) for f in values.get(key, ()))
    for key in (
        "removed_gate_at",
        "abandoned_at",
        "failure_raised_at",
        "moved_run_at",
        "run_starts_at",
    ):
        if isinstance(values.get(key), dict):
            values[key] = SourceFrame(**_known(SourceFrame, values[key]))
    values["timeline"] = tuple(
        TimelineRow(**_known(TimelineRow, r)) for r in values.get("timeline", ())
    )
    for key in (
        "old_order",
        "deprecated_ran",
        "signals",
        "signals_relevant",
        "ids",
        "draws",
        "branch_parameters",
        "markers",
        "abandoned_types",
        "inputs_changed",
        "moved_handler_names",
        "renamed_patch",
    ):
        values[key] = tuple(values.get(key, ()))
    return values


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
