"""An ``if`` (a ``match``'s case) the code now takes where the execution went past it, on to
what the history recorded next, which the code still runs after it: the condition changed (or
what it reads; a subject or pattern), read as that branch taken otherwise, not as the command
it runs added or replacing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from replaycheck._renamed_readings import called_by_old_name
from tests.changes import V2_FILE, committed_verdicts, line_of, marked_line, replay_variant
from tests.test_diagnose import pasted

NOW = "workflow.now().year >= 2000"
"""``BranchOnNow``'s condition now (``< 2000`` recorded its history: no execution audited)."""


def test_an_if_taken_where_the_execution_went_past_it_gates_its_condition(
    tmp_path: Path,
) -> None:
    # BranchOnNow: the if around 'audit' reads workflow.now(), its condition inverted. The
    # code takes its body where this execution went past it and charged. It read as 'audit'
    # added before 'charge' or replacing it: a fix that replays, for a change the user did
    # not make (the if has no else, and 'charge' still runs after it).
    d = committed_verdicts()["BranchOnNow"].diagnosis
    assert d is not None
    line = line_of(f"if {NOW}:", V2_FILE)
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_condition, d.branch_taken) == (
        "branch", "if", at, NOW, "body"
    )  # fmt: skip
    assert d.explanation() == (
        f"the code took the body of the if at {at}, which runs activity 'audit': this "
        "execution went past it and ran activity 'charge', which the code still runs after it "
        "(the condition, or what it reads, changed; or activity 'audit' is new there)"
    )
    fix = d.fix()
    assert fix[:6] == [
        f"gate the condition of the if at {at}, not the code in its branches (executions "
        "recorded before took theirs under the old condition):",
        f"    new_branch = {NOW}",
        '    if not workflow.patched("audit-or-charge"):',
        "        new_branch = ...  # the old condition (False if the if is new), for executions "
        "recorded before",
        "    if new_branch:",
        "        ...  # the branches as they are",
    ]
    assert fix[6:] == [
        "  if instead activity 'audit' is new in this branch (executions recorded before never "
        "ran it), no else:",
        '    if workflow.patched("add-audit"):',
        "        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)",
    ]
    assert d.fix_at is not None and d.fix_at.line == line  # where the summary sends the user
    # Each reading pasted in as it reads replays: the condition gated (with the old condition,
    # or False for an if that is new), and the call gated as an addition.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    for name, old in (("old", "workflow.now().year < 2000"), ("new", "False")):
        gated = [" " * 8 + x[4:].replace("...  #", f"{old}  #") + "\n" for x in fix[1:5]]
        fixed = "".join(lines[: line - 1] + gated + lines[line:])
        assert replay_variant(tmp_path, f"branch_on_now_{name}", fixed, "BranchOnNow").ok
    added = pasted(fix[6:], marked_line("change: BranchOnNow"), 1, " " * 12)
    assert replay_variant(tmp_path, "branch_on_now_added", added, "BranchOnNow").ok


def test_the_else_an_if_takes_and_an_if_in_a_helper_read_alike(tmp_path: Path) -> None:
    # Not the condition on workflow.now(), nor the body of an if in run: the else of an if on
    # the workflow's input, and an if in a helper run calls, each read as the branch taken.
    source = V2_FILE.read_text()
    assert f"        if {NOW}:\n" in source
    inverted = source.replace(
        f"        if {NOW}:\n",
        '        if order.startswith("vip-"):\n            pass\n        else:\n',
    )
    d = replay_variant(tmp_path, "branch_taken_else", inverted, "BranchOnNow").diagnosis
    assert d is not None and (d.change, d.branch_taken) == ("branch", "else"), d
    assert d.branch_condition == 'order.startswith("vip-")'
    assert d.explanation().startswith("the code took the else branch of the if at ")
    assert d.fix()[3] == (
        "        new_branch = ...  # the old condition (True if the if is new), for executions "
        "recorded before"
    )
    start = source.index('@workflow.defn(name="BranchOnNow")')
    end = source.index("@workflow.defn", start + 1)
    helper = source[:start] + HELPER + source[end:]
    d = replay_variant(tmp_path, "branch_taken_helper", helper, "BranchOnNow").diagnosis
    assert d is not None and (d.change, d.branch_taken) == ("branch", "body"), d
    assert d.branch_at.endswith(" in _audit") and d.branch_condition == NOW


HELPER = f"""@workflow.defn(name="BranchOnNow")
class BranchOnNow:
    async def _audit(self, order: str) -> None:
        if {NOW}:
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)

    @workflow.run
    async def run(self, order: str) -> str:
        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)
        await self._audit(order)
        return await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)


"""
"""``BranchOnNow`` with its ``if`` in a helper."""


CASE = """            case "vip" | "TakeMatchCase":
                # change: TakeMatchCase (the next line)
                await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
"""
"""``TakeMatchCase``'s case now (``case "vip":`` recorded its history: no case matched)."""


def test_a_match_case_taken_where_the_execution_went_past_it_gates_the_match(
    tmp_path: Path,
) -> None:
    # TakeMatchCase: the audit's case widened to this execution's order, which matched no
    # case: the execution went past the match and charged, which the code still does after
    # it. It read as 'audit' added before 'charge' or replacing it, not as the case taken.
    d = committed_verdicts()["TakeMatchCase"].diagnosis
    assert d is not None
    line = marked_line("branch: TakeMatchCase")
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_taken) == ("branch", "match", at, "case")
    assert (d.branch_condition, d.branch_case) == ('order.split("-")[1]', '"vip" | "TakeMatchCase"')
    assert d.explanation() == (
        f'the code took the case "vip" | "TakeMatchCase" of the match at {at}, which runs '
        "activity 'audit': this execution went past it and ran activity 'charge', which the "
        "code still runs after it (the subject or the patterns, or what they read, changed; or "
        "activity 'audit' is new there)"
    )
    fix = d.fix()
    assert fix[:5] == [
        f"gate the match at {at}, not the code in its cases (executions recorded before took "
        "theirs under the old subject and patterns):",
        '    if workflow.patched("audit-or-charge"):',
        '        match order.split("-")[1]:  # as it is now',
        "    else:",
        "        match ...:  # the match as it was (its old subject or patterns; pass if the "
        "match is new), for executions recorded before",
    ]
    assert fix[5:] == [
        "  if instead activity 'audit' is new in this case (executions recorded before never "
        "ran it), no else:",
        '    if workflow.patched("add-audit"):',
        "        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)",
    ]
    assert d.fix_at is not None and d.fix_at.line == line  # where the summary sends the user
    # Each reading pasted in as it reads replays: the match gated (the old match in the else,
    # or pass for a match that is new), and the call gated as an addition.
    source = V2_FILE.read_text()
    match = '        match order.split("-")[1]:\n' + CASE
    assert match in source
    cases = "".join(f"    {text}\n" for text in CASE.splitlines())
    was = [text for text in match.splitlines() if "# change:" not in text]
    old_match = "".join(f"    {text}\n" for text in was).replace('"vip" | "TakeMatchCase"', '"vip"')
    for name, old in (("old", old_match), ("new", "            pass\n")):
        gated = f"    {fix[1]}\n    {fix[2].split('  #')[0]}\n{cases}    {fix[3]}\n{old}"
        fixed = source.replace(match, gated)
        assert replay_variant(tmp_path, f"take_match_case_{name}", fixed, "TakeMatchCase").ok
    added = pasted(fix[5:], marked_line("change: TakeMatchCase"), 1, " " * 16)
    assert replay_variant(tmp_path, "take_match_case_added", added, "TakeMatchCase").ok


ARM = """        note = order if not order.startswith(("vip-", "change-")) else (
            # change: TakeConditionalArm (the next line)
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
        )
"""
"""``TakeConditionalArm``'s statement now (``not order.startswith("vip-")`` recorded its
history: this execution took the first arm, no command)."""


def test_a_conditional_arm_taken_where_the_execution_took_the_other_gates_its_condition(
    tmp_path: Path,
) -> None:
    # TakeConditionalArm: the audit's arm of a conditional expression widened to this
    # execution's order, which took the other arm (no command) and charged after it.
    d = committed_verdicts()["TakeConditionalArm"].diagnosis
    assert d is not None
    line = marked_line("branch: TakeConditionalArm")
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_taken) == (
        "branch", "conditional expression", at, "else"
    )  # fmt: skip
    assert d.explanation() == (
        f"the code took the false arm of the conditional expression at {at}, which runs "
        "activity 'audit': this execution took the other arm and ran activity 'charge', which "
        "the code still runs after it (the condition, or what it reads, changed; or activity "
        "'audit' is new there)"
    )
    fix = d.fix()
    assert fix[1:4] == [
        '    new_branch = not order.startswith(("vip-", "change-"))',
        '    if not workflow.patched("audit-or-charge"):',
        "        new_branch = ...  # the old condition (True if the conditional expression is "
        "new), for executions recorded before",
    ]
    assert fix[5] == (
        "  if instead activity 'audit' is new in this arm (executions recorded before never ran "
        "it), the statement as it was in the else:"
    )
    assert fix[6] == '    if workflow.patched("add-audit"):'
    assert fix[-2:] == [
        "    else:",
        "        ...  # the statement without activity 'audit', for executions recorded before",
    ]
    assert d.fix_at is not None and d.fix_at.line == line
    # Each reading pasted in as it reads replays: the condition gated (the old one, or True
    # for an expression that is new), and the statement gated as an addition.
    source = V2_FILE.read_text()
    assert ARM in source
    uses = ARM.replace('not order.startswith(("vip-", "change-"))', "new_branch")
    for name, old in (("old", 'not order.startswith("vip-")'), ("new", "True")):
        gated = "".join(" " * 4 + text + "\n" for text in fix[1:3])
        gated += " " * 8 + fix[3][4:].replace("...  #", f"{old}  #") + "\n" + uses
        fixed = source.replace(ARM, gated)
        assert replay_variant(tmp_path, f"take_arm_{name}", fixed, "TakeConditionalArm").ok
    added = '        if workflow.patched("add-audit"):\n'
    added += "".join(f"    {text}\n" for text in ARM.splitlines())
    added += "        else:\n            note = order\n"
    fixed = source.replace(ARM, added)
    assert replay_variant(tmp_path, "take_arm_added", fixed, "TakeConditionalArm").ok


CONTINUE_CASE = """            case "vip" | "ContinueInMatchCase":
                # change: ContinueInMatchCase (the next line)
                workflow.continue_as_new(f"{order}-next")
"""
"""``ContinueInMatchCase``'s case now (``case "vip":`` recorded its history: no case matched)."""


def test_a_match_case_continuing_as_new_where_the_execution_went_past_it_gates_the_match(
    tmp_path: Path,
) -> None:
    # ContinueInMatchCase: the case holding continue_as_new() widened to this execution's
    # order, which matched no case: the execution went past the match and completed. It read
    # as the continue-as-new added, gated alone, not as the case taken, as an if's body reads
    # (AddContinueAsNew).
    d = committed_verdicts()["ContinueInMatchCase"].diagnosis
    assert d is not None
    line = marked_line("branch: ContinueInMatchCase")
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_condition) == (
        "branch", "match", at, 'order.split("-")[1]'
    )  # fmt: skip
    assert d.branch_case == '"vip" | "ContinueInMatchCase"'
    assert d.explanation() == (
        f'the code took the case "vip" | "ContinueInMatchCase" of the match at {at}: it now '
        "continues as new where this execution completed, as the code still does when it does "
        "not continue as new (the subject or the patterns, or what they read, changed; or the "
        "continue-as-new is new)"
    )
    fix = d.fix()
    assert fix[:5] == [
        f"gate the match at {at}, not the code in its cases (executions recorded before took "
        "theirs under the old subject and patterns):",
        '    if workflow.patched("continue-as-new-or-completion"):',
        '        match order.split("-")[1]:  # as it is now',
        "    else:",
        "        match ...:  # the match as it was (its old subject or patterns; pass if the "
        "match is new), for executions recorded before",
    ]
    assert fix[5:] == [
        "  if instead the continue-as-new is new (executions recorded before never continued "
        "as new here), no else:",
        '    if workflow.patched("add-continue-as-new"):',
        '        workflow.continue_as_new(f"{order}-next")',
    ]
    assert d.fix_at is not None and d.fix_at.line == line  # where the summary sends the user
    # Each reading pasted in as it reads replays: the match gated (the old match in the else,
    # or pass for a match that is new), and the continue-as-new gated as an addition.
    source = V2_FILE.read_text()
    match = '        match order.split("-")[1]:\n' + CONTINUE_CASE
    assert match in source
    cases = "".join(f"    {text}\n" for text in CONTINUE_CASE.splitlines())
    was = [text for text in match.splitlines() if "# change:" not in text]
    old_match = "".join(f"    {text}\n" for text in was).replace(
        '"vip" | "ContinueInMatchCase"', '"vip"'
    )
    for name, old in (("old", old_match), ("new", "            pass\n")):
        gated = f"    {fix[1]}\n    {fix[2].split('  #')[0]}\n{cases}    {fix[3]}\n{old}"
        fixed = source.replace(match, gated)
        verdict = replay_variant(tmp_path, f"continue_case_{name}", fixed, "ContinueInMatchCase")
        assert verdict.ok, verdict.message
    added = pasted(fix[5:], marked_line("change: ContinueInMatchCase"), 1, " " * 16)
    verdict = replay_variant(tmp_path, "continue_case_added", added, "ContinueInMatchCase")
    assert verdict.ok, verdict.message


ONE_LINE = "order.startswith(\"vip-\")"
"""``ChooseArmOnOneLine``'s condition when its history was recorded (``vip`` reads it)."""


def test_a_conditional_arm_taken_otherwise_with_both_arms_on_one_line_gates_its_condition(
    tmp_path: Path,
) -> None:
    # ChooseArmOnOneLine: `note = await ...(audit) if vip else await ...(lookup)` on one
    # line, vip widened to this execution's order, which took the other arm (lookup). The
    # line alone cannot tell which arm issued 'audit': it read as 'lookup' registered anew
    # as 'audit' (a fix that still audits). The column of the call site tells (Python 3.11+).
    d = committed_verdicts()["ChooseArmOnOneLine"].diagnosis
    assert d is not None
    line = marked_line("change: ChooseArmOnOneLine")
    at = f"changes_v2.py:{line} in run"
    statement = V2_FILE.read_text().splitlines()[line - 1].strip()
    assert called_by_old_name(statement, "lookup") == ""  # its arm may not have run
    if sys.version_info < (3, 11):  # no columns: no arm told, and no rename claimed
        assert (d.change, d.old_call) == ("renamed", ""), d
        return
    assert (d.change, d.branch_kind, d.branch_at, d.branch_condition) == (
        "branch", "conditional expression", at, "vip"
    )  # fmt: skip
    assert d.explanation() == (
        f"the code took another branch of the conditional expression at {at}: it now runs "
        "activity 'audit' where this execution ran activity 'lookup', which the code still "
        "runs in another branch (the condition, or what it reads, changed; or activity "
        "'lookup' became activity 'audit' in this branch)"
    )
    fix = d.fix()
    assert fix[:5] == [
        f"gate the condition of the conditional expression at {at}, not the code in its arms "
        "(executions recorded before took theirs under the old condition):",
        "    new_branch = vip",
        '    if not workflow.patched("audit-or-lookup"):',
        "        new_branch = ...  # the old condition, for executions recorded before",
        "    ... if new_branch else ...  # the expression, with new_branch as its test",
    ]
    assert fix[5:7] == [
        "  if instead activity 'lookup' became activity 'audit' in this arm only (the "
        "condition is as it was):",
        '    if workflow.patched("audit-instead-of-lookup"):',
    ]
    assert fix[-2:] == [
        "    else:",
        "        ...  # the old code (activity 'lookup'), for executions recorded before",
    ]
    assert d.fix_at is not None and d.fix_at.line == line
    # Each reading pasted in as it reads replays: the condition gated (the old one), and the
    # statement gated as 'lookup' become 'audit' in its arm (the old call in the else).
    source = V2_FILE.read_text()
    statement = source.splitlines(keepends=True)[line - 1]
    gated = "".join(" " * 4 + text + "\n" for text in fix[1:3])
    gated += " " * 8 + fix[3][4:].replace("...  #", f"{ONE_LINE}  #") + "\n"
    gated += statement.replace(" if vip else ", " if new_branch else ")
    fixed = source.replace(statement, gated)
    verdict = replay_variant(tmp_path, "one_line_arm_old", fixed, "ChooseArmOnOneLine")
    assert verdict.ok, verdict.message
    old = "    note = await workflow.execute_activity(lookup, order, "
    old += "start_to_close_timeout=TIMEOUT)"
    added = pasted(fix[5:], line, 1, " " * 8, old)
    assert f"\n        else:\n        {old}\n" in added
    verdict = replay_variant(tmp_path, "one_line_arm_added", added, "ChooseArmOnOneLine")
    assert verdict.ok, verdict.message


def test_arms_on_lines_of_their_own_read_alike_on_every_python(tmp_path: Path) -> None:
    # ChooseArmOnOneLine with its arms on lines of their own: the line tells the arms apart.
    source = V2_FILE.read_text()
    line = source.splitlines(keepends=True)[marked_line("change: ChooseArmOnOneLine") - 1]
    head, _, rest = line.partition(" if vip else ")
    split = head.replace("note = ", "note = (\n            ") + "\n            if vip\n"
    split += "            else " + rest.removesuffix("  # noqa: E501\n") + "\n        )\n"
    fixed = source.replace(line, split)
    verdict = replay_variant(tmp_path, "arms_apart", fixed, "ChooseArmOnOneLine")
    d = verdict.diagnosis
    assert d is not None and (d.change, d.branch_kind) == ("branch", "conditional expression"), d
    assert (d.branch_condition, d.old_call) == ("vip", "")


def test_a_conditional_arm_on_one_line_with_no_command_reads_as_taken(tmp_path: Path) -> None:
    # TakeConditionalArm with its statement on one line: the arm with no command, on the
    # same line as the audit's, hid which arm ran; the column tells (Python 3.11+).
    source = V2_FILE.read_text()
    assert ARM in source
    one = ARM.splitlines()[0].removesuffix("(")
    one += "await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)\n"
    d = replay_variant(tmp_path, "arm_one_line", source.replace(ARM, one), "TakeConditionalArm")
    assert d.diagnosis is not None
    taken = (d.diagnosis.change, d.diagnosis.branch_kind, d.diagnosis.branch_taken)
    if sys.version_info < (3, 11):  # no columns: the arms cannot be told apart
        assert taken == ("renamed", "", ""), d.diagnosis
    else:
        assert taken == ("branch", "conditional expression", "else"), d.diagnosis


STOP_MATCH = """        match order.split("-")[-1]:
            case "vip":
                workflow.continue_as_new(f"{order}-next")
"""
"""``StopContinuingInMatchCase``'s match now (``case "vip" | "StopContinuingInMatchCase":``
recorded its history: it continued as new in that case)."""


def test_a_match_case_continuing_as_new_the_code_now_goes_past_gates_the_match(
    tmp_path: Path,
) -> None:
    # StopContinuingInMatchCase: the case holding continue_as_new() narrowed, so this
    # execution's order, which matched it and continued as new, matches no case: the code
    # goes past the match on to 'charge'. It read as another branch of an if taken, its fix
    # gating the subject as an if's condition (new_branch = order.split("-")[-1]), which
    # does not bring the old case back.
    d = committed_verdicts()["StopContinuingInMatchCase"].diagnosis
    assert d is not None
    line = marked_line("branch: StopContinuingInMatchCase")
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_condition, d.branch_case) == (
        "branch", "match", at, 'order.split("-")[-1]', '"vip"'
    )  # fmt: skip
    assert d.explanation() == (
        f'the code went past the match at {at} without taking its case "vip": it now goes on '
        "with activity 'charge' where this execution continued as new, as the code still does "
        "in that case (the subject or the patterns, or what they read, changed)"
    )
    assert d.fix() == [
        f"gate the match at {at}, not the code in its cases (executions recorded before took "
        "theirs under the old subject and patterns):",
        '    if workflow.patched("charge-or-continue-as-new"):',
        '        match order.split("-")[-1]:  # as it is now',
        "    else:",
        "        match ...:  # the match as it was (its old subject or patterns), for "
        "executions recorded before",
    ]
    assert d.fix_at is not None and d.fix_at.line == line  # where the summary sends the user
    # The reading pasted in as it reads replays, the old match in the else.
    fix, source = d.fix(), V2_FILE.read_text()
    assert STOP_MATCH in source
    cases = "".join(f"    {text}\n" for text in STOP_MATCH.splitlines()[1:])
    old = "".join(f"    {text}\n" for text in STOP_MATCH.splitlines()).replace(
        'case "vip":', 'case "vip" | "StopContinuingInMatchCase":'
    )
    gated = f"    {fix[1]}\n    {fix[2].split('  #')[0]}\n{cases}    {fix[3]}\n{old}"
    verdict = replay_variant(
        tmp_path, "stop_case", source.replace(STOP_MATCH, gated), "StopContinuingInMatchCase"
    )
    assert verdict.ok, verdict.message


STOP_ARM = """        return (
            # branch: StopContinuingInArm (the next line)
            workflow.continue_as_new(f"{order}-next")
            if order.endswith("vip")
"""
"""``StopContinuingInArm``'s expression now, up to its condition (``order.endswith("Arm")``
recorded its history: it continued as new in that arm)."""


def test_a_conditional_arm_continuing_as_new_the_code_no_longer_takes_gates_its_condition(
    tmp_path: Path,
) -> None:
    # StopContinuingInArm: the condition of the arm holding continue_as_new() narrowed, so
    # this execution, which continued as new there, takes the other arm on to 'charge'. It
    # read as another branch of an if taken, the fix's "if new_branch:" not fitting the
    # expression.
    d = committed_verdicts()["StopContinuingInArm"].diagnosis
    assert d is not None
    line = marked_line("branch: StopContinuingInArm")
    at = f"changes_v2.py:{line} in run"
    assert (d.change, d.branch_kind, d.branch_at, d.branch_condition) == (
        "branch", "conditional expression", at, 'order.endswith("vip")'
    )  # fmt: skip
    assert d.explanation() == (
        f"the code took another branch of the conditional expression at {at}: it now goes on "
        "with activity 'charge' where this execution continued as new, as the code still does "
        "in the arm it did not take (the condition, or what it reads, changed)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the condition of the conditional expression at {at}, not the code in its arms "
        "(executions recorded before took theirs under the old condition):",
        '    new_branch = order.endswith("vip")',
        '    if not workflow.patched("charge-or-continue-as-new"):',
        "        new_branch = ...  # the old condition, for executions recorded before",
        "    ... if new_branch else ...  # the expression, with new_branch as its test",
    ]
    assert d.fix_at is not None and d.fix_at.line == line
    # The reading pasted in as it reads replays, the old condition in place of its "...".
    source = V2_FILE.read_text()
    assert STOP_ARM in source
    gated = "".join(" " * 4 + text + "\n" for text in fix[1:3])
    gated += " " * 8 + fix[3][4:].replace("...  #", 'order.endswith("Arm")  #') + "\n"
    gated += STOP_ARM.replace('order.endswith("vip")', "new_branch")
    fixed = source.replace(STOP_ARM, gated)
    assert replay_variant(tmp_path, "stop_arm", fixed, "StopContinuingInArm").ok


def test_another_branch_of_an_if_that_may_be_new_gives_the_old_condition_for_it(
    tmp_path: Path,
) -> None:
    # InvertBranch: the code takes the body of the if, which runs 'charge', where this
    # execution ran 'bill', which the else runs. An if that is new around the two had 'bill'
    # always: False as its old condition (True when the code takes the else), as the other
    # readings of a branch taken say. The fix pasted in with that value replays.
    source = V2_FILE.read_text()
    line = marked_line("branch: InvertBranch")
    inverted = source.replace(
        '        if not order.endswith("!"):\n            # change: InvertBranch (the next line)\n'
        "            return await workflow.execute_activity(charge, order, "
        "start_to_close_timeout=TIMEOUT)\n        else:\n            return await "
        "workflow.execute_activity(bill, order, start_to_close_timeout=TIMEOUT)\n",
        '        if order.endswith("!"):\n            return await workflow.execute_activity('
        "bill, order, start_to_close_timeout=TIMEOUT)\n        else:\n            return await "
        "workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)\n",
    )
    assert inverted != source
    d = committed_verdicts()["InvertBranch"].diagnosis
    inverted_d = replay_variant(tmp_path, "invert_else", inverted, "InvertBranch").diagnosis
    for name, text, diagnosis, old in (
        ("body", source, d, "False"),
        ("else", inverted, inverted_d, "True"),
    ):
        assert diagnosis is not None and diagnosis.change == "branch", diagnosis
        assert diagnosis.branch_at.endswith(f".py:{line} in run")
        fix = diagnosis.fix()
        assert fix[3] == (
            f"        new_branch = ...  # the old condition ({old} if the if is new), for "
            "executions recorded before"
        )
        lines = text.splitlines(keepends=True)
        gated = [" " * 8 + x[4:].replace("...  #", f"{old}  #") + "\n" for x in fix[1:5]]
        fixed = "".join(lines[: line - 1] + gated + lines[line:])
        assert replay_variant(tmp_path, f"new_if_{name}", fixed, "InvertBranch").ok
