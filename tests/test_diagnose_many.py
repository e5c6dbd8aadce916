"""Many histories that one change breaks at the same code: their diagnoses ask the same of the
source, which is read once per process, not once per history; every answer is the one a fresh
reading gives, and a file parsed again is read as it is now."""

from __future__ import annotations

import ast
import linecache
from pathlib import Path

import pytest

from replaycheck._branch_passed import passed_between, passed_running
from replaycheck._commands import Command
from replaycheck._source import function_at, parsed
from replaycheck._source_flow import calls_one, later_lines
from replaycheck._source_helpers import through_helpers

SOURCE = """\
async def run(order):
    await fetch(order)
    if order.startswith("vip-"):
        await audit(order)
    await charge(order)
"""


def _commands(path: Path) -> tuple[Command, Command]:
    """``charge`` as the code issued it, and ``fetch`` before it (its last matching command)."""
    c = Command(kind="activity", name="charge", frames=((str(path), 5, "run"),))
    last = Command(kind="activity", name="fetch", frames=((str(path), 2, "run"),))
    return c, last


def _count_walks(monkeypatch: pytest.MonkeyPatch, node: ast.AST) -> list[ast.AST]:
    """The list every later ``ast.walk`` of ``node`` is appended to."""
    walks: list[ast.AST] = []
    real_walk = ast.walk

    def counting_walk(walked: ast.AST):  # type: ignore[no-untyped-def]
        if walked is node:
            walks.append(walked)
        return real_walk(walked)

    monkeypatch.setattr(ast, "walk", counting_walk)
    return walks


def _runs(names: set[str]):  # type: ignore[no-untyped-def]
    return through_helpers(lambda file: lambda n: isinstance(n, ast.Call) and calls_one(n, names))


def test_a_thousand_histories_failing_at_one_if_walk_its_function_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "wf.py"
    path.write_text(SOURCE)
    c, last = _commands(path)
    fresh = passed_between(c, last, _runs({"audit"}))
    function = function_at(str(path), 5)
    assert function is not None and fresh is not None
    walks = _count_walks(monkeypatch, function)
    answers = [passed_running(c, last, frozenset({"audit"}), "", None) for _ in range(1000)]
    for line in (2, 3, 5):
        later_lines(str(path), line)
    assert answers == [fresh] * 1000
    assert fresh[2].line == 3 and fresh[2].condition == 'order.startswith("vip-")'
    assert len(walks) <= 1  # it was walked once for every question of every history


def test_other_commands_and_a_file_parsed_again_get_their_own_answers(tmp_path: Path) -> None:
    path = tmp_path / "wf.py"
    path.write_text(SOURCE)
    c, last = _commands(path)
    assert passed_running(c, last, frozenset({"audit"}), "", None) is not None
    assert passed_running(c, last, frozenset({"refund"}), "", None) is None  # runs no refund
    path.write_text(SOURCE.replace('    if order.startswith("vip-"):\n        await audit',
                                   "    await audit"))  # fmt: skip
    linecache.checkcache(str(path))
    parsed.cache_clear()
    assert passed_running(c, last, frozenset({"audit"}), "", None) is None  # no if any more
