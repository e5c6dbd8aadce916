"""The generation engine: runs the baseline workflow code on a time-skipping test server with
stand-in activities, records histories, and replays them against the new code.

One server, one baseline worker and one replay :class:`~replaycheck.replay.WorkerSession` serve
a whole exploration; Hypothesis drives one execution per example through :meth:`Engine.run`.
What an example is made of (its target, limits, drawn outcomes and recording) is in
``replaycheck._explore_example``; how far the server's clock is moved on while an execution
waits, in ``replaycheck._explore_skip``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from replaycheck._explore_example import (
    Example,
    Limits,
    Message,
    Outcome,
    Recorded,
    Returns,
    Target,
    outcome_strategy,
)
from replaycheck._explore_send import IDLE, draw_messages, interleave, plan, recorded_updates, send
from replaycheck._explore_skip import POLL_SECONDS, time_to_skip
from replaycheck._scenario import (
    ActivityCall,
    Scenario,
    close_status,
    event_type,
    open_work,
    pause_points,
    recorded_calls,
)
from replaycheck._worker_setup import Setup
from replaycheck.report import plural

if TYPE_CHECKING:
    from temporalio.client import Client, WorkflowHandle


class Engine:
    """Baseline executions on one server; see the module docstring."""

    def __init__(
        self,
        baseline: Sequence[type],
        activities: Mapping[str, st.SearchStrategy[Any]],
        *,
        failures: bool,
        limits: Limits,
        setup: Setup | None = None,
    ) -> None:
        self.baseline = list(baseline)
        self.setup = setup or Setup()
        """The workers' converter, sandbox, failure types, interceptors and plugins, as the
        project configures them (temporalio's defaults when not)."""
        self.encode_error: Exception | None = None
        """The last error encoding drawn arguments (or activity results)."""
        self.encoded = "arguments"
        """What ``encode_error`` came from: ``arguments`` or ``results of activity 'x'``."""
        self.returns = Returns()
        self.outcomes = {name: outcome_strategy(s, failures) for name, s in activities.items()}
        self.fallback = outcome_strategy(st.none(), failures)
        self.untyped: set[str] = set()
        """Activities called with no result strategy: their stand-ins returned ``None``."""
        self.timed_out_updates = 0
        """Drawn updates not accepted within the example timeout, nor later: not sent."""
        self.forced = {name: s.map(lambda v: Outcome(True, v)) for name, s in activities.items()}
        self.limits = limits
        self.task_queue = f"replaycheck-generate-{uuid.uuid4().hex[:8]}"
        self.client: Client | None = None
        self.env: Any = None
        self.current: Example | None = None
        self.example_id = ""
        """The workflow id of the example running (or last run)."""
        self.counter = itertools.count(1)
        self.worker_run: asyncio.Task[None] | None = None
        """The baseline worker's run, which the driver watches."""
        self.ran = False
        """Whether the baseline worker ran a workflow task (it started)."""
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> None:
        """Start the time-skipping server and the baseline worker."""
        from temporalio import activity
        from temporalio.common import RawValue
        from temporalio.runtime import Runtime
        from temporalio.worker import Worker

        from replaycheck._runtime import silent_runtime
        from replaycheck.testing import time_skipping_server

        # Core's WARN lines (e.g. about the test server's version) would land on stdout, in
        # the middle of the report.
        Runtime.set_default(silent_runtime("replaycheck.generate"), error_if_already_set=False)
        converter = self.setup.baseline_converter(self.baseline)  # the plugins' one, if set
        env = await self._stack.enter_async_context(time_skipping_server(converter))
        self.env = env
        self.client = env.client

        async def stand_in(args: Sequence[Any]) -> Any:  # the arguments are not read
            return await self._activity_call()

        stand_in.__annotations__["args"] = Sequence[RawValue]
        stand_in = activity.defn(dynamic=True)(stand_in)

        options = self.setup.baseline_worker_options(self.baseline, [stand_in])
        try:
            worker = Worker(
                env.client,
                task_queue=self.task_queue,
                workflows=self.baseline,
                activities=[stand_in],
                max_concurrent_activities=4,
                **options,
            )
        except RuntimeError as exc:  # the sandbox refused a workflow: say what, and the fix
            from replaycheck._sandbox import sandbox_refusal

            modules = {cls.__module__ for cls in self.baseline}
            # "": generate and explore() take passthrough_modules from [tool.replaycheck] alone
            refused = sandbox_refusal(exc, modules, "")
            if refused is None:
                raise
            raise refused from None
        self._watch(worker)

    def _watch(self, worker: Any) -> None:
        """Run the worker in a task the driver watches (``_check_worker``). Under ``async with``
        a worker that stops cancels the task that entered it, ``start``, long done: every
        example then waited out its timeout, with nothing running it."""
        task = asyncio.get_running_loop().create_task(worker.run())
        self.worker_run = task

        async def stop() -> None:
            if not task.done():
                await worker.shutdown()
                await asyncio.wait([task])
            if not task.cancelled():
                task.exception()  # retrieved: the run already ended on it, if anything

        self._stack.push_async_callback(stop)

    async def _check_worker(self, example: Example, handle: WorkflowHandle[Any, Any]) -> None:
        """End the run, in one sentence, when the baseline worker stopped (whether it ran a
        workflow task read from the history too: it may have stopped before the driver saw
        the task it ran)."""
        from replaycheck._server_failure import worker_stopped

        task = self.worker_run
        if task is not None and task.done():
            error = None if task.cancelled() else task.exception()
            if not self.ran:
                with contextlib.suppress(Exception):  # the server may be gone too
                    self.ran = bool(pause_points((await handle.fetch_history()).events))
            ids = (example.workflow_type, example.workflow_id)
            raise worker_stopped(error, *ids, ran=self.ran)

    async def close(self) -> None:
        """Stop the worker and the server."""
        await self._stack.aclose()

    async def _activity_call(self) -> Any:
        from hypothesis.errors import UnsatisfiedAssumption
        from temporalio import activity
        from temporalio.exceptions import ApplicationError

        info = activity.info()
        example = self.current
        workflow_id = info.workflow_id or ""
        if example is None or not _belongs(workflow_id, example.workflow_id):
            raise ApplicationError("no example is running", non_retryable=True)
        number = len(example.calls) + 1
        await send(example, example.at_call.pop(number, []), f"call {number}", self.timeout)
        name = info.activity_type
        if number > self.limits.max_steps:
            strategy = self.forced.get(name, st.just(Outcome(True)))
        else:
            strategy = self.outcomes.get(name, self.fallback)
            if name not in self.outcomes:
                self.untyped.add(name)
        try:
            outcome = example.data.draw(strategy, label=f"activity call {number}: {name}")
        except BaseException as exc:  # Hypothesis ends the example (e.g. while shrinking)
            example.abort = exc
            raise ApplicationError("example ended", non_retryable=True) from None
        if outcome.ok:
            encodes = await self._encodes([outcome.value], f"results of activity {name!r}")
            self.returns.note(name, None if encodes else self.encode_error)
            if not encodes:  # no real activity could return it: skip the example
                example.abort = UnsatisfiedAssumption()
                raise ApplicationError("example ended", non_retryable=True)
        call = ActivityCall(number, name, info.attempt, outcome.describe())
        example.calls.append((call, workflow_id, info.activity_id))
        if outcome.ok:
            return outcome.value
        raise ApplicationError(
            "failure drawn by replaycheck generate",
            type="ReplaycheckGeneratedFailure",
            non_retryable=not outcome.retryable,
        )

    def draw_plan(
        self, data: Any, target: Target
    ) -> tuple[tuple[Any, ...], int, list[tuple[Message, int | None]]]:
        """Draw the arguments, the pause point, the signals and the updates of one example,
        and the order the signals and updates go out in."""
        limits = self.limits
        args = data.draw(target.args, label="arguments")
        # One integer, so shrinking walks it down to the first pause point that still fails;
        # a point past the execution's last workflow task records it as far as it went.
        pause = data.draw(
            st.integers(1, limits.max_steps),
            label="pause after workflow task (past the last one: as far as it goes)",
        )
        # Nothing is drawn for a kind the workflow has no handler of: a workflow without
        # updates draws what it drew before updates were.
        steps = limits.max_steps
        signals = draw_messages(data, "signal", target.signals, limits.max_signals, steps)
        updates = draw_messages(data, "update", target.updates, limits.max_updates, steps)
        return args, pause, interleave(data, signals, updates)

    @property
    def timeout(self) -> float:
        """Real seconds an update may take to be accepted or rejected."""
        return self.limits.example_timeout

    async def run(self, data: Any, target: Target) -> Recorded:
        """Run one example to completion (or its limits) and cut it at the drawn pause point."""
        from hypothesis import reject

        assert self.client is not None
        args, pause, messages = self.draw_plan(data, target)
        name = target.workflow_type
        example = Example(data, f"generated-{name}-{next(self.counter)}", name)
        full: tuple[Any, ...] = ()
        example.worker = self.worker_run
        plan(example, messages)
        self.current, self.example_id = example, example.workflow_id
        try:
            if not await self._encodes(args, "arguments"):
                reject()
            handle = await self.client.start_workflow(
                target.workflow_type,
                args=list(args),
                id=example.workflow_id,
                task_queue=self.task_queue,
            )
            example.handle = handle
            stopped = await self._drive(example, handle)
            full = tuple((await handle.fetch_history()).events)
        finally:
            # An execution stopped short is left as it is, never terminated: terminating one
            # under a task in flight makes the test server stop skipping time for good. The
            # stand-ins fail every later call of a finished example, and the server goes away
            # with the exploration.
            self.current = None
        if example.abort is not None:
            raise example.abort
        kinds = [message.kind for message, _ in messages]
        drawn = (kinds.count("signal"), kinds.count("update"))
        return self._record(target, example, args, pause, full, stopped, drawn)

    async def _encodes(self, values: Sequence[Any], what: str) -> bool:
        """Whether the data converter encodes drawn ``values``: arguments no client could start
        an execution with (``Decimal('Infinity')`` for a pydantic field), or a result no activity
        could return, are skipped."""
        assert self.client is not None
        try:
            await self.client.data_converter.encode(list(values))
        except Exception as exc:
            self.encode_error, self.encoded = exc, what  # named if none can be encoded at all
            return False
        return True

    async def _drive(self, example: Example, handle: WorkflowHandle[Any, Any]) -> str:
        """Let the execution run; skip time, send signals when it waits. Returns why it stopped.

        Time stays locked (real time) so a stand-in activity can never time out; when the
        execution waits for nothing but timers or activity retry backoffs, the server's clock is
        moved on to the next of them: timers of hours cost nothing, deterministically.
        """
        assert self.client is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.example_timeout
        while True:
            if example.abort is not None:
                raise example.abort
            await self._check_worker(example, handle)
            events = (await handle.fetch_history()).events
            if close_status(events) != "RUNNING":
                return ""
            points = len(pause_points(events))
            self.ran = self.ran or points > 0
            if points > self.limits.max_steps:
                return f"stopped at max_steps={self.limits.max_steps} workflow tasks"
            state = open_work(events)
            if not any(state.values()):
                _unreached_to_idle(example)
                if not example.when_idle:
                    return "waiting for a signal or update (none left to send)"
                await send(example, [example.when_idle.pop(0)], IDLE, self.timeout)
                continue
            if loop.time() > deadline:
                return f"stopped after {self.limits.example_timeout:g} s (example timeout)"
            skip = await time_to_skip(self.env, self.client, handle, state)
            await (self.env.sleep(skip) if skip else asyncio.sleep(POLL_SECONDS))

    def _record(
        self,
        target: Target,
        example: Example,
        args: tuple[Any, ...],
        pause: int,
        full: tuple[Any, ...],
        stopped: str,
        drawn: tuple[int, int],
    ) -> Recorded:
        """Cut the full history at the pause point and describe what the cut history holds."""
        points = pause_points(full)
        end = len(full)
        if pause <= len(points) and points[pause - 1] < len(full):
            end = points[pause - 1]
        recorded = full[:end]
        cut = end < len(full)
        if cut:
            stopped = f"paused at the drawn point; the execution went on to {len(full)} events"
        signaled = sum(1 for e in recorded if event_type(e) == "WORKFLOW_EXECUTION_SIGNALED")
        signals = tuple(example.sent.values())[:signaled]  # in the order they were sent
        left_out = drawn[0] - len(signals)
        updates, updates_left_out, timed_out = recorded_updates(
            example, recorded, full, drawn[1], self.timeout
        )
        self.timed_out_updates += timed_out
        scenario = Scenario(
            workflow_type=target.workflow_type,
            workflow_id=example.workflow_id,
            args=args,
            pause_after=pause if cut else None,
            calls=recorded_calls(example.calls, example.workflow_id, recorded, cut),
            signals=signals,
            updates=updates,
            workflow_tasks=sum(1 for p in points if p <= end),
            total_tasks=len(points),
            status=close_status(recorded),
            events=len(recorded),
            last_event=event_type(recorded[-1]) if recorded else "",
            stopped=stopped
            + (f"; {plural(left_out, 'drawn signal')} not in the history" if left_out else "")
            + updates_left_out,
        )
        return Recorded(scenario, recorded, full)


def _belongs(workflow_id: str, example_id: str) -> bool:
    """Whether an activity's workflow is the example's execution or one of its children."""
    return workflow_id == example_id or workflow_id.startswith(example_id + "-")


def _unreached_to_idle(example: Example) -> None:
    """Signals and updates drawn for activity calls the execution has not made go out when it
    waits."""
    for number in sorted(example.at_call):
        example.when_idle.extend(example.at_call.pop(number))


def history_bytes(events: Sequence[Any]) -> bytes:
    """Serialized ``temporal.api.history.v1.History`` of ``events``."""
    from temporalio.api.history.v1 import History

    return bytes(History(events=list(events)).SerializeToString())
