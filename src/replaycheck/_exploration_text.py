"""An :class:`~replaycheck.generate.Exploration` as text: each counterexample, then a summary
saying what to do, and what the search could not explore."""

from __future__ import annotations

from typing import TYPE_CHECKING

from replaycheck._render_summary import what_to_do
from replaycheck.report import plural

if TYPE_CHECKING:
    from replaycheck.generate import Exploration


def render_exploration(result: Exploration) -> str:
    """A text report: each counterexample, then one summary line (and its notes, warnings)."""
    parts = [c.render() for c in result.counterexamples]
    parts += [f"ERROR {e}" for e in result.errors]
    rate = result.histories / result.seconds if result.seconds else 0.0
    summary = (
        f"generated {plural(result.histories, 'history')}"
        f" ({plural(result.shapes, 'distinct shape')}) for "
        f"{', '.join(result.workflow_types)} in {result.seconds:.1f} s ({rate:.1f}/s): "
    )
    unchecked = f"{plural(len(result.errors), 'error')} above left part of it unchecked"
    if result.counterexamples:
        count = len(result.counterexamples)
        failing = [c.verdict for c in result.counterexamples]
        summary += (
            f"{plural(count, 'workflow type')} {'does' if count == 1 else 'do'} not replay "
            f"under the new code; {what_to_do(failing, shown='under each one', own='under it')}"
            f"{f', and {unchecked}' if result.errors else ''}."
        )
    elif result.errors and not result.histories:
        summary += f"nothing was checked: {plural(len(result.errors), 'error')} above stopped it."
    elif result.errors:
        summary += f"those generated replay under the new code, but {unchecked}."
    else:
        summary += "every one replays under the new code."
    if result.new_modules:
        summary += (
            f"\nnote: {', '.join(result.new_modules)} "
            f"{'is' if len(result.new_modules) == 1 else 'are'} not at {result.baseline_ref}: "
            "new since, no execution recorded by that code runs it, so it was left out."
        )
    if result.untyped:
        summary += (
            f"\nwarning: no result type found for activity {', '.join(result.untyped)}: its "
            "stand-in returned None every time, so branches on its result were not "
            "explored; give it a return type hint, or pass activities={name: strategy} to "
            "replaycheck.generate.explore()."
        )
    if result.undrawn:
        summary += (
            f"\nwarning: generate sent nothing to {', '.join(result.undrawn)}: a dynamic "
            "handler takes any name, so none is drawn for it and what it does was not "
            "explored; pass signals={name: strategy} or updates={name: strategy} to "
            "replaycheck.generate.explore() to send it those names."
        )
    if result.timed_out_updates:
        summary += (
            f"\nwarning: {plural(result.timed_out_updates, 'drawn update')} "
            f"{'was' if result.timed_out_updates == 1 else 'were'} not accepted within "
            "the example timeout and count as not sent (a workflow task that fails or "
            "runs long holds an update back); what their handlers do was not explored there."
        )
    return "\n\n".join([*parts, summary]) + "\n"
