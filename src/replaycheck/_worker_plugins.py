"""The worker's own interceptors and plugins (``Worker(interceptors=..., plugins=...)``) as a job
names them: imported, made and checked once, before any history, for the ``Replayer`` (and
``generate``'s baseline worker) to take as the worker does.

Each spec names an instance, a class taking no arguments, or a zero-argument function returning
one. An interceptor of the worker's may issue commands of its own (upsert a memo as each
workflow starts, say), which every history it ran holds: replayed without it, each history
would diverge there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from replaycheck._config_values import (
    OBJECT_KINDS,
    described,
    other_place,
    other_then,
    type_clash,
    type_name,
)
from replaycheck.config import import_object
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck._job import ReplayJob
    from replaycheck.histories import LoadedHistory
    from replaycheck.verdict import Verdict


R = TypeVar("R")
"""What ``plugins_replayer``'s ``make`` builds (a ``Replayer``)."""

Names = Sequence[tuple[str, str]]
"""``ReplayJob.python_names``: how the caller gave each setting, for messages."""


def make_interceptors(
    specs: Sequence[str], import_paths: Sequence[str], python_names: Names = ()
) -> tuple[Any, ...]:
    """The interceptors ``specs`` name, in order (``temporalio.worker.Interceptor`` each)."""
    from temporalio.worker import Interceptor

    given = dict(python_names).get("interceptors")
    return tuple(_make(spec, import_paths, "interceptors", Interceptor, given) for spec in specs)


def make_plugins(
    specs: Sequence[str], import_paths: Sequence[str], python_names: Names = ()
) -> tuple[Any, ...]:
    """The plugins ``specs`` name, in order (``temporalio.worker.Plugin`` each)."""
    if not specs:
        return ()
    import temporalio.worker

    plugin = getattr(temporalio.worker, "Plugin", None)
    if plugin is None:  # temporalio before worker plugins
        raise ConfigError(
            "plugins needs a temporalio release with worker plugins (temporalio.worker.Plugin); "
            "upgrade temporalio, or name the plugin's interceptors in interceptors instead."
        )
    given = dict(python_names).get("plugins")
    return tuple(_make(spec, import_paths, "plugins", plugin, given) for spec in specs)


def plugins_replayer(
    make: Callable[[list[type]], R], classes: list[type], plugins: Sequence[str]
) -> tuple[R, list[type]]:
    """The ``Replayer`` that ``make`` builds for the workflow ``classes`` and the ``plugins``,
    and the workflow classes the plugins add (``SimplePlugin(workflows=...)``), in order.

    A class the plugins add that ``classes`` holds too (a workflow module that imports the
    workflow a library's plugin registers, to start it as a child) is left to the plugin:
    temporalio refuses a workflow type registered twice ("More than one workflow named ...",
    raised only as the replay starts), which the worker itself never met.

    Raises:
        ConfigError: nothing registers a workflow, or two classes register one workflow type.
    """
    try:
        replayer = make(classes)
    except ValueError:  # no workflow at all, once the plugins have added theirs
        if classes:
            raise
        from replaycheck._job import no_workflows_message

        raise ConfigError(no_workflows_message(plugins)) from None
    if not plugins:
        return replayer, []
    registered = replayer_workflows(replayer)
    doubled = [c for c in classes if sum(r is c for r in registered) > 1]
    given = [c for c in classes if c not in doubled]
    if doubled:
        replayer = make(given)
        registered = replayer_workflows(replayer)
    _check_one_class_a_type(registered, classes, plugins)
    return replayer, _beyond(registered, given)


def _beyond(registered: list[type], given: list[type]) -> list[type]:
    """The classes of ``registered`` that ``given`` does not account for (once each)."""
    left, added = list(given), []
    for cls in registered:
        if cls in left:
            left.remove(cls)
        else:
            added.append(cls)
    return added


def _check_one_class_a_type(
    registered: list[type], classes: list[type], plugins: Sequence[str]
) -> None:
    clash = type_clash(registered)
    if clash is not None:
        name, first, other = clash
        ours, theirs = (first, other) if first in classes else (other, first)
        raise ConfigError(
            f"workflow type {name!r} is registered twice: by "
            f"{ours.__module__}.{ours.__qualname__} (workflows) and by "
            f"{theirs.__module__}.{theirs.__qualname__}, which the plugins "
            f"({', '.join(plugins)}) add; leave one out, as your worker does."
        )


def replayer_workflows(replayer: Any) -> list[type]:
    """The workflow classes ``replayer`` runs: those it was given and those its plugins added
    (``SimplePlugin(workflows=...)``), which the worker registers as well."""
    try:
        config = replayer.config(active_config=True)
    except TypeError:  # a temporalio before active_config, whose config() is the one in use
        config = replayer.config()
    return list(config.get("workflows", []))


def added_workflows(plugins: Sequence[Any]) -> list[type]:
    """The workflow classes the made ``plugins`` add to a worker that names none
    (``SimplePlugin(workflows=...)``), in the order they add them."""
    if not plugins:
        return []
    from temporalio.worker import Replayer

    try:
        replayer = Replayer(workflows=[], plugins=list(plugins))
    except ValueError:  # they add none
        return []
    return replayer_workflows(replayer)


def baseline_worker_plugins(
    plugins: Sequence[Any], baseline: Sequence[type], activities: Sequence[Any]
) -> list[Any]:
    """The plugins for ``generate``'s baseline worker: the made ``plugins``, then one that
    puts the ``baseline`` classes in place of the classes of the same workflow types the
    plugins add (their module is the new code, which temporalio would refuse beside the
    baseline's: "More than one workflow named ..."), and the stand-in ``activities`` in place
    of the activities they add (generate draws every activity's outcome; yours never run).
    What else they configure (interceptors, runner, failure types, run contexts) stays."""
    import temporalio.worker

    class BaselineFirst(temporalio.worker.Plugin):
        def name(self) -> str:
            return "replaycheck.generate.baseline"

        def configure_worker(self, config: Any) -> Any:
            ours = {type_name(c) for c in baseline}
            added = [c for c in config.get("workflows", ()) if type_name(c) not in ours]
            return {**config, "workflows": [*baseline, *added], "activities": list(activities)}

        async def run_worker(self, worker: Any, next: Any) -> None:
            await next(worker)

        def configure_replayer(self, config: Any) -> Any:  # a worker's plugin only
            return config

        def run_replayer(self, replayer: Any, histories: Any, next: Any) -> Any:
            return next(replayer, histories)

    return [*plugins, BaselineFirst()] if plugins else []


def _make(
    spec: str, import_paths: Sequence[str], key: str, wanted: type, python: str | None
) -> Any:
    """The object ``spec`` names, made (``python``: how the caller gave it, which a message
    names instead of the command-line option)."""
    found = import_object(spec, import_paths, key, python=python)
    try:
        made = found() if callable(found) and not isinstance(found, wanted) else found
    except ReplaycheckError:
        raise
    except Exception as exc:  # e.g. a factory that raises, a class that takes arguments
        raise ConfigError(
            f"{key} entry {spec} could not be made ({type(exc).__name__}: {exc}); fix it, or "
            f"the {other_then(key, python, ' / ')}{key} setting."
        ) from None
    if not isinstance(made, wanted):
        raise ConfigError(
            f"{key} entry {spec} must name a temporalio {OBJECT_KINDS[key]} (an instance, a class "
            f"taking no arguments, or a function returning one), got {described(made)}; fix "
            f"{other_then(key, python, ', or ')}{key} in [tool.replaycheck]."
        )
    return made


_ISSUED_BY_INTERCEPTORS = frozenset({"properties", "search-attributes"})
"""Command kinds an interceptor commonly issues as each workflow starts (a local activity
too, but workflows start with one more often: removing it would get the note)."""


def unissued_note(job: ReplayJob, loaded: LoadedHistory, verdict: Verdict, recording: Any) -> str:
    """The note for a history that diverged at its first command, a memo or search attribute
    upsert the code issued nowhere in the replay, when the job names no interceptor or plugin:
    the worker's may have issued it (``""`` otherwise). A workflow whose code removed such an
    upsert from its start gets it too, which its wording allows."""
    diagnosis = verdict.diagnosis
    if job.interceptors or job.plugins or diagnosis is None or recording is None:
        return ""
    kind = diagnosis.recorded_kind
    if kind not in _ISSUED_BY_INTERCEPTORS:
        return ""
    from replaycheck._code_commands import code_commands
    from replaycheck._commands import KIND_LABELS, history_commands

    recorded = history_commands(loaded.history).commands
    if not recorded or recorded[0].event_id != diagnosis.event_id:
        return ""
    if any(c.kind == kind for c in code_commands(recording.command_entries())):
        return ""
    places = [other_place(key, job.python_name(key)) for key in ("interceptors", "plugins")]
    also = " / ".join(place for place in places if place)
    return (
        f"{loaded.info.workflow_type} histories start with a {KIND_LABELS[kind]} that the "
        "workflow code does not issue; if it came from an interceptor or plugin of your worker, "
        "not from the workflow's code, name them in interceptors = [...] / plugins = [...] "
        f"under [tool.replaycheck]{f' (or {also})' if also else ''} so the replay runs them as "
        "the worker does, instead of gating a change."
    )
