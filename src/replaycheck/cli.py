"""The ``replaycheck`` command line: thin click glue over the library."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from replaycheck import __version__
from replaycheck.connection import ConnectionOptions, FiniteRange, connection_options
from replaycheck.errors import ConfigError, ReplaycheckError
from replaycheck.report import FORMATS

if TYPE_CHECKING:
    from replaycheck.cluster import Selection
    from replaycheck.config import Settings
    from replaycheck.export import ExportOptions, ExportResult
    from replaycheck.verdict import Verdict

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


def entry() -> None:
    """Console-script entry point: run the command line, then exit with its status.

    temporalio's native runtime can abort the interpreter while it shuts down
    (temporalio/sdk-python#300), turning exit status 2 into a crash; once temporalio has been
    imported in this process, flush and leave without the interpreter's shutdown.
    """
    import signal

    signal.signal(signal.SIGTERM, _terminate)  # clean up as on Ctrl-C (temp files, workers)
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover - click's standalone mode always raises SystemExit
        code = 0
    if "replaycheck.replay" in sys.modules:  # no worker outlives the command
        from replaycheck.replay import stop_workers

        stop_workers()
    if "temporalio" not in sys.modules:
        sys.exit(code)
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    import logging
    import os

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # None when the file descriptor was closed (`>&-`)
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is."""


def _terminate(signum: int, frame: Any) -> None:
    raise _Terminated


class _Commands(click.Group):
    """Exit status 130 on Ctrl-C, 143 on SIGTERM (click's default, 1, means nondeterminism)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            click.echo("terminated" if isinstance(exc, _Terminated) else "interrupted", err=True)
            ctx.exit(143 if isinstance(exc, _Terminated) else 130)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="replaycheck")
def main() -> None:
    """Replay recorded Temporal workflow histories against your current code."""


_OUTPUT_FIX = "give -o a file in a writable directory"


def _check_output(output: str | None, fmt: str) -> None:
    """Fail before replaying anything when the report could not be written."""
    if output is not None:
        from replaycheck._writing import check_writable

        check_writable(Path(output), "the report", _OUTPUT_FIX)
    elif sys.stdout is None:
        raise ConfigError("standard output is closed; give -o FILE to write the report to a file.")
    if fmt == "github":
        from replaycheck._render_ci import check_step_summary

        check_step_summary()


def _color(output: str | None, fmt: str) -> bool:
    return output is None and fmt == "text" and sys.stdout is not None and sys.stdout.isatty()


def _echo(text: str) -> None:
    """Write to stdout now; a stdout that cannot take it (a full disk, a closed pipe) is one
    error line and exit 2, not a traceback (nor exit 1, which says "nondeterministic")."""
    try:
        click.echo(text, nl=False)
        sys.stdout.flush()
    except OSError as exc:
        import os

        with contextlib.suppress(OSError, ValueError):  # nothing more to flush at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        if isinstance(exc, BrokenPipeError):
            return  # the reader left (`| head`): no complaint, as other tools; status stays
        raise ConfigError(
            f"cannot write the report to standard output ({exc.strerror or exc}); give -o FILE "
            "or free the space."
        ) from None


def _emit(text: str, output: str | None) -> None:
    if output is None:
        _echo(text)
    else:
        from replaycheck._writing import write_output

        # A file name that is not UTF-8 (undecodable bytes kept as surrogates) is escaped.
        data = text.encode("utf-8", "backslashreplace")
        write_output(Path(output), data, "the report", _OUTPUT_FIX)


def _settings(
    paths: tuple[str, ...], workflows: tuple[str, ...], timeout: float | None, converter: str | None
) -> Settings:
    """``[tool.replaycheck]`` overridden by the options; paths are checked as given first."""
    from replaycheck.config import load_settings
    from replaycheck.histories import check_paths

    check_paths(paths)  # the settings resolve symlinks, and a broken one would lose its name
    return load_settings().override(
        histories=paths, workflows=workflows, timeout=timeout, data_converter=converter
    )


@main.command()
@click.argument("file", type=click.Path(path_type=str))
@handle_errors
def inspect(file: str) -> None:
    """Summarize one history FILE: workflow, status, patch markers, command timeline."""
    from replaycheck.histories import read_history
    from replaycheck.report import render_history

    _echo(render_history(read_history(file)))


def _replay_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """``-w``, ``--format``, ``-o``, ``--jobs``, ``--timeout``, ``--data-converter``,
    ``--no-sandbox``: what every command that replays histories takes."""
    options = (
        click.option("-w", "--workflows", multiple=True, metavar="MODULE[:CLASS]",
                     help="Workflow code to replay against: a module (all its @workflow.defn "
                     "classes) or module:Class. Repeatable. Default: 'workflows' in "
                     "[tool.replaycheck]."),
        click.option("--format", "fmt", type=click.Choice(formats), default="text",
                     show_default=True, help="Output format."),
        click.option("-o", "--output", type=click.Path(dir_okay=False),
                     help="Write the report here."),
        click.option("--jobs", "-j", type=click.IntRange(min=0), default=1, show_default=True,
                     help="Worker processes (0: one per CPU)."),
        click.option("--timeout", type=float,
                     help="Seconds one history may take (default 60; more past 10,000 events)."),
        click.option("--data-converter", metavar="MODULE:OBJECT",
                     help="DataConverter or PayloadCodec for encoded payloads."),
        click.option("--no-sandbox", is_flag=True,
                     help="Replay without temporalio's sandbox (only if your worker runs "
                     "unsandboxed)."),
    )  # fmt: skip

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _check_live_selection(
    live: bool, paths: tuple[str, ...], query: str, workflow_ids: tuple[str, ...], jobs: int
) -> None:
    """The rules ``--live`` shares across commands."""
    from replaycheck.errors import ConfigError

    if not live:
        raise ConfigError("--query, --workflow-id and --limit select live executions: add --live.")
    if paths:
        raise ConfigError("--live reads histories from the cluster; drop the PATH arguments.")
    if query and workflow_ids:
        raise ConfigError("give either --query or --workflow-id, not both.")
    if jobs != 1:
        raise ConfigError("--live replays in one worker process; drop --jobs.")


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
@_replay_options(FORMATS)
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
    import os

    from replaycheck.histories import check_report_path
    from replaycheck.replay import check as replay_histories
    from replaycheck.report import render
    from replaycheck.verdict import exit_code

    _check_output(output, fmt)
    settings = _settings(paths, workflows, timeout, data_converter)
    if live or query or workflow_ids or limit:
        from replaycheck.cluster import Selection

        selection = Selection(query or "", workflow_ids, limit)
        verdicts = _check_live(settings, paths, jobs, no_sandbox, live, selection, concurrency,
                               connection)  # fmt: skip
    else:
        check_report_path(output, settings.histories)
        workers = jobs or os.cpu_count() or 1
        verdicts = replay_histories(settings, jobs=workers, sandbox=not no_sandbox)
    _emit(render(verdicts, fmt, color=_color(output, fmt)), output)
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
@click.option("--gzip", "gzip", is_flag=True, help="Write gzip-compressed JSON (.json.gz).")
@click.option("--binpb", is_flag=True, help="Write binary protobuf (.binpb; no provenance).")
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
    gzip: bool,
    binpb: bool,
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

    if gzip and binpb:
        raise ConfigError("give --gzip or --binpb, not both: a history is written in one format.")
    fmt = "gzip" if gzip else "binpb" if binpb else "json"
    selection = exporting.Selection(query or "", workflow_ids, limit)
    selection.check()
    target = (out_dir or _default_export_dir()).resolve()
    options = exporting.ExportOptions(target, fmt, overwrite, dedupe, concurrency)
    progress = Progress("executions")

    def on_start(total: int | None) -> None:
        progress.total = total

    def on_progress(result: exporting.ExportResult) -> None:
        note = f"{len(result.written)} written, {result.existing} already there"
        progress.update(result.done, note)

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


def _export_summary(result: ExportResult, options: ExportOptions) -> str:
    from replaycheck.report import display_path, plural

    where = display_path(str(options.out_dir))
    lines = []
    if result.shapes is not None:
        lines.append(f"{plural(result.matched, 'execution')} → {plural(result.shapes, 'shape')}")
    line = f"exported {plural(len(result.written), 'history')} to {where}"
    if result.refreshed:
        count = plural(len(result.refreshed), "running execution")
        line += f" ({count} brought up to date)"
    if result.repaired:
        line += f" ({plural(len(result.repaired), 'broken file')} there written again)"
    if result.existing:
        line += f"; {result.existing} already there (--overwrite replaces them)"
    if result.not_started:
        line += f"; {result.not_started} skipped (no workflow task completed yet)"
    if result.older_runs:
        line += f"; {result.older_runs} older runs of the same workflow ids skipped"
    lines.append(line)
    return "\n".join(lines)


def _check_live(
    settings: Settings,
    paths: tuple[str, ...],
    jobs: int,
    no_sandbox: bool,
    live: bool,
    selection: Selection,
    concurrency: int,
    connection: ConnectionOptions,
) -> list[Verdict]:
    """``check --live``: verdicts for histories fetched from the cluster (nothing written)."""
    import dataclasses

    from replaycheck.connection import resolve
    from replaycheck.live import check_live
    from replaycheck.replay import ReplayJob

    _check_live_selection(live, paths, selection.query, selection.workflow_ids, jobs)
    job = dataclasses.replace(ReplayJob.from_settings(settings, []), sandbox=not no_sandbox)
    verdicts, stats = check_live(job, resolve(connection), selection, concurrency=concurrency)
    from replaycheck.report import plural

    note = f"checked {plural(len(verdicts), 'live execution')}"
    if stats.query:
        note += f" matching {stats.query!r}"
    if stats.not_started:
        note += f" ({stats.not_started} not started yet, skipped)"
    click.echo(note, err=True)
    return verdicts


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@_replay_options(("text", "json"))
@click.option(
    "--retention",
    type=FiniteRange(min=0, max=36500),
    metavar="DAYS",
    help="Leave out executions that closed more than DAYS ago (the server has deleted "
    "them, nothing replays them). Default: count every history.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Read executions from a cluster instead of files (default selection: every "
    "execution of the configured workflow types the server still keeps).",
)
@_selection_options
@connection_options
@handle_errors
def patches(
    paths: tuple[str, ...],
    workflows: tuple[str, ...],
    fmt: str,
    output: str | None,
    retention: float | None,
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
    """For every patch id: call sites, which executions took which branch, and whether the
    gate can be deprecated or removed yet (replays the histories, recording every patched()).

    Exit status: 0 with a report, 2 when the command was misused.
    """
    import os

    from replaycheck import patches as lifecycle
    from replaycheck._patch_render import render
    from replaycheck.histories import check_report_path

    _check_output(output, fmt)
    settings = _settings(paths, workflows, timeout, data_converter)
    if live or query or workflow_ids or limit:
        selection = (query or "", workflow_ids, limit, concurrency)
        report = _patches_live(
            settings, paths, jobs, retention, no_sandbox, live, selection, connection
        )
    else:
        check_report_path(output, settings.histories)
        workers = jobs or os.cpu_count() or 1
        report = lifecycle.collect(
            settings, jobs=workers, sandbox=not no_sandbox, retention_days=retention
        )
    _emit(render(report, fmt, color=_color(output, fmt)), output)


def _patches_live(
    settings: Any,
    paths: tuple[str, ...],
    jobs: int,
    retention: float | None,
    no_sandbox: bool,
    live: bool,
    selection: tuple[str, tuple[str, ...], int | None, int],
    connection: ConnectionOptions,
) -> Any:
    """``patches --live``: the report over executions fetched from the cluster.

    ``selection`` is ``(query, workflow_ids, limit, concurrency)``.
    """
    from replaycheck.connection import resolve
    from replaycheck.errors import ConfigError
    from replaycheck.export import Selection
    from replaycheck.patches import collect_live

    query, workflow_ids, limit, concurrency = selection
    _check_live_selection(live, paths, query, workflow_ids, jobs)
    if retention is not None:
        raise ConfigError(
            "--live sees only what the server keeps, which is the retention: drop --retention."
        )
    report, stats = collect_live(
        settings,
        resolve(connection),
        Selection(query, workflow_ids, limit),
        concurrency=concurrency,
        sandbox=not no_sandbox,
    )
    from replaycheck.report import plural

    note = f"read {plural(report.histories, 'live execution')}"
    click.echo(note + (f" matching {stats.query!r}" if stats.query else ""), err=True)
    return report


@main.command()
@click.option(
    "--baseline",
    required=True,
    metavar="REF|MODULE",
    help="The previous code: a git ref of this repository (origin/main, HEAD~1; "
    "'git:REF' to force one), or workflow modules (repeatable).",
    multiple=True,
)
@click.option(
    "-w",
    "--workflows",
    multiple=True,
    metavar="MODULE[:CLASS]",
    help="The new code. Default: 'workflows' in [tool.replaycheck].",
)
@click.option(
    "-t",
    "--workflow-type",
    metavar="TYPE",
    help="Explore only this workflow type (default: every type in both versions).",
)
@click.option(
    "--max-examples",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Examples per workflow type (default 100).",
)
@click.option(
    "--max-steps",
    type=click.IntRange(1, 1_000),
    default=None,
    help="Workflow tasks per execution (default 20).",
)
@click.option("--seed", type=int, help="Random seed (default: the same search every run).")
@click.option("--no-failures", is_flag=True, help="Stand-in activities never fail.")
@click.option(
    "--save",
    is_flag=True,
    help="Write one history per new shape under the first 'histories' directory.",
)
@handle_errors
def generate(
    baseline: tuple[str, ...],
    workflows: tuple[str, ...],
    workflow_type: str | None,
    max_examples: int | None,
    max_steps: int | None,
    seed: int | None,
    no_failures: bool,
    save: bool,
) -> None:
    """Generate the histories the baseline code can produce; replay each under the new code.

    Exit status: 0 every history replays, 1 one does not (the minimal scenario is shown),
    2 something could not be checked.
    """
    from replaycheck.generate import GenerationSpec, limits_from, run

    spec = GenerationSpec(
        baseline=baseline[0] if len(baseline) == 1 else baseline,
        new=workflows,
        workflow_type=workflow_type,
        failures=not no_failures,
        seed=seed,
        save=_default_export_dir() if save else None,
        **limits_from(max_examples=max_examples, max_steps=max_steps),
    )
    result = run(spec)
    click.echo(result.render(), nl=False)
    for path in result.saved:
        click.echo(f"saved {path}", err=True)
    sys.exit(result.exit_code)
