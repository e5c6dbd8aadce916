"""The plugin named again while the entry point loads it (a conftest's ``pytest_plugins``,
``PYTEST_PLUGINS``, ``-p replaycheck.plugin``): a no-op, not pluggy's ValueError."""

from __future__ import annotations

import pytest

from tests.test_plugin import all_fixture_names, make_project

pytest_plugins = ["pytester"]


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def passes_every_history(result: pytest.RunResult) -> None:
    assert "already registered" not in result.stdout.str() + result.stderr.str()
    result.assert_outcomes(passed=len(all_fixture_names()) + 1)
    result.stdout.fnmatch_lines([f"{len(all_fixture_names())} histories: * ok, 0 *, 0 errors"])


@pytest.mark.parametrize(
    "how", ["conftest", "-p replaycheck.plugin", "PYTEST_PLUGINS", "conftest, autoload off"]
)
def test_the_plugin_named_again_runs_once(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist_args: list[str], how: str
) -> None:
    make_project(pytester)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    args = list(xdist_args)
    if how.startswith("conftest"):
        pytester.makeconftest('pytest_plugins = ["replaycheck.plugin"]\n')
    if how == "-p replaycheck.plugin":
        args += ["-p", "replaycheck.plugin"]
    if how == "PYTEST_PLUGINS":
        monkeypatch.setenv("PYTEST_PLUGINS", "replaycheck.plugin")
    if how.endswith("autoload off"):  # as before: the conftest is what loads it
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        args += ["-p", "xdist.plugin"] if xdist_args else []
    passes_every_history(pytester.runpytest_subprocess(*args))
