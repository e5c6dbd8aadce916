"""The nodes of some kinds in a syntax tree, walked once per tree, not once per line asked
about: what :func:`replaycheck._source.innermost` (``function_at``, ``later_lines``) filters,
and the class holding a method; and a node's source, the text split into lines once."""

from __future__ import annotations

import ast
import functools
import re
from typing import Any

_MOST = 4096
"""Listings kept, the least recently used dropped first: many diagnoses in one worker stay
bounded, and the trees they keep asking about stay listed however many others were."""


@functools.lru_cache(maxsize=_MOST)
def nodes_of(tree: ast.AST, kinds: tuple[type, ...]) -> tuple[tuple[Any, int, int], ...]:
    """The nodes of ``tree`` of one of ``kinds``, in :func:`ast.walk`'s order, each with its
    first and last lines. Kept by the tree itself (a node is its own key, so an id is never
    reused while kept): trees are never changed, and :func:`~replaycheck._source.parsed` gives
    one tree per file for the process (a file edited between runs is read again by the next
    process)."""
    found = [n for n in walked(tree) if isinstance(n, kinds)]
    return tuple((n, int(getattr(n, "lineno", 0)), end_line(n)) for n in found)


@functools.lru_cache(maxsize=_MOST)
def walked(tree: ast.AST) -> tuple[Any, ...]:
    """Every node of ``tree`` (``tree`` first), in :func:`ast.walk`'s order, walked once per
    tree, not once per question asked of it: a failing history's diagnosis asks dozens of
    questions of the functions it passed through, and a run with many histories failing at the
    same code asks them again of the same functions. Kept as :func:`nodes_of` keeps its
    listings (the trees are never changed)."""
    return tuple(ast.walk(tree))


def class_of(tree: ast.AST, function: Any) -> ast.ClassDef | None:
    """The class of ``tree`` whose body holds ``function`` (a method), found among the classes
    :func:`nodes_of` lists once per tree, not by a walk of ``tree`` per call asked about."""
    line = int(getattr(function, "lineno", 0))
    return next((c for c, first, last in nodes_of(tree, (ast.ClassDef,)) if first <= line <= last
                 and any(s is function for s in c.body)), None)  # fmt: skip


def end_line(node: Any) -> int:
    """The last line of ``node`` (its first when it tells no last; 0 when neither)."""
    end = getattr(node, "end_lineno", None) or getattr(node, "lineno", 0)
    return end if isinstance(end, int) else 0


def source_segment(source: str, node: ast.AST) -> str | None:
    """What :func:`ast.get_source_segment` gives (not padded), ``source`` split into lines
    once, not once per node asked about (every call of a large module, say)."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return None
    if end is None:
        return None
    lines = _lines(source)
    if first == last:
        return str(lines[first].encode()[start:end].decode())
    head = lines[first].encode()[start:].decode()
    tail = lines[last].encode()[:end].decode()
    return "".join([head, *lines[first + 1 : last], tail])


@functools.lru_cache(maxsize=8)
def _lines(source: str) -> list[str]:
    """``source``'s lines as :mod:`ast` splits them (at ``\\r\\n``, ``\\r`` or ``\\n`` only,
    not at a form feed), each with its end."""
    return _LINE.findall(source)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
