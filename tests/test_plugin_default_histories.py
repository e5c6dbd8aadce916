"""With workflows configured but no histories, pytest collects ``fixtures/histories`` as
``replaycheck check`` reads it, and says so; before the first export it says where they would
be. A project that does not set replaycheck up collects nothing, whatever it holds."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import FIXTURES, REPO
from tests.test_plugin import UNSAFE_BREAKS, _is_v2_parent, all_fixture_names, outcome_names
from tests.test_workflow_specs import run_check

pytest_plugins = ["pytester"]

ACME = "fixtures/histories/TenantProvisioning/prov-acme-completed.json::replay"
NO_HISTORIES = (
    "replaycheck: no histories are collected: none are configured, and fixtures/histories, "
    "where `replaycheck check` reads and `replaycheck export` writes when none are, does not "
    "exist; export histories into it, or set histories = [...] under [tool.replaycheck]"
)


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def set_up(pytester: pytest.Pytester, workflows: str = "examples.provisioning.workflows") -> None:
    """A ``[tool.replaycheck]`` naming ``workflows`` and no histories, and one unit test."""
    pytester.makefile(
        ".toml",
        pyproject=f'[tool.replaycheck]\nworkflows = ["{workflows}"]\npythonpath = ["{REPO}"]\n',
    )
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")


def export(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES, pytester.path / "fixtures" / "histories")


def test_the_default_histories_are_collected_as_check_reads_them(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    set_up(pytester, "examples.provisioning.workflows_unsafe")
    export(pytester)
    result = pytester.runpytest("-rA", *xdist_args)
    result.stdout.fnmatch_lines(
        ["replaycheck: histories fixtures/histories (the default: none configured); "
         "workflows examples.provisioning.workflows_unsafe (2 workflow classes); timeout 60 s"]
    )  # fmt: skip
    names = outcome_names(result)
    broken = {n for n in all_fixture_names() if n in UNSAFE_BREAKS or _is_v2_parent(n)}
    assert names["failed"] == broken  # replayed, and failed where check fails them
    assert names["passed"] == all_fixture_names() - broken
    result.assert_outcomes(passed=len(all_fixture_names()) - len(broken) + 1, failed=len(broken))
    checked = run_check(pytester.path)
    assert checked.exit_code == 1
    assert f"{len(all_fixture_names())} histories: " in checked.stderr + checked.stdout


def test_default_history_items_are_selected_as_configured_ones(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    set_up(pytester)
    export(pytester)
    pytester.runpytest("--collect-only", "-q").stdout.fnmatch_lines([ACME])
    # xdist's workers deselect, and its controller does not count them
    deselected = 0 if xdist_args else len(all_fixture_names())
    result = pytester.runpytest("-q", "--deselect", ACME, "-k", "acme", *xdist_args)
    result.assert_outcomes(passed=1, deselected=deselected)
    result = pytester.runpytest("--replaycheck=only", "-k", "acme", *xdist_args)
    result.assert_outcomes(passed=2, deselected=deselected and deselected - 2)
    result = pytester.runpytest("tests", *xdist_args)  # the paths given leave them out
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["replaycheck: the histories are not collected: the paths given reach none of them; "
         "name fixtures/histories too, or run pytest without paths"]
    )  # fmt: skip
    result = pytester.runpytest("tests", "fixtures/histories/NotifyTenant", *xdist_args)
    result.assert_outcomes(passed=1 + len(list(FIXTURES.glob("NotifyTenant/*.json"))))


def test_before_the_first_export_the_tests_run_and_the_header_says_where_histories_go(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    set_up(pytester)
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([NO_HISTORIES])
    result = pytester.runpytest("--replaycheck=only", *xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--replaycheck=only but no histories are configured*"])
    (pytester.path / "fixtures" / "histories").mkdir(parents=True)
    (pytester.path / "fixtures" / "histories" / ".gitkeep").write_text("")  # kept in git, empty
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([NO_HISTORIES.replace("does not exist", "holds none")])


def test_workflows_given_in_the_ini_file_collect_the_default_histories(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    export(pytester)
    pytester.makeini(
        f"[pytest]\nreplaycheck_workflows = examples.provisioning.workflows\npythonpath = {REPO}\n"
    )
    result = pytester.runpytest("--replaycheck=only", *xdist_args)
    result.assert_outcomes(passed=len(all_fixture_names()))


def test_a_table_without_workflows_over_default_histories_says_to_set_them(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    export(pytester)
    pytester.makefile(".toml", pyproject="[tool.replaycheck]\ntimeout = 30\n")
    result = pytester.runpytest(*xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: replaycheck: fixtures/histories is read for want of configured histories, but "
         "no workflows are configured; set workflows = * under *"]
    )  # fmt: skip


def test_a_project_not_set_up_for_replaycheck_collects_nothing_of_its_fixtures(
    pytester: pytest.Pytester,
) -> None:
    export(pytester)
    pytester.makefile(".toml", pyproject="[tool.other]\nkey = 1\n")
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "replaycheck:" not in result.stdout.str()
    set_up(pytester)  # the same project, set up: its histories are collected
    pytester.runpytest().assert_outcomes(passed=len(all_fixture_names()) + 2)


def test_an_export_dir_without_histories_is_read_where_export_writes(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # export writes into export_dir; check and pytest read fixtures/histories, which it never
    # wrote: check said "no histories to check" and pytest collected none.
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nworkflows = ["examples.provisioning.workflows"]\n'
        f'pythonpath = ["{REPO}"]\nexport_dir = "recorded"\n',
    )
    shutil.copytree(FIXTURES, pytester.path / "recorded")
    result = pytester.runpytest("-rA", *xdist_args)
    result.stdout.fnmatch_lines(["replaycheck: histories recorded (the default: none configured)*"])
    result.assert_outcomes(passed=len(all_fixture_names()))
    checked = run_check(pytester.path)
    assert checked.exit_code == 0, checked.output
    assert f"{len(all_fixture_names())} histories: {len(all_fixture_names())} ok" in checked.output


@pytest.mark.parametrize("ci", ["", "true"], ids=["local", "ci"])
@pytest.mark.parametrize("hidden", ["-q", "--no-header"])
def test_with_the_header_hidden_the_summary_says_no_histories_are_collected(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    xdist_args: list[str],
    hidden: str,
    ci: str,
) -> None:
    # -q and --no-header hide the header, where alone it said why no history ran
    monkeypatch.setenv("CI", ci)
    set_up(pytester)
    result = pytester.runpytest(hidden, *xdist_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= replaycheck =*", NO_HISTORIES])
    assert result.stdout.str().count("replaycheck: no histories are collected") == 1
    shown = pytester.runpytest(*xdist_args)  # the header says it: the summary does not again
    assert shown.stdout.str().count("replaycheck: no histories are collected") == 1
    assert "= replaycheck =" not in shown.stdout.str()
