"""``replaycheck inspect`` given a path that is not one history file: a missing file (a typo
in a directory's name, say) or a directory says what to give instead, in one line, exit 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from tests.conftest import REPO

HISTORY = REPO / "tests" / "fixtures" / "renamed" / "RenameRegisteredInGate"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding ``fixtures/histories/RenameRegisteredInGate/<one history>``."""
    shutil.copytree(HISTORY, tmp_path / "fixtures" / "histories" / HISTORY.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _inspect(path: str) -> Result:
    result = CliRunner().invoke(main, ["inspect", path])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result


def test_a_typo_in_a_directory_names_the_file_meant(project: Path) -> None:
    result = _inspect("fixtures/histories/RenameRegisteredInGte/change-RenameRegisteredInGate.json")
    assert result.stderr == (
        "replaycheck: error: fixtures/histories/RenameRegisteredInGte/"
        "change-RenameRegisteredInGate.json does not exist (did you mean "
        "'fixtures/histories/RenameRegisteredInGate/change-RenameRegisteredInGate.json'?); "
        "give inspect the path of a history file (`replaycheck check` lists them).\n"
    )


def test_a_directory_names_a_history_in_it_and_check_for_them_all(project: Path) -> None:
    result = _inspect("fixtures/histories")
    assert result.stderr == (
        "replaycheck: error: fixtures/histories is a directory; inspect reads one history "
        "file: give the path of one (such as "
        "'fixtures/histories/RenameRegisteredInGate/change-RenameRegisteredInGate.json'), or "
        "run `replaycheck check fixtures/histories` for them all.\n"
    )


def test_a_file_still_reads(project: Path) -> None:
    path = "fixtures/histories/RenameRegisteredInGate/change-RenameRegisteredInGate.json"
    result = CliRunner().invoke(main, ["inspect", path])
    assert result.exit_code == 0, result.stderr
    assert "  workflow type  RenameRegisteredInGate" in result.stdout
