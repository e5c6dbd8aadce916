"""The ``replaycheck`` command line: thin click glue over the library.

The commands live in ``_cli_replay`` (inspect, check, patches) and ``_cli_export`` (export,
generate); what they share is in ``_cli_common``.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from replaycheck import __version__
from replaycheck._cli_export import export, generate
from replaycheck._cli_replay import check, inspect, patches


def entry() -> None:
    """Console-script entry point: run the command line, then exit with its status.

    temporalio's native runtime can abort the interpreter while it shuts down
    (temporalio/sdk-python#300), turning exit status 2 into a crash; once temporalio has been
    imported in this process, flush and leave without the interpreter's shutdown.
    """
    import signal

    signal.signal(signal.SIGTERM, _terminate)  # clean up as on Ctrl-C (temp files, workers)
    _escape_unencodable()
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    except Exception:  # a bug in replaycheck: its traceback, and 2 ("not checked"), never 1
        import traceback

        traceback.print_exc()
        print(
            "replaycheck: internal error (the traceback above): the command did not finish; "
            "please report it.",
            file=sys.stderr,
        )
        code = 2
    else:  # pragma: no cover - click's standalone mode always raises SystemExit
        code = 0
    if "replaycheck._worker_session" in sys.modules:  # no worker outlives the command
        from replaycheck._worker_session import stop_workers

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


def _escape_unencodable() -> None:
    """A character stdout cannot encode is written as a ``\\u`` escape, not a crash: stdout
    redirected on Windows (a CI log) encodes in the ANSI code page, cp1252, which has no
    ``→`` nor the letters of most languages (set ``PYTHONUTF8=1`` to see them)."""
    import io

    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            with contextlib.suppress(ValueError):  # closed, or a reader in the way
                stream.reconfigure(errors="backslashreplace")


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


for _command in (check, export, generate, inspect, patches):
    main.add_command(_command)
