"""Bytes to a history document: gzip, binary protobuf, and JSON with its text encoding.

What the file holds is checked here (readable gzip, UTF-8, JSON, an 'events' list), and a file
that holds no history is named for what it does hold (binary data, a zip archive, text that is
not JSON) and how it is compressed; what the events say is checked in
``replaycheck.histories``.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from replaycheck._writing import PROVENANCE_KEY
from replaycheck.errors import HistoryError

if TYPE_CHECKING:
    from temporalio.api.history.v1 import History


def gunzip(data: bytes, name: str) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise HistoryError(
            name,
            f"is gzip-compressed, but cannot be decompressed ({exc}): the file is cut off or "
            "damaged; export it again",
        ) from None


def not_gzipped(data: bytes, name: str) -> bytes:
    """A ``.gz`` name without the gzip header: plain history JSON is read (a binary history
    under ``.binpb.gz`` too), anything else is named for what it holds."""
    if name.lower().endswith(".binpb.gz") and _binary_history(data):
        return data
    try:
        parse_json(data, name)
    except HistoryError as exc:
        raise binary_not_json(data, name, False) or _not_json(data, name, exc, False) from None
    return data


def decode(data: bytes, name: str) -> dict[str, Any] | History:
    """The history document (JSON) or message (binary protobuf) in a file's bytes, gzip or
    not; the name's ending (``.binpb``, ``.binpb.gz``, else JSON) picks the reader."""
    suffix = name.lower()  # H.JSON is a history too
    gzipped = data[:2] == b"\x1f\x8b"
    if gzipped:
        data = gunzip(data, name)
    elif suffix.endswith(".gz"):
        data = not_gzipped(data, name)
    if suffix.endswith((".binpb", ".binpb.gz")):
        return parse_binpb(data, name, gzipped)
    try:
        return parse_json(data, name)
    except HistoryError as exc:
        unzipped = _not_json(data, name, exc, True) if gzipped else exc
        raise binary_not_json(data, name, gzipped) or unzipped from None


_KNOWN = {
    b"\x1f\x8b": "gzip-compressed data (the file was compressed twice)",
    b"PK\x03\x04": "a zip archive",
    b"BZh": "bzip2-compressed data",
    b"\xfd7zXZ\x00": "xz-compressed data",
    b"\x28\xb5\x2f\xfd": "zstd-compressed data",
}
"""What a file that is no history holds, by its first bytes."""


def holds(data: bytes) -> str | None:
    """What ``data`` holds, in words, when it is not JSON text; ``None`` when it is."""
    known = next((what for magic, what in _KNOWN.items() if data.startswith(magic)), None)
    if known:
        return known
    try:
        json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return f"binary data (it starts with {data[:4].hex(' ')})"
    except json.JSONDecodeError as exc:
        where = f"at line {exc.lineno} column {exc.colno}"
        return f"text that is not valid JSON ({exc.msg.removesuffix(' at')} {where})"
    except RecursionError:
        return None
    return None


def _not_json(data: bytes, name: str, exc: HistoryError, gzipped: bool) -> HistoryError:
    """The error for ``data`` that is no history JSON (``exc``, from reading it as JSON, when
    it is JSON or UTF-16), said with how the file is compressed."""
    what = None if exc.reason.startswith("is UTF-16") else holds(data)
    if what is None:
        return exc
    if gzipped:
        return HistoryError(
            name,
            f"is gzip-compressed, but decompressed it holds {what}, not history JSON; export "
            "it again (`replaycheck export --gzip`)",
        )
    return HistoryError(
        name,
        f"is not gzip-compressed, though its name ends in .gz: it holds {what}, not "
        "gzip-compressed history JSON; export it again (`replaycheck export --gzip`)",
    )


def parse_binpb(data: bytes, name: str, gzipped: bool = False) -> History:
    from google.protobuf.message import DecodeError
    from temporalio.api.history.v1 import History

    if not data:
        raise HistoryError(name, "is empty (0 bytes); export the history again")
    try:
        history = History.FromString(data)
    except DecodeError:
        history = None
    if history is None or not history.events:  # bytes that parse as no event are no history
        try:
            parse_json(data, name)
        except HistoryError:
            what = holds(data) or "JSON that is no history"
            inside = f"is gzip-compressed, but decompressed it holds {what}, " if gzipped else ""
            raise HistoryError(
                name,
                f"{inside}{'not' if gzipped else 'is not'} a binary "
                "temporal.api.history.v1.History protobuf; export it again (`replaycheck export "
                "--binpb`)",
            ) from None
        raise HistoryError(
            name,
            "holds history JSON, not a binary temporal.api.history.v1.History protobuf: "
            f"rename it to {renamed(name, '.json.gz' if gzipped else '.json')}",
        )
    return history


def binary_not_json(data: bytes, name: str, gzipped: bool) -> HistoryError | None:
    """The error for a ``.json`` (or ``.json.gz``) name holding a binary protobuf history, the
    way ``.binpb`` files are written, else ``None``."""
    if not _binary_history(data):
        return None
    fix = "decompress it (gunzip) and name it" if gzipped else "rename it to"
    return HistoryError(
        name,
        "holds a binary temporal.api.history.v1.History protobuf, not JSON: "
        f"{fix} {renamed(name, '.binpb')}",
    )


def _binary_history(data: bytes) -> bool:
    """Whether ``data`` is a binary protobuf history (its first event's id 1)."""
    from google.protobuf.message import DecodeError
    from temporalio.api.history.v1 import History

    try:
        history = History.FromString(data)
    except DecodeError:
        return False
    return bool(history.events) and history.events[0].event_id == 1


def renamed(name: str, ending: str) -> str:
    """The base name of ``name`` with its history ending (``.json``, ``.binpb.gz``, ...)
    replaced by ``ending``."""
    from replaycheck._history_names import history_stem

    return history_stem(Path(name).name) + ending


def parse_json(data: bytes, name: str) -> dict[str, Any]:
    text = _decode_text(data, name)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HistoryError(
            name,
            f"is not valid JSON ({exc.msg.removesuffix(' at')} at line {exc.lineno} column "
            f"{exc.colno}); "
            "the file may be truncated: export it again",
        ) from None
    except RecursionError:
        raise HistoryError(name, "is not a history: JSON nested too deeply") from None
    return _history_doc(doc, name)


def _decode_text(data: bytes, name: str) -> str:
    if not data.strip():
        raise HistoryError(name, "is empty; export the history again")
    if _looks_utf16(data):
        raise HistoryError(name, "is UTF-16 text; history JSON must be UTF-8: re-save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HistoryError(
            name,
            "is neither UTF-8 JSON nor gzip; history files are .json, .json.gz or .binpb",
        ) from None


def _looks_utf16(data: bytes) -> bool:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    head = data[:4]
    text = set(b"{[ \t\r\n")
    return len(head) == 4 and any(
        head[z] == head[z + 2] == 0 and head[1 - z] in text and head[3 - z] in text for z in (0, 1)
    )


def _history_doc(doc: Any, name: str) -> dict[str, Any]:
    if isinstance(doc, dict) and "events" not in doc and isinstance(doc.get("history"), dict):
        doc = {**doc["history"], PROVENANCE_KEY: doc.get(PROVENANCE_KEY)}
    if isinstance(doc, list):
        raise HistoryError(
            name,
            "is a bare JSON list; a history is an object with an 'events' list, "
            "as `temporal workflow show -o json` writes",
        )
    if not isinstance(doc, dict) or "events" not in doc:
        raise HistoryError(
            name,
            "is not a Temporal history: no 'events' list; if it is some other JSON file, move "
            "it out of the history directories, else export the history again "
            "(`replaycheck export`, `temporal workflow show -w ID -o json`)",
        )
    if not isinstance(doc["events"], list):
        raise HistoryError(name, "is not a Temporal history: 'events' is not a list")
    return doc


_PAYLOADS_KEYS = ("input", "result", "details", "lastCompletionResult", "heartbeatDetails")
"""Fields of event attributes that hold ``Payloads`` (``{"payloads": [...]}`` in proto3 JSON)."""


def shorthand_reason(doc: dict[str, Any]) -> str | None:
    """Why ``doc`` cannot be read when its payloads are in the shorthand of Temporal's HTTP API
    (``"input": ["orch"]``: the values themselves, without their encoding), else ``None``."""
    events = doc.get("events")
    for index, event in enumerate(events if isinstance(events, list) else ()):
        for key, attrs in event.items() if isinstance(event, dict) else ():
            found = [
                k for k in _PAYLOADS_KEYS if isinstance(attrs, dict) and type(attrs.get(k)) is list
            ]
            if key.endswith("EventAttributes") and found:
                return (
                    "holds its payloads in the shorthand of Temporal's HTTP API "
                    f"(events[{index}].{key}.{found[0]} is a list of values, not "
                    '{"payloads": [...]}), which leaves out how each value was encoded; save '
                    "the history with `temporal workflow show --output json`, `replaycheck "
                    "export` or the Temporal UI's Download instead"
                )
    return None
