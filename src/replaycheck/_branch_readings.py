"""Which branch of an ``if``, a ``match`` or a conditional expression the code took, where the
history's command shows the execution took another: read from the source, for
:mod:`replaycheck._building` (the rest of what the source says is in :mod:`replaycheck._readings`).
"""

from __future__ import annotations

import ast
import linecache
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from replaycheck._branch_passed import passed_between, passed_running
from replaycheck._commands import KIND_LABELS, NAMED_KINDS, Command, RawFrame
from replaycheck._places import display_file, place_file
from replaycheck._readings import source_names, source_pattern, starting_pattern
from replaycheck._source import SourceFrame
from replaycheck._source_branches import (
    conditional_choice,
    other_branch_runs,
    returned_before_commands,
)
from replaycheck._source_branches import ending as ends_run
from replaycheck._source_flow import (
    bound_parameters,
    code_of,
    count_calls_later,
    later_lines,
    names_in,
    parameters_of,
    parameters_read,
    statement_calls,
    what_it_runs,
)
from replaycheck._source_taken import branch_taken, other_arm, site_span

if TYPE_CHECKING:
    from replaycheck._commands import HistoryCommands
    from replaycheck._divergence import Divergence
    from replaycheck.diagnose import Diagnosis


def other_branch(
    diagnosis: Diagnosis, h: Command | None, c: Command | None
) -> tuple[str, str, str, tuple[str, ...], bool] | None:
    """Where the code took the other branch of an ``if`` (a ``match``, a conditional
    expression, its arms on one line told apart by the column of ``c``'s call site) than the
    history did: the code's command in one branch, the recorded one in the other: ``(where,
    condition, kind, parameters, more)``, ``parameters`` being those of its function the
    condition reads (a caller's argument may have changed instead), ``more`` whether it reads
    anything else."""
    frame = diagnosis.gate_at
    if (
        diagnosis.change not in ("renamed", "replaced") or frame is None or h is None
        or c is None or h.kind not in NAMED_KINDS or not h.name or h.name == c.name
    ):  # fmt: skip
        return None
    at = min(diagnosis.gate_frame, len(c.frames) - 1)
    raw = c.frames[at]  # the gate_at frame, unshown
    names = source_names(h.name)
    if count_calls_later(raw[0], raw[1], names):  # the code's own path still runs it
        return None
    arm = other_arm(raw[0], raw[1], site_span(c.sites, at, raw[1]), names)
    if arm is not None:  # h's call in a conditional expression's other arm: not a rename
        found: tuple[int, str, str] | None = (*arm, "conditional expression")
    elif statement_calls(raw[0], raw[1], names):  # the same call, registered by another name
        return None
    else:
        found = other_branch_runs(raw[0], raw[1], names)
    if found is None:
        choice = conditional_choice(raw[0], raw[1], names)
        found = None if choice is None else (*choice, "conditional expression")
    if found is None:
        return None
    line, condition, kind = found
    read = "" if kind == "match" else condition  # a subject is shown, not traced to a caller
    params, more = parameters_read(read, parameters_of(raw[0], raw[1]))
    params = _chosen_by_caller(params, c.frames, min(diagnosis.gate_frame, len(c.frames) - 1))
    return f"{place_file(raw[0])}:{line} in {frame.function}", condition, kind, params, more


def taken_branch(
    diagnosis: Diagnosis, h: Command | None, c: Command | None
) -> tuple[Skipped, str] | None:
    """Where the code took a branch of an ``if`` around the statement that runs ``c`` (in the
    gate's frame, or in a helper it called), where this execution went past that ``if`` on to
    ``h``, which the code still runs after it (not in that branch): as :func:`skipped_branch`
    gives it (no branch skipped), and which branch the code took (``body`` or ``else``, a
    conditional expression's arm alike; a case of a ``match``, ``case``, the reading holding
    its pattern)."""
    if diagnosis.change not in ("renamed", "replaced") or h is None or c is None or not c.frames:
        return None
    pattern, gate = source_pattern(h), min(diagnosis.gate_frame, len(c.frames) - 1)
    if h.kind in NAMED_KINDS and statement_calls(*c.frames[gate][:2], source_names(h.name)):
        return None  # the same call, now registered by another name
    for at in range(gate, -1, -1) if pattern else ():  # the gate's frame, then its helpers'
        file, line, function = c.frames[at]
        then = _runs_later(c.frames[at + 1 :], pattern)  # after the call, in a caller
        span = site_span(c.sites, at, line)  # tells a conditional expression's arms apart
        found = branch_taken(file, line, pattern, alone=True, then=then, matches=True, span=span)
        if found is None or "patched(" in found.condition:  # a patch's gate: none changed
            continue
        kind = found.kind
        read = "" if kind == "match" else found.condition  # a subject is shown, not traced
        params, more = parameters_read(read, parameters_of(file, line))
        params = _chosen_by_caller(params, c.frames, at) if at == gate else ()
        where = f"{place_file(file)}:{found.line} in {function}"
        file = _elsewhere(diagnosis, c, file)
        reading = (where, found.condition, kind, params, more, "", "", found.case, file, "")
        return reading, found.branch
    return None


def _runs_later(frames: Sequence[RawFrame], pattern: str) -> bool:
    """Whether code that may run after the call in one of ``frames`` matches ``pattern``."""
    for file, line, _ in frames:
        later = later_lines(file, line)
        if later is not None and re.search(pattern, code_of(file, later[1])):
            return True
    return False


def _chosen_by_caller(
    params: tuple[str, ...], frames: Sequence[RawFrame], at: int
) -> tuple[str, ...]:
    """Those of ``params`` (of the function of ``frames[at]``) whose value its caller chooses:
    not those it passes its own parameters into unchanged (``self._prepare(request)`` in
    ``run(self, request)``: the workflow's input, the same for each replay of a history)."""
    if not params or at + 1 >= len(frames):
        return params
    callee, caller = (SourceFrame(*frames[i]) for i in (at, at + 1))
    through = bound_parameters(callee, caller, parameters_of(caller.file, caller.line))
    return tuple(p for p in params if p not in through)


def continue_branch(
    diagnosis: Diagnosis, h: Command | None, c: Command | None, last: Command | None
) -> tuple[str, str, str, tuple[str, ...], bool] | Skipped | None:
    """Where the code took another branch of an ``if`` holding a ``continue_as_new()`` (or a
    ``raise`` that fails the workflow) than the history did, as :func:`other_branch` gives it:
    the code continues as new (fails) where the history went on with ``h`` (which runs when
    that branch is not taken), or it went past the ``if`` on to ``c`` where the history
    continued as new (failed; ``last``: the code's last matching command). A ``match``'s
    case (a conditional expression's arm) around the ``continue_as_new()`` that the code now
    takes, or now goes past, reads alike, with its kind (and, as :func:`skipped_branch` gives
    it, the case's pattern: the case taken, or the case passed, as it reads now).
    When the code returned before that ``if`` instead (an ``if`` whose body returns), that
    one, read as :func:`skipped_branch` gives it (``after``)."""
    ending = _ending(h, c)
    if h is None or c is None or ending is None:
        return None
    if c.kind == ending:
        found = _continued_sooner(min(diagnosis.gate_frame, len(c.frames) - 1), h, c)
    else:
        found = _continued_later(c, last, ends_run(ending, h.name))
    if found is None:
        return None
    (file, line, function), at, (branch_at, condition, returns, kind, case) = found
    read = "" if kind == "match" else condition  # a subject is shown, not traced to a caller
    params, more = parameters_read(read, parameters_of(file, line))
    # the caller shown is c's frame's: not the if function's unless at is the gate's
    params = _chosen_by_caller(params, c.frames, at) if at == diagnosis.gate_frame else ()
    where = f"{place_file(file)}:{branch_at} in {function}"
    if returns:  # the code returned before the if with the continue-as-new (the raise)
        after = (_AFTER[returns], "", "", _elsewhere(diagnosis, c, file), "")
        return where, condition, "if", params, more, *after
    if case:  # a match's case around it: its pattern, for the fix's else
        return where, condition, kind, params, more, "", "", case, "", ""
    return where, condition, kind, params, more


_Found = tuple[tuple[str, int, str], int, tuple[int, str, str, str, str]]
"""The frame holding the ``if``, its index in the code's command's frames (-1: none), and the
``if``'s line and condition, how its body leaves when the code took it and left before
the ``if`` looked for (:attr:`~replaycheck._source_branches.Passed.returns`; '': none), its
kind (``if``, ``match``, ``conditional expression``) and a ``match``'s case ('': none)."""


ENDINGS = ("continue-as-new", "fail")
"""The kinds of command that end a run which an ``if`` around their statement may choose."""


def _ending(h: Command | None, c: Command | None) -> str | None:
    """The kind of :data:`ENDINGS` that one of ``h`` and ``c`` is and the other is not."""
    kinds = (h.kind if h else "", c.kind if c else "")
    return next((k for k in ENDINGS if (kinds[0] == k) != (kinds[1] == k)), None)


def _continued_sooner(at: int, h: Command, c: Command) -> _Found | None:
    """The ``if`` around the ``continue_as_new()`` (or the ``raise``) that issued ``c`` (its
    frame ``at``), when what runs if it is not taken may run ``h`` (a completion: anything)."""
    instead = None if h.kind == "complete" else source_pattern(h)
    if not c.frames or instead == "":
        return None
    if c.kind == "fail" and not linecache.getline(*c.frames[at][:2]).lstrip().startswith("raise"):
        return None  # an exception from a call (an activity's failure): no if chose it
    found = branch_taken(c.frames[at][0], c.frames[at][1], instead, matches=True)
    if found is None:
        return None
    return c.frames[at], at, (found.line, found.condition, "", found.kind, found.case)


def _continued_later(
    c: Command, last: Command | None, ends: Callable[[ast.AST], bool]
) -> _Found | None:
    """The ``if`` with what ``ends`` picks (a ``continue_as_new()`` call, a ``raise``) in a
    branch that the code passed, from its last matching command ``last`` on to ``c`` (or to
    its completion), as :func:`~replaycheck._branch_passed.passed_between` looks for it."""
    found = passed_between(c, last, lambda file: ends)
    if found is None:
        return None
    passed = found[2]  # a match (a conditional expression) passed: its kind, the case's pattern
    kind, case = ("if", "") if passed.returns else (passed.kind, passed.case)
    return found[0], found[1], (*passed[:2], passed.returns, kind, case)


def skipped_branch(
    diagnosis: Diagnosis, h: Command | None, c: Command | None, last: Command | None
) -> Skipped | None:
    """Where the code passed an ``if`` (a ``match``, a conditional expression) without taking
    the branch (case, arm) that runs ``h``, on its way from its last matching command ``last``
    to ``c`` (or to its completion), and runs ``h`` nowhere after: this execution took that
    branch and ran ``h`` there. ``(where, condition, kind, parameters, more, branch, outer,
    case, file, called)`` as :func:`other_branch` gives them (a ``match``'s condition: its subject),
    ``branch`` being ``body`` or ``else`` (which branch or arm runs ``h``; ``case`` for a
    ``match``; ``after`` for the code after an ``if`` whose body returns, which the code
    took); ``outer`` where the outermost ``if`` around it that the code passed too is
    ('' if none); ``case`` the pattern of a ``match``'s case not taken; ``file`` the file
    holding it when that is not the gate's (a helper of another module; else ''); ``called``
    the calls that reached the helper holding it, on neither command's stack (``wf.py:12 in
    run``, the innermost first; else '')."""
    if h is None or c is None or "continue-as-new" in (h.kind, c.kind) or h.kind == "complete":
        return None
    pattern = starting_pattern(h)  # a timer: a wait with a timeout starts one too
    if not pattern:
        return None
    names = source_names(h.name) if h.kind in NAMED_KINDS and h.name else set()
    found = passed_running(c, last, frozenset(names), pattern, diagnosis.run_starts_at)
    if found is None:
        return None
    (file, line, function), at, passed = found
    later = later_lines(c.frames[at][0], c.frames[at][1]) if at >= 0 else None
    if later is not None and re.search(pattern, code_of(file, later[1] - passed.lines)):
        return None  # the code runs h after c, other than in the if: moved, not skipped
    condition = passed.condition
    params, more = parameters_read(condition, parameters_of(file, line))
    params = _chosen_by_caller(params, c.frames, at) if at == diagnosis.gate_frame else ()
    where = f"{place_file(file)}:{passed.line} in {function}"
    outer = f"{place_file(file)}:{passed.outer} in {function}" if passed.outer else ""
    branch = "case" if passed.kind == "match" else "body" if passed.in_body else "else"
    branch = _AFTER.get(passed.returns, branch)
    elsewhere = _elsewhere(diagnosis, c, file)
    called = ", called from ".join(f"{place_file(f)}:{n} in {name}" for f, n, name in
                                   passed.called_from)  # fmt: skip
    case = passed.case
    return where, condition, passed.kind, params, more, branch, outer, case, elsewhere, called


def returned_then_changed(
    h: Command | None, c: Command | None, last: Command | None, ended: str
) -> tuple[Skipped, str] | None:
    """Where the code took an early return (an ``if`` whose body returns, in the function
    ``last``'s outermost frame is in) after ``last`` and completed (``c``), where the history
    ran ``h`` and its run did not complete (it ``ended`` in a continue-as-new or a failure:
    the execution cannot have returned there), when the code after that ``if`` no longer runs
    ``h`` (:func:`skipped_branch` finds nothing): as :func:`skipped_branch` gives it
    (``after``), and what the code after it runs first (``activity 'bill'``)."""
    if h is None or c is None or c.kind != "complete" or last is None or not last.frames:
        return None
    if ended not in ENDINGS or h.kind in ("complete", *ENDINGS):
        return None
    file, line, function = last.frames[-1]
    found = returned_before_commands(file, line)
    if found is None:
        return None
    passed, call = found
    where = f"{place_file(file)}:{passed.line} in {function}"
    skipped = (where, passed.condition, "if", (), False, "after", "", "", display_file(file), "")
    return skipped, _runs(call)


def _runs(call: ast.Call) -> str:
    """The command a call of :data:`~replaycheck._source_flow.COMMAND_CALLS` (or a sleep)
    issues, as :meth:`Command.describe` names it (``activity 'bill'``)."""
    func = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    func = func or (call.func.id if isinstance(call.func, ast.Name) else "")
    if "sleep" in func:
        return "a timer"
    kind = "child" if "child" in func else "local-activity" if "local" in func else "activity"
    runs = what_it_runs(call)
    target = runs[0] if runs else None
    if kind == "child" and isinstance(target, ast.Attribute):  # PackOrder.run
        target = target.value
    names = sorted(names_in(target)) if target is not None else []
    return Command(kind, names[-1]).describe() if len(names) == 1 else KIND_LABELS[kind]


_AFTER = {"return": "after", "continue": "continue", "break": "break"}
"""The :attr:`~replaycheck.diagnose.Diagnosis.branch_skipped` of an ``if`` whose body returns
(continues, breaks) that the code took."""


def _elsewhere(diagnosis: Diagnosis, c: Command, file: str) -> str:
    """``file`` as shown, when it is not the file of the gate's frame (else '')."""
    gate = c.frames[min(diagnosis.gate_frame, len(c.frames) - 1)][0] if c.frames else ""
    return "" if os.path.abspath(gate) == os.path.abspath(file) else display_file(file)


Skipped = tuple[str, str, str, tuple[str, ...], bool, str, str, str, str, str]
"""What :func:`skipped_branch` gives."""


def skipped_before_wait(
    diagnosis: Diagnosis, found: Divergence | None, history: HistoryCommands
) -> Diagnosis:
    """``diagnosis`` read as a skipped branch (:func:`skipped_branch`) where the code waits
    (:attr:`~replaycheck.diagnose.Diagnosis.waits_at`) past its last matching command and passed an
    ``if`` (a ``match``, a conditional expression) on its way there without taking the branch that
    runs what the history recorded (a timer made conditional before a ``wait_condition``); else
    unchanged."""
    from replaycheck._building_names import branch_ids, patch_ids_in_use

    if found is None or not diagnosis.waits_at or diagnosis.commanded_kind:
        return diagnosis
    last = next((x for _, x in reversed(found.matched) if x is not None and x.frames), None)
    frames = tuple((os.path.abspath(f.file), f.line, f.function) for f in diagnosis.waits_at)
    skipped = skipped_branch(diagnosis, found.recorded, Command("wait", frames=frames), last)
    if skipped is None:
        return diagnosis
    patch_id, _ = branch_ids(found.recorded, None, skipped=True)
    taken = patch_ids_in_use(history, diagnosis)
    return replace(as_branch(diagnosis, skipped, (patch_id, ""), taken), wait_old="")


def as_branch(
    diagnosis: Diagnosis,
    reading: tuple[str, str, str, tuple[str, ...], bool] | Skipped,
    patch_ids: tuple[str, str],
    taken: Collection[str],
    took: str = "",
) -> Diagnosis:
    """``diagnosis`` read as a branch taken otherwise (``reading`` as :func:`other_branch` and
    :func:`continue_branch` give it) or skipped (as :func:`skipped_branch` gives it), with
    ``patch_ids`` (the condition's gate, the second reading's) not among ``taken``; the
    readings of a move, a swap or an addition dropped. ``took``: the branch the code took
    where the execution went past the ``if`` (:func:`taken_branch`)."""
    from replaycheck._building_names import unused

    at, condition, kind, params, more = reading[:5]
    skipped, outer, case, file, called = reading[5:] or ("", "", "", "", "")
    return replace(
        diagnosis,
        change="branch",
        branch_at=at,
        branch_condition=condition,
        branch_kind=kind,
        branch_parameters=params,
        branch_reads_more=more,
        branch_skipped=skipped,
        branch_taken=took,
        branch_outer=outer,
        branch_case=case,
        branch_file=file,
        branch_called_from=called,
        patch_id=unused(patch_ids[0], taken),
        other_patch_id=unused(patch_ids[1], taken),
        still_runs_later=False,
        seen_later=False,
        added_block="",
        moved_too="",
        old_order=(),
        swapped="",
        swapped_within="",
    )
