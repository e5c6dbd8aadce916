"""The text of a :class:`~replaycheck.diagnose.Diagnosis`: what the change was, and the fix.

The fix puts the new code behind ``workflow.patched("<id>")``. What the ``else`` holds depends on
the change: an addition needs none (executions recorded before never ran it), a replacement or a
removal keeps the old command, a move keeps the old order; where one history cannot tell, both
readings are given, the likelier first (``replaycheck._readings``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaycheck._commands import TASK_END_CANCELS, Command, kind_switch
from replaycheck._readings import slug
from replaycheck.diagnose import CLOSED

if TYPE_CHECKING:
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis


def explanation(d: Diagnosis) -> str:
    """What the change most likely was, in a sentence."""
    rec, com = d.recorded, d.commanded
    if d.handler:
        return (
            f"the update handler {d.handler!r} no longer runs {rec} "
            "before it returns: the history ran it while handling the update"
        )
    if d.unhandled_signal:
        return (
            f"the code has no handler for signal {d.unhandled_signal!r}, which this execution "
            f"received: if its handler was renamed or removed, the signal waits unhandled and "
            f"the code does not go on where the history went on with {rec}"
        )
    if d.signals and not d.commanded_kind:
        return (
            f"the code made no command after {d.signals[-1]}, where the history went on "
            f"with {rec}: that signal's handler, its argument type or the condition waiting "
            f"for it changed (or {rec} was removed)"
        )
    if d.failure_uncaught:
        where = f" at {d.previous[0].short()}" if d.previous else ""
        return (
            f"the workflow now fails where this execution went on with {rec}: the failure of "
            f"{d.failure_uncaught}{where} is no longer caught (or is caught elsewhere)"
        )
    if d.cancel_uncaught:
        where = f" at {d.previous[0].short()}" if d.previous else ""
        return (
            f"the workflow now ends cancelled where this execution went on with {rec}, which "
            f"the code still runs later: the cancellation of the statement{where} is no longer "
            "caught (or is caught elsewhere)"
        )
    if d.deprecated_early:
        return (
            f"deprecate_patch({d.deprecated_early!r}) came too early: this execution "
            "started before the patch (its history has no marker of it) and took the old "
            f"branch, where the code now commands {com}"
        )
    if d.change in ("renamed", "replaced") and d.still_runs_later:
        return (
            f"the code commands {com} where the history recorded {rec}, which the code "
            f"still runs after it (added before it, or replacing it)"
        )
    if d.change == "id-changed" and len(d.ids) == 2:
        return (
            f"{rec} now gets id {d.ids[1]!r}; the history recorded id {d.ids[0]!r} "
            "(core compares activity and child workflow ids, not just types)"
        )
    if d.change == "reordered" and len(d.ids) == 2 and rec == com:  # two of one type swapped
        return f"{com} (id {d.ids[1]!r}) now comes before {rec} (id {d.ids[0]!r})"
    if d.change == "branch":
        what = d.branch_kind or "if"
        caller = d.branch_caller
        why = "the condition, or what it reads, changed"
        if caller is not None:
            why = (
                f"the {_arguments(d.branch_parameters)} that {caller.function} passes at "
                f"{caller.short()}, or the condition, changed"
            )
        return (
            f"the code took another branch of the {what} at {d.branch_at}: it now runs {com} "
            f"where this execution ran {rec}, which the code still runs in another branch "
            f"({why}; or {rec} became {com} in this branch)"
        )
    return {
        "loop": f"the loop at {d.loop} now runs {_loop_command(d)} "
        f"{'more' if d.loop_more else 'fewer'} times than this history recorded "
        f"({d.loop_runs})",
        "added": f"the code now commands {com} where the history recorded {rec}",
        "removed": f"the code no longer commands {rec}; it commanded {com} there instead"
        + (
            " (or the condition leading to it changed)"
            if d.recorded_kind in ("continue-as-new", "timer") or d.signals
            else ""
        ),
        "renamed": f"{rec} became {com}",
        "reordered": f"{com} now comes before {rec}"
        + ("" if d.seen_later else f" ({rec} was removed or moved after it)"),
        "replaced": f"the code commands {com} where the history recorded {rec} "
        f"(added before it, or replacing it)",
        "patch-removed": f"the code no longer calls workflow.{_patch_call(d)}"
        f"({d.recorded_name!r}) (nor deprecate_patch), but the history recorded its "
        "marker",
    }.get(d.change, "")


def fix(d: Diagnosis) -> list[str]:
    """How to make the change safe, as lines of text (code lines indented four spaces), with a
    note when the code drew random values on the way (:func:`_fix`)."""
    lines = _fix(d)
    if d.signals and d.commanded_kind and lines:  # (none when the gate is in a handler)
        signal = d.signals[-1].split(" (event")[0]
        lines.append(
            f"  note: {', '.join(d.signals)} arrived since the code's last matching command: if "
            f"the handling of {signal} changed rather than this code, gate the change in its "
            "handler instead"
        )
    if d.core_stopped_at and lines:
        lines.append(
            f"  note: core does not compare timer durations: it took the code's "
            f"{d.commanded} for the history's {d.recorded} at event {d.event_id}, and "
            f"stopped at {d.core_stopped_at}, where the code was still waiting on its own timer"
        )
    if d.draws and lines:
        at = ", ".join(d.draws)
        lines.append(
            f"  note: the code took workflow.random() / workflow.uuid4() on the way here ({at}); "
            "each value depends on how many came before, so a draw added, removed or moved "
            "changes every later one and what the code does with it. If that is the change, "
            'gate the draw instead: x = workflow.uuid4() if workflow.patched("<id>") else None'
        )
    return lines


def _fix(d: Diagnosis) -> list[str]:
    """How to make the change safe, as lines of text (code lines indented four spaces).

    An addition needs no ``else`` (executions recorded before never ran the new command); a
    replacement or a removal keeps the old code in the ``else``; a move keeps the old order.
    Where the history cannot tell which it was, both readings are given, the one the source
    suggests first.
    """
    if d.unhandled_signal:
        return [
            f"keep a handler registered under the name {d.unhandled_signal!r} (executions "
            "recorded before received the signal by that name; the method may be called "
            "anything):",
            f'    @workflow.signal(name="{d.unhandled_signal}")',
            "    def ...(self, ...) -> None:  # as it was, or calling the new handler",
        ]
    if d.change == "patch-removed":
        return _patch_removed_fix(d)
    if d.failure_uncaught:
        # A local activity's failure reaches the code as it was raised (checked on the dev
        # server), not wrapped in an ActivityError.
        error = _CAUGHT_AS.get(d.failure_uncaught.split(" '")[0], "ActivityError")
        return _catch_again(
            d,
            f"the failure of {d.failure_uncaught}",
            f"went on with {d.recorded}",
            error,
            f"...  # the statement that ran {d.failure_uncaught}",
            "...  # executions recorded before go on from here, as the old code did "
            f"({d.recorded})",
        )
    if d.cancel_uncaught:
        return _catch_again(
            d,
            "the cancellation",
            "went on",
            "asyncio.CancelledError",
            "...  # the statement that was cancelled, as it is",
            "# executions recorded before go on from here, as the old code did",
        )
    if d.deprecated_early:
        return _deprecated_early_fix(d)
    if d.change == "loop":
        return _loop_fix(d)
    if d.change == "branch":
        return _branch_fix(d)
    if d.change == "id-changed" and len(d.ids) == 2:
        frame = d.gate_at
        where = f"at {frame.short()}" if frame else "where the code gives the id"
        field = "activity_id" if d.recorded_kind == "activity" else "id"
        new = _keyword_source(frame.code if frame else "", field) or repr(d.ids[1])
        if d.recorded_kind == "activity" and d.ids[0].isdigit():
            old = f"None  # the default id, a sequence number ({d.ids[0]!r} here)"
        else:
            old = f"<the old expression>  # it gave {d.ids[0]!r} here"
        return [
            f"gate the new id {where} (executions recorded before use the old one):",
            f'    {field}={new} if workflow.patched("{d.patch_id}") else {old}',
        ]
    rec = d.recorded
    if d.handler:
        at = f" ({d.handler_at})" if d.handler_at else ""
        return [
            f"gate it in the update handler {d.handler!r}{at}:",
            *_gate(d, f"...  # the new handler code, without {rec}"),
            "    else:",
            *_old(rec),
        ]
    if d.change == "removed":
        where = f"where {rec} was"
        if d.previous:
            where += f", after {d.previous[0].short()}"
            if d.recorded_kind in TASK_END_CANCELS:
                where += (
                    " (a cancel is recorded at the end of its workflow task: in the code it may"
                    " come before later commands of that task)"
                )
        removal = [*_gate(d, f"...  # the new code, without {rec}"), "    else:",
                   *_old(rec)]  # fmt: skip
        if not d.signals or d.commanded_kind:
            return [f"gate the change {where}:", *removal]
        signal = d.signals[-1].split(" (event")[0]
        handling = slug(signal.removeprefix("signal ").strip("'")) + "-handling"
        return [
            f"if the handling of {signal} changed, gate it in the handler (or where the code "
            "waits for it):",
            f'    if workflow.patched("{handling}"):',
            "        ...  # the new handling",
            "    else:",
            "        ...  # the old handling, for executions recorded before",
            f"  if {rec} was removed, gate it {where}:",
            *removal,
        ]
    frame = d.gate_at
    new_code = _statement(frame) or f"...  # the new code: {d.commanded}"
    where = f"at {frame.short()}" if frame else "at the changed code"
    if d.change == "added":
        if d.shares_statement:
            return [f"gate the change {where}:", *_addition(d, new_code)]
        return [f"gate the change {where} (no else: executions recorded before never ran it):",
                *_gate(d, new_code)]  # fmt: skip
    other = d.other_patch_id or "<change-id>"
    if d.change == "reordered":
        old = ", then ".join(d.old_order) or rec
        readings = [
            (f"if {rec} still runs later (moved after it):",
             [*_gate(d, new_code, "...  # and the rest in the new order"), "    else:",
              f"        ...  # the old code from here on, in its order: {old}"]),
            (f"if {rec} is gone (removed):",
             [*_gate(d, f"pass  # the new code no longer runs {rec}"), "    else:",
              *_old(rec)]),
        ]  # fmt: skip
    elif d.change in ("renamed", "replaced"):
        addition = f"if {rec} still runs after it (an addition)" + (
            ":" if d.shares_statement else ", no else:"
        )
        readings = [
            (addition, _addition(d, new_code)),
            (f"if it replaced {rec}:", [*_gate(d, new_code), "    else:", *_old(rec)]),
        ]
        recorded = Command(d.recorded_kind, d.recorded_name)
        if kind_switch(recorded, Command(d.commanded_kind, d.commanded_name)) and not (
            d.still_runs_later
        ):  # the same activity, run the other way: no addition of itself
            return [f"gate the change {where}:", *readings[1][1]]
    else:
        return [f"gate the change {where}:", *_gate(d, new_code), "    else:",
                *_old(rec)]  # fmt: skip
    if not d.still_runs_later:
        readings.reverse()
    elif d.seen_later:
        return [f"gate the change {where}; {readings[0][0]}", *readings[0][1], *_moved(d)]
    (first, first_code), (second, second_code) = readings
    return [
        f"gate the change {where}; {first}",
        *first_code,
        f"  {second}",
        *(line.replace(f'"{d.patch_id}"', f'"{other}"') for line in second_code),
        *_moved(d),
    ]


def _moved(d: Diagnosis) -> list[str]:
    if not d.moved_too:
        return []
    return [
        f"  note: the next statement runs {d.moved_too}, which this history ran later: "
        "it moved too, and replay will stop there next; gate the whole new sequence, with "
        "the old one in the else"
    ]


def _patch_call(d: Diagnosis) -> str:
    return "deprecate_patch" if d.marker_deprecated else "patched"


def _addition(d: Diagnosis, code: str) -> list[str]:
    """The gate of an added command: no ``else``, unless the statement issues others too.
    Statements added in a row before what the history recorded share the gate."""
    if d.added_block:
        frame = d.gate_at
        lines = f" (lines {frame.line}-{d.added_to})" if frame else ""
        return [
            f"    # the statements added in a row{lines}, up to the one running "
            f"{d.recorded}, share the gate",
            *_gate(d, d.added_block),
        ]
    if not d.shares_statement:
        return _gate(d, code)
    return [
        *_gate(d, code),
        "    else:",
        f"        ...  # the statement as it was, without {d.commanded}",
    ]


def _branch_fix(d: Diagnosis) -> list[str]:
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
        lines = [
            f"gate the condition of the {what} at {d.branch_at}, not the code in its branches "
            "(executions recorded before took theirs under the old condition):",
            f"    new_branch = {condition}",
            f'    if not workflow.patched("{patch_id}"):',
            "        new_branch = ...  # the old condition, for executions recorded before",
            *use,
        ]
        caller = d.branch_caller
        if caller is not None and not d.branch_reads_more:  # it reads what the caller passes
            lines = [*_caller_fix(d, caller), f"  if instead its condition changed, {lines[0]}",
                     *lines[1:]]  # fmt: skip
        elif caller is not None:  # and more: the condition first
            lines += _caller_fix(d, caller)
    else:
        lines = [
            f"gate the match at {d.branch_at}, not the code in its cases (executions recorded "
            "before took theirs under the old patterns):",
            f'    if workflow.patched("{patch_id}"):',
            "        match ...:  # as it is now",
            "    else:",
            "        match ...:  # with the old patterns, for executions recorded before",
        ]
    code = _statement(frame) or f"...  # the new code: {d.commanded}"
    other = d.other_patch_id or "<change-id>"
    return [
        *lines,
        f"  if instead {d.recorded} became {d.commanded} in this "
        + {
            "match": "case only (the patterns are as they were):",
            "conditional expression": "arm only (the condition is as it was):",
        }.get(d.branch_kind, "branch only (the condition is as it was):"),
        f'    if workflow.patched("{other}"):',
        *(f"        {line}" for line in code.splitlines()),
        "    else:",
        *_old(d.recorded),
    ]


def _catch_again(
    d: Diagnosis, what: str, after: str, error: str, unknown: str, old: str
) -> list[str]:
    """Catch ``what`` again around the statement the code last matched (``unknown`` when it
    cannot be quoted), re-raising it behind the gate: executions recorded before caught it,
    and ``old`` is where they go on."""
    frame = d.previous[0] if d.previous else None
    where = f" around {frame.short()}" if frame else ""
    statement = _statement(frame) or unknown
    return [
        f"gate where the code catches {what}{where} (executions recorded before caught it and "
        f"{after}):",
        "    try:",
        *(f"        {line}" for line in statement.splitlines()),
        f"    except {error}:",
        f'        if workflow.patched("{d.patch_id}"):',
        "            raise",
        f"        {old}",
    ]


_CAUGHT_AS = {"child workflow": "ChildWorkflowError", "local activity": "ApplicationError"}
"""What the code catches the failure of each kind of command as (an activity's: ActivityError)."""


def _caller_fix(d: Diagnosis, caller: SourceFrame) -> list[str]:
    """Gate the argument that decides a branch where it is passed: the condition reads the
    function's parameters, so a caller passing another value takes the other branch. The first
    reading when the condition reads nothing else, else the second."""
    names = d.branch_parameters
    it = "it" if len(names) == 1 else "them"
    shown = ", ".join(map(repr, names))
    why = "executions recorded before took their branch with the value passed before"
    if d.branch_reads_more:
        head = (
            f"  if instead the {_arguments(names)} that {caller.function} passes changed, gate "
            f"{it} there, at {caller.short()} ({why}):"
        )
    else:
        head = (
            f"gate the {_arguments(names)} where {caller.function} passes {it}, at "
            f"{caller.short()} (the condition of the {d.branch_kind} at {d.branch_at} reads only "
            f"{it}; {why}):"
        )
    patch_id = d.patch_id or "<change-id>"
    call = _statement(caller)
    value = _keyword_source(call, names[0]) if len(names) == 1 else ""
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


def _arguments(names: tuple[str, ...]) -> str:
    """``argument 'now'``, ``arguments 'now', 'late'``."""
    return ("argument " if len(names) == 1 else "arguments ") + ", ".join(map(repr, names))


def _loop_command(d: Diagnosis) -> str:
    return d.commanded if d.loop_more else d.recorded


def _loop_fix(d: Diagnosis) -> list[str]:
    patch_id = d.patch_id or "<change-id>"
    why = (
        "not a call inside it (patched() gives one answer per execution, so a gate inside "
        f"the loop skips every iteration); this history ran {_loop_command(d)} "
        f"{d.loop_runs} times there"
    )
    if d.loop_literal:
        return [
            f"gate the loop's bound at {d.loop}, {why}:",
            f'    runs = <new count> if workflow.patched("{patch_id}") else {d.loop_runs}'
            "  # as this history ran it",
            "    # and loop `runs` times",
        ]
    return [  # the count depends on the data: gate what decides it
        f"gate what decides how often the loop at {d.loop} runs (its condition, what it "
        f"runs over, a `continue` or `break` in it), {why}:",
        f'    if workflow.patched("{patch_id}"):',
        "        ...  # the new condition or selection",
        "    else:",
        "        ...  # the old one, for executions recorded before",
    ]


def _deprecated_early_fix(d: Diagnosis) -> list[str]:
    frame = d.gate_at
    new_code = d.added_block or _statement(frame) or f"...  # the new code: {d.commanded}"
    # An addition needs no else; a reorder (the old command moved, not kept) needs the old
    # order there, as when the gate was added.
    moved = d.change == "reordered" or bool(d.moved_too)
    addition = d.still_runs_later and not moved
    lines = [
        f"deprecate_patch({d.deprecated_early!r}) at {d.deprecated_at} came too early: "
        "executions that started before the patch still run or replay; go back to the gate "
        "until none is left (`replaycheck patches` says when)"
        + (f", no else: {d.recorded} still runs after it" if addition else "")
        + (", the old order in the else" if moved else "")
        + ":",
        f'    if workflow.patched("{d.deprecated_early}"):',
        *(f"        {line}" for line in new_code.splitlines()),
    ]
    if moved:
        order = ", then ".join(d.old_order) if d.old_order else f"{d.recorded} first"
        lines += [
            "        ...  # and the rest in the new order",
            "    else:",
            f"        ...  # the old code from here on, in its order: {order}",
        ]
    elif not addition:
        lines += ["    else:", *_old(d.recorded)]
    if d.severity == CLOSED:
        lines.append(
            "  note: this execution is closed: once the namespace's retention has deleted it, "
            "delete this fixture instead (`replaycheck patches --retention DAYS` lists them)"
        )
    return lines


def _gate(d: Diagnosis, code: str, *more: str) -> list[str]:
    return [
        f'    if workflow.patched("{d.patch_id or "<change-id>"}"):',
        *(f"        {line}" for line in code.splitlines()),
        *(f"        {line}" for line in more),
    ]


def _old(recorded: str) -> list[str]:
    return [f"        ...  # the old code ({recorded}), for executions recorded before"]


def _keyword_source(code: str, name: str) -> str:
    """The source of the ``name=`` argument of a call in ``code`` ('' when there is none)."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == name:
                    return ast.unparse(keyword.value)
    return ""


def _patch_removed_fix(diagnosis: Diagnosis) -> list[str]:
    patch_id = diagnosis.recorded_name
    frame = diagnosis.gate_at
    at = f" (before {frame.short()})" if frame else ""
    if diagnosis.marker_deprecated:
        return [
            f"executions recorded with deprecate_patch({patch_id!r}) still need its marker: put "
            f"the call back where it was{at}:",
            f'    workflow.deprecate_patch("{patch_id}")',
            "    # delete it once no execution recorded with the marker can be replayed "
            "(`replaycheck patches` says when)",
        ]
    return [
        f"executions recorded with patch {patch_id!r} still need its marker. While executions "
        "that started before the patch may still run or replay (`replaycheck patches` says "
        f"when), put the gate back where it was{at}:",
        f'    if workflow.patched("{patch_id}"):',
        "        ...  # the new code",
        "    else:",
        "        ...  # the old code, for executions that started before the patch",
        "  once none is left, keep only the new code and call there",
        f'    workflow.deprecate_patch("{patch_id}")',
        "    # delete it once no execution recorded with the patch can be replayed "
        "(`replaycheck patches` says when)",
    ]


def _statement(frame: SourceFrame | None) -> str:
    """The statement at ``frame`` to quote in a fix: whole, or '' (unreadable, or too long and
    kept as its first line, which a fix must not quote as if it were the statement)."""
    import ast

    if frame is None or not frame.code:
        return ""
    try:
        ast.parse(frame.code)
    except SyntaxError:
        return ""
    return frame.code
