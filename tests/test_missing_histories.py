"""A history path that is not there: a typo gets the close name, a directory not made yet the
export that makes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaycheck.errors import NoHistoriesError
from replaycheck.histories import discover
from tests.conftest import COMPLETE
from tests.test_workflow_specs import run_check

pytest_plugins = ["pytester"]

EXPORT = "export some into it with `replaycheck export`"


def message(path: Path) -> str:
    with pytest.raises(NoHistoriesError) as missing:
        discover([path])
    return str(missing.value)


def test_a_misspelt_history_directory_gets_the_close_name(tmp_path: Path) -> None:
    (tmp_path / "fixtures" / "histories" / "Orders").mkdir(parents=True)
    said = message(tmp_path / "fixtures" / "histores" / "Orders")
    assert said.startswith(
        f"{tmp_path / 'fixtures' / 'histores' / 'Orders'} does not exist (did you mean "
        f"{str(tmp_path / 'fixtures' / 'histories' / 'Orders')!r}?); check the path given"
    )
    assert EXPORT not in said  # the directory is there, under its right name
    # a name close to one that lacks the rest of the path is no guess
    assert "did you mean" not in message(tmp_path / "fixtures" / "histores" / "Refunds")


def test_a_history_directory_not_made_yet_gets_the_export_that_makes_it(tmp_path: Path) -> None:
    said = message(tmp_path / "fixtures" / "histories")
    assert said.endswith(f"pyproject.toml), or, if it is where your histories go, {EXPORT}.")
    assert "did you mean" not in said
    # a history file is not where histories go: a missing one gets no export
    assert EXPORT not in message(tmp_path / "order-1.json")


def test_check_before_the_first_export_says_to_export(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nhistories = ["fixtures/histories"]\nworkflows = ["x.y"]\n'
    )
    result = run_check(tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"replaycheck: error: {tmp_path / 'fixtures' / 'histories'} does not exist; "
    )
    assert result.stderr.endswith(f"{EXPORT}.\n")


@pytest.mark.parametrize("xdist_args", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_pytest_before_the_first_export_says_to_export(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["fixtures/histories"]\nworkflows = ["x.y"]\n',
    )
    result = pytester.runpytest_subprocess(*xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: replaycheck: *fixtures/histories does not exist; *{EXPORT}."]
    )


@pytest.mark.parametrize("xdist_args", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_run_that_leaves_the_histories_out_does_not_need_them(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    """``pytest tests`` (or pytest run in ``tests/``) in a checkout whose histories are not
    exported yet runs the tests; a run that would collect the histories still stops."""
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["fixtures/histories"]\nworkflows = ["x.y"]\n',
    )
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = pytester.runpytest_subprocess("tests", *xdist_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["replaycheck: the histories are not collected: the paths given*"])
    result = pytester.runpytest_subprocess(*xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"ERROR: replaycheck: *fixtures/histories does not exist; *{EXPORT}."]
    )
    (pytester.path / "empty" / "histories").mkdir(parents=True)  # nor does an empty one stop it
    result = pytester.runpytest_subprocess(
        "tests", "--replaycheck-histories=empty/histories", *xdist_args
    )
    result.assert_outcomes(passed=1)


def test_a_module_of_another_number_is_not_the_one_meant(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "__init__.py").write_text("")
    (tmp_path / "flows" / "orders_v2.py").write_text("")
    (tmp_path / "pyproject.toml").write_text("[tool.replaycheck]\n")
    for spec, meant in [("flows.orders_v3", None), ("flows.ordrs_v2", "flows.orders_v2")]:
        result = run_check(tmp_path, "-w", spec, str(COMPLETE))
        assert result.exit_code == 2
        hint = f"(did you mean {meant!r}?)" if meant else "did you mean"
        assert (hint in result.stderr) == bool(meant), result.stderr
