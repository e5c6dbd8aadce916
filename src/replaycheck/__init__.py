"""Replay recorded Temporal workflow histories against new code to catch nondeterminism.

The public API is importable from here (``from replaycheck import check, load_settings``); each
name is also where its module defines it (``replaycheck.replay.check``). The names are loaded on
first use (PEP 562), so ``import replaycheck``, which the pytest plugin does in every test run,
imports neither temporalio nor click.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from replaycheck.config import Settings, load_settings
    from replaycheck.diagnose import Diagnosis
    from replaycheck.errors import (
        ConfigError,
        NoHistoriesError,
        ReplaycheckError,
        WorkflowImportError,
    )
    from replaycheck.generate import (
        Counterexample,
        Exploration,
        GenerationSpec,
        explore,
        given_histories,
    )
    from replaycheck.replay import check
    from replaycheck.report import render_json, render_text, render_verdict
    from replaycheck.verdict import Verdict, exit_code
    from replaycheck.versioning import (
        DEFAULT_VERSION,
        UnsupportedVersionError,
        VersionRangeError,
        get_version,
    )

_HOME = {
    "Settings": "config",
    "load_settings": "config",
    "check": "replay",
    "Verdict": "verdict",
    "exit_code": "verdict",
    "render_json": "report",
    "render_text": "report",
    "render_verdict": "report",
    "Diagnosis": "diagnose",
    "ConfigError": "errors",
    "NoHistoriesError": "errors",
    "ReplaycheckError": "errors",
    "WorkflowImportError": "errors",
    "Counterexample": "generate",
    "Exploration": "generate",
    "GenerationSpec": "generate",
    "explore": "generate",
    "given_histories": "generate",
    "DEFAULT_VERSION": "versioning",
    "UnsupportedVersionError": "versioning",
    "VersionRangeError": "versioning",
    "get_version": "versioning",
}
"""The submodule that defines each public name."""

__all__ = [
    "DEFAULT_VERSION",
    "ConfigError",
    "Counterexample",
    "Diagnosis",
    "Exploration",
    "GenerationSpec",
    "NoHistoriesError",
    "ReplaycheckError",
    "Settings",
    "UnsupportedVersionError",
    "Verdict",
    "VersionRangeError",
    "WorkflowImportError",
    "__version__",
    "check",
    "exit_code",
    "explore",
    "get_version",
    "given_histories",
    "load_settings",
    "render_json",
    "render_text",
    "render_verdict",
]


if not TYPE_CHECKING:  # hidden from type checkers, which would take any name as valid

    def __getattr__(name: str) -> Any:
        """Import the submodule of a public name on first use, and keep the name here."""
        module = _HOME.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    """The public names, loaded or not (as SPEC 1's lazy loaders list them)."""
    return list(__all__)
