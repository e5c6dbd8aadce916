"""The ``replaycheck`` command line: thin click glue over the library."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from replaycheck import __version__
from replaycheck.errors import ReplaycheckError
from replaycheck.report import FORMATS

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn a :class:`ReplaycheckError` into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReplaycheckError as exc:
            click.echo(f"replaycheck: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replaycheck")
def main() -> None:
    """Replay recorded Temporal workflow histories against your current code."""


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        from replaycheck.histories import atomic_write

        atomic_write(Path(output), text.encode())


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "-w", "--workflows", multiple=True, metavar="MODULE[:CLASS]",
    help="Workflow code to replay against: a module (all its @workflow.defn classes) or "
    "module:Class. Repeatable. Default: 'workflows' in [tool.replaycheck].",
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report here.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
              help="Worker processes (0: one per CPU).")
@click.option("--timeout", type=float, help="Seconds one history may take (default 60).")
@click.option("--data-converter", metavar="MODULE:OBJECT",
              help="DataConverter or PayloadCodec for encoded payloads.")
@click.option("--no-sandbox", is_flag=True,
              help="Replay without temporalio's sandbox (only if your worker runs unsandboxed).")
@handle_errors
def check(
    paths: tuple[str, ...],
    workflows: tuple[str, ...],
    fmt: str,
    output: str | None,
    jobs: int,
    timeout: float | None,
    data_converter: str | None,
    no_sandbox: bool,
) -> None:
    """Replay history files (default: 'histories' in [tool.replaycheck]) against the code.

    Exit status: 0 all ok, 1 a history is nondeterministic, 2 a history could not be checked
    or the command was misused.
    """
    import dataclasses
    import os

    from replaycheck.config import load_settings
    from replaycheck.histories import discover
    from replaycheck.replay import ReplayJob, replay
    from replaycheck.report import render
    from replaycheck.verdict import exit_code

    settings = load_settings().override(
        histories=paths, workflows=workflows, timeout=timeout, data_converter=data_converter
    )
    if not settings.histories:
        raise ReplaycheckError(
            "no histories to check; pass paths or set histories = [\"fixtures/histories\"] "
            "under [tool.replaycheck] in pyproject.toml."
        )
    job = ReplayJob.from_settings(settings, discover(settings.histories))
    job = dataclasses.replace(job, sandbox=not no_sandbox)
    verdicts = replay(job, jobs=jobs or os.cpu_count() or 1)
    color = output is None and fmt == "text" and sys.stdout.isatty()
    _emit(render(verdicts, fmt, color=color), output)
    sys.exit(exit_code(verdicts))
