"""What one example of a generation run is made of: the workflow type explored and the bounds
of an example, what a stand-in activity does for a call, the running example's state and what
it recorded, and the signals and updates it sends."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from replaycheck._scenario import ActivityCall, Scenario, SignalDelivery, UpdateDelivery

if TYPE_CHECKING:
    from temporalio.client import WorkflowHandle


@dataclass(frozen=True)
class Outcome:
    """What a stand-in activity does for one call: return ``value`` or fail."""

    ok: bool
    value: Any = None
    retryable: bool = True

    def describe(self) -> str:
        """``returned 'x'`` / ``failed (retryable)``."""
        if self.ok:
            text = repr(self.value)
            return "returned " + (text if len(text) <= 80 else text[:77] + "...")
        return "failed (retryable)" if self.retryable else "failed (non-retryable)"


@dataclass
class Returns:
    """Which activities' drawn results the data converter encoded, and why it refused others.

    A result it cannot encode no real activity could return either (its worker would retry the
    call forever): the example is skipped, and an activity none of whose results could be
    encoded is a configuration problem, said once per workflow type.
    """

    encoded: set[str] = field(default_factory=set)
    refused: dict[str, Exception] = field(default_factory=dict)

    def note(self, name: str, error: Exception | None) -> None:
        """Activity ``name``'s drawn result encoded (``error`` None) or not."""
        if error is None:
            self.encoded.add(name)
        else:
            self.refused.setdefault(name, error)

    def never(self) -> str:
        """The error for the first activity none of whose results encoded, else ``""``."""
        for name, error in self.refused.items():
            if name not in self.encoded:
                return (
                    f"no drawn results of activity {name!r} could be encoded "
                    f"({type(error).__name__}: {error}); set data_converter under "
                    "[tool.replaycheck] to your worker's converter, or pass "
                    f"activities={{{name!r}: strategy}} to replaycheck.generate.explore()"
                )
        return ""


@dataclass(frozen=True)
class Target:
    """One workflow type to explore and the strategies for what happens to it."""

    workflow_type: str
    args: st.SearchStrategy[tuple[Any, ...]]
    signals: Mapping[str, st.SearchStrategy[tuple[Any, ...]]]
    updates: Mapping[str, st.SearchStrategy[tuple[Any, ...]]] = field(default_factory=dict)
    undrawn: tuple[str, ...] = ()
    """Its dynamic handlers nothing is drawn for (``signal``, ``update``): their names are
    unknown."""


@dataclass(frozen=True)
class Limits:
    """Bounds of one example."""

    max_steps: int
    """Workflow tasks an execution may complete (and activity calls that may fail)."""
    max_signals: int
    example_timeout: float
    """Real seconds one execution may take before it is recorded as it stands."""
    max_updates: int = 3


@dataclass(frozen=True)
class Recorded:
    """One example's execution: what was recorded, and the full history it came from."""

    scenario: Scenario
    events: tuple[Any, ...]
    """The recorded history (a prefix of ``full`` when paused at a drawn point)."""
    full: tuple[Any, ...]


@dataclass(frozen=True)
class Message:
    """A drawn signal or update waiting to be sent."""

    kind: str
    """``signal`` or ``update``."""
    name: str
    args: tuple[Any, ...]
    index: int
    """Its place among the drawn messages of its kind."""


@dataclass
class Example:
    """Mutable state of the running example, shared with the stand-in activity."""

    data: Any
    workflow_id: str
    workflow_type: str
    """The workflow type the example runs (its messages name it)."""
    handle: WorkflowHandle[Any, Any] | None = None
    calls: list[tuple[ActivityCall, str, str]] = field(default_factory=list)
    """(call, workflow id, activity id)."""
    at_call: dict[int, list[Message]] = field(default_factory=dict)
    """Messages to send while activity call N runs."""
    when_idle: list[Message] = field(default_factory=list)
    sent: dict[int, SignalDelivery] = field(default_factory=dict)
    updates: list[tuple[str, UpdateDelivery]] = field(default_factory=list)
    """(update id, delivery) of each update sent, accepted or rejected."""
    late: list[tuple[str, UpdateDelivery]] = field(default_factory=list)
    """(update id, delivery) of each update not accepted or rejected within the timeout."""
    sends: int = 0
    """Signals and updates sent so far (each delivery's ``sent``)."""
    worker: asyncio.Task[None] | None = None
    """The baseline worker's run: an update stops waiting once it ends."""
    abort: BaseException | None = None
    """Raised by Hypothesis inside a stand-in; re-raised in the test, where it belongs."""


def outcome_strategy(results: st.SearchStrategy[Any], failures: bool) -> st.SearchStrategy[Any]:
    """Success first (it is what shrinking tends to), then retryable and final failures."""
    ok = results.map(lambda value: Outcome(True, value))
    if not failures:
        return ok
    return st.one_of(ok, st.sampled_from([Outcome(False), Outcome(False, retryable=False)]))
