"""Under pytest, a worker setting that cannot load names the place a pytest user changes it:
the ``--replaycheck-*`` option or the ini key that gave it, else ``[tool.replaycheck]``
alone, never a flag of ``replaycheck check`` (``--plugin``, ``--data-converter``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import COMPLETE, NONDETERMINISTIC, REPO

pytest_plugins = ["pytester"]

CLI_FLAGS = ("--plugin", "--interceptor", "--data-converter", "--workflow-runner", " -w,")


def run_one(
    pytester: pytest.Pytester,
    history: Path,
    workflows: str,
    *args: str,
    table: str = "",
    ini: str = "",
) -> pytest.RunResult:
    """pytest over the one ``history``, against ``workflows``, with ``table`` in
    ``[tool.replaycheck]`` and ``ini`` in the ini file; its item failed."""
    shutil.copy(history, pytester.path / "history.json")
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["history.json"]
            workflows = ["{workflows}"]
            pythonpath = ["{REPO}"]
            {table}
        """,
    )
    if ini:
        pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", *args)
    result.assert_outcomes(failed=1)
    return result


def error_line(pytester: pytest.Pytester, table: str, *args: str, ini: str = "") -> str:
    """The error the one history's item shows, with ``table`` in ``[tool.replaycheck]``."""
    result = run_one(pytester, COMPLETE, "tests.workflows.sayhello", *args, table=table, ini=ini)
    said = [line.strip() for line in result.outlines if "; check " in line or "; fix " in line]
    assert said, result.stdout.str()
    return said[0]


@pytest.mark.parametrize(
    ("table", "args", "ini", "said"),
    [
        ('plugins = ["json:nope"]', [], "",
         "check plugins in [tool.replaycheck]."),
        ("", ["--replaycheck-plugin=json:nope"], "",
         "check plugins in [tool.replaycheck] or --replaycheck-plugin."),
        ("", [], "replaycheck_interceptors = json:loads",
         "fix it, or the tox.ini replaycheck_interceptors / interceptors setting."),
        ('data_converter = "json:nope"', [], "",
         "check data_converter in [tool.replaycheck]."),
        ('workflow_runner = "json:JSONDecoder"', [], "",
         "fix workflow_runner in [tool.replaycheck]."),
        ("", ["--replaycheck-failure-exception-type=json:dumps"], "",
         "fix workflow_failure_exception_types in [tool.replaycheck] "
         "(or --replaycheck-failure-exception-type)."),
        ("", ["--replaycheck-workflows=tests.workflows.nope"], "",
         "check the workflows setting (--replaycheck-workflows, or 'workflows' in "
         "[tool.replaycheck])"),
    ],
    ids=["table", "option", "ini", "converter", "runner", "failure-type", "workflows"],
)  # fmt: skip
def test_a_worker_setting_that_cannot_load_names_where_pytest_takes_it(
    pytester: pytest.Pytester, table: str, args: list[str], ini: str, said: str
) -> None:
    line = error_line(pytester, table, *args, ini=ini)
    assert said in line, line
    assert not any(flag in line for flag in CLI_FLAGS), line


FIXTURE_CALL = f"""
def test_converter(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, "tests.workflows.sayhello", data_converter="json:nope")
"""


def test_a_fixture_calls_setting_that_cannot_load_names_the_calls_argument(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\npythonpath = ["{REPO}"]\n')
    pytester.makepyfile(test_calls=FIXTURE_CALL)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E *cannot load 'json:nope': *; check data_converter in [[]tool.replaycheck] or "
         "check(data_converter=...)."]
    )  # fmt: skip


def test_a_timeout_names_the_pytest_option_that_set_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEMPORAL_DEBUG", "1")  # no deadlock detector: the history truly hangs
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "120")
    result = run_one(pytester, NONDETERMINISTIC, "tests.workflows.misbehaving:HangingSayHello",
                     "--replaycheck-timeout=2")  # fmt: skip
    result.stdout.fnmatch_lines(
        ["*replay timed out after 2 s in a history of 11 events; if it is that long rather "
         "than stuck, raise the timeout (--replaycheck-timeout, or timeout in "
         "[[]tool.replaycheck])*"]
    )  # fmt: skip


SETTINGS = "tests.workflows.settings_import:SettingsSayHello"
PASSED = "tests.workflows.app_settings"


@pytest.mark.parametrize(
    ("args", "ini", "said"),
    [
        ([], "",
         f'set passthrough_modules = ["{PASSED}"] under [tool.replaycheck], or name'),
        (["--replaycheck-passthrough-module=json"], "",
         f'under [tool.replaycheck] (or --replaycheck-passthrough-module {PASSED}), or name'),
        ([], "replaycheck_passthrough_modules = json",
         f"under [tool.replaycheck] (or tox.ini replaycheck_passthrough_modules = {PASSED}), "
         "or name"),
    ],
    ids=["table", "option", "ini"],
)  # fmt: skip
def test_a_module_the_sandbox_refuses_names_where_pytest_passes_it_through(
    pytester: pytest.Pytester, args: list[str], ini: str, said: str
) -> None:
    # It said "(or --passthrough-module M; in pytest, --replaycheck-passthrough-module M)",
    # an option of replaycheck check among them.
    result = run_one(pytester, COMPLETE, SETTINGS, *args, ini=ini)
    lines = [line.strip() for line in result.outlines if "sandbox refused" in line]
    assert lines, result.stdout.str()
    assert said in lines[0], lines[0]
    assert "--passthrough-module" not in lines[0].replace("--replaycheck-passthrough", ""), lines


def test_a_fixture_calls_sandbox_refusal_names_the_calls_argument(
    pytester: pytest.Pytester,
) -> None:
    pytester.makefile(".toml", pyproject=f'[tool.pytest.ini_options]\npythonpath = ["{REPO}"]\n')
    pytester.makepyfile(
        test_calls=f"""
def test_refused(replaycheck):
    replaycheck.check({str(COMPLETE)!r}, {SETTINGS!r}, passthrough_modules="json")
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f'*set passthrough_modules = [[]"{PASSED}"] under [[]tool.replaycheck] (or '
         f'check(passthrough_modules=[[]"{PASSED}"])), or name your worker*'],
    )  # fmt: skip
