"""The values of the payloads the input note compares: JSON by value, temporalio's other default
encodings by their bytes, after the replay's payload codec (encryption, compression) decoded
them, when one is configured.

Both sides reach the note encoded: the history's payloads as the history holds them, and the
code's, because temporalio encodes a completion's payloads in place, in the commands the
call-site capture recorded.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

DEFAULT_ENCODINGS = frozenset(
    {b"json/plain", b"binary/null", b"binary/plain", b"binary/protobuf", b"json/protobuf"}
)
"""The encodings of temporalio's default payload converters."""
DECODE_SECONDS = 10.0
"""How long the codec may take to decode a history's inputs (the replay has just used it to
decode what the code read): one that hangs (its server gone) leaves the note out."""


def replay_codec(replayer: Any) -> Any:
    """The payload codec of the data converter ``replayer`` replays with (its plugins' too),
    ``None`` without one."""
    from replaycheck._converter_failure import active_converter

    return getattr(active_converter(replayer), "payload_codec", None)


def raw_equal(first: Sequence[Any], second: Sequence[Any]) -> bool:
    """Whether two payload sequences are the same bytes (then their values are the same)."""
    return len(first) == len(second) and all(a == b for a, b in zip(first, second, strict=True))


async def decoded(sequences: Sequence[Sequence[Any]], codec: Any) -> list[Sequence[Any]] | None:
    """Each payload sequence, those with a payload of no default encoding decoded by ``codec``
    (in one call, as a codec server would be asked); ``None`` when ``codec`` raises or gives
    back another number of payloads."""
    encoded = [i for i, payloads in enumerate(sequences) if not _readable(payloads)]
    if codec is None or not encoded:
        return list(sequences)
    flat = [payload for i in encoded for payload in sequences[i]]
    try:
        plain = list(await asyncio.wait_for(codec.decode(flat), DECODE_SECONDS))
    except Exception:  # the wrong key, another codec's payloads: nothing to compare
        return None
    if len(plain) != len(flat):
        return None
    out = list(sequences)
    for i in encoded:
        out[i], plain = plain[: len(sequences[i])], plain[len(sequences[i]) :]
    return out


def _readable(payloads: Sequence[Any]) -> bool:
    return all(p.metadata.get("encoding", b"") in DEFAULT_ENCODINGS for p in payloads)


def values(payloads: Sequence[Any]) -> tuple[Any, ...] | None:
    """Each payload's value (JSON by value, others by their bytes); ``None`` for a payload of no
    default encoding (a codec's, ``binary/encrypted``, or a converter's of its own)."""
    out = []
    for payload in payloads:
        encoding = payload.metadata.get("encoding", b"")
        if encoding == b"json/plain":
            try:
                out.append(json.loads(payload.data))
            except ValueError:
                return None
        elif encoding in DEFAULT_ENCODINGS:
            out.append((encoding, payload.data))
        else:
            return None
    return tuple(out)
