"""The diagnosis reads a module's syntax tree once per line asked about no more: the functions
and loops of a tree are listed once (per tree, as parsed for the process), a text is split
into lines once for the source of its nodes, and every answer is the one a fresh walk (or
:func:`ast.get_source_segment`) gives."""

from __future__ import annotations

import ast
import linecache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from replaycheck._source import function_at, parsed
from replaycheck._source_flow import later_lines
from replaycheck._source_nodes import _MOST, nodes_of, source_segment
from tests.conftest import REPO

CHANGES = str(REPO / "tests" / "workflows" / "changes_v2.py")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _walked_innermost(tree: ast.AST, line: int) -> ast.AST | None:
    """The innermost function holding ``line``, by a walk of the whole tree."""
    found = [n for n in ast.walk(tree) if isinstance(n, FUNCTIONS)
             and n.lineno <= line <= (n.end_lineno or n.lineno)]  # fmt: skip
    return min(found, key=lambda n: (n.end_lineno or n.lineno) - n.lineno, default=None)


def _count_walks(monkeypatch: pytest.MonkeyPatch, *trees: ast.AST) -> list[ast.AST]:
    """The list every later ``ast.walk`` of one of ``trees`` is appended to."""
    walks: list[ast.AST] = []
    real_walk = ast.walk

    def counting_walk(node: ast.AST):  # type: ignore[no-untyped-def]
        if any(node is tree for tree in trees):
            walks.append(node)
        return real_walk(node)

    monkeypatch.setattr(ast, "walk", counting_walk)
    return walks


def test_function_at_walks_a_large_module_once_and_answers_as_a_walk_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tree = parsed(CHANGES)
    assert tree is not None
    lines = range(1, len(linecache.getlines(CHANGES)) + 1, 3)
    expected = [_walked_innermost(tree, n) for n in lines]
    walks = _count_walks(monkeypatch, tree)
    assert [function_at(CHANGES, n) for n in lines] == expected
    for n in lines[::20]:
        later_lines(CHANGES, n)
    # 700 lines asked about: the module walked once for its functions, once for its statements
    assert len(walks) <= 2


def test_a_file_parsed_again_is_read_as_it_is_now(tmp_path: Path) -> None:
    # A tree is listed once; a file parsed again (another content) gets its own listing.
    path = tmp_path / "wf.py"
    path.write_text("async def run(order):\n    await audit(order)\n")
    first = function_at(str(path), 2)
    assert first is not None and first.name == "run"
    path.write_text("async def main(order):\n    await charge(order)\n")
    linecache.checkcache(str(path))
    parsed.cache_clear()
    again = function_at(str(path), 2)
    assert again is not None and again.name == "main"


SEPARATORS = ("\n", "\r\n", "\r", "\x0c\n", " \\\n  ")


@given(
    st.lists(st.tuples(st.sampled_from(("x = (1,", " 2)", "y = 'é' + 'ü'", "f(a,", "b)")),
                       st.sampled_from(SEPARATORS)), min_size=1, max_size=8)
)  # fmt: skip
def test_a_nodes_source_is_what_ast_gives(parts: list[tuple[str, str]]) -> None:
    # The text is split into lines once per text; each node's source is ast's, whatever the
    # line endings (a form feed is no line break for ast), non-ASCII columns included.
    source = "".join(code + end for code, end in parts)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        assert source_segment(source, node) == ast.get_source_segment(source, node)


def test_every_nodes_source_of_a_large_module_is_what_ast_gives() -> None:
    source = "".join(linecache.getlines(CHANGES))
    nodes = list(ast.walk(ast.parse(source)))
    for node in nodes[::97]:  # ast splits the text again for each one: a sample
        assert source_segment(source, node) == ast.get_source_segment(source, node)


def test_the_class_of_each_method_calling_self_is_found_without_walking_the_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each self.name(...) call asked about looks up the class holding its method among the
    # module's classes, listed once, not by walking the whole module again.
    from replaycheck._source_helpers import called

    tree = parsed(CHANGES)
    assert tree is not None
    methods = [(c, f) for c in tree.body if isinstance(c, ast.ClassDef)
               for f in c.body if isinstance(f, FUNCTIONS)]  # fmt: skip
    asked = [(c, f, n) for c, f in methods for n in ast.walk(f) if isinstance(n, ast.Call)
             and getattr(getattr(n.func, "value", None), "id", "") == "self"]  # fmt: skip
    assert len(asked) > 10
    walks = _count_walks(monkeypatch, tree)
    found = [called(CHANGES, f, n) for _, f, n in asked]
    assert len(walks) <= 1
    # each found where the class holding the calling method defines it (or a base does)
    own = [(c, f, n, x) for (c, f, n), x in zip(asked, found, strict=True)
           if x is not None and x[0] == CHANGES and x[1] in c.body]  # fmt: skip
    assert len(own) > 10


def test_a_tree_still_asked_about_stays_listed_however_many_others_are(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker diagnosing a large corpus lists more trees than it keeps: those it keeps asking
    # about stay listed (the least recently used go first), and what it keeps stays bounded.
    kept = ast.parse("async def run(order):\n    await audit(order)\n")
    left = ast.parse("async def main(order):\n    await charge(order)\n")
    nodes_of(kept, FUNCTIONS)
    nodes_of(left, FUNCTIONS)
    walks = _count_walks(monkeypatch, kept, left)
    for n in range(2 * _MOST + 1):
        nodes_of(ast.parse(f"def f{n}(): pass"), FUNCTIONS)
        if n % 100 == 0:
            assert [f.name for f, _, _ in nodes_of(kept, FUNCTIONS)] == ["run"]
    assert walks == []  # the one asked about all along was never walked again
    assert [f.name for f, _, _ in nodes_of(left, FUNCTIONS)] == ["main"]
    assert walks == [left]  # the one left was dropped, and listed again when asked


def test_the_imports_of_a_large_module_are_listed_once_for_every_name_asked_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every name a call starts with (a local variable, a module, an imported helper) is asked
    # about: the module's imports are listed once, not the module walked again per name.
    from replaycheck._source_imports import imported_name, module_named

    tree = parsed(CHANGES)
    assert tree is not None
    names = sorted({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)})
    assert len(names) > 50
    imported_name.cache_clear()
    module_named.cache_clear()
    walks = _count_walks(monkeypatch, tree)
    found = {name: imported_name(CHANGES, name) for name in names}
    modules = [module_named(CHANGES, name) for name in names]
    assert len(walks) <= 1
    helpers = str(REPO / "tests" / "workflows" / "changes_helpers.py")
    assert found["audit_vip"] == (helpers, "audit_vip")
    assert found["workflow"] is None and found["asyncio"] is None  # not the workflow's own
    assert modules == [None] * len(names)  # it imports no module of its own by name


def test_a_project_of_forty_modules_is_parsed_once_per_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker diagnosing the histories of a project's 40 workflow modules, in turn, reads each
    # module's tree and statements once, not again for each history once 32 were read.
    from replaycheck._source import statement_span

    files = []
    for n in range(40):
        path = tmp_path / f"wf{n}.py"
        path.write_text(f"async def run{n}(order):\n    await audit(\n        order,\n    )\n")
        files.append(str(path))
    parses, walks = [], []
    real_parse, real_walk = ast.parse, ast.walk

    def counting_parse(source, *args, **kwargs):  # type: ignore[no-untyped-def]
        parses.append(source)
        return real_parse(source, *args, **kwargs)

    def counting_walk(node: ast.AST):  # type: ignore[no-untyped-def]
        if isinstance(node, ast.Module):
            walks.append(node)
        return real_walk(node)

    monkeypatch.setattr(ast, "parse", counting_parse)
    monkeypatch.setattr(ast, "walk", counting_walk)
    for _ in range(3):  # three histories of each workflow, in turn
        for file in files:
            assert statement_span(file, 3) == (2, 4)
            found = function_at(file, 3)
            assert found is not None and found.name.startswith("run")
    assert len(parses) == len(files)
    assert len(walks) <= 2 * len(files)  # its statements and its functions, each listed once
