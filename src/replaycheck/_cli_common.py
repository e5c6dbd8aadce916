"""What the command-line modules share: error handling, output, and the option groups."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from replaycheck.errors import ConfigError, ReplaycheckError

if TYPE_CHECKING:
    from replaycheck.config import Settings

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


OUTPUT_FIX = "give -o a file in a writable directory"


def check_output(output: str | None, fmt: str) -> None:
    """Fail before replaying anything when the report could not be written."""
    if output is not None:
        from replaycheck._writing import check_writable

        check_writable(Path(output), "the report", OUTPUT_FIX)
    elif sys.stdout is None:
        raise ConfigError("standard output is closed; give -o FILE to write the report to a file.")
    if fmt == "github":
        from replaycheck._render_ci import check_step_summary

        check_step_summary()


def use_color(output: str | None, fmt: str) -> bool:
    return output is None and fmt == "text" and sys.stdout is not None and sys.stdout.isatty()


def echo(text: str) -> None:
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


def emit(text: str, output: str | None) -> None:
    if output is None:
        echo(text)
    else:
        from replaycheck._writing import write_output

        # A file name that is not UTF-8 (undecodable bytes kept as surrogates) is escaped.
        data = text.encode("utf-8", "backslashreplace")
        write_output(Path(output), data, "the report", OUTPUT_FIX)


def resolve_settings(
    paths: tuple[str, ...],
    workflows: tuple[str, ...],
    timeout: float | None,
    converter: str | None,
    *,
    passthrough: tuple[str, ...] = (),
    runner: str | None = None,
    failing: tuple[str, ...] = (),
    interceptors: tuple[str, ...] = (),
    plugins: tuple[str, ...] = (),
) -> Settings:
    """``[tool.replaycheck]`` overridden by the options; paths are checked as given first."""
    from dataclasses import replace

    from replaycheck._workflow_scan import installed_copy_notes
    from replaycheck.config import CLI_NAMES, load_settings
    from replaycheck.histories import check_paths

    check_paths(paths)  # the settings resolve symlinks, and a broken one would lose its name
    settings = load_settings().override(
        histories=paths,
        workflows=workflows,
        timeout=timeout,
        data_converter=converter,
        passthrough_modules=passthrough,
        workflow_runner=runner,
        workflow_failure_exception_types=failing,
        interceptors=interceptors,
        plugins=plugins,
        names={**CLI_NAMES, "histories": "PATH"},
    )
    # Where the histories came from, for a path that is not there: PATH, or the table alone.
    settings = replace(settings, python_names={"histories": "PATH" if paths else ""})
    for note in installed_copy_notes(settings.workflows, settings.import_paths, settings.root):
        click.echo(f"warning: {note}", err=True)
    return settings


FAILURE_TYPE_OPTION = click.option(
    "--failure-exception-type", "failure_exception_types", multiple=True,
    metavar="MODULE:CLASS", help="Exception that fails the workflow, as in your worker's "
    "workflow_failure_exception_types (a built-in by its name: ValueError). Repeatable. "
    "Default: 'workflow_failure_exception_types' in [tool.replaycheck].",
)  # fmt: skip
_PASSTHROUGH_OPTION = click.option(
    "--passthrough-module", "passthrough_modules", multiple=True, metavar="MODULE",
    help="Module the sandbox imports from outside, as your worker passes it through. "
    "Repeatable. Default: 'passthrough_modules' in [tool.replaycheck].",
)  # fmt: skip
_RUNNER_OPTION = click.option(
    "--workflow-runner", metavar="MODULE:OBJECT",
    help="Your worker's SandboxedWorkflowRunner or SandboxRestrictions. Default: "
    "'workflow_runner' in [tool.replaycheck].",
)  # fmt: skip
_PLUGIN_OPTION = click.option(
    "--plugin", "plugins", multiple=True, metavar="MODULE:OBJECT",
    help="Your worker's Plugin (temporalio.plugin.SimplePlugin, ...): an instance, a class "
    "taking no arguments, or a function returning one. Repeatable, in the worker's order. "
    "Default: 'plugins' in [tool.replaycheck].",
)  # fmt: skip
_NO_SANDBOX_OPTION = click.option(
    "--no-sandbox", is_flag=True,
    help="Load and replay the workflows without temporalio's sandbox (only if your worker "
    "runs unsandboxed).",
)  # fmt: skip
_WORKER_OPTIONS = (
    click.option("--interceptor", "interceptors", multiple=True, metavar="MODULE:OBJECT",
                 help="Your worker's workflow Interceptor (an instance, a class taking no "
                 "arguments, or a function returning one). Repeatable, in the worker's "
                 "order. Default: 'interceptors' in [tool.replaycheck]."),
    _PLUGIN_OPTION,
)  # fmt: skip
"""``--interceptor`` and ``--plugin`` (repeatable): the worker's own."""


def _decorate(func: F, options: tuple[Callable[[F], F], ...]) -> F:
    for option in reversed(options):
        func = option(func)
    return func


def worker_options(func: F) -> F:
    """:data:`_WORKER_OPTIONS`, for ``generate`` (the replaying commands take them in
    :func:`replay_options`)."""
    return _decorate(func, _WORKER_OPTIONS)


def loading_options(func: F) -> F:
    """``--passthrough-module``, ``--workflow-runner``, ``--plugin``, ``--no-sandbox``: what the
    replay worker needs to load the workflow code, for ``export``, which loads it only to name
    the workflow types (the replaying commands take them in :func:`replay_options`)."""
    options = (_PASSTHROUGH_OPTION, _RUNNER_OPTION, _PLUGIN_OPTION, _NO_SANDBOX_OPTION)
    return _decorate(func, options)


def replay_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """``-w``, ``--format``, ``-o``, ``--jobs``, ``--timeout``, ``--data-converter``,
    ``--passthrough-module``, ``--workflow-runner``, ``--failure-exception-type``,
    ``--interceptor``, ``--plugin``,
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
        _PASSTHROUGH_OPTION,
        _RUNNER_OPTION,
        FAILURE_TYPE_OPTION,
        *_WORKER_OPTIONS,
        _NO_SANDBOX_OPTION,
    )  # fmt: skip

    def decorate(func: F) -> F:
        return _decorate(func, options)

    return decorate


def check_live_selection(
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


def selection_options(func: F) -> F:
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
    return _decorate(func, options)


def default_export_dir() -> Path:
    from replaycheck.config import load_settings

    settings = load_settings()
    if settings.export_dir is not None:
        return settings.export_dir
    for path in settings.histories:
        if not path.is_file():
            return path
    return settings.default_histories
