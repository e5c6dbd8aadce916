"""Benchmark: many failing histories, one change breaking most of them.

Records (once) ``--count`` varied version 1 executions of ``TenantProvisioning`` from a dev
server (``scripts/record_fixtures.py --code v1 --bulk N``: about 1.2 histories each, with the
``NotifyTenant`` children) and replays them against ``examples.provisioning.workflows_unsafe``,
which drops the patch gate: every execution past ``create_schema`` fails, each with a
diagnosis. Times whole processes round-robin, best of ``--repeat``, against the plain batched
``Replayer`` (bench/plain_replayer.py), and prints the reports' sizes:

- ``replaycheck check`` with text and with JSON output (one worker)
- ``pytest --replaycheck=only`` with ``-n 0`` and ``-n 2``

Usage: python bench/bench_failing.py [--count N] [--repeat N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from run_all import BENCH_ENV, ROOT, describe, measure, print_table, pytest_command

WORKFLOWS = "examples.provisioning.workflows_unsafe"


def build_failing_corpus(count: int) -> Path:
    """Record ``count`` bulk executions of version 1 unless already there."""
    corpus = ROOT / "bench" / "results" / f"failing-{count}"
    if len(list(corpus.rglob("TenantProvisioning/bulk-*.json"))) < count:
        subprocess.run(
            [sys.executable, "scripts/record_fixtures.py", "--out", str(corpus), "--code", "v1",
             "--bulk", str(count)],
            cwd=ROOT, check=True,
        )
    return corpus


def report_sizes(check: list[str]) -> None:
    """Lines and bytes of the text and JSON reports, and how many failures the text groups."""
    for fmt in ("text", "json"):
        out = subprocess.run([*check, "--format", fmt], cwd=ROOT, env=BENCH_ENV,
                             capture_output=True, text=True).stdout
        grouped = out.count("same change and fix as")
        print(f"{fmt} report: {out.count(chr(10))} lines, {len(out.encode())} bytes"
              + (f", {out.count('FAIL  ')} FAIL, {grouped} of them 'same change and fix as'"
                 if fmt == "text" else ""))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpus = build_failing_corpus(args.count)
    histories, events = describe(corpus)
    print(f"corpus: {histories} histories, {events} events, in {corpus}")
    py, rc = sys.executable, [sys.executable, "-m", "replaycheck"]
    check = [*rc, "check", "-w", WORKFLOWS, str(corpus)]
    pytest = pytest_command(corpus, WORKFLOWS)
    fails = (0, 1)  # the failing histories make every command but the plain script exit 1
    commands = {
        "plain batched Replayer": [py, "bench/plain_replayer.py", WORKFLOWS, str(corpus)],
        "replaycheck check (text)": [*check, "-o", "/dev/null"],
        "replaycheck check (json)": [*check, "--format", "json", "-o", "/dev/null"],
        "pytest -n 0": [*pytest, "-n", "0"],
        "pytest -n 2": [*pytest, "-n", "2"],
    }
    times, cpus = measure(commands, args.repeat, ok_codes=fails)
    print_table(times, cpus, events)
    report_sizes(check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
