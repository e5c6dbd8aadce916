"""Resolving a ``GenerationSpec`` (in a thread that runs no event loop): which code is baseline
and new, default strategies from type hints, the targets to explore, and saving one history per
shape."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck.config import (
    CLI_NAMES,
    Settings,
    import_workflows,
    load_settings,
    parse_workflow_specs,
)
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from replaycheck._explore import Engine
    from replaycheck._explore_example import Limits, Target
    from replaycheck._generate_run import Tally
    from replaycheck.generate import GenerationSpec
    from replaycheck.replay import ReplayJob


def outside_event_loop() -> None:
    """Refuse to start from inside a running event loop, whose thread the exploration's own
    loop cannot run in (an async test, a notebook), saying what to call instead.

    Raises:
        ReplaycheckError: this thread runs an event loop.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise ReplaycheckError(
        "explore() runs an event loop of its own, and this thread already runs one (an async "
        "test, a notebook); call it in a thread of its own, "
        "await asyncio.to_thread(explore, baseline, ...), or from code that is not async."
    )


@dataclass(frozen=True)
class Resolved:
    """The baseline classes (imported here) and the replay job for the new code."""

    baseline: tuple[type, ...]
    replay_job: ReplayJob
    settings: Settings
    new_modules: tuple[str, ...] = ()
    """New workflow modules a git baseline does not have: nothing it recorded runs them."""
    ref: str = ""
    """The git ref the baseline was read from (empty for modules)."""


_TAKEN = ("workflow_failure_exception_types", "interceptors", "plugins")
_NAMES = {key: f"{key}=[...] ({CLI_NAMES[key]})" if key in _TAKEN else "" for key in CLI_NAMES}
"""A worker setting of ``explore()`` or ``replaycheck generate``, as its messages name it;
``""`` for one they take from ``[tool.replaycheck]`` alone (``data_converter``, say)."""


def _given_names(cli: bool) -> dict[str, str]:
    """``Settings.python_names`` of a run of ``explore()`` (``new=[...]`` gives the workflows)
    or, with ``cli``, of ``replaycheck generate``: a setting it takes on its command line is
    left out, so that messages name the option alone, not the Python argument."""
    if not cli:
        return {**_NAMES, "workflows": "new=[...] (--workflows)"}
    return {key: name for key, name in _NAMES.items() if key != "workflows" and not name}


@contextlib.contextmanager
def resolved(spec: GenerationSpec, *, cli: bool = False) -> Iterator[Resolved]:
    """Import the baseline (from a git ref into a temporary directory if asked) for the block
    (``cli``: messages name ``--baseline``, not the ``baseline`` argument)."""
    from replaycheck._baseline import materialize
    from replaycheck.generate import GIT_PREFIX, is_git_ref, may_be_module
    from replaycheck.replay import ReplayJob

    settings = load_settings(spec.root).override(
        workflow_failure_exception_types=spec.workflow_failure_exception_types,
        interceptors=spec.interceptors,
        plugins=spec.plugins,
        names=CLI_NAMES if cli else _NAMES,
    )  # and the worker's messages name them so too
    settings = replace(settings, python_names=_given_names(cli))
    given = [spec.new] if isinstance(spec.new, str) else list(spec.new)
    new = tuple(parse_workflow_specs(given, "new")) if given else settings.workflows
    if not new and not settings.plugins:  # a plugin may add them (SimplePlugin(workflows=))
        option = "--workflows MODULE" if cli else "new=[...] (--workflows)"
        raise ConfigError(
            f"no new workflow code: pass {option}, set workflows = [...] "
            "under [tool.replaycheck] in pyproject.toml, or configure a plugin that adds them."
        )
    job = ReplayJob.from_settings(replace(settings, workflows=new), [])
    base = [spec.baseline] if isinstance(spec.baseline, str) else list(spec.baseline)
    ref = ""  # a git ref's, and the new modules it does not have
    absent: list[str] = []
    with contextlib.ExitStack() as stack:
        if len(base) == 1 and is_git_ref(base[0], settings.import_paths):
            ref = base[0].removeprefix(GIT_PREFIX)
            ref_only = not may_be_module(base[0])  # git:REF, HEAD~1: no module was meant
            specs, import_root, absent = stack.enter_context(
                materialize(
                    ref, new or plugin_modules(settings), settings, ref_only=ref_only, cli=cli
                )
            )
            python = settings.python_names.get("workflows")  # None: the command line
            classes = import_workflows(specs, [import_root], python=python)
        else:
            specs = parse_workflow_specs(base, "baseline")
            check = "--baseline" if cli else "the baseline argument"
            classes = import_workflows(specs, settings.import_paths, check=check)
        yield Resolved(tuple(classes), job, settings, tuple(absent), ref)


def plugin_modules(settings: Settings) -> tuple[str, ...]:
    """The project's modules that define the workflows the configured plugins add, for a git
    baseline to read at its ref when no ``workflows`` are configured (those of installed
    libraries are not the project's code: the baseline worker runs them as they are).

    Raises:
        ConfigError: the plugins add no workflow of the project's.
    """
    from replaycheck._worker_plugins import added_workflows, make_plugins

    plugins = make_plugins(
        settings.plugins, settings.import_paths, tuple(settings.python_names.items())
    )
    modules = dict.fromkeys(c.__module__ for c in added_workflows(plugins))
    root = settings.root.resolve()
    ours = tuple(m for m in modules if _is_under(getattr(sys.modules[m], "__file__", None), root))
    if not ours:
        raise ConfigError(
            f"the plugins ({', '.join(settings.plugins)}) add no workflow defined under "
            f"{root}, so a git baseline has no module to read; set workflows = [...] under "
            "[tool.replaycheck], or name the previous code's modules as the baseline."
        )
    return ours


def _is_under(file: str | None, root: Path) -> bool:
    return file is not None and Path(file).resolve().is_relative_to(root)


def activity_strategies(
    classes: Sequence[type], given: Mapping[str, Any]
) -> dict[str, SearchStrategy[Any]]:
    """Result strategies of every activity the baseline's modules define, ``given`` winning."""
    from temporalio import activity

    from replaycheck._generate_run import strategy_for_type

    found: dict[str, SearchStrategy[Any]] = {}
    for value in _candidates(_modules_of(classes)):
        defn = activity._Definition.from_callable(value) if callable(value) else None
        if defn is not None and defn.name and defn.name not in found:
            found[defn.name] = strategy_for_type(defn.ret_type)
    found.update(given)
    return found


def _candidates(modules: Sequence[Any]) -> list[Any]:
    """What may be an activity: the modules' globals, the globals of modules they import
    (``from orders import activities as acts``) and the functions of their classes."""
    import inspect
    import types

    seen: dict[int, Any] = {}
    queue = list(modules)
    for module in list(modules):
        queue += [v for v in vars(module).values() if isinstance(v, types.ModuleType)]
    for module in queue:
        for value in list(vars(module).values()):
            seen.setdefault(id(value), value)
            if inspect.isclass(value):
                for member in list(vars(value).values()):
                    seen.setdefault(id(member), member)
    return list(seen.values())


def _modules_of(classes: Sequence[type]) -> list[Any]:
    names = dict.fromkeys(k.__module__ for cls in classes for k in cls.__mro__)
    return [sys.modules[n] for n in names if n in sys.modules and n != "builtins"]


def engine(resolved: Resolved, spec: GenerationSpec, limits: Limits) -> Engine:
    """The engine for the baseline classes, with the spec's activity behaviour."""
    from replaycheck._explore import Engine

    strategies = activity_strategies(resolved.baseline, spec.activities)
    from replaycheck._worker_setup import make_setup

    # The baseline runs with the payloads its worker would write, in the sandbox it would use.
    setup = make_setup(resolved.replay_job)
    return Engine(resolved.baseline, strategies, failures=spec.failures, limits=limits, setup=setup)


def targets(resolved: Resolved, spec: GenerationSpec, new_types: Sequence[str]) -> list[Target]:
    """One target per workflow type to explore."""
    from temporalio import workflow

    defns = {}
    for cls in resolved.baseline:
        defn = workflow._Definition.from_class(cls)
        if defn is not None and defn.name:
            defns[defn.name] = defn
    if spec.workflow_type is not None:
        if spec.workflow_type not in defns:
            raise ConfigError(
                f"the baseline defines no workflow type {spec.workflow_type!r}; it defines: "
                f"{', '.join(sorted(defns)) or 'none'}."
            )
        names = [spec.workflow_type]
    else:
        names = sorted(n for n in defns if n in new_types or "*" in new_types)
    if not names:
        raise ConfigError(
            "the baseline and the new code have no workflow type in common: the baseline "
            f"defines {', '.join(sorted(defns)) or 'none'}, the new code registers "
            f"{', '.join(new_types) or 'none'}; give two versions of the same workflows."
        )
    missing = [n for n in names if n not in new_types and "*" not in new_types]
    if missing:
        types = "workflow type" if len(missing) == 1 else "workflow types"
        raise ConfigError(
            f"the new code does not register {types} {', '.join(missing)}; "
            f"it registers: {', '.join(new_types) or 'none'}."
        )
    return [_target(defns[name], spec) for name in names]


def _target(defn: Any, spec: GenerationSpec) -> Target:
    from replaycheck._explore_example import Target
    from replaycheck._generate_run import as_tuple_strategy, merge_signals, strategies_for

    args = (
        strategies_for(defn.arg_types or ())
        if spec.args is None
        else as_tuple_strategy(spec.args, len(defn.arg_types or ()))
    )
    signals = {name: s.arg_types or () for name, s in defn.signals.items() if name}
    updates = {name: u.arg_types or () for name, u in defn.updates.items() if name}
    # A dynamic handler (``@workflow.signal(dynamic=True)``) takes any name, so none can be
    # drawn for it: said in the summary, unless the caller names what to send.
    undrawn = tuple(
        kind
        for kind, handlers, given in (("signal", defn.signals, spec.signals),
                                      ("update", defn.updates, spec.updates))
        if None in handlers and given is None
    )  # fmt: skip
    return Target(
        defn.name, args, merge_signals(signals, spec.signals),
        merge_signals(updates, spec.updates), undrawn,
    )  # fmt: skip


def save_lock(directory: Path | None) -> contextlib.AbstractContextManager[object]:
    """Hold ``directory``'s export lock for the whole run (nothing to hold when not saving).

    Taken before the search, so that a directory an export (or another ``generate --save``)
    is writing into stops the run at once rather than after it: shapes listed there while the
    other writes would be saved twice, or not at all.
    """
    from replaycheck._export_lock import export_lock

    if directory is None:
        return contextlib.nullcontext()
    return export_lock(
        directory,
        writer="generate --save",
        option="export_dir in [tool.replaycheck] (save= in Python)",
    )


def save(tally: Tally, directory: Path) -> tuple[Path, ...]:
    """Write one history per shape not already stored under ``directory``."""
    from datetime import datetime, timezone

    from replaycheck._writing import GENERATED_ADDRESS
    from replaycheck.histories import Provenance, write_history

    known = _stored_shapes(directory)
    written = []
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key, (workflow_type, scenario, events) in sorted(tally.shapes.items()):
        if key in known:
            continue
        # Named after its shape; its provenance keeps the workflow id it ran under, which code
        # may read (a child's id built from workflow.info().workflow_id) when it is replayed.
        provenance = Provenance(scenario.workflow_id, workflow_type, address=GENERATED_ADDRESS,
                                captured_at=now, status=scenario.status)  # fmt: skip
        path = directory / workflow_type / f"generated-{key}.json"
        written.append(write_history(path, events, provenance=provenance))
    return tuple(written)


def _stored_shapes(directory: Path) -> set[str]:
    from replaycheck.errors import HistoryError, NoHistoriesError
    from replaycheck.histories import discover, read_history
    from replaycheck.shapes import history_shape, shape_id

    if not directory.is_dir():
        return set()
    try:
        paths = discover([directory])
    except NoHistoriesError:  # an empty directory: nothing stored yet
        return set()
    shapes = set()
    for path in paths:
        with contextlib.suppress(HistoryError):
            shapes.add(shape_id(history_shape(read_history(path).history)))
    return shapes
