"""What a job configures in the replay worker besides its workflows: the data converter (a
``DataConverter``, a ``PayloadCodec`` or a factory of either) and the workflow runner, made
once and checked before any history is replayed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from replaycheck._sandbox import workflow_runner
from replaycheck.config import import_object
from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck._job import ReplayJob


def data_converter(job: ReplayJob) -> Any:
    """The job's data converter, ``None`` for temporalio's default."""
    from temporalio.converter import DataConverter

    if not job.data_converter:
        return None
    found = import_object(job.data_converter, job.import_paths)
    return as_data_converter(found, DataConverter, job.data_converter)


@dataclass(frozen=True)
class Setup:
    """What every ``Replayer`` of a job is made with besides its workflows."""

    data_converter: Any = None
    """The configured converter, ``None`` for temporalio's default."""
    workflow_runner: Any = None
    """The configured runner, ``None`` for temporalio's default sandbox."""


def make_setup(job: ReplayJob) -> Setup:
    """Make the job's converter and runner once, before any history: one that cannot be made
    (e.g. its factory raises) fails fast, naming its setting."""
    made = {}
    for key, make in (("data_converter", data_converter), ("workflow_runner", workflow_runner)):
        spec = getattr(job, key)
        try:
            made[key] = make(job)
        except ReplaycheckError:
            raise
        except Exception as exc:  # e.g. a factory that raises
            if not spec:  # temporalio's default, or the sandbox with passthrough_modules only
                raise
            raise ConfigError(
                f"{key} {spec} could not be made ({type(exc).__name__}: {exc}); fix it, or the "
                f"--{key.replace('_', '-')} / {key} setting"
            ) from None
    return Setup(**made)


def as_data_converter(obj: Any, converter_type: type, spec: str = "") -> Any:
    """Accept a ``DataConverter``, a ``PayloadCodec`` or a zero-argument factory of either
    (``spec``: the ``module:object`` it was imported from, for the error)."""
    from temporalio.converter import PayloadCodec

    if callable(obj) and not isinstance(obj, (converter_type, PayloadCodec)):
        obj = obj()
    if isinstance(obj, PayloadCodec):
        return converter_type(payload_codec=obj)
    if not isinstance(obj, converter_type):
        raise ReplaycheckError(
            f"data_converter {spec + ' ' if spec else ''}must name a temporalio DataConverter "
            f"or PayloadCodec (or a function returning one), got {type(obj).__name__}; fix "
            "data_converter in [tool.replaycheck] (or replaycheck's --data-converter)."
        )
    return obj
