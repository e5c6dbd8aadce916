"""Benchmark: temporalio's JSON history parser vs replaycheck._protojson.history_from_dict.

    python bench/bench_parse.py [--histories DIR] [--min-events 20000] [--rounds 3]

Parses every ``*.json`` history under DIR (default: ``tests/fixtures/public``),
repeated until there are at least ``--min-events`` events, with

* ``temporalio.client._helpers._history_from_json`` - what ``WorkflowHistory.from_json`` uses
  (deep copy + old-dialect fix-ups + ``json_format.ParseDict``);
* ``replaycheck._protojson.history_from_dict``;

first on the same already-decoded dicts (parsing only), then from the JSON text (``json.loads``
included). Prints events/s (best of ``--rounds``) and the speed-up.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import google.protobuf
import temporalio
import temporalio.api.history.v1
from google.protobuf import json_format
from temporalio.client._helpers import _history_from_json

from replaycheck._protojson import history_from_dict

DEFAULT_HISTORIES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "public"


def best_rates(
    candidates: dict[str, tuple[Callable[[Any], object], list[Any]]], events: int, rounds: int
) -> dict[str, float]:
    """Events per second of each ``fn`` over its ``inputs``, best of ``rounds``. The candidates
    take turns within each round, so that a busy machine slows them all alike."""
    best = dict.fromkeys(candidates, float("inf"))
    for _ in range(rounds):
        for label, (fn, inputs) in candidates.items():
            gc.collect()
            start = time.perf_counter()
            for item in inputs:
                fn(item)
            best[label] = min(best[label], time.perf_counter() - start)
    return {label: events / seconds for label, seconds in best.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--histories", type=Path, default=DEFAULT_HISTORIES)
    parser.add_argument("--min-events", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    files = sorted(args.histories.rglob("*.json"))
    if not files:
        print(f"no *.json histories under {args.histories}", file=sys.stderr)
        return 2
    texts = [path.read_text() for path in files]
    docs = [json.loads(text) for text in texts]
    per_pass = sum(len(doc["events"]) for doc in docs)
    repeat = -(-args.min_events // per_pass)
    events = per_pass * repeat

    for doc in docs:  # sanity: both parsers agree
        if history_from_dict(doc) != _history_from_json(doc):
            print("MISMATCH: the parsers disagree", file=sys.stderr)
            return 1

    print(
        f"Python {platform.python_version()}, protobuf {google.protobuf.__version__} "
        f"({_api_implementation()} backend), temporalio {temporalio.__version__}"
    )
    print(
        f"{len(files)} histories, {per_pass} events, x{repeat} = {events} events; "
        f"best of {args.rounds} rounds\n"
    )

    def parse_dict_only(doc: Any) -> object:
        return json_format.ParseDict(
            doc, temporalio.api.history.v1.History(), ignore_unknown_fields=True
        )

    all_docs = docs * repeat
    all_texts = texts * repeat
    old, new, bare = "_history_from_json(doc)", "history_from_dict(doc)", "ParseDict alone"
    old_text, new_text = "_history_from_json(text)", "history_from_dict(json.loads(text))"
    rates = best_rates(
        {
            old: (_history_from_json, all_docs),
            new: (history_from_dict, all_docs),
            bare: (parse_dict_only, all_docs),
            old_text: (_history_from_json, all_texts),
            new_text: (lambda text: history_from_dict(json.loads(text)), all_texts),
            "json.loads alone": (json.loads, all_texts),
        },
        events,
        args.rounds,
    )

    def show(label: str, note: str = "") -> None:
        print(f"  {label + note:58s} {rates[label]:>10,.0f} events/s")

    print("parsing only (the same dicts from json.loads):")
    show(old, "  [deepcopy + fix-ups + ParseDict]")
    show(new)
    show(bare, " (no copy, no fix-ups)")
    print(f"  speed-up: {rates[new] / rates[old]:.1f}x\n")
    print("including json.loads (from the JSON text):")
    show(old_text)
    show(new_text)
    show("json.loads alone")
    print(f"  speed-up: {rates[new_text] / rates[old_text]:.1f}x")
    return 0


def _api_implementation() -> str:
    from google.protobuf.internal import api_implementation

    return api_implementation.Type()


if __name__ == "__main__":
    sys.exit(main())
