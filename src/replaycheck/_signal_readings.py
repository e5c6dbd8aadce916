"""Which of the signals that arrived on the way to a divergence could explain it: one whose
handler issues commands, or writes state (attributes of ``self``) that the code's path to its
diverging command reads; or any, where the command the history recorded is one the code no
longer runs (an old handler may have issued it). A handler that cannot be read counts. For the
note of :func:`replaycheck._fix_text.fix`.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Collection, Iterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from replaycheck._nexus_readings import NEXUS_CALLS
from replaycheck._source import (
    FILES_KEPT,
    LOOPS,
    SourceFrame,
    end_line,
    function_at,
    innermost,
    name_of,
    parsed,
    statement_span,
)
from replaycheck._source_flow import COMMAND_CALLS, what_it_runs

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
COMMANDING = COMMAND_CALLS | NEXUS_CALLS | frozenset({
    "start_local_activity_class", "sleep", "continue_as_new", "patched", "deprecate_patch",
    "upsert_search_attributes", "upsert_memo", "create_task", "ensure_future", "gather",
    "wait", "wait_for", "cancel", "signal", "get_external_workflow_handle",
})  # fmt: skip
"""Calls that issue a command, or start a coroutine that may."""
COMPARED = frozenset({"id", "activity_id", "workflow_id", "activity", "workflow"})
"""Keyword arguments of a command call that core compares (or that name what it runs)."""
UNKNOWN_WRITES = frozenset({"setattr", "delattr", "vars", "__dict__", "exec", "eval"})


def with_relevant_signals(
    diagnosis: Diagnosis, handlers: Mapping[str | None, SourceFrame] | None
) -> Diagnosis:
    """``diagnosis`` with :attr:`~replaycheck.diagnose.Diagnosis.signals_relevant`: those of
    its signals whose handling could explain the divergence (``handlers``: the code's signal
    handlers by name, ``None`` among them a dynamic one; ``None``: unknown)."""
    if not diagnosis.signals:
        return diagnosis
    if not diagnosis.commanded_kind or handlers is None or _recorded_gone(diagnosis):
        return replace(diagnosis, signals_relevant=diagnosis.signals)
    relevant = tuple(
        entry
        for entry in diagnosis.signals
        if _may_explain(diagnosis, _handler_of(_signal_name(entry), handlers))
    )
    return replace(diagnosis, signals_relevant=relevant)


def _signal_name(entry: str) -> str:
    """``approve`` of ``signal 'approve' (event 9)``."""
    quoted = entry.removeprefix("signal ").rsplit(" (event", 1)[0]
    try:
        name = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted
    return name if isinstance(name, str) else quoted


def _handler_of(name: str, handlers: Mapping[str | None, SourceFrame]) -> SourceFrame | None:
    """The handler taking signal ``name`` (``None``: a dynamic one, or none: unknown)."""
    return handlers.get(name)


def _recorded_gone(d: Diagnosis) -> bool:
    """The history recorded a command the code no longer runs, where the code went on with
    another: a handler of the signal may have issued it before (a command removed from a
    handler reads just so)."""
    return d.change in ("reordered", "removed") and not (d.still_runs_later or d.seen_later)


def _may_explain(d: Diagnosis, handler: SourceFrame | None) -> bool:
    """Whether the handling of a signal whose handler is at ``handler`` could explain the
    divergence: it cannot be read, it issues commands, or what it writes decides the path."""
    found = None if handler is None else _handler_node(handler.file, handler.line, handler.function)
    if found is None:
        return True
    node, methods = found
    effects = _effects(node, _self_name(node), methods, set())
    if effects is None or effects[0]:
        return True
    return bool(effects[1]) and _path_reads(d, effects[1], methods)


def _handler_node(
    path: str, line: int, name: str
) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, dict[str, list[Any]]] | None:
    """The ``def`` of the handler ``name`` whose lines (decorators included) hold ``line``,
    and the methods of the classes of its file by name."""
    tree = parsed(path)
    if tree is None or not name:
        return None
    for node in ast.walk(tree):
        if isinstance(node, FUNCTIONS) and node.name == name:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= line <= end_line(node):
                return node, _methods(path, node.lineno)
    return None


def _methods(path: str, line: int) -> dict[str, list[Any]]:
    """The methods (properties too) of the class of ``path`` holding ``line`` and of its bases
    defined in that file, by name (none outside a class)."""
    tree = parsed(path)
    cls = None if tree is None else innermost(tree, line, (ast.ClassDef,))
    classes = _classes(path)
    found: dict[str, list[Any]] = {}
    todo, seen = [cls] if cls is not None else [], set()
    while todo:
        cls = todo.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        for node in cls.body:
            if isinstance(node, FUNCTIONS):
                found.setdefault(node.name, []).append(node)
        todo += [classes[b] for base in cls.bases if (b := name_of(base)) in classes]
    return found


@functools.lru_cache(maxsize=FILES_KEPT)
def _classes(path: str) -> dict[str, ast.ClassDef]:
    """The classes of ``path`` by name."""
    tree = parsed(path)
    nodes = ast.walk(tree) if tree is not None else ()
    return {node.name: node for node in nodes if isinstance(node, ast.ClassDef)}


def _self_name(function: ast.AST) -> str:
    """The name of a method's first parameter (``self``), '' for a function without one."""
    args = getattr(function, "args", None)
    positional = [*args.posonlyargs, *args.args] if args is not None else []
    return positional[0].arg if positional else ""


def _root_attr(node: ast.AST, me: str) -> str:
    """``items`` of ``self.items``, ``self.items[0].x``, ``self.items.append``; '' else."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        inner = node.func if isinstance(node, ast.Call) else node.value
        if isinstance(node, ast.Attribute) and isinstance(inner, ast.Name) and inner.id == me:
            return node.attr
        node = inner
    return ""


def _effects(
    function: Any, me: str, methods: dict[str, list[Any]], seen: set[int]
) -> tuple[bool, set[str]] | None:
    """``(issues commands, the attributes of self it writes)`` of a handler and the methods of
    self it calls; ``None`` when that cannot be told (``setattr``, ``global``, ``self`` passed
    on, a method of self not found)."""
    seen.add(id(function))
    commands, writes = False, set()
    for node in (n for statement in function.body for n in ast.walk(statement)):  # no decorators
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return None
        if isinstance(node, (ast.AsyncFor, ast.AsyncWith, ast.Await)):
            commands = commands or not _quiet_await(node, me)
        elif isinstance(node, (ast.Attribute, ast.Name)) and _name(node) in UNKNOWN_WRITES:
            return None
        elif isinstance(node, ast.Call):
            if name_of(node.func) in COMMANDING:
                commands = True
            if any(isinstance(a, ast.Name) and a.id == me for a in _arguments(node)):
                return None  # self passed on: anything may be written
            writes |= {r for a in _arguments(node) if (r := _root_attr(a, me))}  # f(self.items)
            called = _own_method(node.func, me)
            if called is not None:
                if called not in methods:
                    return None
                for method in methods[called]:
                    if id(method) not in seen:
                        more = _effects(method, _self_name(method), methods, seen)
                        if more is None:
                            return None
                        commands, writes = commands or more[0], writes | more[1]
            elif root := _root_attr(node.func, me):
                writes.add(root)  # self.items.append(x)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.expr):
            aliases = any(isinstance(t, ast.Name) for t in node.targets)
            writes |= _attrs_read(node.value, me) if aliases else set()  # items = self.items
        stored = isinstance(getattr(node, "ctx", None), (ast.Store, ast.Del))
        if stored and (root := _root_attr(node, me)):
            writes.add(root)
    return commands, writes


def _quiet_await(node: ast.AST, me: str) -> bool:
    """An ``await`` of ``wait_condition(...)`` (no command), or of a method of self (read in
    turn); not an ``async for`` or ``async with``."""
    value = node.value if isinstance(node, ast.Await) else None
    func = value.func if isinstance(value, ast.Call) else value
    if func is None:
        return False
    return name_of(func) == "wait_condition" or _own_method(func, me) is not None


def _name(node: ast.Attribute | ast.Name) -> str:
    return node.attr if isinstance(node, ast.Attribute) else node.id


def _arguments(call: ast.Call) -> list[ast.expr]:
    return [*call.args, *(k.value for k in call.keywords)]


def _own_method(func: ast.expr, me: str) -> str | None:
    """``m`` of a call ``self.m(...)``, else ``None``."""
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return func.attr if me and func.value.id == me else None
    return None


def _attrs_read(node: ast.AST, me: str) -> set[str]:
    """The attributes of ``me`` (``self``) that ``node`` reads (not those it only assigns)."""
    return {a for n in ast.walk(node) if _loads(n) and (a := _root_attr(n, me))} if me else set()


def _loads(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load)


def _path_reads(d: Diagnosis, written: set[str], methods: dict[str, list[Any]]) -> bool:
    """Whether the code's path to its diverging command reads any of ``written``: a condition
    of an ``if``, loop, ``match`` or ``with`` around it, one the code passed since its last
    matching command, a wait with a timeout on the way, or the statement itself (what it runs
    and the ids it gives, not its input: core compares no input), in any frame; through local
    variables and the methods and properties of self. Without frames: cannot tell."""
    if not d.location:
        return True
    for frame in d.location:
        function = function_at(frame.file, frame.line)
        if function is None:
            return True  # cannot tell
        known = {**methods}
        for name, more in _methods(frame.file, frame.line).items():
            known[name] = [*known.get(name, ()), *(m for m in more if m not in known.get(name, ()))]
        me = _self_name(function) if function in known.get(function.name, ()) else ""
        reads = _Reads(function, me, written, known)
        if any(reads.taint(expr, _inputs(expr)) for expr in _on_the_way(d, frame, function)):
            return True
    return False


def _inputs(node: ast.AST) -> set[int]:
    """The ids of the arguments of the command calls in ``node`` that core does not compare:
    the input and options of ``execute_activity(charge, order, ...)``, not what it runs or
    the ids it gives."""
    skipped: set[int] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and name_of(call.func) in COMMAND_CALLS:
            kept = {id(k.value) for k in call.keywords if k.arg in COMPARED}
            kept |= {id(a) for a in what_it_runs(call)}
            skipped |= {id(a) for a in _arguments(call) if id(a) not in kept}
    return skipped


def _on_the_way(d: Diagnosis, frame: SourceFrame, function: Any) -> Iterator[ast.AST]:
    """What the code evaluated in ``function`` on its way to the statement at ``frame``."""
    first, last = statement_span(frame.file, frame.line)
    since = next(
        (p.line for p in d.previous if (p.file, p.function) == (frame.file, frame.function)
         and function.lineno <= p.line < first),
        function.lineno,
    )  # fmt: skip
    for node in ast.walk(function):
        if not isinstance(node, ast.stmt) or node is function:
            continue
        if first <= node.lineno and end_line(node) <= last:
            yield node  # the statement itself
        elif node.lineno <= frame.line <= end_line(node) or since < node.lineno < first:
            yield from _headers(node)  # around it, or passed since the last match
            if since < node.lineno < first and _waits_with_timeout(node):
                yield node


def _headers(node: ast.stmt) -> Iterator[ast.AST]:
    """The expressions a compound statement decides its path by."""
    if isinstance(node, (ast.If, ast.While)):
        yield node.test
    elif isinstance(node, LOOPS):
        yield node.iter  # type: ignore[union-attr]
    elif isinstance(node, ast.Match):
        yield node.subject
        yield from (case.guard for case in node.cases if case.guard is not None)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        yield from (item.context_expr for item in node.items)


def _waits_with_timeout(node: ast.stmt) -> bool:
    """A simple statement awaiting ``wait_condition(..., timeout=...)``: whether it times out
    depends on when the state it waits for is set."""
    if not isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)):
        return False
    return any(
        isinstance(n, ast.Call) and name_of(n.func) == "wait_condition"
        and (len(n.args) > 1 or any(k.arg == "timeout" for k in n.keywords))
        for n in ast.walk(node)
    )  # fmt: skip


class _Reads:
    """Whether an expression of one function reads a written attribute of self: directly,
    through a method or property of self that does, or through a local variable assigned
    from one."""

    def __init__(
        self, function: Any, me: str, written: set[str], methods: dict[str, list[Any]]
    ) -> None:
        self.me, self.written, self.methods = me, written, methods
        self.locals: set[str] = set()
        self._method_reads: dict[str, bool] = {}
        for _ in range(10):  # assignments of tainted values, to a fixed point
            before = len(self.locals)
            for node in ast.walk(function):
                value, targets = _assigned(node)
                if value is not None and self.taint(value):
                    self.locals |= {n.id for t in targets for n in ast.walk(t)
                                    if isinstance(n, ast.Name)}  # fmt: skip
            if len(self.locals) == before:
                break

    def taint(self, node: ast.AST, skipped: Collection[int] = ()) -> bool:
        """Whether ``node`` reads a written attribute (not in the subtrees ``skipped``)."""
        for n in _walk(node, skipped):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in self.locals:
                return True
            attr = _root_attr(n, self.me) if _loads(n) else ""
            if attr and (attr in self.written or self._reads_written(attr)):
                return True
        return False

    def _reads_written(self, name: str) -> bool:
        """Whether the method or property ``name`` of self reads a written attribute."""
        if name not in self._method_reads:
            self._method_reads[name] = False  # recursion: not through itself
            self._method_reads[name] = any(
                _attrs_read(m, _self_name(m)) & self.written
                or any(self._reads_written(a) for a in _attrs_read(m, _self_name(m)))
                for m in self.methods.get(name, ())
            )
        return self._method_reads[name]


def _walk(node: ast.AST, skipped: Collection[int]) -> Iterator[ast.AST]:
    """``ast.walk`` without the subtrees whose ids are in ``skipped``."""
    todo = [node]
    while todo:
        n = todo.pop()
        if id(n) not in skipped:
            yield n
            todo.extend(ast.iter_child_nodes(n))


def _assigned(node: ast.AST) -> tuple[ast.AST | None, list[ast.expr]]:
    """The value and the targets of an assignment (a loop's iterable and target, a ``with``
    item and its name), else ``(None, [])``."""
    if isinstance(node, ast.Assign):
        return node.value, node.targets
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.NamedExpr)):
        return node.value, [node.target]
    if isinstance(node, (*LOOPS[:2], ast.comprehension)):
        return node.iter, [node.target]
    if isinstance(node, ast.withitem) and node.optional_vars is not None:
        return node.context_expr, [node.optional_vars]
    return None, []


__all__ = ["with_relevant_signals"]
