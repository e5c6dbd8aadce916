"""Many histories that could not be checked for one reason (a workflow type nobody registered,
the same validation refusal, timeouts): ``check`` shows the reason once in full, points the
others to it, and its summary names each reason once; the JSON report is unchanged."""

from __future__ import annotations

import json
import os
from pathlib import Path

from click.testing import CliRunner, Result

from replaycheck._reasons import Reason, error_key, for_many, group_reasons
from replaycheck.cli import main
from replaycheck.verdict import Verdict
from tests.conftest import REPO

NOTIFY = REPO / "fixtures/histories/NotifyTenant/prov-acme-completed-notify.json"
"""A recorded NotifyTenant history: with only TenantProvisioningWorkflow registered, its type
is one nobody registered."""
RUN_ID = "01a231ec-533f-701c-8c65-0571a56473e0"
ONLY_PROVISIONING = "examples.provisioning.workflows:TenantProvisioningWorkflow"
UNREGISTERED = "workflow type 'NotifyTenant' is not registered"


def copies(directory: Path, count: int) -> list[Path]:
    """``count`` copies of the recorded NotifyTenant history, each its own execution (workflow
    id and run id), under ``directory/NotifyTenant``."""
    text = NOTIFY.read_text()
    folder = directory / "NotifyTenant"
    folder.mkdir(parents=True)
    paths = []
    for number in range(count):
        copy = text.replace(RUN_ID, f"{RUN_ID[:-12]}{number:012x}")
        copy = copy.replace('"prov-acme-completed-notify"', f'"notify-{number:03}"')
        paths.append(folder / f"notify-{number:03}.json")
        paths[-1].write_text(copy)
    return paths


def check(directory: Path, *args: str) -> Result:
    """``replaycheck check`` of ``directory``'s histories from it, with the example's
    TenantProvisioningWorkflow alone registered."""
    old = Path.cwd()
    os.chdir(directory)
    try:
        return CliRunner().invoke(
            main,
            ["check", "-w", ONLY_PROVISIONING, *args, "histories"],
            catch_exceptions=False,
            env={"PYTHONPATH": str(REPO)},
        )
    finally:
        os.chdir(old)


def test_check_shows_an_unregistered_type_once_and_names_the_reason_once(
    tmp_path: Path,
) -> None:
    copies(tmp_path / "histories", 5)
    result = check(tmp_path)
    assert result.exit_code == 2
    assert result.stdout.count(UNREGISTERED) == 2  # the first error, the reason's line
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "ERROR histories/NotifyTenant/notify-000.json",
        f"      workflow NotifyTenant, id notify-000, run {RUN_ID[:-12]}000000000000, "
        "11 events, completed",
        lines[2],
    ]
    assert lines[2].startswith(f"      {UNREGISTERED} (registered: TenantProvisioning); add")
    assert lines[3:7] == [
        f"ERROR histories/NotifyTenant/notify-00{n}.json  same reason as "
        "histories/NotifyTenant/notify-000.json, above"
        for n in range(1, 5)
    ]
    assert lines[8:11] == [
        "5 errors from 1 reason:",
        f"reason 1 of 1, 5 histories: {lines[2].strip()}",
        "  errored: histories/NotifyTenant/notify-000.json, "
        "histories/NotifyTenant/notify-001.json, histories/NotifyTenant/notify-002.json "
        "and 2 more",
    ]
    assert lines[11] == "5 histories: 0 ok, 0 nondeterministic, 5 errors"


def test_check_groups_each_reason_apart_and_an_error_alone_stays_whole(
    tmp_path: Path,
) -> None:
    histories = tmp_path / "histories"
    copies(histories, 2)
    for name in ("a", "b", "c"):
        (histories / f"{name}.json").write_text("")
    (histories / "d.json").write_text("[1]")
    result = check(tmp_path)
    text = result.stdout
    assert "5 errors from 3 reasons:" not in text  # counted: 6 errors
    assert "6 errors from 3 reasons:" in text
    assert "reason 1 of 3, 3 histories: is empty; export the history again" in text
    assert "  errored: histories/a.json, histories/b.json, histories/c.json\n" in text
    assert "reason 2 of 3, 1 history: " in text
    assert "reason 3 of 3, 2 histories: " + UNREGISTERED in text
    assert text.count("same reason as histories/a.json, above") == 2
    assert text.count("is a bare JSON list") == 2  # d.json's own and its reason


def test_check_names_no_reason_when_each_error_has_its_own(tmp_path: Path) -> None:
    copies(tmp_path / "histories", 1)
    (tmp_path / "histories" / "empty.json").write_text("")
    result = check(tmp_path)
    assert "from 2 reasons" not in result.stdout
    assert "reason 1 of" not in result.stdout
    assert "same reason as" not in result.stdout
    assert result.stdout.count(UNREGISTERED) == 1


def test_json_and_junit_keep_each_error_whole(tmp_path: Path) -> None:
    copies(tmp_path / "histories", 3)
    doc = json.loads(check(tmp_path, "--format", "json").stdout)
    messages = [r["message"] for r in doc["results"]]
    assert len(messages) == 3
    assert all(m.startswith(UNREGISTERED) for m in messages)
    junit = check(tmp_path, "--format", "junit").stdout
    assert junit.count(UNREGISTERED) >= 3
    assert "same reason" not in junit


def _error(name: str, message: str, **ids: str) -> Verdict:
    return Verdict(path=f"/h/{name}.json", verdict="error", message=message, **ids)


def test_a_reason_leaves_out_what_each_history_has_of_its_own() -> None:
    timeouts = [
        _error("a", "replay timed out after 60 s (it took 61.5 s for 41 events); this history "
               "was not checked; raise the timeout for histories this long"),
        _error("b", "replay timed out after 60 s (it took 75 s for 12 events); this history "
               "was not checked; raise the timeout for histories this long"),
    ]  # fmt: skip
    missing = [
        _error("x", "workflow 'order-1' was not found; check the id", workflow_id="order-1"),
        _error("y", "workflow 'order-2' was not found; check the id", workflow_id="order-2"),
    ]
    renamed = [_error(n, f"workflow type 'OrderV{n}' is not registered") for n in "12"]
    reasons = group_reasons([(v.path, v) for v in [*timeouts, *missing, *renamed]])
    assert [len(r.errors) for r in reasons] == [2, 2, 1, 1]  # OrderV1 and OrderV2 apart
    assert reasons[0].text() == (
        "replay timed out after 60 s (it took … s for … events); these histories were not "
        "checked; raise the timeout for histories this long"
    )
    assert reasons[1].text() == "workflow '…' was not found; check the id"
    assert reasons[2].text() == "workflow type 'OrderV1' is not registered"


def test_only_errors_have_a_reason() -> None:
    ok = Verdict(path="/h/a.json", verdict="ok", message="replayed")
    assert error_key(ok) is None
    assert Reason(((ok.path, ok),)).text() == "replayed"


def test_a_text_for_several_histories_reads_in_the_plural() -> None:
    assert for_many(
        "this execution started before patch 'p', whose gate the code no longer has"
    ) == ("these executions started before patch 'p', whose gate the code no longer has")
    assert for_many("note: this execution is closed: once") == (
        "note: these executions are closed: once"
    )
    assert for_many("(its history has no marker of it) and this history was not checked") == (
        "(their histories have no marker of it) and these histories were not checked"
    )
    assert for_many(
        "  if this history still fails with the gate back, another change broke it: run the "
        "check again for its own fix"
    ) == (
        "  if these histories still fail with the gate back, another change broke them: run "
        "the check again for their own fix"
    )
