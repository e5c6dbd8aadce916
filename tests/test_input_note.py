"""The note on an ``ok`` replay whose code passed other input than the history recorded.

Core compares no input, so these histories replay; the note names the call, what the history
recorded and what the code passes, and tells a changed input apart from the recorded inputs in
another order (the order of a ``set`` of strings changes with each process's hash seed).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner, Result

from replaycheck._job import ReplayJob
from replaycheck.histories import read_history
from replaycheck.replay import replay
from replaycheck.verdict import Note, Verdict
from tests.changes import (
    CHANGES,
    V2_FILE,
    committed_verdicts,
    line_of,
    marked_line,
    replay_file,
)
from tests.workflows.record_fanout import REGIONS

pytest_plugins = ["pytester"]

FANOUT = Path(__file__).parent / "fixtures" / "fanout" / "region-fanout.json"
FANOUT_PY = "tests/workflows/fanout_set.py"
V2_PATH = "workflows/changes_v2.py"


def test_a_changed_activity_input_replays_ok_with_a_note_naming_both_inputs() -> None:
    verdict = committed_verdicts()["ChangeActivityInput"]
    assert verdict.ok, verdict.message
    line = marked_line("change: ChangeActivityInput")
    assert verdict.message == (
        "replayed all 17 events; execution completed; but the code now passes other input to "
        "activity 'charge' (event 11 recorded 'change-ChangeActivityInput', the code passes "
        f"'change-ChangeActivityInput:EUR' at tests/workflows/changes_v2.py:{line}): core does "
        "not compare input, so this replays with the result the recorded input gave. If the "
        "change is on purpose, check that executions in flight can go on with the results of "
        "the old input; if not, the input depends on something outside the history (hash() of "
        "a string, the environment)"
    )
    # the note is a field of its own too, with the line it is about (JSON and GitHub use it)
    assert verdict.notes == (
        Note("input", verdict.message.partition("; but ")[2], f"tests/{V2_PATH}", line),
    )
    # the code that recorded it passes what the history holds: no note
    history = CHANGES / "ChangeActivityInput" / "change-ChangeActivityInput.json"
    same = replay_file(history, "tests.workflows.changes_v1")
    assert same.ok and same.message == "replayed all 17 events; execution completed"
    assert same.notes == ()


def test_the_note_points_at_the_caller_of_a_step_helper(tmp_path: Path) -> None:
    # The activity goes through a helper that issues any activity with any input it is given
    # (the example's _step): the note is on the call that names the activity and passes the
    # input, not on the helper's line, which every step shares.
    from tests.changes import V2_FILE, replay_variant

    marker = "        # change: ChangeActivityInput (the next line)\n"
    call = (
        "        return await workflow.execute_activity(\n"
        '            charge, f"{order}:EUR", start_to_close_timeout=TIMEOUT\n'
        "        )\n"
    )
    helper = (
        "\n\nasync def _step(activity, arg):\n"
        "    return await workflow.execute_activity(\n"
        "        activity, arg, start_to_close_timeout=TIMEOUT\n"
        "    )\n"
    )
    new_call = '        return await _step(charge, f"{order}:EUR")'
    source = V2_FILE.read_text()
    assert source.count(marker + call) == 1
    source = source.replace(marker + call, marker + new_call + "\n")
    verdict = replay_variant(tmp_path, "input_helper", source + helper, "ChangeActivityInput")
    line = source.splitlines().index(new_call) + 1
    assert verdict.ok, verdict.message
    assert [(n.kind, Path(n.file).name, n.line) for n in verdict.notes] == [
        ("input", "input_helper.py", line)
    ], verdict.notes
    assert f"passes 'change-ChangeActivityInput:EUR' at {verdict.notes[0].file}:{line})" in (
        verdict.message
    )


INPUT_HISTORY = CHANGES / "ChangeActivityInput" / "change-ChangeActivityInput.json"
V2 = "tests.workflows.changes_v2:ChangeActivityInput"


def _check(*args: str, env: dict[str, str] | None = None) -> Result:
    from replaycheck.cli import main

    return CliRunner(env=env).invoke(
        main, ["check", str(INPUT_HISTORY), "-w", V2, *args], catch_exceptions=False
    )


def test_check_json_carries_the_note_with_its_place() -> None:
    result = _check("--format", "json")
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["results"]
    line = marked_line("change: ChangeActivityInput")
    assert entry["verdict"] == "ok"
    assert entry["notes"] == [
        {
            "kind": "input",
            "text": entry["message"].partition("; but ")[2],
            "file": "tests/workflows/changes_v2.py",
            "line": line,
        }
    ]
    assert entry["notes"][0]["text"].startswith("the code now passes other input to activity")


def test_check_github_warns_on_the_line_a_note_is_about(tmp_path: Path) -> None:
    # An ok history passes the check (exit 0), but its note is a warning annotation on the
    # workflow line, so a reviewer sees it on the pull request; the job summary lists it.
    summary = tmp_path / "summary.md"
    result = _check("--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.output
    line = marked_line("change: ChangeActivityInput")
    (warning,) = [x for x in result.stdout.splitlines() if x.startswith("::warning")]
    assert warning.startswith(
        f"::warning file=tests/workflows/changes_v2.py,line={line},title=replaycheck%3A "
        "ChangeActivityInput change-ChangeActivityInput ok%2C with a note::ok, but the code now "
        "passes other input to activity 'charge'"
    ), warning
    assert "::error" not in result.stdout
    text = summary.read_text()
    assert "Notes on histories that replay:" in text
    assert "change-ChangeActivityInput.json`: ok, but the code now passes other input" in text
    # the code that recorded it: no warning
    from replaycheck.cli import main

    same = CliRunner().invoke(
        main,
        ["check", str(INPUT_HISTORY), "-w", "tests.workflows.changes_v1", "--format", "github"],
        catch_exceptions=False,
    )
    assert same.exit_code == 0 and "::warning" not in same.stdout, same.output


def _recorded_order() -> list[str]:
    history = read_history(str(FANOUT)).history
    order = []
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            payload = event.activity_task_scheduled_event_attributes.input.payloads[0]
            order.append(json.loads(payload.data))
    assert sorted(order) == sorted(REGIONS)  # the recording ran every region once
    return order


def _order_under(seed: int) -> list[str]:
    """The order ``set(REGIONS)`` iterates in, in a process with this hash seed."""
    code = f"import json; print(json.dumps(list(set({REGIONS!r}))))"
    out = subprocess.run(
        [sys.executable, "-c", code], env={"PYTHONHASHSEED": str(seed)},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return list(json.loads(out))


def _seeds() -> tuple[int, int]:
    """A hash seed under which the workflow runs the regions in the recorded order, and one
    under which it runs them in another."""
    recorded = _recorded_order()
    same = other = None
    for seed in range(200):
        if _order_under(seed) == recorded:
            same = seed if same is None else same
        elif other is None:
            other = seed
        if same is not None and other is not None:
            return same, other
    pytest.fail(f"no hash seed under 200 iterates {REGIONS} in the recorded order {recorded}")


def test_a_set_iterated_in_another_order_than_recorded_gets_the_order_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The workflow iterates a set of region names: the replay worker's hash seed decides the
    # order of its activities. Core compares no input, so both replays pass; only the one whose
    # order differs from the recording's says so, and names sorted() as the fix.
    same, other = _seeds()
    monkeypatch.setenv("PYTHONHASHSEED", str(other))
    verdict = replay_file(FANOUT, "tests.workflows.fanout_set")
    assert verdict.ok, verdict.message
    recorded = _recorded_order()
    passed = _order_under(other)
    differ = sum(a != b for a, b in zip(recorded, passed, strict=True))
    first = next(i for i in range(3) if recorded[i] != passed[i])
    assert (
        f"; but the code now passes other input to {differ} of the 3 calls of activity "
        f"'provision_region' (event "
    ) in verdict.message, verdict.message
    assert (
        f"recorded {recorded[first]!r}, the code passes {passed[first]!r} at {FANOUT_PY}:23)"
    ) in verdict.message, verdict.message
    assert verdict.message.endswith(
        "They are the recorded inputs in another order: unless the code reorders them on "
        "purpose, its order changes from one worker process to the next (iterating a set of "
        "strings does: string hashes change with PYTHONHASHSEED), so an execution replayed on "
        "another worker pairs results with the wrong calls; iterate over sorted(...) instead"
    ), verdict.message
    monkeypatch.setenv("PYTHONHASHSEED", str(same))
    in_order = replay_file(FANOUT, "tests.workflows.fanout_set")
    assert in_order.ok and in_order.message == "replayed all 23 events; execution completed"


def test_the_set_sorted_as_the_note_says_is_not_told_to_sort_again() -> None:
    # After the fix (a loop over sorted(set(...))), the history recorded in its worker's set
    # order still gets the other order; the note said "iterate over sorted(...) instead" at a
    # line that already does.
    recorded = _recorded_order()
    assert recorded != sorted(recorded)  # the recording's set order is not the sorted one
    verdict = replay_file(FANOUT, "tests.workflows.fanout_sorted")
    assert verdict.ok, verdict.message
    assert "the code passes 'ap-south' at tests/workflows/fanout_sorted.py:" in verdict.message
    assert "iterate over sorted(...) instead" not in verdict.message, verdict.message
    assert verdict.message.endswith(
        "They are the recorded inputs in another order, and the code now passes them sorted: "
        "this execution ran them in its worker's order (a set of strings iterates in another "
        "order in each worker process, as string hashes change with PYTHONHASHSEED), so "
        "replayed on a worker with this code it pairs results with the wrong calls; gate the "
        "sorting, with the old iteration in the else, or let such executions finish on workers "
        "with the old code"
    ), verdict.message


@pytest.mark.parametrize("xdist_args", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_plugin_shows_an_ok_items_note_in_its_summary(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    # The item passes (core accepts the history), so pytest would show nothing of the note:
    # replaycheck's summary does, on the xdist controller too.
    from tests.conftest import REPO

    source = CHANGES / "ChangeActivityInput" / "change-ChangeActivityInput.json"
    target = pytester.path / "histories" / source.name
    target.parent.mkdir()
    target.write_bytes(source.read_bytes())
    pytester.makefile(
        ".toml",
        pyproject=f"""
            [tool.replaycheck]
            histories = ["histories"]
            workflows = ["tests.workflows.changes_v2:ChangeActivityInput"]
            pythonpath = ["{REPO}"]
        """,
    )
    result = pytester.runpytest_subprocess(*xdist_args, "--junitxml=report.xml")
    assert result.ret == 0
    # JUnit XML carries the note as a property of the passing test case
    case = ET.parse(pytester.path / "report.xml").getroot().find(".//testcase")
    assert case is not None
    props = case.iter("property")
    notes = [p.get("value", "") for p in props if p.get("name") == "replaycheck_note"]
    assert len(notes) == 1 and notes[0].startswith("the code now passes other input"), notes
    result.stdout.fnmatch_lines(
        [
            "1 history: 1 ok, 0 nondeterministic, 0 errors",
            "histories/change-ChangeActivityInput.json: ok, but the code now passes other input "
            "to activity 'charge' (event 11 recorded 'change-ChangeActivityInput', the code "
            "passes 'change-ChangeActivityInput:EUR' at *changes_v2.py:*): core does not "
            "compare input, *",
        ]
    )


def test_a_changed_child_workflow_input_replays_ok_with_a_note() -> None:
    verdict = committed_verdicts()["ChangeChildInput"]
    assert verdict.ok, verdict.message
    line = marked_line("change: ChangeChildInput")
    assert verdict.message.startswith(
        "replayed all 14 events; execution completed; but the code now passes other input to "
        "child workflow 'PackOrder' (event 5 recorded 'change-ChangeChildInput', the code passes "
        f"'CHANGE-CHANGECHILDINPUT' at tests/workflows/changes_v2.py:{line}): core does not "
        "compare input"
    ), verdict.message


def test_a_changed_continue_as_new_input_replays_ok_with_a_note() -> None:
    # ChangeContinueAsNewInput: the code continues as new with '<order>+retry' where the
    # history recorded '<order>+next'. Core compares no input, as the plain Replayer shows:
    # the replay was ok with no note, as if nothing had changed for the next run.
    history = CHANGES / "ChangeContinueAsNewInput" / "change-ChangeContinueAsNewInput.json"
    assert asyncio.run(_plain_replay_fails(history, "ChangeContinueAsNewInput")) is False
    verdict = committed_verdicts()["ChangeContinueAsNewInput"]
    assert verdict.ok, verdict.message
    line = line_of('workflow.continue_as_new(f"{order}+retry")', V2_FILE)
    assert verdict.message == (
        "replayed all 11 events; execution continued as new; but the code now passes other "
        "input to the continue-as-new (event 11 recorded 'change-ChangeContinueAsNewInput+next', "
        "the code passes 'change-ChangeContinueAsNewInput+retry' at "
        f"tests/workflows/changes_v2.py:{line}): core does not compare input, so this replays "
        "and the run it continued as new started with the recorded input. If the change is on "
        "purpose, check that the new code can take the input of runs continued as new with the "
        "old one; if not, the input depends on something outside the history (hash() of a "
        "string, the environment)"
    )
    assert verdict.notes == (
        Note("input", verdict.message.partition("; but ")[2], f"tests/{V2_PATH}", line),
    )
    # the code that recorded it passes what the history holds: no note
    same = replay_file(history, "tests.workflows.changes_v1")
    assert same.ok and same.notes == (), same.message


async def _plain_replay_fails(history: Path, name: str) -> bool:
    """Whether temporalio's own ``Replayer`` fails ``history`` against ``changes_v2``'s class."""
    from temporalio.client import WorkflowHistory
    from temporalio.worker import Replayer

    from tests.workflows import changes_v2

    loaded = WorkflowHistory.from_json(f"change-{name}", history.read_text())
    replayer = Replayer(workflows=[getattr(changes_v2, name)])
    result = await replayer.replay_workflow(loaded, raise_on_replay_failure=False)
    return result.replay_failure is not None


SECRET = Path(__file__).parent / "fixtures" / "codec" / "secret-fanout.json"
SECRET_PY = "tests/workflows/secret_fanout.py"
CODEC = "tests.workflows.codec:codec"


def _replay_secret(workflow: str, data_converter: str | None = CODEC, **settings: Any) -> Verdict:
    """The verdict of the encrypted ``SecretFanout`` history against one of its versions."""
    from tests.conftest import REPO

    job = ReplayJob(
        paths=(str(SECRET),), workflows=(f"tests.workflows.secret_fanout:{workflow}",),
        import_paths=(str(REPO),), data_converter=data_converter, **settings,
    )  # fmt: skip
    return replay(job)[0]


def _secret_line(workflow: str) -> int:
    """The line of ``workflow``'s ``execute_activity`` call in ``secret_fanout.py``."""
    lines = Path(SECRET_PY).read_text().splitlines()
    start = lines.index(f"class {workflow}:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if "execute_activity" in line)


def test_the_fixture_holds_only_encrypted_input() -> None:
    history = read_history(str(SECRET)).history
    inputs = [
        event.activity_task_scheduled_event_attributes.input.payloads[0]
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    assert len(inputs) == 3
    assert {p.metadata["encoding"] for p in inputs} == {b"binary/toy-encrypted"}


def test_through_a_codec_the_recording_code_replays_ok_without_a_note() -> None:
    verdict = _replay_secret("SecretFanout")
    assert verdict.ok and verdict.message == "replayed all 23 events; execution completed"


@pytest.mark.parametrize("settings", [{}, {"plugins": ("tests.workflows.codec:codec_plugin",)}],
                         ids=["data_converter", "plugin"])  # fmt: skip
def test_through_a_codec_other_input_gets_the_note_with_the_decoded_values(
    settings: dict[str, Any],
) -> None:
    # The codec is configured as data_converter, or added by a plugin of the worker's.
    codec = None if settings else CODEC
    verdict = _replay_secret("SecretFanoutUpper", codec, **settings)
    assert verdict.ok, verdict.message
    line = _secret_line("SecretFanoutUpper")
    assert verdict.message == (
        "replayed all 23 events; execution completed; but the code now passes other input to "
        "3 of the 3 calls of activity 'provision_region' (event 5 recorded 'ap-south', the code "
        f"passes 'AP-SOUTH' at {SECRET_PY}:{line}): core does not compare input, so this "
        "replays with the results the recorded input gave. If the change is on purpose, check "
        "that executions in flight can go on with the results of the old input; if not, the "
        "input depends on something outside the history (hash() of a string, the environment)"
    )


def test_through_a_codec_a_set_in_another_order_gets_the_order_note(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorded = sorted(REGIONS)  # SecretFanout provisions them sorted
    seed = next(s for s in range(200) if _order_under(s) != recorded)
    monkeypatch.setenv("PYTHONHASHSEED", str(seed))
    verdict = _replay_secret("SecretFanoutSet")
    assert verdict.ok, verdict.message
    passed = _order_under(seed)
    first = next(i for i in range(3) if recorded[i] != passed[i])
    assert (
        f"(event {5 + 6 * first} recorded {recorded[first]!r}, the code passes "
        f"{passed[first]!r} at {SECRET_PY}:{_secret_line('SecretFanoutSet')})"
    ) in verdict.message, verdict.message
    assert "They are the recorded inputs in another order" in verdict.message


def test_without_the_codec_the_encrypted_history_is_an_error_with_no_note() -> None:
    # The workflow's own input cannot be decoded: the replay fails as before, naming the
    # setting, and no note on input is made up from the encrypted bytes.
    for workflow in ("SecretFanout", "SecretFanoutUpper"):
        verdict = _replay_secret(workflow, None)
        assert verdict.verdict == "error"
        assert verdict.message.startswith(
            "replay failed: the payloads could not be decoded (unknown payload encoding "
            "binary/toy-encrypted); set data_converter"
        ), verdict.message
        assert "other input" not in verdict.message


class _Failing:
    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        raise ValueError("the wrong key")


class _Dropping:
    async def decode(self, payloads: Sequence[Any]) -> list[Any]:
        return list(payloads)[1:]


@pytest.mark.parametrize("codec", [_Failing(), _Dropping()], ids=["raises", "drops"])
def test_a_codec_that_cannot_decode_the_input_leaves_the_note_out(codec: Any) -> None:
    from temporalio.api.common.v1 import Payload

    from replaycheck._input_values import decoded

    encrypted = [Payload(metadata={"encoding": b"binary/encrypted"}, data=b"x")]
    readable = [Payload(metadata={"encoding": b"json/plain"}, data=b'"us-east"')]
    assert asyncio.run(decoded([encrypted, readable], codec)) is None
    # nothing encoded: the codec is not asked
    assert asyncio.run(decoded([readable, readable], codec)) == [readable, readable]
