"""Errors raised for user mistakes; each message is one sentence that says how to fix it.

Exception tree::

    ReplaycheckError                 exit code 2, message shown without a traceback
    ├── ConfigError                  bad [tool.replaycheck] / option value, nothing to check
    │   └── WorkflowImportError      a workflow module or class could not be imported
    │       └── SandboxImportError   ... or it imports, but temporalio's sandbox refuses it
    ├── HistoryError                 a history file that cannot be read or fails validation
    ├── NoHistoriesError             a path holds no history files
    └── ClusterConnectionError       a Temporal cluster could not be reached or refused us

A ``HistoryError`` inside a batch becomes an ``error`` verdict for that one file; everywhere else
these errors end the command with exit code 2.
"""

from __future__ import annotations


class ReplaycheckError(Exception):
    """Base class: a mistake the user can fix; rendered as one line, exit code 2."""

    exit_code = 2


class ConfigError(ReplaycheckError):
    """A configuration value or command-line option is wrong or missing."""


class WorkflowImportError(ConfigError):
    """A workflow module (or ``module:Class``) could not be imported."""


class SandboxImportError(WorkflowImportError):
    """A workflow module imports, but temporalio's sandbox refuses to load it (the worker's
    validation: e.g. a call the sandbox forbids in code that runs at import)."""


class HistoryError(ReplaycheckError):
    """A history file cannot be read, or it fails validation before replay."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NoHistoriesError(ReplaycheckError):
    """A path given to search for histories holds none."""


class ClusterConnectionError(ReplaycheckError):
    """A Temporal cluster could not be reached, or refused the namespace or credentials."""
