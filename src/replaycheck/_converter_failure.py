"""What to say when converting a payload fails during a replay.

Without ``data_converter`` the replay converts with temporalio's default, so a failure most
likely means the worker has a converter of its own that the replay lacks. With it, the
configured converter itself failed (its key is missing or wrong, or it lacks a payload converter
the code needs), and advice to configure one would send the user in circles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ON_COMMAND_LINE = "replaycheck's --data-converter; pytest reads only the table"
"""Where else the converter is set: the CLI has an option, the pytest plugin none."""
SETTING = f'data_converter = "module:object" under [tool.replaycheck] (or {ON_COMMAND_LINE})'


@dataclass(frozen=True)
class ConfiguredConverter:
    """The ``data_converter`` a replay uses."""

    spec: str
    """``module:object`` as configured."""
    json_payloads: bool
    """Its payload converter is temporalio's default (JSON): e.g. a codec configured alone."""


def configured_converter(spec: str | None, converter: Any) -> ConfiguredConverter | None:
    """What the replay's ``converter`` (a ``DataConverter``), configured as ``spec``, is;
    ``None`` when none is configured."""
    if not spec or converter is None:
        return None
    from temporalio.converter import DefaultPayloadConverter

    json_payloads = getattr(converter, "payload_converter_class", None) is DefaultPayloadConverter
    return ConfiguredConverter(spec=spec, json_payloads=json_payloads)


def converting_failed(
    where: str, kind: str, message: str, converter: ConfiguredConverter | None
) -> str:
    """The verdict's message when converting a payload raised ``kind: message`` (``where``:
    `` at file:line in function (code)``, or empty)."""
    if converter is None:
        return (
            f"converting a payload failed{where}: {kind}: {message}; if your worker uses a data "
            f"converter of its own (pydantic_data_converter, a codec), set {SETTING}; otherwise "
            "a worker running this code would fail the workflow task the same way"
        )
    said = f"your data_converter ({converter.spec}) failed{where}: {kind}: {message}"
    if converter.json_payloads and kind == "TypeError" and "JSON serializable" in message:
        return (
            f"{said}; it converts values with temporalio's default JSON payload converter: if "
            "your worker uses pydantic's, point data_converter at a converter with both, such "
            "as dataclasses.replace(pydantic_data_converter, payload_codec=YourCodec())"
        )
    return (
        f"{said}; fix it, or give it what it needs where replaycheck runs (its key, an "
        "environment variable)"
    )


def undecodable(what: str, converter: ConfiguredConverter | None) -> str:
    """The verdict's message when the payloads could not be decoded at all (``what``: e.g.
    ``unknown payload encoding binary/encrypted``)."""
    if converter is None:
        return (
            f"replay failed: the payloads could not be decoded ({what}); set {SETTING} to the "
            "converter or codec your workers use"
        )
    return (
        f"replay failed: your data_converter ({converter.spec}) could not decode the payloads "
        f"({what}); point data_converter ({ON_COMMAND_LINE}) at the converter or codec your "
        "workers use"
    )
