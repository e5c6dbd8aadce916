"""The workflow's own frames on a stack: which files are user code (not temporalio, replaycheck
or the standard library), and the user-code frames from a frame outwards, across tasks."""

from __future__ import annotations

import asyncio
import os
import sysconfig
from types import CodeType, FrameType

import temporalio

import replaycheck

RawFrame = tuple[str, int, str]
"""``(file, line, function)`` of one frame, innermost first in a stack."""
Site = tuple[CodeType, int]
"""A frame's code and the offset of the instruction it runs (``replaycheck._commands.Site``)."""

MAX_FRAMES = 6
"""User-code frames kept per command: the issuing line and its callers."""
ORIGIN_DEPTH = MAX_FRAMES
"""Frames CPython keeps of where each coroutine was created, while an activation runs (each
costs a little on every coroutine the workflow creates, so only as many as are shown)."""


def _roots(*paths: str) -> tuple[str, ...]:
    """Directory prefixes (with a trailing separator), as given and with symlinks resolved."""
    found = {os.path.join(p, "") for p in paths} | {
        os.path.join(os.path.realpath(p), "") for p in paths
    }
    return tuple(sorted(found))


_PATHS = sysconfig.get_paths()
LIBRARIES = _roots(os.path.dirname(temporalio.__file__), os.path.dirname(replaycheck.__file__))
"""temporalio's and replaycheck's own directories: never the workflow's code."""
STDLIB = _roots(_PATHS["stdlib"], _PATHS["platstdlib"])
SITE_PACKAGES = _roots(_PATHS["purelib"], _PATHS["platlib"])
_IS_USER: dict[str, bool] = {}


def is_user_file(filename: str) -> bool:
    """Not temporalio, replaycheck or the standard library (installed packages count as user's)."""
    known = _IS_USER.get(filename)
    if known is None:
        library = filename.startswith(LIBRARIES) or (
            filename.startswith(STDLIB) and not filename.startswith(SITE_PACKAGES)
        )
        known = not filename.startswith("<") and not library
        _IS_USER[filename] = known
    return known


INTERCEPTOR_CODE: set[CodeType] = set()
"""The code of the methods of the worker's own workflow interceptors (``interceptors``, and
those its plugins add; ``replaycheck._capture`` adds each class as a workflow meets it)."""


def user_stack(
    frame: FrameType | None, sites: list[Site | None] | None = None
) -> tuple[RawFrame, ...]:
    """The user-code frames from ``frame`` outwards (temporalio, stdlib, replaycheck skipped),
    each one's :data:`Site` appended to ``sites`` when given (``None`` for a task's origin;
    none at all for an interceptor's frames).

    A coroutine run as its own task (``asyncio.gather(workflow.execute_activity(...))``,
    ``asyncio.create_task(helper())``) has no caller on the stack; the frames where the task's
    coroutine was created (``cr_origin``, tracked during activations) continue the chain.
    A worker interceptor's frames (:data:`INTERCEPTOR_CODE`) are left out when the workflow's
    code is on the stack too (the interceptor passed its call on); they are the stack when only
    the interceptor is (it issued the command itself).
    """
    found: list[RawFrame] = []
    wrapping: list[RawFrame] = []
    while frame is not None and len(found) < MAX_FRAMES:
        code = frame.f_code
        if is_user_file(code.co_filename):
            into = wrapping if code in INTERCEPTOR_CODE else found
            into.append((code.co_filename, frame.f_lineno, code.co_name))
            if sites is not None and into is found:
                sites.append((code, frame.f_lasti))
        frame = frame.f_back
    if len(found) < MAX_FRAMES:
        for origin in _task_origin():
            if is_user_file(origin[0]) and len(found) < MAX_FRAMES:
                found.append(origin)
                if sites is not None:
                    sites.append(None)
    return tuple(found or wrapping[:MAX_FRAMES])


def _task_origin() -> tuple[RawFrame, ...]:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop
        return ()
    origin = getattr(task.get_coro(), "cr_origin", None) if task is not None else None
    return tuple(origin) if origin else ()
