"""What a pytest run asks of replaycheck: its settings (command line > ini >
``[tool.replaycheck]``) and what the run keeps in pytest's stash."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck.config import Settings, find_pyproject, load_settings
from replaycheck.errors import ConfigError
from replaycheck.plugin import MODES

if TYPE_CHECKING:
    from replaycheck.runner import Runner, RunnerPool

settings_key = pytest.StashKey[Settings | None]()
runner_key: pytest.StashKey[Runner] = pytest.StashKey()
ran_key = pytest.StashKey[bool]()
"""On an item: it ran before in this session (a rerun replays afresh)."""
failure_told_key = pytest.StashKey[bool]()
"""Whether an item has shown the runner's configuration failure in full."""
fixture_runners_key: pytest.StashKey[RunnerPool] = pytest.StashKey()
"""The ``replaycheck`` fixture's workers, one per workflow set and options."""
left_out_key = pytest.StashKey[str]()
"""Why the configured histories are not collected (run from a subdirectory that holds no
history root, or paths named that reach none), for the header; empty when they are."""
header_shown_key = pytest.StashKey[bool]()
"""Whether pytest printed the header (not under ``-q`` or ``--no-header``)."""
default_key = pytest.StashKey[Settings]()
"""The settings of a project set up for replaycheck that configures no histories: its
``export_dir``, else ``fixtures/histories``, is collected, as ``check`` reads it, when it exists."""


def mode(config: pytest.Config) -> str:
    mode = config.getoption("replaycheck_mode")
    mode = "on" if mode is None else mode
    if mode not in MODES:
        raise pytest.UsageError(
            f"--replaycheck={mode!r} is not valid; valid values: {', '.join(MODES)}."
        )
    return str(mode)


PASSTHROUGH = "--replaycheck-passthrough-module"
SINGULAR = {
    "passthrough_modules": PASSTHROUGH,
    "workflow_failure_exception_types": "--replaycheck-failure-exception-type",
    "interceptors": "--replaycheck-interceptor",
    "plugins": "--replaycheck-plugin",
}
"""The options named for one value (repeatable) whose setting holds several."""


def resolve_settings(config: pytest.Config) -> Settings | None:
    """Command line > ini > ``[tool.replaycheck]``, with ``Settings.default_histories`` for
    histories when none are configured, as ``check`` reads them; ``None`` when there are none."""
    settings = with_default_histories(config, configured_settings(config))
    if not settings.histories:
        if mode(config) == "only":
            raise ConfigError(
                "--replaycheck=only but no histories are configured; set histories = [...] under "
                "[tool.replaycheck], replaycheck_histories in the ini file, or "
                "--replaycheck-histories=PATH."
            )
        return None
    from replaycheck._job import registers_nothing

    if registers_nothing(settings):  # a plugin may add workflows: the worker tells
        given = "histories are configured but no workflows"
        if default_key in config.stash:
            given = f"{_roots(config, settings)} is read for want of configured histories, but "
            given += "no workflows are configured"
        raise ConfigError(
            f"{given}; set workflows = [...] under "
            "[tool.replaycheck], replaycheck_workflows in the ini file, or "
            "--replaycheck-workflows=package.module."
        )
    return settings


def with_default_histories(config: pytest.Config, settings: Settings) -> Settings:
    """``settings`` with the histories ``check`` reads when none are configured
    (:attr:`Settings.history_roots`), in a project set up for replaycheck: one with a
    ``[tool.replaycheck]`` table, or workflows (or plugins, which may add some) given to
    pytest. Another project's run, with the plugin merely installed, collects nothing."""
    if settings.histories or not (settings.pyproject or settings.workflows or settings.plugins):
        return settings
    config.stash[default_key] = settings
    roots = settings.history_roots
    if roots and not _holds_histories(roots[0]):  # a .gitkeep alone: nothing exported yet
        roots = ()
    return replace(settings, histories=roots)


def _holds_histories(path: Path) -> bool:
    from replaycheck.errors import NoHistoriesError
    from replaycheck.histories import discover

    try:
        discover([path])
    except NoHistoriesError:
        return False
    return True


def check_histories(config: pytest.Config, settings: Settings) -> None:
    """The configured history paths exist and hold histories, when the run collects them: one
    whose named paths or directory leave them out (``pytest tests``) runs without them, as the
    header says, so a clone or a checkout without them (not exported yet) runs its tests.

    Raises:
        NoHistoriesError: an empty or missing path.
    """
    if left_out_key not in config.stash:
        from replaycheck.histories import discover

        discover(settings.histories, given=_histories_given(settings))


def _histories_given(settings: Settings) -> str:
    """Where the run's history paths came from, and what a relative one is relative to."""
    source = settings.python_names.get("histories", "")
    if source.startswith("--"):
        return f"to {source}, where it is relative to the directory pytest runs in"
    if source:
        return f"in {source}, where it is relative to that file"
    from replaycheck._discovery import FROM_TABLE

    return FROM_TABLE


def configured_settings(config: pytest.Config) -> Settings:
    """Command line > ini > ``[tool.replaycheck]``, with or without histories (the
    ``replaycheck`` fixture's defaults in a run that collects none)."""
    settings = project_settings(config)
    ini = config.inipath.name if config.inipath else "ini"
    cli = {
        "histories": config.getoption("replaycheck_histories"),
        "workflows": config.getoption("replaycheck_workflows"),
        "timeout": config.getoption("replaycheck_timeout"),
        "passthrough_modules": config.getoption("replaycheck_passthrough_modules"),
        "workflow_failure_exception_types": config.getoption(
            "replaycheck_workflow_failure_exception_types"
        ),
        "interceptors": config.getoption("replaycheck_interceptors"),
        "plugins": config.getoption("replaycheck_plugins"),
    }
    # An ini value the command line replaces is not read (nor can it fail).
    from_ini = {
        key: None if cli[key] is not None else (config.getini(f"replaycheck_{key}") or None)
        for key in cli
    }
    settings = settings.override(
        **from_ini,
        base=config.inipath.parent if config.inipath else config.rootpath,
        names={key: f"{ini} replaycheck_{key}" for key in cli},
    )
    settings = settings.override(
        **cli,
        base=config.invocation_params.dir,
        names={**{k: f"--replaycheck-{k}" for k in cli}, **SINGULAR},
    )
    return replace(settings, python_names=given_names(cli, from_ini, ini))


def given_names(
    cli: Mapping[str, object], from_ini: Mapping[str, object], ini: str
) -> dict[str, str]:
    """How the run gave each setting, as the replay worker's messages name it: the option or
    the ini key that gave it; ``""`` for one from ``[tool.replaycheck]``, which alone holds
    ``data_converter`` and ``workflow_runner``."""
    names = {"data_converter": "", "workflow_runner": ""}
    for key in cli:
        if cli[key] is not None:
            names[key] = SINGULAR.get(key, f"--replaycheck-{key}")
        else:
            names[key] = f"{ini} replaycheck_{key}" if from_ini[key] is not None else ""
    return names


def project_settings(config: pytest.Config) -> Settings:
    """``[tool.replaycheck]``, importing workflow modules the way the tests import them: with
    pytest's ``pythonpath`` and the project directories a root ``conftest.py`` put on
    ``sys.path``."""
    # From the directory pytest runs in (as `replaycheck check` looks) when that lies in the
    # rootdir, so a subproject's [tool.replaycheck] counts; pytest's ini file bounds the
    # search: a [tool.replaycheck] above it belongs to another project.
    here = config.invocation_params.dir
    start = here if within(here, [config.rootpath]) else config.rootpath
    ini_dir = config.inipath.parent if config.inipath else None
    if ini_dir is not None and not within(start, [ini_dir]) and not find_pyproject(start, ini_dir):
        # --rootdir elsewhere: the search from the rootdir would miss the ini file's own table,
        # and every history with it, without a word.
        start = here if within(here, [ini_dir]) else ini_dir
    settings = load_settings(start, stop=ini_dir)
    pythonpath = [Path(p).resolve() for p in config.getini("pythonpath") or ()]
    # A relative entry (a conftest's sys.path.insert(0, "src")) is relative to the directory
    # pytest runs in, as the tests import from it; the replay worker runs elsewhere.
    pythonpath += [
        p for p in (Path(os.path.abspath(e)) for e in sys.path if e) if within(p, [config.rootpath])
    ]
    return replace(settings, pythonpath=tuple(dict.fromkeys((*settings.pythonpath, *pythonpath))))


def within(path: Path, roots: Sequence[Path]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies below one."""
    return any(path == r or r in path.parents for r in roots)


def header_lines(config: pytest.Config, settings: Settings) -> list[str]:
    """The header's lines: what is configured, and what would go unchecked (an installed copy
    imported, histories left out) with how to check it."""
    from replaycheck._workflow_scan import missing_modules
    from replaycheck.config import count_workflow_classes
    from replaycheck.report import plural

    if settings.workflows:
        classes = count_workflow_classes(settings.workflows, settings.import_paths)
        said = plural(classes, "workflow class")
        if missing := missing_modules(settings.workflows, settings.import_paths):
            names = ", ".join(repr(m) for m in missing)
            not_found = f"module{'s' if len(missing) > 1 else ''} {names} not found"
            said = f"{said}; {not_found}" if classes else not_found
        workflows = f"{', '.join(settings.workflows)} ({said})"
    else:
        workflows = "added by the plugins"
    default = " (the default: none configured)" if default_key in config.stash else ""
    lines = [
        f"replaycheck: histories {_roots(config, settings)}{default}; workflows {workflows}; "
        f"timeout {settings.timeout:g} s"
    ]
    worker = worker_settings(settings)
    if worker:
        lines.append(f"replaycheck: as the worker: {worker}")
    return lines + setup_warnings(config, settings)


def setup_warnings(config: pytest.Config, settings: Settings) -> list[str]:
    """The header's lines about what would go unchecked (an installed copy imported,
    histories left out), which the summary repeats when the header was not shown."""
    from replaycheck._workflow_scan import installed_copy_notes

    notes = installed_copy_notes(settings.workflows, settings.import_paths, settings.root)
    lines = [f"replaycheck: warning: {note}" for note in notes]
    left_out = config.stash.get(left_out_key, "")
    if left_out == "this directory":
        lines.append(
            f"replaycheck: the histories are not collected from this directory, as for tests "
            f"outside it; run pytest from {config.rootpath}, or add --replaycheck=only to "
            "replay them alone"
        )
    elif left_out:
        lines.append(
            f"replaycheck: the histories are not collected: {left_out} reach none of them; "
            f"name {_roots(config, settings)} too, or run pytest without paths"
        )
    return lines


def no_histories_line(config: pytest.Config) -> list[str]:
    """The header's line in a run of a project set up for replaycheck that has no histories to
    collect: none configured, and none where ``check`` reads and ``export`` writes then (a
    fresh clone, before the first export)."""
    settings = config.stash.get(default_key, None)
    if settings is None:
        return []
    default = settings.default_histories
    where = os.path.relpath(default, config.rootpath)
    export = settings.export_dir
    writes = "" if export not in (None, default) else " and `replaycheck export` writes"
    state = "holds none" if default.is_dir() else "does not exist"
    return [
        f"replaycheck: no histories are collected: none are configured, and {where}, where "
        f"`replaycheck check` reads{writes} when none are, {state}; export histories into it, "
        "or set histories = [...] under [tool.replaycheck]"
    ]


def _roots(config: pytest.Config, settings: Settings) -> str:
    """The history paths, relative to pytest's rootdir, as the header names them."""
    return ", ".join(os.path.relpath(p, config.rootpath) for p in settings.histories)


def worker_settings(settings: Settings) -> str:
    """The settings that make the replay run as the user's worker, those that are set
    (``data_converter shop:converter; interceptors shop:Audit``), or ``""``."""
    shown = [
        ("data_converter", settings.data_converter),
        ("workflow_runner", settings.workflow_runner),
        ("passthrough_modules", settings.passthrough_modules),
        ("interceptors", settings.interceptors),
        ("plugins", settings.plugins),
        ("workflow_failure_exception_types", settings.workflow_failure_exception_types),
    ]
    return "; ".join(
        f"{key} {value if isinstance(value, str) else ', '.join(value)}"
        for key, value in shown
        if value
    )
