"""``inspect``, ``check`` and ``patches``: the commands that read and replay histories."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from replaycheck._cli_common import (
    check_live_selection,
    check_output,
    echo,
    emit,
    handle_errors,
    replay_options,
    resolve_settings,
    selection_options,
    use_color,
)
from replaycheck._cli_types import FiniteRange
from replaycheck._connection_options import connection_options
from replaycheck.connection import ConnectionOptions
from replaycheck.report import FORMATS

if TYPE_CHECKING:
    from replaycheck.cluster import Selection
    from replaycheck.config import Settings
    from replaycheck.verdict import Verdict


_SKIP_PINNED = click.option(
    "--skip-pinned",
    is_flag=True,
    help="Leave out executions pinned to a Worker Deployment Version (their history says "
    "so): new code shipped as a new version never replays them. Default: include them, marked.",
)


@click.command(short_help="Summarize one history file.")
@click.argument("file", type=click.Path(path_type=str))
@handle_errors
def inspect(file: str) -> None:
    """Summarize one history FILE: workflow, status, patch markers, command timeline."""
    from replaycheck._discovery import history_file
    from replaycheck.errors import HistoryError
    from replaycheck.histories import read_history
    from replaycheck.report import render_history

    try:
        loaded = read_history(file)
    except HistoryError:
        history_file(file)  # a path that does not exist, or a directory: what to give instead
        raise
    echo(render_history(loaded))


@click.command(short_help="Replay histories (files, or --live) against the current code.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@replay_options(FORMATS)
@click.option(
    "--live",
    is_flag=True,
    help="Replay histories straight from a cluster instead of files (default "
    "selection: running executions of the configured workflow types).",
)
@_SKIP_PINNED
@selection_options
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
    passthrough_modules: tuple[str, ...],
    workflow_runner: str | None,
    failure_exception_types: tuple[str, ...],
    interceptors: tuple[str, ...],
    plugins: tuple[str, ...],
    no_sandbox: bool,
    live: bool,
    skip_pinned: bool,
    query: str | None,
    workflow_ids: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    connection: ConnectionOptions,
) -> None:
    """Replay history files (default: 'histories' in [tool.replaycheck], else its
    'export_dir', else fixtures/histories) against the code.

    Exit status: 0 all ok, 1 a history is nondeterministic, 2 a history could not be checked
    or the command was misused.
    """
    import os

    from replaycheck._run_fixes import reconcile
    from replaycheck.histories import check_report_path
    from replaycheck.replay import check as replay_histories
    from replaycheck.report import render
    from replaycheck.verdict import exit_code

    check_output(output, fmt)
    settings = resolve_settings(
        paths, workflows, timeout, data_converter, passthrough=passthrough_modules,
        runner=workflow_runner, failing=failure_exception_types,
        interceptors=interceptors, plugins=plugins,
    )  # fmt: skip
    if live or query or workflow_ids or limit:
        from replaycheck.cluster import Selection

        selection = Selection(query or "", workflow_ids, limit)
        verdicts = _check_live(settings, paths, jobs, no_sandbox, live, selection, concurrency,
                               connection, skip_pinned)  # fmt: skip
    else:
        check_report_path(output, settings.history_roots)
        workers = jobs or os.cpu_count() or 1
        verdicts = replay_histories(settings, jobs=workers, sandbox=not no_sandbox)
        if skip_pinned:
            verdicts = _without_pinned(verdicts)
    # Only the whole run tells one removed gate's failures apart from new changes.
    verdicts = reconcile(verdicts)
    emit(render(verdicts, fmt, color=use_color(output, fmt)), output)
    if output is not None:  # stdout stays clean; a CI log still says what happened
        from replaycheck._render_summary import render_summary
        from replaycheck.report import display_path

        counts = render_summary(verdicts).splitlines()[0]
        click.echo(f"{counts}; report written to {display_path(output)}", err=True)
    sys.exit(exit_code(verdicts))


def _check_live(
    settings: Settings,
    paths: tuple[str, ...],
    jobs: int,
    no_sandbox: bool,
    live: bool,
    selection: Selection,
    concurrency: int,
    connection: ConnectionOptions,
    skip_pinned: bool,
) -> list[Verdict]:
    """``check --live``: verdicts for histories fetched from the cluster (nothing written)."""
    import dataclasses

    from replaycheck.connection import resolve
    from replaycheck.live import check_live
    from replaycheck.replay import ReplayJob

    check_live_selection(live, paths, selection.query, selection.workflow_ids, jobs)
    job = dataclasses.replace(ReplayJob.from_settings(settings, []), sandbox=not no_sandbox)
    verdicts, stats = check_live(
        job,
        resolve(connection),
        selection,
        concurrency=concurrency,
        skip_pinned=skip_pinned,
        cli=True,
    )
    from replaycheck._pinning import live_skipped_text
    from replaycheck.report import plural

    note = f"checked {plural(len(verdicts) - stats.not_found, 'live execution')}"
    if stats.query:
        note += f" matching {stats.query!r}"
    note += live_skipped_text(stats.not_started, stats.not_found, stats.pinned)
    click.echo(note, err=True)
    return verdicts


def _without_pinned(verdicts: list[Verdict]) -> list[Verdict]:
    """``check --skip-pinned`` on files: the verdicts of executions not pinned (a line on
    stderr counts the others).

    Raises:
        NoHistoriesError: every history is of a pinned execution.
    """
    from replaycheck._pinning import split_pinned

    kept, left = split_pinned(verdicts)
    _note_left_out(len(left))
    return kept


def _note_left_out(count: int) -> None:
    """``--skip-pinned`` on files: say on stderr how many histories it left out."""
    from replaycheck._pinning import left_out_text

    if count:
        click.echo(left_out_text(count), err=True)


@click.command(short_help="Say when each patch gate may be deprecated or removed.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@replay_options(("text", "json"))
@click.option(
    "--retention",
    type=FiniteRange(
        min=0,
        min_open=True,
        max=36500,
        why="the days a namespace keeps closed executions (Temporal keeps them 1 day at "
        "least); to count every history, leave --retention out",
    ),
    metavar="DAYS",
    help="Leave out executions that closed more than DAYS ago (the server has deleted "
    "them, nothing replays them), and date when the closed executions holding a verdict "
    "back are deleted. Default: count every history.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Read executions from a cluster instead of files (default selection: every "
    "execution of the configured workflow types the server still keeps).",
)
@_SKIP_PINNED
@selection_options
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
    passthrough_modules: tuple[str, ...],
    workflow_runner: str | None,
    failure_exception_types: tuple[str, ...],
    interceptors: tuple[str, ...],
    plugins: tuple[str, ...],
    no_sandbox: bool,
    live: bool,
    skip_pinned: bool,
    query: str | None,
    workflow_ids: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    connection: ConnectionOptions,
) -> None:
    """For every patch id: call sites, which executions took which branch, and whether the
    gate can be deprecated or removed yet (replays the histories, recording every patched();
    default: 'histories' in [tool.replaycheck], else its 'export_dir', else
    fixtures/histories).

    Exit status: 0 with a report, 2 when the command was misused.
    """
    import os

    from replaycheck import patches as lifecycle
    from replaycheck._patch_render import render
    from replaycheck.histories import check_report_path

    check_output(output, fmt)
    settings = resolve_settings(
        paths, workflows, timeout, data_converter, passthrough=passthrough_modules,
        runner=workflow_runner, failing=failure_exception_types,
        interceptors=interceptors, plugins=plugins,
    )  # fmt: skip
    if live or query or workflow_ids or limit:
        selection = (query or "", workflow_ids, limit, concurrency)
        report = _patches_live(settings, paths, jobs, retention, no_sandbox, live, selection,
                               connection, skip_pinned)  # fmt: skip
    else:
        check_report_path(output, settings.history_roots)
        workers = jobs or os.cpu_count() or 1
        report = lifecycle.collect(settings, jobs=workers, sandbox=not no_sandbox,
                                   retention_days=retention, skip_pinned=skip_pinned)  # fmt: skip
        _note_left_out(report.pinned_left_out)
    emit(render(report, fmt, color=use_color(output, fmt)), output)
    if output is not None:  # as check: a CI log still says what happened
        from replaycheck._patch_render import summary_line
        from replaycheck.report import display_path

        click.echo(f"{summary_line(report)}; report written to {display_path(output)}", err=True)


def _patches_live(
    settings: Any,
    paths: tuple[str, ...],
    jobs: int,
    retention: float | None,
    no_sandbox: bool,
    live: bool,
    selection: tuple[str, tuple[str, ...], int | None, int],
    connection: ConnectionOptions,
    skip_pinned: bool,
) -> Any:
    """``patches --live``: the report over executions fetched from the cluster.

    ``selection`` is ``(query, workflow_ids, limit, concurrency)``.
    """
    from replaycheck.connection import resolve
    from replaycheck.errors import ConfigError
    from replaycheck.export import Selection
    from replaycheck.patches import collect_live

    query, workflow_ids, limit, concurrency = selection
    check_live_selection(live, paths, query, workflow_ids, jobs)
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
        skip_pinned=skip_pinned,
        cli=True,
    )
    from replaycheck._pinning import live_skipped_text
    from replaycheck.report import plural

    note = f"read {plural(report.histories - stats.not_found, 'live execution')}"
    note += f" matching {stats.query!r}" if stats.query else ""
    click.echo(note + live_skipped_text(stats.not_started, stats.not_found, stats.pinned),
               err=True)  # fmt: skip
    return report
