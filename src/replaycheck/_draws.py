"""Which ``workflow.random()`` / ``uuid4()`` draws can matter to a divergence.

A draw added, removed or moved changes every later value, and so maybe what the code did where
it diverged; but most workflows draw a ``uuid4()`` first thing, and a note naming that draw on
every diagnosis says nothing. The draws of the workflow task that diverged are named when one
can matter: it was taken after the code's last matching command (between the last agreement and
the divergence), or the diverging statement depends on one, through an id it passes
(``id=``, ``activity_id=``) or the condition of an ``if``, ``while`` or ``match`` around it that
reads a drawn value (or draws itself).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from replaycheck._commands import Command
from replaycheck._divergence import Divergence
from replaycheck._source import SourceFrame, end_line, function_at, statement_span

Draw = tuple[SourceFrame, int, int]
"""Where the code took a draw, the activation's history length, and how many commands the code
had issued before it."""

_ID_KEYWORDS = frozenset({"id", "activity_id", "workflow_id"})
"""Arguments holding the ids core compares."""
_DECIDING = (ast.If, ast.While, ast.IfExp, ast.Match)


def draws_that_matter(
    draws: Sequence[Draw],
    found: Divergence | None,
    issued: Sequence[Command] | None,
    task: int,
) -> tuple[str, ...]:
    """The draws of the activation ``task`` (``wf.py:40 in run``, each place once), when one
    of them can matter to the divergence ``found``; all of them without a capture of the
    code's commands to tell."""
    taken = [d for d in draws if d[1] == task]
    places = tuple(dict.fromkeys(frame.short() for frame, _, _ in taken))
    if not taken or found is None or issued is None:
        return places
    last = next((c for _, c in reversed(found.matched) if c is not None), None)
    position = next((i for i, x in enumerate(issued) if x is last), None)
    if position is not None and any(before > position for _, _, before in taken):
        return places
    commanded = found.commanded
    frames = commanded.frames if commanded is not None else ()
    drawn = [frame for frame, _, _ in taken]
    for file, line, _ in frames:
        if _depends(file, line, [f for f in drawn if f.file == file]):
            return places
    return ()


def _depends(file: str, line: int, drawn: Sequence[SourceFrame]) -> bool:
    """Whether the statement at ``line`` of ``file`` passes an id, or sits under a condition,
    that reads a value drawn at one of ``drawn`` (or draws there itself)."""
    function = function_at(file, line)  # None too when the file does not parse
    if function is None or not drawn:
        return False
    first, last = statement_span(file, line)
    reads: set[str] = set()
    lines: set[int] = set()
    for node in ast.walk(function):
        start, end = getattr(node, "lineno", 0), getattr(node, "end_lineno", 0) or 0
        if isinstance(node, ast.Call) and first <= start and end <= last:
            for keyword in node.keywords:
                if keyword.arg in _ID_KEYWORDS:
                    reads |= _read(keyword.value)
                    lines |= set(range(keyword.value.lineno, end_line(keyword.value) + 1))
        elif isinstance(node, _DECIDING) and start <= first and last <= end:
            test = node.subject if isinstance(node, ast.Match) else node.test
            reads |= _read(test)
            lines |= set(range(test.lineno, end_line(test) + 1))
    for frame in drawn:
        if frame.line in lines:
            return True
        at = statement_span(file, frame.line)[0]
        assigned = next(
            (n for n in ast.walk(function) if isinstance(n, ast.stmt)
             and getattr(n, "lineno", 0) == at and not isinstance(n, _DECIDING)),
            None,
        )  # fmt: skip
        if assigned is not None and _targets(assigned) & reads:
            return True
    return False


def _name(node: ast.AST) -> str:
    """``x`` or ``self.x`` (empty for another expression)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return f"{node.value.id}.{node.attr}"
    return ""


def _read(node: ast.AST) -> set[str]:
    return {name for n in ast.walk(node) if (name := _name(n))}


def _targets(statement: ast.stmt) -> set[str]:
    """The names (``x``, ``self.x``) a statement assigns."""
    targets: list[ast.expr]
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
        targets = [statement.target]
    else:
        return set()
    found: set[str] = set()
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        elif name := _name(target):
            found.add(name)
    return found
