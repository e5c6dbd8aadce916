"""A toy encryption codec, standing in for a real one (such as AES-GCM) in the tests.

Payloads are serialized and XOR-ed with a fixed key: unreadable without the codec, which is all
the tests need. Never use it to protect real data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec

ENCODING = b"binary/toy-encrypted"
KEY = b"replaycheck-test-key"


def _xor(data: bytes) -> bytes:
    key = (KEY * (len(data) // len(KEY) + 1))[: len(data)]
    return bytes(a ^ b for a, b in zip(data, key, strict=True))


class ToyEncryptionCodec(PayloadCodec):
    """Encrypts every payload; decodes only its own and leaves others as they are."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload(metadata={"encoding": ENCODING}, data=_xor(p.SerializeToString()))
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [
            Payload.FromString(_xor(p.data)) if p.metadata.get("encoding") == ENCODING else p
            for p in payloads
        ]


codec = ToyEncryptionCodec()
"""A ``PayloadCodec``: ``data_converter = "tests.workflows.codec:codec"`` works."""

data_converter = dataclasses.replace(DataConverter.default, payload_codec=codec)
"""The same as a whole ``DataConverter``."""


def broken_factory() -> ToyEncryptionCodec:
    """A converter factory that fails, as one missing its key would."""
    raise RuntimeError("no key configured")
