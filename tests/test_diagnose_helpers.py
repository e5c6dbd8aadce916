"""Diagnoses of a command skipped in a helper the code called between two commands, on neither
command's stack: an early ``return`` in the helper, an ``if`` two calls deep, and an ``if`` in a
helper of another module (recorded cases ``SkipByReturnInHelper``, ``SkipTwoCallsDeep``,
``SkipInImportedHelper``; ``SkipInPassedHelper`` in ``test_diagnose.py`` is the helper one call
deep). Each fix, applied as it reads, replays the recorded history.
"""

from __future__ import annotations

import ast
from pathlib import Path

from replaycheck._source_helpers import called
from tests.changes import (
    HELPERS_FILE,
    V2_FILE,
    committed_verdicts,
    marked_line,
    replay_variant,
)


def _class_source(source: str, name: str, old: str, new: str) -> str:
    """``source`` with ``old`` (once in class ``name``) replaced by ``new``."""
    start = source.index(f"class {name}:")
    end = source.find("\n@workflow.defn", start)
    end = len(source) if end < 0 else end
    assert source.count(old, start, end) == 1, old
    return source[:start] + source[start:end].replace(old, new) + source[end:]


def _gated(fix: list[str], old: str, indent: str) -> list[str]:
    """The four lines of the fix that gate a condition, with ``old`` as the old condition."""
    return [f"{indent}{x[4:]}\n".replace("...  #", f"{old}  #") for x in fix[1:5]]


def test_an_early_return_in_a_helper_gates_its_condition(tmp_path: Path) -> None:
    # SkipByReturnInHelper: run calls _audit between 'fetch' and 'charge', and _audit now
    # returns before its audit unless the order is a VIP's. No if body holds the audit: it
    # read as "activity 'charge' now comes before activity 'audit'", gating the charge in run.
    d = committed_verdicts()["SkipByReturnInHelper"].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "if", "after"
    ), d
    assert d.branch_condition == 'not order.startswith("vip-")'
    line = marked_line("branch: SkipByReturnInHelper")
    call = marked_line("change: SkipByReturnInHelper") - 2  # run calls _audit above 'charge'
    assert d.branch_at == f"changes_v2.py:{line} in _audit"
    assert d.explanation() == (
        f"the code took the if at changes_v2.py:{line} in _audit (called from changes_v2.py:{call} "
        "in run) and returned, skipping the code "
        "after it, which runs activity 'audit': this execution went past it and ran activity "
        "'audit' there, where the code now goes on with activity 'charge' (the condition, or "
        "what it reads, changed; or the if is new)"
    )
    fix = d.fix()
    assert fix == [
        f"gate the condition of the if at changes_v2.py:{line} in _audit, not the code after it "
        "(executions recorded before returned there or went past it under the old condition):",
        '    new_branch = not order.startswith("vip-")',
        '    if not workflow.patched("skip-audit"):',
        "        new_branch = ...  # the old condition (False if the if is new), for executions "
        "recorded before",
        "    if new_branch:",
        "        ...  # its body as it is (it returns)",
    ]
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "_audit")
    # The fix applied in _audit as it reads, the if being new (False before): it replays.
    lines = V2_FILE.read_text().splitlines(keepends=True)
    assert lines[line - 1] == '        if not order.startswith("vip-"):\n'
    fixed = "".join(lines[: line - 1] + _gated(fix, "False", "        ") + lines[line:])
    assert replay_variant(tmp_path, "return_in_helper_gated", fixed, "SkipByReturnInHelper").ok


def test_an_early_return_after_the_helpers_own_command_reads_the_same(tmp_path: Path) -> None:
    # The helper issues 'fetch' itself, then returns early: the return is on the stack of
    # 'fetch' (read from its line on), not in a helper passed in between.
    source = _class_source(
        V2_FILE.read_text(), "SkipByReturnInHelper",
        "        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)\n"
        "        await self._audit(order)\n",
        "        await self._audit(order)\n",
    )  # fmt: skip
    source = _class_source(
        source, "SkipByReturnInHelper",
        "    async def _audit(self, order: str) -> None:\n",
        "    async def _audit(self, order: str) -> None:\n"
        "        await workflow.execute_activity(fetch, order, start_to_close_timeout=TIMEOUT)\n",
    )  # fmt: skip
    d = replay_variant(tmp_path, "fetch_then_return", source, "SkipByReturnInHelper").diagnosis
    line = marked_line("branch: SkipByReturnInHelper")
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "after"), d
    assert d.branch_at == f"fetch_then_return.py:{line} in _audit"  # a line added above, one gone


def test_an_if_two_calls_deep_gates_its_condition(tmp_path: Path) -> None:
    # SkipTwoCallsDeep: run calls _checks, which calls _audit, whose if audits VIP orders only.
    d = committed_verdicts()["SkipTwoCallsDeep"].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "if", "body"
    ), d
    line = marked_line("branch: SkipTwoCallsDeep")
    assert d.branch_at == f"changes_v2.py:{line} in _audit"
    call = marked_line("change: SkipTwoCallsDeep") - 2  # run calls _checks above 'charge'
    checks = line - 4  # _checks calls _audit
    assert d.explanation().startswith(
        f"the code passed the if at changes_v2.py:{line} in _audit (called from changes_v2.py:"
        f"{checks} in _checks, called from changes_v2.py:{call} in run) without taking its "
        "body, which runs activity 'audit'"
    )
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_v2.py:{line} in _audit")
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "_audit")
    lines = V2_FILE.read_text().splitlines(keepends=True)
    assert lines[line - 1] == '        if order.startswith("vip-"):\n'
    fixed = "".join(lines[: line - 1] + _gated(fix, "True", "        ") + lines[line:])
    assert replay_variant(tmp_path, "two_deep_gated", fixed, "SkipTwoCallsDeep").ok


def test_an_if_around_the_call_of_a_helper_that_runs_the_command_is_the_one(
    tmp_path: Path,
) -> None:
    # The if in _checks, around its call of an _audit that audits every order: that if is
    # the branch passed, not one inside _audit.
    audit = "await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)\n"
    source = _class_source(
        V2_FILE.read_text(), "SkipTwoCallsDeep",
        f'        if order.startswith("vip-"):\n            {audit}', f"        {audit}",
    )  # fmt: skip
    source = _class_source(
        source, "SkipTwoCallsDeep",
        "        await self._audit(order)\n",
        '        if order.endswith("-vip"):\n            await self._audit(order)\n',
    )  # fmt: skip
    d = replay_variant(tmp_path, "if_in_checks", source, "SkipTwoCallsDeep").diagnosis
    assert d is not None and (d.change, d.branch_skipped) == ("branch", "body"), d
    assert d.branch_condition == 'order.endswith("-vip")'
    assert d.branch_at.endswith(" in _checks"), d.branch_at


def test_an_if_in_a_helper_of_another_module_gates_its_condition(tmp_path: Path) -> None:
    # SkipInImportedHelper: run calls audit_vip, imported from changes_helpers (a module the
    # sandbox imports again), whose if audits VIP orders only. The fix goes in that module.
    d = committed_verdicts()["SkipInImportedHelper"].diagnosis
    assert d is not None and (d.change, d.branch_kind, d.branch_skipped) == (
        "branch", "if", "body"
    ), d
    line = marked_line("branch: SkipInImportedHelper", HELPERS_FILE)
    assert d.branch_at == f"changes_helpers.py:{line} in audit_vip"
    call = marked_line("change: SkipInImportedHelper") - 2  # in run, the file of the gate
    assert d.branch_called_from == f"changes_v2.py:{call} in run"
    assert d.branch_condition == 'order.startswith("vip-")'
    fix = d.fix()
    assert fix[0].startswith(f"gate the condition of the if at changes_helpers.py:{line} in ")
    assert d.fix_at is not None
    assert (Path(d.fix_at.file).resolve(), d.fix_at.line) == (HELPERS_FILE, line)
    # The fix applied in a copy of the helpers' module, which the workflow imports: it replays.
    lines = HELPERS_FILE.read_text().splitlines(keepends=True)
    assert lines[line - 1] == '    if order.startswith("vip-"):\n'
    helpers = "".join(lines[: line - 1] + _gated(fix, "True", "    ") + lines[line:])
    (tmp_path / "gated_helpers.py").write_text(helpers)
    old = "from tests.workflows.changes_helpers import audit_vip\n"
    source = V2_FILE.read_text()
    assert source.count(old) == 1
    fixed = source.replace(old, "from gated_helpers import audit_vip\n")
    assert replay_variant(tmp_path, "imported_gated", fixed, "SkipInImportedHelper").ok


def test_a_helper_module_imported_otherwise_reads_the_same(tmp_path: Path) -> None:
    # `import pkg.module as name` and a call of name.function(...); and the module passed
    # through the sandbox instead of imported again.
    line = marked_line("branch: SkipInImportedHelper", HELPERS_FILE)
    old = "from tests.workflows.changes_helpers import audit_vip\n"
    source = V2_FILE.read_text()
    aliased = _class_source(
        source.replace(old, "import tests.workflows.changes_helpers as helpers\n"),
        "SkipInImportedHelper", "await audit_vip(order)", "await helpers.audit_vip(order)",
    )  # fmt: skip
    passed = source.replace(old, "").replace(
        "with workflow.unsafe.imports_passed_through():\n",
        f"with workflow.unsafe.imports_passed_through():\n    {old}", 1,
    )  # fmt: skip
    for name, variant in (("aliased_helpers", aliased), ("passed_helpers", passed)):
        d = replay_variant(tmp_path, name, variant, "SkipInImportedHelper").diagnosis
        assert d is not None and d.change == "branch", (name, d)
        assert d.branch_at == f"changes_helpers.py:{line} in audit_vip", name


def test_a_helper_imported_relatively_is_read_from_its_file(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("async def audit_vip(order):\n    pass\n")
    workflow_file = package / "wf.py"
    workflow_file.write_text(
        "from .helpers import audit_vip as audited\n"
        "from . import helpers\n\n"
        "async def run(order):\n"
        "    await audited(order)\n"
        "    await helpers.audit_vip(order)\n"
        "    await helpers.missing(order)\n"
    )
    tree = ast.parse(workflow_file.read_text())
    run = tree.body[-1]
    calls = sorted((n for n in ast.walk(run) if isinstance(n, ast.Call)), key=lambda n: n.lineno)
    found = [called(str(workflow_file), run, call) for call in calls]
    assert [(f[0], f[1].name) if f else None for f in found] == [
        (str(package / "helpers.py"), "audit_vip"),
        (str(package / "helpers.py"), "audit_vip"),
        None,
    ]
