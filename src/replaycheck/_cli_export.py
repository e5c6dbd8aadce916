"""``export`` and ``generate``: the commands that write histories."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import click

from replaycheck._cli_common import (
    FAILURE_TYPE_OPTION,
    default_export_dir,
    handle_errors,
    loading_options,
    selection_options,
    worker_options,
)
from replaycheck._connection_options import connection_options
from replaycheck.connection import ConnectionOptions
from replaycheck.errors import ConfigError, NoHistoriesError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck.cluster import Selection
    from replaycheck.export import ExportOptions, ExportResult


@click.command(short_help="Write selected executions' histories to files.")
@selection_options
@click.option(
    "-w",
    "--workflows",
    multiple=True,
    metavar="MODULE[:CLASS]",
    help="With no --query and no --workflow-id, export the executions of the workflow types "
    "this code registers. Repeatable. Default: 'workflows' in [tool.replaycheck].",
)
@loading_options
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
    help="Keep one history per shape (sequence of commands, and the signals and updates "
    "received): running executions first, then the most recent.",
)
@click.option("--overwrite", is_flag=True, help="Replace files that are already there.")
@connection_options
@handle_errors
def export(
    query: str | None,
    workflow_ids: tuple[str, ...],
    limit: int | None,
    concurrency: int,
    workflows: tuple[str, ...],
    passthrough_modules: tuple[str, ...],
    workflow_runner: str | None,
    plugins: tuple[str, ...],
    no_sandbox: bool,
    out_dir: Path | None,
    gzip: bool,
    binpb: bool,
    dedupe: bool,
    overwrite: bool,
    connection: ConnectionOptions,
) -> None:
    """Write the histories of selected executions to DIR/<WorkflowType>/<workflow-id>.json.

    With no --query and no --workflow-id: every execution the server keeps of the workflow
    types the configured workflows (-w) register, loaded as your worker loads them
    (--passthrough-module, --workflow-runner, --plugin, --no-sandbox; unused with a
    selection). Payloads are kept exactly as stored (encoded). Files already there are skipped
    unless --overwrite; every file is written atomically, so an interrupted export leaves only
    complete files and running it again finishes the job. Progress goes to stderr.
    """
    from replaycheck import export as exporting
    from replaycheck._progress import Progress
    from replaycheck.connection import resolve

    if gzip and binpb:
        raise ConfigError("give --gzip or --binpb, not both: a history is written in one format.")
    fmt = "gzip" if gzip else "binpb" if binpb else "json"
    loading = Loading(passthrough_modules, workflow_runner, plugins, sandbox=not no_sandbox)
    selection = _selection(
        exporting.Selection(query or "", workflow_ids, limit), workflows, loading
    )
    selection.check(cli=True)
    target = (out_dir or default_export_dir()).resolve()
    options = exporting.ExportOptions(target, fmt, overwrite, dedupe, concurrency)
    progress = Progress("executions")

    def on_start(total: int | None) -> None:
        progress.total = total

    def on_progress(result: exporting.ExportResult) -> None:
        note = f"{len(result.written)} written, {result.existing} already there"
        progress.update(result.done, note)

    where = resolve(connection)
    try:
        result = exporting.export(
            where, selection, options, on_start=on_start, on_progress=on_progress
        )
    except NoHistoriesError:
        if query or workflow_ids:
            raise NoHistoriesError(  # in the command's terms, not the Python arguments'
                f"no execution in namespace {where.namespace!r} matched the query "
                f"{selection.query!r}, so nothing was exported; check --query and --namespace."
            ) from None
        raise NoHistoriesError(  # no --query to check: say what the query was and the way out
            f"no execution in namespace {where.namespace!r} matched the query "
            f"{selection.query!r} (the types of the configured workflows), so nothing was "
            "exported; check --namespace, or choose the executions with --query."
        ) from None
    finally:
        progress.finish()
    if result.matched > len(result.missing):  # else the error below says it all
        click.echo(_export_summary(result, options), err=True)
    if result.missing:
        from replaycheck.report import plural

        raise ReplaycheckError(
            f"{plural(len(result.missing), 'selected execution')} not found: "
            f"{', '.join(result.missing[:5])}; check the workflow ids and --namespace."
        )


class Loading(NamedTuple):
    """The loading options: how the replay worker that names the configured types loads the
    code."""

    passthrough_modules: tuple[str, ...]
    workflow_runner: str | None
    plugins: tuple[str, ...]
    sandbox: bool


def _selection(selection: Selection, workflows: tuple[str, ...], loading: Loading) -> Selection:
    """``selection``, or the executions of the configured workflows' types (said on stderr).

    A selection given needs no worker, so the ``loading`` options go unused (not even
    imported): the same options can be passed to every command.
    """
    from replaycheck._cli_common import resolve_settings
    from replaycheck._job import registers_nothing
    from replaycheck.export import configured_selection

    if selection.query or selection.workflow_ids:
        if workflows:
            raise ConfigError(
                "-w selects the workflow types to export when there is no --query and no "
                "--workflow-id; drop -w, or put the types in the query."
            )
        return selection
    settings = resolve_settings(
        (), workflows, None, None, passthrough=loading.passthrough_modules,
        runner=loading.workflow_runner, plugins=loading.plugins,
    )  # fmt: skip
    if registers_nothing(settings):  # said with the options, not configured_selection's words
        raise ConfigError(
            "select executions with --query \"WorkflowType='MyWorkflow'\" or --workflow-id ID, "
            "or configure workflows (-w MODULE, or workflows = [...] under [tool.replaycheck]) "
            "to export every execution of the workflow types they register."
        )
    chosen = configured_selection(settings, selection, sandbox=loading.sandbox, cli=True)
    click.echo(
        f"selecting {chosen.query} (the types of the configured workflows); pass --query to choose",
        err=True,
    )
    return chosen


def _export_summary(result: ExportResult, options: ExportOptions) -> str:
    from replaycheck.report import display_path, plural

    where = display_path(str(options.out_dir))
    lines = []
    if result.shapes is not None:
        lines.append(f"{plural(result.matched, 'execution')} → {plural(result.shapes, 'shape')}")
    line = f"exported {plural(len(result.written), 'history')} to {where}"
    if result.refreshed:
        count = plural(len(result.refreshed), "history")
        line += f" ({count} captured while running, brought up to date)"
    if result.repaired:
        line += f" ({plural(len(result.repaired), 'broken file')} there written again)"
    if result.moved:
        line += (
            f" ({plural(len(result.moved), 'file')} of an earlier run of the same workflow id "
            "kept as <workflow-id>@<run-id>)"
        )
    if result.marked:
        line += (
            f" ({plural(len(result.marked), 'file')} there whose name differed from another's "
            "only in case, one file on macOS and Windows, renamed <name>~<mark>)"
        )
    if result.existing:
        line += f"; {result.existing} already there (--overwrite replaces them)"
    if result.other_namespace:
        line += (
            f"; {plural(len(result.other_namespace), 'execution')} skipped: a history of the "
            "same workflow id from another namespace is there (export each namespace into a "
            "directory of its own, -o)"
        )
    if result.not_started:
        line += f"; {result.not_started} skipped (no workflow task completed yet)"
    lines.append(line)
    return "\n".join(lines)


@click.command(short_help="Explore the baseline code's histories; replay them on this code.")
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
@click.option(
    "--max-signals",
    type=click.IntRange(0, 100),
    default=None,
    help="Signals one execution may be sent (default 3; 0: none).",
)
@click.option(
    "--max-updates",
    type=click.IntRange(0, 100),
    default=None,
    help="Updates one execution may be sent (default 3; 0: none).",
)
@click.option("--seed", type=int, help="Random seed (default: the same search every run).")
@click.option("--no-failures", is_flag=True, help="Stand-in activities never fail.")
@FAILURE_TYPE_OPTION
@click.option(
    "--save",
    is_flag=True,
    help="Write one history per new shape under 'export_dir' in [tool.replaycheck], "
    "else the first 'histories' directory (one writer at a time, as for export).",
)
@worker_options
@handle_errors
def generate(
    baseline: tuple[str, ...],
    workflows: tuple[str, ...],
    workflow_type: str | None,
    max_examples: int | None,
    max_steps: int | None,
    max_signals: int | None,
    max_updates: int | None,
    seed: int | None,
    no_failures: bool,
    failure_exception_types: tuple[str, ...],
    save: bool,
    interceptors: tuple[str, ...],
    plugins: tuple[str, ...],
) -> None:
    """Generate the histories the baseline code can produce; replay each under the new code.

    Exit status: 0 every history replays, 1 one does not (the minimal scenario is shown),
    2 something could not be checked.
    """
    from replaycheck._progress import Progress
    from replaycheck.generate import GenerationSpec, limits_from, run

    spec = GenerationSpec(
        baseline=baseline[0] if len(baseline) == 1 else baseline,
        new=workflows,
        workflow_type=workflow_type,
        failures=not no_failures,
        seed=seed,
        save=default_export_dir() if save else None,
        **limits_from(
            max_examples=max_examples,
            max_steps=max_steps,
            max_signals=max_signals,
            max_updates=max_updates,
        ),
        workflow_failure_exception_types=failure_exception_types,
        interceptors=interceptors,
        plugins=plugins,
    )
    progress = Progress("examples")
    try:
        result = run(spec, progress=progress, cli=True)
    finally:
        progress.finish()
    click.echo(result.render(), nl=False)
    for path in result.saved:
        click.echo(f"saved {path}", err=True)
    sys.exit(result.exit_code)
