"""pytest plugin: every stored history is a test item that fails on nondeterminism.

The ``pytest11`` entry point loads this module into every pytest run of the environment, whether
the project uses replaycheck or not. It registers the options, and then the plugin proper
(``replaycheck._plugin``) under pytest 8.0 or later; under an older pytest, hooks that refuse a run
that configures replaycheck, in one line (``replaycheck._plugin_refusal``). The plugin proper uses
hooks and APIs an old pytest does not have: importing it there would break every run of the
environment, used or not (hypothesis's plugin guards an old pytest the same way).
"""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

OLDEST_PYTEST = (8, 0)
"""The oldest pytest the plugin runs with; an older one gets one line saying so, and only in a
project that uses replaycheck."""


def too_old(version: Sequence[int | str]) -> str | None:
    """The error for a pytest older than :data:`OLDEST_PYTEST`, else ``None``."""
    numbers = tuple(v for v in version[:2] if isinstance(v, int))
    if len(numbers) == 2 and numbers < OLDEST_PYTEST:
        shown = ".".join(str(v) for v in version[:3])
        oldest = ".".join(map(str, OLDEST_PYTEST))
        return (
            f"replaycheck: the pytest plugin needs pytest {oldest} or later, and this is pytest "
            f"{shown}; upgrade pytest (pip install 'pytest>={oldest}'), or run 'replaycheck "
            "check' instead."
        )
    return None


def parse_version(text: str = pytest.__version__) -> tuple[int | str, ...]:
    """``"7.4.4"`` as ``(7, 4, 4)``, ``"8.1.0.dev12+g1234"`` as ``(8, 1, 0, 'dev12+g1234')``
    (``pytest.version_tuple`` is not there before pytest 7)."""
    return tuple(int(part) if re.fullmatch(r"\d+", part) else part for part in text.split("."))


TOO_OLD = too_old(parse_version())
"""The error for this pytest, if it is too old."""
pytest_plugins = ["replaycheck._plugin" if TOO_OLD is None else "replaycheck._plugin_refusal"]
"""What pytest registers next: the plugin proper, or the hooks that refuse the run."""

MODES = ("on", "off", "only")


ENTRY_POINT = "replaycheck"
"""The ``pytest11`` entry point's name, which pytest registers this module under."""


def _tolerate_naming_again(pluginmanager: pytest.PytestPluginManager) -> None:
    """Make naming this module again a no-op: ``pytest_plugins = ["replaycheck.plugin"]`` in a
    conftest, ``PYTEST_PLUGINS=replaycheck.plugin`` or ``-p replaycheck.plugin`` while the entry
    point loads it too. pytest would register the same module under the other name and stop on
    pluggy's ValueError ("Plugin already registered under a different name"), dumping every
    plugin. pytest skips a blocked name; the module stays registered under the first one."""
    name = pluginmanager.get_name(sys.modules[__name__])
    for other in {ENTRY_POINT, __name__} - {name}:
        pluginmanager.set_blocked(other)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _tolerate_naming_again(pluginmanager)
    group = parser.getgroup("replaycheck", "replay Temporal histories against workflow code")
    group.addoption(
        "--replaycheck",
        dest="replaycheck_mode",
        default=None,
        metavar="MODE",
        help="on (default): collect histories beside other tests; off: do not; "
        "only: run history items only.",
    )
    group.addoption(
        "--replaycheck-histories",
        action="append",
        default=None,
        metavar="PATH",
        help="History file or directory (repeatable). Default: ini, then pyproject.",
    )
    group.addoption(
        "--replaycheck-workflows",
        action="append",
        default=None,
        metavar="MODULE[:CLASS]",
        help="Workflow code to replay against (repeatable).",
    )
    group.addoption(
        "--replaycheck-timeout",
        default=None,
        metavar="SECONDS",
        help="Seconds one history may take to replay (default 60; more past 10,000 events).",
    )
    group.addoption(
        "--replaycheck-passthrough-module",
        dest="replaycheck_passthrough_modules",
        action="append",
        default=None,
        metavar="MODULE",
        help="Module the sandbox imports from outside, as the worker passes it (repeatable).",
    )
    group.addoption(
        "--replaycheck-failure-exception-type",
        dest="replaycheck_workflow_failure_exception_types",
        action="append",
        default=None,
        metavar="MODULE:CLASS",
        help="Exception that fails the workflow, as in the worker's "
        "workflow_failure_exception_types (repeatable).",
    )
    for name, what in (("interceptor", "Interceptor"), ("plugin", "Plugin")):
        group.addoption(
            f"--replaycheck-{name}",
            dest=f"replaycheck_{name}s",
            action="append",
            default=None,
            metavar="MODULE:OBJECT",
            help=f"The worker's {what} the replay runs too (repeatable, in the worker's order).",
        )
    parser.addini("replaycheck_histories", "history files or directories", type="linelist")
    parser.addini("replaycheck_workflows", "workflow modules or module:Class", type="linelist")
    parser.addini("replaycheck_timeout", "seconds one history may take to replay", type="string")
    parser.addini(
        "replaycheck_passthrough_modules",
        "modules the sandbox imports from outside (as the worker passes them through)",
        type="linelist",
    )
    parser.addini(
        "replaycheck_workflow_failure_exception_types",
        "exceptions that fail the workflow (module:Class, or a built-in's name), as the worker's",
        type="linelist",
    )
    parser.addini(
        "replaycheck_interceptors", "the worker's interceptors (module:object)", type="linelist"
    )
    parser.addini("replaycheck_plugins", "the worker's plugins (module:object)", type="linelist")
