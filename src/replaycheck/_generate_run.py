"""Running one exploration: Hypothesis draws examples, the engine records histories, one replay
worker checks them against the new code. Public API and results live in ``generate``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from hypothesis import strategies as st

from replaycheck._explore import Engine, history_bytes
from replaycheck._explore_example import Limits, Recorded, Returns, Target
from replaycheck._progress import Progress
from replaycheck._scenario import Scenario
from replaycheck._server_failure import RunStopped, is_server_failure, server_failed
from replaycheck.verdict import Verdict

QUIET_LOGGERS = ("temporalio.activity", "temporalio.workflow", "temporalio.worker._activity")
PYDANTIC_WARNING = ".*pydantic_data_converter"
"""temporalio's default converter warns, each time it converts a pydantic model, to use
pydantic's: the replay worker says so once, in a note naming the data_converter setting."""


class FoundNondeterminism(AssertionError):
    """A generated history does not replay under the new code (fails the Hypothesis example)."""

    def __init__(self, scenario: Scenario, verdict: Verdict, whole: tuple[Any, ...] = ()) -> None:
        super().__init__(f"{verdict.message} ({scenario.state()})")
        self.scenario = scenario
        self.verdict = verdict
        self.whole = whole
        """The whole history the execution went on to, when the failing one is a prefix of it."""


@dataclass
class Tally:
    """Counts across an exploration, and one history per shape seen."""

    histories: int = 0
    errors: list[Verdict] = field(default_factory=list)
    shapes: dict[str, tuple[str, Scenario, tuple[Any, ...]]] = field(default_factory=dict)
    """shape id -> (workflow type, scenario, events) of the first history with that shape."""

    def add(self, recorded: Recorded) -> None:
        """Count a recorded history and remember its shape."""
        from temporalio.api.history.v1 import History

        from replaycheck.shapes import history_shape, shape_id

        self.histories += 1
        key = shape_id(history_shape(History(events=list(recorded.events))))
        if key not in self.shapes:
            self.shapes[key] = (recorded.scenario.workflow_type, recorded.scenario, recorded.events)


@dataclass(frozen=True)
class TypeOutcome:
    """What exploring one workflow type found."""

    workflow_type: str
    examples: int
    failure: FoundNondeterminism | None = None
    error: str = ""
    halted: bool = False
    """The test server failed: the run ends here (``error`` says how)."""


class Runner:
    """Owns the event loop, the engine and the replay session of one exploration."""

    def __init__(
        self,
        engine: Engine,
        replay_job: Any,
        on_example: Callable[[Recorded, Verdict], None] | None = None,
        progress: Progress | None = None,
    ) -> None:
        from replaycheck.replay import WorkerSession

        self.engine = engine
        self.session = WorkerSession(replay_job)
        self.loop = asyncio.new_event_loop()
        self.tally = Tally()
        self.on_example = on_example
        self.progress = progress
        """Examples run so far, shown on stderr by the command line."""
        self.heading = ""
        """The workflow type being explored, and which of how many (``Orders, type 1 of 3``)."""
        self.shrinking = False
        self.found: FoundNondeterminism | None = None
        """The last failing example of the type being explored (the smallest so far)."""
        self.failed: RunStopped | None = None
        """The test server's failure that ended the type being explored."""
        self.keys = iter(range(1 << 62))
        self.levels: dict[str, int] = {}
        self.warnings = warnings.catch_warnings()

    def __enter__(self) -> Runner:
        from replaycheck._server_failure import start_failed
        from replaycheck.errors import ConfigError, ReplaycheckError
        from replaycheck.testing import DevServerNotFound, ServerStartFailed

        for name in QUIET_LOGGERS:  # drawn activity failures are expected, not news
            logger = logging.getLogger(name)
            self.levels[name] = logger.level
            logger.setLevel(logging.CRITICAL)
        self.warnings.__enter__()
        warnings.filterwarnings("ignore", PYDANTIC_WARNING, UserWarning, r"temporalio\.converter")
        try:
            self.session.start()
            self.loop.run_until_complete(self.engine.start())
        except BaseException as exc:
            self.__exit__()
            if isinstance(exc, DevServerNotFound):
                raise ConfigError(f"{exc} (generate runs the baseline code on it).") from None
            if isinstance(exc, ServerStartFailed) or is_server_failure(exc):
                raise ReplaycheckError(start_failed(exc)) from None
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            with contextlib.suppress(Exception):  # a half-started engine closes what it has
                self.loop.run_until_complete(self.engine.close())
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        finally:
            self.loop.close()
            self.session.close()
            for name, level in self.levels.items():
                logging.getLogger(name).setLevel(level)
            self.warnings.__exit__(None, None, None)

    def new_types(self) -> tuple[str, ...]:
        """Workflow types the new code registers (waits for the replay worker)."""
        return self.session.workflow_types()

    def example(self, data: Any, target: Target) -> None:
        """One Hypothesis example: run, record, replay; raise on nondeterminism."""
        try:
            recorded = self.loop.run_until_complete(self.engine.run(data, target))
        except BaseException as exc:  # not a finding: never shrunk nor reported as one
            if isinstance(exc, RunStopped):  # sent a signal or update
                self.failed = exc
            elif is_server_failure(exc):
                self.failed = server_failed(exc, target.workflow_type, self.engine.example_id)
            else:
                raise
            raise self.failed from None
        if not recorded.scenario.workflow_tasks:
            return  # no workflow task completed: nothing a replay could check
        verdict = self.replay(recorded)
        self.tally.add(recorded)
        if self.on_example is not None:
            self.on_example(recorded, verdict)
        if verdict.verdict == "nondeterministic":
            self.shrinking = True
            cut = len(recorded.full) > len(recorded.events)
            self.found = FoundNondeterminism(
                recorded.scenario, verdict, recorded.full if cut else ()
            )
            raise self.found
        if verdict.verdict == "error":
            self.tally.errors.append(verdict)

    def replay(self, recorded: Recorded) -> Verdict:
        """The new code's verdict on one recorded history."""
        return self._replay(recorded.scenario, recorded.events, recorded.scenario.status)

    def _replay(self, scenario: Scenario, events: Sequence[Any], status: str) -> Verdict:
        self.session.submit_history(
            next(self.keys),
            f"generated:{scenario.workflow_type}/{scenario.workflow_id}",
            history_bytes(events),
            workflow_id=scenario.workflow_id,
            status=status,
        )
        return self.session.next_verdict()[1]

    def read_whole(self, found: FoundNondeterminism) -> FoundNondeterminism:
        """The minimal example with the diagnosis its whole execution gives.

        A history paused where the code diverges cannot show what the execution ran after it (the
        call the change moved up ran later: a reorder, not an addition); the whole execution
        diverges at the same event and shows it, so its fix is the one to apply. The paused
        history's severity stays: that is the execution the scenario describes.
        """
        from replaycheck._scenario import close_status

        paused = found.verdict.diagnosis
        if not found.whole or paused is None:
            return found
        whole = self._replay(found.scenario, found.whole, close_status(found.whole))
        fuller = whole.diagnosis
        if whole.verdict != "nondeterministic" or fuller is None:
            return found
        if fuller.event_id != paused.event_id:
            return found
        diagnosis = replace(fuller, severity=paused.severity)
        return FoundNondeterminism(found.scenario, replace(found.verdict, diagnosis=diagnosis))

    def explore(self, target: Target, settings: Any) -> TypeOutcome:
        """Search one workflow type; the minimal failing example, if any, comes back."""
        from hypothesis import given
        from hypothesis.errors import Flaky, Unsatisfiable

        count = [0]
        self.engine.encode_error, self.engine.encoded = None, "arguments"  # this type's
        self.engine.returns = Returns()

        self.shrinking, self.found, self.failed = False, None, None

        def search(data: Any) -> None:
            count[0] += 1
            if self.progress is not None:
                shrinking = "; shrinking a failing example" if self.shrinking else ""
                self.progress.advance(note=self.heading + shrinking)
            self.example(data, target)

        try:
            try:
                settings(given(st.data())(search))()
            except BaseException:
                # Hypothesis may report an example the server cut short as flaky (it drew
                # less than the same example before): the server's failure is what happened.
                if self.failed is not None:
                    raise self.failed from None
                raise
        except FoundNondeterminism as exc:
            return TypeOutcome(target.workflow_type, count[0], failure=self.read_whole(exc))
        except RunStopped as exc:  # what was found before it stays found
            found = self.read_whole(self.found) if self.found is not None else None
            return TypeOutcome(
                target.workflow_type, count[0], failure=found, error=str(exc), halted=True
            )
        except Flaky as exc:
            return TypeOutcome(target.workflow_type, count[0], error=f"flaky example: {exc}")
        except Unsatisfiable:
            error = self.engine.encode_error
            why = f" ({type(error).__name__}: {error})" if error is not None else ""
            return TypeOutcome(
                target.workflow_type, count[0],
                error=f"no drawn {self.engine.encoded} could be encoded{why}; set data_converter "
                "under [tool.replaycheck] to your worker's converter, or give strategies for "
                f"the {self.engine.encoded.split(' of ')[0]}",
            )  # fmt: skip
        return TypeOutcome(target.workflow_type, count[0], error=self.engine.returns.never())


def hypothesis_settings(max_examples: int, seed: int | None) -> Any:
    """Settings for a bounded, reproducible search (no example database, no deadline)."""
    from hypothesis import HealthCheck, Phase, Verbosity, settings

    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        verbosity=Verbosity.quiet,
        report_multiple_bugs=False,
        print_blob=False,
    )


def run_targets(
    runner: Runner, targets: Sequence[Target], max_examples: int, seed: int | None
) -> list[TypeOutcome]:
    """Explore each target in turn with the same server, worker and replay session."""
    from hypothesis import seed as hypothesis_seed

    outcomes = []
    for number, target in enumerate(targets, 1):
        runner.heading = f"{target.workflow_type}, type {number} of {len(targets)}"
        settings = hypothesis_settings(max_examples, seed)
        if seed is not None:
            settings = _with_seed(settings, hypothesis_seed(seed))
        outcomes.append(runner.explore(target, settings))
        if outcomes[-1].halted:
            break  # the types left are not explored: the error says to run again
    return outcomes


def _with_seed(settings: Any, seeder: Any) -> Any:
    def apply(test: Any) -> Any:
        return seeder(settings(test))

    return apply


def make_limits(
    max_steps: int, max_signals: int, example_timeout: float, max_updates: int = 3
) -> Limits:
    """Validated limits."""
    from replaycheck.errors import ConfigError

    if max_steps < 1 or max_signals < 0 or max_updates < 0 or example_timeout <= 0:
        raise ConfigError(
            "max_steps must be at least 1, max_signals and max_updates at least 0 and "
            "example_timeout positive."
        )
    return Limits(max_steps, max_signals, example_timeout, max_updates)


def strategies_for(types: Sequence[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    """A tuple strategy drawing one value per type hint (``None`` where there is no hint)."""
    return st.tuples(*(strategy_for_type(t) for t in types))


def strategy_for_type(hint: Any) -> st.SearchStrategy[Any]:
    """A strategy for values of ``hint`` (``None`` for an absent or ``Any`` hint)."""
    if hint is None or hint is Any or hint is type(None):
        return st.none()
    return st.from_type(hint)


def as_tuple_strategy(value: Any, arity: int) -> st.SearchStrategy[tuple[Any, ...]]:
    """A user's argument strategy as a tuple strategy.

    A sequence holds one strategy per parameter; a single strategy draws the one argument of a
    one-parameter method, or the whole argument tuple otherwise.
    """
    if isinstance(value, (list, tuple)):
        return st.tuples(*value)
    if arity == 1:
        return value.map(lambda v: (v,))  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


def merge_signals(
    defined: Mapping[str, Sequence[Any]], given: Mapping[str, Any] | None
) -> dict[str, st.SearchStrategy[tuple[Any, ...]]]:
    """Signal (or update) strategies: every defined one from its hints, or exactly the ones
    given."""
    if given is None:
        return {name: strategies_for(types) for name, types in defined.items()}
    return {
        name: as_tuple_strategy(value, len(defined.get(name, ()))) for name, value in given.items()
    }


def timed(func: Callable[[], Any]) -> tuple[Any, float]:
    """``func()`` and the wall seconds it took."""
    start = time.monotonic()
    value = func()
    return value, time.monotonic() - start
