"""The pytest plugin, driven with pytester; every scenario also runs under xdist (-n 2)."""

from __future__ import annotations

import gzip
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from replaycheck._plugin_items import JunitClassnames, junit_classname
from replaycheck.histories import history_binpb_bytes, read_history
from tests.conftest import COMPLETE, FIXTURES, NONDETERMINISTIC, REPO
from tests.test_histories import MALFORMED

pytest_plugins = ["pytester"]

UNSAFE_BREAKS = {
    "prov-acme-completed.json",
    "prov-globex-completed.json",
    "prov-initech-schema-retried.json",
    "prov-stark-cancelled.json",
    "prov-umbrella-awaiting-approval.json",
    "prov-wayne-terminated.json",
}


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def make_project(pytester: pytest.Pytester, workflows: str = "examples.provisioning.workflows",
                 extra: str = "") -> Path:
    """A project with the example's fixtures and a [tool.replaycheck] table."""
    shutil.copytree(FIXTURES, pytester.path / "fixtures" / "histories")
    configure(pytester, workflows, "fixtures/histories", extra)
    return pytester.path


def mark_acme(pytester: pytest.Pytester, mark: str) -> None:
    """A conftest marking the ``prov-acme-completed.json`` item ``pytest.mark.<mark>``."""
    pytester.makeconftest(
        f"""
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.path.name == "prov-acme-completed.json":
                    item.add_marker(pytest.mark.{mark}(reason="known broken"))
        """
    )


def configure(pytester: pytest.Pytester, workflows: str, histories: str, extra: str = "") -> None:
    """A [tool.replaycheck] table: ``histories``, ``workflows`` importable from the repository."""
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["{histories}"]
            workflows = ["{workflows}"]
            pythonpath = ["{REPO}"]
            {extra}
        """,
    )


def outcome_names(result: pytest.RunResult) -> dict[str, set[str]]:
    passed, failed = set(), set()
    for line in result.outlines:
        for verb, bucket in (("PASSED", passed), ("FAILED", failed)):
            if verb in line and "::replay" in line:
                token = next(t for t in line.split() if "::replay" in t)
                bucket.add(Path(token.split("::")[0]).name)
    return {"passed": passed, "failed": failed}


REPORT_WORKER_START = """
from replaycheck._plugin_config import runner_key

started = []

def pytest_sessionstart(session):  # after the plugin's configure made the runner
    runner = session.config.stash[runner_key]
    close = runner.close

    def close_and_record():
        started.append(runner.session is not None)
        close()

    runner.close = close_and_record

def pytest_unconfigure(config):  # before the plugin's own
    print("replay worker started:", any(started) or config.stash[runner_key].session is not None)
"""
"""A conftest telling whether the run started a replay worker (run pytest with -s)."""


def _is_v2_parent(name: str) -> bool:
    """Histories of the gated version 2 carry a patch marker the unsafe code never asks for."""
    return name.startswith("prov-v2-") and not name.endswith("-notify.json")


def all_fixture_names() -> set[str]:
    return {p.name for p in FIXTURES.rglob("*.json")}


def running_fixture_names() -> set[str]:
    """Fixture histories of executions that were still running when recorded."""
    return {p.name for p in FIXTURES.rglob("*.json") if read_history(p).info.status == "RUNNING"}


def test_all_ok_corpus_passes(pytester: pytest.Pytester, xdist_args: list[str]) -> None:
    make_project(pytester)
    result = pytester.runpytest("-rA", *xdist_args)
    result.assert_outcomes(passed=len(all_fixture_names()))
    result.stdout.fnmatch_lines(
        [
            f"{len(all_fixture_names())} histories: * ok, 0 nondeterministic, 0 errors",
            f"{len(running_fixture_names())} ok histories of executions still running: checked "
            "through the last recorded event, not the commands still to come.",
        ]
    )


def test_a_worker_note_is_said_once_in_the_summary(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # A pydantic project that forgot data_converter: every history passes (activity inputs are
    # not compared), and the note that would go unseen in a passing item's captured output
    # closes the run, once, also from xdist's workers.
    histories = pytester.path / "histories"
    histories.mkdir()
    for n in range(4):
        shutil.copy(COMPLETE, histories / f"hello-{n}.json")
    configure(pytester, "tests.workflows.pydantic_hello", "histories")
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=4)
    notes = [line for line in result.outlines if line.startswith("note: ")]
    assert notes == [
        "note: the workflows pass pydantic models, which temporalio's default data converter "
        "converts with a warning; if your workers' client uses pydantic_data_converter, set "
        'data_converter = "temporalio.contrib.pydantic:pydantic_data_converter" under '
        "[tool.replaycheck], so the replay converts values as they do."  # pytest has no option
    ]
    assert "UserWarning" not in result.stdout.str() + result.stderr.str()
    # Configured as the note says, no note.
    configure(pytester, "tests.workflows.pydantic_hello", "histories",
              'data_converter = "temporalio.contrib.pydantic:pydantic_data_converter"')  # fmt: skip
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=4)
    assert not [line for line in result.outlines if line.startswith("note: ")]


def test_a_removed_patch_gate_is_one_fix_in_the_summary(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # Each item's failure is its history's alone (xdist replays them apart): the version 1
    # ones propose a gate of their own. The closing lines see the whole run: one gate, the
    # removed one, goes back for both.
    make_project(pytester, workflows="examples.provisioning.workflows_removed")
    result = pytester.runpytest("-rf", "--junitxml=report.xml", *xdist_args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Fix the histories that failed above, then run again: *",
            'Patch "schema-retry-seed-first": 2 histories recorded its marker with patched(), '
            "and the code no longer calls it; 6 histories started before the patch and took "
            'its old branch: put the whole gate back, one workflow.patched("schema-retry-seed-'
            'first") for both, the old code in its else.',
        ]
    )
    assert "replaycheck_failure" not in (pytester.path / "report.xml").read_text()


def test_unsafe_variant_fails_exactly_the_histories_it_breaks(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    result = pytester.runpytest("-rA", *xdist_args)
    names = outcome_names(result)
    broken = {n for n in all_fixture_names() if n in UNSAFE_BREAKS or _is_v2_parent(n)}
    assert names["failed"] == broken
    assert names["passed"] == all_fixture_names() - broken
    text = result.stdout.str()
    assert "does not match activity type of activity command 'verify_schema'" in text
    assert "severity: breaks in-flight executions" in text
    assert "Traceback" not in text
    assert "def runtest" not in text  # no traceback into the plugin for a verdict
    # the removed gate's fix puts it back, not a new gate: each cause shows its own fix
    result.stdout.fnmatch_lines(
        ["Fix the histories that failed above, then run again: fix each one as shown under its *"]
    )


def test_last_failed_reruns_the_broken_histories_until_fixed(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    broken = outcome_names(pytester.runpytest("-rA", *xdist_args))["failed"]
    assert broken
    again = pytester.runpytest("-rA", "--lf", *xdist_args)
    assert outcome_names(again) == {"passed": set(), "failed": broken}
    # The change is gated (the current example code): the failures re-run, and pass.
    fixed = pytester.runpytest(
        "-rA", "--lf", "--replaycheck-workflows=examples.provisioning.workflows", *xdist_args
    )
    assert outcome_names(fixed) == {"passed": broken, "failed": set()}
    rest = pytester.runpytest("-rA", "--lf", *xdist_args)  # nothing failed last time: run all
    rest.assert_outcomes(failed=len(broken), passed=len(all_fixture_names()) - len(broken))


def test_a_skip_mark_on_a_history_skips_it(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # pytest asserts a line number for a skip mark (also what pytest-benchmark's
    # --benchmark-only puts on every other item); a history has none: it crashed pytest.
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    mark_acme(pytester, "skip")
    result = pytester.runpytest("-rs", *xdist_args)
    broken = {n for n in all_fixture_names() if n in UNSAFE_BREAKS or _is_v2_parent(n)}
    result.assert_outcomes(
        skipped=1, failed=len(broken) - 1, passed=len(all_fixture_names()) - len(broken)
    )
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] *prov-acme-completed.json*: known broken"])
    assert "INTERNALERROR" not in result.stdout.str()


def test_pytest_timeout_does_not_fail_histories_queued_behind_a_slow_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist_args: list[str]
) -> None:
    # The first history takes 6 s to replay; pytest-timeout at 2 s timed the items' wait for
    # the replays queued before theirs, failed fine histories and lost the slow one's verdict.
    monkeypatch.setenv("TEMPORAL_DEBUG", "1")
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "6")
    histories = pytester.mkdir("histories")
    shutil.copy(NONDETERMINISTIC, histories / "a-slow.json")
    for name in ("b-ok.json", "c-ok.json"):
        shutil.copy(COMPLETE, histories / name)
    configure(pytester, "tests.workflows.misbehaving:HangingSayHello", "histories")
    result = pytester.runpytest("-p", "timeout", "--timeout", "2", "-rA", *xdist_args)
    assert "Timeout" not in result.stdout.str()
    assert {"b-ok.json", "c-ok.json"} <= outcome_names(result)["passed"]
    result.stdout.fnmatch_lines(["3 histories: *"])


def test_a_timeout_mark_of_the_users_wins_over_the_plugins(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makeconftest(
        """
        import pytest

        def pytest_collection_modifyitems(items):
            for item in items:
                if item.path.name == "prov-acme-completed.json":
                    item.add_marker(pytest.mark.timeout(300))

        def pytest_collection_finish(session):
            for item in session.items:
                print("timeout", item.path.name, item.get_closest_marker("timeout").args)
        """
    )
    result = pytester.runpytest("-p", "timeout", "--co", "-s", "-q")
    result.stdout.fnmatch_lines(["timeout prov-acme-completed.json (300,)"])
    result.stdout.fnmatch_lines(["timeout prov-globex-completed.json (0,)"])


def test_reruns_replay_again_and_count_each_history_once(pytester: pytest.Pytester) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    pytester.makeconftest(REPORT_REPLAYS)
    result = pytester.runpytest("-p", "rerunfailures", "--reruns", "1", "-s",
                                "--junitxml=out.xml")  # fmt: skip
    broken = {n for n in all_fixture_names() if n in UNSAFE_BREAKS or _is_v2_parent(n)}
    outcomes = result.parseoutcomes()
    assert (outcomes["failed"], outcomes["rerun"]) == (len(broken), len(broken)), outcomes
    total = len(all_fixture_names())
    result.stdout.fnmatch_lines(
        [f"{total} histories: {total - len(broken)} ok, {len(broken)} nondeterministic, 0 errors"]
    )
    result.stdout.fnmatch_lines([f"*histories replayed: {total + len(broken)}"])
    for case in ET.parse(pytester.path / "out.xml").getroot().iter("testcase"):
        names = [p.get("name") for p in case.iter("property")]
        assert names.count("replaycheck_verdict") == 1, names


REPORT_REPLAYS = """
from replaycheck._plugin_config import runner_key

def pytest_sessionfinish(session):
    print("histories replayed:", session.config.stash[runner_key].sent)
"""
"""A conftest printing how many replays the run asked its worker for (run pytest with -s)."""


def test_short_summary_and_junit_message_say_the_verdict_in_one_line(
    pytester: pytest.Pytester, xdist_args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")  # on CI pytest prints the whole message in the summary
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    result = pytester.runpytest("-rf", "--junitxml=report.xml", *xdist_args)
    acme = "fixtures/histories/TenantProvisioning/prov-acme-completed.json::replay"
    result.stdout.fnmatch_lines(
        [f"FAILED {acme} - nondeterministic: event 11 (ActivityTaskScheduled): history recorded "
         "activity 'run_migrations', code commanded activity 'verify_schema' at shared.py:*"]
    )
    failed = len(outcome_names(result)["failed"])
    assert result.stdout.str().count("diverged at:") == failed  # the report once, not twice
    root = ET.parse(pytester.path / "report.xml").getroot()
    messages = [f.get("message", "") for f in root.iter("failure")]
    assert len(messages) == failed
    assert all(m.startswith("nondeterministic: event ") and "\n" not in m for m in messages)
    lines = pytester.runpytest("--tb=line", *xdist_args)
    lines.stdout.fnmatch_lines([f"{acme.split('::')[0]}:1: nondeterministic: event 11 (*"])
    assert "diverged at:" not in lines.stdout.str()  # --tb=line: one line per failure


def test_output_of_a_replay_is_the_items_captured_stderr(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows="tests.workflows.noisy:NoisyNotifyTenant")
    result = pytester.runpytest(
        "-rP", "--replaycheck-histories=fixtures/histories/NotifyTenant", *xdist_args
    )
    result.stdout.fnmatch_lines(
        ["*_ replay fixtures/histories/NotifyTenant/prov-acme-completed-notify.json _*",
         "*Captured stderr call*",
         "notifying acme"]
    )
    text = result.stdout.str()
    assert text.index("notifying") > text.index("PASSES")  # not between the progress dots


def test_a_crashed_worker_shows_what_it_wrote(pytester: pytest.Pytester) -> None:
    histories = pytester.path / "histories"
    histories.mkdir()
    for path in (COMPLETE, NONDETERMINISTIC):
        shutil.copy(path, histories / path.name)
    configure(pytester, "tests.workflows.misbehaving:CrashingSayHello", "histories")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*crashed the replay worker (exit code 3)*", "*Captured stderr call*", "about to crash"]
    )


def test_item_ids_are_readable_and_selectable(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--collect-only", "-q")
    result.stdout.fnmatch_lines(
        ["fixtures/histories/TenantProvisioning/prov-acme-completed.json::replay"]
    )
    result = pytester.runpytest("-k", "acme", "-q")
    result.assert_outcomes(passed=2)  # the workflow and its NotifyTenant child
    deselect = "fixtures/histories/TenantProvisioning/prov-acme-completed.json::replay"
    result = pytester.runpytest("-q", "--deselect", deselect, "-k", "acme")
    result.assert_outcomes(passed=1, deselected=len(all_fixture_names()) - 1)


def test_malformed_files_fail_with_their_reason(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester)
    bad_dir = pytester.path / "fixtures" / "histories" / "Broken"
    bad_dir.mkdir()
    for name in ("empty-events", "truncated", "utf16", "bare-list"):
        (bad_dir / f"{name}.json").write_bytes(MALFORMED[name][0])
    result = pytester.runpytest("-rA", *xdist_args)
    assert outcome_names(result)["failed"] == {
        "empty-events.json", "truncated.json", "utf16.json", "bare-list.json"
    }
    for name in ("empty-events", "truncated", "utf16", "bare-list"):
        assert MALFORMED[name][1] in result.stdout.str()
    result.stdout.fnmatch_lines(["*4 errors*"])


def test_broken_symlinks_loops_and_fifos_among_histories_fail_as_check_reports_them(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # pytest's directory walk passes over what is not a regular file; `check` reports each.
    make_project(pytester)
    odd = pytester.path / "fixtures" / "histories" / "Odd"
    odd.mkdir()
    (odd / "broken.json").symlink_to(odd / "nowhere.json")
    (odd / "loop-a.json").symlink_to(odd / "loop-b.json")
    (odd / "loop-b.json").symlink_to(odd / "loop-a.json")
    os.mkfifo(odd / "fifo.json")
    result = pytester.runpytest("-rA", *xdist_args)
    names = outcome_names(result)
    assert names["failed"] == {"broken.json", "loop-a.json", "loop-b.json", "fifo.json"}
    assert len(names["passed"]) == len(all_fixture_names())
    text = result.stdout.str()
    assert "is a broken symlink" in text and "is a symlink loop" in text
    assert "is not a regular file" in text
    # what pytest is told to leave out stays out
    result = pytester.runpytest("-rA", *xdist_args, f"--ignore={odd / 'broken.json'}",
                                "--ignore-glob=*loop*")  # fmt: skip
    assert outcome_names(result)["failed"] == {"fifo.json"}


def test_a_workflow_module_that_exits_on_import_says_what_it_printed(
    pytester: pytest.Pytester,
) -> None:
    # The plugin captures the worker's stderr: the reason the module gave must reach the item.
    make_project(pytester, workflows="tests.workflows.exits_on_import")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=len(all_fixture_names()))
    text = result.stdout.str()
    assert "the replay worker exited (3) while importing the workflow modules" in text
    assert "it printed: DATABASE_URL is not set" in text


def test_a_bug_in_replaycheck_still_shows_its_traceback(pytester: pytest.Pytester) -> None:
    # A verdict is rendered without a traceback; an exception from replaycheck itself is not a
    # verdict and must keep pytest's usual traceback, so the bug can be reported and found.
    make_project(pytester)
    pytester.makeconftest(
        """
        from replaycheck import runner

        def broken(self, path):
            raise KeyError("a bug in replaycheck")

        runner.Runner.verdict = broken
        """
    )
    result = pytester.runpytest_subprocess("--replaycheck=only")  # keeps the patch out of here
    result.assert_outcomes(failed=len(all_fixture_names()))
    result.stdout.fnmatch_lines(["*def broken(self, path):*", "*KeyError: 'a bug in replaycheck'"])


def test_junit_xml_has_one_testcase_per_history(pytester: pytest.Pytester) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows_unsafe")
    pytester.runpytest("--junitxml=report.xml")
    root = ET.parse(pytester.path / "report.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(all_fixture_names())
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == len(
        {n for n in all_fixture_names() if n in UNSAFE_BREAKS or _is_v2_parent(n)}
    )
    assert "Nondeterminism error" in (failures[0].find("failure").text or "")  # type: ignore[union-attr]
    properties = {  # every testcase carries its verdict, status and message
        f"{c.get('classname')}::{c.get('name')}": {
            p.get("name"): p.get("value") for p in c.iter("property")
        }
        for c in cases
    }
    assert all(set(p) == {"replaycheck_verdict", "replaycheck_status", "replaycheck_message",
                          "replaycheck_seconds"} for p in properties.values())  # fmt: skip
    # the replay's own time: items replay ahead of their turn, so the testcase time is not it
    assert all(0 < float(p["replaycheck_seconds"]) < 60 for p in properties.values())
    running = [k for k in properties if "prov-hooli-schema-retrying" in k]
    assert properties[running[0]].pop("replaycheck_seconds")
    assert properties[running[0]] == {
        "replaycheck_verdict": "ok",
        "replaycheck_status": "RUNNING",
        "replaycheck_message": "verified events 1-5 of 5; execution still running, later "
        "commands are not checked until it makes them",
    }


def junit_project(pytester: pytest.Pytester) -> Path:
    """Histories of every dialect, one failing, one malformed and one whose setup errors."""
    source = FIXTURES / "TenantProvisioning"
    target = pytester.path / "fixtures" / "histories" / "TenantProvisioning"
    target.mkdir(parents=True)
    for name in ("prov-acme-completed.json", "prov-oldco-failed.json"):  # acme breaks
        shutil.copy(source / name, target / name)
    hooli = (source / "prov-hooli-schema-retrying.json").read_bytes()
    (target / "prov-hooli-schema-retrying.v1.JSON.gz").write_bytes(gzip.compress(hooli))
    events = read_history(source / "prov-oldco-failed.json").history.events
    (target / "prov-oldco-failed-bin.binpb").write_bytes(history_binpb_bytes(events))
    broken = pytester.path / "fixtures" / "histories" / "broken"
    broken.mkdir()
    (broken / "empty-events.json").write_bytes(MALFORMED["empty-events"][0])
    configure(pytester, "examples.provisioning.workflows_unsafe", "fixtures/histories")
    pytester.makeconftest(
        """
        def pytest_runtest_setup(item):
            if "-bin.binpb" in item.nodeid:
                raise RuntimeError("setup broke")
        """
    )
    return pytester.path


def test_junit_classname_is_the_history_file_without_its_suffix(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # CI viewers split a classname at its last dot into package and class: the class is the
    # history file, as it is the module for a test file, not "json".
    junit_project(pytester)
    result = pytester.runpytest("--junitxml=report.xml", *xdist_args)
    result.assert_outcomes(passed=2, failed=2, errors=1)
    assert "experimental" not in result.stdout.str()
    cases = ET.parse(pytester.path / "report.xml").getroot().findall(".//testcase")
    outcomes = {
        c.get("classname"): (c.get("name"), [e.tag for e in c if e.tag != "properties"])
        for c in cases
    }
    prefix = "fixtures.histories.TenantProvisioning."
    assert outcomes == {
        f"{prefix}prov-acme-completed": ("replay", ["failure"]),
        f"{prefix}prov-oldco-failed": ("replay", []),
        f"{prefix}prov-hooli-schema-retrying_v1": ("replay", []),
        f"{prefix}prov-oldco-failed-bin": ("replay", ["error"]),
        "fixtures.histories.broken.empty-events": ("replay", ["failure"]),
    }


def test_junit_classname_leaves_the_node_ids_alone(pytester: pytest.Pytester) -> None:
    junit_project(pytester)
    result = pytester.runpytest("--collect-only", "-q", "--junitxml=report.xml")
    assert sorted(line for line in result.outlines if "::" in line) == [
        "fixtures/histories/TenantProvisioning/prov-acme-completed.json::replay",
        "fixtures/histories/TenantProvisioning/prov-hooli-schema-retrying.v1.JSON.gz::replay",
        "fixtures/histories/TenantProvisioning/prov-oldco-failed-bin.binpb::replay",
        "fixtures/histories/TenantProvisioning/prov-oldco-failed.json::replay",
        "fixtures/histories/broken/empty-events.json::replay",
    ]
    result = pytester.runpytest("-q", "-k", "hooli and v1", "--junitxml=report.xml")
    result.assert_outcomes(passed=1, deselected=4)


def test_junit_classname_falls_back_to_pytests_own_if_its_internals_differ() -> None:
    class OtherWriter:  # a junitxml whose reporters take other arguments
        prefix = None

        def node_reporter(self, report: object, other: object) -> None:
            raise AssertionError("not reached")

    report = SimpleNamespace(replaycheck_classname="fixtures.histories.T.order-1")
    JunitClassnames(OtherWriter()).pytest_runtest_logreport(report)  # type: ignore[arg-type]
    assert junit_classname("a/b/order-1.v2.binpb.gz::replay") == "a.b.order-1_v2"
    assert junit_classname("order-1.json::replay") == "order-1"


def test_no_workflows_configured_is_a_usage_error(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    shutil.copytree(FIXTURES, pytester.path / "fixtures" / "histories")
    pytester.makefile(".toml", pyproject='[tool.replaycheck]\nhistories = ["fixtures/histories"]\n')
    result = pytester.runpytest(*xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*histories are configured but no workflows*"])


def test_no_histories_under_configured_path(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    (pytester.path / "empty").mkdir()
    pytester.makefile(
        ".toml", pyproject='[tool.replaycheck]\nhistories = ["empty"]\nworkflows = ["x"]\n'
    )
    result = pytester.runpytest(*xdist_args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*no history files (*.json, *.json.gz, *.binpb, *.binpb.gz) under *empty*"]
    )


def test_unregistered_workflow_type_fails_loudly(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows:NotifyTenantWorkflow")
    result = pytester.runpytest(*xdist_args)
    result.stdout.fnmatch_lines(
        ["*workflow type 'TenantProvisioning' is not registered (registered: NotifyTenant)*"]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_import_error_in_workflow_module_is_shown(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester, workflows="brokenwf")
    pytester.makepyfile(brokenwf="import no_such_dependency_xyz\n")
    # -rN: no short summary, which repeats each failure's message in full on CI
    result = pytester.runpytest(*xdist_args, "--replaycheck=only", "-rN")
    result.stdout.fnmatch_lines(
        ["*cannot import workflow module 'brokenwf': ModuleNotFoundError: "
         "No module named 'no_such_dependency_xyz'*"]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # in full once per process; the other items point at it
    text = result.stdout.str()
    processes = 2 if xdist_args else 1
    assert 1 <= text.count("and that the module imports on its own") <= processes
    assert text.count("not replayed: cannot import workflow module 'brokenwf': "
                      "ModuleNotFoundError") >= len(all_fixture_names()) - processes


def test_a_converter_failure_in_pytest_points_at_the_table_not_a_missing_option(
    pytester: pytest.Pytester,
) -> None:
    # pytest has no --data-converter option: the failure must send the user to the table.
    (pytester.path / "histories").mkdir()
    shutil.copy(COMPLETE, pytester.path / "histories" / COMPLETE.name)
    configure(pytester, "tests.workflows.misbehaving:DecimalSayHello", "histories")
    result = pytester.runpytest("--replaycheck=only")
    result.assert_outcomes(failed=1)
    assert (
        'set data_converter = "module:object" under [tool.replaycheck] (or replaycheck\'s '
        "--data-converter; pytest reads only the table)"
    ) in result.stdout.str()


def test_a_module_the_sandbox_refuses_is_named_and_the_ini_passes_it_through(
    pytester: pytest.Pytester,
) -> None:
    (pytester.path / "histories").mkdir()
    for history in (COMPLETE, NONDETERMINISTIC):
        shutil.copy(history, pytester.path / "histories")
    configure(pytester, "tests.workflows.settings_import:SettingsSayHello", "histories")
    result = pytester.runpytest("-rN", "-p", "no:randomly")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "*temporalio's sandbox refused workflow SayHelloWorkflow: loading it, "
        "tests.workflows.app_settings (*app_settings.py:10, imported from *settings_import.py:12)"
        " makes a call workflow code may not make (Cannot access pathlib.Path.resolve.__call__ "
        "from inside a workflow); *",
        "*not replayed: temporalio's sandbox refused workflow SayHelloWorkflow: * (the first "
        "history item says why)*",
    ])  # fmt: skip
    assert 'set passthrough_modules = ["tests.workflows.app_settings"]' in result.stdout.str()
    assert "crashed" not in result.stdout.str()
    passed = "tests.workflows.app_settings"
    pytester.makeini(f"[pytest]\nreplaycheck_passthrough_modules = {passed}\n")
    result = pytester.runpytest("-v")
    assert outcome_names(result) == {"passed": {COMPLETE.name}, "failed": {NONDETERMINISTIC.name}}
    pytester.makeini("[pytest]\n")
    result = pytester.runpytest("-v", f"--replaycheck-passthrough-module={passed}")
    assert outcome_names(result) == {"passed": {COMPLETE.name}, "failed": {NONDETERMINISTIC.name}}
    result = pytester.runpytest("--replaycheck-passthrough-module=shop/settings.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--replaycheck-passthrough-module: 'shop/settings.py' is not "
                                 "a module name*"])  # fmt: skip


def test_bad_option_values_name_the_valid_choices(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--replaycheck=sometimes")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*valid values: on, off, only*"])
    result = pytester.runpytest("--replaycheck-timeout=soon")
    result.stderr.fnmatch_lines(["*timeout must be a positive number of seconds *, got 'soon'*"])


def test_command_line_beats_ini_beats_pyproject(pytester: pytest.Pytester) -> None:
    make_project(pytester, workflows="examples.provisioning.workflows")
    pytester.makeini(
        "[pytest]\nreplaycheck_workflows = examples.provisioning.workflows_unsafe\n"
    )
    assert pytester.runpytest().ret == pytest.ExitCode.TESTS_FAILED  # ini beats pyproject
    result = pytester.runpytest("--replaycheck-workflows=examples.provisioning.workflows")
    assert result.ret == pytest.ExitCode.OK  # command line beats ini


def test_report_header_and_disabling(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(
        ["replaycheck: histories fixtures/histories; workflows examples.provisioning.workflows "
         "(2 workflow classes); timeout 60 s"]
    )
    result = pytester.runpytest("-p", "no:replaycheck", "fixtures")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_report_header_says_a_workflow_module_that_is_not_found(pytester: pytest.Pytester) -> None:
    # A typo in replaycheck_workflows read "(0 workflow classes)", as if the module had none.
    make_project(pytester, workflows="flows")
    pytester.makepyfile(
        flows="""
            from temporalio import workflow

            @workflow.defn
            class Flow:
                @workflow.run
                async def run(self) -> None: ...
        """
    )
    result = pytester.runpytest("--collect-only", "--replaycheck-workflows=flows")
    result.stdout.fnmatch_lines(["replaycheck: *; workflows flows (1 workflow class); *"])
    typos = "flowz\n    examples.provisioning.workflow"  # a top-level module, one in a package
    pytester.makeini(f"[pytest]\nreplaycheck_workflows =\n    {typos}\n")
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines([
        "replaycheck: *; workflows flowz, examples.provisioning.workflow (modules 'flowz', "
        "'examples.provisioning.workflow' not found); *"
    ])  # fmt: skip
    assert "0 workflow classes" not in result.stdout.str()


def test_report_header_shows_the_worker_settings_the_replay_uses(pytester: pytest.Pytester) -> None:
    # A project that configures its worker's interceptors and failure types sees in the header
    # that the replay takes them (a run without them says nothing more).
    make_project(
        pytester,
        extra='interceptors = ["tests.workflows.intercepted:AuditInterceptor"]\n'
        'workflow_failure_exception_types = ["ValueError"]',
    )
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(
        ["replaycheck: as the worker: interceptors tests.workflows.intercepted:AuditInterceptor; "
         "workflow_failure_exception_types ValueError"]
    )
    configure(pytester, "examples.provisioning.workflows", "fixtures/histories")
    assert "as the worker" not in pytester.runpytest("--collect-only").stdout.str()


def test_header_counts_workflow_classes_from_source(tmp_path: Path) -> None:
    from replaycheck.config import count_workflow_classes

    pkg = tmp_path / "mywf"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "impl.py").write_text(
        "from temporalio import workflow\n"
        "@workflow.defn\nclass A:\n    pass\n"
        "@workflow.defn(name='B')\nclass B:\n    pass\n"
        "class NotAWorkflow:\n    pass\n"
    )
    (pkg / "reexport.py").write_text("from .impl import A, B as Renamed\n")
    (pkg / "star.py").write_text("from mywf.impl import *\n")
    roots = [str(tmp_path)]
    assert count_workflow_classes(["mywf.impl"], roots) == 2
    assert count_workflow_classes(["mywf.reexport"], roots) == 2  # relative, with an alias
    assert count_workflow_classes(["mywf.star"], roots) == 2
    assert count_workflow_classes(["mywf.reexport:Renamed"], roots) == 1
    assert count_workflow_classes(["mywf.impl:Nope", "mywf.nomodule"], roots) == 0
    assert count_workflow_classes(["mywf.impl", "mywf.star", "mywf.reexport:A"], roots) == 2


def test_only_mode_runs_history_items_alone(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_other="def test_other():\n    assert False\n")
    result = pytester.runpytest("--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()))  # only the histories are collected
    notify = len(list(FIXTURES.glob("NotifyTenant/*.json")))
    named = ["fixtures/histories/NotifyTenant", "test_other.py"]
    result = pytester.runpytest("--replaycheck=only", *named)
    result.assert_outcomes(passed=notify, deselected=1)  # only the named paths' histories
    one = "fixtures/histories/NotifyTenant/prov-acme-completed-notify.json::replay"
    pytester.runpytest("--replaycheck=only", one).assert_outcomes(passed=1)


def test_only_mode_without_histories_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest("--replaycheck=only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--replaycheck=only but no histories are configured*"])
    result = pytester.runpytest("--replaycheck=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--replaycheck='' is not valid; valid values: on, off, only."])


def test_histories_in_directories_pytest_skips_are_collected(pytester: pytest.Pytester) -> None:
    # norecursedirs (build, dist, venv, ...) is about code; replaycheck check reads these too.
    make_project(pytester)
    source = FIXTURES / "NotifyTenant" / "prov-acme-completed-notify.json"
    for name in ("build", "venv", "dist"):
        (pytester.path / "fixtures" / "histories" / name).mkdir()
        shutil.copy(source, pytester.path / "fixtures" / "histories" / name / source.name)
    hidden = pytester.path / "fixtures" / "histories" / ".cache"
    hidden.mkdir()
    shutil.copy(source, hidden / source.name)  # hidden: skipped, as by replaycheck check
    result = pytester.runpytest("--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()) + 3)
    result = pytester.runpytest("--replaycheck=only", "--ignore=fixtures/histories/build")
    result.assert_outcomes(passed=len(all_fixture_names()) + 2)
    # a conftest's collect_ignore and collect_ignore_glob leave such a directory out too
    pytester.makeconftest(
        'collect_ignore = ["fixtures/histories/build"]\ncollect_ignore_glob = ["*/v*nv"]\n'
    )
    result = pytester.runpytest("--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()) + 1)


def test_a_configured_or_named_file_is_a_history_whatever_its_name(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    (pytester.path / "notes.txt").write_text("not a history")
    result = pytester.runpytest("--replaycheck=only", "--replaycheck-histories=notes.txt")
    result.assert_outcomes(failed=1)  # configured by name: a failing item, not a silent skip
    result.stdout.fnmatch_lines(["*notes.txt*"])
    elsewhere = pytester.path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(FIXTURES / "NotifyTenant" / "prov-acme-completed-notify.json", elsewhere)
    result = pytester.runpytest("elsewhere/prov-acme-completed-notify.json")
    result.assert_outcomes(passed=1)  # named on the command line, outside the history paths
    saved = pytester.path / "fixtures" / "histories" / "saved.txt"
    shutil.copy(elsewhere / "prov-acme-completed-notify.json", saved)
    pytester.runpytest(str(saved)).assert_outcomes(passed=1)  # named: whatever its name
    pytester.makepyfile(test_unit="def test_unit():\n    pass\n")
    pytester.runpytest("test_unit.py").assert_outcomes(passed=1)  # a test file stays one


def test_the_replay_worker_starts_only_when_history_items_run(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makeconftest(REPORT_WORKER_START)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    for args in (["tests"], ["--collect-only"], ["--fixtures"], ["--setup-plan"]):
        result = pytester.runpytest("-s", *args)
        result.stdout.fnmatch_lines(["*replay worker started: False"])
    result = pytester.runpytest("-s", "--replaycheck=only")
    result.stdout.fnmatch_lines(["*replay worker started: True"])


REPORT_ASKED_AHEAD = """
import os
from pathlib import Path

from replaycheck._plugin_config import runner_key

ran = []

def pytest_runtest_call(item):  # after the plugin queued what it knows this worker runs next
    runner = item.config.stash[runner_key]
    ran.append(item.nodeid)
    with Path(f"ahead-{os.getpid()}.txt").open("a") as out:
        out.write(f"{len(runner.keys) - len(ran)}\\n")
"""
"""A conftest writing, per process and item, how many histories the replay worker was asked
for beyond the items run so far."""


def test_under_xdist_the_replay_worker_replays_ahead_of_the_items(
    pytester: pytest.Pytester,
) -> None:
    # Each xdist worker's replay worker is handed the histories of the items xdist queued for
    # it, not only the next one, so it is never idle while its worker reports a verdict.
    make_project(pytester)
    history = FIXTURES / "TenantProvisioning" / "prov-acme-completed.json"
    for i in range(40):
        shutil.copy(history, pytester.path / "fixtures" / "histories" / f"copy-{i:02}.json")
    pytester.makeconftest(REPORT_ASKED_AHEAD)
    result = pytester.runpytest("-n", "2", "--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()) + 40)
    ahead = [
        [int(line) for line in path.read_text().split()]
        for path in pytester.path.glob("ahead-*.txt")
    ]
    assert len(ahead) == 2, ahead
    assert all(max(counts) >= 3 for counts in ahead), ahead  # next item alone: at most 1


def test_the_timeout_does_not_depend_on_when_the_item_runs(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # Histories are queued at collection; their items may run long after the worker answered.
    make_project(pytester)
    pytester.makepyfile(test_aaa_slow="import time\ndef test_slow():\n    time.sleep(1)\n")
    # --tb=long: each error in full (else those of one reason after the first point to it)
    result = pytester.runpytest("-rA", "--tb=long", "--replaycheck-timeout=0.001", *xdist_args)
    result.assert_outcomes(passed=1, failed=len(all_fixture_names()))
    assert result.stdout.str().count("replay timed out after 0.001 s") >= len(all_fixture_names())


def test_pytest_ignore_rules_still_apply_under_history_paths(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    notify = len(list(FIXTURES.glob("NotifyTenant/*.json")))
    pytester.makeconftest('collect_ignore = ["fixtures/histories/TenantProvisioning"]\n')
    pytester.runpytest("--replaycheck=only").assert_outcomes(passed=notify)
    pytester.makeconftest("")
    result = pytester.runpytest(
        "--replaycheck=only", "--ignore-glob=fixtures/histories/Tenant*"
    )
    result.assert_outcomes(passed=notify)


def test_workflows_import_with_pytests_pythonpath(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES, pytester.path / "fixtures" / "histories")
    shutil.copytree(REPO / "examples", pytester.path / "svc" / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    pytester.makeini(
        "[pytest]\npythonpath = svc\nreplaycheck_histories = fixtures/histories\n"
        "replaycheck_workflows = examples.provisioning.workflows\n"
    )
    result = pytester.runpytest("--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()))


def test_an_ini_file_bounds_the_search_for_pyproject(pytester: pytest.Pytester) -> None:
    make_project(pytester)  # a parent project with [tool.replaycheck]
    sub = pytester.path / "subproject"
    sub.mkdir()
    (sub / "pytest.ini").write_text("[pytest]\n")
    (sub / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = pytester.runpytest(str(sub), f"--rootdir={sub}", "-c", str(sub / "pytest.ini"))
    result.assert_outcomes(passed=1)  # not the parent's histories
    assert "replaycheck:" not in result.stdout.str()


def test_bad_values_name_where_they_came_from(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    result = pytester.runpytest("--replaycheck-workflows=bad-spec")
    result.stderr.fnmatch_lines(["*--replaycheck-workflows: 'bad-spec' is not a workflow spec*"])
    pytester.makeini("[pytest]\nreplaycheck_timeout = soon\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines(["*tox.ini replaycheck_timeout: timeout must be a positive*"])
    for value in ("inf", "1e10"):  # no limit is no protection: a week at most
        result = pytester.runpytest(f"--replaycheck-timeout={value}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--replaycheck-timeout: timeout must be * up to 604800*"])


def test_a_history_path_that_is_not_there_names_where_it_was_given(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    missing = pytester.path / "nothere"
    then = ", or, if it is where your histories go, export some into it with `replaycheck export`."
    result = pytester.runpytest("--replaycheck-histories=nothere")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        f"ERROR: replaycheck: {missing} does not exist; check the path given to "
        f"--replaycheck-histories, where it is relative to the directory pytest runs in{then}"
    ])  # fmt: skip
    pytester.makeini("[pytest]\nreplaycheck_histories = nothere\n")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines([
        f"ERROR: replaycheck: {missing} does not exist; check the path given in tox.ini "
        f"replaycheck_histories, where it is relative to that file{then}"
    ])  # fmt: skip
    (pytester.path / "tox.ini").unlink()
    configure(pytester, "examples.provisioning.workflows", "nothere")
    result = pytester.runpytest()
    result.stderr.fnmatch_lines([
        f"ERROR: replaycheck: {missing} does not exist; check the path given in histories under "
        f"[[]tool.replaycheck], where it is relative to that pyproject.toml{then}"
    ])  # fmt: skip


def test_an_empty_history_path_is_a_usage_error(pytester: pytest.Pytester) -> None:
    # --replaycheck-histories="$HISTORIES" with the variable unset collected every history under
    # the directory pytest runs in.
    make_project(pytester)
    result = pytester.runpytest("--replaycheck-histories=")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: replaycheck: --replaycheck-histories: a path is empty (an unset variable?), "
        "where it would read the whole directory; give a history file or directory, or . for "
        "the current one."
    ])  # fmt: skip


def test_history_items_carry_the_replaycheck_marker(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    histories = len(all_fixture_names())
    result = pytester.runpytest("--strict-markers", "-m", "replaycheck")
    result.assert_outcomes(passed=histories, deselected=1)
    pytester.makeconftest(REPORT_WORKER_START)
    result = pytester.runpytest("-s", "--strict-markers", "-m", "not replaycheck")
    result.assert_outcomes(passed=1, deselected=histories)
    assert "= replaycheck =" not in result.stdout.str()  # no summary
    result.stdout.fnmatch_lines(["*replay worker started: False"])  # nothing to replay: no worker


def test_plugin_is_inert_without_configuration(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert "replaycheck:" not in result.stdout.str()
    assert "= replaycheck =" not in result.stdout.str()  # no summary


def test_unconfigured_run_loads_nothing_but_the_plugin(pytester: pytest.Pytester) -> None:
    # Installed but unused, the plugin must not slow an unrelated test run down: no engine,
    # no parser, no reports, no temporalio.
    pytester.makepyfile(
        test_other="""
        import sys
        def test_other():
            ours = ("replaycheck", "temporalio")
            loaded = sorted(m for m in sys.modules if m.split(".")[0] in ours)
            assert loaded == ["replaycheck", "replaycheck._config_values", "replaycheck._plugin",
                              "replaycheck._plugin_config",
                              "replaycheck._plugin_items", "replaycheck._plugin_summary",
                              "replaycheck._spec_hints",
                              "replaycheck._workflow_scan",
                              "replaycheck.config", "replaycheck.errors", "replaycheck.plugin"]
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_replaycheck_fixture_resolves_paths_from_the_rootdir(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_custom.py").write_text(
        "import pytest\n"
        "def test_custom(replaycheck):\n"
        "    verdicts = replaycheck.check('fixtures/histories/NotifyTenant',\n"
        "                                 'examples.provisioning.workflows')\n"
        "    assert verdicts and all(v.ok for v in verdicts)\n"
        "    with pytest.raises(ValueError, match='at least one history'):\n"
        "        replaycheck.check([], ['examples.provisioning.workflows'])\n"
    )
    monkeypatch.chdir(pytester.path / "tests")  # run from a subdirectory
    pytester.runpytest("test_custom.py").assert_outcomes(passed=1)


def test_replaycheck_fixture_returns_verdicts(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_custom=f"""
        def test_custom(replaycheck):
            verdicts = replaycheck.check(
                [r"{FIXTURES / 'TenantProvisioning'}"],
                ["examples.provisioning.workflows_unsafe"],
            )
            bad = sorted(v.workflow_id for v in verdicts if v.verdict == "nondeterministic")
            assert "prov-acme-completed" in bad
            assert "prov-hooli-schema-retrying" not in bad
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "test_custom.py")
    result.assert_outcomes(passed=1)


def test_replaycheck_fixture_links_a_removed_gates_failures(pytester: pytest.Pytester) -> None:
    # One call holds the whole set: the version 1 histories take the removed gate's id, as in
    # check, not a gate of their own.
    make_project(pytester)
    pytester.makepyfile(
        test_custom=f"""
        def test_custom(replaycheck):
            verdicts = replaycheck.check(
                [r"{FIXTURES / 'TenantProvisioning'}"],
                ["examples.provisioning.workflows_removed"],
            )
            bad = [v.diagnosis for v in verdicts if v.verdict == "nondeterministic"]
            assert len(bad) == 8
            assert {{d.patch_id for d in bad}} == {{"schema-retry-seed-first"}}
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "test_custom.py")
    result.assert_outcomes(passed=1)


def test_replaycheck_fixture_calls_share_one_worker_and_see_files_as_they_are(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_custom=f"""
        import os, shutil
        from pathlib import Path

        def workers():
            \"\"\"This process's replay workers, from /proc.\"\"\"
            found = set()
            for proc in Path("/proc").iterdir():
                try:
                    stat = (proc / "stat").read_text()
                    command = (proc / "cmdline").read_bytes()
                except (OSError, ValueError):
                    continue
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                if parent == os.getpid() and b"replaycheck._worker" in command:
                    found.add(proc.name)
            return found

        def test_first(replaycheck, tmp_path_factory):
            history = tmp_path_factory.getbasetemp() / "h.json"
            shutil.copy(r"{COMPLETE}", history)
            (verdict,) = replaycheck.check(history, "tests.workflows.sayhello")
            assert verdict.verdict == "ok"
            assert len(workers()) == 1
            test_first.workers = workers()

        def test_second(replaycheck, tmp_path_factory):
            history = tmp_path_factory.getbasetemp() / "h.json"
            shutil.copy(r"{NONDETERMINISTIC}", history)  # same path, another history
            (verdict,) = replaycheck.check(history, "tests.workflows.sayhello")
            assert verdict.verdict == "nondeterministic"
            assert workers() == test_first.workers

        def test_third(replaycheck, tmp_path_factory, monkeypatch):
            # A worker holds the environment it started with: a changed one gets a fresh worker.
            monkeypatch.setenv("REPLAYCHECK_TEST_FLAG", "on")
            history = tmp_path_factory.getbasetemp() / "h.json"
            (verdict,) = replaycheck.check(history, "tests.workflows.sayhello")
            assert verdict.verdict == "nondeterministic"
            assert len(workers()) == 1 and workers() != test_first.workers
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "test_custom.py")
    result.assert_outcomes(passed=3)


def test_temporalio_is_not_imported_in_the_pytest_process(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_zz_last="""
        import sys
        def test_zz_last():
            assert "temporalio" not in sys.modules
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=len(all_fixture_names()) + 1)


def test_replaycheck_fixture_imports_with_pytests_pythonpath_alone(
    pytester: pytest.Pytester,
) -> None:
    # No [tool.replaycheck] at all: the fixture still imports workflows as the tests do.
    shutil.copytree(REPO / "examples", pytester.path / "src" / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    pytester.makeini("[pytest]\npythonpath = src\n")
    pytester.makepyfile(
        test_custom=f"""
        from examples.provisioning.workflows import TenantProvisioningWorkflow

        def test_custom(replaycheck):
            verdicts = replaycheck.check(
                r"{FIXTURES / 'TenantProvisioning'}", TenantProvisioningWorkflow
            )
            assert verdicts and all(v.ok for v in verdicts)
        """
    )
    pytester.runpytest("-p", "no:randomly", "test_custom.py").assert_outcomes(passed=1)


def test_replaycheck_fixture_assert_ok_fails_with_the_diagnosis(pytester: pytest.Pytester) -> None:
    make_project(pytester)
    pytester.makepyfile(
        test_custom=f"""
        def test_ok(replaycheck):
            assert replaycheck.assert_ok(r"{FIXTURES / 'NotifyTenant'}",
                                         "examples.provisioning.workflows")

        def test_broken(replaycheck):
            replaycheck.assert_ok(r"{FIXTURES / 'TenantProvisioning'}",
                                  "examples.provisioning.workflows_unsafe")

        def test_converter_object(replaycheck):
            replaycheck.check(r"{COMPLETE}", "tests.workflows.sayhello", data_converter=object())
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "test_custom.py")
    result.assert_outcomes(passed=1, failed=2)
    text = result.stdout.str()
    assert "histories of" in text and "did not replay:" in text
    assert "code commanded:   activity 'verify_schema'" in text
    assert "Verdict(" not in text  # the report, not the dataclass repr
    assert "check(data_converter=...): data_converter must be a 'package.module:object' string" \
        in text


@pytest.mark.parametrize(
    "insert",
    ["os.path.join(os.path.dirname(__file__), 'src')", "'src'"],
    ids=["absolute", "relative"],  # relative: from the directory pytest runs in (pytest.md's)
)
def test_a_root_conftest_on_sys_path_reaches_the_replay_worker(
    pytester: pytest.Pytester, insert: str
) -> None:
    shutil.copytree(FIXTURES, pytester.path / "fixtures" / "histories")
    shutil.copytree(REPO / "examples", pytester.path / "src" / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    pytester.makeconftest(f"import os, sys\nsys.path.insert(0, {insert})\n")
    pytester.makefile(".toml", pyproject="""
        [tool.replaycheck]
        histories = ["fixtures/histories"]
        workflows = ["examples.provisioning.workflows"]
    """)  # fmt: skip
    result = pytester.runpytest_subprocess("--replaycheck=only")
    result.assert_outcomes(passed=len(all_fixture_names()))


def test_histories_named_on_the_command_line_outside_the_project_are_collected(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--replaycheck-histories PATH` (with a space): pytest picks its rootdir before plugin
    # options are known, takes PATH for a test path and moves the rootdir up to a common
    # ancestor. The histories named were then left out: a green run that replayed nothing.
    project = pytester.path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    (project / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["tests.workflows.sayhello"]\npythonpath = ["{REPO}"]\n'
    )
    outside = pytester.path / "elsewhere"
    outside.mkdir()
    shutil.copy(NONDETERMINISTIC, outside / "broken.json")
    monkeypatch.chdir(project)
    result = pytester.runpytest("--replaycheck-histories", "../elsewhere")
    result.assert_outcomes(passed=1, failed=1)


def test_a_run_from_a_subdirectory_without_histories_says_they_are_left_out(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(pytester)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    monkeypatch.chdir(pytester.path / "tests")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)  # its own tests only, as pytest runs a subdirectory
    result.stdout.fnmatch_lines(
        ["replaycheck: the histories are not collected from this directory*--replaycheck=only*"]
    )
    result = pytester.runpytest("--replaycheck=only")  # what the line offers
    result.assert_outcomes(passed=len(all_fixture_names()))
    assert "not collected from this directory" not in result.stdout.str()
    monkeypatch.chdir(pytester.path / "fixtures" / "histories" / "NotifyTenant")
    result = pytester.runpytest()  # below a history root: its histories run, no such line
    result.assert_outcomes(passed=len(list(FIXTURES.glob("NotifyTenant/*.json"))))
    assert "not collected from this directory" not in result.stdout.str()
    monkeypatch.chdir(pytester.path)
    assert "not collected from this directory" not in pytester.runpytest().stdout.str()


def test_paths_named_that_reach_no_history_say_the_histories_are_left_out(
    pytester: pytest.Pytester,
) -> None:
    make_project(pytester)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = pytester.runpytest("tests")  # the usual CI spelling
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["replaycheck: the histories are not collected: the paths given reach none of them; "
         "name fixtures/histories too, or run pytest without paths"]
    )
    result = pytester.runpytest("tests", "fixtures/histories")  # what the line offers
    result.assert_outcomes(passed=1 + len(all_fixture_names()))
    assert "not collected" not in result.stdout.str()
    result = pytester.runpytest("fixtures/histories/NotifyTenant")  # part of them: no line
    assert "not collected" not in result.stdout.str()


def test_the_header_warns_of_an_installed_copy_that_shadows_the_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = pytester.path / "venv" / "site-packages"
    for where in (installed, pytester.path / "src"):
        shutil.copytree(REPO / "tests" / "workflows", where / "shop")
    pytester.makepyprojecttoml(
        '[tool.replaycheck]\nhistories = ["h"]\nworkflows = ["shop.sayhello"]\n'
    )
    (pytester.path / "h").mkdir()
    shutil.copy(COMPLETE, pytester.path / "h")
    monkeypatch.syspath_prepend(str(installed))  # pip install . (not -e) put it there
    result = pytester.runpytest("--collect-only")
    result.stdout.fnmatch_lines(
        ["replaycheck: warning: shop.sayhello is imported from an installed copy (*site-packages*"
         "sayhello.py), not from src/shop/sayhello.py in this project, so changes made there are "
         "not checked; install the project with pip install -e . or set pythonpath = *"]
    )

    # `pytest -q` (and --no-header) hide the header: the warning is in the summary instead, once
    for hidden in ("-q", "--no-header"):
        result = pytester.runpytest(hidden)
        result.assert_outcomes(passed=1)
        assert result.stdout.str().count("shop.sayhello is imported from an installed copy") == 1
        result.stdout.fnmatch_lines(
            ["*= replaycheck =*", "1 history: 1 ok*", "replaycheck: warning: shop.sayhello is *"]
        )
    result = pytester.runpytest()
    assert result.stdout.str().count("shop.sayhello is imported from an installed copy") == 1


def test_under_q_the_summary_says_the_histories_are_left_out(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_project(pytester)
    (pytester.path / "tests").mkdir()
    (pytester.path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    result = pytester.runpytest("-q", "tests", *xdist_args)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*= replaycheck =*",
         "replaycheck: the histories are not collected: the paths given reach none of them; "
         "name fixtures/histories too, or run pytest without paths"]
    )  # fmt: skip


def test_a_subdirectory_runs_its_own_histories_and_finds_its_own_table(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist_args: list[str]
) -> None:
    # A monorepo: pytest's ini at the top, [tool.replaycheck] in a service's own pyproject.
    pytester.makefile(".toml", pyproject="[tool.pytest.ini_options]\n")
    service = pytester.path / "services" / "shop"
    shutil.copytree(FIXTURES, service / "fixtures" / "histories")
    (service / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nhistories = ["fixtures/histories"]\n'
        f'workflows = ["examples.provisioning.workflows"]\npythonpath = ["{REPO}"]\n'
    )
    monkeypatch.chdir(service)
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(passed=len(all_fixture_names()))
    monkeypatch.chdir(service / "fixtures" / "histories" / "NotifyTenant")
    result = pytester.runpytest(*xdist_args)  # a subdirectory: only its histories
    result.assert_outcomes(passed=len(list(FIXTURES.glob("NotifyTenant/*.json"))))
    monkeypatch.chdir(pytester.path)
    result = pytester.runpytest(*xdist_args)  # the top: not the service's table
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
