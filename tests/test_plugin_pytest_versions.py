"""The plugin under pytest releases older than the suite's own.

The plugin is installed in every pytest run of its environment, used or not: an old pytest must
never break a project that does not use replaycheck, and one that does is told in one line what
to upgrade. The oldest supported pytest (8.0) runs the history items. Each release is installed
from the package index into a directory put first on ``PYTHONPATH``, as pip would install it for
a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from replaycheck.plugin import OLDEST_PYTEST, parse_version, too_old
from tests.conftest import FIXTURES, REPO, install_into

OLD_RELEASES = {
    # pytest 6.2 (2021) has no StashKey and names the collection hooks' arguments otherwise.
    "6.2.5": ("pytest==6.2.5", "pluggy==0.13.1", "py==1.11.0", "toml==0.10.2"),
    # pytest 7.4 with the pluggy it allowed before `wrapper=True` existed.
    "7.4.4": ("pytest==7.4.4", "pluggy==1.0.0"),
}


@pytest.fixture(scope="module", params=sorted(OLD_RELEASES))
def old_pytest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """A pytest older than the plugin supports: its version, and where it is installed."""
    version: str = request.param
    return version, install_into(tmp_path_factory.mktemp(version), *OLD_RELEASES[version])


@pytest.fixture(scope="module")
def pytest_8_0(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_into(tmp_path_factory.mktemp("pytest-8.0"), "pytest==8.0.0", "pluggy==1.3.0")


def run_pytest(release: Path, project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest from ``release`` in ``project``, with replaycheck's plugin loaded as the entry
    point loads it (the suite's other plugins need a newer pytest)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(release), str(REPO / "src"), str(REPO)]),
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "replaycheck.plugin", "-p", "no:cacheprovider",
         *args],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def project(path: Path, *, replaycheck: bool) -> Path:
    (path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    table = (
        '[tool.replaycheck]\nhistories = ["fixtures/histories"]\n'
        'workflows = ["examples.provisioning.workflows"]\n'
        if replaycheck
        else ""
    )
    (path / "pyproject.toml").write_text(f"[tool.pytest.ini_options]\n{table}")
    if replaycheck:
        shutil.copytree(FIXTURES, path / "fixtures" / "histories")
    return path


def test_an_old_pytest_runs_a_project_without_replaycheck(
    old_pytest: tuple[str, Path], tmp_path: Path
) -> None:
    result = run_pytest(old_pytest[1], project(tmp_path, replaycheck=False), "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "replaycheck" not in result.stdout + result.stderr


def test_an_old_pytest_is_refused_in_one_line_where_replaycheck_is_configured(
    old_pytest: tuple[str, Path], tmp_path: Path
) -> None:
    version, release = old_pytest
    result = run_pytest(release, project(tmp_path, replaycheck=True), "-q")
    assert result.returncode == 4  # a usage error
    assert result.stderr.strip().splitlines() == [
        "ERROR: replaycheck: the pytest plugin needs pytest 8.0 or later, and this is pytest "
        f"{version}; upgrade pytest (pip install 'pytest>=8.0'), or run 'replaycheck check' "
        "instead."
    ]
    assert "INTERNALERROR" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("configured", "option", "refused"),
    [(False, "--replaycheck=only", True), (True, "--replaycheck=off", False)],
)
def test_an_old_pytest_reads_the_replaycheck_option(
    old_pytest: tuple[str, Path], tmp_path: Path, configured: bool, option: str, refused: bool
) -> None:
    result = run_pytest(old_pytest[1], project(tmp_path, replaycheck=configured), "-q", option)
    assert result.returncode == (4 if refused else 0), result.stdout + result.stderr
    assert ("needs pytest 8.0 or later" in result.stderr) is refused


def test_an_old_pytest_fails_the_fixture_with_the_same_line(
    old_pytest: tuple[str, Path], tmp_path: Path
) -> None:
    version, release = old_pytest
    (tmp_path / "test_custom.py").write_text(
        "def test_custom(replaycheck):\n"
        "    replaycheck.check('histories', 'examples.provisioning.workflows')\n"
    )
    result = run_pytest(release, tmp_path, "-q", "-rfE", "test_custom.py")
    assert result.returncode == 1
    assert f"needs pytest 8.0 or later, and this is pytest {version}" in result.stdout
    assert "Traceback" not in result.stdout


def test_the_oldest_supported_pytest_replays_every_history(
    pytest_8_0: Path, tmp_path: Path
) -> None:
    result = run_pytest(pytest_8_0, project(tmp_path, replaycheck=True), "-q", "-rA")
    assert result.returncode == 0, result.stdout + result.stderr
    replayed = len(list(FIXTURES.rglob("*.json")))
    assert f"{replayed + 1} passed" in result.stdout  # every history and test_plain
    assert f"{replayed} histories: {replayed} ok" in result.stdout


def test_the_oldest_supported_pytest_names_the_history_file_as_junit_class(
    pytest_8_0: Path, tmp_path: Path
) -> None:
    result = run_pytest(pytest_8_0, project(tmp_path, replaycheck=True), "-q", "--junitxml=r.xml")
    assert result.returncode == 0, result.stdout + result.stderr
    cases = ET.parse(tmp_path / "r.xml").getroot().iter("testcase")
    classnames = {c.get("classname") for c in cases if c.get("name") == "replay"}
    assert "fixtures.histories.TenantProvisioning.prov-acme-completed" in classnames
    assert len(classnames) == len(list(FIXTURES.rglob("*.json")))
    assert not [c for c in classnames if c is None or c.endswith(".json")]


def test_too_old_reads_released_and_development_versions() -> None:
    assert OLDEST_PYTEST == (8, 0)
    assert too_old((7, 4, 4)) is not None
    assert too_old((7, 0, 0, "rc1")) is not None
    assert too_old((8, 0, 0)) is None
    assert too_old((8, 1, "dev12", "g1234")) is None
    assert too_old((9, 2, 0)) is None
    assert parse_version("6.2.5") == (6, 2, 5)
    assert parse_version("8.1.0.dev12+g1234") == (8, 1, 0, "dev12+g1234")
    assert too_old(parse_version("9.0.0rc1")) is None
