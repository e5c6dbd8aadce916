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


@pytest.fixture
def orders(project: Path) -> Path:
    """``fixtures/histories/Orders/order-4.json``: one execution's history."""
    directory = project / "fixtures" / "histories" / "Orders"
    directory.mkdir()
    shutil.copy(
        next((project / "fixtures" / "histories" / HISTORY.name).iterdir()),
        directory / "order-4.json",
    )
    return directory


@pytest.mark.parametrize("command", ["inspect", "check"])
def test_another_execution_s_file_is_not_the_file_meant(orders: Path, command: str) -> None:
    result = CliRunner().invoke(main, [command, "fixtures/histories/Orders/order-9.json"])
    assert result.exit_code == 2, result.output
    assert "did you mean" not in result.stderr  # order-4 is another workflow id
    said = result.stderr  # check names the path from the project's root, inspect as given
    assert "fixtures/histories/Orders/order-9.json does not exist (no history of that " in said
    assert "fixtures/histories/Orders, which holds 'order-4.json'); " in said


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("fixtures/histories/Ordres/order-4.json", "fixtures/histories/Orders/order-4.json"),
        ("fixtures/histories/Orders/order-4.jsno", "fixtures/histories/Orders/order-4.json"),
        ("fixtures/histories/Orders/ordr-4.json", "fixtures/histories/Orders/order-4.json"),
    ],
)
def test_a_typo_beside_a_number_still_names_the_file_meant(
    orders: Path, given: str, meant: str
) -> None:
    result = _inspect(given)
    assert f"does not exist (did you mean {meant!r}?); " in result.stderr


def test_a_directory_of_another_number_is_not_the_one_meant(orders: Path) -> None:
    (orders.parent / "Orders2").mkdir()
    (orders.parent / "Orders2" / "order-4.json").write_bytes((orders / "order-4.json").read_bytes())
    result = _inspect("fixtures/histories/Orders3/order-4.json")
    assert "did you mean" not in result.stderr
