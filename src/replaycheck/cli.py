"""The ``replaycheck`` command line: thin click glue over the library."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from replaycheck import __version__
from replaycheck.connection import ConnectionOptions, connection_options
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
@click.argument("file", type=click.Path(path_type=str))
@handle_errors
def inspect(file: str) -> None:
    """Summarize one history FILE: workflow, status, patch markers, command timeline."""
    from replaycheck.histories import read_history
    from replaycheck.report import render_history

    click.echo(render_history(read_history(file)), nl=False)


def _selection_options(func: F) -> F:
    """``--query``, ``--workflow-id`` (repeatable), ``--limit``, ``--concurrency``."""
    options = (
        click.option("-q", "--query", metavar="QUERY",
                     help="Visibility query selecting executions, e.g. "
                     "\"WorkflowType='Orders' AND ExecutionStatus='Running'\"."),
        click.option("--workflow-id", "workflow_ids", multiple=True, metavar="ID",
                     help="Select this workflow's latest run. Repeatable."),
        click.option("--limit", type=click.IntRange(min=1), metavar="N",
                     help="At most N executions."),
        click.option("--concurrency", type=click.IntRange(min=1), default=16,
                     show_default=True, help="Histories fetched at once."),
    )  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


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
@click.option(
    "--live",
    is_flag=True,
    help="Replay histories straight from a cluster instead of files (default "
    "selection: running executions of the configured workflow types).",
)
@_selection_options
@connection_options
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
    live: bool,
    query: str | None,
    workflow_ids: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    connection: ConnectionOptions,
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
    if live or query or workflow_ids or limit:
        from replaycheck.export import Selection

        selection = Selection(query or "", workflow_ids, limit)
        verdicts = _check_live(settings, paths, jobs, no_sandbox, live, selection, concurrency,
                               connection)  # fmt: skip
        color = output is None and fmt == "text" and sys.stdout.isatty()
        _emit(render(verdicts, fmt, color=color), output)
        sys.exit(exit_code(verdicts))
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


def _default_export_dir() -> Path:
    from replaycheck.config import load_settings

    settings = load_settings()
    if settings.export_dir is not None:
        return settings.export_dir
    for path in settings.histories:
        if not path.is_file():
            return path
    return settings.root / "fixtures" / "histories"


@main.command()
@_selection_options
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write into. Default: 'export_dir' in [tool.replaycheck], "
    "else the first 'histories' path, else fixtures/histories.",
)
@click.option("--gzip", "fmt", flag_value="gzip", help="Write gzip-compressed JSON (.json.gz).")
@click.option(
    "--binpb", "fmt", flag_value="binpb", help="Write binary protobuf (.binpb; no provenance)."
)
@click.option(
    "--dedupe",
    is_flag=True,
    help="Keep one history per shape (sequence of commands): running executions "
    "first, then the most recent.",
)
@click.option("--overwrite", is_flag=True, help="Replace files that are already there.")
@connection_options
@handle_errors
def export(
    query: str | None,
    workflow_ids: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    out_dir: Path | None,
    fmt: str | None,
    dedupe: bool,
    overwrite: bool,
    connection: ConnectionOptions,
) -> None:
    """Write the histories of selected executions to DIR/<WorkflowType>/<workflow-id>.json.

    Payloads are kept exactly as stored (encoded). Files already there are skipped unless
    --overwrite; every file is written atomically, so an interrupted export leaves only
    complete files and running it again finishes the job. Progress goes to stderr.
    """
    from replaycheck import export as exporting
    from replaycheck._progress import Progress
    from replaycheck.connection import resolve

    selection = exporting.Selection(query or "", workflow_ids, limit)
    selection.check()
    target = (out_dir or _default_export_dir()).resolve()
    options = exporting.ExportOptions(target, fmt or "json", overwrite, dedupe, concurrency)
    progress = Progress("executions")

    def on_start(total: int | None) -> None:
        progress.total = total

    def on_progress(result: exporting.ExportResult) -> None:
        done = len(result.written) + result.existing + len(result.missing) + result.not_started
        progress.done = max(progress.done, done - 1)
        progress.advance(note=f"{len(result.written)} written, {result.existing} already there")

    try:
        result = exporting.export(
            resolve(connection), selection, options, on_start=on_start, on_progress=on_progress
        )
    finally:
        progress.finish()
    click.echo(_export_summary(result, options), err=True)
    if result.missing:
        raise ReplaycheckError(
            f"{len(result.missing)} selected execution(s) not found: "
            f"{', '.join(result.missing[:5])}; check the workflow ids and --namespace."
        )


def _export_summary(result: Any, options: Any) -> str:
    from replaycheck.report import display_path, plural

    where = display_path(str(options.out_dir))
    lines = []
    if result.shapes is not None:
        lines.append(f"{plural(result.matched, 'execution')} → {plural(result.shapes, 'shape')}")
    line = f"exported {plural(len(result.written), 'history')} to {where}"
    if result.existing:
        line += f"; {result.existing} already there (--overwrite replaces them)"
    if result.not_started:
        line += f"; {result.not_started} skipped (no workflow task completed yet)"
    lines.append(line)
    return "\n".join(lines)


def _check_live(
    settings: Any,
    paths: tuple[str, ...],
    jobs: int,
    no_sandbox: bool,
    live: bool,
    selection: Any,
    concurrency: int,
    connection: ConnectionOptions,
) -> list[Any]:
    """``check --live``: verdicts for histories fetched from the cluster (nothing written)."""
    import dataclasses

    from replaycheck.connection import resolve
    from replaycheck.errors import ConfigError
    from replaycheck.live import check_live
    from replaycheck.replay import ReplayJob

    if not live:
        raise ConfigError("--query, --workflow-id and --limit select live executions: add --live.")
    if paths:
        raise ConfigError("--live checks histories from the cluster; drop the PATH arguments.")
    if selection.query and selection.workflow_ids:
        raise ConfigError("give either --query or --workflow-id, not both.")
    if jobs != 1:
        raise ConfigError("--live replays in one worker process; drop --jobs.")
    job = dataclasses.replace(ReplayJob.from_settings(settings, []), sandbox=not no_sandbox)
    verdicts, stats = check_live(job, resolve(connection), selection, concurrency=concurrency)
    note = f"checked {len(verdicts)} live executions"
    if stats.query:
        note += f" matching {stats.query!r}"
    if stats.not_started:
        note += f" ({stats.not_started} not started yet, skipped)"
    click.echo(note, err=True)
    return verdicts
