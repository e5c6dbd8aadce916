"""Notes of ``ok`` histories that read the same, in ``check``'s text report and in pytest's
summary: each shown once, its first history's text in full, with how many histories have it
and the first few of them (300 running executions past one changed timer printed the same
note 300 times). ``-v`` shows every one; JSON and JUnit XML keep each history's own."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fnmatch import fnmatch
from pathlib import Path

import pytest
from click.testing import CliRunner

from replaycheck.cli import main
from tests.conftest import REPO
from tests.test_github_notes import LETTERS, V2, named, noted_copies
from tests.test_plugin import configure

pytest_plugins = ["pytester"]

INPUTS = {**{f"order-{x}": f"order-{x}" for x in LETTERS[:5]}, "order-f": "cart-f"}
"""Five executions started with their own workflow id as input (their notes read the same once
that is taken out) and one started with another input (a note of its own)."""
CHANGED = "the code now passes other input to activity 'charge'"
FIRST = f"{CHANGED} (event 11 recorded 'order-a', the code passes 'order-a:EUR' at *"
OTHER = f"{CHANGED} (event 11 recorded 'cart-f', the code passes 'cart-f:EUR' at *"
BLOCK = [
    "6 notes on 6 histories that replay, 2 different notes*:",
    f"note 1 of 2, 5 histories: {FIRST}",
    f"  noted: {', '.join(named('abc'))} and 2 more",
    f"note 2 of 2, 1 history: {OTHER}",
    f"  noted: {named('f')[0]}",
]


def test_check_shows_a_note_that_reads_the_same_once_with_its_histories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    noted_copies(tmp_path / "histories", INPUTS)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main,
        ["check", "-w", V2, "histories"],
        catch_exceptions=False,
        env={"PYTHONPATH": str(REPO)},
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # the first history with the note shows it in full; the others point to it
    ok = [line for line in lines if line.startswith("ok    ")]
    assert ok[0].startswith(f"ok    {named('a')[0]}  replayed all 17 events; execution completed")
    assert f"; but {CHANGED} (event 11 recorded 'order-a'" in ok[0]
    assert ok[1:5] == [
        f"ok    {name}  replayed all 17 events; execution completed; but the same note as "
        f"{named('a')[0]}, above"
        for name in named("bcde")
    ]
    assert f"; but {CHANGED} (event 11 recorded 'cart-f'" in ok[5]
    # each note once above the counts, with how many histories have it and the first few
    start = lines.index(next(line for line in lines if line.startswith("6 notes on")))
    assert len(lines[start:]) == 6
    for line, pattern in zip(lines[start:], BLOCK, strict=False):
        assert fnmatch(line, pattern), (line, pattern)
    assert lines[-1] == "6 histories: 6 ok, 0 nondeterministic, 0 errors"
    assert result.stdout.count(CHANGED) == 4  # the two notes, each in its ok line and its group


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


@pytest.fixture(params=[False, True], ids=["terminal", "ci"])
def on_ci(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """On CI (``$CI``) pytest writes its short summary otherwise: the notes read the same."""
    monkeypatch.delenv("BUILD_NUMBER", raising=False)
    if request.param:
        monkeypatch.setenv("CI", "true")
    else:
        monkeypatch.delenv("CI", raising=False)
    return bool(request.param)


def _project(pytester: pytest.Pytester) -> None:
    noted_copies(pytester.path / "histories", INPUTS)
    configure(pytester, V2, "histories")


def test_the_summary_shows_a_note_that_reads_the_same_once_and_verbose_each(
    pytester: pytest.Pytester, xdist_args: list[str], on_ci: bool
) -> None:
    _project(pytester)
    result = pytester.runpytest(*xdist_args, "-rA", "--junitxml=report.xml")
    result.assert_outcomes(passed=6)
    # the first by file, whichever xdist worker replayed it first
    result.stdout.fnmatch_lines(["6 histories: 6 ok, 0 nondeterministic, 0 errors", *BLOCK])
    result.stdout.fnmatch_lines(["6 notes on 6 histories * (-v: each in full):"])
    assert ": ok, but " not in result.stdout.str()
    assert result.stdout.str().count(CHANGED) == 2
    # JUnit XML still carries each history's own note, whole
    root = ET.parse(pytester.path / "report.xml").getroot()
    notes = [
        p.get("value", "") for p in root.iter("property") if p.get("name") == "replaycheck_note"
    ]
    assert len(notes) == 6 and all(note.startswith(CHANGED) for note in notes)
    assert sum("recorded 'order-e'" in note for note in notes) == 1
    # -v: every item's note in full, one line each
    verbose = pytester.runpytest(*xdist_args, "-v")
    verbose.assert_outcomes(passed=6)
    for name, given in INPUTS.items():
        verbose.stdout.fnmatch_lines(
            [f"histories/ChangeActivityInput/{name}.json: ok, but {CHANGED} (event 11 recorded "
             f"'{given}', *"]
        )  # fmt: skip
    assert "notes on" not in verbose.stdout.str()
