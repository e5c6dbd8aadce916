"""What to say when converting a payload fails during a replay.

Without ``data_converter`` the replay converts with temporalio's default, so a failure most
likely means the worker has a converter of its own that the replay lacks. With it, the
configured converter itself failed (its key is missing or wrong, or it lacks a payload converter
the code needs), and advice to configure one would send the user in circles. A worker plugin
(``plugins``) may set a converter of its own (``SimplePlugin(data_converter=...)``), which the
``Replayer`` then converts with, as the worker does: a failure names that plugin.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from replaycheck._job import ReplayJob
    from replaycheck._worker_setup import Setup

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
    plugin: bool = False
    """It is the one the worker plugins named in ``spec`` set, not ``data_converter``."""

    @property
    def named(self) -> str:
        """The converter, as a message names it."""
        if self.plugin:
            return f"the data converter your plugin ({self.spec}) sets"
        return f"your data_converter ({self.spec})"

    @property
    def setting(self) -> str:
        """What to point at another converter."""
        return "that plugin's data_converter" if self.plugin else "data_converter"


def configured_converter(spec: str | None, converter: Any) -> ConfiguredConverter | None:
    """What the replay's ``converter`` (a ``DataConverter``), configured as ``spec``, is;
    ``None`` when none is configured."""
    if not spec or converter is None:
        return None
    return ConfiguredConverter(spec=spec, json_payloads=_json_payloads(converter))


def active_converter(replayer: Any) -> Any:
    """The data converter ``replayer`` replays with, after its plugins configured it (on a
    temporalio without ``active_config``, where plugins could not set one: the one it was given)."""
    try:
        return replayer.config(active_config=True).get("data_converter")
    except TypeError:
        return replayer.config().get("data_converter")


def replay_converter(job: ReplayJob, setup: Setup, replayer: Any) -> ConfiguredConverter | None:
    """What the converter ``replayer`` ended with, after the job's plugins configured it, is:
    the plugins' (named by those that set one) where they replaced the configured one (or
    temporalio's default), else as :func:`configured_converter` says."""
    from temporalio.converter import DataConverter

    configured = configured_converter(job.data_converter, setup.data_converter)
    active = active_converter(replayer)
    base = setup.data_converter if setup.data_converter is not None else DataConverter.default
    if active is None or active is base or not job.plugins:
        return configured
    return ConfiguredConverter(
        spec=", ".join(_setters(job.plugins, setup.plugins)),
        json_payloads=_json_payloads(active),
        plugin=True,
    )


def _setters(specs: Sequence[str], plugins: Sequence[Any]) -> list[str]:
    """The specs of the plugins that set a converter (``SimplePlugin``'s ``data_converter``);
    all of them when none says (a plugin of its own making sets it in ``configure_replayer``)."""
    pairs = zip(specs, plugins, strict=True)
    said = [spec for spec, plugin in pairs if getattr(plugin, "data_converter", None)]
    return said or list(specs)


def _json_payloads(converter: Any) -> bool:
    from temporalio.converter import DefaultPayloadConverter

    return getattr(converter, "payload_converter_class", None) is DefaultPayloadConverter


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
    said = f"{converter.named} failed{where}: {kind}: {message}"
    if converter.json_payloads and kind == "TypeError" and "JSON serializable" in message:
        return (
            f"{said}; it converts values with temporalio's default JSON payload converter: if "
            f"your worker uses pydantic's, point {converter.setting} at a converter with both, "
            "such as dataclasses.replace(pydantic_data_converter, payload_codec=YourCodec())"
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
    where = "" if converter.plugin else f" ({ON_COMMAND_LINE})"
    return (
        f"replay failed: {converter.named} could not decode the payloads ({what}); point "
        f"{converter.setting}{where} at the converter or codec your workers use"
    )
