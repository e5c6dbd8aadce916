"""The change cases (``tests/workflows/changes_v1.py`` -> ``changes_v2.py``), what each must show.

The baseline histories in ``tests/fixtures/changes`` were recorded from the real dev server by
``python -m tests.workflows.record_changes``; ``test_diagnose.py`` also records them afresh.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from tests.conftest import REPO

CHANGES = REPO / "tests" / "fixtures" / "changes"
V2 = "tests.workflows.changes_v2"
V2_FILE = REPO / "tests" / "workflows" / "changes_v2.py"
HELPERS_FILE = REPO / "tests" / "workflows" / "changes_helpers.py"
"""Helpers ``changes_v2`` imports: the ``# branch:`` marker of ``SkipInImportedHelper``."""


@dataclass(frozen=True)
class Case:
    """What the diagnosis of one workflow type's history must say."""

    event_id: int
    """0: the event where the history recorded ``recorded`` (ids vary between recordings)."""
    event_type: str
    recorded: tuple[str, str]
    commanded: tuple[str, str]
    change: str
    patch_id: str


CASES = {
    "Reorder": Case(
        5, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "reordered", "charge-before-fetch",
    ),
    "RenameActivity": Case(
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "bill"),
        "renamed", "bill-instead-of-charge",
    ),
    "RenameConcurrentActivity": Case(
        6, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "bill"),
        "renamed", "bill-instead-of-charge",
    ),
    "AddTimer": Case(
        11, "ActivityTaskScheduled", ("activity", "charge"), ("timer", "1s"),
        "replaced", "timer-before-charge",
    ),
    "RemoveTimer": Case(
        11, "TimerStarted", ("timer", "1s"), ("activity", "charge"),
        "reordered", "remove-timer",
    ),
    "ChangeChildType": Case(
        5, "StartChildWorkflowExecutionInitiated", ("child", "PackOrder"),
        ("child", "GiftWrapOrder"), "renamed", "gift-wrap-order-instead-of-pack-order",
    ),
    "RenameLocalActivity": Case(
        5, "MarkerRecorded", ("local-activity", "lookup"), ("local-activity", "find"),
        "renamed", "find-instead-of-lookup",
    ),
    "RemoveLocalActivity": Case(
        5, "MarkerRecorded", ("local-activity", "lookup"), ("activity", "charge"),
        "reordered", "remove-lookup",
    ),
    "RemovePatchCall": Case(
        5, "MarkerRecorded", ("patch", "charge-first"), ("activity", "charge"),
        "patch-removed", "charge-first",
    ),
    "RemovePatchBlock": Case(  # a gate of several statements with no else
        5, "MarkerRecorded", ("patch", "audit-twice"), ("activity", "audit"),
        "patch-removed", "audit-twice",
    ),
    "AddActivityAtEnd": Case(
        11, "WorkflowExecutionCompleted", ("complete", ""), ("activity", "charge"),
        "added", "add-charge",
    ),
    "RemoveActivityAtEnd": Case(
        11, "ActivityTaskScheduled", ("activity", "charge"), ("complete", ""),
        "removed", "remove-charge",
    ),
    "ChangeSignalExternal": Case(
        11, "SignalExternalWorkflowExecutionInitiated", ("signal-external", "packed"),
        ("cancel-external", "change-ChangeSignalExternal-sink"),
        "replaced", "cancel-external-instead-of-signal-packed",
    ),
    "ChangeCancelExternal": Case(
        11, "RequestCancelExternalWorkflowExecutionInitiated",
        ("cancel-external", "change-ChangeCancelExternal-sink"), ("signal-external", "packed"),
        "replaced", "signal-packed-instead-of-cancel-external",
    ),
    "AddContinueAsNew": Case(  # an if with it: a changed condition reads alike (below)
        11, "WorkflowExecutionCompleted", ("complete", ""), ("continue-as-new", ""),
        "branch", "continue-as-new-or-completion",
    ),
    "RemoveContinueAsNew": Case(
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("complete", ""),
        "removed", "remove-continue-as-new",
    ),
    "LoopMore": Case(
        17, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "fetch"),
        "loop", "fetch-runs",
    ),
    "LoopFewer": Case(
        17, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "loop", "fetch-runs",
    ),
    "AddInLoop": Case(
        11, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "audit"),
        "renamed", "audit-before-fetch",
    ),
    "AddToGather": Case(  # 0: the event of 'lookup' (after the gather: 1 or 2 tasks)
        0, "MarkerRecorded", ("local-activity", "lookup"), ("activity", "audit"),
        "added", "add-audit",
    ),
    "AddSeveral": Case(
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "renamed", "audit-before-charge",
    ),
    "DeprecateEarly": Case(
        11, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "renamed", "charge-second",
    ),
    "InvertBranch": Case(
        11, "ActivityTaskScheduled", ("activity", "bill"), ("activity", "charge"),
        "branch", "charge-or-bill",
    ),
    "DeprecateOther": Case(  # the deprecation of another change does not take the blame
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "renamed", "audit-before-charge",
    ),
    "ReplaceAfterLoop": Case(  # the loop before it did not change
        17, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "bill"),
        "renamed", "bill-instead-of-fetch",
    ),
    "ChangeChildId": Case(
        5, "StartChildWorkflowExecutionInitiated", ("child", "PackOrder"), ("child", "PackOrder"),
        "id-changed", "pack-order-id",
    ),
    "AddDraw": Case(  # a workflow.uuid4() drawn first changes the next one, the child's id
        5, "StartChildWorkflowExecutionInitiated", ("child", "PackOrder"), ("child", "PackOrder"),
        "id-changed", "pack-order-id",
    ),
    "RemoveFromSignalHandler": Case(  # the event varies: the signal may beat the first task
        0, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "reordered", "remove-audit",
    ),
    "LocalToActivity": Case(  # the same activity, no longer local
        0, "MarkerRecorded", ("local-activity", "lookup"), ("activity", "lookup"),
        "renamed", "lookup-instead-of-lookup-local",
    ),
    "AddBeforeContinueAsNew": Case(
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("activity", "audit"),
        "replaced", "audit-before-continue-as-new",
    ),
    "AddMemo": Case(
        11, "ActivityTaskScheduled", ("activity", "charge"), ("properties", ""),
        "replaced", "memo-before-charge",
    ),
    "AddUpsert": Case(  # the upsert before it still replays
        12, "ActivityTaskScheduled", ("activity", "charge"), ("search-attributes", "ChangeStage"),
        "replaced", "search-attributes-before-charge",
    ),
    "ContinueSooner": Case(
        11, "WorkflowExecutionCompleted", ("complete", ""), ("continue-as-new", ""),
        "branch", "continue-as-new-or-completion",
    ),
    "ContinueLater": Case(
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("activity", "charge"),
        "branch", "charge-or-continue-as-new",
    ),
    "ContinueSoonerInLoop": Case(
        17, "ActivityTaskScheduled", ("activity", "fetch"), ("continue-as-new", ""),
        "branch", "continue-as-new-or-fetch",
    ),
    "ContinueLaterInLoop": Case(
        23, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("activity", "fetch"),
        "branch", "fetch-or-continue-as-new",
    ),
    "FailSooner": Case(  # the raise's if, as ContinueSooner's continue_as_new()
        11, "ActivityTaskScheduled", ("activity", "charge"),
        ("fail", "order change-FailSooner rejected"), "branch", "fail-or-charge",
    ),
    "FailLater": Case(
        11, "WorkflowExecutionFailed", ("fail", "order change-FailLater rejected"),
        ("activity", "charge"), "branch", "charge-or-fail",
    ),
    "RemoveRaise": Case(  # the if and its raise gone: the fix's else raises it again
        11, "WorkflowExecutionFailed", ("fail", "order change-RemoveRaise rejected"),
        ("activity", "charge"), "replaced", "charge-instead-of-fail",
    ),
    "GatherToSequential": Case(  # nothing more in the task: 'charge' comes after 'fetch' now
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-after-fetch",
    ),
    "GatherToSequentialAfterSleep": Case(  # a new sleep between 'fetch' and 'charge'
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-after-fetch",
    ),
    "GatherToSequentialAfterAudit": Case(  # a new activity 'audit' between the two
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-after-fetch",
    ),
    "GatherToLoop": Case(  # a gather of one helper's calls became a loop awaiting each
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-in-turn",
    ),
    "AsCompletedToLoop": Case(  # the same from workflow.as_completed
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-in-turn",
    ),
    "LowerLimit": Case(  # a semaphore's room lowered: 'charge' waits for 'fetch' now
        6, "ActivityTaskScheduled", ("activity", "charge"), ("", ""),
        "sequential", "charge-after-fetch",
    ),
    "ReorderAroundUpdate": Case(  # the update handler's 'audit' ran between the two
        5, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "reordered", "charge-before-fetch",
    ),
    "SwapNexusOperations": Case(  # core compares a Nexus operation's service and name
        5, "NexusOperationScheduled", ("nexus", "Stock/quote"), ("nexus", "Stock/reserve"),
        "reordered", "reserve-before-quote",
    ),
    "RenameNexusService": Case(  # the service's name is part of the patch id: same operation
        5, "NexusOperationScheduled", ("nexus", "Stock/quote"), ("nexus", "StockV2/quote"),
        "renamed", "stock-v2-quote-instead-of-stock-quote",
    ),
    "DrawThenReorder": Case(  # a uuid4() drawn first, untouched: no note on draws
        5, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "reordered", "charge-before-fetch",
    ),
    "SkipTimer": Case(
        11, "TimerStarted", ("timer", "1s"), ("activity", "charge"), "branch", "skip-timer",
    ),
    "RenameAfterSignalWait": Case(  # after the same wait for 'add': the signal explains nothing
        15, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "bill"),
        "renamed", "bill-instead-of-charge",
    ),
    "ReorderAfterSignalWait": Case(
        15, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "reordered", "charge-before-audit",
    ),
    "RushBySignal": Case(  # the handler of 'add' sets what the if reads
        15, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "bill"),
        "branch", "bill-or-charge",
    ),
    "SkipAudit": Case(
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipInLoop": Case(
        5, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "fetch"),
        "branch", "skip-audit",
    ),
    "SkipInMatch": Case(  # the case that ran 'audit' no longer matches
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipInConditional": Case(  # 'audit' in the arm of a conditional expression not taken
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipInPassedHelper": Case(  # 'audit' under an if of a helper run called and left
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipByReturnInHelper": Case(  # 'audit' after an if of a helper whose body returns
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipTwoCallsDeep": Case(  # 'audit' under an if of a helper's helper: run -> _checks -> _audit
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipInImportedHelper": Case(  # 'audit' under an if of a function of another module
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipByReturnInLoop": Case(  # 'audit' after an if in a loop whose body returns
        17, "ActivityTaskScheduled", ("activity", "audit"), ("complete", ""),
        "branch", "skip-audit",
    ),
    "SkipByReturnInLoopInHelper": Case(  # the same, in a loop of a helper run calls
        17, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipByContinue": Case(  # 'audit' after an if in a loop whose body continues
        17, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "SkipHelperCall": Case(  # an if around the call of a helper that always audits
        11, "ActivityTaskScheduled", ("activity", "audit"), ("activity", "charge"),
        "branch", "skip-audit",
    ),
    "ReturnBeforeContinueAsNew": Case(  # an if whose body returns before the continue-as-new
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("complete", ""),
        "branch", "completion-or-continue-as-new",
    ),
    "ReturnBeforeRaise": Case(  # an if whose body returns before the raise
        11, "WorkflowExecutionFailed", ("fail", "order change-ReturnBeforeRaise rejected"),
        ("complete", ""), "branch", "completion-or-fail",
    ),
    "ReturnBeforeChargeAndContinue": Case(  # an if whose body returns before 'charge' (then CAN)
        11, "ActivityTaskScheduled", ("activity", "charge"), ("complete", ""),
        "branch", "skip-charge",
    ),
    "ReturnBeforeChargeAndRaise": Case(  # an if whose body returns before 'charge' (then raise)
        11, "ActivityTaskScheduled", ("activity", "charge"), ("complete", ""),
        "branch", "skip-charge",
    ),
    "RemoveOnlyActivity": Case(  # run's only command: nothing the code ran points there
        5, "ActivityTaskScheduled", ("activity", "charge"), ("complete", ""),
        "removed", "remove-charge",
    ),
    "SkipByReturnInHelperAtEnd": Case(  # an early return in a helper before run's only command
        5, "ActivityTaskScheduled", ("activity", "audit"), ("complete", ""),
        "branch", "skip-audit",
    ),
    "SwapDependent": Case(  # 'fetch' takes what 'charge' returns now: both inputs changed
        5, "ActivityTaskScheduled", ("activity", "fetch"), ("activity", "charge"),
        "reordered", "charge-before-fetch",
    ),
    "BranchOnNow": Case(  # an if on workflow.now() inverted: the code takes the body it skipped
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "branch", "audit-or-charge",
    ),
    "TakeMatchCase": Case(  # a match's case widened: the code takes the case it went past
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "branch", "audit-or-charge",
    ),
    "TakeConditionalArm": Case(  # an expression's arm widened: the code takes the arm it passed
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "branch", "audit-or-charge",
    ),
    "ContinueInMatchCase": Case(  # a match's case widened: the code continues as new in it
        11, "WorkflowExecutionCompleted", ("complete", ""), ("continue-as-new", ""),
        "branch", "continue-as-new-or-completion",
    ),
    "StopContinuingInMatchCase": Case(  # a match's case narrowed: the code goes past it
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("activity", "charge"),
        "branch", "charge-or-continue-as-new",
    ),
    "StopContinuingInArm": Case(  # an expression's arm narrowed: the code takes the other
        11, "WorkflowExecutionContinuedAsNew", ("continue-as-new", ""), ("activity", "charge"),
        "branch", "charge-or-continue-as-new",
    ),
    "ChooseArmOnOneLine": Case(  # an expression's arm widened, both arms on one line
        11, "ActivityTaskScheduled", ("activity", "lookup"), ("activity", "audit"),
        "branch", "audit-or-lookup",
    ),
    "RenamePatchId": Case(  # the recorded id's call renamed: its fix keeps the recorded id
        5, "MarkerRecorded", ("patch", "charge-first"), ("activity", "fetch"),
        "patch-removed", "charge-first",
    ),
    "GateAfterChange": Case(  # 'audit' added before the patched() call meant to gate it
        11, "ActivityTaskScheduled", ("activity", "charge"), ("activity", "audit"),
        "renamed", "audit-before-charge",
    ),
    "RemoveUpsert": Case(
        11, "UpsertWorkflowSearchAttributes", ("search-attributes", "ChangeStage"),
        ("activity", "charge"), "reordered", "remove-search-attributes",
    ),
}  # fmt: skip
"""Every workflow type of ``changes_v2`` whose recorded history it breaks."""

REPLAYS = {"RenameSignalExternal", "ShorterNap", "SkipApprovalWait", "SequentialToGather",
           "ChangeUpsertValues", "ChangeActivityInput",
           "ChangeChildInput", "ChangeActivityOptions", "ChangeChildOptions",
           "ChangeContinueAsNewInput", "AddUpdateValidator", "GateUnchanged", "AddWaitTimeout",
           "RaceWithTimer"}  # fmt: skip
"""Types whose change core does not see (it compares neither signal names nor timer
durations nor what a search attribute or memo upsert sets, nor takes new commands after a
running execution's last workflow task for a change, nor a command started in an earlier
workflow task than recorded: it waits for its event, nor an activity's input, nor the
options of an activity or a child (timeouts, retry and close policies), nor a continue-as-new's
input; an update's validator and a query handler do not run in replay, a gate whose branches
do the same takes its old one alike, and a timer started and cancelled before the history's
next command event, as a wait's new timeout or a race against a deadline did here, is
dropped before it is ever compared)."""

OTHERS = {"RemoveFromUpdate", "FanOutMore", "AddActivityCancel", "AddInSignalHandler",
          "RemoveTimerCancel", "AddTimerCancel", "AddReminderCancel",
          "AddSleepBeforeWait", "DeprecateReorderEarly", "AddReusedActivity", "MoveChargeFirst",
          "MoveAuditFirst", "DurationThenWait", "WrapInWaitFor", "SwapChildren",
          "RenameSignalHandler", "RenameSignalWithStart", "AddMemoUpsert",
          "SearchToMemoUpsert", "AddWaitWithStraySignal",
          "AddMemoUpsertRunning",
          "AddCleanupOnCancel", "AddInBranch",
          "WidenMatchCase",
          "AddBeforeLoop", "RenameWithStraySignal", "ChooseByExpression",
          "SwapSameChildren", "AddInHelper", "RemoveCleanupOnCancel",
          "PropagateCancel", "FlagAtCaller", "StopCatching",
          "StopCatchingLocal", "SwapAdjacent", "RenameUpdateHandler", "AddTimerLikeLater",
          "SwapInGather", "MoveBeforeGather",
          "AbandonCancel", "RemoveActivityCancel", "AbandonChildCancel",
          "AbandonTriedChildCancel", "AbandonChildTaskCancel", "RemoveChildCancel",
          "AbandonRequestedChildCancel",
          "RemoveWaitTimeout", "RemoveBeforeWait", "AddNexusCancel",
          "AddChildCancel", "MoveChildCancel",
          "SleepToWait", "ChangeSignalType", "ChangeUpdateType", "SkipInHelper",
          "AddToUpdateLikeLater", "MoveIntoUpdateHandler",
          "AddToUpdateBeforeLikeLater"}  # fmt: skip
"""Cases with tests of their own (e.g. the diverging command is an update handler's, not run's,
or core names no event)."""


def marked_line(marker: str, path: Path = V2_FILE) -> int:
    """The line after the comment ``# <marker> (the next line)`` in ``path``."""
    lines = path.read_text().splitlines()
    matches = [i for i, line in enumerate(lines, start=1) if f"# {marker} (" in line]
    assert len(matches) == 1, f"expected one '# {marker}' comment in {path}, found {matches}"
    return matches[0] + 1


def last_marker(name: str) -> str:
    """The marker of the line a case whose code completed instead points at: its last command
    (``before:``), or the first statement of its run method when it ran none (``start:``)."""
    return "start" if f"# start: {name} (" in V2_FILE.read_text() else "before"


def branch_file(name: str) -> Path:
    """The file with the ``# branch: <name>`` marker of a ``branch`` case."""
    return HELPERS_FILE if f"# branch: {name} (" in HELPERS_FILE.read_text() else V2_FILE


def line_of(text: str, path: Path) -> int:
    """The line number where ``text`` (which may span lines) starts; it must occur once."""
    source = path.read_text()
    matches = [source[:i].count("\n") + 1 for i in _occurrences(source, text)]
    assert len(matches) == 1, f"expected one line with {text!r} in {path}, found {matches}"
    return matches[0]


def replay_dir(directory: Path, module: str = V2) -> dict[str, Verdict]:
    """Verdicts of every history under ``directory``, by workflow type."""
    paths = tuple(sorted(str(p) for p in directory.rglob("*.json")))
    verdicts = replay(ReplayJob(paths=paths, workflows=(module,), import_paths=(str(REPO),)))
    return {v.workflow_type: v for v in verdicts}


def replay_file(path: Path, module: str) -> Verdict:
    """The verdict of one history file against ``module``."""
    job = ReplayJob(paths=(str(path),), workflows=(module,), import_paths=(str(REPO),))
    return replay(job)[0]


def only_class(module: str, source: str, name: str) -> str:
    """``module:name`` when ``source`` defines class ``name``, else ``module``: temporalio's
    sandbox checks every registered class by running its whole module again, so replaying one
    history against all of changes_v2's 130 classes took 10-30 s, against its own class 0.5 s."""
    return f"{module}:{name}" if re.search(rf"^class {name}\b", source, re.M) else module


def replay_variant(tmp_path: Path, module: str, source: str, case: str) -> Verdict:
    """The committed history of ``case`` replayed against ``source`` (``changes_v2`` changed),
    written as ``module``."""
    (tmp_path / f"{module}.py").write_text(source)
    job = ReplayJob(
        paths=(str(CHANGES / case / f"change-{case}.json"),),
        workflows=(only_class(module, source, case),),
        import_paths=(str(tmp_path), str(REPO)),
    )
    return replay(job)[0]


def _occurrences(source: str, text: str) -> list[int]:
    found, start = [], source.find(text)
    while start != -1:
        found.append(start)
        start = source.find(text, start + 1)
    return found


@functools.lru_cache(maxsize=1)
def committed_verdicts() -> dict[str, Verdict]:
    """The committed baseline histories replayed against ``changes_v2`` (once per process)."""
    return replay_dir(CHANGES)
