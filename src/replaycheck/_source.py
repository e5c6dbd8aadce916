"""Where a command came from: recorded frames as files, lines and the statements they run."""

from __future__ import annotations

import ast
import functools
import linecache
import os
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from replaycheck._commands import RawFrame


@dataclass(frozen=True)
class SourceFrame:
    """One frame of workflow code."""

    file: str
    """Relative to the working directory when below it, else absolute."""
    line: int
    function: str
    code: str = ""
    """The statement at ``line``, dedented, possibly several lines (empty if unreadable)."""

    def short(self, *, full_path: bool = False) -> str:
        """``shared.py:104 in _step`` (``full_path``: the path as stored)."""
        name = self.file if full_path else os.path.basename(self.file)
        return f"{name}:{self.line} in {self.function}"


def source_frames(frames: Sequence[RawFrame]) -> tuple[SourceFrame, ...]:
    """Recorded frames with paths relative to the working directory and their statements."""
    return tuple(
        SourceFrame(file=display_file(file), line=line, function=function,
                    code=statement_source(file, line))
        for file, line, function in frames
    )  # fmt: skip


MAX_STATEMENT_LINES = 6


@functools.lru_cache(maxsize=256)
def statement_source(path: str, line: int) -> str:
    """The innermost simple statement covering ``line`` of ``path``, dedented ('' if unknown)."""
    lines = linecache.getlines(path)
    if not 0 < line <= len(lines):
        return ""
    first, last = _statement_spans(path).get(line, (line, line))
    if last - first >= MAX_STATEMENT_LINES:
        last = first
    return textwrap.dedent("".join(lines[first - 1 : last])).rstrip()


@functools.lru_cache(maxsize=32)
def _parsed(path: str) -> ast.Module | None:
    """The syntax tree of ``path`` (``None`` if it does not parse)."""
    try:
        return ast.parse("".join(linecache.getlines(path)))
    except (SyntaxError, ValueError):
        return None


@functools.lru_cache(maxsize=32)
def _statement_spans(path: str) -> dict[int, tuple[int, int]]:
    """For each line of ``path``, the span of the innermost simple statement covering it."""
    tree = _parsed(path)
    if tree is None:
        return {}
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.stmt) or isinstance(node, _COMPOUND):
            continue
        end = node.end_lineno or node.lineno
        for line in range(node.lineno, end + 1):
            best = spans.get(line)
            if best is None or end - node.lineno < best[1] - best[0]:
                spans[line] = (node.lineno, end)
    return spans


_COMPOUND = (
    ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
    ast.While, ast.With, ast.AsyncWith, ast.Try,
)  # fmt: skip


def mentioned_later(path: str, line: int, pattern: str) -> bool:
    """Whether ``pattern`` (a regex) occurs in the function holding ``line`` of ``path``,
    after the statement at ``line`` (e.g. whether a replaced activity still runs after it)."""
    return count_later(path, line, pattern) > 0


def count_later(path: str, line: int, pattern: str) -> int:
    """How often ``pattern`` occurs in the function holding ``line`` of ``path``, after the
    statement at ``line``, comments and patch ids left out."""
    import re

    lines = linecache.getlines(path)
    tree = _parsed(path)
    if tree is None:
        return 0
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.lineno <= line <= (node.end_lineno or node.lineno)
    ]
    if not functions:
        return 0
    body_end = min(functions, key=lambda f: (f.end_lineno or f.lineno) - f.lineno).end_lineno
    after = _statement_spans(path).get(line, (line, line))[1]
    code = "".join(_without_comments(tuple(lines))[after : body_end or after])
    code = re.sub(_PATCH_CALL, "", code)  # a patch id naming a command is not a call either
    return len(re.findall(pattern, code))


_PATCH_CALL = r"(?:patched|deprecate_patch)\(\s*[\"']([^\"']+)[\"']"


@functools.lru_cache(maxsize=32)
def _without_comments(lines: tuple[str, ...]) -> list[str]:
    """``lines`` with their ``#`` comments cut (a comment naming a command is not a call)."""
    import io
    import tokenize

    out = list(lines)
    try:
        for token in tokenize.generate_tokens(io.StringIO("".join(lines)).readline):
            if token.type == tokenize.COMMENT:
                row, col = token.start
                out[row - 1] = out[row - 1][:col] + "\n"
    except (tokenize.TokenError, SyntaxError):
        return list(lines)
    return out


def patch_ids_in_source(path: str) -> set[str]:
    """The literal ids ``path`` passes to ``patched()`` / ``deprecate_patch()``."""
    import re

    text = "".join(linecache.getlines(path))
    return set(re.findall(_PATCH_CALL, text))


def display_file(path: str) -> str:
    """``path`` relative to the working directory when it lies below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
