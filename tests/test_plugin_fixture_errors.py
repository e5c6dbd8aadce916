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
        "'tests.workflows.sayhelo': * (did you mean 'tests.workflows.sayhello'?); check the "
        "workflows setting (check(workflows=...), or 'workflows' in [[]tool.replaycheck]) *",
        "E *replaycheck.errors.NoHistoriesError: */nowhere does not exist; check the path given "
        "to check(paths=...), where it is relative to pytest's rootdir, or, if it is where *",
    ):
        result.stdout.fnmatch_lines([line])


WRONG_TYPES = f"""
import pytest
from pathlib import Path
import tests.workflows as package
from replaycheck.errors import ConfigError

def test_a_number_for_paths(replaycheck):
    replaycheck.check(3, "tests.workflows.sayhello")

def test_bytes_in_the_paths(replaycheck):
    replaycheck.check([Path({str(COMPLETE)!r}), b"histories"], "tests.workflows.sayhello")

def test_no_paths(replaycheck):
    replaycheck.check([], "tests.workflows.sayhello")

def test_a_module_for_an_exception_class(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, "tests.workflows.sayhello",
                      workflow_failure_exception_types=package)

def test_a_class_for_the_runner_spec(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, "tests.workflows.sayhello", workflow_runner=Path)

def test_no_workflows(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, [])

def test_none_configured(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, None)

def test_still_config_errors(replaycheck):
    with pytest.raises(ConfigError, match="got int"):
        replaycheck.check(3, "tests.workflows.sayhello")
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_argument_of_the_wrong_type_is_one_sentence_naming_it(
    pytester: pytest.Pytester, xdist: list[str]
) -> None:
    pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\npythonpath = ["{REPO}"]\n')
    pytester.makepyfile(test_calls=WRONG_TYPES)
    result = pytester.runpytest_subprocess("-p", "no:randomly", *xdist)
    result.assert_outcomes(passed=1, failed=7)
    out = result.stdout.str()
    for internal in ("_plugin_fixture.py", "_config_values.py", "TypeError", "Traceback"):
        assert internal not in out
    for line in (
        "E *ConfigError: check(paths=...): expected a history file or directory (a str or a "
        "Path) or a list of them, got int.",
        "E *ConfigError: check(paths=...): * got bytes.",
        "E *ValueError: replaycheck.check() needs at least one history file or directory.",
        "E *ConfigError: check(workflow_failure_exception_types=...): expected exception classes "
        "or their 'package.module:Class' names, got the module tests.workflows.",
        "E *ConfigError: check(workflow_runner=...): workflow_runner must be a "
        "'package.module:object' string naming your SandboxedWorkflowRunner or "
        "SandboxRestrictions (the replay worker imports it), got the class Path.",
        "E *ConfigError: check(workflows=[]): no workflows given; pass 'package.module' / "
        "'package.module:Class' specs, workflow classes or modules.",
        "E *ConfigError: check(workflows=None): no workflows given and none configured; *",
    ):
        result.stdout.fnmatch_lines([line])
