"""``replaycheck check`` end to end: verdicts, exit codes, isolation of bad histories."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from replaycheck.errors import ConfigError
from replaycheck.replay import ReplayJob
from tests.conftest import COMPLETE, NONDETERMINISTIC, REPO, SHARED
from tests.test_histories import MALFORMED

if TYPE_CHECKING:
    from temporalio.testing import WorkflowEnvironment

SAYHELLO = "tests.workflows.sayhello"


def run(*args: str, cwd: Path = REPO) -> Result:
    """``replaycheck check ARGS`` in ``cwd`` (the repository, whose pyproject configures it)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def results(result: Result) -> dict[str, dict[str, object]]:
    doc = json.loads(result.stdout)
    return {Path(r["path"]).name: r for r in doc["results"]}


def test_ok_and_nondeterministic_verdicts_and_exit_1() -> None:
    result = run("-w", SAYHELLO, "--format", "json", str(COMPLETE), str(NONDETERMINISTIC))
    assert result.exit_code == 1
    by_name = results(result)
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    nondet = by_name[NONDETERMINISTIC.name]
    assert nondet["verdict"] == "nondeterministic"
    assert nondet["message"].startswith("[TMPRL1100] Nondeterminism error: Timer machine")
    assert json.loads(result.stdout)["summary"] == {"ok": 1, "nondeterministic": 1, "error": 0}


def test_a_run_that_continued_as_new_is_said_in_words() -> None:
    history = REPO / "tests/fixtures/changes/AddBeforeContinueAsNew"
    ok = run("-w", "tests.workflows.changes_v1:AddBeforeContinueAsNew", str(history))
    assert ok.exit_code == 0
    assert "; execution continued as new\n" in ok.stdout
    failed = run("-w", "tests.workflows.changes_v2:AddBeforeContinueAsNew", str(history))
    assert failed.exit_code == 1
    assert " events, continued as new\n" in failed.stdout
    assert "continued_as_new" not in ok.stdout + failed.stdout


def test_text_report_names_the_failing_history() -> None:
    result = run("-w", SAYHELLO, str(COMPLETE), str(NONDETERMINISTIC))
    assert result.exit_code == 1
    assert f"FAIL  {NONDETERMINISTIC.relative_to(REPO)}" in result.stdout
    complete = COMPLETE.relative_to(REPO)
    assert f"ok    {complete}  replayed all 11 events; execution completed" in result.stdout
    assert "2 histories: 1 ok, 1 nondeterministic, 0 errors" in result.stdout


def test_all_ok_exits_0() -> None:
    result = run("-w", SAYHELLO, str(COMPLETE))
    assert result.exit_code == 0, result.stdout


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_input_is_an_error_verdict_with_exit_2(name: str, tmp_path: Path) -> None:
    data, reason = MALFORMED[name]
    bad = tmp_path / f"{name}.json"
    bad.write_bytes(data)
    started = time.monotonic()
    result = run("-w", SAYHELLO, "--format", "json", "--timeout", "20", str(bad), str(COMPLETE))
    assert time.monotonic() - started < 60  # bounded: never a hang
    assert result.exit_code == 2
    by_name = results(result)
    assert by_name[bad.name]["verdict"] == "error"
    assert reason in str(by_name[bad.name]["message"])
    assert by_name[COMPLETE.name]["verdict"] == "ok"


def test_other_tools_json_under_a_history_directory(tmp_path: Path) -> None:
    """`check .` in a project: a node_modules of some thousand .json files and a virtualenv were
    each an error verdict telling to export a history; they are left out, as pytest leaves them,
    and a stray JSON file beside the histories is told to move out."""
    shutil.copy(COMPLETE, tmp_path / COMPLETE.name)
    (tmp_path / "package-lock.json").write_text('{"name": "app", "lockfileVersion": 3}\n')
    modules = tmp_path / "node_modules" / "left-pad"
    modules.mkdir(parents=True)
    for i in range(300):
        (modules / f"p{i}.json").write_text('{"name": "left-pad"}\n')
    venv = tmp_path / "venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib" / "schema.json").write_text("{}\n")
    result = run("-w", SAYHELLO, "--format", "json", str(tmp_path))
    assert result.exit_code == 2
    by_name = results(result)
    assert sorted(by_name) == sorted([COMPLETE.name, "package-lock.json"])
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    assert by_name["package-lock.json"]["message"] == (
        "is not a Temporal history: no 'events' list; if it is some other JSON file, move it "
        "out of the history directories, else export the history again (`replaycheck export`, "
        "`temporal workflow show -w ID -o json`)"
    )


def test_batch_with_malformed_histories_keeps_other_verdicts(tmp_path: Path) -> None:
    paths = []
    for name in ("empty-events", "reversed", "truncated"):
        (tmp_path / f"{name}.json").write_bytes(MALFORMED[name][0])
        paths.append(str(tmp_path / f"{name}.json"))
    order = [str(COMPLETE), paths[0], str(NONDETERMINISTIC), paths[1], paths[2]]
    result = run("-w", SAYHELLO, "--format", "json", *order)
    verdicts = [r["verdict"] for r in json.loads(result.stdout)["results"]]
    assert verdicts == ["ok", "error", "nondeterministic", "error", "error"]


def test_directory_without_histories_is_exit_2(tmp_path: Path) -> None:
    result = run("-w", SAYHELLO, str(tmp_path))
    assert result.exit_code == 2
    assert "no history files" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_unregistered_workflow_type_names_registered_ones() -> None:
    other = str(SHARED / "edu-102-python" / "history_for_original_execution.json")
    result = run("-w", SAYHELLO, "--format", "json", other)
    assert result.exit_code == 2
    message = json.loads(result.stdout)["results"][0]["message"]
    assert "'LoanProcessingWorkflow' is not registered" in message
    assert "SayHelloWorkflow" in message


def test_import_error_in_workflow_module_is_one_line() -> None:
    result = run("-w", "tests.workflows.does_not_exist", str(COMPLETE))
    assert result.exit_code == 2
    assert "cannot import workflow module 'tests.workflows.does_not_exist'" in result.stderr
    # The command line's own option, not pytest's or the Python API's.
    assert "check the workflows setting (-w, or 'workflows' in [tool.replaycheck])" in (
        result.stderr
    )
    assert result.stderr.count("\n") == 1


def test_a_data_converter_of_the_wrong_type_names_the_spec_and_both_settings() -> None:
    result = run("-w", SAYHELLO, "--data-converter", "tests.workflows.codec:KEY", str(COMPLETE))
    assert result.exit_code == 2
    assert "data_converter tests.workflows.codec:KEY must name a temporalio DataConverter" \
        in result.stderr
    assert "fix data_converter in [tool.replaycheck] (or replaycheck's --data-converter)" in (
        result.stderr
    )


def test_changed_input_type_says_so_not_data_converter() -> None:
    history = REPO / "fixtures" / "histories" / "NotifyTenant" / "prov-acme-completed-notify.json"
    result = run("-w", "tests.workflows.changed_input", "--format", "json", str(history))
    assert result.exit_code == 2
    message = results(result)[history.name]["message"]
    assert "no longer fit the code's parameter types (TypeError: " in message
    assert "'channel'" in message and "data_converter" not in message


def test_changed_pydantic_input_says_so_not_data_converter() -> None:
    # pydantic_data_converter validates the recorded input: its ValidationError is the same
    # signature change, not a converter that cannot decode the payloads.
    pydantic = "temporalio.contrib.pydantic:pydantic_data_converter"
    result = run("-w", "tests.workflows.changed_input_pydantic:PydanticInputSayHello",
                 "--data-converter", pydantic, "--format", "json", str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[COMPLETE.name]["message"])
    assert "no longer fit the code's parameter types (ValidationError: 1 validation error for " \
        "SayHelloInput: locale: Field required [type=missing" in message
    assert "data_converter" not in message and "For further information" not in message


def test_a_recorded_activity_result_that_no_longer_validates_is_said_so_not_arguments() -> None:
    # temporalio says "Failed decoding arguments" for a result too: the stack says which.
    pydantic = "temporalio.contrib.pydantic:pydantic_data_converter"
    result = run("-w", "tests.workflows.changed_input_pydantic:PydanticResultSayHello",
                 "--data-converter", pydantic, "--format", "json", str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[COMPLETE.name]["message"])
    assert message.startswith(
        "replay failed: an activity's result recorded in the history no longer fits the type "
        "the code declares for it (ValidationError: 1 validation error for Greeting: "
    ), message
    assert "arguments" not in message


def test_an_update_input_pydantic_rejects_names_the_field_and_why() -> None:
    # The history sent set_note a string; the handler takes a model now. pydantic's message
    # names the model on its first line, and what is wrong only on the next ones.
    pydantic = "temporalio.contrib.pydantic:pydantic_data_converter"
    history = REPO / "tests/fixtures/changes/ChangeUpdateType/change-ChangeUpdateType.json"
    result = run("-w", "tests.workflows.changed_input_pydantic:PydanticNoteUpdate",
                 "--data-converter", pydantic, "--format", "json", str(history))  # fmt: skip
    assert result.exit_code == 1
    diagnosis = results(result)[history.name]["diagnosis"]
    assert isinstance(diagnosis, dict)
    error = str(diagnosis["undecoded_error"])
    assert error.startswith("ValidationError: 1 validation error for NoteModel: Input should ")
    assert "[type=model_type, input_value='change-ChangeUpdateType'" in error
    assert "For further information" not in error


def _source_line(text: str) -> int:
    lines = (REPO / "tests/workflows/misbehaving.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_exception_in_workflow_code_names_it_and_its_line() -> None:
    result = run("-w", "tests.workflows.misbehaving:RaisingSayHello", "--format", "json",
                 str(COMPLETE), str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 2
    by_name = results(result)
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    message = str(by_name[NONDETERMINISTIC.name]["message"])
    line = _source_line('json.loads("{greeting}")')
    assert message.startswith(  # the line in the workflow, not the one in json that raised
        f"the workflow code raised JSONDecodeError at tests/workflows/misbehaving.py:{line} in "
        'run (params.name = json.loads("{greeting}")): Expecting property name enclosed in '
        "double quotes: line 1 column 2 (char 1); a worker running this code would fail the "
        "workflow task"
    ), message


def test_a_payload_the_converter_cannot_encode_points_at_the_data_converter_setting() -> None:
    # E.g. a pydantic project that forgot data_converter: the worker encodes, the replay not.
    result = run("-w", "tests.workflows.misbehaving:DecimalSayHello", "--format", "json",
                 str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[COMPLETE.name]["message"])
    line = _source_line('"say_hello", Decimal("1.5")') - 1
    assert message.startswith(
        f"converting a payload failed at tests/workflows/misbehaving.py:{line} in run "
        "(return await workflow.execute_activity(…)): TypeError: Object of type Decimal is not "
        "JSON serializable; if your worker uses a data converter of its own"
    ), message
    assert 'set data_converter = "module:object" under [tool.replaycheck]' in message


PYDANTIC_HELLO = "tests.workflows.pydantic_hello"


def test_a_pydantic_model_through_the_default_converter_gets_a_note_not_a_raw_warning(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # temporalio's own UserWarning names its source line in site-packages; the note names the
    # setting. The replay itself is fine: activity inputs are not compared.
    result = run("-w", PYDANTIC_HELLO, str(COMPLETE))
    assert result.exit_code == 0, result.output
    err = capfd.readouterr().err + result.stderr  # the worker's, and the command's own
    assert "UserWarning" not in err and "warnings.warn" not in err
    assert err.count("replaycheck: note: ") == 1, err
    assert (
        "replaycheck: note: the workflows pass pydantic models, which temporalio's default data "
        "converter converts with a warning; if your workers' client uses pydantic_data_converter, "
        'set data_converter = "temporalio.contrib.pydantic:pydantic_data_converter" under '
        "[tool.replaycheck] (or pass --data-converter), so the replay converts values as they do."
    ) in err
    # Said once per command, however many workers replay; and again by the next command.
    twice = run("-w", PYDANTIC_HELLO, "--jobs", "2", str(COMPLETE), str(NONDETERMINISTIC))
    assert twice.exit_code == 0, twice.output  # this code does not read the flag it flips
    assert "2 histories: 2 ok" in twice.stdout
    err = capfd.readouterr().err + twice.stderr
    assert err.count("replaycheck: note: the workflows pass pydantic") == 1, err
    # Set as the note says, the warning and the note are gone.
    pydantic = "temporalio.contrib.pydantic:pydantic_data_converter"
    result = run("-w", PYDANTIC_HELLO, "--data-converter", pydantic, str(COMPLETE))
    assert result.exit_code == 0, result.output
    assert capfd.readouterr().err == result.stderr == ""


def test_a_library_call_says_its_notes_again_in_the_same_process(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # A script or a notebook calls replay.check() twice: the second call's note is its own.
    from replaycheck.config import load_settings
    from replaycheck.replay import check

    settings = load_settings(REPO).override(workflows=[PYDANTIC_HELLO])
    for _ in range(2):
        verdicts = check(settings, [COMPLETE, NONDETERMINISTIC], jobs=2)
        assert [v.verdict for v in verdicts] == ["ok", "ok"]
        err = capfd.readouterr().err
        assert err.count("replaycheck: note: the workflows pass pydantic models") == 1, err


def test_a_library_call_takes_one_path_or_several_and_names_a_wrong_argument() -> None:
    from replaycheck.config import load_settings
    from replaycheck.replay import check
    from tests.workflows.pydantic_hello import PydanticSayHello

    settings = load_settings(REPO).override(workflows=PYDANTIC_HELLO)  # one spec, not letters
    assert [v.verdict for v in check(settings, str(COMPLETE))] == ["ok"]  # one path, not letters
    assert [v.verdict for v in check(settings, (COMPLETE, NONDETERMINISTIC))] == ["ok", "ok"]
    for wrong, got in ((3, "int"), ([COMPLETE, b"x"], "bytes"), (json, "the module json")):
        with pytest.raises(ConfigError) as raised:
            check(settings, wrong)
        assert str(raised.value) == (
            "check(paths=...): expected a history file or directory (a str or a Path) or a list "
            f"of them, got {got}."
        )
    with pytest.raises(ConfigError) as raised:
        settings.override(workflows=[PydanticSayHello])
    assert str(raised.value) == (
        "override(workflows=...): expected workflow specs (strings), got the class "
        "PydanticSayHello."
    )


def test_a_library_call_with_paths_where_settings_go_says_what_check_takes() -> None:
    # replaycheck.check(paths, workflows), as the fixture's check is called, from a script.
    import replaycheck

    with pytest.raises(ConfigError) as raised:
        replaycheck.check([str(COMPLETE)], [PYDANTIC_HELLO])  # type: ignore[arg-type]
    assert str(raised.value) == (
        "check(settings=...): expected the Settings of load_settings(), got list; call "
        "check(load_settings(), paths) (the replaycheck fixture's check(paths, workflows) takes "
        "the paths first)."
    )


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"workflows": "not a spec!"}, "override(workflows=...): 'not a spec!' is not a "
         "workflow spec; use 'package.module' (every @workflow.defn class in it) or "
         "'package.module:ClassName'."),
        ({"timeout": "soon"}, "override(timeout=...): timeout must be a positive number of "
         "seconds up to 604800 (a week), got 'soon'."),
        ({"data_converter": "myapp"}, "override(data_converter=...): data_converter must look "
         "like 'package.module:object', got 'myapp'."),
        ({"workflow_failure_exception_types": "OutOfStock"}, "override("
         "workflow_failure_exception_types=...): 'OutOfStock' is not a built-in exception; "
         "name your own class with its module, as 'package.module:OutOfStock'."),
        ({"plugins": 3}, "override(plugins=...): plugins must be a 'package.module:object' "
         "string naming your worker Plugin (the replay worker imports it), got int."),
        # was a bare TypeError from Path / int
        ({"histories": 3}, "override(histories=...): expected a history file or directory (a "
         "str or a Path) or a list of them, got int."),
    ],
)  # fmt: skip
def test_settings_override_from_python_names_its_argument_not_a_cli_option(
    given: dict[str, Any], said: str
) -> None:
    # cli.md's "From Python" calls load_settings().override(...): a mistake there names the
    # call, not an option of a command the script never ran.
    from replaycheck import load_settings

    with pytest.raises(ConfigError) as raised:
        load_settings(REPO).override(**given)
    assert str(raised.value) == said


def test_an_object_given_for_a_spec_reads_as_an_instance_not_its_class() -> None:
    # It said "got AuditInterceptor", which reads as the class.
    from replaycheck import load_settings
    from tests.workflows.intercepted import AuditInterceptor

    with pytest.raises(ConfigError) as raised:
        load_settings(REPO).override(plugins=AuditInterceptor())
    assert str(raised.value) == (
        "override(plugins=...): plugins must be a 'package.module:object' string naming your "
        "worker Plugin (the replay worker imports it), got an instance of AuditInterceptor."
    )


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"data_converter": "tests.workflows.nope:codec"}, "cannot load "
         "'tests.workflows.nope:codec': ModuleNotFoundError: No module named "
         "'tests.workflows.nope'; check data_converter in [tool.replaycheck] or "
         "override(data_converter=...)."),
        ({"data_converter": "pathlib:Path"}, "data_converter pathlib:Path must name a temporalio "
         "DataConverter or PayloadCodec (or a function returning one), got an instance of "
         "PosixPath; fix data_converter in [tool.replaycheck] (or override(data_converter=...))."),
        ({"workflows": "tests.workflows.nope"}, "cannot import workflow module "
         "'tests.workflows.nope': ModuleNotFoundError: No module named 'tests.workflows.nope'; "
         "check the workflows setting (override(workflows=...), or 'workflows' in "
         "[tool.replaycheck]) and that the module imports on its own"),
        ({"workflow_failure_exception_types": "tests.workflows.failure_types:reserve"},
         "workflow_failure_exception_types: 'tests.workflows.failure_types:reserve' is a "
         "function, not an exception class; fix workflow_failure_exception_types in "
         "[tool.replaycheck] (or override(workflow_failure_exception_types=...))."),
        ({"workflow_runner": "pathlib:Path"}, "workflow_runner pathlib:Path must name a "
         "temporalio SandboxedWorkflowRunner or SandboxRestrictions (or a function returning "
         "one), got an instance of PosixPath; fix override(workflow_runner=...), or "
         "workflow_runner in [tool.replaycheck]."),
        ({"interceptors": f"{SAYHELLO}:nope"}, f"cannot load '{SAYHELLO}:nope': AttributeError: "
         f"module '{SAYHELLO}' has no attribute 'nope'; check interceptors in "
         "[tool.replaycheck] or override(interceptors=...)."),
        ({"plugins": "pathlib:PurePath"}, "plugins entry pathlib:PurePath must name a temporalio "
         "worker Plugin (an instance, a class taking no arguments, or a function returning one), "
         "got an instance of PurePosixPath; fix override(plugins=...), or plugins in "
         "[tool.replaycheck]."),
        ({"interceptors": "json:loads"}, "interceptors entry json:loads could not be made "
         "(TypeError: "),
    ],
)  # fmt: skip
def test_a_worker_setting_from_python_names_its_argument_not_a_cli_option(
    given: dict[str, Any], said: str
) -> None:
    # Set through load_settings().override(...), a value the replay worker cannot load was
    # said to come from an option (--data-converter) of a command the script never ran.
    from replaycheck import ReplaycheckError, check, load_settings

    settings = load_settings(REPO).override(**{"workflows": SAYHELLO, **given})
    with pytest.raises(ReplaycheckError) as raised:
        check(settings, [COMPLETE])
    assert str(raised.value).startswith(said), str(raised.value)
    assert "--" not in str(raised.value)


def test_a_note_from_python_names_the_argument_not_a_cli_option(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # The note on pydantic models said "(or pass --data-converter)" to a script too.
    from replaycheck import check, load_settings

    check(load_settings(REPO).override(workflows=PYDANTIC_HELLO), [COMPLETE])
    err = capfd.readouterr().err
    assert (
        "[tool.replaycheck] (or pass override(data_converter=...)), so the replay converts "
        "values as they do."
    ) in err, err
    assert "--data-converter" not in err


def test_no_workflows_from_python_names_the_argument(tmp_path: Path) -> None:
    from replaycheck import check, load_settings

    with pytest.raises(ConfigError) as raised:
        check(load_settings(tmp_path), [COMPLETE])
    assert str(raised.value) == (
        "no workflows configured; pass override(workflows=...) (package.module or module:Class) "
        "or set workflows = [...] under [tool.replaycheck] in pyproject.toml."
    )


def test_a_codec_over_the_default_converter_gets_the_pydantic_note_with_the_codec(
    capfd: pytest.CaptureFixture[str],
) -> None:
    result = run("-w", PYDANTIC_HELLO, "--data-converter", "tests.workflows.codec:codec",
                 str(COMPLETE))  # fmt: skip
    # the recorded payloads are not encrypted, and this codec passes them through
    assert result.exit_code == 0, result.output
    err = capfd.readouterr().err + result.stderr
    assert "UserWarning" not in err
    assert (
        "replaycheck: note: your data_converter (tests.workflows.codec:codec) converts pydantic "
        "models with temporalio's default JSON payload converter, which warned about it; if your "
        "workers use pydantic's, point data_converter at a converter with both, such as "
        "dataclasses.replace(pydantic_data_converter, payload_codec=YourCodec())."
    ) in err


def _codec_line(text: str) -> int:
    lines = (REPO / "tests/workflows/codec.py").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if text in line)


def test_a_configured_converter_that_fails_is_named_not_advised_to_be_configured(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # Its key missing where replaycheck runs: the hint said to set data_converter, which was set.
    monkeypatch.delenv("REPLAYCHECK_TEST_CODEC_KEY", raising=False)
    result = run("-w", SAYHELLO, "--data-converter", "tests.workflows.codec:keyed_codec",
                 "--format", "json", str(COMPLETE), str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 2
    line = _codec_line('raise RuntimeError(f"{KEY_VARIABLE} is not set")')
    for name in (COMPLETE.name, NONDETERMINISTIC.name):
        assert results(result)[name]["message"] == (
            f"your data_converter (tests.workflows.codec:keyed_codec) failed at "
            f"tests/workflows/codec.py:{line} in _key (raise RuntimeError(f\"{{KEY_VARIABLE}} is "
            "not set\")): RuntimeError: REPLAYCHECK_TEST_CODEC_KEY is not set; fix it, or give "
            "it what it needs where replaycheck runs (its key, an environment variable)"
        )
    # temporalio's ~30-line "Failed handling activation" traceback per history is gone
    assert capfd.readouterr().err == ""


def test_a_codec_alone_in_a_pydantic_app_points_at_pydantic_with_the_codec() -> None:
    # The codec configured, temporalio's JSON converter under it: a Decimal the worker's
    # pydantic converter encodes cannot be; the hint said to set data_converter.
    result = run("-w", "tests.workflows.misbehaving:DecimalSayHello", "--data-converter",
                 "tests.workflows.codec:codec", "--format", "json", str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[COMPLETE.name]["message"])
    line = _source_line('"say_hello", Decimal("1.5")') - 1
    assert message == (
        f"your data_converter (tests.workflows.codec:codec) failed at "
        f"tests/workflows/misbehaving.py:{line} in run (return await workflow.execute_activity(…)"
        "): TypeError: Object of type Decimal is not JSON serializable; it converts values with "
        "temporalio's default JSON payload converter: if your worker uses pydantic's, point "
        "data_converter at a converter with both, such as "
        "dataclasses.replace(pydantic_data_converter, payload_codec=YourCodec())"
    )


def test_a_bug_in_replaycheck_during_a_replay_still_shows_its_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # temporalio logs it as "Failed handling activation", as it logs a converter's failure,
    # which replaycheck keeps off stderr: not this one.
    (tmp_path / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('REPLAYCHECK_PARENT_PID'):  # the worker only\n"
        "    import replaycheck._capture as capture\n"
        "    def broken(self, next):\n"
        "        capture._hook_instance(None, None)  # raises in replaycheck's own code\n"
        "    capture._Inbound.__init__ = broken\n"
    )
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    result = run("-w", SAYHELLO, str(COMPLETE))
    assert result.exit_code == 2
    err = capfd.readouterr().err
    assert "Failed handling activation" in err
    assert 'replaycheck/_capture.py", line' in err and "AttributeError: 'NoneType'" in err


async def _record_keyed(env: WorkflowEnvironment, directory: Path) -> Path:
    """A ``SecretGreeting`` execution whose payloads ``keyed_codec`` encrypted."""
    import uuid

    from temporalio.client import Client
    from temporalio.worker import Worker

    from tests.workflows import codec, secret

    config = env.client.config()
    client = Client(**{**config, "data_converter": codec.keyed_data_converter})
    queue = f"keyed-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[secret.SecretGreetingWorkflow],
                      activities=[secret.greet]):  # fmt: skip
        handle = await client.start_workflow(
            secret.SecretGreetingWorkflow.run, "Ada", id=queue, task_queue=queue
        )
        assert await handle.result() == "Hello, Ada!"
    path = directory / f"{queue}.json"
    path.write_text(json.dumps((await handle.fetch_history()).to_json_dict()))
    return path


@pytest.mark.server
def test_a_configured_converter_with_the_wrong_key_or_codec_is_named(
    dev_server: WorkflowEnvironment,
    server_loop: asyncio.AbstractEventLoop,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("REPLAYCHECK_TEST_CODEC_KEY", "the-key")
    history = server_loop.run_until_complete(_record_keyed(dev_server, tmp_path))
    keyed = ["-w", "tests.workflows.secret", "--format", "json", str(history)]
    assert run(*keyed, "--data-converter", "tests.workflows.codec:keyed_codec").exit_code == 0
    monkeypatch.setenv("REPLAYCHECK_TEST_CODEC_KEY", "another-key")
    result = run(*keyed, "--data-converter", "tests.workflows.codec:keyed_codec")
    line = _codec_line('raise WrongKeyError("the payload was encrypted with another key")')
    assert results(result)[history.name]["message"] == (
        f"your data_converter (tests.workflows.codec:keyed_codec) failed at "
        f"tests/workflows/codec.py:{line} in decode (raise WrongKeyError(\"the payload was "
        'encrypted with another key")): WrongKeyError: the payload was encrypted with another '
        "key; fix it, or give it what it needs where "
        "replaycheck runs (its key, an environment variable)"
    )
    result = run(*keyed, "--data-converter", "tests.workflows.codec:codec")  # another codec
    assert results(result)[history.name]["message"] == (
        "replay failed: your data_converter (tests.workflows.codec:codec) could not decode the "
        "payloads (unknown payload encoding binary/toy-keyed); point data_converter (replaycheck's "
        "--data-converter; pytest reads only the table) at the converter or codec your workers "
        "use"
    )


def test_an_exception_with_a_cause_is_named_by_its_own_type() -> None:
    result = run("-w", "tests.workflows.misbehaving:ChainedSayHello", "--format", "json",
                 str(NONDETERMINISTIC))  # fmt: skip
    message = str(results(result)[NONDETERMINISTIC.name]["message"])
    line = _source_line('raise ValueError(f"no greeting for {params.name}") from exc')
    assert message.startswith(
        f"the workflow code raised ValueError at tests/workflows/misbehaving.py:{line} in run"
    ), message


def test_an_exception_message_ending_in_a_full_stop_reads_as_one_sentence() -> None:
    # "... no longer supported.; a worker running this code ..." before
    result = run("-w", "tests.workflows.misbehaving:SentenceSayHello", "--format", "json",
                 str(NONDETERMINISTIC))  # fmt: skip
    message = str(results(result)[NONDETERMINISTIC.name]["message"])
    assert ": This input is no longer supported; a worker running this code would fail" in message


def test_sandbox_restriction_says_what_to_call_instead() -> None:
    result = run("-w", "tests.workflows.misbehaving:ClockSayHello", "--format", "json",
                 str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[NONDETERMINISTIC.name]["message"])
    line = _source_line("datetime.now().isoformat()")
    assert message == (
        "the workflow sandbox stopped a call to datetime.datetime.now at "
        f"tests/workflows/misbehaving.py:{line} in run "
        "(params.name += datetime.now().isoformat()): it is not deterministic, so workflow "
        "code may not make it; use workflow.now() instead"
    )


def test_deadlock_names_the_line_that_does_not_yield(capfd: pytest.CaptureFixture[str]) -> None:
    result = run("-w", "tests.workflows.misbehaving:SpinningSayHello", "--format", "json",
                 str(NONDETERMINISTIC), str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    by_name = results(result)
    assert by_name[COMPLETE.name]["verdict"] == "ok"  # the worker goes on after it
    message = str(by_name[NONDETERMINISTIC.name]["message"])
    line = _source_line("while params.should_cause_nondeterminism:")
    assert message.startswith(
        "the workflow code did not yield within 2 s at tests/workflows/misbehaving.py:"
        f"{line + 1} in run (pass) ([TMPRL1101]): a busy loop or a blocking call"
    ) or message.startswith(
        "the workflow code did not yield within 2 s at tests/workflows/misbehaving.py:"
        f"{line} in run (while params.should_cause_nondeterminism:) ([TMPRL1101])"
    ), message
    # temporalio's "Failed handling activation" traceback of the stuck thread stays off stderr
    assert "Traceback" not in capfd.readouterr().err


def test_a_deadlocked_runs_failed_eviction_stays_off_stderr(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # After a deadlock, the stalled task is sometimes still there at the eviction (this workflow
    # holds it there each time): temporalio's "Failed running eviction job" traceback showed
    # beside the verdict, which already names the deadlock.
    result = run("-w", "tests.workflows.misbehaving:SpinningHeldSayHello", "--format", "json",
                 str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 2
    message = str(results(result)[NONDETERMINISTIC.name]["message"])
    assert message.startswith("the workflow code did not yield within 2 s at "), message
    err = capfd.readouterr().err
    assert "Traceback" not in err and "eviction" not in err, err


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"tool.replaycheck = 5\n", "tool.replaycheck must be a table"),
        (b"[tool]\nreplaycheck = 'histories'\n", "tool.replaycheck must be a table"),
        (b"[[tool.replaycheck]]\nhistories = ['x']\n", "tool.replaycheck must be a table"),
        (b"[tool.replaycheck]\nhistories = ['\xff']\n", "cannot read it as TOML"),
        (  # Notepad's "UTF-8 with BOM": TOML's parser said "Invalid statement (at line 1, ...)"
            b"\xef\xbb\xbf[tool.replaycheck]\nhistories = ['x']\n",
            "pyproject.toml: starts with a UTF-8 byte order mark (BOM), which TOML does not allow; "
            "re-save it as UTF-8 without a BOM.",
        ),
        (  # PowerShell's `>`: "'utf-8' codec can't decode byte 0xff in position 0"
            "[tool.replaycheck]\nhistories = ['x']\n".encode("utf-16"),
            "pyproject.toml: is UTF-16 text; TOML must be UTF-8: re-save it as UTF-8.",
        ),
        (  # it said "histories must be a list of strings, got ['']", which it is
            b"[tool.replaycheck]\nhistories = ['']\n",
            "[tool.replaycheck]: histories holds an empty string ['']; remove it.",
        ),
        (  # TOML has numbers: a quoted one is a typo to point out, not to guess at
            b"[tool.replaycheck]\ntimeout = '60'\n",
            "[tool.replaycheck] timeout: a number is written without quotes in TOML "
            "(timeout = 60), got '60'.",
        ),
    ],
)
def test_a_pyproject_of_the_wrong_shape_is_one_line(
    tmp_path: Path, content: bytes, says: str
) -> None:
    (tmp_path / "pyproject.toml").write_bytes(content)
    result = run(cwd=tmp_path)
    assert result.exit_code == 2
    first, *rest = result.stderr.splitlines()
    assert first.startswith(f"replaycheck: error: {tmp_path / 'pyproject.toml'}")
    assert says in first
    assert not rest


def test_pytests_pythonpath_in_pyproject_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # only the copy under src may hold `examples`: not this repository, on a PYTHONPATH naming it
    given = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    kept = [entry for entry in given if entry and Path(entry).resolve() != REPO.resolve()]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(kept))
    shutil.copytree(REPO / "examples", tmp_path / "src" / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copytree(REPO / "fixtures", tmp_path / "fixtures")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n\n[tool.replaycheck]\n'
        'histories = ["fixtures/histories"]\nworkflows = ["examples.provisioning.workflows"]\n'
    )
    result = run(cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    # without it, the error says how to make a src layout importable
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nhistories = ["fixtures/histories"]\n'
        'workflows = ["examples.provisioning.workflows"]\n'
    )
    result = run(cwd=tmp_path)
    assert result.exit_code == 2
    assert 'a src layout needs pythonpath = ["src"]' in result.stderr


def installed_and_edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose package ``shop`` is installed (a copy in a ``site-packages``) and whose
    ``src/shop`` has since been edited: it sleeps first, a change to catch."""
    sayhello = (REPO / "tests" / "workflows" / "sayhello.py").read_text()
    installed = tmp_path / "venv" / "site-packages"
    project = tmp_path / "project"
    first = "        result = await"
    edited = sayhello.replace(first, f"        await workflow.sleep(1)\n{first}")
    for where, code in [(installed, sayhello), (project / "src", edited)]:
        (where / "shop").mkdir(parents=True)
        (where / "shop" / "__init__.py").write_text("")
        (where / "shop" / "workflows.py").write_text(code)
    (project / "pyproject.toml").write_text('[tool.replaycheck]\nworkflows = ["shop.workflows"]\n')
    monkeypatch.setenv("PYTHONPATH", str(installed))  # the replay worker's site-packages
    monkeypatch.syspath_prepend(str(installed))
    return project


def test_an_installed_copy_that_shadows_the_source_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = installed_and_edited(tmp_path, monkeypatch)
    result = run(str(COMPLETE), cwd=project)
    assert result.exit_code == 0  # the installed copy, which has not changed, replays
    assert (
        "warning: shop.workflows is imported from an installed copy "
        f"({tmp_path / 'venv' / 'site-packages' / 'shop' / 'workflows.py'}), not from "
        "src/shop/workflows.py in this project, so changes made there are not checked; install "
        'the project with pip install -e . or set pythonpath = ["src"] under [tool.replaycheck]'
    ) in result.stderr
    (project / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["shop.workflows"]\npythonpath = ["src"]\n'
    )
    result = run(str(COMPLETE), cwd=project)  # what the warning offers
    assert result.exit_code == 1  # the edited source is checked, and its change caught
    assert "warning" not in result.stderr


def test_bad_workflow_spec_syntax() -> None:
    result = run("-w", "not a module", str(COMPLETE))
    assert result.exit_code == 2
    assert "is not a workflow spec" in result.stderr
    assert "did you mean" not in result.stderr


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("examples/provisioning/workflows.py", "examples.provisioning.workflows"),
        ("./examples/provisioning/workflows.py:TenantProvisioningWorkflow",
         "examples.provisioning.workflows:TenantProvisioningWorkflow"),
    ],
)
def test_a_file_path_given_as_workflows_gets_its_module_name(spec: str, meant: str) -> None:
    result = run("-w", spec, str(COMPLETE))
    assert result.exit_code == 2
    assert f"(did you mean {meant!r}?)" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("spec", "meant"),
    [
        ("examples.provisioning.workflowz", "examples.provisioning.workflows"),
        ("exampels.provisioning.workflows", "examples.provisioning.workflows"),
        ("examples.provisioning.workflows_unsaf:TenantProvisioningWorkflow",
         "examples.provisioning.workflows_unsafe:TenantProvisioningWorkflow"),
    ],
)
def test_a_misspelt_workflow_module_gets_the_close_name(spec: str, meant: str) -> None:
    result = run("-w", spec, str(COMPLETE))
    assert result.exit_code == 2
    assert f"(did you mean {meant!r}?)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_module_missing_inside_the_workflow_module_gets_no_close_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "needs_more.py").write_text("import examples.provisioning.workflowz\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the replay worker imports it
    result = run("-w", "needs_more", str(COMPLETE))
    assert result.exit_code == 2
    assert "No module named 'examples.provisioning.workflowz'" in result.stderr
    assert "did you mean" not in result.stderr  # the spec is right; its import is not
    # nor does a name that is close to nothing get a guess
    result = run("-w", "examples.provisioning.zzz", str(COMPLETE))
    assert "did you mean" not in result.stderr
    # nor one close to a module that has no such submodule (the standard library's `test`)
    result = run("-w", "tests.workflows.sayhello", str(COMPLETE), cwd=tmp_path)
    assert "No module named 'tests'" in result.stderr
    assert "did you mean" not in result.stderr


def test_a_class_named_with_a_dot_gets_the_colon_spelling() -> None:
    result = run("-w", "examples.provisioning.workflows.TenantProvisioningWorkflow", str(COMPLETE))
    assert result.exit_code == 2
    assert (
        "'TenantProvisioningWorkflow' is a class in 'examples.provisioning.workflows'; name it "
        "'examples.provisioning.workflows:TenantProvisioningWorkflow' (module:Class)"
    ) in result.stderr
    assert result.stderr.count("\n") == 1
    # a module missing below a module is not taken for a class
    result = run("-w", "examples.provisioning.workflows.nothere", str(COMPLETE))
    assert "ModuleNotFoundError: No module named 'examples.provisioning.workflows.nothere'" in (
        result.stderr
    )
    assert "module:Class" not in result.stderr


def test_hanging_history_times_out_and_the_rest_still_replay(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # TEMPORAL_DEBUG turns temporalio's 2 s deadlock detector off: the history truly hangs.
    monkeypatch.setenv("TEMPORAL_DEBUG", "1")
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "120")
    spec = "tests.workflows.misbehaving:HangingSayHello"
    started = time.monotonic()
    result = run("-w", spec, "--format", "json", "--timeout", "5",
                 str(NONDETERMINISTIC), str(COMPLETE))
    assert time.monotonic() - started < 60
    by_name = results(result)
    assert by_name[NONDETERMINISTIC.name]["verdict"] == "error"
    message = str(by_name[NONDETERMINISTIC.name]["message"])
    assert message.startswith(
        "replay timed out after 5 s in a history of 11 events; if it is that long rather than "
        "stuck, raise the timeout (--timeout, "
    )
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    assert result.exit_code == 2


def test_a_timeout_while_reading_a_history_says_to_raise_it() -> None:
    # Timed out before the worker had read the history, it said only "replay timed out after
    # 0.001 s; this history was not checked", with no way out.
    result = run("-w", SAYHELLO, "--format", "json", "--timeout", "0.001", str(COMPLETE))
    assert result.exit_code == 2
    [message] = [str(r["message"]) for r in results(result).values()]
    # Almost always before the worker has read it; on a busy machine its "loaded" may come in
    # with its "start", and the time runs out in the replay: either way, the way out is named.
    assert message.startswith("replay timed out after 0.001 s "), message
    assert (
        "while reading the history; if it is that large rather than stuck, raise the timeout "
        "(--timeout, " in message
        or "events; if it is that long rather than stuck, raise the timeout (--timeout, " in message
    ), message


def test_a_timeout_from_python_names_the_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fix named "--timeout, --replaycheck-timeout" to a script that set override(timeout=).
    from replaycheck import check, load_settings

    monkeypatch.setenv("TEMPORAL_DEBUG", "1")
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "120")
    settings = load_settings(REPO).override(
        workflows="tests.workflows.misbehaving:HangingSayHello", timeout=2
    )
    [verdict] = check(settings, [NONDETERMINISTIC])
    assert verdict.message.startswith(
        "replay timed out after 2 s in a history of 11 events; if it is that long rather than "
        "stuck, raise the timeout (override(timeout=...), or timeout in [tool.replaycheck])"
    ), verdict.message


def test_long_histories_get_proportionally_more_time_than_the_timeout() -> None:
    # Temporal allows about 51,200 events; one that long took 61 s in the plain Replayer.
    job = ReplayJob(paths=(), workflows=("m",), timeout=60)
    assert job.limit_for(24) == job.limit_for(10_000) == 60
    assert job.limit_for(51_200) == pytest.approx(307.2)
    assert ReplayJob(paths=(), workflows=("m",), timeout=5).limit_for(20_000) == 10


def test_many_histories_with_long_paths_do_not_deadlock_the_worker(tmp_path: Path) -> None:
    # The paths queued for a worker and the verdicts it writes back each fill a pipe (64 KiB)
    # after a few dozen long paths: with the parent writing every path before reading, both
    # waited on each other forever (800 ordinary paths did it). In a subprocess, so a
    # deadlock fails the test instead of hanging it.
    deep = tmp_path.joinpath(*["d" * 240] * 12)
    deep.mkdir(parents=True)
    for i in range(90):
        shutil.copy(COMPLETE, deep / f"history-{i}.json")
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check", "-w", SAYHELLO, str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "90 histories: 90 ok, 0 nondeterministic, 0 errors" in done.stdout


def test_the_report_never_overwrites_a_history_or_lands_among_them(tmp_path: Path) -> None:
    shutil.copy(COMPLETE, tmp_path / "h.json")
    for output, says in (
        (tmp_path / "h.json", "is a history being read"),
        (tmp_path / "report.json", "a later run would read the report as a history"),
    ):
        for command in ("check", "patches"):
            args = [command, "-w", SAYHELLO, str(tmp_path), "-o", str(output)]
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 2 and says in result.stderr, result.stderr
    assert (tmp_path / "h.json").read_bytes() == COMPLETE.read_bytes()
    assert not (tmp_path / "report.json").exists()
    result = run("-w", SAYHELLO, str(tmp_path), "-o", str(tmp_path / "report.txt"))
    assert result.exit_code == 0  # not a history name: a report next to them is fine


def test_a_workflow_module_that_exits_on_import_is_one_error_not_one_per_history() -> None:
    started = time.monotonic()
    result = run("-w", "tests.workflows.exits_on_import", str(COMPLETE), str(NONDETERMINISTIC))
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "replaycheck: error: the replay worker exited (3) while importing the workflow modules"
    )
    assert time.monotonic() - started < 30  # not a restart (and a re-import) per history


def test_a_workflow_module_whose_import_blocks_is_one_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import replaycheck._worker_session

    monkeypatch.setenv("REPLAYCHECK_TEST_IMPORT", "block")
    monkeypatch.setattr(replaycheck._worker_session, "STARTUP_GRACE", 1.0)
    result = run("-w", "tests.workflows.exits_on_import", "--timeout", "1", str(COMPLETE),
                 str(NONDETERMINISTIC))  # fmt: skip
    assert result.exit_code == 2
    assert "the replay worker did not finish within 2 s while importing" in result.stderr


def test_a_data_converter_factory_that_raises_is_named() -> None:
    result = run("-w", SAYHELLO, "--data-converter", "tests.workflows.codec:broken_factory",
                 str(COMPLETE))  # fmt: skip
    assert result.exit_code == 2
    assert "data_converter tests.workflows.codec:broken_factory could not be made " \
        "(RuntimeError: no key configured); fix it, or the --data-converter / data_converter " \
        "setting.\n" in result.stderr


@pytest.mark.parametrize("fmt", ["text", "junit", "github", "json"])
def test_a_file_name_that_is_not_utf8_reaches_the_report(tmp_path: Path, fmt: str) -> None:
    # It replayed as an error ("surrogates not allowed", from the workflow id its name gave),
    # and a text, JUnit or GitHub report to a file was lost to a UnicodeEncodeError.
    odd = tmp_path / os.fsdecode(b"caf\xe9.json")  # latin-1 bytes in a UTF-8 system
    shutil.copy(NONDETERMINISTIC, odd)
    report = tmp_path / "report.out"
    result = run("-w", SAYHELLO, "--format", fmt, "-o", str(report), str(odd))
    assert result.exit_code == 1, result.stderr
    assert "caf" in report.read_text(encoding="utf-8")


def as_from_a_terminal() -> None:
    """Start a command as a terminal starts it: Ctrl-C stops it. The suite itself may run with
    SIGINT ignored (started in the background by a script), which its commands would inherit,
    and a command started so rightly keeps running on Ctrl-C."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("stop", "status", "said"),
    [
        # Ctrl-C signals the terminal's whole process group: the command and its replay workers.
        ("ctrl-c", 130, "interrupted"),
        # `kill PID` (a CI runner's cancel, `timeout`) reaches the command alone, not its workers.
        ("sigterm", 143, "terminated"),
    ],
)
def test_a_stopped_check_exits_quietly_and_leaves_no_worker(
    stop: str, status: int, said: str
) -> None:
    import signal

    env = {**os.environ, "TEMPORAL_DEBUG": "1", "REPLAYCHECK_TEST_HANG": "120"}
    command = [sys.executable, "-m", "replaycheck", "check", "--jobs", "2", "--timeout", "100",
               "-w", "tests.workflows.misbehaving:HangingSayHello", str(NONDETERMINISTIC),
               str(COMPLETE)]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=as_from_a_terminal)  # fmt: skip
    time.sleep(4)  # the workers have imported temporalio; one hangs in the history
    assert proc.poll() is None
    if stop == "ctrl-c":
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err  # not 1, which means a nondeterministic history
    assert said in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the workers are gone with it
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"replay workers outlived the {said} command")


def test_a_ctrl_c_while_a_worker_starts_prints_no_traceback(tmp_path: Path) -> None:
    # A Ctrl-C reaches the worker too; while its interpreter was still starting, that printed
    # a KeyboardInterrupt traceback ("Could not import runpy module"). The worker now starts
    # with SIGINT blocked. Here its start-up is held up at a sitecustomize of its own.
    import signal

    started = tmp_path / "started"
    (tmp_path / "sitecustomize.py").write_text(
        "import os, time\n"
        "if os.environ.get('REPLAYCHECK_PARENT_PID'):  # the worker only\n"
        f"    open({str(started)!r}, 'w').close()\n"
        "    time.sleep(5)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    command = [sys.executable, "-m", "replaycheck", "check", "-w", SAYHELLO, str(COMPLETE)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=as_from_a_terminal)  # fmt: skip
    deadline = time.monotonic() + 60
    while not started.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert started.exists(), proc.communicate(timeout=30)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err and "KeyboardInterrupt" not in err


def test_a_killed_command_leaves_no_worker_behind() -> None:
    # SIGKILL (or pytest-timeout's os._exit) gives the command no chance to stop its workers;
    # one stuck in a history would live on, reparented, for as long as the history hangs.
    env = {**os.environ, "TEMPORAL_DEBUG": "1", "REPLAYCHECK_TEST_HANG": "120"}
    command = [sys.executable, "-m", "replaycheck", "check", "--timeout", "100",
               "-w", "tests.workflows.misbehaving:HangingSayHello", str(NONDETERMINISTIC)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    time.sleep(4)  # the worker has imported temporalio and hangs in the history
    assert proc.poll() is None
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        os.killpg(proc.pid, 9)
        pytest.fail("the replay worker outlived its killed parent")


def test_a_command_that_ignores_ctrl_c_keeps_its_workers_too() -> None:
    # Started in the background (`cmd &` in a script), SIGINT is ignored: a Ctrl-C meant for
    # the foreground job must not kill the replay worker in the middle of a history.
    import signal

    env = {**os.environ, "TEMPORAL_DEBUG": "1", "REPLAYCHECK_TEST_HANG": "3"}
    command = [sys.executable, "-m", "replaycheck", "check", "--format", "json",
               "-w", "tests.workflows.misbehaving:HangingSayHello", str(NONDETERMINISTIC)]
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    time.sleep(2)  # the worker sleeps in the history
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "crashed" not in out and "interrupted" not in err, out + err
    assert json.loads(out)["results"][0]["verdict"] != "error", out


def _my_workers() -> set[int]:
    """This process's replay workers, from /proc."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            command = (proc / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"replaycheck._worker" in command:
            found.add(int(proc.name))
    return found


def test_stopped_workers_are_not_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    # A killed worker used to be replaced by a fresh one for the rest of its queue.
    import threading

    import replaycheck._worker_session as supervision
    import replaycheck.replay as engine

    monkeypatch.setattr(supervision, "_stopping", False)  # the flag is for the process: restore it
    # stop_workers() stops every worker of this process: only this test's (not the pytest
    # plugin's, which replays the repository's histories in this process too).
    monkeypatch.setattr(supervision, "_LIVE", weakref.WeakSet())
    monkeypatch.setenv("TEMPORAL_DEBUG", "1")
    monkeypatch.setenv("REPLAYCHECK_TEST_HANG", "120")
    job = engine.ReplayJob(paths=(str(NONDETERMINISTIC), *[str(COMPLETE)] * 3),
                           workflows=("tests.workflows.misbehaving:HangingSayHello",),
                           import_paths=(str(REPO),), timeout=100)  # fmt: skip
    errors: list[BaseException] = []

    def run() -> None:
        try:
            engine.replay(job)
        except BaseException as exc:
            errors.append(exc)

    before = _my_workers()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not _my_workers() - before and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(2)  # it is replaying (the first history hangs)
    supervision.stop_workers()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert not _my_workers() - before
    assert errors and "stopping" in str(errors[0])


def test_crashing_history_is_isolated() -> None:
    spec = "tests.workflows.misbehaving:CrashingSayHello"
    result = run("-w", spec, "--format", "json", str(NONDETERMINISTIC), str(COMPLETE))
    by_name = results(result)
    assert "crashed the replay worker (exit code 3)" in str(
        by_name[NONDETERMINISTIC.name]["message"]
    )
    assert by_name[COMPLETE.name]["verdict"] == "ok"
    assert result.exit_code == 2


def test_a_bug_reading_a_history_is_an_error_at_once_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An unexpected exception while the worker read a history (protobuf before 6.31 lacked
    # FieldDescriptor.is_repeated) went into the Replayer, which hung until the timeout, history
    # after history. Here the worker's parser fails the same way.
    (tmp_path / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('REPLAYCHECK_PARENT_PID'):  # the worker only\n"
        "    import replaycheck._protojson as protojson\n"
        "    def is_repeated(field):\n"
        "        raise AttributeError('is_repeated')\n"
        "    protojson.is_repeated = is_repeated\n"
    )
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", path)
    result = run("-w", SAYHELLO, "--timeout", "300", "--format", "json", str(COMPLETE),
                 str(NONDETERMINISTIC))  # fmt: skip
    by_name = results(result)
    for name in (COMPLETE.name, NONDETERMINISTIC.name):
        assert by_name[name]["verdict"] == "error"
        assert by_name[name]["message"] == (
            "replaycheck failed reading this history (AttributeError: is_repeated); this is a "
            "bug in replaycheck: please report it with the traceback on stderr"
        )
    assert result.exit_code == 2


def test_jobs_2_gives_the_same_verdicts(tmp_path: Path) -> None:
    args = ["-w", SAYHELLO, "--format", "json", str(COMPLETE), str(NONDETERMINISTIC)]
    one = json.loads(run(*args).stdout)["results"]
    two = json.loads(run("--jobs", "2", *args).stdout)["results"]
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in one]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in two]


def test_a_src_prefix_in_a_src_layout_says_to_drop_it(tmp_path: Path) -> None:
    # shop.orders imports shop.shipping; "src.shop.shipping" is that file under a second name.
    layout = REPO / "tests" / "workflows" / "src_layout"
    (tmp_path / "pyproject.toml").write_text(
        "[tool.replaycheck]\n"
        'workflows = ["src.shop.orders", "src.shop.shipping"]\n'
        f'pythonpath = ["{layout / "src"}", "{layout}"]\n'
    )
    result = run(str(COMPLETE), cwd=tmp_path)
    assert result.exit_code == 2
    assert "workflow type 'Shipment' is defined by both shop.shipping.Shipment and " \
        "src.shop.shipping.Shipment, one class of " in result.stderr
    assert "name its module 'shop.shipping' in the workflows setting and in your code's " \
        "imports, not 'src.shop.shipping' (a src layout: drop the 'src.' prefix, with " \
        'pythonpath = ["src"]).' in result.stderr
    assert "configure only one of them" not in result.stderr


def test_output_file_and_clean_stdout(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = run("-w", SAYHELLO, "--format", "json", "-o", str(out), str(NONDETERMINISTIC))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(out.read_text())["summary"]["nondeterministic"] == 1
    # a CI log still says what happened, and where the report went
    assert result.stderr == (
        f"1 history: 0 ok, 1 nondeterministic, 0 errors; report written to {out}\n"
    )


def test_two_classes_for_one_workflow_type_is_a_config_error() -> None:
    result = run(
        "-w", "examples.provisioning.workflows", "-w", "examples.provisioning.workflows_unsafe"
    )
    assert result.exit_code == 2
    assert "workflow type 'TenantProvisioning' is defined by both" in result.stderr


def test_entry_point_exits_with_the_commands_status_after_temporalio_loaded(
    tmp_path: Path,
) -> None:
    # temporalio can abort the interpreter at shutdown (sdk-python#300); the entry point must
    # still exit 2 with the one-line message when a command used temporalio in-process.

    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "export", "-q", "WorkflowType='X'",
         "--address", "127.0.0.1:1", "-o", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=60, cwd=REPO,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("replaycheck: error: cannot connect to Temporal at 127.0.0.1:1")


def _unwritable_reports(tmp_path: Path) -> list[str]:
    """Report paths no file can be written at: below a regular file, and in /proc."""
    (tmp_path / "file").write_text("")
    paths = [str(tmp_path / "file" / "r.txt"), str(tmp_path / "file" / "sub" / "r.txt")]
    return [*paths, "/proc/r.txt"] if Path("/proc/self").is_dir() else paths


@pytest.mark.parametrize("command", ["check", "patches"])
def test_unwritable_report_is_one_line_exit_2_before_anything_runs(
    command: str, tmp_path: Path
) -> None:
    for report in _unwritable_reports(tmp_path):
        # A workflow module that does not exist: the report's path is judged first.
        args = [command, "-w", "tests.workflows.does_not_exist", "-o", report, str(COMPLETE)]
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        assert result.exit_code == 2, result.output
        assert result.stderr.startswith(f"replaycheck: error: cannot write the report to {report}")
        assert result.stderr.count("\n") == 1, result.stderr
        assert "give -o a file in a writable directory" in result.stderr


@pytest.mark.parametrize("kind", ["under a file", "a fifo nobody reads"])
def test_unwritable_github_step_summary_is_one_line_exit_2(tmp_path: Path, kind: str) -> None:
    (tmp_path / "file").write_text("")
    summary = str(tmp_path / "file" / "summary.md")
    if kind == "a fifo nobody reads":  # opening it for writing used to wait forever
        summary = str(tmp_path / "fifo")
        os.mkfifo(summary)
    result = CliRunner().invoke(
        main, ["check", "-w", SAYHELLO, "--format", "github", str(COMPLETE)],
        env={"GITHUB_STEP_SUMMARY": summary}, catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(
        f"replaycheck: error: cannot append the job summary to GITHUB_STEP_SUMMARY={summary} "
    )
    assert result.stderr.count("\n") == 1, result.stderr


def test_a_file_name_that_is_not_utf8_reaches_the_github_step_summary(tmp_path: Path) -> None:
    # The summary was lost to a UnicodeEncodeError traceback (the name's undecodable byte).
    odd = tmp_path / os.fsdecode(b"caf\xe9.json")
    shutil.copy(NONDETERMINISTIC, odd)
    summary = tmp_path / "summary.md"
    result = CliRunner().invoke(
        main, ["check", "-w", SAYHELLO, "--format", "github", "-o", str(tmp_path / "out"),
               str(odd)],
        env={"GITHUB_STEP_SUMMARY": str(summary)}, catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    text = summary.read_text(encoding="utf-8")
    assert "caf\\udce9.json" in text  # as a report written with -o shows it
    assert "| FAIL |" in text


def test_report_file_gets_the_usual_mode_for_new_files(tmp_path: Path) -> None:
    out = tmp_path / "report.txt"
    old = os.umask(0o022)
    try:
        result = run("-w", SAYHELLO, "-o", str(out), str(COMPLETE))
    finally:
        os.umask(old)
    assert result.exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o644


def test_broken_symlink_is_named_as_given(tmp_path: Path) -> None:
    link = tmp_path / "dangling.json"
    link.symlink_to(tmp_path / "gone.json")
    result = run("-w", SAYHELLO, str(link))
    assert result.exit_code == 2
    assert result.stderr == (
        f"replaycheck: error: {link} is a broken symlink (it points to {tmp_path / 'gone.json'}, "
        "which does not exist); fix or remove it.\n"
    )


def test_closed_stdout_is_one_line_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check", "-w", SAYHELLO, str(COMPLETE)],
        capture_output=False, stderr=subprocess.PIPE, text=True, timeout=60, cwd=REPO,
        preexec_fn=lambda: os.close(1),  # `>&-`
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "replaycheck: error: standard output is closed; give -o FILE to write the report to a "
        "file.\n"
    )


@pytest.mark.parametrize("command", ["check", "inspect"])
def test_a_full_stdout_is_one_line_exit_2(command: str) -> None:
    args = ["-w", SAYHELLO, str(COMPLETE)] if command == "check" else [str(COMPLETE)]
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "replaycheck", command, *args], stdout=full,
            stderr=subprocess.PIPE, text=True, timeout=60, cwd=REPO,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "replaycheck: error: cannot write the report to standard output (No space left on "
        "device); give -o FILE or free the space.\n"
    )


def test_a_reader_that_leaves_early_is_no_error() -> None:
    # `replaycheck check | head -1`: the status is still the verdicts', and nothing is said.
    with subprocess.Popen(
        [sys.executable, "-m", "replaycheck", "check", "-w", SAYHELLO, str(NONDETERMINISTIC)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before the report comes
        assert proc.wait(timeout=60) == 1
        assert proc.stderr.read() == b""


@pytest.mark.server
def test_live_check_of_an_execution_no_worker_has_run_says_so(
    dev_server: WorkflowEnvironment, server_loop: asyncio.AbstractEventLoop
) -> None:
    import uuid

    client = dev_server.client
    workflow_id = f"never-picked-up-{uuid.uuid4().hex[:8]}"
    handle = server_loop.run_until_complete(
        client.start_workflow("SayHelloWorkflow", "x", id=workflow_id, task_queue="nobody-polls")
    )
    try:
        address = client.service_client.config.target_host
        result = run("--live", "-w", SAYHELLO, "--workflow-id", workflow_id, "--address", address)
    finally:
        server_loop.run_until_complete(handle.terminate(reason="test done"))
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: 1 execution in namespace 'default' matched the workflow ids, but it "
        "has not completed a workflow task yet (no worker has picked it up), so there is nothing "
        "to check; check again once a worker has run the first workflow task.\n"
    )


def test_a_bug_in_replaycheck_shows_its_traceback_and_exits_2_not_1(tmp_path: Path) -> None:
    # Exit 1 means "nondeterministic": a crash must not read as a verdict in a CI gate.
    script = (
        "import sys\n"
        "import replaycheck.histories as histories\n"
        "def broken(path):\n"
        "    raise RuntimeError('a bug')\n"
        "histories.read_history = broken\n"
        "from replaycheck.cli import entry\n"
        "sys.argv = ['replaycheck', 'inspect', 'any.json']\n"
        "entry()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" in done.stderr and "RuntimeError: a bug" in done.stderr
    assert "replaycheck: internal error" in done.stderr


def test_without_configured_histories_it_reads_where_export_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `replaycheck export` writes fixtures/histories when nothing is configured: `check` right
    # after it, with no pyproject.toml, reads them there.
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    result = run("-w", "examples.provisioning.workflows", cwd=tmp_path)
    assert result.exit_code == 2
    assert "no histories to check; pass paths or set histories" in result.stderr
    shutil.copytree(REPO / "fixtures" / "histories" / "NotifyTenant",
                    tmp_path / "fixtures" / "histories" / "NotifyTenant")
    result = run("-w", "examples.provisioning.workflows", cwd=tmp_path)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "4 histories: 4 ok" in result.stdout
    for command in ("check", "patches"):  # -o among them was written, then read as a history
        monkeypatch.chdir(tmp_path)
        refused = CliRunner().invoke(
            main, [command, "-w", "examples.provisioning.workflows", "--format", "json",
                   "-o", "fixtures/histories/report.json"],
        )  # fmt: skip
        assert refused.exit_code == 2, refused.stdout + refused.stderr
        assert "lies among the histories under " in refused.stderr
        assert not (tmp_path / "fixtures" / "histories" / "report.json").exists()
    for command in ("check", "patches"):  # --help named only the configured ones
        shown = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
        assert ("default: 'histories' in [tool.replaycheck], else its 'export_dir', else "
                "fixtures/histories)") in shown


def test_the_command_list_gives_each_command_a_whole_sentence() -> None:
    # click cut each command's docstring at 45 characters: "Replay history files (default:
    # 'histories' in...".
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    listed = result.output.split("Commands:\n", 1)[1].splitlines()
    assert [line.split()[0] for line in listed] == [
        "check", "export", "generate", "inspect", "patches",
    ]  # fmt: skip
    for line in listed:
        assert line.endswith(".") and "..." not in line, line


def test_an_empty_path_is_refused_where_it_read_the_whole_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `replaycheck check "$HISTORIES"` with the variable unset read every history under the
    # working directory, and passed on them.
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{SAYHELLO}"]\npythonpath = ["{REPO}"]\n'
    )
    shutil.copy(COMPLETE, tmp_path / "stray.json")
    monkeypatch.chdir(tmp_path)
    for command in ("check", "patches"):
        result = CliRunner().invoke(main, [command, "", "--format", "json"])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            "replaycheck: error: PATH: a path is empty (an unset variable?), where it would read "
            "the whole directory; give a history file or directory, or . for the current one.\n"
        )


def test_a_history_path_that_is_not_there_names_where_it_was_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both listed every place a path can be given, pytest's option and check() included.
    table = f'[tool.replaycheck]\nworkflows = ["{SAYHELLO}"]\npythonpath = ["{REPO}"]\n'
    (tmp_path / "pyproject.toml").write_text(table)
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "nothere"
    then = ", or, if it is where your histories go, export some into it with `replaycheck export`."
    for command in ("check", "patches"):
        result = CliRunner().invoke(main, [command, "nothere"])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"replaycheck: error: {missing} does not exist; check the path given on the command "
            f"line (PATH), where it is relative to the working directory{then}\n"
        )
    (tmp_path / "pyproject.toml").write_text(f'{table}histories = ["nothere"]\n')
    for command in ("check", "patches"):
        result = CliRunner().invoke(main, [command])
        assert result.exit_code == 2, result.output
        assert result.stderr == (
            f"replaycheck: error: {missing} does not exist; check the path given in histories "
            f"under [tool.replaycheck], where it is relative to that pyproject.toml{then}\n"
        )
