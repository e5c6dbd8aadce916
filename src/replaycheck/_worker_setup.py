"""What a job configures in the replay worker besides its workflows: the data converter (a
``DataConverter``, a ``PayloadCodec`` or a factory of either), the workflow runner, the
workflow failure exception types, and the worker's interceptors and plugins, made once and
checked before any history is replayed."""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TextIO

from replaycheck._config_values import described, other_place, other_then
from replaycheck._failure_types import failure_exception_types
from replaycheck._sandbox import workflow_runner
from replaycheck._worker_plugins import baseline_worker_plugins, make_interceptors, make_plugins
from replaycheck.config import import_object
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck._job import ReplayJob


def data_converter(job: ReplayJob) -> Any:
    """The job's data converter, ``None`` for temporalio's default."""
    from temporalio.converter import DataConverter

    if not job.data_converter:
        return None
    python = job.python_name("data_converter")
    found = import_object(job.data_converter, job.import_paths, python=python)
    return as_data_converter(found, DataConverter, job.data_converter, python)


@dataclass(frozen=True)
class Setup:
    """What every ``Replayer`` of a job is made with besides its workflows."""

    data_converter: Any = None
    """The configured converter, ``None`` for temporalio's default."""
    workflow_runner: Any = None
    """The configured runner, ``None`` for temporalio's default sandbox."""
    workflow_failure_exception_types: tuple[type[BaseException], ...] = ()
    """The exception classes that fail the workflow, as the worker's."""
    interceptors: tuple[Any, ...] = ()
    """The worker's own interceptors, in order (``interceptors``)."""
    plugins: tuple[Any, ...] = ()
    """The worker's plugins, in order (``plugins``)."""

    def worker_options(self) -> dict[str, Any]:
        """The options a ``Replayer`` and a ``Worker`` both take from this setup: the runner
        (each workflow module validated once, see ``_sandbox_once.py``), the failure
        exception types, and the plugins (only when there are: temporalio releases before
        worker plugins take no such argument). The interceptors and the converter, which each
        caller places itself, are left out."""
        from replaycheck._sandbox_once import validating_once_per_module

        options: dict[str, Any] = {
            "workflow_runner": validating_once_per_module(self.workflow_runner),
            "workflow_failure_exception_types": list(self.workflow_failure_exception_types),
        }
        if self.plugins:
            options["plugins"] = list(self.plugins)
        return options

    def baseline_converter(self, baseline: Sequence[type]) -> Any:
        """The converter of ``generate``'s baseline client, which writes the payloads of the
        histories: the one the replay reads them with, ``data_converter`` as the plugins set
        it (``SimplePlugin(data_converter=...)``, which your worker's client takes too);
        ``None`` for temporalio's default."""
        if not self.plugins:
            return self.data_converter
        from temporalio.worker import Replayer

        from replaycheck._converter_failure import active_converter

        given = {} if self.data_converter is None else {"data_converter": self.data_converter}
        return active_converter(Replayer(workflows=list(baseline), plugins=self.plugins, **given))

    def baseline_worker_options(
        self, baseline: Sequence[type], activities: Sequence[Any]
    ) -> dict[str, Any]:
        """The options of ``generate``'s baseline worker, which runs the ``baseline`` classes
        and the stand-in ``activities`` whatever the plugins add (see
        ``baseline_worker_plugins``); the converter goes to its client."""
        options = {**self.worker_options(), "interceptors": list(self.interceptors)}
        if self.plugins:
            options["plugins"] = baseline_worker_plugins(self.plugins, baseline, activities)
        return options


def make_setup(job: ReplayJob) -> Setup:
    """Make the job's converter, runner, interceptors and plugins once, before any history: one
    that cannot be made (e.g. its factory raises) fails fast, naming its setting."""
    made: dict[str, Any] = {}
    makers = (
        ("data_converter", data_converter),
        ("workflow_runner", workflow_runner),
        ("workflow_failure_exception_types", failure_exception_types),
    )
    for key, make in makers:
        spec = getattr(job, key)
        try:
            made[key] = make(job)
        except ReplaycheckError:
            raise
        except Exception as exc:  # e.g. a factory that raises
            if not spec:  # temporalio's default, or the sandbox with passthrough_modules only
                raise
            given = other_then(key, job.python_name(key), " / ")
            raise ConfigError(
                f"{key} {spec} could not be made ({type(exc).__name__}: {exc}); fix it, or the "
                f"{given}{key} setting."
            ) from None
    return replace(
        Setup(**made),
        interceptors=make_interceptors(job.interceptors, job.import_paths, job.python_names),
        plugins=make_plugins(job.plugins, job.import_paths, job.python_names),
    )


TO_THE_CLI = "replaycheck's --data-converter"


def as_data_converter(
    obj: Any, converter_type: type, spec: str = "", python: str | None = None
) -> Any:
    """Accept a ``DataConverter``, a ``PayloadCodec`` or a zero-argument factory of either
    (``spec``: the ``module:object`` it was imported from, ``python``: how the caller gave it,
    for the error)."""
    from temporalio.converter import PayloadCodec

    if callable(obj) and not isinstance(obj, (converter_type, PayloadCodec)):
        obj = obj()
    if isinstance(obj, PayloadCodec):
        return converter_type(payload_codec=obj)
    if not isinstance(obj, converter_type):
        raise ReplaycheckError(
            f"data_converter {spec + ' ' if spec else ''}must name a temporalio DataConverter "
            f"or PayloadCodec (or a function returning one), got {described(obj)}; fix "
            f"data_converter in [tool.replaycheck]{_or_given(python)}."
        )
    return obj


def _or_given(python: str | None) -> str:
    """`` (or --data-converter)``, naming how the caller gave the converter; ``""`` when only
    ``[tool.replaycheck]`` gives it."""
    return f" (or {TO_THE_CLI if python is None else python})" if python != "" else ""


_CONVERTER_FILES = f"{os.sep}temporalio{os.sep}converter"


def explain_converter_warnings(job: ReplayJob, notes: list[str]) -> None:
    """Put in ``notes`` (for the supervisor, which says each note once per command), once, in
    replaycheck's words, what to set when temporalio's default JSON converter warns that it
    converts a pydantic model (its warning names its own source line, not the setting; a
    pydantic project's worker uses ``pydantic_data_converter``). Other warnings show as
    before."""
    shown = warnings.showwarning
    said = False

    def show(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        nonlocal said
        if _CONVERTER_FILES not in filename or "pydantic_data_converter" not in str(message):
            shown(message, category, filename, lineno, file, line)
            return
        if not said:
            said = True
            notes.append(_pydantic_note(job.data_converter, job.python_name("data_converter")))

    warnings.showwarning = show


def _pydantic_note(spec: str | None, given: str | None) -> str:
    """The note, naming where the caller sets ``data_converter`` (``given``, see
    :func:`~replaycheck._config_values.other_place`)."""
    if spec:
        return (
            f"your data_converter ({spec}) converts pydantic models with temporalio's default "
            "JSON payload converter, which warned about it; if your workers use pydantic's, "
            "point data_converter at a converter with both, such as "
            "dataclasses.replace(pydantic_data_converter, payload_codec=YourCodec())."
        )
    other = other_place("data_converter", given)
    return (
        "the workflows pass pydantic models, which temporalio's default data converter "
        "converts with a warning; if your workers' client uses pydantic_data_converter, set "
        'data_converter = "temporalio.contrib.pydantic:pydantic_data_converter" under '
        f"[tool.replaycheck]{f' (or pass {other})' if other else ''}, so the replay converts "
        "values as they do."
    )
