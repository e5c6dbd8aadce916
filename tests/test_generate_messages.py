"""Generated histories (``replaycheck.generate``): the signals and updates an example sends, in
which order, and what the summary says of those it could not send (an update not accepted in
time, a dynamic handler no name is drawn for)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hypothesis import strategies as st

from replaycheck._explore_example import Example
from replaycheck._explore_send import interleave, plan, recorded_updates
from replaycheck._scenario import Scenario, SignalDelivery, UpdateDelivery
from replaycheck.generate import explore

ORDER = "tests.workflows.update_order"
WAITED = "when the execution waited"


class _Draws:
    """Stands in for Hypothesis' data: records the labels, draws the permutation given."""

    def __init__(self, order: list[str] | None = None) -> None:
        self.labels: list[str] = []
        self.order = order

    def draw(self, strategy: Any, label: str) -> Any:
        self.labels.append(label.split(" ")[0])
        return self.order


def test_an_update_before_a_signal_is_found_and_the_scenario_names_that_order() -> None:
    # Only an update accepted before the signal makes ApprovalV1 call 'hold' (the new code
    # 'escalate'). The scenario listed signals before updates whatever order they went in.
    result = explore(f"{ORDER}:ApprovalV1", new=[f"{ORDER}:ApprovalUngated"], max_examples=100)
    assert result.exit_code == 1, result.render()
    (found,) = result.counterexamples
    lines = found.scenario.render()
    assert "order sent: update expedite, then signal approve" in lines
    update = next(i for i, line in enumerate(lines) if line.startswith("update expedite()"))
    signal = next(i for i, line in enumerate(lines) if line.startswith("signal approve()"))
    assert update < signal
    text = result.render()
    assert "history recorded: activity 'hold'" in text
    assert "code commanded:   activity 'escalate'" in text
    assert "1 workflow type does not replay under the new code; gate the change" in text
    # With an error as well, the summary says so too (it named the counterexamples alone).
    both = replace(result, errors=("ApprovalV1: an error",)).render().splitlines()
    assert "ERROR ApprovalV1: an error" in both
    assert both[-1].endswith(
        "as the fix under each one shows, and 1 error above left part of it unchecked."
    ), both[-1]


def test_an_update_before_a_signal_at_the_same_point_is_drawn_and_found() -> None:
    # LateApproval's handlers count only once it waits, after its child made every activity
    # call a message can be drawn for: only an update and a signal both sent when it waits,
    # the update first, reach the change. Signals always went first there: every history
    # replayed.
    result = explore(
        [f"{ORDER}:LateApprovalV1", f"{ORDER}:Steps"],
        new=[f"{ORDER}:LateApprovalUngated", f"{ORDER}:Steps"],
        workflow_type="LateApproval", max_examples=300, max_steps=6, max_signals=1,
        max_updates=1, failures=False,
    )  # fmt: skip
    assert result.exit_code == 1, result.render()
    (found,) = result.counterexamples
    assert found.scenario.render()[-3:] == [
        "order sent: update expedite, then signal approve",
        f"update expedite() {WAITED}, accepted",
        f"signal approve() {WAITED}",
    ]
    assert "code commanded:   activity 'escalate'" in result.render()


def test_signals_and_updates_sent_at_one_point_go_in_the_drawn_order() -> None:
    signal, update = [("approve", (), None)], [("expedite", (), None)]
    draws = _Draws(["update", "signal"])
    example = Example(None, "generated-Approval-1", "Approval")
    plan(example, interleave(draws, signal, update))
    assert [m.kind for m in example.when_idle] == ["update", "signal"]
    assert draws.labels == ["order"]
    # One kind alone draws no order: what such a workflow draws is unchanged.
    alone = _Draws()
    assert [m.kind for m, _ in interleave(alone, signal * 2, [])] == ["signal", "signal"]
    assert [m.kind for m, _ in interleave(alone, [], update)] == ["update"]
    assert alone.labels == []


def test_the_scenario_lists_signals_and_updates_in_the_order_they_were_sent() -> None:
    scenario = Scenario(
        "Approval", "generated-Approval-1", status="COMPLETED",
        signals=(SignalDelivery("approve", (), WAITED, sent=2),),
        updates=(UpdateDelivery("expedite", (), WAITED, sent=1),
                 UpdateDelivery("expedite", ("late",), WAITED, sent=3, late=True)),
    )  # fmt: skip
    assert scenario.render()[-4:] == [
        "order sent: update expedite, then signal approve, then update expedite",
        f"update expedite() {WAITED}, accepted",
        f"signal approve() {WAITED}",
        f"update expedite('late') {WAITED}, accepted after the example timeout ran out",
    ]
    alone = Scenario("Approval", "x", signals=(SignalDelivery("approve", (), WAITED),))
    assert not [line for line in alone.render() if line.startswith("order sent")]


def test_an_update_not_accepted_in_time_is_said_not_sent_in_the_scenario() -> None:
    example = Example(None, "generated-Approval-1", "Approval")
    late = UpdateDelivery("expedite", (), WAITED, sent=1)
    example.late.append(("generated-Approval-1-update-1", late))
    updates, note, timed_out = recorded_updates(example, [], [], 1, 1.5)
    assert updates == () and timed_out == 1
    assert note == (
        "; 1 drawn update not in the history (1 not accepted within the 1.5 s example "
        "timeout: not sent)"
    )


def test_the_summary_counts_the_updates_not_accepted_within_the_example_timeout() -> None:
    # SlowToAccept's handler fails the workflow task: no drawn update is ever accepted.
    spec = f"{ORDER}:SlowToAccept"
    result = explore(spec, new=[spec], max_examples=5, example_timeout=1.0)
    assert result.ok, result.render()
    assert result.timed_out_updates > 0
    count = result.timed_out_updates
    updates = "1 drawn update was" if count == 1 else f"{count} drawn updates were"
    assert (
        f"warning: {updates} not accepted within the example timeout and count as not sent"
    ) in result.render()


def test_dynamic_handlers_get_nothing_and_the_summary_says_so() -> None:
    spec = f"{ORDER}:DynamicHandlers"
    result = explore(spec, new=[spec], max_examples=3)
    assert result.ok, result.render()
    assert (
        "warning: generate sent nothing to the dynamic signal handler of DynamicHandlers, the "
        "dynamic update handler of DynamicHandlers: a dynamic handler takes any name"
    ) in result.render()
    # Named signals reach it: nothing is left unsaid then, for signals.
    named = explore(spec, new=[spec], max_examples=3, signals={"poke": st.just(())})
    assert "dynamic signal handler" not in named.render()
    assert "the dynamic update handler of DynamicHandlers" in named.render()
