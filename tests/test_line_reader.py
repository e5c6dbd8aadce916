"""The replay worker's pipe reader: a verdict that waited in the pipe is not a timeout."""

from __future__ import annotations

import os

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
