"""A worker plugin that sets the data converter (``plugins = [...]``, temporalio's
``SimplePlugin(data_converter=...)``): the replay converts with the plugin's converter, as the
worker does, and a converter failure names the plugin, not ``data_converter`` or the default.

The history is recorded on the session's dev server by a client with ``keyed_codec``
(``tests.test_check._record_keyed``): its payloads are unreadable without that codec.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.test_check import _codec_line, _record_keyed, results, run

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

pytestmark = pytest.mark.server

KEYED_PLUGIN = "tests.workflows.codec:keyed_plugin"
TOY_PLUGIN = "tests.workflows.codec:toy_plugin"


@pytest.fixture
def keyed_history(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Path:
    monkeypatch.setenv("REPLAYCHECK_TEST_CODEC_KEY", "the-key")
    return server_loop.run_until_complete(_record_keyed(dev_server, tmp_path))


def message(history: Path, *args: str) -> str:
    result = run("-w", "tests.workflows.secret", "--format", "json", *args, str(history))
    return str(results(result)[history.name]["message"])


def test_the_replay_converts_with_the_plugins_converter(keyed_history: Path) -> None:
    assert message(keyed_history) == (
        "replay failed: the payloads could not be decoded (unknown payload encoding "
        "binary/toy-keyed); set data_converter = \"module:object\" under [tool.replaycheck] (or "
        "replaycheck's --data-converter; pytest reads only the table) to the converter or codec "
        "your workers use"
    )
    ok = run("-w", "tests.workflows.secret", "--plugin", KEYED_PLUGIN, str(keyed_history))
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    # Over a configured converter, too: the plugin's replaces it, as in the worker.
    over = run("-w", "tests.workflows.secret", "--plugin", KEYED_PLUGIN,
               "--data-converter", "tests.workflows.codec:codec", str(keyed_history))  # fmt: skip
    assert over.exit_code == 0, over.stdout + over.stderr


def test_a_failure_of_the_plugins_converter_names_the_plugin(
    keyed_history: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLAYCHECK_TEST_CODEC_KEY", "another-key")
    line = _codec_line('raise WrongKeyError("the payload was encrypted with another key")')
    assert message(keyed_history, "--plugin", KEYED_PLUGIN) == (
        f"the data converter your plugin ({KEYED_PLUGIN}) sets failed at "
        f"tests/workflows/codec.py:{line} in decode (raise WrongKeyError(\"the payload was "
        'encrypted with another key")): WrongKeyError: the payload was encrypted with another '
        "key; fix it, or give it what it needs where replaycheck runs (its key, an environment "
        "variable)"
    )
    # The configured data_converter is not the one that failed: the plugin replaced it.
    assert message(
        keyed_history, "--plugin", KEYED_PLUGIN, "--data-converter", "tests.workflows.codec:codec"
    ).startswith(f"the data converter your plugin ({KEYED_PLUGIN}) sets failed at ")


def test_payloads_the_plugins_converter_cannot_decode_name_the_plugin(
    keyed_history: Path,
) -> None:
    # The interceptor plugin sets no converter: it is not named, the one that does is.
    plugins = ["--plugin", "tests.workflows.intercepted:audit_plugin", "--plugin", TOY_PLUGIN]
    assert message(keyed_history, *plugins) == (
        f"replay failed: the data converter your plugin ({TOY_PLUGIN}) sets could not decode the "
        "payloads (unknown payload encoding binary/toy-keyed); point that plugin's "
        "data_converter at the converter or codec your workers use"
    )
