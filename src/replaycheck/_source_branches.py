"""Which branch of an ``if``, a ``match`` or a conditional expression runs a statement, and
which ``if`` the code passed on its way between two statements (or took to return early):
read from a function's source, for :mod:`replaycheck._branch_readings` (what runs after a
statement is :mod:`replaycheck._source_flow`'s; the helpers a function calls,
:mod:`replaycheck._source_helpers`'; the ``if`` the code took around a statement,
:mod:`replaycheck._source_taken`').
"""

from __future__ import annotations

import ast
import linecache
import re
from collections.abc import Callable
from typing import NamedTuple

from replaycheck._source import LOOPS, end_line, function_at, innermost, parsed, statement_span
from replaycheck._source_flow import (
    COMMAND_CALLS,
    calls_one,
    covers,
    later_lines,
    lines_on_its_path,
    names_in,
    what_it_runs,
)
from replaycheck._source_nodes import source_segment, walked


def other_branch_runs(path: str, line: int, names: set[str]) -> tuple[int, str, str] | None:
    """The innermost ``if`` (or ``match``) with ``line`` in one branch and a call of one of
    ``names`` in another: ``(its line, the source of its condition (a match's subject), "if" or
    "match")``, else ``None``. The code took another branch than the history did: the
    condition (or what it reads) changed."""
    tree = parsed(path)
    if tree is None:
        return None
    source = "".join(linecache.getlines(path))
    found = []
    for node in walked(tree):
        if isinstance(node, ast.If):
            branches = [node.body, node.orelse]
        elif isinstance(node, ast.Match):
            branches = [case.body for case in node.cases]
        else:
            continue
        mine = [b for b in branches if covers(b, line)]
        if not mine:
            continue
        others = [stmt for b in branches if b is not mine[0] for stmt in b]
        calls = [n for stmt in others for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        if any(calls_one(call, names) for call in calls):
            found.append(node)
    if not found:
        return None
    node = min(found, key=lambda n: end_line(n) - n.lineno)
    test = node.test if isinstance(node, ast.If) else node.subject
    kind = "if" if isinstance(node, ast.If) else "match"
    return node.lineno, source_segment(source, test) or "", kind


class Passed(NamedTuple):
    """An ``if`` (a ``match``, a conditional expression) the code passed without taking one
    of its branches (cases, arms)."""

    line: int
    condition: str
    """Its condition's source (a ``match``'s: its subject's)."""
    in_body: bool
    """Whether the branch not taken is its body (else its ``else``; a conditional
    expression's arms alike; a ``match``: ``True``)."""
    lines: frozenset[int]
    """The lines of the branch not taken."""
    outer: int = 0
    """The line of the outermost ``if`` around it that the code passed too (0: none): the
    code may have passed that one's branch instead."""
    kind: str = "if"
    """``if``, ``match`` or ``conditional expression``."""
    case: str = ""
    """A ``match``: the pattern of the case not taken, and its guard (``"gold" if vip``)."""
    returns: str = ""
    """An ``if`` whose body returns (``if not vip: return``; ``continue`` or ``break`` in a
    loop) that the code took: ``return``, ``continue`` or ``break``; what it skipped is the
    code after it (:attr:`lines`: to the end of the function, or of the loop), not a branch."""
    called_from: tuple[tuple[str, int, str], ...] = ()
    """In a helper on neither command's stack: the calls that reached it, ``(file, line,
    function)`` of each, the innermost first (the call in the function the code was in last)."""


def passed_branch(
    path: str, after: int | None, to: int | None, runs: Callable[[ast.AST], bool], start: int = 0
) -> Passed | None:
    """The ``if`` (``match``, conditional expression) with a call (or a ``raise``) that ``runs``
    says runs the command looked for in a branch (case, arm) that the code passed without taking
    that branch on its way from the statement at ``after`` (``None``: from the start of the function
    holding ``to``, or ``start`` when ``to`` is ``None``) to the one at ``to`` of the same function
    (``None``: to its end, completing):
    the ``if`` runs between the two (around a loop holding both, if need be), and ``to`` is not in
    that branch."""
    if after is None:
        found = lines_on_its_path(path, start if to is None else to) if to or start else None
        if found is None:
            return None
        function, later = found
        last, loop = min(later) - 1, None
    else:
        found = later_lines(path, after)
        if found is None:
            return None
        function, later = found
        first, last = statement_span(path, after)
        loop = innermost(function, after, LOOPS)
        if loop is not None:  # its next iteration may skip the statement itself
            later |= set(range(first, last + 1))
    if to is not None and to not in later and not (loop and loop.lineno <= to <= end_line(loop)):
        return None

    def order(n: int) -> int:
        """Run order: what precedes ``after`` in a loop runs in its next iteration, and what
        follows the loop runs after it, maybe after more iterations."""
        if loop is not None and n > end_line(loop):
            return n + (1 << 31)
        return n if n > last else n + (1 << 30)

    calls = [n for n in walked(function) if isinstance(n, ast.stmt | ast.expr) and runs(n)]
    for call in sorted((n for n in calls if n.lineno in later), key=lambda n: order(n.lineno)):
        held = held_in(function, call)
        if held is None:  # the code left the function (by an early return?) or the loop's body
            held = _left_before(function, call, to)
        elif to is None:  # it completed: it cannot have gone past an if followed by a command
            held = _returned_sooner(function, held, later) or held
        if held is None or held.node.lineno not in later:
            continue
        if to is None or (order(held.node.lineno) < order(to) and to not in held.lines):
            outer = _outer_if(function, held.node, later, to)
            source = "".join(linecache.getlines(path))
            return held.passed(source, outer)
    return None


_Choice = ast.If | ast.Match | ast.IfExp


class _Held(NamedTuple):
    """The innermost ``if``, ``match`` or conditional expression with a call in one of its
    branches (cases, arms), and that branch."""

    node: _Choice
    branch: list[ast.stmt] | ast.match_case | ast.expr
    lines: frozenset[int]
    returns: str = ""
    """``node`` is an ``if`` whose body returns (``continue``, ``break``: which), before the
    call: ``branch`` is its (empty) ``else``, ``lines`` what follows it to the end of the
    function (of the loop)."""

    def passed(self, source: str, outer: int) -> Passed:
        """The :class:`Passed` of the code passing ``node`` without taking ``branch``."""
        node, branch = self.node, self.branch
        if isinstance(node, ast.Match) and isinstance(branch, ast.match_case):
            case = source_segment(source, branch.pattern) or ""
            if branch.guard is not None:
                case += f" if {source_segment(source, branch.guard) or ''}"
            subject = source_segment(source, node.subject) or ""
            return Passed(node.lineno, subject, True, self.lines, outer, "match", case)
        assert not isinstance(node, ast.Match)
        condition = source_segment(source, node.test) or ""
        kind = "if" if isinstance(node, ast.If) else "conditional expression"
        in_body = branch is node.body
        return Passed(node.lineno, condition, in_body, self.lines, outer, kind, "", self.returns)


def held_in(function: ast.AST, call: ast.AST) -> _Held | None:
    """The innermost ``if`` (``match``, conditional expression) of ``function`` with ``call``
    in one of its branches (cases, arms; not in its condition or subject)."""
    found: list[_Held] = []
    for node in walked(function):
        if isinstance(node, ast.If):
            branches: list[list[ast.stmt] | ast.match_case | ast.expr] = [node.body, node.orelse]
        elif isinstance(node, ast.Match):
            branches = list(node.cases)
        elif isinstance(node, ast.IfExp):
            branches = [node.body, node.orelse]
        else:
            continue
        for branch in branches:
            nodes = branch.body if isinstance(branch, ast.match_case) else branch
            inside = nodes if isinstance(nodes, list) else [nodes]
            if any(call is n for part in inside for n in ast.walk(part)):
                lines = frozenset(range(inside[0].lineno, end_line(inside[-1]) + 1))
                found.append(_Held(node, branch, lines))
    # the innermost: the fewest lines, and of those an expression's arm (within a statement)
    return min(
        found,
        key=lambda h: (end_line(h.node) - h.node.lineno, not isinstance(h.node, ast.IfExp)),
        default=None,
    )


EXITS = ("return", "continue", "break")
"""How the body of an ``if`` may leave what follows it (:func:`returned_before`)."""


def returned_before(
    function: ast.AST, call: ast.AST, exits: tuple[str, ...] = EXITS
) -> _Held | None:
    """The nearest ``if`` before ``call`` in a block around it whose body ends in a
    ``return`` (``continue``, ``break`` in the innermost loop around ``call``: of ``exits``)
    and which has no ``else`` (``if not vip: return``): the code may have taken it, and left
    before ``call``."""
    loop = innermost(function, getattr(call, "lineno", 0), LOOPS)
    found: list[tuple[ast.If, str]] = []
    for node in walked(function):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list) or not block or not isinstance(block[0], ast.stmt):
                continue
            at = next((i for i, s in enumerate(block) if any(call is n for n in ast.walk(s))), 0)
            for s in block[:at]:
                how = _exits(s)
                if how == "return" or (how and innermost(function, s.lineno, LOOPS) is loop):
                    found += [(s, how)] if how in exits else []
    if not found:
        return None
    node, how = max(found, key=lambda p: p[0].lineno)
    last = end_line(function) if how == "return" or loop is None else end_line(loop)
    rest = frozenset(range(end_line(node) + 1, last + 1))
    return _Held(node, node.orelse, rest, returns=how)


def returned_before_commands(path: str, after: int) -> tuple[Passed, ast.Call] | None:
    """The ``if`` whose body returns that the code took after the statement at ``after``,
    where it completed with no command after that one: the first command call after it is held
    by no ``if`` and comes after that ``if`` (``if new: return``, then ``execute_activity(bill,
    ...)``); and that call."""
    calls: list[ast.Call] = []

    def runs(node: ast.AST) -> bool:
        issues = isinstance(node, ast.Call) and bool(names_in(node.func) & _ISSUING)
        calls.extend([node] if isinstance(node, ast.Call) and issues else [])
        return issues

    found = passed_branch(path, after, None, runs)
    if found is None or found.returns != "return":
        return None
    after_it = [c for c in calls if c.lineno in found.lines]
    return (found, min(after_it, key=lambda c: c.lineno)) if after_it else None


_ISSUING = COMMAND_CALLS | {"sleep"}
"""The calls :func:`returned_before_commands` looks for after an early return."""


def _left_before(function: ast.AST, call: ast.AST, to: int | None) -> _Held | None:
    """:func:`returned_before` ``call``: the code went on to ``to`` (``None``: it completed) from
    there, so an ``if`` whose body returns only when ``to`` is in that body (the code took it,
    ran ``to`` and returned: ``if new: return await ...(bill, ...)``)."""
    held = returned_before(function, call)
    if to is None or held is None or held.returns != "return":
        return held
    if isinstance(held.node, ast.If) and covers(held.node.body, to):
        return held
    return returned_before(function, call, EXITS[1:])


_EXIT_STATEMENTS = {ast.Return: "return", ast.Continue: "continue", ast.Break: "break"}


def _exits(node: ast.stmt) -> str:
    """``return``, ``continue`` or ``break``: how an ``if`` without ``else`` whose body ends
    in one leaves; else ''."""
    if not isinstance(node, ast.If) or node.orelse:
        return ""
    return _EXIT_STATEMENTS.get(type(node.body[-1]), "")


def _returned_sooner(function: ast.AST, held: _Held, later: set[int]) -> _Held | None:
    """An ``if`` whose body returns before ``held``'s ``if``, when the code cannot have
    passed ``held``'s and completed: the statement after that one issues a command
    (``return await workflow.execute_activity(charge, ...)``). The code returned there."""
    early = returned_before(function, held.node, ("return",))
    if early is None or early.node.lineno not in later:
        return None
    following = [
        block[i + 1]
        for node in walked(function)
        for name in ("body", "orelse", "finalbody")
        for block in [getattr(node, name, None)] if isinstance(block, list)
        for i, s in enumerate(block[:-1]) if s is held.node
    ]  # fmt: skip
    return early if following and _issues_command(following[0]) else None


def _issues_command(node: ast.stmt) -> bool:
    """Whether ``node``, a simple statement, calls one of :data:`COMMAND_CALLS`."""
    return not isinstance(node, _COMPOUND) and any(
        isinstance(n, ast.Call) and bool(names_in(n.func) & COMMAND_CALLS) for n in ast.walk(node)
    )


_COMPOUND = (ast.If, ast.Match, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith)


def _outer_if(function: ast.AST, node: _Choice, later: set[int], to: int | None) -> int:
    """The line of the outermost ``if`` of ``function`` with ``node`` in a branch, in
    ``later`` and without ``to`` in that branch (0: none)."""
    outer = [
        n.lineno
        for n in walked(function) if isinstance(n, ast.If) and n is not node
        for branch in (n.body, n.orelse)
        if covers(branch, node.lineno) and n.lineno in later
        and (to is None or not covers(branch, to))
    ]  # fmt: skip
    return min(outer, default=0)


def continues(node: ast.AST) -> bool:
    """Whether ``node`` is a ``workflow.continue_as_new(...)`` call."""
    return isinstance(node, ast.Call) and "continue_as_new" in names_in(node.func)


def ending(kind: str, message: str) -> Callable[[ast.AST], bool]:
    """Picks what ends a run as a history recorded it: a ``continue_as_new()`` call for kind
    ``continue-as-new``, else a ``raise`` that may have failed it with ``message``."""
    return continues if kind == "continue-as-new" else raises(message)


def raises(message: str) -> Callable[[ast.AST], bool]:
    """Picks a ``raise`` that may have failed the workflow with ``message``: not a bare
    ``raise`` (what it re-raises came from elsewhere), and with that message when the
    exception is built from a string or an f-string."""

    def pick(node: ast.AST) -> bool:
        if not isinstance(node, ast.Raise) or node.exc is None:
            return False
        exc = node.exc
        text = exc.args[0] if isinstance(exc, ast.Call) and exc.args else None
        if isinstance(text, ast.Constant) and isinstance(text.value, str):
            return text.value == message
        if isinstance(text, ast.JoinedStr):
            parts = (
                re.escape(str(v.value)) if isinstance(v, ast.Constant) else ".*"
                for v in text.values
            )
            return re.fullmatch("".join(parts), message, re.DOTALL) is not None
        return True

    return pick


def conditional_choice(path: str, line: int, names: set[str]) -> tuple[int, str] | None:
    """A conditional expression choosing what the call at ``line`` runs, with one of
    ``names`` in an arm: ``execute_activity(bill if vip else charge, ...)``, or through a
    variable assigned one (``step = bill if vip else charge``). ``(its line, its condition)``."""
    function = function_at(path, line)
    if function is None:
        return None
    source = "".join(linecache.getlines(path))
    first, last = statement_span(path, line)
    args = [
        arg
        for call in walked(function)
        if isinstance(call, ast.Call) and first <= call.lineno <= last
        for arg in what_it_runs(call)
    ]
    choices = [a for a in args if isinstance(a, ast.IfExp)]
    variables = {a.id for a in args if isinstance(a, ast.Name)}
    latest: dict[str, ast.expr | None] = {}  # each variable's last assignment before the call
    assigns = (ast.Assign, ast.AnnAssign, ast.AugAssign)
    found = [n for n in walked(function) if isinstance(n, assigns) and n.lineno < first]
    for node in sorted(found, key=lambda n: n.lineno):  # step = ..., step: Any = ...
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in variables:
                latest[target.id] = None if isinstance(node, ast.AugAssign) else node.value
    choices += [value for value in latest.values() if isinstance(value, ast.IfExp)]
    for choice in choices:
        if names_in(choice.body) & names or names_in(choice.orelse) & names:
            return choice.lineno, source_segment(source, choice.test) or ""
    return None
