"""Diagnoses where the code issued no command before the divergence and completed: nothing it
ran points where the change is, so the fix names the run method's first statement, or the
``if`` of a helper it called (recorded cases ``RemoveOnlyActivity``,
``SkipByReturnInHelperAtEnd``). Each fix, applied as it reads, replays the recorded history.
"""

from __future__ import annotations

import json
from pathlib import Path

from replaycheck.diagnose import Diagnosis
from tests.changes import V2_FILE, committed_verdicts, marked_line, replay_variant
from tests.test_diagnose_helpers import _class_source, _gated

_CHARGE = "await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT)"


def _removal_applied(d: Diagnosis, source: str) -> str:
    """``source`` with the removal's gate of ``d`` inserted where its first line says, before
    the statement at :attr:`Diagnosis.fix_at`: ``pass`` as the new code, 'charge' as the old."""
    assert d.fix_at is not None
    lines = source.splitlines(keepends=True)
    at = lines[d.fix_at.line - 1]
    indent = at[: len(at) - len(at.lstrip())]
    gate = [
        f"{indent}{x[4:]}\n"
        .replace("...  # the new code, without activity 'charge'", "pass")
        .replace("...  # the old code (activity 'charge'), for executions recorded before",
                 _CHARGE)
        for x in d.fix()[1:]
    ]  # fmt: skip
    return "".join(lines[: d.fix_at.line - 1] + gate + lines[d.fix_at.line - 1 :])


def test_the_removal_of_the_only_command_is_gated_at_the_start_of_run(tmp_path: Path) -> None:
    # RemoveOnlyActivity ran 'charge' and returned; the code returns at once now. The fix read
    # "gate the change where activity 'charge' was:", naming no file or line.
    d = committed_verdicts()["RemoveOnlyActivity"].diagnosis
    line = marked_line("start: RemoveOnlyActivity")
    assert d is not None and d.change == "removed", d
    assert d.fix()[0] == (
        "gate the change where activity 'charge' was, at the start of the run method (before "
        f"changes_v2.py:{line} in run):"
    )
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "run")
    assert Diagnosis.from_json_dict(json.loads(json.dumps(d.to_json_dict()))) == d  # --format json
    fixed = _removal_applied(d, V2_FILE.read_text())
    assert replay_variant(tmp_path, "only_gated", fixed, "RemoveOnlyActivity").ok


def test_the_start_of_run_is_its_first_statement_after_its_docstring(tmp_path: Path) -> None:
    # The code runs nothing but plain statements now, under a docstring: the gate goes before
    # the first of them.
    source = _class_source(
        V2_FILE.read_text(), "RemoveOnlyActivity",
        "        # start: RemoveOnlyActivity (the next line)\n        return order\n",
        '        """No charge any more."""\n        total = order.upper()\n'
        "        return total.lower()\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "only_plain", source, "RemoveOnlyActivity").diagnosis
    assert d is not None and d.change == "removed" and d.fix_at is not None, d
    assert source.splitlines()[d.fix_at.line - 1] == "        total = order.upper()"
    assert d.fix()[0].endswith(f"(before only_plain.py:{d.fix_at.line} in run):")
    fixed = _removal_applied(d, source)
    assert replay_variant(tmp_path, "only_plain_gated", fixed, "RemoveOnlyActivity").ok


def test_an_early_return_in_a_helper_before_the_only_command_gates_its_condition(
    tmp_path: Path,
) -> None:
    # SkipByReturnInHelperAtEnd: run calls _audit and completes; _audit now returns before its
    # audit unless the order is a VIP's. It read as "the code no longer commands activity
    # 'audit'", gated "where activity 'audit' was:" with no line.
    d = committed_verdicts()["SkipByReturnInHelperAtEnd"].diagnosis
    line = marked_line("branch: SkipByReturnInHelperAtEnd")
    call = marked_line("start: SkipByReturnInHelperAtEnd")  # run's first statement calls it
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.branch_at == f"changes_v2.py:{line} in _audit"
    assert d.branch_called_from == f"changes_v2.py:{call} in run"
    assert d.explanation() == (
        f"the code took the if at changes_v2.py:{line} in _audit (called from changes_v2.py:"
        f"{call} in run) and returned, skipping the "
        "code after it, which runs activity 'audit': this execution went past it and ran "
        "activity 'audit' there, where the code now completes (the condition, or what it "
        "reads, changed; or the if is new)"
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in _audit,")
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "_audit")
    lines = V2_FILE.read_text().splitlines(keepends=True)
    assert lines[line - 1] == '        if not order.startswith("vip-"):\n'
    fixed = "".join(lines[: line - 1] + _gated(fix, "False", "        ") + lines[line:])
    assert replay_variant(tmp_path, "at_end_gated", fixed, "SkipByReturnInHelperAtEnd").ok


_LOGGED = '''import functools


def _logged(fn):
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        return await fn(*args, **kwargs)

    return wrapper


'''
"""A decorator whose wrapper, defined outside any class, is what temporalio holds as run."""


def test_the_start_of_a_decorated_run_method_is_the_methods_own(tmp_path: Path) -> None:
    # The wrapper's code is not in the workflow's class: its start would have been looked for
    # in the module, where the first run method is another workflow's.
    defn = '@workflow.defn(name="RemoveOnlyActivity")\n'
    source = V2_FILE.read_text().replace(defn, _LOGGED + defn)
    source = _class_source(source, "RemoveOnlyActivity", "    @workflow.run\n",
                           "    @workflow.run\n    @_logged\n")  # fmt: skip
    d = replay_variant(tmp_path, "only_logged", source, "RemoveOnlyActivity").diagnosis
    line = source.splitlines().index("        # start: RemoveOnlyActivity (the next line)") + 2
    assert d is not None and d.fix_at is not None, d
    assert (d.fix_at.file, d.fix_at.line) == (str(tmp_path / "only_logged.py"), line)
