"""Parameter types of the command line shared by its commands."""

from __future__ import annotations

from typing import Any

import click


class FiniteRange(click.FloatRange):
    """A ``click.FloatRange`` that also refuses ``nan`` (which compares false with both ends),
    and says its range in words (``'0' is not a number above 0 and at most 36500``), then
    ``why``, when given: what the number means and what to pass instead."""

    def __init__(self, *args: Any, why: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.why = why

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            number = super().convert(value, param, ctx)
        except click.BadParameter:
            number = float("nan")
        if number != number:
            why = f": {self.why}" if self.why else ""
            self.fail(f"{str(value)!r} is not a number {self._in_words()}{why}.", param, ctx)
        return number

    def _in_words(self) -> str:
        low = high = ""
        if self.min is not None:
            low = f"above {self.min:g}" if self.min_open else f"from {self.min:g}"
        if self.max is not None:
            high = f"below {self.max:g}" if self.max_open else f"at most {self.max:g}"
        return " and ".join(x for x in (low, high) if x)
