"""When the workflow code itself raises while a history replays: say what, where, and the fix.

temporalio reports such a workflow task failure as text wrapping a Rust debug dump of the failure
(message, Python stack trace, exception type). A worker running the same code would fail the
workflow task of executions like the one replayed and retry it until the code changes, so the
verdict names the exception, the line of workflow code that raised it, and, when the sandbox
stopped a nondeterministic call, the deterministic call to use instead.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from replaycheck._converter_failure import ConfiguredConverter, converting_failed
from replaycheck._places import display_file

_FAILURE = re.compile(
    r"Workflow activation completion failed: Failure \{ failure: Some\(Failure \{ message: "
    r'"((?:[^"\\]|\\.)*)", source: "(?:[^"\\]|\\.)*", stack_trace: "((?:[^"\\]|\\.)*)"'
)
_TYPE = re.compile(r'ApplicationFailureInfo \{ r#type: "(\w+)"')
_SAYS_IT_ALL = frozenset({"UnsupportedVersionError"})
"""Exceptions of replaycheck's own (``get_version``) whose message already says what to do."""
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|.)")
_FRAME = re.compile(r'  File "([^"\n]+)", line (\d+), in ([^\n]+)\n(?:    ([^\n]*)\n)?')
_DEADLOCK = re.compile(
    r"\[TMPRL1101\] Potential deadlock detected: workflow didn't yield within (\d+) second"
)
_RESTRICTED = re.compile(r"Cannot access ([\w.]+?)(?:\.__call__)? from inside a workflow")

# What the sandbox forbids, by the start of the name it reports, and what to call instead.
_INSTEAD = (
    (("datetime.datetime.now", "datetime.datetime.utcnow", "datetime.datetime.today",
      "datetime.date.today"), "workflow.now()"),
    (("time.time", "time.monotonic", "time.perf_counter"), "workflow.time()"),
    (("time.sleep",), "await workflow.sleep(...)"),
    (("random.",), "workflow.random()"),
    (("uuid.uuid",), "workflow.uuid4()"),
)  # fmt: skip


@dataclass(frozen=True)
class Frame:
    path: str
    line: int
    function: str
    code: str


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(int(code[2:-1], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(code, code)

    return _ESCAPE.sub(one, text)


def traceback_frames(stack_trace: str) -> list[Frame]:
    """The frames of a Python stack trace (``  File "wf.py", line 40, in run``), in its order."""
    return [
        Frame(m.group(1), int(m.group(2)), m.group(3).strip(), (m.group(4) or "").strip())
        for m in _FRAME.finditer(stack_trace)
    ]


def workflow_frame(stack_trace: str, *, innermost_first: bool = False) -> Frame | None:
    """The innermost frame of workflow code in a stack trace: not temporalio's or
    replaycheck's, and outside the standard library and site-packages when any frame is (else
    the innermost of the others). temporalio lists a deadlocked thread's frames
    ``innermost_first``.
    """
    frames = traceback_frames(stack_trace)
    if innermost_first:
        frames.reverse()
    # Runs in the replay worker, where temporalio (which _capture imports) is loaded anyway.
    from replaycheck._user_frames import LIBRARIES, SITE_PACKAGES, STDLIB

    frames = [f for f in frames if not f.path.startswith(LIBRARIES)]
    libraries = (*STDLIB, *SITE_PACKAGES)
    own = [f for f in frames if not f.path.startswith(libraries) and not f.path.startswith("<")]
    chosen = own or frames
    return chosen[-1] if chosen else None


def _instead(name: str) -> str:
    for prefixes, call in _INSTEAD:
        if name.startswith(prefixes):
            return f"use {call} instead"
    return (
        "move it into an activity, or, if it is deterministic, import its module with "
        "workflow.unsafe.imports_passed_through()"
    )


def code_failure_message(text: str, converter: ConfiguredConverter | None = None) -> str | None:
    """The message of a replay the workflow code (or the ``converter`` configured) failed by
    raising; ``None`` for other text."""
    match = _FAILURE.search(text)
    if match is None:
        return None
    message, stack = _unescape(match.group(1)), _unescape(match.group(2))
    # The failure's own type comes after its cause's (the cause is dumped inside it).
    kinds = list(_TYPE.finditer(text, match.end()))
    kind = kinds[-1] if kinds else None
    if kind is None or kind.group(1) in _SAYS_IT_ALL:
        return None  # core's own failure (e.g. a malformed history), or a message of ours
    deadlock = _DEADLOCK.search(message)
    frame = workflow_frame(stack, innermost_first=deadlock is not None)
    where = ""
    if frame is not None:
        where = f" at {display_file(frame.path)}:{frame.line} in {frame.function}"
        if frame.code:
            where += f" ({_statement_start(frame.code)})"
    if deadlock is not None:
        return (
            f"the workflow code did not yield within {deadlock.group(1)} s{where} ([TMPRL1101]): "
            "a busy loop or a blocking call (time.sleep, blocking I/O, a lock) stalls the "
            "workflow; a worker running this code would fail the workflow task and retry it; "
            "await workflow.sleep() or workflow.wait_condition(), or move the work into an "
            "activity"
        )
    restricted = _RESTRICTED.search(message)
    if restricted is not None:
        name = restricted.group(1)
        return (
            f"the workflow sandbox stopped a call to {name}{where}: it is not deterministic, "
            f"so workflow code may not make it; {_instead(name)}"
        )
    first = message.strip().splitlines()[0] if message.strip() else "(no message)"
    if first.endswith(".") and not first.endswith(".."):
        first = first[:-1]  # a sentence of its own ("... version 0."), the fix follows a ";"
    if _CONVERTER in stack:
        return converting_failed(where, kind.group(1), first, converter)
    return f"the workflow code raised {kind.group(1)}{where}: {first}{RETRIED}"


RETRIED = (
    "; a worker running this code would fail the workflow task of executions like this one and "
    "retry it until the code is fixed"
)
"""How :func:`code_failure_message` ends for an exception the code raised."""


def raised_by(text: str) -> tuple[str, str]:
    """The class name of the exception the workflow code raised, and the file of the workflow
    code's frame that raised it (empty when the text tells none)."""
    match = _FAILURE.search(text)
    kinds = list(_TYPE.finditer(text, match.end())) if match else []
    if match is None or not kinds:
        return "", ""
    frame = workflow_frame(_unescape(match.group(2)))
    return kinds[-1].group(1), frame.path if frame else ""


_CONVERTER = f"{os.sep}temporalio{os.sep}converter"
"""In a stack trace: the failure came from converting a payload (temporalio's converter)."""


_CLOSE = {"(": ")", "[": "]", "{": "}"}


def _statement_start(code: str) -> str:
    """The first line of a statement, its open brackets closed (``f([…])``); brackets in
    strings do not count."""
    stack: list[str] = []
    quote = ""
    escaped = False
    for char in code:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in _CLOSE:
            stack.append(_CLOSE[char])
        elif stack and char == stack[-1]:
            stack.pop()
    return code + "…" + "".join(reversed(stack)) if stack else code
