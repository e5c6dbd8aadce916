"""The docs' console examples, checked against what replaycheck prints today, and refreshed.

A block in ``docs/*.md`` is an example of real output when the line right before its opening
fence names where it comes from:

``<!-- case: NAME -->``
    the history of ``tests/fixtures/changes/NAME``, as
    ``replaycheck check -w tests.workflows.changes_v2 tests/fixtures/changes/NAME`` prints it
    (its own lines, from its ``FAIL`` or ``ok`` line on; every marked case is replayed in one run,
    which prints each history as a run of that case alone does);
``<!-- replaycheck: ARGS -->``
    the whole output of ``replaycheck ARGS``, run from the repository's root.

Each line the block shows must be printed, in the block's order, indentation and all; lines may
be left out between them. A line that is only ``...`` or ``…`` marks lines left out, a ``…``
inside a line (or ``...`` where the line as written is not printed) text left out, and a line
starting with ``$ `` shows the command, not its output.

When a case is added to ``tests/workflows/changes_v2.py`` (and the lines the examples name move)
or the wording of a diagnosis changes, refresh every marked block from the real output with::

    python -m tests.docs_examples --write

It keeps each block's selection of lines: a line is replaced by the printed line it stands for
(the same but for its numbers, or else the most alike in its place), and one that is no longer
printed at all is dropped and named on stderr. Review the diff before committing it.
``tests/test_docs_examples.py`` checks every marked block.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from replaycheck.cli import main
from tests.conftest import REPO

DOCS = REPO / "docs"
CASES_DIR = "tests/fixtures/changes"
CASE_COMMAND = ("check", "-w", "tests.workflows.changes_v2")
_MARKER = re.compile(r"^<!-- (case|replaycheck): (.+?) -->$")
_CUTS = ("...", "…")
_HEADER = re.compile(r"^(FAIL|ok|ERROR)\s+(\S+)")
_SIMILAR = 0.6
"""How alike (difflib's ratio, numbers aside) a printed line must be to replace a shown one."""


@dataclass(frozen=True)
class Block:
    """One marked example: where it is and what it shows."""

    path: Path
    first: int
    """Index (from 0) of the block's first line in the file, after the opening fence."""
    lines: tuple[str, ...]
    kind: str
    """``case`` or ``replaycheck``."""
    source: str
    """The case's name, or the arguments of the command."""

    @property
    def id(self) -> str:
        """The block's file and case (or the last word of its command): its test's id."""
        return f"{self.path.name}:{self.source.split()[-1].rsplit('/', 1)[-1]}"

    @property
    def name(self) -> str:
        """How messages name the block: its file, the line of its opening fence, and case."""
        return f"{self.path.name}:{self.first}:{self.source.split()[-1].rsplit('/', 1)[-1]}"


def blocks(paths: tuple[Path, ...] | None = None) -> list[Block]:
    """Every marked block of ``paths`` (default: every ``docs/*.md``), in file order."""
    found = []
    for path in paths or tuple(sorted(DOCS.glob("*.md"))):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            marker = _MARKER.match(line)
            if not marker:
                continue
            assert i + 1 < len(lines) and lines[i + 1].startswith("```"), (
                f"{path.name}:{i + 1}: a marker must be right before a block's opening fence"
            )
            end = next(j for j in range(i + 2, len(lines)) if lines[j].startswith("```"))
            found.append(
                Block(path, i + 2, tuple(lines[i + 2 : end]), marker[1], marker[2].strip())
            )
    return found


def _invoke(args: list[str]) -> str:
    old = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, args)
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return "\n".join(line.rstrip() for line in result.stdout.splitlines())


@functools.lru_cache(maxsize=1)
def _case_outputs(names: tuple[str, ...]) -> dict[str, list[str]]:
    """Each case's lines in one ``check`` run of every case in ``names``."""
    printed = _invoke([*CASE_COMMAND, *(f"{CASES_DIR}/{name}" for name in names)])
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in printed.splitlines():
        header = _HEADER.match(line)
        if header and header[2].startswith(CASES_DIR + "/"):
            current = sections.setdefault(header[2].split("/")[3], [])
        elif not line.startswith(" "):
            current = None
        if current is not None:
            current.append(line)
    return sections


@functools.cache
def _command_output(args: str) -> list[str]:
    return _invoke(args.split()).splitlines()


def output_of(block: Block, every: list[Block] | None = None) -> list[str]:
    """What the block's command prints today (for a case: its own lines)."""
    if block.kind == "replaycheck":
        return _command_output(block.source)
    names = tuple(sorted({b.source for b in every or blocks() if b.kind == "case"}))
    sections = _case_outputs(names if block.source in names else (block.source,))
    assert block.source in sections, f"{block.name}: {CASES_DIR}/{block.source} printed nothing"
    return sections[block.source]


def _is_cut(line: str) -> bool:
    return line.strip() in _CUTS


def _shown(line: str) -> bool:
    return not _is_cut(line) and not line.startswith("$ ")


def _pattern(line: str, numbers: bool) -> re.Pattern[str]:
    """A shown line as a pattern: its ``…`` (and, if ``numbers``, its numbers) left open."""
    parts = []
    for piece in re.split(r"(…|\d+)", line.rstrip()):
        if piece == "…":
            parts.append(".*?")
        elif numbers and piece.isdigit():
            parts.append(r"(\d+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts) + ("" if line.rstrip().endswith("…") else "$"))


def _patterns(line: str, numbers: bool) -> list[re.Pattern[str]]:
    found = [_pattern(line, numbers)]
    if "..." in line:  # printed as such (the fix's `...  # the old code`), or text left out
        found.append(_pattern(line.replace("...", "…"), numbers))
    return found


def _matches(line: str, printed: str, numbers: bool = False) -> re.Match[str] | None:
    return next((m for p in _patterns(line, numbers) if (m := p.match(printed))), None)


def missing(block: Block, printed: list[str]) -> list[str]:
    """The block's shown lines not printed in its order (empty when the example holds)."""
    at, lost = 0, []
    for line in filter(_shown, block.lines):
        found = next((i for i in range(at, len(printed)) if _matches(line, printed[i])), None)
        if found is None:
            lost.append(line)
        else:
            at = found + 1
    return lost


def _renumbered(line: str, match: re.Match[str]) -> str:
    numbers = iter(match.groups())
    pieces = re.split(r"(\d+)", line)
    return "".join(next(numbers) if p.isdigit() else p for p in pieces)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _score(line: str, printed: str) -> tuple[int, str]:
    """How well a printed line stands for a shown one (0: not), and the line to show."""
    if _matches(line, printed):
        return 30, line
    if match := _matches(line, printed, numbers=True):
        return 20, _renumbered(line, match)
    if "…" in line or _indent(line) != _indent(printed):
        return 0, line
    ratio = difflib.SequenceMatcher(
        None, re.sub(r"\d+", "#", line), re.sub(r"\d+", "#", printed), autojunk=False
    ).ratio()
    return (int(10 * ratio), printed) if ratio >= _SIMILAR else (0, line)


def refreshed(block: Block, printed: list[str]) -> tuple[list[str], list[str]]:
    """The block's lines as printed today, and the shown lines no longer printed (dropped).

    The shown lines are paired with printed lines in order, the pairing that keeps the most
    lines (an exact one first, one whose numbers moved next, then the most alike).
    """
    shown = [i for i, line in enumerate(block.lines) if _shown(line)]
    scores = [[_score(block.lines[i], p) for p in printed] for i in shown]
    # best[a][b]: the best total pairing shown[a:] with printed[b:]
    best = [[0] * (len(printed) + 1) for _ in range(len(shown) + 1)]
    for a in range(len(shown) - 1, -1, -1):
        for b in range(len(printed) - 1, -1, -1):
            paired = scores[a][b][0] + best[a + 1][b + 1] if scores[a][b][0] else 0
            best[a][b] = max(paired, best[a + 1][b], best[a][b + 1])
    lines: list[str | None] = list(block.lines)
    dropped = []
    a = b = 0
    while a < len(shown):
        score = scores[a][b][0] if b < len(printed) else 0
        if score and best[a][b] == score + best[a + 1][b + 1]:
            lines[shown[a]] = scores[a][b][1]
            a, b = a + 1, b + 1
        elif b < len(printed) and best[a][b] == best[a][b + 1]:
            b += 1
        else:
            dropped.append(block.lines[shown[a]])
            lines[shown[a]] = None
            a += 1
    kept = [line for line in lines if line is not None]
    return _without_loose_cuts(kept), dropped


def _without_loose_cuts(lines: list[str]) -> list[str]:
    """No cut line next to another after dropping the lines between them."""
    kept: list[str] = []
    for line in lines:
        if not (_is_cut(line) and kept and _is_cut(kept[-1])):
            kept.append(line)
    return kept


def write(paths: tuple[Path, ...] | None = None) -> Iterator[str]:
    """Rewrite every marked block from the real output; yield what could not be kept."""
    every = blocks(paths)
    for path in sorted({b.path for b in every}):
        text = path.read_text()
        lines = text.splitlines()
        for block in sorted((b for b in every if b.path == path), key=lambda b: -b.first):
            new, dropped = refreshed(block, output_of(block, every))
            lines[block.first : block.first + len(block.lines)] = new
            for line in dropped:
                yield f"{block.name}: no longer printed, dropped: {line.strip()}"
            if still := missing(Block(path, block.first, tuple(new), block.kind, block.source),
                                output_of(block, every)):  # fmt: skip
                yield f"{block.name}: still not printed: {still}"
        path.write_text("\n".join(lines) + ("\n" if text.endswith("\n") else ""))


def _main(argv: list[str]) -> int:
    if argv == ["--write"]:
        for message in write():
            print(message, file=sys.stderr)
        return 0
    if argv:
        print("usage: python -m tests.docs_examples [--write]", file=sys.stderr)
        return 2
    failed = 0
    every = blocks()
    for block in every:
        for line in missing(block, output_of(block, every)):
            failed += 1
            print(f"{block.name}: not printed (in this order): {line.strip()}")
    print(f"{len(every)} marked blocks, {failed} lines not printed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
