"""Progress on stderr: a bar redrawn in place on a terminal, a plain line now and then otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 30
LINE_INTERVAL = 2.0
"""Seconds between plain progress lines (when stderr is not a terminal)."""


class Progress:
    """Counts work done out of an optional total and shows it on ``stream``."""

    def __init__(
        self,
        noun: str,
        *,
        total: int | None = None,
        stream: TextIO | None = None,
        tty: bool | None = None,
    ) -> None:
        self.noun = noun
        self.total = total
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.done = 0
        self.note = ""
        self.shown = False
        self.last = time.monotonic()

    def advance(self, count: int = 1, note: str = "") -> None:
        """``count`` more done; ``note`` (e.g. "3 skipped") is shown after the count."""
        self.update(self.done + count, note)

    def update(self, done: int, note: str = "") -> None:
        """``done`` so far; ``note`` (e.g. "3 skipped") is shown after the count."""
        self.done = done
        self.note = note or self.note
        now = time.monotonic()
        if self.tty:
            if now - self.last >= 0.1 or self.done == self.total:
                self._draw()
                self.last = now
        elif now - self.last >= LINE_INTERVAL:
            self.stream.write(self._text() + "\n")
            self.stream.flush()
            self.last = now

    def finish(self) -> None:
        """End the bar's line (a terminal) so later output starts on a fresh line."""
        if self.tty and self.shown:
            self._draw()
            self.stream.write("\n")
            self.stream.flush()

    def _text(self) -> str:
        count = f"{self.done}/{self.total}" if self.total is not None else str(self.done)
        note = f" ({self.note})" if self.note else ""
        one = self.done == 1 and self.total is None  # "1 example", "1/4 examples"
        return f"{count} {self.noun.removesuffix('s') if one else self.noun}{note}"

    def _draw(self) -> None:
        if self.total:
            filled = min(BAR_WIDTH, BAR_WIDTH * self.done // self.total)
            bar = "[" + "#" * filled + "." * (BAR_WIDTH - filled) + "] "
        else:
            bar = ""
        self.stream.write("\r\x1b[2K" + bar + self._text())
        self.stream.flush()
        self.shown = True
