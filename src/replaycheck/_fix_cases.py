"""The fixes that take a shape of their own, and the lines every fix is built from.

A loop's count, a failure or a cancellation no longer caught, a patch deprecated too early, two
commands that traded places, a handler kept under its old name; the note on a history core does
not check; and the gate lines and quoted statements that :mod:`replaycheck._fix_text` and
:mod:`replaycheck._fix_tasks` build the other fixes with (a patch removed:
:mod:`replaycheck._fix_patches`; a branch taken otherwise: :mod:`replaycheck._fix_branches`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaycheck._pinning import is_closed
from replaycheck._places import place_file

if TYPE_CHECKING:
    from replaycheck._source import SourceFrame
    from replaycheck.diagnose import Diagnosis


def catch_again(
    d: Diagnosis, what: str, after: str, error: str, unknown: str, old: str
) -> list[str]:
    """Catch ``what`` again around the statement the code last matched (``unknown`` when it
    cannot be quoted), re-raising it behind the gate: executions recorded before caught it,
    and ``old`` is where they go on."""
    frame = d.previous[0] if d.previous else None
    where = f" around {frame.short()}" if frame else ""
    statement = statement_at(frame) or unknown
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


def arguments(names: tuple[str, ...]) -> str:
    """``argument 'now'``, ``arguments 'now', 'late'``."""
    return ("argument " if len(names) == 1 else "arguments ") + ", ".join(map(repr, names))


def loop_command(d: Diagnosis) -> str:
    return d.commanded if d.loop_more else d.recorded


def loop_fix(d: Diagnosis) -> list[str]:
    patch_id = d.patch_id or "<change-id>"
    why = (
        "not a call inside it (patched() gives one answer per execution, so a gate inside "
        f"the loop skips every iteration); this history ran {loop_command(d)} "
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


def moved_away(d: Diagnosis) -> bool:
    """What the history recorded where the code now runs the new code moved, not kept."""
    return d.change == "reordered" or bool(d.moved_too)


def is_addition(d: Diagnosis) -> bool:
    """The code runs something new where the history went on with what the code still runs
    after it: the old code ran nothing there, so a gate around the new code needs no else."""
    return d.still_runs_later and not moved_away(d)


def deprecated_early_fix(d: Diagnosis, *, either: bool = False) -> list[str]:
    """Back to the gate the deprecation replaced. ``either``: the source does not tell whether
    the gate replaced what the history recorded or added the new code before it (what the
    history ran next runs in a function called later, say), so both gates are offered."""
    frame = d.gate_at
    new_code = d.added_block or statement_at(frame) or f"...  # the new code: {d.commanded}"
    # An addition needs no else; a reorder (the old command moved, not kept) needs the old
    # order there, as when the gate was added.
    moved = moved_away(d)
    addition = is_addition(d)
    either = either and not (addition or moved)
    gated = [
        f'    if workflow.patched("{d.deprecated_early}"):',
        *(f"        {line}" for line in new_code.splitlines()),
    ]
    lines = [
        f"deprecate_patch({d.deprecated_early!r}) at {d.deprecated_at} came too early: "
        "executions that started before the patch still run or replay; go back to the gate "
        "until none is left (`replaycheck patches` says when)"
        + (f", no else: {d.recorded} still runs after it" if addition else "")
        + (", the old order in the else" if moved else "")
        + (f"; if it replaced {d.recorded}" if either else "")
        + ":",
        *gated,
    ]
    if moved:
        order = ", then ".join(d.old_order) if d.old_order else f"{d.recorded} first"
        lines += [
            "        ...  # and the rest in the new order",
            "    else:",
            f"        ...  # the old code from here on, in its order: {order}",
        ]
    elif d.deprecated_ran:  # the old branch began as the new one does, then ran another way
        ran = ", then ".join((*d.deprecated_ran, d.recorded))
        lines += [
            "    else:",
            f"        ...  # the old code (it ran {ran}), for executions recorded before",
        ]
    elif not addition:
        lines += ["    else:", *old_code(d)]
    if either:  # an else running what still runs after the gate would run it twice
        lines += [f"  if {d.recorded} still runs after it (an addition), no else:", *gated]
    if is_closed(d.severity):
        lines.append(
            "  note: this execution is closed: once the namespace's retention has deleted it, "
            "delete this fixture instead (`replaycheck patches --retention DAYS` lists them)"
        )
    return lines


def swap_fix(d: Diagnosis, where: str, new_code: str) -> list[str]:
    """Two that traded places: the two statements gated together, the old order in the
    ``else``, or the one statement running both, as it was in the ``else``; the rest stays."""
    rec = d.told_apart[0]  # with its id when the two are of one type
    if d.swapped_within:
        return [
            f"gate the change {where}; this statement runs {rec} too, which this history ran "
            "first: the two traded places in it, so gate the statement alone, as it was in "
            "the else:",
            *gate(d, new_code),
            *else_block(_old_arguments(d) + d.swapped_within),
        ]
    return [
        f"gate the change {where}; the next statement runs {rec}, which this history ran "
        "first: the two traded places, so gate both, in the old order in the else:",
        *gate(d, f"{new_code}\n{d.swapped}"),
        *else_block(f"{_old_arguments(d)}{d.swapped}\n{new_code}"),
    ]


def handler_addition(d: Diagnosis) -> str:
    """The explanation of a command added to an update handler before it returns ('' for
    another change): the history completed the update where the code runs it now."""
    if d.change != "added" or d.recorded_kind != "update-completion" or d.same_task:
        return ""
    return (
        f"the update handler {d.recorded_name!r} now runs {d.commanded} before it returns: "
        "the history completed the update there, without it (an addition)"
    )


def handler_addition_fix(d: Diagnosis, new_code: str) -> list[str]:
    """Gate a command added to an update handler where the handler runs it ([] for another
    change)."""
    frame = d.gate_at
    if not handler_addition(d) or d.shares_statement or frame is None:
        return []
    at = f"{place_file(frame.file)}:{frame.line}"
    return [
        f"gate it in the update handler {d.recorded_name!r}, at {at} (no else: executions "
        "recorded before never ran it there):",
        *gate(d, new_code),
        *_moved_from_run(d),
    ]


def _moved_from_run(d: Diagnosis) -> list[str]:
    """Gate the removal from ``run`` of a command moved into an update handler, with the same
    patch id: the old call (the handler's, with ``run``'s values for its parameters) where the
    history ran it, after the statement ``run`` had reached when the update came."""
    if not d.moved_from_run:
        return []
    at = d.moved_run_at
    who = at.function if at is not None else "the code outside the handler"
    where = (
        f", after {at.short()} (the statement it had reached when the update came)" if at else ""
    )
    old = [statement_at(d.gate_at) or f"...  # the old code ({d.commanded})"]
    if d.moved_handler_names:
        names = ", ".join(map(repr, d.moved_handler_names))
        s = "s" if len(d.moved_handler_names) > 1 else ""
        old.insert(0, f"# with {who}'s value{s} in place of {names}, the handler's parameter{s}")
    return [
        f"  and gate its removal from {who}: the history runs {d.commanded} later (event "
        f"{d.moved_from_run}), which the code outside the handler no longer runs after the "
        f"update; executions recorded before run it there{where}, with the same patch id:",
        f'    if not workflow.patched("{d.patch_id or "<change-id>"}"):',
        *(f"        {line}" for code in old for line in code.splitlines()),
    ]


def _old_arguments(d: Diagnosis) -> str:
    """A comment over the ``else`` of a swap whose new arguments are not the recorded ones."""
    if not d.inputs_changed:
        return ""
    changed = " and ".join(d.inputs_changed)
    return (
        f"# the new code's arguments, but {changed} got other input in this history: write "
        "the old code's arguments here\n"
    )


def gate(d: Diagnosis, code: str, *more: str) -> list[str]:
    return [
        f'    if workflow.patched("{d.patch_id or "<change-id>"}"):',
        *(f"        {line}" for line in code.splitlines()),
        *(f"        {line}" for line in more),
    ]


def else_block(code: str) -> list[str]:
    """An ``else:`` holding ``code`` (the old code, as written), under a gate's ``if``."""
    return ["    else:", *(f"        {line}" for line in code.splitlines())]


def old_code(d: Diagnosis) -> list[str]:
    """The ``else`` of a gate: the old code, for executions recorded before. A workflow failure
    is the failure the history recorded, raised as its stack trace quotes the old ``raise``
    (the old source is not at hand); an ``if`` it stood under goes back with it."""
    if not d.failure_recorded:
        return [f"        ...  # the old code ({d.recorded}), for executions recorded before"]
    frame = d.failure_raised_at
    condition = (
        "if the raise stood under an if, put that if back around it, and the code that ran "
        "after the if"
    )
    if frame is None or not frame.code:
        return [
            "        ...  # the old code, for executions recorded before: raise the failure the "
            f"history recorded ({d.failure_recorded}); {condition}",
        ]
    return [
        "        # the old code, for executions recorded before: it raised the failure the "
        f"history recorded ({d.failure_recorded}) at {frame.short()}, as the history's stack "
        "trace quotes it;",
        f"        # {condition}",
        *(f"        {line}" for line in frame.code.splitlines()),
    ]


def replaced_code(d: Diagnosis) -> list[str]:
    """The ``else`` of a replacement: the recorded call by name where the diagnosis has it."""
    if not d.old_call:
        return ["    else:", *old_code(d)]
    if d.recorded_kind != "nexus":  # registered under another name, the call as it was
        return [
            f"    else:  # as recorded, by its old name (keep {d.recorded} registered on a "
            "worker while executions that started before may still run it)",
            *else_block(d.old_call)[1:],
        ]
    service = d.recorded_name.partition("/")[0]
    whose = "the old service's" if service != d.commanded_name.partition("/")[0] else "the"
    return [
        f"    else:  # {whose} operation as recorded, called by name",
        *else_block(d.old_call)[1:],
    ]


def keyword_source(code: str, name: str) -> str:
    """The source of the ``name=`` argument of a call in ``code`` ('' when there is none), as
    written when on one line (its quotes kept), else unparsed onto one."""
    import ast

    try:
        tree = ast.parse(code)
    except SyntaxError:
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == name:
                    written = ast.get_source_segment(code, keyword.value) or ""
                    return written if "\n" not in written else ast.unparse(keyword.value)
    return ""


def statement_at(frame: SourceFrame | None) -> str:
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


def keep_handler(kind: str, name: str, verb: str, returns: str) -> list[str]:
    """The fix for a signal or an update the history got that no handler takes any more."""
    return [
        f"keep a handler registered under the name {name!r} (executions recorded before "
        f"{verb} the {kind} by that name; the method may be called anything):",
        f'    @workflow.{kind}(name="{name}")',
        f"    def ...(self, ...){returns}:  # as it was, or calling the new handler",
    ]


def skipped_note(d: Diagnosis) -> str:
    """Why core passes a history this diagnosis fails (or fails it only later), and what that
    costs."""
    from replaycheck._unchecked import why_unchecked

    recorded, commanded = d.told_apart
    nexus = d.recorded_kind == "nexus"
    if d.core_stopped_at:
        return (
            f"  note: core's message names {d.core_stopped_at}, not event {d.event_id}: "
            f"{why_unchecked(nexus)}. "
            f"Core took {commanded} for {recorded} at event {d.event_id}, "
            "and stopped only where the kinds of command part"
        )
    return (
        f"  note: core replays this history without a failure: {why_unchecked(nexus, 'it')}. "
        f"A worker replaying it with this code hands the result recorded for {recorded} to "
        f"{commanded} instead of failing: gate the change all the same"
    )


def addition_fix(d: Diagnosis, code: str) -> list[str]:
    """The gate of an added command: no ``else``, unless the statement issues others too.
    Statements added in a row before what the history recorded share the gate."""
    if d.added_block:
        frame = d.gate_at
        lines = f" (lines {frame.line}-{d.added_to})" if frame else ""
        return [
            f"    # the statements added in a row{lines}, up to the one running "
            f"{d.recorded}, share the gate",
            *gate(d, d.added_block),
        ]
    if not d.shares_statement:
        return gate(d, code)
    return [
        *gate(d, code),
        "    else:",
        f"        ...  # the statement as it was, without {d.commanded}",
    ]
