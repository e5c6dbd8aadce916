"""History items beside what a team's pytest setup already has: marks, other plugins, options."""

from __future__ import annotations

import pytest

from tests.test_plugin import make_project, mark_acme

pytest_plugins = ["pytester"]

ACME = "fixtures/histories/TenantProvisioning/prov-acme-completed.json"
NOTIFY = "fixtures/histories/NotifyTenant"


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def test_an_xfail_history_is_not_asked_to_be_fixed(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # A known-broken history marked xfail: pytest shows no failure, so the summary must not
    # say "Fix the histories that failed above".
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    mark_acme(pytester, "xfail")
    result = pytester.runpytest(ACME, NOTIFY, *xdist_args)
    result.assert_outcomes(xfailed=1, passed=4)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["5 histories: 4 ok, 1 nondeterministic (1 marked xfail), 0 errors"]
    )
    assert "Fix the histories" not in result.stdout.str()


def test_an_xfail_history_leaves_the_other_failures_to_fix(pytester: pytest.Pytester) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    mark_acme(pytester, "xfail")
    globex = ACME.replace("acme", "globex")
    result = pytester.runpytest(ACME, globex)
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "2 histories: 0 ok, 2 nondeterministic (1 marked xfail), 0 errors",
            "Fix the histories that failed above, then run again: *",
        ]
    )


def test_histories_are_collected_with_the_rootdir_elsewhere(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # --rootdir outside the project: the table in pytest's own ini file (the project's
    # pyproject.toml) still counts; the plugin turned itself off without a word.
    make_project(pytester)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    result = pytester.runpytest(f"--rootdir={elsewhere}", NOTIFY)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["replaycheck: histories *fixtures/histories; workflows *", "4 histories: 4 ok, *"]
    )


@pytest.mark.parametrize("style", ["no", "line"])
def test_a_traceback_style_that_hides_the_fix_says_how_to_see_it(
    pytester: pytest.Pytester, style: str
) -> None:
    # The summary points at "the fix in each failure", which --tb=no and --tb=line leave out.
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    result = pytester.runpytest(f"--tb={style}", ACME)
    result.assert_outcomes(failed=1)
    assert "fix: gate the change" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "Fix the histories that failed above, then run again: *",
            f"--tb={style} left out each failure's diagnosis and fix: run pytest again without "
            "it (or run 'replaycheck check') to see them.",
        ]
    )


def test_the_default_traceback_style_shows_the_fix_and_says_nothing_more(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    result = pytester.runpytest(ACME)
    result.assert_outcomes(failed=1)
    assert "fix: gate the change" in result.stdout.str()
    assert "left out each failure's diagnosis" not in result.stdout.str()


def test_an_ini_file_in_a_subdirectory_keeps_the_projects_table(
    pytester: pytest.Pytester,
) -> None:
    # `pytest -c ci/pytest.ini` from the project: the project's [tool.replaycheck] counts.
    make_project(pytester)
    (pytester.path / "ci").mkdir()
    (pytester.path / "ci" / "pytest.ini").write_text("[pytest]\n")
    result = pytester.runpytest("-c", "ci/pytest.ini", f"--rootdir={pytester.path}", NOTIFY)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["4 histories: 4 ok, *"])
