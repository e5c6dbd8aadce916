"""Many items failing for one cause: pytest's summary names each cause once, and a failure
whose cause one above shows in full points to it (each item still fails, and its JUnit XML
failure still holds its whole diagnosis)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.test_plugin import make_project

pytest_plugins = ["pytester"]

UNSAFE = "examples.provisioning.workflows_unsafe"
MOVED = "fix: gate the change at shared.py:79 in prepare_v2"
"""The fix each of six of the example's histories shows on its own against the unsafe code."""
LINKED = (
    "fix: these executions started before patch 'schema-retry-seed-first', whose gate the code "
    "no longer has"
)
"""Their cause's fix in the summary, which reads the run as `check` does: the gate is gone
(worded for the six: each failure's own says "this execution")."""
POINTER = "*same change and fix as fixtures/histories/TenantProvisioning/prov-*.json::replay, "
"""How a failure whose cause one above shows in full begins its pointer to it."""


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def _summary(result: pytest.RunResult) -> str:
    """The plugin's part of the terminal summary."""
    text = result.stdout.str()
    return text[text.index("= replaycheck =") :]


def test_the_summary_names_each_cause_once_with_its_items_and_fix(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(failed=8, passed=6)  # every item fails on its own
    result.stdout.fnmatch_lines(
        [
            "8 failures from 2 causes; each cause's first failure above shows it in full, the "
            "others point to it (-v or --tb=long: each in full):",
            "cause ? of 2, 6 histories: the code no longer has the gate workflow.patched("
            "'schema-retry-seed-first'): these executions started before the patch (their "
            "histories have no marker of it)* the code now "
            "commands activity 'verify_schema' where it ran activity 'run_migrations' (at "
            "shared.py:109 in _step, called from shared.py:79 in prepare_v2)",
            "  failed: fixtures/histories/TenantProvisioning/prov-*.json::replay, fixtures/*"
            "::replay, fixtures/*::replay and 3 more",
            "  severity: *",
            f"  {LINKED}*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "cause ? of 2, 2 histories: the code no longer calls workflow.patched('schema-"
            "retry-seed-first') (nor deprecate_patch), but these histories recorded its marker "
            "(at shared.py:109 in _step, called from shared.py:78 in prepare_v2)",
            "  failed: fixtures/histories/TenantProvisioning/prov-v2-*.json::replay, "
            "fixtures/histories/TenantProvisioning/prov-v2-*.json::replay",
        ]
    )
    result.stdout.fnmatch_lines(
        ["Fix the histories that failed above, then run again: fix each one as shown under "
         "its cause above."]
    )  # fmt: skip
    assert _summary(result).count(LINKED) == 1
    assert "this execution" not in _summary(result)  # the text stands for six
    assert "  if these histories still fail with the gate back, another change broke them: " in (
        _summary(result)
    )
    assert MOVED not in _summary(result)  # each failure alone reads a new change


def test_a_repeated_failure_points_to_the_one_shown_in_full(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest(*xdist_args)
    text = result.stdout.str()
    # one failure of each cause in full, the six others in short; each has its own section,
    # execution and event
    assert text.count(MOVED) == 1  # the first failure's (the summary's fix is LINKED)
    assert text.count("same change and fix as ") == 6
    assert text.count("_ replay fixtures/histories/TenantProvisioning/prov-") == 8
    assert text.count("FAIL  fixtures/histories/TenantProvisioning/prov-") == 8
    assert text.count("diverged at: event 11 (ActivityTaskScheduled)") == 6
    lines = result.outlines
    at = next(i for i, line in enumerate(lines) if "same change and fix as" in line)
    pytest.LineMatcher(lines[at - 5 : at + 1]).fnmatch_lines(
        [
            "FAIL  fixtures/histories/TenantProvisioning/prov-*.json",
            "      workflow TenantProvisioning, id prov-*, run *, * events, *",
            "      *Nondeterminism error: *",
            "      diverged at: event *",
            "      severity: *",
            POINTER + "whose failure above shows them; -v (or --tb=long) shows this one in "
            "full, as --junitxml does",
        ],
        consecutive=True,
    )


@pytest.mark.parametrize("full", [["-v"], ["--tb=long"]], ids=["-v", "--tb=long"])
def test_v_or_tb_long_shows_every_failure_in_full(
    pytester: pytest.Pytester, xdist_args: list[str], full: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest(*full, *xdist_args)
    text = result.stdout.str()
    assert "same change and fix as" not in text
    assert text.count(MOVED) == 6  # each of its six failures
    result.stdout.fnmatch_lines(["8 failures from 2 causes, each failure above in full:"])


def test_the_junit_xml_holds_each_failures_whole_diagnosis(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest("--junitxml=report.xml", *xdist_args)
    assert result.stdout.str().count("same change and fix as ") == 6
    root = ET.parse(pytester.path / "report.xml").getroot()
    failures = [f.text or "" for f in root.iter("failure")]
    assert len(failures) == 8
    assert sum(MOVED in text for text in failures) == 6
    assert all("fix: " in text and "same change" not in text for text in failures)


def test_selected_items_group_among_themselves(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest("-k", "acme or globex or cyberdyne", *xdist_args)
    result.assert_outcomes(failed=3, passed=3)  # their notify children pass
    result.stdout.fnmatch_lines(["3 failures from 2 causes; *", "cause ? of 2, 2 histories: *"])
    assert result.stdout.str().count("same change and fix as ") == 1


def test_tb_line_keeps_the_causes_but_points_to_no_failure_above(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest("--tb=line", *xdist_args)
    result.stdout.fnmatch_lines(["8 failures from 2 causes:", "cause ? of 2, 6 histories: *"])
    assert "same change and fix as" not in result.stdout.str()


def test_no_cause_lines_when_each_failure_has_its_own(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows=UNSAFE)
    result = pytester.runpytest("-k", "acme-completed.json or cyberdyne-completed.json",
                                *xdist_args)  # fmt: skip
    result.assert_outcomes(failed=2)
    assert "cause" not in _summary(result)
    assert "same change and fix as" not in result.stdout.str()


def test_xdist_workers_leave_the_summary_to_the_controller(pytester: pytest.Pytester) -> None:
    # xdist shows no worker's terminal: grouping and reading every failure there was wasted.
    make_project(pytester, workflows=UNSAFE)
    pytester.makeconftest(
        """
        def pytest_sessionfinish(session):
            config = session.config
            if hasattr(config, "workerinput"):
                counter = config.pluginmanager.get_plugin("replaycheck-counter")
                name = config.workerinput["workerid"]
                (config.rootpath / f"{name}.counts").write_text(str(counter is not None))
        """
    )
    result = pytester.runpytest("-n", "2")
    result.assert_outcomes(failed=8, passed=6)
    result.stdout.fnmatch_lines(["8 failures from 2 causes; *"])
    said = {p.read_text() for p in pytester.path.glob("gw*.counts")}
    assert said == {"False"}
