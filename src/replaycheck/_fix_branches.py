"""A branch taken otherwise, or skipped: why (the explanation), and the fix gating its
condition (or the argument a caller passes deciding it), for :mod:`replaycheck._fix_text`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from replaycheck._fix_cases import arguments, keyword_source, old_code, statement_at
from replaycheck._places import place_file
from replaycheck._source import SourceFrame
from replaycheck._source_branches import ending
from replaycheck._source_flow import branch_holding, in_body_of

if TYPE_CHECKING:
    from replaycheck.diagnose import Diagnosis


def branch_frame(d: Diagnosis) -> SourceFrame | None:
    """``branch``: the ``if`` whose condition the fix gates, when it is in the file of
    :attr:`~replaycheck.diagnose.Diagnosis.gate_at` (``branch_at`` names the file only) or
    in :attr:`~replaycheck.diagnose.Diagnosis.branch_file`."""
    frame = d.gate_at or (d.waits_at[0] if d.waits_at else None)
    name, _, rest = d.branch_at.partition(":")
    line, _, function = rest.partition(" in ")
    if d.branch_file and line.isdigit():
        return SourceFrame(d.branch_file, int(line), function)
    if frame is None or not line.isdigit() or name != place_file(frame.file):
        return None
    return SourceFrame(frame.file, int(line), function)


def branch_explanation(d: Diagnosis, rec: str, com: str) -> str:
    """Why the code took another branch of an ``if`` (a ``match``, a conditional expression)
    than the history did: ``rec`` is what the history recorded, ``com`` what the code
    commanded."""
    what = d.branch_kind or "if"
    caller = d.branch_caller
    match = d.branch_kind == "match"
    chose = "the subject or the patterns" if match else "the condition"
    reads = "what they read" if match else "what it reads"
    why = f"{chose}, or {reads}, changed"
    if caller is not None:
        why = (
            f"the {arguments(d.branch_parameters)} that {caller.function} passes at "
            f"{caller.short()}, or {chose}, changed"
        )
    at = d.branch_at + (f" (called from {d.branch_called_from})" if d.branch_called_from else "")
    if d.branch_skipped:
        goes = "completes" if d.commanded_kind == "complete" else f"goes on with {com}"
        if not d.commanded_kind and d.waits_at:
            goes = f"waits at {d.waits_at[0].short()}"
        outer = f" (or the if at {d.branch_outer} around it)" if d.branch_outer else ""
        if d.branch_skipped in _LEFT:
            left, rest = _LEFT[d.branch_skipped]
            runs, ran = f"runs {rec}", f"ran {rec}"
            if d.recorded_kind in _ENDS:  # a continue-as-new, a raise after the early return
                runs, ran = _ENDS[d.recorded_kind][0], _DID[d.recorded_kind]
            if d.branch_after_runs:  # the code after it changed too
                runs = f"now runs {d.branch_after_runs} first (changed too)"
            if _runs_in_the_if(d):  # if new: return await workflow.execute_activity(audit, ...)
                leaves = _LEAVES[d.branch_skipped]
                goes = f"runs {com} in the if at {d.branch_at.split(' in ')[0]} and {leaves}"
            return (
                f"the code took the if at {at}{outer} and {left}, skipping the "
                f"code after it{rest}, which {runs}: this execution went past it and {ran} "
                f"there, where the code now {goes} ({why}; or the {what} is new)"
            )
        branch = _SKIPPED[what][d.branch_skipped == "else"].format(case=d.branch_case)
        return (
            f"the code passed the {what} at {at}{outer} without taking {branch}, which "
            f"runs {rec}: this execution took it and ran {rec} there, where the code now {goes} "
            f"({why}; or the {what} is new)"
        )
    if d.branch_taken:  # the code took a branch this execution went past, on to rec
        arm = what == "conditional expression"
        branch = _TAKEN[arm][d.branch_taken].format(case=d.branch_case)
        past = "took the other arm" if arm else "went past it"
        return (
            f"the code took the {branch} of the {what} at {at}, which runs {com}: "
            f"this execution {past} and ran {rec}, which the code still runs after it "
            f"({why}; or {com} is new there)"
        )
    took = f"the code took another branch of the {what} at {d.branch_at}: it now"
    if d.branch_case:  # a match's case around a continue-as-new (a raise) the code now takes
        took = f"the code took the case {d.branch_case} of the match at {d.branch_at}: it now"
    if d.commanded_kind in _ENDS:
        went = "completed" if d.recorded_kind == "complete" else f"went on with {rec}"
        does, does_not, new = _ENDS[d.commanded_kind]
        return (
            f"{took} {does} where this execution {went}, as the code still does when it "
            f"{does_not} ({why}; or {new} is new)"
        )
    if d.recorded_kind in _ENDS:
        goes = "completes" if d.commanded_kind == "complete" else f"goes on with {com}"
        did = _DID[d.recorded_kind]
        if d.branch_case:  # a match's case holding it, which the code went past
            return (
                f"the code went past the match at {d.branch_at} without taking its case "
                f"{d.branch_case}: it now {goes} where this execution {did}, as the code still "
                f"does in that case ({why})"
            )
        branch = "arm" if what == "conditional expression" else "branch"
        return (
            f"{took} {goes} where this execution {did}, as the code still does in the "
            f"{branch} it did not take ({why})"
        )
    return (
        f"{took} runs {com} where this execution ran {rec}, which the code still runs in "
        f"another branch ({why}; or {rec} became {com} in this branch)"
    )


_SKIPPED = {
    "if": ("its body", "its else"),
    "conditional expression": ("its true arm", "its false arm"),
    "match": ("its case {case}", "its case {case}"),
}
"""The branch of each kind the code passed without taking: ``body`` (``case``), ``else``."""


_TAKEN = (
    {"body": "body", "else": "else branch", "case": "case {case}"},
    {"body": "true arm", "else": "false arm"},
)
"""The branch of an ``if`` (a ``match``; second, a conditional expression's arm) the code took
where the execution went past it (``branch_taken``)."""


_NEW_IN = {"match": "case", "conditional expression": "arm"}
"""What a :attr:`branch_taken` holding the code's command is called, by the branch's kind."""


_ENDS = {
    "continue-as-new": ("continues as new", "does not continue as new", "the continue-as-new"),
    "fail": ("fails the workflow", "does not fail", "the raise"),
}
"""Commands ending a run that an ``if`` chooses: what the code does, what it does not, what
may be new."""


def _new_case(d: Diagnosis) -> bool:
    """Whether the code's command runs in the case (:attr:`branch_case`) the code took around
    it, which a match that is new leaves out of the old code (a continue-as-new, a raise)."""
    return bool(d.branch_case) and d.commanded_kind in _ENDS


_DID = {"continue-as-new": "continued as new", "fail": "failed"}
"""What an execution did that ran one of :data:`_ENDS`."""

_LEAVES = {
    "after": "returns",
    "continue": "continues its loop",
    "break": "breaks out of its loop",
}
"""How the body of an ``if`` that the code took leaves (``branch_skipped``), as it does now."""


def _runs_in_the_if(d: Diagnosis) -> bool:
    """Whether the code's command ran in the body of the ``if`` it took and left by."""
    at = branch_frame(d)
    return at is not None and any(
        os.path.abspath(f.file) == os.path.abspath(at.file) and in_body_of(f.file, at.line, f.line)
        for f in d.location
    )


def _ends_in(d: Diagnosis) -> str:
    """The branch (``body``, ``else``) of the ``if`` the code went past that holds the
    continue-as-new (the raise) this execution ran; '' when not one alone (or in a loop)."""
    at = branch_frame(d)
    if at is None or d.recorded_kind not in _ENDS:
        return ""
    return branch_holding(at.file, at.line, ending(d.recorded_kind, d.recorded_name))


_LEFT = {
    "after": ("returned", ""),
    "continue": ("continued its loop", " in the loop"),
    "break": ("broke out of its loop", " in the loop"),
}
"""An ``if`` whose body leaves (``branch_skipped``): how, and where the code it skipped is."""


def branch_fix(d: Diagnosis) -> list[str]:
    """Gate the condition, not the branch: each execution keeps the branch it took. A rename
    inside the branch reads the same from the history, so it comes second (gating the call
    when the condition changed would pass the check and break the other branch's
    executions; gating the condition when it was a rename still fails the check)."""
    patch_id = d.patch_id or "<change-id>"
    frame = d.gate_at
    if d.branch_kind != "match":
        condition = " ".join(d.branch_condition.split()) or "...  # the new condition"
        what = d.branch_kind or "if"
        use = (
            ["    if new_branch:", "        ...  # the branches as they are"]
            if what == "if"
            else ["    ... if new_branch else ...  # the expression, with new_branch as its test"]
        )
        after = d.branch_skipped in _LEFT  # an if whose body returns (continues, breaks)
        if after:
            leaves = {"after": "returns"}.get(d.branch_skipped, f"{d.branch_skipped}s")
            use[1] = f"        ...  # its body as it is (it {leaves})"
        # a continue-as-new or a raise that is new had the condition False before; a skipped
        # branch that is new had its branch taken always
        old = f" (False if the {what} is new)" if d.commanded_kind in _ENDS else ""
        if d.branch_skipped:
            old = f" ({d.branch_skipped == 'body'} if the {what} is new)"
        if d.branch_taken:  # an if that is new: the execution went past it
            old = f" ({d.branch_taken == 'else'} if the {what} is new)"
        elif what == "if" and not old and d.recorded_kind not in _ENDS:
            # another branch runs what the history recorded: an if that is new had it always
            old = f" ({not _runs_in_the_if(d)} if the if is new)"
        elif what == "if" and not old:  # a continue-as-new (a raise) an if that is new always ran
            ends = _ends_in(d)
            old = f" ({ends == 'body'} if the if is new)" if ends else ""
        code = "arms" if what == "conditional expression" else "branches"
        took = f"{_LEFT[d.branch_skipped][0]} there or went past it" if after else "took theirs"
        lines = [
            f"gate the condition of the {what} at {d.branch_at}, not the code "
            f"{'after it' if after else f'in its {code}'} (executions recorded before {took} "
            "under the old condition):",
            f"    new_branch = {condition}",
            f'    if not workflow.patched("{patch_id}"):',
            f"        new_branch = ...  # the old condition{old}, for executions recorded before",
            *use,
        ]
        caller = d.branch_caller
        if caller is not None and not d.branch_reads_more:  # it reads what the caller passes
            lines = [*_caller_fix(d, caller), f"  if instead its condition changed, {lines[0]}",
                     *lines[1:]]  # fmt: skip
        elif caller is not None:  # and more: the condition first
            lines += _caller_fix(d, caller)
    elif d.branch_skipped:
        lines = _skipped_match_fix(d, patch_id)
    else:
        lines = [
            f"gate the match at {d.branch_at}, not the code in its cases (executions recorded "
            "before took theirs under the old subject and patterns):",
            f'    if workflow.patched("{patch_id}"):',
            f"        match {' '.join(d.branch_condition.split()) or '...'}:  # as it is now",
            "    else:",
            "        match ...:  # the match as it was (its old subject or patterns"
            + ("; pass if the match is new" if d.branch_taken or _new_case(d) else "")
            + "), for executions recorded before",
        ]
    code = statement_at(frame) or f"...  # the new code: {d.commanded}"
    other = d.other_patch_id or "<change-id>"
    if d.branch_outer:  # the code may have passed the if around it instead
        return [
            *lines,
            f"  if instead the if at {d.branch_outer} around it now takes a branch without "
            "this if, gate that one's condition the same way",
        ]
    if d.branch_after_runs:
        return [
            *lines,
            f"  then replay again: the code after it runs {d.branch_after_runs} where this "
            f"execution ran {d.recorded}, a change to gate too",
        ]
    if d.recorded_kind in _ENDS or d.branch_skipped:  # the code still does, in the if
        return lines
    if d.branch_taken:
        arm = d.branch_kind == "conditional expression"  # the statement, an else needed
        return [
            *lines,
            f"  if instead {d.commanded} is new in this "
            f"{_NEW_IN.get(d.branch_kind, 'branch')} (executions recorded before "
            f"never ran it), {'the statement as it was in the else' if arm else 'no else'}:",
            f'    if workflow.patched("{other}"):',
            *(f"        {line}" for line in code.splitlines()),
            *(
                [
                    "    else:",
                    f"        ...  # the statement without {d.commanded}, for "
                    "executions recorded before",
                ]
                if arm
                else []
            ),
        ]
    if d.commanded_kind in _ENDS:
        new, did = (
            ("continue-as-new", "continued as new")
            if d.commanded_kind == "continue-as-new"
            else ("raise", "failed")
        )
        return [
            *lines,
            f"  if instead the {new} is new (executions recorded before never {did} here), "
            "no else:",
            f'    if workflow.patched("{other}"):',
            *(f"        {line}" for line in code.splitlines()),
        ]
    return [
        *lines,
        f"  if instead {d.recorded} became {d.commanded} in this "
        + {
            "match": "case only (the subject and patterns are as they were):",
            "conditional expression": "arm only (the condition is as it was):",
        }.get(d.branch_kind, "branch only (the condition is as it was):"),
        f'    if workflow.patched("{other}"):',
        *(f"        {line}" for line in code.splitlines()),
        "    else:",
        *old_code(d),
    ]


def _skipped_match_fix(d: Diagnosis, patch_id: str) -> list[str]:
    """Gate a ``match`` whose case the code passed: the old match in the ``else`` (its case's
    body alone, if the match is new), each execution keeping the case it took. Its subject
    reads what a caller passes: gate that there (first when the subject reads nothing else)."""
    lines = [
        f"gate the match at {d.branch_at}, not the code in its cases (executions recorded "
        "before took theirs under the old subject and patterns):",
        f'    if workflow.patched("{patch_id}"):',
        f"        match {' '.join(d.branch_condition.split()) or '...'}:  # as it is now",
        "            ...  # its cases as they are",
        "    else:",
        "        ...  # the match as it was, for executions recorded before (the body of case "
        f"{d.branch_case} alone if the match is new)",
    ]
    caller = d.branch_caller
    if caller is None:
        return lines
    if d.branch_reads_more:
        return [*lines, *_caller_fix(d, caller)]
    return [*_caller_fix(d, caller), f"  if instead its subject or patterns changed, {lines[0]}",
            *lines[1:]]  # fmt: skip


def _caller_fix(d: Diagnosis, caller: SourceFrame) -> list[str]:
    """Gate the argument that decides a branch where it is passed: the condition reads the
    function's parameters, so a caller passing another value takes the other branch. The first
    reading when the condition reads nothing else, else the second."""
    names = d.branch_parameters
    it = "it" if len(names) == 1 else "them"
    shown = ", ".join(map(repr, names))
    why = "executions recorded before took their branch with the value passed before"
    test = "subject" if d.branch_skipped == "case" else "condition"
    if d.branch_reads_more:
        head = (
            f"  if instead the {arguments(names)} that {caller.function} passes changed, gate "
            f"{it} there, at {caller.short()} ({why}):"
        )
    else:
        head = (
            f"gate the {arguments(names)} where {caller.function} passes {it}, at "
            f"{caller.short()} (the {test} of the {d.branch_kind} at {d.branch_at} reads only "
            f"{it}; {why}):"
        )
    patch_id = d.patch_id or "<change-id>"
    call = statement_at(caller)
    value = keyword_source(call, names[0]) if len(names) == 1 else ""
    if value:
        return [
            head,
            f'    {names[0]}={value} if workflow.patched("{patch_id}") else <the value passed '
            f"before>,  # in the call at line {caller.line}",
        ]
    return [
        head,
        f'    if workflow.patched("{patch_id}"):',
        *(f"        {line}" for line in (call or "...  # the call as it is").splitlines()),
        "    else:",
        f"        ...  # the call as it was, passing {shown} as before, for executions recorded "
        "before",
    ]
