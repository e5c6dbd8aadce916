"""``check --format github`` annotates each reason of its errors once, as it does each change:
GitHub shows 10 error annotations a step, so one annotation per history showed ten copies of
one reason and dropped the rest, another reason included. The job summary, the JSON and the
JUnit XML still list each history."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner, Result

from replaycheck._render_github import render_github
from replaycheck.cli import main
from replaycheck.verdict import Verdict
from tests.conftest import REPO
from tests.test_error_reasons import ONLY_PROVISIONING, UNREGISTERED, copies
from tests.test_report import parse_annotation


def github(directory: Path) -> tuple[Result, str]:
    """``check --format github`` of ``directory``'s histories from it, as a GitHub Actions step
    runs it (the repository at ``directory``): its result and the job summary it wrote."""
    summary = directory / "summary.md"
    env = {
        "PYTHONPATH": str(REPO),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_WORKSPACE": str(directory),
    }
    old = Path.cwd()
    os.chdir(directory)
    try:
        result = CliRunner().invoke(
            main,
            ["check", "-w", ONLY_PROVISIONING, "--format", "github", "histories"],
            catch_exceptions=False,
            env=env,
        )
    finally:
        os.chdir(old)
    return result, summary.read_text()


def annotations(result: Result) -> list[tuple[dict[str, str], str]]:
    return [parse_annotation(x) for x in result.stdout.splitlines() if x.startswith("::error ")]


def test_errors_with_one_reason_share_one_annotation(tmp_path: Path) -> None:
    copies(tmp_path / "histories", 12)
    result, summary = github(tmp_path)
    assert result.exit_code == 2
    [(props, message)] = annotations(result)
    assert props == {
        "file": "histories/NotifyTenant/notify-000.json",
        "title": "replaycheck: NotifyTenant notify-000 error, and 11 more histories",
    }
    lines = message.splitlines()
    assert lines[0].startswith(f"{UNREGISTERED} (registered: TenantProvisioning); add the ")
    assert lines[1:] == [
        "history: histories/NotifyTenant/notify-000.json",
        "11 more histories with the same reason: "
        + ", ".join(f"histories/NotifyTenant/notify-{n:03}.json" for n in range(1, 6))
        + " and 6 more",
    ]
    assert "12 histories: 0 ok, 0 nondeterministic, 12 errors" in result.stdout
    for number in range(12):  # the job summary still lists each one
        assert f"| ERROR | `histories/NotifyTenant/notify-{number:03}.json` |" in summary


def test_each_reason_gets_its_own_annotation_on_its_first_history(tmp_path: Path) -> None:
    histories = tmp_path / "histories"
    copies(histories, 11)
    for name in ("a", "b", "c"):
        (histories / f"{name}.json").write_text("")
    (histories / "d.json").write_text("[1]")
    result, summary = github(tmp_path)
    found = annotations(result)
    assert [(props["file"], props["title"]) for props, _ in found] == [
        ("histories/a.json", "replaycheck: history a.json error, and 2 more histories"),
        ("histories/d.json", "replaycheck: history d.json error"),
        ("histories/NotifyTenant/notify-000.json",
         "replaycheck: NotifyTenant notify-000 error, and 10 more histories"),
    ]  # fmt: skip
    assert found[0][1].endswith(
        "\nhistory: histories/a.json\n2 more histories with the same reason: "
        "histories/b.json, histories/c.json"
    )
    assert "is empty" in found[0][1].splitlines()[0]
    assert "same reason" not in found[1][1]  # an error alone stays whole
    assert "is a bare JSON list" in found[1][1]
    assert found[2][1].startswith(UNREGISTERED)
    assert summary.count("| ERROR | ") == 15


def test_a_reason_annotation_words_its_message_for_all_its_histories() -> None:
    # the annotation stands for each history it names: their own numbers left out, the
    # message in the plural, and histories pinned to another version annotated apart
    def timeout(name: str, took: str, pinned: str = "") -> Verdict:
        message = f"replay timed out after {took} s in a history; this history was not checked"
        return Verdict(path=f"h/{name}.json", verdict="error", message=message,
                       workflow_type="W", workflow_id=name, pinned=pinned)  # fmt: skip

    output = render_github([timeout("a", "60"), timeout("b", "61.5"), timeout("c", "60", "v2")])
    found = [parse_annotation(x) for x in output.splitlines() if x.startswith("::error ")]
    assert [(props["title"], message.splitlines()[0]) for props, message in found] == [
        ("replaycheck: W a error, and 1 more history",
         "replay timed out after … s in a history; these histories were not checked"),
        ("replaycheck: W c error",
         "replay timed out after 60 s in a history; this history was not checked (pinned to v2)"),
    ]  # fmt: skip


def test_more_causes_than_github_shows_begin_with_one_annotation_that_says_which_it_hides() -> None:
    # GitHub shows 10 error annotations a step and drops the rest without a word: the first
    # says how many changes or reasons failed, which it will not show, and where each is told;
    # every annotation still follows (another CI may show them all)
    def error(number: int, copies: int = 1) -> list[Verdict]:
        message = f"kind {'ABCDEFGHIJKLMN'[number]} of error; this history was not checked"
        ids = [f"e{number}-{i}" for i in range(copies)]
        made = {"verdict": "error", "message": message, "workflow_type": "W"}
        return [Verdict(path=f"h/{i}.json", workflow_id=i, **made) for i in ids]

    twelve = [v for n in range(12) for v in error(n, copies=2 if n == 11 else 1)]
    found = [
        parse_annotation(x) for x in render_github(twelve).splitlines() if x.startswith("::error ")
    ]
    assert len(found) == 13
    assert [props["file"] for props, _ in found[1:]] == [f"h/e{n}-0.json" for n in range(12)]
    props, message = found[0]
    assert "file" not in props
    assert props["title"] == "replaycheck: 12 changes or reasons failed"
    assert message.splitlines() == [
        "12 changes or reasons failed 13 histories; GitHub shows 10 error annotations a step, "
        "this one and the next 9: the job summary and the text report of `replaycheck check` "
        "tell each one",
        "not shown: the 3 from h/e9-0.json, h/e10-0.json, h/e11-0.json",
    ]
    # ten or fewer: each its own, as before
    ten = [v for n in range(10) for v in error(n)]
    lines = render_github(ten).splitlines()
    shown = [parse_annotation(x) for x in lines if x.startswith("::error ")]
    assert [props["file"] for props, _ in shown] == [f"h/e{n}-0.json" for n in range(10)]
