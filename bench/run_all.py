"""Benchmarks: replaycheck against the raw batched ``Replayer`` on the same machine and run.

Builds (once) a corpus of real histories recorded from the dev server, then times whole
processes, best of ``--repeat`` runs each:

- ``plain``: bench/plain_replayer.py (``WorkflowHistory.from_json`` + one batched Replayer)
- ``check``: ``replaycheck check`` with one worker, and with ``--jobs 2``
- ``pytest``: ``pytest --replaycheck=only`` over the corpus, with ``-n 0`` and ``-n 2``
- with ``--long [STEPS ...]``: ``pytest -n 0`` / ``-n 2`` and the plain Replayer over 200
  executions of the ``Steps`` workflow (tests/workflows/steps.py; STEPS activities each, default
  8 and 20: 53 and 125 events per history), run on the export benchmark's dev server and
  exported once with ``replaycheck export``: how the speed-up grows with history length
- ``xdist alone``: the same number of plain tests, each spinning the CPU that one replay costs
  under ``pytest -n 0`` (what ``-n 0`` spends beyond a run of empty tests, per item), with
  ``-n 0`` and ``-n 2``: the speed-up pytest-xdist itself gives a suite of this size and cost
  per test on this machine, the yardstick for replaycheck's
- with ``--export``: ``bench/bench_export.py`` (``replaycheck export`` against one
  ``temporal workflow show`` process per execution; it starts its own dev server)

Prints wall times and the ratios the issues ask for.
Usage: python bench/run_all.py [--repeat N] [--long [STEPS ...]] [--export]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "bench" / "results" / "corpus"
WORKFLOWS = "examples.provisioning.workflows"
STEPS = "tests.workflows.steps"
NO_HYP = ["-p", "no:hypothesispytest"]
# Some machines (this workplace's among them) set PYTHONDONTWRITEBYTECODE=1, so modules without a
# .pyc (replaycheck's, installed editable) are compiled again in every process while
# temporalio's come precompiled by pip. Measure as on an ordinary machine: bytecode cached.
BENCH_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def build_corpus(count: int) -> Path:
    """Record ``count`` bulk executions (plus the scenario set) unless already there."""
    if len(list(CORPUS.rglob("*.json"))) < count:
        subprocess.run(
            [sys.executable, "scripts/record_fixtures.py", "--out", str(CORPUS), "--bulk",
             str(count)],
            cwd=ROOT, check=True,
        )
    return CORPUS


def timed(cmd: list[str], ok_codes: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall time and CPU time (user + system, of the process and every process it waited for:
    replay workers, xdist workers) of one run of a whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=BENCH_ENV)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok_codes:
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(cmd)}\n"
                 f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def build_steps_corpus(count: int, steps: int) -> Path:
    """Export ``count`` executions of ``Steps`` (``steps`` activities each) once, with
    ``replaycheck export``, from the export benchmark's dev server (which runs them if missing)."""
    corpus = ROOT / "bench" / "results" / f"steps-{steps}"
    if len(list(corpus.rglob("*.json"))) < count:
        from bench_export import QUERY, RESULTS, free_port, prepare, start_server, time_export

        address = f"127.0.0.1:{free_port()}"
        server = start_server(RESULTS / "export-bench.db", int(address.split(":")[1]))
        try:
            asyncio.run(prepare(address, count, steps))
            query = f"{QUERY} AND TaskQueue='steps-{steps}'"
            time_export(address, query, count, 16, corpus)
        finally:
            server.kill()
            server.wait()
    return corpus


def measure(
    commands: dict[str, list[str]], repeat: int, ok_codes: tuple[int, ...] = (0,)
) -> tuple[dict[str, float], ...]:
    """Best wall and CPU time of each command, round-robin: this machine's speed drifts, so no
    command gets all the quiet runs."""
    times = dict.fromkeys(commands, float("inf"))
    cpus = dict.fromkeys(commands, float("inf"))
    for _ in range(repeat):
        for name, cmd in commands.items():
            wall, cpu = timed(cmd, ok_codes)
            times[name] = min(times[name], wall)
            cpus[name] = min(cpus[name], cpu)
    return times, cpus


def describe(corpus: Path) -> tuple[int, int]:
    """Number of histories and of events in a corpus."""
    files = list(corpus.rglob("*.json"))
    return len(files), sum(len(json.loads(p.read_text())["events"]) for p in files)


def pytest_command(corpus: Path, workflows: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--replaycheck=only",
            f"--replaycheck-histories={corpus}", f"--replaycheck-workflows={workflows}"]


def print_table(times: dict[str, float], cpus: dict[str, float], events: int) -> None:
    base = times["plain batched Replayer"]
    for name, seconds in times.items():
        print(f"{name:30} {seconds:7.2f} s   ratio to plain {seconds / base:5.2f}   "
              f"{events / seconds:8.0f} events/s   CPU {cpus[name]:6.2f} s")


def print_speedup(times: dict[str, float], cpus: dict[str, float], suffix: str = "") -> None:
    n0, n2 = f"pytest -n 0{suffix}", f"pytest -n 2{suffix}"
    # -n 2 runs more processes (controller, xdist workers, a replay worker each) than -n 0, and
    # -n 0 already uses more than one core (its replay worker replays ahead while pytest
    # reports). On W cores, -n 2 takes at least CPU(-n 2) / min(2, W), so its speed-up cannot
    # exceed min(2, W) x wall(-n 0) / CPU(-n 2), however well it spread the work.
    cores = os.cpu_count() or 1
    ceiling = min(2, cores) * times[n0] / cpus[n2]
    print(f"pytest{suffix} speed-up -n 2 over -n 0: {times[n0] / times[n2]:.2f}x "
          f"(CPU -n 2 / -n 0: {cpus[n2] / cpus[n0]:.2f}; cores -n 0 used: "
          f"{cpus[n0] / times[n0]:.2f}; ceiling on {cores} cores: {ceiling:.2f}x)")


SPIN_SUITE = """\
import time

import pytest


@pytest.mark.parametrize("i", range({count}))
def test_spin(i):
    end = time.process_time() + {seconds!r}
    while time.process_time() < end:
        pass
"""


def xdist_alone(count: int, cpu_n0: float, repeat: int) -> None:
    """Time ``count`` plain tests that each spin the CPU one replay costs under ``-n 0``, with
    ``-n 0`` and ``-n 2``: pytest-xdist's own speed-up for such a suite."""
    folder = ROOT / "bench" / "results" / "xdist-alone"
    folder.mkdir(parents=True, exist_ok=True)
    suite = folder / "test_spin.py"
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:replaycheck",
            str(suite)]
    suite.write_text(SPIN_SUITE.format(count=count, seconds=0.0))
    empty = min(timed([*base, "-n", "0"])[1] for _ in range(repeat))
    seconds = max(0.0, cpu_n0 - empty) / count
    suite.write_text(SPIN_SUITE.format(count=count, seconds=seconds))
    print(f"\nxdist alone: {count} plain tests spinning {seconds * 1000:.1f} ms of CPU each "
          f"(CPU of replaycheck's -n 0 beyond {count} empty tests' {empty:.2f} s, per item)")
    times, cpus = measure({"pytest -n 0": [*base, "-n", "0"], "pytest -n 2": [*base, "-n", "2"]},
                          repeat)
    for name, wall in times.items():
        print(f"{name:30} {wall:7.2f} s   CPU {cpus[name]:6.2f} s")
    print_speedup(times, cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--long", type=int, nargs="*", default=None, metavar="STEPS",
                        help="also time pytest -n 0 / -n 2 over 200 recorded executions of "
                        "Steps with STEPS activities each (default: 8 20)")
    parser.add_argument("--export", action="store_true",
                        help="also run bench/bench_export.py (export vs temporal workflow show)")
    args = parser.parse_args()
    corpus = build_corpus(args.count)
    histories, events = describe(corpus)
    print(f"corpus: {histories} histories, {events} events, in {corpus}")
    py, rc = sys.executable, [sys.executable, "-m", "replaycheck"]
    check = [*rc, "check", "-w", WORKFLOWS, "--format", "json", "-o", "/dev/null", str(corpus)]
    pytest = pytest_command(corpus, WORKFLOWS)
    commands = {
        "plain batched Replayer": [py, "bench/plain_replayer.py", WORKFLOWS, str(corpus)],
        "replaycheck check": check,
        "replaycheck check --jobs 2": [*check, "--jobs", "2"],
        "pytest -n 0": [*pytest, "-n", "0"],
        "pytest -n 2": [*pytest, "-n", "2"],
        # Hypothesis' own pytest plugin (installed with the test extras) imports Hypothesis in
        # every pytest process (~0.2 s); these rows show pytest with replaycheck's plugin alone.
        "pytest -n 0, no hypothesis": [*pytest, *NO_HYP, "-n", "0"],
        "pytest -n 2, no hypothesis": [*pytest, *NO_HYP, "-n", "2"],
    }
    times, cpus = measure(commands, args.repeat)
    print_table(times, cpus, events)
    print_speedup(times, cpus)
    print_speedup(times, cpus, ", no hypothesis")
    xdist_alone(histories, cpus["pytest -n 0"], args.repeat)
    for steps in [] if args.long is None else args.long or [8, 20]:
        # Longer histories: the cost per item (pytest's, xdist's, ours) weighs less.
        corpus = build_steps_corpus(200, steps)
        histories, events = describe(corpus)
        pytest = pytest_command(corpus, STEPS)
        print(f"\ncorpus: {histories} histories of {events / histories:.0f} events "
              f"(tests/workflows/steps.py, {steps} activities), in {corpus}")
        times, cpus = measure({
            "plain batched Replayer": [py, "bench/plain_replayer.py", STEPS, str(corpus)],
            "pytest -n 0": [*pytest, "-n", "0"],
            "pytest -n 2": [*pytest, "-n", "2"],
        }, args.repeat)
        print_table(times, cpus, events)
        print_speedup(times, cpus)
        xdist_alone(histories, cpus["pytest -n 0"], args.repeat)
    if args.export:
        subprocess.run([py, "bench/bench_export.py", "--repeat", str(args.repeat)], cwd=ROOT,
                       check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
