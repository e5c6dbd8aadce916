"""Benchmark: ``replaycheck generate`` on the provisioning example.

    python bench/bench_generate.py [--max-examples 100] [--repeat 2]

Explores what ``examples.provisioning.workflows_v1`` can record and replays every history against
the gated ``examples.provisioning.workflows`` (every example runs: nothing fails, nothing shrinks),
then against ``workflows_unsafe`` (the search stops at the first failure and shrinks it). Prints
histories generated (and replayed) per second and the distinct shapes found; nothing is asserted.
One time-skipping test server per exploration; its start-up is included in the wall time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # the examples package lives at the repository root

from replaycheck.generate import explore  # noqa: E402

BASELINE = "examples.provisioning.workflows_v1"
NEW = {
    "gated": "examples.provisioning.workflows",
    "unsafe": "examples.provisioning.workflows_unsafe",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2)
    options = parser.parse_args()
    for label, new in NEW.items():
        for run in range(1, options.repeat + 1):
            start = time.monotonic()
            result = explore(BASELINE, new=[new], max_examples=options.max_examples, root=ROOT)
            wall = time.monotonic() - start
            rate = result.histories / result.seconds if result.seconds else 0.0
            print(
                f"{label:6} run {run}: {result.histories} histories, {result.shapes} distinct "
                f"shapes, {result.examples} examples, {rate:.1f} histories/s while exploring "
                f"({result.seconds:.1f} s), {wall:.1f} s wall with server start-up; "
                f"{'ok' if result.ok else 'nondeterminism found'}"
            )


if __name__ == "__main__":
    main()
