"""``replaycheck patches`` over histories some of which cannot be replayed (a workflow module
left out of ``-w``, say): the report says so, with the first reason, instead of reporting
fewer patches as if that were all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main

ONLY_NOTIFY = ["-w", "examples.provisioning.workflows:NotifyTenantWorkflow", "fixtures/histories"]


def _patches(*args: str) -> Result:
    result = CliRunner().invoke(main, ["patches", *args])
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def text() -> str:
    return _patches(*ONLY_NOTIFY).stdout


def test_the_text_report_says_histories_were_not_replayed_and_why(text: str) -> None:
    summary, note = text.splitlines()[-2:]
    assert summary == "0 patch ids in 14 histories (replay: 4 ok, 10 errors)"
    assert note.startswith(
        "10 histories could not be replayed, so the patches they hold and the branches they "
        "took may be missing above: fixtures/histories/TenantProvisioning/"
    )
    assert ": workflow type 'TenantProvisioning' is not registered (registered: NotifyTenant)" in (
        note
    )
    assert note.endswith(
        "; and 9 more; `replaycheck check` shows each one's reason: fix them and run this again."
    )


def test_the_replay_counts_agree_with_their_number_as_checks_do() -> None:
    one = _patches(
        *ONLY_NOTIFY[:2], "fixtures/histories/TenantProvisioning/prov-acme-completed.json"
    )
    assert one.stdout.splitlines()[-2] == "0 patch ids in 1 history (replay: 1 error)"


def test_the_json_report_lists_each_history_not_replayed() -> None:
    doc = json.loads(_patches("--format", "json", *ONLY_NOTIFY).stdout)
    assert doc["replay"]["error"] == len(doc["errors"]) == 10
    assert {e["path"].split("/")[-2] for e in doc["errors"]} == {"TenantProvisioning"}
    assert all("is not registered" in e["message"] for e in doc["errors"])


def test_a_report_of_every_history_replayed_says_nothing_of_errors() -> None:
    result = _patches("fixtures/histories")
    assert "could not be replayed" not in result.stdout
    assert json.loads(_patches("--format", "json", "fixtures/histories").stdout)["errors"] == []


def test_a_report_written_with_o_says_its_counts_and_where_on_stderr(tmp_path: Path) -> None:
    # as check does: stdout stays empty, and a CI log said nothing at all before
    out = tmp_path / "reports" / "patches.json"
    result = _patches("--format", "json", "-o", str(out), *ONLY_NOTIFY)
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"0 patch ids in 14 histories (replay: 4 ok, 10 errors); report written to {out}"
    )
    assert json.loads(out.read_text())["replay"]["error"] == 10
