"""What the ``replaycheck`` fixture returns: replay given histories against given workflows,
with the run's settings or the worker settings a call gives of its own."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from replaycheck._config_values import described
from replaycheck._plugin_config import configured_settings, fixture_runners_key, settings_key
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck.config import Settings
    from replaycheck.verdict import Verdict

Specs = str | type | Sequence[str | type]
"""One value or several: ``module:object`` specs, or the classes themselves."""
Modules = str | ModuleType | Sequence[str | ModuleType]
"""One module or several: import names, or the modules themselves."""

_LISTS = ("workflows", "passthrough_modules", "workflow_failure_exception_types")
"""The settings whose values the setting's own check does not refuse when not strings."""
_WHAT = {
    "workflows": "'package.module' / 'package.module:Class' specs, workflow classes or modules",
    "interceptors": "'package.module:object' specs or classes",
    "plugins": "'package.module:object' specs or classes",
    "passthrough_modules": "module names or modules",
    "workflow_failure_exception_types": "exception classes or their 'package.module:Class' names",
}

_PATHS_GIVEN = "to check(paths=...), where it is relative to pytest's rootdir"
"""Where a history path the fixture was given came from: its call, whatever is configured."""


class ReplaycheckFixture:
    """What the ``replaycheck`` fixture returns."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def check(
        self,
        paths: str | Path | Sequence[str | Path],
        workflows: Specs,
        *,
        timeout: float | None = None,
        data_converter: str | None = None,
        workflow_failure_exception_types: Specs | None = None,
        interceptors: Specs | None = None,
        plugins: Specs | None = None,
        workflow_runner: str | None = None,
        passthrough_modules: Modules | None = None,
    ) -> list[Verdict]:
        """Replay every history under ``paths`` against ``workflows`` (specs or classes).

        Relative paths are from pytest's rootdir, like the configured ones. Each worker setting
        left out (``None``) is the configured one (``--replaycheck-...``, ini,
        ``[tool.replaycheck]``); one given replaces it, ``[]`` clearing a list. Classes stand
        for their ``module:Class``; the replay worker imports every value by name.

        Raises:
            ValueError: no paths given.
            replaycheck.errors.ReplaycheckError: a path holds no history, an argument or a
                setting is not valid, or the workflows do not import.
        """
        from replaycheck.histories import discover
        from replaycheck.replay import ReplayJob
        from replaycheck.runner import RunnerPool

        try:  # a mistake of the caller's: its message, not replaycheck's frames
            roots = _paths(paths)
        except (ConfigError, ValueError) as exc:
            __tracebackhide__ = True
            raise exc.with_traceback(None) from None
        try:
            settings = self._settings(
                workflows=workflows,
                timeout=timeout,
                data_converter=data_converter,
                workflow_failure_exception_types=workflow_failure_exception_types,
                interceptors=interceptors,
                plugins=plugins,
                workflow_runner=workflow_runner,
                passthrough_modules=passthrough_modules,
            )
            job = ReplayJob.from_settings(
                settings,
                discover([self.config.rootpath / p for p in roots], given=_PATHS_GIVEN),
            )
            # One worker per workflow set, kept while the environment and the modules are the same.
            pool = self.config.stash.setdefault(fixture_runners_key, RunnerPool())
            runner = pool.runner(replace(job.with_paths(()), capture_output=True))
            from replaycheck._run_fixes import reconcile

            verdicts = reconcile(runner.replay_all(job.paths))  # one removed gate: one fix
            for verdict in verdicts:  # the worker outlives this test: its output goes to this one
                if verdict.output:
                    sys.stderr.write(verdict.output)
        except ReplaycheckError as exc:
            __tracebackhide__ = True
            raise exc.with_traceback(None) from None
        return verdicts

    def assert_ok(
        self,
        paths: str | Path | Sequence[str | Path],
        workflows: Specs,
        *,
        timeout: float | None = None,
        data_converter: str | None = None,
        workflow_failure_exception_types: Specs | None = None,
        interceptors: Specs | None = None,
        plugins: Specs | None = None,
        workflow_runner: str | None = None,
        passthrough_modules: Modules | None = None,
    ) -> list[Verdict]:
        """Like :meth:`check`, but fail the test with the report of every history that is not
        ``ok`` (the diagnosis and the fix, as the history items show them)."""
        __tracebackhide__ = True  # a mistake's message is raised from check(), not here
        verdicts = self.check(
            paths,
            workflows,
            timeout=timeout,
            data_converter=data_converter,
            workflow_failure_exception_types=workflow_failure_exception_types,
            interceptors=interceptors,
            plugins=plugins,
            workflow_runner=workflow_runner,
            passthrough_modules=passthrough_modules,
        )
        bad = [v for v in verdicts if not v.ok]
        if bad:
            from replaycheck.report import plural, render_verdict

            text = "\n\n".join(render_verdict(v) for v in bad)
            pytest.fail(
                f"{plural(len(bad), 'history')} of {len(verdicts)} did not replay:\n{text}",
                pytrace=False,
            )
        return verdicts

    def _settings(self, **given: Any) -> Settings:
        """The run's settings with the call's own values, checked as the configuration's are
        (each message naming the argument, as ``check(interceptors=...)``)."""
        base = self.config.stash.get(settings_key, None) or configured_settings(self.config)
        from replaycheck._job import registers_nothing

        values = {key: _specs(value, key) for key, value in given.items()}
        names = {key: f"check({key}=...)" for key in values}
        settings = base.override(**values, names=names)
        cleared: dict[str, Any] = {key: () for key, value in values.items() if value == []}
        given = {key: names[key] for key, value in values.items() if value is not None}
        settings = replace(settings, **cleared, python_names={**base.python_names, **given})
        if registers_nothing(settings):  # a plugin may add workflows: the worker tells
            if values["workflows"] == []:
                raise ConfigError(
                    f"check(workflows=[]): no workflows given; pass {_WHAT['workflows']}."
                )
            raise ConfigError(
                "check(workflows=None): no workflows given and none configured; pass "
                f"{_WHAT['workflows']}."
            )
        return settings


def _paths(paths: Any) -> list[Path]:
    """``paths`` as a list (:func:`~replaycheck._discovery.as_paths`), not empty."""
    from replaycheck.histories import as_paths

    values = as_paths(paths)
    if not values:
        raise ValueError("replaycheck.check() needs at least one history file or directory.")
    return values


def _specs(value: Any, key: str) -> Any:
    """A list argument as the settings take it: one value or several, classes and modules by
    their names; any other value as given (``timeout``, or one the setting's check refuses)."""
    if value is None or key not in (*_LISTS, "interceptors", "plugins"):
        return value
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    return [_spec(v, key) for v in values]


def _spec(value: Any, key: str) -> Any:
    """A class as ``module:Class`` (a built-in exception by its name), a module by its name."""
    if isinstance(value, ModuleType) and key in ("workflows", "passthrough_modules"):
        return value.__name__
    if not isinstance(value, type):
        if not isinstance(value, str) and (key in _LISTS or isinstance(value, ModuleType)):
            raise ConfigError(f"check({key}=...): expected {_WHAT[key]}, got {described(value)}.")
        return value  # a spec; or an object, which interceptors / plugins refuse by name
    if value.__module__ == "builtins":
        return value.__qualname__
    if "<locals>" in value.__qualname__:
        raise ConfigError(
            f"check({key}=...): {value.__qualname__} is defined inside a function, and the "
            "replay worker imports it by name; define it at the top level of a module."
        )
    return f"{value.__module__}:{value.__qualname__}"
