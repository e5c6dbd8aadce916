"""The ``replaycheck`` fixture's own worker settings: ``check(..., interceptors=...,
workflow_failure_exception_types=..., plugins=..., workflow_runner=..., passthrough_modules=...)``.

Histories come from the session's dev server: ``record_failure_types`` (a worker with
``workflow_failure_exception_types=[ValueError, OutOfStock]`` failed three executions) and
``record_intercepted`` (a worker with ``AuditInterceptor``, which upserts a memo as each workflow
starts). Each call's setting replaces the configured one, for that call alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.server
pytest_plugins = ["pytester"]

INTERCEPTOR = "tests.workflows.intercepted:AuditInterceptor"
XDIST = pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])


def project(pytester: pytest.Pytester, histories: Path, workflows: str) -> None:
    """``histories`` under ``histories/``, not collected as items: the tests replay them."""
    shutil.copytree(histories, pytester.path / "histories")
    pytester.makefile(".toml", pyproject=f"""
        [tool.replaycheck]
        workflows = ["{workflows}"]
        pythonpath = ["{REPO}"]

        [tool.pytest.ini_options]
        pythonpath = ["{REPO}"]
    """)  # fmt: skip


FAILURE_TYPES = """
import pytest
from replaycheck.errors import ConfigError
from tests.workflows.failure_errors import OutOfStock

def verdicts(replaycheck, **options):
    found = replaycheck.check("histories", "tests.workflows.failure_types", **options)
    return {v.workflow_id: v.verdict for v in found}

def test_without_the_setting_the_failed_workflows_are_errors(replaycheck):
    assert verdicts(replaycheck) == {
        "value-error": "error", "out-of-stock": "error", "declared": "ok"}

def test_the_classes_themselves(replaycheck):
    found = verdicts(replaycheck, workflow_failure_exception_types=[ValueError, OutOfStock])
    assert set(found.values()) == {"ok"}

def test_their_specs_and_one_alone(replaycheck):
    specs = ["ValueError", "tests.workflows.failure_errors:OutOfStock"]
    assert set(verdicts(replaycheck, workflow_failure_exception_types=specs).values()) == {"ok"}
    assert verdicts(replaycheck, workflow_failure_exception_types=ValueError) == {
        "value-error": "ok", "out-of-stock": "error", "declared": "ok"}

def test_an_empty_list_clears_the_configured_setting(replaycheck, pytestconfig):
    configured = pytestconfig.getoption("replaycheck_workflow_failure_exception_types")
    expected = {"ok"} if configured else {"ok", "error"}
    assert set(verdicts(replaycheck).values()) == expected
    assert set(verdicts(replaycheck, workflow_failure_exception_types=[]).values()) == {
        "ok", "error"}

def test_a_bad_value_is_the_configurations_message(replaycheck):
    with pytest.raises(ConfigError) as raised:
        verdicts(replaycheck, workflow_failure_exception_types="a.b.OutOfStock")
    assert str(raised.value) == (
        "check(workflow_failure_exception_types=...): 'a.b.OutOfStock' names no class; "
        "write it as 'a.b:OutOfStock' (module:Class).")
    with pytest.raises(ConfigError, match=r"expected exception classes or .*, got int\\.$"):
        verdicts(replaycheck, workflow_failure_exception_types=[3])
"""


@XDIST
def test_the_fixture_takes_failure_exception_types_per_call(
    pytester: pytest.Pytester, failure_type_histories: Path, xdist: list[str]
) -> None:
    project(pytester, failure_type_histories, "tests.workflows.failure_types")
    pytester.makepyfile(test_fixture=FAILURE_TYPES)
    pytester.runpytest_subprocess("-p", "no:randomly", *xdist).assert_outcomes(passed=5)
    # Configured for the run, the calls that give none take it; [] clears it.
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "--replaycheck-failure-exception-type=Exception", *xdist
    )
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["FAILED *test_without_the_setting_the_failed_workflows_are_*"])


INTERCEPTORS = """
import pytest
from replaycheck.errors import ConfigError
from tests.workflows.intercepted import AuditInterceptor

INTERCEPTOR = "tests.workflows.intercepted:AuditInterceptor"
PLUGIN = "tests.workflows.intercepted:audit_plugin"

def verdicts(replaycheck, **options):
    found = replaycheck.check("histories/audited", "tests.workflows.intercepted", **options)
    return sorted({v.verdict for v in found})

def test_without_the_interceptor_the_memo_upsert_diverges(replaycheck):
    assert verdicts(replaycheck) == ["nondeterministic"]

def test_the_interceptor_by_spec_or_class(replaycheck):
    assert verdicts(replaycheck, interceptors=INTERCEPTOR) == ["ok"]
    assert verdicts(replaycheck, interceptors=[AuditInterceptor]) == ["ok"]
    replaycheck.assert_ok("histories/audited", "tests.workflows.intercepted",
                          interceptors=AuditInterceptor)

def test_the_plugin(replaycheck):
    assert verdicts(replaycheck, plugins=[PLUGIN]) == ["ok"]

def test_an_instance_is_refused_in_the_configurations_words(replaycheck):
    with pytest.raises(ConfigError) as raised:
        verdicts(replaycheck, interceptors=[AuditInterceptor()])
    assert str(raised.value) == (
        "check(interceptors=...): interceptors must be a 'package.module:object' string naming "
        "your worker Interceptor (the replay worker imports it), got an instance of "
        "AuditInterceptor.")
    with pytest.raises(ConfigError, match=r"got an instance of AuditInterceptor\\.$"):
        verdicts(replaycheck, interceptors=AuditInterceptor())
    with pytest.raises(ConfigError, match=r"^check\\(plugins=\\.\\.\\.\\): plugins must look like"):
        verdicts(replaycheck, plugins="audit_plugin")

def test_a_class_made_in_a_function_is_refused(replaycheck):
    class Local(AuditInterceptor):
        pass
    with pytest.raises(ConfigError, match=r"Local is defined inside a function"):
        verdicts(replaycheck, interceptors=Local)
"""


@XDIST
def test_the_fixture_takes_interceptors_and_plugins_per_call(
    pytester: pytest.Pytester, intercepted_histories: Path, xdist: list[str]
) -> None:
    project(pytester, intercepted_histories, "tests.workflows.intercepted")
    pytester.makepyfile(test_fixture=INTERCEPTORS)
    pytester.runpytest_subprocess("-p", "no:randomly", *xdist).assert_outcomes(passed=5)
    # Configured for the run: the call without one runs it; interceptors=[] does not.
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", f"--replaycheck-interceptor={INTERCEPTOR}",
        "-k", "without", *xdist,
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    pytester.makepyfile(test_cleared="""
        def test_cleared(replaycheck):
            found = replaycheck.check("histories/audited", "tests.workflows.intercepted",
                                      interceptors=[])
            assert {v.verdict for v in found} == {"nondeterministic"}
    """)  # fmt: skip
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", f"--replaycheck-interceptor={INTERCEPTOR}",
        "test_cleared.py", *xdist,
    )  # fmt: skip
    result.assert_outcomes(passed=1)


NOTES = """
def test_one(replaycheck, capsys):
    found = replaycheck.check("histories/audited", "tests.workflows.intercepted")
    assert {v.verdict for v in found} == {"nondeterministic"}
    assert capsys.readouterr().err.count("replaycheck: note: Intercepted histories start") == 1

def test_another_in_the_same_process(replaycheck, capsys):
    found = replaycheck.check("histories/audited", "tests.workflows.intercepted")
    assert {v.verdict for v in found} == {"nondeterministic"}
    assert capsys.readouterr().err.count("replaycheck: note: Intercepted histories start") == 1
"""


@XDIST
def test_each_fixture_call_says_the_notes_of_its_replays(
    pytester: pytest.Pytester, intercepted_histories: Path, xdist: list[str]
) -> None:
    # A test that fails shows the note on its own captured stderr, not only the first one did.
    project(pytester, intercepted_histories, "tests.workflows.intercepted")
    pytester.makepyfile(test_notes=NOTES)
    pytester.runpytest_subprocess("-p", "no:randomly", *xdist).assert_outcomes(passed=2)
