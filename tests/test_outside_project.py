"""``replaycheck check`` (``patches``) run from outside the project whose histories it is given:
``[tool.replaycheck]`` is read from the working directory upward, so no workflows are
configured; the error names the project's ``pyproject.toml`` and where to run from."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from replaycheck.cli import main
from tests.conftest import COMPLETE, REPO


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/shop``: a project configuring its histories and workflows; the working
    directory is ``tmp_path/elsewhere``, outside it."""
    shop = tmp_path / "shop"
    (shop / "fixtures" / "histories").mkdir(parents=True)
    shutil.copy(COMPLETE, shop / "fixtures" / "histories" / "hello.json")
    (shop / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["tests.workflows.sayhello"]\npythonpath = ["{REPO}"]\n'
    )
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    return shop


@pytest.mark.parametrize("command", ["check", "patches"])
def test_histories_of_a_project_run_from_outside_it_name_where_to_run(
    project: Path, command: str
) -> None:
    result = CliRunner().invoke(main, [command, str(project / "fixtures" / "histories")])
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"replaycheck: error: no [tool.replaycheck] in {Path.cwd()} or above, so no workflows "
        f"are configured; {project / 'pyproject.toml'} configures the project these histories "
        f"are in: run replaycheck from {project}, or pass -w package.module (or "
        "module:Class).\n"
    )


def test_run_from_the_project_the_same_paths_replay(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["check", str(project / "fixtures" / "histories")])
    assert result.exit_code == 0, result.output
    assert "1 history: 1 ok" in result.stdout


def test_histories_outside_any_project_keep_the_plain_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h").mkdir()
    shutil.copy(COMPLETE, tmp_path / "h" / "hello.json")
    result = CliRunner().invoke(main, ["check", str(tmp_path / "h")])
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: no workflows configured; pass -w package.module (or module:Class) "
        "or set workflows = [...] under [tool.replaycheck] in pyproject.toml.\n"
    )
