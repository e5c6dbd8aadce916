"""Many workflow classes in one module: replaycheck against the plain Replayer script.

A worker validates each registered class by loading its module in a fresh sandbox, so with many
classes in one module the plain script pays one load of that module per class before its first
history; replaycheck loads each module once (``_sandbox_once.py``). Times, best of ``--repeat``,
whole processes replaying the histories of ``tests/fixtures/changes/CASE`` against
``tests.workflows.changes_v1`` (131 workflow classes in 2,000 lines):

- ``plain``: bench/plain_replayer.py, every class of the module registered
- ``check``: ``replaycheck check -w tests.workflows.changes_v1``, every class registered
- ``check, one class``: ``-w tests.workflows.changes_v1:CASE``

Usage: python bench/bench_classes.py [--repeat N] [--case CASE]
"""

from __future__ import annotations

import argparse
import sys

from run_all import ROOT, timed

MODULE = "tests.workflows.changes_v1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--case", default="AbandonCancel")
    args = parser.parse_args()
    histories = ROOT / "tests" / "fixtures" / "changes" / args.case
    check = [sys.executable, "-m", "replaycheck", "check", str(histories)]
    runs = {
        "plain": [sys.executable, "bench/plain_replayer.py", MODULE, str(histories)],
        "check": [*check, "-w", MODULE],
        "check, one class": [*check, "-w", f"{MODULE}:{args.case}"],
    }
    best = {name: min(timed(cmd)[0] for _ in range(args.repeat)) for name, cmd in runs.items()}
    for name, seconds in best.items():
        print(f"{name:18} {seconds:6.2f} s   {seconds / best['plain']:.2f} of plain")


if __name__ == "__main__":
    main()
