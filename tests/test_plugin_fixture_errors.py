"""A mistake in a ``replaycheck`` fixture call (a workflows spec that is a package or has a
typo, a path that is not there) fails the test with its one-line message: the exception is
still ``ReplaycheckError``'s, but the traceback stops at the test's own line."""

from __future__ import annotations

import pytest

from tests.conftest import COMPLETE, REPO

pytest_plugins = ["pytester"]

TESTS = f"""
import pytest
from replaycheck.errors import ReplaycheckError, WorkflowImportError

def test_a_package(replaycheck):
    replaycheck.assert_ok({str(COMPLETE)!r}, "tests.workflows")

def test_a_typo(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, "tests.workflows.sayhelo")

def test_a_missing_path(replaycheck):
    replaycheck.check("nowhere", "tests.workflows.sayhello")

def test_still_the_same_exception(replaycheck):
    with pytest.raises(WorkflowImportError, match="did you mean"):
        replaycheck.check({str(COMPLETE)!r}, "tests.workflows.sayhelo")
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_mistake_in_a_fixture_call_shows_its_message_not_replaycheck_s_frames(
    pytester: pytest.Pytester, xdist: list[str]
) -> None:
    pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\npythonpath = ["{REPO}"]\n')
    pytester.makepyfile(test_calls=TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", *xdist)
    result.assert_outcomes(passed=1, failed=3)
    out = result.stdout.str()
    for internal in ("_plugin_fixture.py", "runner.py", "_worker_session.py", "_discovery.py"):
        assert internal not in out
    for line in (  # in any order: xdist runs them as it likes
        "E *replaycheck.errors.WorkflowImportError: module 'tests.workflows' defines no "
        "@workflow.defn class: it is a package, *",
        "E *replaycheck.errors.WorkflowImportError: cannot import workflow module "
        "'tests.workflows.sayhelo': * (did you mean 'tests.workflows.sayhello'?)*",
        "E *replaycheck.errors.NoHistoriesError: */nowhere does not exist; *",
    ):
        result.stdout.fnmatch_lines([line])
