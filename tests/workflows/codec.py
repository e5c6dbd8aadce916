"""A toy encryption codec, standing in for a real one (such as AES-GCM) in the tests.

Payloads are serialized and XOR-ed with a fixed key: unreadable without the codec, which is all
the tests need. Never use it to protect real data.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Sequence
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.plugin import SimplePlugin

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


KEY_VARIABLE = "REPLAYCHECK_TEST_CODEC_KEY"
KEYED_ENCODING = b"binary/toy-keyed"


class WrongKeyError(Exception):
    """A payload encrypted with another key (AES-GCM raises ``InvalidTag`` there)."""


class KeyedCodec(PayloadCodec):
    """Encrypts with a key read from the environment when used, as real codecs do; a payload
    encrypted with another key fails to decode."""

    @staticmethod
    def _key() -> bytes:
        key = os.environ.get(KEY_VARIABLE)
        if not key:
            raise RuntimeError(f"{KEY_VARIABLE} is not set")
        return key.encode()

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key = self._key()
        return [
            Payload(
                metadata={"encoding": KEYED_ENCODING, "key-check": _check(key)},
                data=_xor(p.SerializeToString()),
            )
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key = self._key()
        out = []
        for payload in payloads:
            if payload.metadata.get("encoding") != KEYED_ENCODING:
                out.append(payload)
            elif payload.metadata.get("key-check") != _check(key):
                raise WrongKeyError("the payload was encrypted with another key")
            else:
                out.append(Payload.FromString(_xor(payload.data)))
        return out


def _check(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:8]


keyed_codec = KeyedCodec()
"""``data_converter = "tests.workflows.codec:keyed_codec"``: needs the key in the environment."""

keyed_data_converter = dataclasses.replace(DataConverter.default, payload_codec=keyed_codec)


def _with_codec(converter: DataConverter) -> DataConverter:
    return dataclasses.replace(converter, payload_codec=codec)


codec_plugin = SimplePlugin("toy-encryption", data_converter=_with_codec)
"""A temporalio plugin that adds the codec to the converter, as an encryption plugin does:
``plugins = ["tests.workflows.codec:codec_plugin"]``."""


def keyed_plugin() -> Any:
    """A worker plugin that sets ``keyed_data_converter`` (``temporalio.plugin.SimplePlugin``),
    as a team's plugin that bundles its encryption does: ``plugins = [...]`` names it."""
    from temporalio.plugin import SimplePlugin

    return SimplePlugin("replaycheck-tests.keyed", data_converter=keyed_data_converter)


def toy_plugin() -> Any:
    """A worker plugin that sets ``data_converter`` (the toy codec, not the keyed one)."""
    from temporalio.plugin import SimplePlugin

    return SimplePlugin("replaycheck-tests.toy", data_converter=data_converter)
