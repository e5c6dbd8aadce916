"""The replay worker's pipe reader: a verdict that waited in the pipe is not a timeout."""

from __future__ import annotations

import os

import pytest

from replaycheck._pipes import LineReader


def test_a_line_already_in_the_pipe_is_read_after_the_deadline() -> None:
    # The pytest plugin queues every history at collection and reads each verdict only when
    # its item runs, often long after the worker answered.
    read, write = os.pipe()
    try:
        os.write(write, b"late but there\npartial")
        reader = LineReader(read)
        assert reader.readline(-5) == b"late but there\n"
        assert reader.readline(0) is None  # an incomplete line is not a line
        os.write(write, b" line\n")
        assert reader.readline(0) == b"partial line\n"
    finally:
        os.close(read)
        os.close(write)


def test_a_timeout_of_centuries_does_not_overflow_select() -> None:
    read, write = os.pipe()
    try:
        os.write(write, b"answer\n")
        assert LineReader(read).readline(1e10) == b"answer\n"  # select() alone overflows
    finally:
        os.close(read)
        os.close(write)


def test_lines_are_read_where_select_takes_sockets_only(monkeypatch: pytest.MonkeyPatch) -> None:
    # Windows' select() refuses a pipe (WinError 10038): every replay would fail there.
    import select
    import sys

    def sockets_only(*args: object) -> None:
        raise OSError(10038, "An operation was attempted on something that is not a socket")

    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(select, "select", sockets_only)
    read, write = os.pipe()
    try:
        reader = LineReader(read)
        os.write(write, b"first\nsec")
        assert reader.readline(30) == b"first\n"
        assert reader.readline(0.05) is None  # an incomplete line is not a line
        os.write(write, b"ond\nthird")
        assert reader.readline(1e10) == b"second\n"
        os.close(write)
        write = -1
        assert reader.readline(30) == b"third"  # what is left at the end of the pipe
        assert reader.readline(30) == b""
    finally:
        os.close(read)
        if write != -1:
            os.close(write)


def test_a_reader_thread_never_reads_the_next_workers_pipe() -> None:
    # A worker's pipe is closed when it is stopped; the next worker's pipe may get the same
    # descriptor number while the old reader thread still reads.
    read, write = os.pipe()
    reader = LineReader(read, threaded=True)
    os.close(read)
    next_read, next_write = os.pipe()
    try:
        os.write(next_write, b"for the next worker\n")
        os.write(write, b"the last answer\n")
        assert reader.readline(30) == b"the last answer\n"
        assert LineReader(next_read, threaded=True).readline(30) == b"for the next worker\n"
    finally:
        for fd in (write, next_read, next_write):
            os.close(fd)
