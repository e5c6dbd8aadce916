"""Settings from ``[tool.replaycheck]`` and the command line, and loading workflow classes.

Precedence: command line > pytest ini (plugin only) > ``[tool.replaycheck]`` > default.
Relative paths in ``pyproject.toml`` are relative to the directory holding it, the *root*.

Finding a workflow module's source file and counting its workflow classes without importing
it (``module_file``, ``count_workflow_classes``, re-exported here) is in
``replaycheck._workflow_scan``; the checks of each value (``check_timeout``,
``parse_workflow_specs``, ..., re-exported here) in ``replaycheck._config_values``.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from replaycheck._config_values import CLI_NAMES as CLI_NAMES
from replaycheck._config_values import MAX_TIMEOUT as MAX_TIMEOUT
from replaycheck._config_values import PYTHON_NAMES as PYTHON_NAMES
from replaycheck._config_values import (
    as_str,
    clash_message,
    or_other,
    settings_start,
    str_list,
    toml_number,
    type_clash,
)
from replaycheck._config_values import check_object_spec as check_object_spec
from replaycheck._config_values import check_timeout as check_timeout
from replaycheck._config_values import parse_failure_types as parse_failure_types
from replaycheck._config_values import parse_module_names as parse_module_names
from replaycheck._config_values import parse_object_specs as parse_object_specs
from replaycheck._config_values import parse_workflow_specs as parse_workflow_specs
from replaycheck._config_values import read_toml as read_toml
from replaycheck._spec_hints import as_class_spec, close_attribute, close_module, package_hint
from replaycheck._spec_hints import says_all as says_all
from replaycheck._workflow_scan import count_workflow_classes as count_workflow_classes
from replaycheck._workflow_scan import module_file as module_file
from replaycheck.errors import ConfigError, WorkflowImportError

DEFAULT_TIMEOUT = 60.0
"""Seconds one history may take to replay before its verdict is ``error``."""

DEFAULT_HISTORIES = Path("fixtures", "histories")
"""Where ``export`` writes and ``check`` / ``patches`` read when no path is configured."""
KNOWN_KEYS = (
    "histories", "workflows", "timeout", "data_converter", "passthrough_modules",
    "workflow_runner", "pythonpath", "export_dir", "workflow_failure_exception_types",
    "interceptors", "plugins",
)  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """Resolved configuration; every path is absolute."""

    root: Path
    """Directory of the ``pyproject.toml`` the settings came from (else the working directory)."""
    histories: tuple[Path, ...] = ()
    """Files or directories holding history files."""
    workflows: tuple[str, ...] = ()
    """Workflow specs: ``pkg.module`` (its ``@workflow.defn`` classes) or ``pkg.module:Class``."""
    timeout: float = DEFAULT_TIMEOUT
    data_converter: str | None = None
    """``module:object`` naming a ``temporalio.converter.DataConverter`` (payload codecs)."""
    passthrough_modules: tuple[str, ...] = ()
    """Modules the sandbox imports from outside (``SandboxRestrictions.with_passthrough_modules``),
    as the worker passes them through."""
    workflow_runner: str | None = None
    """``module:object`` naming the worker's ``SandboxedWorkflowRunner`` or
    ``SandboxRestrictions``."""
    workflow_failure_exception_types: tuple[str, ...] = ()
    """Exception classes that fail the workflow instead of its workflow task, as the worker's
    ``workflow_failure_exception_types``: ``module:Class``, or a built-in's bare name."""
    interceptors: tuple[str, ...] = ()
    """``module:object`` specs of the worker's interceptors (``Worker(interceptors=...)``), in
    order."""
    plugins: tuple[str, ...] = ()
    """``module:object`` specs of the worker's plugins (``Worker(plugins=...)``), in order."""
    pythonpath: tuple[Path, ...] = field(default_factory=tuple)
    """Extra import roots; the root itself is always importable."""
    export_dir: Path | None = None
    pyproject: Path | None = None
    python_names: Mapping[str, str] = field(
        default_factory=lambda: dict(PYTHON_NAMES), compare=False, repr=False
    )
    """How the caller gives each setting, as messages name it (``override(workflows=...)``;
    the pytest plugin's option or ini key, ``""`` for a value only ``[tool.replaycheck]``
    gives); a setting left out is named by its command-line option (the CLI gives only
    ``histories``: ``PATH``, or ``""`` when the table gives them)."""

    @property
    def history_roots(self) -> tuple[Path, ...]:
        """:attr:`histories`, else :attr:`default_histories` when it is there: where
        ``replaycheck export`` writes when no histories are configured."""
        if self.histories:
            return self.histories
        return (self.default_histories,) if self.default_histories.is_dir() else ()

    @property
    def default_histories(self) -> Path:
        """:attr:`export_dir`, else ``fixtures/histories`` under the root: where ``export``
        writes, read when no histories are configured."""
        return self.export_dir or self.root / DEFAULT_HISTORIES

    @property
    def import_paths(self) -> tuple[str, ...]:
        """Directories to put on ``sys.path`` before importing workflow modules."""
        return tuple(dict.fromkeys([str(self.root), *(str(p) for p in self.pythonpath)]))

    def override(
        self,
        *,
        histories: str | Sequence[str] | None = None,
        workflows: str | Sequence[str] | None = None,
        timeout: float | str | None = None,
        data_converter: str | None = None,
        passthrough_modules: str | Sequence[str] | None = None,
        workflow_runner: str | None = None,
        workflow_failure_exception_types: str | Sequence[str] | None = None,
        interceptors: str | Sequence[str] | None = None,
        plugins: str | Sequence[str] | None = None,
        base: Path | None = None,
        names: Mapping[str, str] | None = None,
    ) -> Settings:
        """Apply values given on top of these (paths relative to ``base``, default the working
        dir); a list setting takes one ``str`` or a sequence of them.

        ``names`` says where each value came from, for error messages (default: this call,
        e.g. ``override(workflows=...)``; the CLI passes :data:`CLI_NAMES`).
        """
        base = base or Path.cwd()
        label = {**PYTHON_NAMES, **(names or {})}
        lists = (histories, workflows, passthrough_modules, workflow_failure_exception_types)
        histories, workflows, passthrough_modules, workflow_failure_exception_types = (
            _listed(value) for value in lists
        )
        interceptors, plugins = _listed(interceptors), _listed(plugins)
        changes: dict[str, Any] = {}
        if histories:
            from replaycheck._discovery import as_paths  # not for the plugin's cheap start

            where = label.get("histories", "override(histories=...)")
            changes["histories"] = tuple((base / h).resolve() for h in as_paths(histories, where))
        if workflows:
            changes["workflows"] = tuple(parse_workflow_specs(workflows, label["workflows"]))
        if timeout is not None:
            changes["timeout"] = check_timeout(timeout, label["timeout"])
        if data_converter:
            changes["data_converter"] = check_object_spec(data_converter, label["data_converter"])
        if passthrough_modules:
            where = label["passthrough_modules"]
            changes["passthrough_modules"] = parse_module_names(passthrough_modules, where)
        if workflow_runner:
            where = label["workflow_runner"]
            changes["workflow_runner"] = check_object_spec(
                workflow_runner, where, "workflow_runner"
            )
        if workflow_failure_exception_types:
            where = label["workflow_failure_exception_types"]
            failing = parse_failure_types(workflow_failure_exception_types, where)
            changes["workflow_failure_exception_types"] = failing
        for key, specs in (("interceptors", interceptors), ("plugins", plugins)):
            if specs:
                changes[key] = parse_object_specs(list(specs), label[key], key)
        python_names = dict(PYTHON_NAMES) if names is None else {}
        return replace(self, **changes, python_names=python_names)


def _listed(value: Any) -> Any:
    """A list setting's value as a list: one value (a ``str``, or a class a Python caller
    passed) is a list of one, not its letters."""
    if value is None or isinstance(value, (list, tuple, set, frozenset)):
        return value
    return [value]


def find_pyproject(start: Path, stop: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (up to ``stop``, when it is one of
    those directories) that has ``[tool.replaycheck]``."""
    for directory in (start.resolve(), *start.resolve().parents):
        candidate = directory / "pyproject.toml"
        tool = read_toml(candidate).get("tool", {}) if candidate.is_file() else {}
        if isinstance(tool, dict) and "replaycheck" in tool:
            return candidate
        if stop is not None and directory == stop.resolve():
            break
    return None


def load_settings(
    start: str | os.PathLike[str] | None = None, *, stop: str | os.PathLike[str] | None = None
) -> Settings:
    """Settings from the nearest ``pyproject.toml`` with ``[tool.replaycheck]`` (see
    :func:`find_pyproject`), else defaults. Without a ``pythonpath`` of its own the table takes
    pytest's (``[tool.pytest.ini_options] pythonpath``) from the same file.

    Raises:
        ConfigError: ``start`` or ``stop`` is not a path, or ``start`` does not exist.
    """
    start, stop = settings_start(start, stop)
    pyproject = find_pyproject(start, stop)
    if pyproject is None:
        return Settings(root=start.resolve())
    tool = read_toml(pyproject)["tool"]
    table = tool["replaycheck"]
    if not isinstance(table, dict):
        raise ConfigError(
            f"{pyproject}: tool.replaycheck must be a table ([tool.replaycheck] with keys such as "
            f"histories = [...]), got {table!r}."
        )
    pytest = tool.get("pytest", {})
    options = pytest.get("ini_options", {}) if isinstance(pytest, dict) else {}
    pytest_path = options.get("pythonpath") if isinstance(options, dict) else None
    if "pythonpath" not in table and pytest_path:
        # The workflow modules import as the tests import them, also for the command line.
        paths = pytest_path.split() if isinstance(pytest_path, str) else pytest_path
        table = {**table, "pythonpath": paths}
    return settings_from_table(table, pyproject.parent, source=str(pyproject))


def settings_from_table(table: Mapping[str, Any], root: Path, *, source: str) -> Settings:
    """Validate a ``[tool.replaycheck]`` table."""
    unknown = sorted(set(table) - set(KNOWN_KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0].replace("-", "_"), KNOWN_KEYS, n=1, cutoff=0.7)
        meant = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"{source}: unknown key {unknown[0]!r} in [tool.replaycheck]{meant}; "
            f"valid keys are: {', '.join(KNOWN_KEYS)}."
        )
    where = f"{source} [tool.replaycheck]"
    export_dir = table.get("export_dir")
    converter = table.get("data_converter")
    runner = table.get("workflow_runner")
    runner = None if runner is None else check_object_spec(runner, where, "workflow_runner")
    passthrough = str_list(table, "passthrough_modules", where)
    failing = str_list(table, "workflow_failure_exception_types", where)
    return Settings(
        root=root.resolve(),
        histories=tuple((root / p).resolve() for p in str_list(table, "histories", where)),
        workflows=tuple(parse_workflow_specs(str_list(table, "workflows", where), where)),
        timeout=check_timeout(
            toml_number(table, "timeout", where, DEFAULT_TIMEOUT), f"{where} timeout"
        ),
        data_converter=None if converter is None else check_object_spec(converter, where),
        passthrough_modules=parse_module_names(passthrough, f"{where} passthrough_modules"),
        workflow_runner=runner,
        workflow_failure_exception_types=parse_failure_types(
            failing, f"{where} workflow_failure_exception_types"
        ),
        interceptors=parse_object_specs(table.get("interceptors", []), where, "interceptors"),
        plugins=parse_object_specs(table.get("plugins", []), where, "plugins"),
        pythonpath=tuple((root / p).resolve() for p in str_list(table, "pythonpath", where)),
        export_dir=None if export_dir is None else (root / as_str(export_dir, where)).resolve(),
        pyproject=Path(source) if source.endswith(".toml") else None,
    )


def _workflow_classes_in(module: Any) -> list[type]:
    from temporalio.workflow import _Definition

    found = [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if _Definition.from_class(obj) is not None
    ]
    return sorted(found, key=lambda c: (c.__module__, c.__qualname__))


def import_workflows(
    specs: Sequence[str],
    import_paths: Sequence[str] = (),
    *,
    python: str | None = None,
    check: str = "",
) -> list[type]:
    """Import every spec and return the ``@workflow.defn`` classes, without duplicates
    (``python``: how the caller gave them, which a message then names; ``""``: only
    ``[tool.replaycheck]``, ``None``: the command line's ``-w``; ``check``: what a module that
    does not import, or holds no workflow, tells to check instead of the workflows setting,
    such as generate's baseline).

    Raises:
        WorkflowImportError: a module fails to import, a class is missing or is not a workflow,
            or a module holds no workflow at all.
    """
    for entry in reversed(import_paths):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    classes: dict[type, None] = {}
    for spec in specs:
        for cls in _import_spec(spec, python, check):
            classes[cls] = None
    _check_unique_types(list(classes))
    return list(classes)


def _check_unique_types(classes: list[type]) -> None:
    clash = type_clash(classes)
    if clash is not None:
        raise WorkflowImportError(clash_message(*clash))


def _import_spec(spec: str, python: str | None = None, check: str = "") -> list[type]:
    from temporalio.workflow import _Definition

    module_name, _, cls_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # any import-time failure is the user's module, not ours
        as_class = as_class_spec(module_name, exc) if not cls_name else ""
        if as_class:
            parent, _, name = as_class.partition(":")
            raise WorkflowImportError(
                f"cannot import workflow module {module_name!r}: {name!r} is a class in "
                f"{parent!r}; name it {as_class!r} (module:Class) in the workflows setting."
            ) from exc
        given = f"{'-w' if python is None else python}, or " if python != "" else ""
        check = check or f"the workflows setting ({given}'workflows' in [tool.replaycheck])"
        raise WorkflowImportError(
            f"cannot import workflow module {module_name!r}: {type(exc).__name__}: {exc}"
            f"{close_module(spec, exc)}; check {check} and that the module "
            'imports on its own (a src layout needs pythonpath = ["src"] in [tool.replaycheck] '
            "or pytest's ini, or the package installed)."
        ) from exc
    if not cls_name:
        classes = _workflow_classes_in(module)
        if not classes:
            point = check or "the workflows setting"  # the baseline's, for generate's
            tail = package_hint(module) or (
                f"; point {point} at the module that holds your workflows."
            )
            raise WorkflowImportError(
                f"module {module_name!r} defines no @workflow.defn class{tail}"
            )
        return classes
    obj = getattr(module, cls_name, None)
    if not isinstance(obj, type) or _Definition.from_class(obj) is None:
        available = ", ".join(c.__name__ for c in _workflow_classes_in(module)) or "none"
        raise WorkflowImportError(
            f"{spec!r} is not a @workflow.defn class; workflows in {module_name!r}: {available}."
        )
    return [obj]


def workflow_type_names(classes: Iterable[type]) -> dict[str, type]:
    """Map registered workflow type names to their classes (dynamic workflows under ``*``)."""
    from temporalio.workflow import _Definition

    names: dict[str, type] = {}
    for cls in classes:
        defn = _Definition.from_class(cls)
        if defn is not None:
            names[defn.name or "*"] = cls
    return names


def import_object(
    spec: str,
    import_paths: Sequence[str] = (),
    key: str = "data_converter",
    *,
    python: str | None = None,
) -> Any:
    """Import ``module:object``: the setting ``key`` (a data converter, a workflow runner);
    ``python``: how the caller gave it, which a message then names instead of the
    command-line option (see :func:`~replaycheck._config_values.other_place`)."""
    for entry in reversed(import_paths):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    module_name, _, attr = spec.partition(":")
    obj: Any = None
    try:
        obj = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception as exc:
        meant = close_module(spec, exc) or close_attribute(spec, exc)
        raise ConfigError(
            f"cannot load {spec!r}: {type(exc).__name__}: {exc}{meant}; "
            f"check {key} in [tool.replaycheck]{or_other(key, python)}."
        ) from (None if says_all(exc, module_name, obj is not None) else exc)
    return obj
