"""What a replay worker is asked to do: :class:`ReplayJob`, plain data that crosses the process
boundary (re-exported from ``replaycheck.replay``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from replaycheck.config import DEFAULT_TIMEOUT, Settings
from replaycheck.errors import ConfigError

TIMEOUT_EVENTS = 10_000
"""The timeout is for a history of up to this many events; a longer one gets proportionally
more (Temporal allows about 51,200 events; one that long took 61 s in the plain Replayer)."""


def registers_nothing(settings: Settings) -> bool:
    """Whether no workflow can be registered: no workflows configured, and no plugin, which may
    add its own (``SimplePlugin(workflows=...)``; only the replay worker, which makes the
    plugins, knows, and says so when they add none: :func:`no_workflows_message`)."""
    return not settings.workflows and not settings.plugins


def _project_of(paths: Sequence[str | Path], settings: Settings) -> Path | None:
    """The ``pyproject.toml`` with ``[tool.replaycheck]`` of the project the first of ``paths``
    lies in, when ``settings`` read none: replaycheck was run from outside that project."""
    from replaycheck.config import find_pyproject

    if not paths or settings.pyproject is not None:
        return None
    first = Path(paths[0])
    return find_pyproject(first if first.is_dir() else first.parent)


def no_workflows_message(plugins: Sequence[str]) -> str:
    """The replay worker's error when neither the workflows nor the ``plugins`` register one."""
    return (
        f"no workflow is registered: none are configured and the plugins ({', '.join(plugins)}) "
        "add none; set workflows = [...] under [tool.replaycheck], or configure a plugin that "
        "adds workflows."
    )


@dataclass(frozen=True)
class ReplayJob:
    """Everything a worker process needs; plain data so it crosses a process boundary."""

    paths: tuple[str, ...]
    workflows: tuple[str, ...]
    import_paths: tuple[str, ...] = ()
    data_converter: str | None = None
    passthrough_modules: tuple[str, ...] = ()
    """Modules the sandbox imports from outside, as the worker's restrictions pass them."""
    workflow_runner: str | None = None
    """``module:object``: the worker's ``SandboxedWorkflowRunner`` or ``SandboxRestrictions``."""
    workflow_failure_exception_types: tuple[str, ...] = ()
    """``module:Class`` (or a built-in's name): exceptions that fail the workflow, as the
    worker's ``workflow_failure_exception_types``."""
    interceptors: tuple[str, ...] = ()
    """``module:object`` specs of the worker's interceptors, in order."""
    plugins: tuple[str, ...] = ()
    """``module:object`` specs of the worker's plugins, in order."""
    timeout: float = DEFAULT_TIMEOUT
    sandbox: bool = True
    """Replay in temporalio's sandbox (the default: it catches more nondeterminism)."""
    record_patches: bool = False
    """Record patch markers and every ``patched()`` call in ``Verdict.patches`` (``patches``)."""
    capture_output: bool = False
    """Keep what the worker writes to stderr while a history replays in ``Verdict.output``
    (the pytest plugin: pytest shows it as the item's captured output)."""
    python_names: tuple[tuple[str, str], ...] = ()
    """``(setting, name)``: how the caller that made the job gives each setting
    (``Settings.python_names``: a Python argument, a pytest option); for the command line,
    only where its histories came from."""

    @classmethod
    def from_settings(cls, settings: Settings, paths: Sequence[str | Path]) -> ReplayJob:
        """A job for ``paths`` with the workflows, import roots, converter and sandbox settings
        of ``settings``.

        Raises:
            ConfigError: nothing can register a workflow (:func:`registers_nothing`).
        """
        if registers_nothing(settings):
            python = settings.python_names.get("workflows")
            given = f"{python} (package.module or" if python else "-w package.module (or"
            elsewhere = None if python else _project_of(paths, settings)
            if elsewhere is not None:
                raise ConfigError(
                    f"no [tool.replaycheck] in {Path.cwd()} or above, so no workflows are "
                    f"configured; {elsewhere} configures the project these histories are in: "
                    f"run replaycheck from {elsewhere.parent}, or pass {given} module:Class)."
                )
            raise ConfigError(
                f"no workflows configured; pass {given} module:Class) or set "
                "workflows = [...] under [tool.replaycheck] in pyproject.toml."
            )
        return cls(
            paths=tuple(str(p) for p in paths),
            workflows=settings.workflows,
            import_paths=settings.import_paths,
            data_converter=settings.data_converter,
            passthrough_modules=settings.passthrough_modules,
            workflow_runner=settings.workflow_runner,
            workflow_failure_exception_types=settings.workflow_failure_exception_types,
            interceptors=settings.interceptors,
            plugins=settings.plugins,
            timeout=settings.timeout,
            python_names=tuple(settings.python_names.items()),
        )

    def python_name(self, key: str) -> str | None:
        """How the caller gave setting ``key`` (``override(key=...)``, a pytest option), for
        messages to name; ``""`` when only ``[tool.replaycheck]`` gives it (pytest's
        ``data_converter``), ``None`` when the command line made the job."""
        return dict(self.python_names).get(key)

    def limit_for(self, events: int) -> float:
        """Seconds a history of ``events`` events may take: ``timeout``, and proportionally
        more past :data:`TIMEOUT_EVENTS` events (a long history is slow, not stuck)."""
        return self.timeout * max(1.0, events / TIMEOUT_EVENTS)

    def with_paths(self, paths: Sequence[str]) -> ReplayJob:
        """The same job over other paths."""
        return ReplayJob(**{**asdict(self), "paths": tuple(paths)})

    def to_json_dict(self) -> dict[str, Any]:
        """Plain-data form sent to a worker."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> ReplayJob:
        """Inverse of :meth:`to_json_dict`."""
        return cls(
            paths=tuple(data["paths"]),
            workflows=tuple(data["workflows"]),
            import_paths=tuple(data.get("import_paths", ())),
            data_converter=data.get("data_converter"),
            passthrough_modules=tuple(data.get("passthrough_modules", ())),
            workflow_runner=data.get("workflow_runner"),
            workflow_failure_exception_types=tuple(
                data.get("workflow_failure_exception_types", ())
            ),
            interceptors=tuple(data.get("interceptors", ())),
            plugins=tuple(data.get("plugins", ())),
            timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
            sandbox=bool(data.get("sandbox", True)),
            record_patches=bool(data.get("record_patches", False)),
            capture_output=bool(data.get("capture_output", False)),
            python_names=tuple((k, v) for k, v in data.get("python_names", ())),
        )
