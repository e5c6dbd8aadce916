"""The worker's own interceptors and plugins (``Worker(interceptors=..., plugins=...)``) as a job
names them: imported, made and checked once, before any history, for the ``Replayer`` (and
``generate``'s baseline worker) to take as the worker does.

Each spec names an instance, a class taking no arguments, or a zero-argument function returning
one. An interceptor of the worker's may issue commands of its own (upsert a memo as each
workflow starts, say), which every history it ran holds: replayed without it, each history
would diverge there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from replaycheck.config import CLI_NAMES, import_object
from replaycheck.errors import ConfigError, ReplaycheckError

_WHAT = {"interceptors": "worker Interceptor", "plugins": "worker Plugin"}


def make_interceptors(specs: Sequence[str], import_paths: Sequence[str]) -> tuple[Any, ...]:
    """The interceptors ``specs`` name, in order (``temporalio.worker.Interceptor`` each)."""
    from temporalio.worker import Interceptor

    return tuple(_make(spec, import_paths, "interceptors", Interceptor) for spec in specs)


def make_plugins(specs: Sequence[str], import_paths: Sequence[str]) -> tuple[Any, ...]:
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
    return tuple(_make(spec, import_paths, "plugins", plugin) for spec in specs)


def _make(spec: str, import_paths: Sequence[str], key: str, wanted: type) -> Any:
    found = import_object(spec, import_paths, key)
    try:
        made = found() if callable(found) and not isinstance(found, wanted) else found
    except ReplaycheckError:
        raise
    except Exception as exc:  # e.g. a factory that raises, a class that takes arguments
        raise ConfigError(
            f"{key} entry {spec} could not be made ({type(exc).__name__}: {exc}); fix it, or "
            f"the {CLI_NAMES[key]} / {key} setting."
        ) from None
    if not isinstance(made, wanted):
        raise ConfigError(
            f"{key} entry {spec} must name a temporalio {_WHAT[key]} (an instance, a class "
            f"taking no arguments, or a function returning one), got {type(made).__name__}; fix "
            f"{CLI_NAMES[key]}, or {key} in [tool.replaycheck]."
        )
    return made
