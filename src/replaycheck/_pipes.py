"""The pipes between the supervisor and a replay worker: lines in, lines out, never blocking
the supervisor on the worker (nor the worker on the supervisor)."""

from __future__ import annotations

import os
import queue
import select
import sys
import threading
import time
from typing import IO


class Writer:
    """Writes a worker's stdin from a thread of its own.

    A worker answers while it reads: written from the supervising thread, a long queue of
    paths (800 of ordinary length fill the pipe) would block it while the worker blocks on a
    full pipe of verdicts nobody reads, each waiting for the other forever.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.lines: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="replaycheck-writer", daemon=True)
        self.thread.start()

    def put(self, line: bytes) -> None:
        self.lines.put(line)

    def close(self) -> None:
        """Stop after what is queued (the caller has killed the worker: at once)."""
        self.lines.put(None)
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            line = self.lines.get()
            chunk = []
            while line is not None:
                chunk.append(line)
                try:
                    line = self.lines.get_nowait()
                except queue.Empty:
                    break
            try:
                if chunk:
                    self.stream.write(b"".join(chunk))
                    self.stream.flush()
            except (OSError, ValueError):
                return  # the worker died (next_verdict() sees it and restarts) or was closed
            if line is None:
                return


class LineReader:
    """Reads lines from a pipe with a timeout: ``select`` on the raw descriptor, or where
    ``select`` takes sockets only (Windows) a thread that reads the pipe into a queue."""

    def __init__(self, fd: int, *, threaded: bool | None = None) -> None:
        self.fd = fd
        self.buffer = b""
        self.ended = False
        self.chunks: queue.SimpleQueue[bytes] | None = None
        if sys.platform == "win32" if threaded is None else threaded:
            self.chunks = queue.SimpleQueue()
            # Its own descriptor: the caller's, closed with the worker, may be reused (by the
            # next worker's pipe) before this thread sees the end of the pipe.
            own = os.dup(fd)
            threading.Thread(
                target=self._pump, args=(own,), name="replaycheck-reader", daemon=True
            ).start()

    def readline(self, timeout: float) -> bytes | None:
        """A line, ``b""`` at end of file, ``None`` when ``timeout`` seconds pass first.

        What the pipe already holds is read even when ``timeout`` has passed: a worker that
        answered while nobody was reading (the pytest plugin reads verdicts only as their items
        run) has not timed out.
        """
        end = time.monotonic() + max(0.0, timeout)
        while b"\n" not in self.buffer:
            remaining = max(0.0, end - time.monotonic())
            # Neither select() nor a lock can wait centuries (OverflowError): a day at a time.
            chunk = self._next_chunk(min(remaining, 86400.0))
            if chunk is None:
                if remaining <= 86400.0:
                    return None
                continue
            if not chunk:
                line, self.buffer = self.buffer, b""
                return line
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def _next_chunk(self, seconds: float) -> bytes | None:
        """What the pipe holds next (``b""`` at its end), or ``None`` after ``seconds``."""
        if self.ended:
            return b""
        if self.chunks is None:
            if not select.select([self.fd], [], [], seconds)[0]:
                return None
            return os.read(self.fd, 65536)
        try:
            chunk = self.chunks.get(timeout=seconds) if seconds > 0 else self.chunks.get_nowait()
        except queue.Empty:
            return None
        self.ended = not chunk
        return chunk

    def _pump(self, fd: int) -> None:
        """Read the pipe from ``fd`` until its end, for ``readline``; then close ``fd``."""
        assert self.chunks is not None
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while True:
                try:
                    chunk = pipe.read(65536) or b""
                except OSError:
                    chunk = b""
                self.chunks.put(chunk)
                if not chunk:
                    return
