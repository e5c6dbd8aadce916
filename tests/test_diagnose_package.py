"""Diagnoses where the command is issued by a helper of another module of the workflow's
package: a method of a base class in ``shared.py`` (``self.approve_and_notify(order)``) and a
function imported from it (``from .shared import approve``). The histories in
``tests/fixtures/package`` were recorded from ``tests.workflows.package_v1`` by
``python -m tests.workflows.record_package``; ``package_v2`` is the package changed.
"""

from __future__ import annotations

import ast
import asyncio
import functools
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from replaycheck._source import parsed
from replaycheck._source_helpers import called
from replaycheck.diagnose import Diagnosis
from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from tests.changes import marked_line
from tests.conftest import REPO

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

FIXTURES = REPO / "tests" / "fixtures" / "package"
PACKAGE = REPO / "tests" / "workflows" / "package_v2"
WORKFLOWS = "tests/workflows/package_v2/workflows.py"
SHARED = "tests/workflows/package_v2/shared.py"


def _replayed(directory: Path) -> dict[str, Verdict]:
    """Verdicts of the histories under ``directory`` against ``package_v2``, by workflow type."""
    paths = tuple(sorted(str(p) for p in directory.rglob("*.json")))
    job = ReplayJob(
        paths=paths, workflows=("tests.workflows.package_v2.workflows",),
        import_paths=(str(REPO),),
    )  # fmt: skip
    return {v.workflow_type: v for v in replay(job)}


@functools.lru_cache(maxsize=1)
def _verdicts() -> dict[str, Verdict]:
    return _replayed(FIXTURES)


def _diagnosis(case: str) -> Diagnosis:
    d = _verdicts()[case].diagnosis
    assert d is not None, _verdicts()[case]
    return d


def _line(marker: str, name: str) -> int:
    return marked_line(marker, PACKAGE / name)


def test_every_case_breaks_its_recorded_history() -> None:
    assert {p.parent.name for p in FIXTURES.rglob("*.json")} == set(_verdicts())
    assert {v.verdict for v in _verdicts().values()} == {"nondeterministic"}


@pytest.mark.server
def test_freshly_recorded_histories_give_the_same_diagnoses(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    from tests.workflows.record_package import record

    server_loop.run_until_complete(record(dev_server.client, tmp_path))
    fresh = _replayed(tmp_path)
    assert set(fresh) == set(_verdicts())
    for case, verdict in _verdicts().items():
        old, new = verdict.diagnosis, fresh[case].diagnosis
        assert old is not None and new is not None, case
        assert (new.explanation(), new.fix()) == (old.explanation(), old.fix()), case


@pytest.mark.parametrize(
    ("case", "helper"), [("SkipInBaseMethod", "approve_and_notify"),
                         ("SkipInImportedFunction", "approve"),
                         ("SkipInReexportedFunction", "screen"),
                         ("SkipInReexportedStaticMethod", "screen_order"),
                         ("SkipInNestedClassMethod", "apply_rules")],
)  # fmt: skip
def test_an_if_in_a_helper_of_another_module_is_named_there_and_gated(
    case: str, helper: str
) -> None:
    # run calls a helper of shared.py between 'fetch' and 'charge' (a method its base class
    # Approvals defines there, a function it imports, or one it imports from the package, whose
    # __init__.py re-exports it; a static method called on a class the package re-exports,
    # Screens.screen_order, or on a class nested in it, Screens.Rules.apply_rules), whose if
    # now audits VIP orders only.
    # The method of the base class read as "activity 'charge' now comes before activity
    # 'audit'", its fix gating the charge in run with the removal first.
    d = _diagnosis(case)
    line = _line(f"branch: {case}", "shared.py")
    call = _line(f"change: {case}", "workflows.py") - 2  # run calls the helper above 'charge'
    assert d.explanation().startswith(
        f"the code passed the if at {SHARED}:{line} in {helper} (called from {WORKFLOWS}:{call} "
        "in run) without taking its body, which runs activity 'audit': this execution took it "
        "and ran activity 'audit' there, where the code now goes on with activity 'charge'"
    ), d.explanation()
    assert d.fix() == [
        f"gate the condition of the if at {SHARED}:{line} in {helper}, not the code in its "
        "branches (executions recorded before took theirs under the old condition):",
        '    new_branch = order.startswith("vip-")',
        '    if not workflow.patched("skip-audit"):',
        "        new_branch = ...  # the old condition (True if the if is new), for executions "
        "recorded before",
        "    if new_branch:",
        "        ...  # the branches as they are",
    ]
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, helper)


def test_the_fix_in_the_base_class_module_replays(tmp_path: Path) -> None:
    # The fix applied as it reads, in a copy of the package, the if being new (True before).
    fix = _diagnosis("SkipInBaseMethod").fix()
    package = tmp_path / "gated_package"
    shutil.copytree(PACKAGE, package, ignore=shutil.ignore_patterns("__pycache__"))
    line = _line("branch: SkipInBaseMethod", "shared.py")
    lines = (package / "shared.py").read_text().splitlines(keepends=True)
    assert lines[line - 1] == '        if order.startswith("vip-"):\n'
    gated = [f"        {x[4:]}\n".replace("...  #", "True  #") for x in fix[1:5]]
    (package / "shared.py").write_text("".join(lines[: line - 1] + gated + lines[line:]))
    job = ReplayJob(
        paths=(str(FIXTURES / "SkipInBaseMethod" / "change-SkipInBaseMethod.json"),),
        workflows=("gated_package.workflows:SkipInBaseMethod",),
        import_paths=(str(tmp_path), str(REPO)),
    )
    assert replay(job)[0].ok


@pytest.mark.parametrize("case", ["GateBaseMethodCall", "GateImportedCall"])
def test_an_if_around_the_call_of_a_helper_of_another_module_is_the_change(case: str) -> None:
    # run calls a helper of shared.py that always audits, now for VIP orders only: the if in
    # run is the branch passed. Through the base class, it read as a removal of 'audit'.
    d = _diagnosis(case)
    line = _line(f"branch: {case}", "workflows.py")
    assert d.explanation().startswith(
        f"the code passed the if at {WORKFLOWS}:{line} in run without taking its body, which "
        "runs activity 'audit'"
    ), d.explanation()
    assert d.fix()[0].startswith(f"gate the condition of the if at {WORKFLOWS}:{line} in run,")
    assert "remove-audit" not in "\n".join(d.fix())


@pytest.mark.parametrize("case", ["AddBeforeBaseMethod", "AddBeforeImportedFunction"])
def test_a_call_added_before_a_helper_of_another_module_is_an_addition_first(case: str) -> None:
    # 'audit' added in run before the helper of shared.py that charges: 'charge' still runs
    # after it, so the addition (no else) is the first reading; it was the replacement.
    d = _diagnosis(case)
    line = _line(f"change: {case}", "workflows.py")
    assert "which the code still runs after it" in d.explanation(), d.explanation()
    audit = "await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)"
    assert d.fix() == [
        f"gate the change at {WORKFLOWS}:{line} in run; if activity 'charge' still runs after "
        "it (an addition), no else:",
        '    if workflow.patched("audit-before-charge"):',
        f"        {audit}",
        "  if it replaced activity 'charge':",
        '    if workflow.patched("audit-instead-of-charge"):',
        f"        {audit}",
        "    else:",
        "        ...  # the old code (activity 'charge'), for executions recorded before",
    ]


def test_a_method_is_found_on_a_base_class_however_it_is_imported(tmp_path: Path) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shared = package / "shared.py"
    shared.write_text(
        "class Base:\n"
        "    async def approve(self, order):\n        pass\n\n"
        "    async def notify(self, order):\n        pass\n\n"
        "class Mixin(Base):\n    pass\n\n"
        "class Loop(Loop):\n    pass\n"
    )
    workflow_file = package / "wf.py"
    workflow_file.write_text(
        "from . import shared\nfrom .shared import Mixin, Loop\n\n"
        "class Local(shared.Base):\n    pass\n\n"
        "class Orders(Local, Mixin):\n"
        "    async def run(self, order):\n"
        "        await self.approve(order)\n"
        "        await self.missing(order)\n"
        "        await self.notify(order)\n\n"
        "    async def notify(self, order):\n"
        "        await super().notify(order)\n\n"
        "class Cycle(Loop):\n"
        "    async def run(self, order):\n"
        "        await self.approve(order)\n"
    )
    tree = parsed(str(workflow_file))  # called() finds the class holding run in this tree
    assert tree is not None
    orders, cycle = tree.body[-2], tree.body[-1]
    assert isinstance(orders, ast.ClassDef) and isinstance(cycle, ast.ClassDef)
    found = []
    for function in (*orders.body, *cycle.body):
        calls = [n for n in ast.walk(function) if isinstance(n, ast.Call)]
        calls.sort(key=lambda n: n.lineno)
        found += [called(str(workflow_file), function, c) for c in calls]
    assert [(Path(f[0]).name, f[1].name, f[1].lineno) if f else None for f in found] == [
        ("shared.py", "approve", 2),  # Local's base, shared.Base
        None,  # defined nowhere
        ("wf.py", "notify", 13),  # its own, before the base's
        ("shared.py", "notify", 5),  # super(): the base's
        None,  # super() itself
        None,  # class Loop(Loop): the cycle ends
    ]


def test_a_base_class_of_a_module_imported_by_a_finder_is_read_from_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editable install's finder imports the module from a directory on no sys.path entry:
    # the module's file as imported is read.
    import importlib.util

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    library = elsewhere / "approvals_lib.py"
    library.write_text("class Approvals:\n    async def approve(self, order):\n        pass\n")
    spec = importlib.util.spec_from_file_location("approvals_lib", library)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setitem(sys.modules, "approvals_lib", module)
    workflow_file = tmp_path / "wf.py"
    workflow_file.write_text(
        "from approvals_lib import Approvals\n\n"
        "class Orders(Approvals):\n"
        "    async def run(self, order):\n"
        "        await self.approve(order)\n"
    )
    tree = parsed(str(workflow_file))
    assert tree is not None and isinstance(tree.body[-1], ast.ClassDef)
    run = tree.body[-1].body[0]
    call = next(n for n in ast.walk(run) if isinstance(n, ast.Call))
    found = called(str(workflow_file), run, call)
    assert found is not None and (found[0], found[1].name) == (str(library), "approve")


def test_a_hook_only_the_workflow_class_defines_is_read_from_a_base_class_method() -> None:
    # run calls review, a method of the base class Reviews in shared.py, which calls
    # self.review_hook(order): only the workflow class (a subclass) defines it, and its if now
    # audits VIP orders only. self is the workflow class's instance: the hook is looked up on
    # its method resolution order, not on the class defining review.
    d = _diagnosis("SkipInSubclassHook")
    line = _line("branch: SkipInSubclassHook", "workflows.py")
    call = _line("change: SkipInSubclassHook", "workflows.py") - 2  # run calls review
    hook_call = next(
        n for n, text in enumerate((PACKAGE / "shared.py").read_text().splitlines(), 1)
        if "await self.review_hook(order)" in text
    )  # fmt: skip
    assert d.explanation().startswith(
        f"the code passed the if at {WORKFLOWS}:{line} in review_hook (called from "
        f"{SHARED}:{hook_call} in review, called from {WORKFLOWS}:{call} in run) without taking "
        "its body, which runs activity 'audit'"
    ), d.explanation()
    assert d.fix()[:3] == [
        f"gate the condition of the if at {WORKFLOWS}:{line} in review_hook, not the code in "
        "its branches (executions recorded before took theirs under the old condition):",
        '    new_branch = order.startswith("vip-")',
        '    if not workflow.patched("skip-audit"):',
    ]
    assert d.fix_at is not None and (d.fix_at.line, d.fix_at.function) == (line, "review_hook")


def test_self_and_super_follow_the_workflow_classs_method_resolution_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Diamond: D(B, C), B(A), C(A). In A.run, self.hook() runs C.hook on a D (not A.hook, which
    # a depth-first walk from A finds), and in C.hook, super().hook() runs A.hook.
    import importlib

    from replaycheck._source_classes import instance_of

    (tmp_path / "diamond_wf.py").write_text(
        "class A:\n"
        "    async def run(self):\n        await self.hook()\n\n"
        "    async def hook(self):\n        pass\n\n"
        "class B(A):\n    pass\n\n"
        "class C(A):\n"
        "    async def hook(self):\n        await super().hook()\n\n"
        "class D(B, C):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("diamond_wf")
    monkeypatch.setitem(sys.modules, "diamond_wf", module)
    path = str(tmp_path / "diamond_wf.py")
    tree = parsed(path)
    assert tree is not None
    classes = {c.name: c for c in tree.body if isinstance(c, ast.ClassDef)}
    a_run, c_hook = classes["A"].body[0], classes["C"].body[0]

    def target(function: ast.AST) -> tuple[str, int] | None:
        call = next(n for n in ast.walk(function) if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute))  # fmt: skip
        found = called(path, function, call)
        return None if found is None else (found[1].name, found[1].lineno)

    assert target(a_run) == ("hook", 5)  # no workflow class known: A's own
    with instance_of(module.D):
        assert (target(a_run), target(c_hook)) == (("hook", 12), ("hook", 5))


def test_a_class_or_function_a_package_re_exports_is_read_where_it_is_defined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # shop/__init__.py re-exports Approvals (from .shared import Approvals) and notify (by a
    # star import, which source alone cannot follow); wf.py imports both from the package.
    import importlib

    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "shared.py").write_text(
        "class Approvals:\n    async def approve(self, order):\n        pass\n\n"
        "async def notify(order):\n    pass\n"
    )
    (shop / "__init__.py").write_text("from .shared import Approvals\nfrom .shared import *\n")
    workflow_file = tmp_path / "wf.py"
    workflow_file.write_text(
        "from shop import Approvals, notify\n\n"
        "class Orders(Approvals):\n"
        "    async def run(self, order):\n"
        "        await self.approve(order)\n"
        "        await notify(order)\n"
    )
    tree = parsed(str(workflow_file))
    assert tree is not None and isinstance(tree.body[-1], ast.ClassDef)
    run = tree.body[-1].body[0]
    calls = sorted((n for n in ast.walk(run) if isinstance(n, ast.Call)), key=lambda n: n.lineno)

    def found() -> list[tuple[str, str] | None]:
        targets = (called(str(workflow_file), run, c) for c in calls)
        return [(Path(t[0]).name, t[1].name) if t else None for t in targets]

    monkeypatch.syspath_prepend(str(tmp_path))
    # Not imported: the re-export is followed in source, the star import not.
    assert found() == [("shared.py", "approve"), None]
    try:
        importlib.import_module("shop")
        # Imported (the worker imported the workflow's modules): the objects tell where.
        assert found() == [("shared.py", "approve"), ("shared.py", "notify")]
    finally:  # not left for a later test's package of the same name
        sys.modules.pop("shop", None)
        sys.modules.pop("shop.shared", None)


def test_a_method_called_on_a_class_is_read_however_the_class_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Helpers (and Helpers.Inner, a class nested in it) re-exported by depot/__init__.py, called
    # on the class, reached through a module, or a base class; step and Inner also bound in
    # __init__.py by assignment, which only the loaded objects' __qualname__ tells.
    import importlib

    depot = tmp_path / "depot"
    depot.mkdir()
    (depot / "shared.py").write_text(
        "class Helpers:\n"
        "    @staticmethod\n    async def step(order):\n        pass\n\n"
        "    class Inner:\n"
        "        @staticmethod\n        async def deep(order):\n            pass\n\n"
        "        async def hook(self, order):\n            pass\n"
    )
    (depot / "__init__.py").write_text(
        "from .shared import Helpers\nstep = Helpers.step\nInner = Helpers.Inner\n"
    )
    workflow_file = tmp_path / "wf.py"
    workflow_file.write_text(
        "from depot import Helpers, Inner, step\nfrom depot import shared\n\n"
        "class Local:\n"
        "    @classmethod\n    async def own(cls, order):\n        pass\n\n"
        "class Orders(Helpers.Inner):\n"
        "    async def run(self, order):\n"
        "        await Helpers.step(order)\n"
        "        await Helpers.Inner.deep(order)\n"
        "        await shared.Helpers.Inner.deep(order)\n"
        "        await Local.own(order)\n"
        "        await self.hook(order)\n"
        "        await Helpers.missing(order)\n"
        "        await step(order)\n"
        "        await Inner.deep(order)\n"
    )
    tree = parsed(str(workflow_file))
    assert tree is not None and isinstance(tree.body[-1], ast.ClassDef)
    run = tree.body[-1].body[0]
    calls = sorted((n for n in ast.walk(run) if isinstance(n, ast.Call)), key=lambda n: n.lineno)

    def found() -> list[tuple[str, str, int] | None]:
        targets = (called(str(workflow_file), run, c) for c in calls)
        return [(Path(t[0]).name, t[1].name, t[1].lineno) if t else None for t in targets]

    in_source = [
        ("shared.py", "step", 3),
        ("shared.py", "deep", 8),
        ("shared.py", "deep", 8),
        ("wf.py", "own", 6),
        ("shared.py", "hook", 11),  # Orders' base, Helpers.Inner, without the workflow class
        None,  # defined nowhere
    ]
    monkeypatch.syspath_prepend(str(tmp_path))
    # Not imported: the names __init__.py binds by assignment are not followed in source.
    assert found() == [*in_source, None, None]
    try:
        importlib.import_module("depot")
        # Imported: step's and Inner's objects tell where, by their qualified names.
        assert found() == [*in_source, ("shared.py", "step", 3), ("shared.py", "deep", 8)]
    finally:
        sys.modules.pop("depot", None)
        sys.modules.pop("depot.shared", None)


def test_a_base_class_nested_beside_its_subclass_is_read_where_python_finds_it(
    tmp_path: Path,
) -> None:
    # class B(A) in class Outer: Python looks A up in Outer's body first, so B inherits
    # Outer.A's methods, not those of a module-level class A.
    workflow_file = tmp_path / "wf.py"
    workflow_file.write_text(
        "class A:\n"
        "    async def approve(self, order):\n        pass\n\n"
        "class Outer:\n"
        "    class A:\n"
        "        async def approve(self, order):\n            pass\n\n"
        "        @staticmethod\n        async def step(order):\n            pass\n\n"
        "    class B(A):\n        pass\n\n"
        "class Orders(Outer.B):\n"
        "    async def run(self, order):\n"
        "        await self.approve(order)\n"
        "        await Outer.B.step(order)\n"
    )
    tree = parsed(str(workflow_file))
    assert tree is not None and isinstance(tree.body[-1], ast.ClassDef)
    run = tree.body[-1].body[0]
    calls = sorted((n for n in ast.walk(run) if isinstance(n, ast.Call)), key=lambda n: n.lineno)
    found = [called(str(workflow_file), run, c) for c in calls]
    assert [(f[1].name, f[1].lineno) if f else None for f in found] == [
        ("approve", 7),  # Outer.A's, which Outer.B inherits
        ("step", 11),
    ]
