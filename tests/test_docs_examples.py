"""The docs' console examples are what replaycheck prints today (they had drifted: cases added to
``tests/workflows/changes_v2.py`` moved every line they name, and some fixes lost a reading).

Each block in ``docs/*.md`` marked ``<!-- case: NAME -->`` (the output of
``replaycheck check -w tests.workflows.changes_v2 tests/fixtures/changes/NAME``) or
``<!-- replaycheck: ARGS -->`` right before its fence is checked line by line against a real run
(``tests/docs_examples.py`` says how lines are matched). When one fails after a change that
moved lines or reworded a diagnosis, refresh the docs from the real output and review the diff::

    python -m tests.docs_examples --write
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs_examples import DOCS, Block, blocks, missing, output_of, refreshed

EVERY = blocks()


def test_the_troubleshooting_page_marks_its_examples() -> None:
    marked = [b for b in EVERY if b.path.name == "troubleshooting.md"]
    assert len(marked) >= 38  # every block of real output that one command prints
    assert {b.source for b in marked if b.kind == "case"} >= {"RenameActivity", "Reorder"}


@pytest.mark.parametrize("block", EVERY, ids=[b.id for b in EVERY])
def test_the_example_is_what_replaycheck_prints(block: Block) -> None:
    lost = missing(block, output_of(block, EVERY))
    assert not lost, (
        f"{block.name}: lines not printed (in this order); refresh with "
        f"`python -m tests.docs_examples --write`:\n" + "\n".join(lost)
    )


def test_write_keeps_the_lines_shown_and_renumbers_them() -> None:
    block = Block(
        DOCS / "troubleshooting.md", 0,
        ("      issued at: tests/workflows/changes_v2.py:51 in run",
         "      ...",
         "      fix: gate the change at changes_v2.py:51 in run; if it replaced activity 'charge':",
         "          if workflow.patched(\"bill-before-charge\"):"),
        "case", "RenameActivity",
    )  # fmt: skip
    printed = [
        "FAIL  tests/fixtures/changes/RenameActivity/change-RenameActivity.json",
        "      issued at: tests/workflows/changes_v2.py:65 in run",
        "      change: activity 'charge' became activity 'bill'",
        "      fix: gate the change at changes_v2.py:65 in run:",
        '          if workflow.patched("bill-instead-of-charge"):',
    ]
    lines, dropped = refreshed(block, printed)
    assert lines == [
        "      issued at: tests/workflows/changes_v2.py:65 in run",
        "      ...",
        "      fix: gate the change at changes_v2.py:65 in run:",
        '          if workflow.patched("bill-instead-of-charge"):',
    ]
    assert dropped == []
    assert missing(Block(block.path, 0, tuple(lines), "case", "RenameActivity"), printed) == []


def test_a_line_cut_with_an_ellipsis_keeps_its_cut() -> None:
    block = Block(
        Path("x.md"), 0,
        ("ok    .../change-X.json  verified events 1-10 of 10; the code now makes it at x.py:822",
         "      workflow X, id change-X, run 01a2…, 17 events, completed"),
        "case", "X",
    )  # fmt: skip
    printed = [
        "ok    tests/fixtures/changes/X/change-X.json  verified events 1-10 of 10; the code now "
        "makes it at x.py:933",
        "      workflow X, id change-X, run 01a23202-4365, 17 events, completed",
    ]
    lines, _ = refreshed(block, printed)
    assert lines == [
        "ok    .../change-X.json  verified events 1-10 of 10; the code now makes it at x.py:933",
        "      workflow X, id change-X, run 01a2…, 17 events, completed",
    ]
    assert missing(block, printed) == [block.lines[0]]
