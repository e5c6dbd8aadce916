"""What a :class:`~replaycheck.diagnose.Diagnosis` holds: its fields, each with what it means.

:class:`DiagnosisFields` is the frozen dataclass :class:`~replaycheck.diagnose.Diagnosis`
extends with what it reads as (the commands in words, where the fix goes, its explanation and
fix); the fields keep their order, so the JSON a diagnosis gives does too.
"""

from __future__ import annotations

from dataclasses import dataclass

from replaycheck._divergence import TimelineRow
from replaycheck._source import SourceFrame

IN_FLIGHT = "breaks in-flight executions"
CLOSED = "breaks queries and resets of closed executions"


@dataclass(frozen=True)
class DiagnosisFields:
    """Why a history no longer replays, in terms of the workflow code: the facts, read from the
    history, the replay and the source (see :class:`~replaycheck.diagnose.Diagnosis`)."""

    message: str
    """Core's message, always kept."""
    change: str = "unknown"
    """One of :data:`CHANGES`; ``unknown`` when only ``message`` is known."""
    event_id: int = 0
    """History event where replay diverged (0: unknown)."""
    event_type: str = ""
    recorded_kind: str = ""
    """What the history recorded there (a ``_commands.KIND_LABELS`` key); empty: nothing."""
    recorded_name: str = ""
    commanded_kind: str = ""
    """What the code commanded instead; empty: nothing."""
    commanded_name: str = ""
    location: tuple[SourceFrame, ...] = ()
    """Workflow code that issued the diverging command: innermost frame, then its callers."""
    previous: tuple[SourceFrame, ...] = ()
    """Where the code issued its last command before the divergence (changes with no line)."""
    timeline: tuple[TimelineRow, ...] = ()
    patch_id: str = ""
    """Suggested patch id (for ``patch-removed``: the id of the removed ``patched()`` call)."""
    gate_frame: int = 0
    """Index in :attr:`location` of the call to gate: the innermost frame that differs from the
    previous command's, so a helper issuing every command (``_step``) points at its caller."""
    severity: str = CLOSED
    old_order: tuple[str, ...] = ()
    """``reordered``: the history's commands from the diverging one to the code's (old order)."""
    still_runs_later: bool = False
    """The code still issues what the history recorded, after the diverging command (read
    from the source): an addition or a move rather than a replacement or a removal."""
    other_patch_id: str = ""
    """Patch id of an ambiguous change's other reading (see :meth:`fix`)."""
    signals: tuple[str, ...] = ()
    """Signals the history delivered after the code's last matching command (before its first,
    when none matched), e.g. ``signal 'approve' (event 29)``; none when the change is in a
    signal's handler already. Their handling may have changed (see :attr:`signals_relevant`)."""
    signals_relevant: tuple[str, ...] = ()
    """Those of :attr:`signals` whose handling could explain the divergence, which the fix's
    note names: all of them when the code commanded nothing, or when the history recorded a
    command the code no longer runs (a handler may have issued it); else those whose handler
    issues commands, cannot be read, or writes state (attributes of ``self``) that the code
    reads on its way to the diverging command (a condition around it or passed since the last
    matching command, a wait with a timeout, its arguments)."""
    loop: str = ""
    """``loop``: where the loop is and its header (``wf.py:26 (for i in range(3):)``)."""
    loop_runs: int = 0
    """``loop``: how often the history recorded the loop's command."""
    loop_more: bool = False
    """``loop``: the loop now runs more often than recorded (else less often)."""
    loop_literal: bool = False
    """``loop``: it runs over ``range(<number>)``, a bound to gate as a number."""
    shares_statement: bool = False
    """The gated statement also issues commands the history recorded (``asyncio.gather`` of
    several): gating it needs an ``else`` that keeps them, even for an addition."""
    seen_later: bool = False
    """The code issued what the history recorded after the diverging command while replaying:
    a move or an addition for certain, not a removal or a replacement."""
    added_block: str = ""
    """For an addition: the statements from the gated one up to the one that runs what the
    history recorded (several added in a row get one gate); ``patch-removed``: those of the gate."""
    added_to: int = 0
    """Last line of :attr:`added_block`."""
    moved_too: str = ""
    """The statement after the gated one runs a command the history recorded later (it moved
    up too): ``activity 'seed_data' at shared.py:80``."""
    swapped: str = ""
    """``reordered``: the statement after the gated one, when it runs what the history recorded
    and the history ran the code's command right after that: the two traded places, and the fix
    gates the pair (its source, dedented)."""
    inputs_changed: tuple[str, ...] = ()
    """``reordered``: of the two that traded places, those the code gives other input than
    the history recorded (the old order in the ``else`` has the new code's arguments)."""
    old_call: str = ""
    """A Nexus operation or service renamed: the gated statement calling the recorded operation
    by its service's and its own name (the ``else``'s code; the old class may be gone)."""
    swapped_within: str = ""
    """``reordered``: the gated statement as it was (dedented), when the code's command and the
    recorded one traded places in it (two calls of one ``asyncio.gather``): the fix gates that
    statement alone, this in the ``else``."""
    deprecated_early: str = ""
    """A ``deprecate_patch()`` id whose marker the history lacks: it came too early."""
    marker_deprecated: bool = False
    """``patch-removed``: the history's marker was recorded by ``deprecate_patch()``."""
    renamed_patch: tuple[str, ...] = ()
    """``patch-removed``, the id renamed: the unrecorded id the code asks ``patched()`` for right
    there, where (``wf.py:12 in run``), and that line with the recorded id back."""
    handler: str = ""
    """The update handler that completed where the history ran a command first (the command
    was removed from the handler): ``set_note``."""
    handler_at: str = ""
    """Where that handler is defined (``wf.py:53``), when found."""
    moved_from_run: int = 0
    """An addition to an update handler: the event of the history's later command of its
    name, which the code outside handlers no longer runs (it may have moved into the handler)."""
    moved_run_at: SourceFrame | None = None
    """Then: where the code outside handlers waited when the update came (else its last
    command before it); the gate of the removal goes after that statement."""
    moved_handler_names: tuple[str, ...] = ()
    """Then: the handler's parameters its statement reads, which that code has not."""
    ids: tuple[str, ...] = ()
    """``id-changed``: the id the history recorded and the one the code gives now."""
    deprecated_at: str = ""
    """Where the code called that ``deprecate_patch()`` (``wf.py:31 in run``)."""
    deprecated_ran: tuple[str, ...] = ()
    """What the statement after it ran as the old branch had, before it diverged."""
    draws: tuple[str, ...] = ()
    """Where the code took ``workflow.random()`` (``uuid4()`` too) while replaying up to here
    (``wf.py:40 in run``): a draw added or removed changes every later value, and so maybe
    what the code did here."""
    unhandled_signal: str = ""
    """A signal this execution received that the code has no handler for any more (its
    handler renamed or removed)."""
    undecoded: str = ""
    """A signal or update the history received before the divergence whose input the code's
    handler cannot decode (``signal 'add' (event 5)``): temporalio dropped or rejected it."""
    undecoded_error: str = ""
    """The decoder's error for :attr:`undecoded` (``TypeError: ...``)."""
    unhandled_update: str = ""
    """An update the history accepted that the code has no handler for any more (its handler
    renamed or removed): the worker rejects it, and the code does not go on."""
    branch_at: str = ""
    """``branch``: the ``if`` whose other branch runs what the history recorded
    (``wf.py:15 in run``)."""
    branch_condition: str = ""
    """``branch``: its condition now (``amount > THRESHOLD``; a ``match``: its subject)."""
    branch_kind: str = ""
    """``branch``: ``if``, ``match`` or ``conditional expression``."""
    branch_parameters: tuple[str, ...] = ()
    """``branch``: the parameters of the function holding it that its condition reads
    (``urgent`` of ``if urgent:`` in ``_notify(self, order, urgent)``): the value a caller
    passes decides, so the caller may be what changed (:attr:`branch_caller`)."""
    branch_skipped: str = ""
    """``branch``: the branch of the ``if`` that the code passed without taking (``body`` or
    ``else``; a conditional expression's arm alike; ``case`` for a ``match``; ``after``,
    ``continue``, ``break``: the code after an ``if`` whose body returns, continues or breaks
    its loop, which the code took), which runs what the history recorded there: this execution
    took it. Empty when the code took another branch, running something else."""
    branch_taken: str = ""
    """``branch``: the branch of the ``if`` that the code took and this execution did not
    (``body`` or ``else``, a conditional expression's arm alike; ``case`` for a ``match``,
    :attr:`branch_case` its pattern), which
    runs what the code commanded: the execution went past the ``if`` on to what the history
    recorded, which the code still runs after it."""
    branch_file: str = ""
    """``branch``: the file holding :attr:`branch_at` when it is not :attr:`gate_at`'s (a
    helper imported from another module), as :attr:`SourceFrame.file` gives a path."""
    branch_called_from: str = ""
    """``branch``, :attr:`branch_skipped`: where the code called the helper holding
    :attr:`branch_at` (on neither command's stack), its caller's call next (``wf.py:12 in run``)."""
    branch_case: str = ""
    """``branch``, :attr:`branch_skipped` (or :attr:`branch_taken`) ``case``: that case's
    pattern and guard (``"a"``)."""
    branch_outer: str = ""
    """``branch``, :attr:`branch_skipped`: an ``if`` around that ``if`` which the code passed
    too (``wf.py:14 in run``): the code may have skipped that one's branch instead."""
    branch_after_runs: str = ""
    """``branch``, ``after``: what the code after the if runs first, changed too (``bill``)."""
    branch_reads_more: bool = False
    """``branch``: its condition reads more than :attr:`branch_parameters` (``self``, a
    global): the condition is gated first, the caller's argument second."""
    started_with: str = ""
    """``sequential``: the command the history started in the same workflow task as the
    recorded one, which the code now awaits before it starts that (``activity 'fetch'``)."""
    started_with_event: int = 0
    sequential_from: str = ""
    """``sequential``: the lines of the statements from the one starting :attr:`started_with`
    to the last one starting a command of that workflow task (``wf.py:51-53 in run``)."""
    sequential_at: str = ""
    """``sequential``: where the statement now starting the recorded command is."""
    sequential_between: str = ""
    """``sequential``: the lines of the new statements run between the two (``wf.py:52``)."""
    sequential_block: str = ""
    """``sequential``: the source of those statements (dedented): the gate's new branch."""
    concurrent_form: str = ""
    """``sequential``: those statements as one ``asyncio.gather`` (the old form, for the
    ``else``); empty when they are not all ``[target =] await call(...)``."""
    sequential_loop: str = ""
    """``sequential``: the header of the loop that now awaits one call of it in each round
    (``for item in items:``), where the history started the calls together; '' for statements."""
    limited_by: str = ""
    """``sequential``: the semaphore or lock an ``async with`` around the call holds
    (``self.limit``), which now keeps the recorded command waiting for :attr:`started_with`;
    '' when statements became sequential instead."""
    limited_at: str = ""
    """``sequential``: where that ``async with`` is (``wf.py:88 in _step``)."""
    limit_made: str = ""
    """``sequential``: the statement making :attr:`limited_by` (``self.limit =
    asyncio.Semaphore(1)``), where :attr:`limit_made_at` says, or ''."""
    limit_made_at: str = ""
    same_task: str = ""
    """An addition to a statement that started commands in one workflow task, which the
    history recorded whole before: those commands, their events and the statement
    (``activity 'fetch' and activity 'charge' (events 5-6) at wf.py:222 in run``)."""
    core_stopped_at: str = ""
    """Where core stopped (``event 16 (TimerCanceled)``), when that is not where the two
    sides part: a timer of another duration, which core accepts, took the history's place."""
    core_skipped: bool = False
    """Core replays this history without failing here: recorded before core's flag 1, since
    which it compares activities' and children's types and ids (``replaycheck._unchecked``)."""
    failure_uncaught: str = ""
    """The workflow now fails with the failure of this activity or child workflow
    (``activity 'decline'``), which the history shows failed and the execution went on after:
    the code no longer catches it."""
    failure_recorded: str = ""
    """The history recorded the workflow failing here: the failure as the code raised it
    (``ApplicationError: order rejected of type Rejected``), for the fix's ``else``."""
    failure_raised_at: SourceFrame | None = None
    """Where that failure's stack trace, as the history recorded it, ends: the old code's
    ``raise`` statement (its code empty when the trace does not quote one whole)."""
    cancel_uncaught: bool = False
    """The workflow now ends cancelled where the history went on: the cancel is not caught."""
    markers: tuple[str, ...] = ()
    """Patch ids of the history's ``core_patch`` markers, in history order (``~`` prefix:
    recorded by ``deprecate_patch()``): which side of each gate the execution took."""
    waits_at: tuple[SourceFrame, ...] = ()
    """The code commanded nothing where the history went on: where it waits instead
    (``await workflow.wait_condition(...)``), innermost frame first."""
    run_starts_at: SourceFrame | None = None
    """The run method's first statement, when the code issued no command before the divergence
    nor there (it completed): where the gate of a command it no longer runs goes."""
    wait_old: str = ""
    """A timer's wait whose timeout was removed (:attr:`waits_at`): the statement with the
    timeout back, as executions recorded before need it (empty when it cannot be written)."""
    removed_gate: str = ""
    """A patch id whose gate the code no longer has (another history of the run failed at its
    marker), while this execution started before the patch: it took the old branch, now gone.
    Set across a run by ``replaycheck._run_fixes.reconcile``."""
    removed_gate_at: SourceFrame | None = None
    """Where that gate was: the frame the ``patch-removed`` failure puts it back before."""
    old_branch_failures: int = 0
    """``patch-removed``: how many histories of the run started before the patch and fail
    without its old branch (set by ``reconcile``): the whole gate goes back, not just the call."""
    old_branch_empty: bool = False
    """With those: each ran nothing where the gate was (an addition): the gate needs no else."""
    abandoned_at: SourceFrame | None = None
    """A cancel the history recorded that the code no longer requests because the activity is
    now scheduled with ``ABANDON``: the line of its ``cancellation_type=`` argument."""
    abandoned_by: str = ""
    """Where the code still cancels that activity (``handle.cancel() at wf.py:40 in run``)."""
    abandoned_types: tuple[str, ...] = ()
    """The ``cancellation_type`` as the code has it, and as the history's request shows it was
    (``WAIT_CANCELLATION_COMPLETED`` or ``TRY_CANCEL``), as source."""
    cancelled_child: str = ""
    """The history recorded a cancel of a child workflow the execution started: the child's
    workflow type (its id is :attr:`recorded_name`)."""
    commanded_child: str = ""
    """The code commanded a cancel of a child workflow it started: the child's workflow type
    (its id is :attr:`commanded_name`)."""
