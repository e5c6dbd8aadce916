"""``check --format github`` warns once of the notes that read the same on one line, as it
annotates each error reason once: GitHub shows 10 warning annotations a step, so one per
history showed ten copies of one note and dropped the rest without a word. When more notes
remain than GitHub shows, the first warning says so."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

from click.testing import CliRunner, Result

from replaycheck.cli import main
from tests.conftest import REPO
from tests.test_input_note import INPUT_HISTORY, V2
from tests.test_report import parse_annotation

RECORDED_ID = "change-ChangeActivityInput"
"""The recorded execution's workflow id, which it was started with as its input too."""
RUN_ID = "01a23cc7-2825-7957-b6ae-ac2094af1030"
LETTERS = "abcdefghijklm"


def noted_copies(directory: Path, inputs: dict[str, str]) -> None:
    """A copy of the recorded ChangeActivityInput history per ``{workflow id: input}``, each its
    own execution (workflow id, run id) started with that input, under
    ``directory/ChangeActivityInput``: changes_v2 passes it other input, so each replays ``ok``
    with a note."""
    text = INPUT_HISTORY.read_text()
    folder = directory / "ChangeActivityInput"
    folder.mkdir(parents=True)
    for number, (workflow_id, given) in enumerate(inputs.items()):

        def payload(match: re.Match[str], given: str = given) -> str:
            data = base64.b64decode(match[1]).replace(RECORDED_ID.encode(), given.encode())
            return f'"data": "{base64.b64encode(data).decode()}"'

        copy = re.sub(r'"data": "([^"]*)"', payload, text)
        copy = copy.replace(json.dumps(RECORDED_ID), json.dumps(workflow_id))
        copy = copy.replace(RUN_ID, f"{RUN_ID[:-12]}{number:012x}")
        (folder / f"{workflow_id}.json").write_text(copy)


def github(directory: Path) -> tuple[Result, str]:
    """``check --format github`` of ``directory``'s histories from it, as a GitHub Actions step
    runs it in this repository: its result and the job summary it wrote."""
    summary = directory / "summary.md"
    env = {
        "PYTHONPATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(REPO),
    }
    old = Path.cwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(
            main,
            ["check", "-w", V2, "--format", "github", "histories"],
            catch_exceptions=False,
            env=env,
        )
    finally:
        os.chdir(old)
    return result, summary.read_text()


def warnings(result: Result) -> list[tuple[dict[str, str], str]]:
    lines = result.stdout.splitlines()
    return [
        parse_annotation(x.replace("::warning ", "::error ", 1))
        for x in lines
        if x.startswith("::warning ")
    ]


def named(letters: str) -> list[str]:
    return [f"histories/ChangeActivityInput/order-{letter}.json" for letter in letters]


def test_notes_that_read_the_same_share_one_warning(tmp_path: Path) -> None:
    # twelve executions, each started with its own workflow id as its input (as the recorded
    # one was): their notes quote their own ids, and read the same once those are taken out
    noted_copies(tmp_path / "histories", {f"order-{x}": f"order-{x}" for x in LETTERS[:12]})
    result, summary = github(tmp_path)
    assert result.exit_code == 0, result.output
    [(props, message)] = warnings(result)
    assert props["file"] == "tests/workflows/changes_v2.py"
    assert props["title"] == (
        "replaycheck: ChangeActivityInput order-a ok, with a note, and 11 more histories"
    )
    lines = message.splitlines()
    assert lines[0].startswith(
        "ok, but the code now passes other input to activity 'charge' (event 11 recorded "
        "'order-a', the code passes 'order-a:EUR'"
    )
    assert lines[1:] == [
        "history: histories/ChangeActivityInput/order-a.json",
        f"11 more histories with the same note: {', '.join(named('bcdef'))} and 6 more",
    ]
    assert "12 histories: 12 ok, 0 nondeterministic, 0 errors" in result.stdout
    # the job summary lists the note once too, with the histories it is on
    notes = summary.partition("Notes on histories that replay:\n\n")[2].split("\n\n")[0]
    [item] = notes.splitlines()
    assert item.startswith(f"- `{named('a')[0]}`: ok, but the code now passes other input")
    others = ", ".join(f"`{name}`" for name in named("bcdef"))
    assert item.endswith(f" (11 more histories with the same note: {others} and 6 more)")


def test_more_notes_than_github_shows_begin_with_one_warning_that_says_which_it_hides(
    tmp_path: Path,
) -> None:
    # thirteen executions started with twelve inputs: twelve notes, one of them on two
    # histories. GitHub shows ten warnings: the first says how many notes there are, which it
    # will not show, and where each is told; every note's warning still follows
    inputs = {f"order-{x}": f"cart-{x}" for x in LETTERS[:12]}
    noted_copies(tmp_path / "histories", {**inputs, "order-m": "cart-a"})
    result, summary = github(tmp_path)
    assert result.exit_code == 0, result.output
    first, *found = warnings(result)
    assert [props["title"] for props, _ in found] == [
        "replaycheck: ChangeActivityInput order-a ok, with a note, and 1 more history",
        *(f"replaycheck: ChangeActivityInput order-{x} ok, with a note" for x in LETTERS[1:12]),
    ]
    assert "recorded 'cart-l', the code passes 'cart-l:EUR'" in found[-1][1]
    props, message = first
    assert props == {"title": "replaycheck: 12 notes on histories that replay"}
    assert message.splitlines() == [
        "12 notes on 13 histories that replay; GitHub shows 10 warning annotations a step, this "
        "one and the next 9: the job summary and the text report of `replaycheck check` tell "
        "each one",
        f"not shown: the 3 from {', '.join(named('jkl'))}",
    ]
    assert "::error" not in result.stdout
    assert summary.count("\n- `histories/ChangeActivityInput/order-") == 12
