"""Reading, validating and discovering history files."""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from replaycheck.errors import HistoryError, NoHistoriesError
from replaycheck.histories import (
    Provenance,
    discover,
    read_history,
    workflow_id_from_name,
    write_history,
)
from tests.conftest import COMPLETE, SDK

ALL_SHARED = sorted(SDK.parent.rglob("*.json"))


@pytest.mark.parametrize("path", ALL_SHARED, ids=lambda p: p.name)
def test_every_shared_history_loads(path: Path) -> None:
    loaded = read_history(path)
    assert loaded.info.events == len(loaded.history.events) > 0
    assert loaded.info.workflow_type
    assert loaded.info.run_id
    started = loaded.history.events[0].workflow_execution_started_event_attributes
    assert loaded.info.workflow_id == (started.workflow_id or path.name.removesuffix(".json"))


def test_old_pascalcase_dialect_matches_from_json() -> None:
    from temporalio.client import WorkflowHistory

    expected = WorkflowHistory.from_json("x", COMPLETE.read_text()).events
    assert list(read_history(COMPLETE).history.events) == list(expected)


def test_metadata_of_a_completed_history() -> None:
    info = read_history(COMPLETE).info
    assert info.workflow_type == "SayHelloWorkflow"
    assert info.status == "COMPLETED"
    assert info.closed
    assert info.verified_through == info.events == 11


def test_running_history_reports_how_far_replay_checks(tmp_path: Path) -> None:
    path = tmp_path / "mid-flight.json"
    path.write_text(json.dumps({"events": _events()[:8]}))
    info = read_history(path).info
    assert info.status == "RUNNING"
    assert (info.verified_through, info.events) == (5, 8)


def _events() -> list[dict[str, object]]:
    from google.protobuf.json_format import MessageToDict
    from temporalio.api.history.v1 import History

    history = History(events=read_history(COMPLETE).history.events)
    return MessageToDict(history)["events"]  # type: ignore[no-any-return]


def _started_only() -> bytes:
    return json.dumps({"events": _events()[:1]}).encode()


def _missing_started() -> bytes:
    return json.dumps({"events": _events()[1:]}).encode()


def _reversed() -> bytes:
    return json.dumps({"events": _events()[::-1]}).encode()


def _cut_off_though_completed() -> bytes:
    """Cut after event 8, though its provenance still says the execution completed."""
    doc = {"events": _events()[:8], "replaycheck": {"workflowId": "w", "status": "COMPLETED"}}
    return json.dumps(doc).encode()


def _event_after_close() -> bytes:
    events = _events()
    extra = {**events[4], "eventId": str(len(events) + 1)}  # a workflow task after completion
    return json.dumps({"events": [*events, extra]}).encode()


def _lost_event(kind: str, nth: int) -> bytes:
    """The ``nth`` event of type ``kind`` dropped and the later ids renumbered, so they still
    ascend by one: temporalio's Replayer waited forever on such a history."""
    events = _events()
    events.remove([e for e in events if e["eventType"] == kind][nth - 1])
    for number, event in enumerate(events, start=1):
        event["eventId"] = str(number)
    return json.dumps({"events": events}).encode()


MALFORMED: dict[str, tuple[bytes, str]] = {
    "lost-task-started": (
        _lost_event("EVENT_TYPE_WORKFLOW_TASK_STARTED", 2),
        "event 9 (WorkflowTaskCompleted) names event 9 as its WorkflowTaskStarted, but event 9 "
        "is not an earlier WorkflowTaskStarted: the history has lost or reordered events; "
        "export it again",
    ),
    "lost-activity-scheduled": (
        _lost_event("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", 1),
        "event 5 (ActivityTaskStarted) names event 5 as its ActivityTaskScheduled, but event 5 "
        "is not an earlier ActivityTaskScheduled: the history has lost or reordered events; "
        "export it again",
    ),
    "lost-task-completed": (
        _lost_event("EVENT_TYPE_WORKFLOW_TASK_COMPLETED", 2),
        "event 9 (WorkflowTaskStarted) is followed by a WorkflowExecutionCompleted, not by the "
        "end of its workflow task (WorkflowTaskCompleted, Failed or TimedOut): the history has "
        "lost or reordered events; export it again",
    ),
    "lost-task-scheduled": (
        _lost_event("EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", 1),
        "event 2 (WorkflowTaskStarted) names event 2 as its WorkflowTaskScheduled, but event 2 "
        "is not an earlier WorkflowTaskScheduled",
    ),
    "cut-off-though-completed": (
        _cut_off_though_completed(),
        "captured as COMPLETED: the file is cut off",
    ),
    "event-after-close": (_event_after_close(), "has events after the workflow's close event"),
    "empty-events": (b'{"events": []}', "has no events"),
    "started-only": (_started_only(), "no completed workflow task"),
    "missing-started": (_missing_started(), "not WorkflowExecutionStarted"),
    "reversed": (_reversed(), "not WorkflowExecutionStarted"),
    "bare-list": (json.dumps(_events()).encode(), "bare JSON list"),
    "not-a-history": (b'{"name": "tenant", "plan": "gold"}', "no 'events' list"),
    "truncated": (COMPLETE.read_bytes()[:1500], "not valid JSON"),
    "zero-bytes": (b"", "is empty"),
    "binary-junk": (bytes(range(256)) * 4, "neither UTF-8 JSON nor gzip"),
    "utf16": (COMPLETE.read_text().encode("utf-16"), "UTF-16"),
    "events-not-list": (b'{"events": {"a": 1}}', "'events' is not a list"),
    "bad-event-field": (b'{"events": [{"eventId": "x"}]}', "not a valid Temporal history"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_history_is_one_line_error(name: str, tmp_path: Path) -> None:
    data, reason = MALFORMED[name]
    path = tmp_path / f"{name}.json"
    path.write_bytes(data)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert reason in info.value.reason
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_reordered_middle_events_are_rejected(tmp_path: Path) -> None:
    events = _events()
    events[3], events[4] = events[4], events[3]
    path = tmp_path / "swapped.json"
    path.write_text(json.dumps({"events": events}))
    with pytest.raises(HistoryError, match="reordered or has gaps"):
        read_history(path)


@pytest.mark.parametrize("suffix", [".json", ".json.gz", ".binpb"])
def test_written_history_round_trips(suffix: str, tmp_path: Path) -> None:
    original = read_history(COMPLETE)
    path = tmp_path / f"wf-1{suffix}"
    provenance = Provenance(workflow_id="wf-a", workflow_type="SayHello", status="COMPLETED")
    write_history(path, original.history.events, provenance=provenance)
    again = read_history(path)
    assert list(again.history.events) == list(original.history.events)
    expected_id = "wf-1" if suffix == ".binpb" else "wf-a"
    assert again.info.workflow_id == expected_id


def test_written_json_is_deterministic_and_readable_by_temporalio(tmp_path: Path) -> None:
    from temporalio.client import WorkflowHistory

    events = read_history(COMPLETE).history.events
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    write_history(first, events, provenance=Provenance(workflow_id="a"))
    write_history(second, events, provenance=Provenance(workflow_id="a"))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().endswith(b"}\n")
    assert list(WorkflowHistory.from_json("a", first.read_text()).events) == list(events)


def test_gzip_with_json_suffix_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_bytes(gzip.compress(COMPLETE.read_bytes()))
    assert read_history(path).info.events == 11


def test_get_history_response_wrapper_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"history": {"events": _events()}}))
    assert read_history(path).info.events == 11


def _shorthand(value: object) -> object:
    """``value`` with each ``{"payloads": [...]}`` written as Temporal's HTTP API writes it by
    default: the list of the values themselves."""
    if isinstance(value, dict):
        if set(value) == {"payloads"}:
            return [json.loads(base64.b64decode(p["data"])) for p in value["payloads"]]
        return {k: _shorthand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorthand(v) for v in value]
    return value


def test_http_api_payload_shorthand_says_how_to_save_the_history(tmp_path: Path) -> None:
    # `curl .../api/v1/namespaces/default/workflows/ID/history` on the server's HTTP port:
    # payloads as bare JSON values. It was "events[0]....input: expected object, got list".
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"history": {"events": _shorthand(_events())}}))
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert info.value.reason == (
        "holds its payloads in the shorthand of Temporal's HTTP API "
        "(events[0].workflowExecutionStartedEventAttributes.input is a list of values, not "
        '{"payloads": [...]}), which leaves out how each value was encoded; save the history '
        "with `temporal workflow show --output json`, `replaycheck export` or the Temporal UI's "
        "Download instead"
    )


def test_discover_walks_directories_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "T").mkdir()
    for name in ("b.json", "a.json.gz", "c.binpb", ".tmp.json", "notes.txt"):
        (tmp_path / "T" / name).write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.json").write_bytes(b"x")
    found = [p.name for p in discover([tmp_path])]
    assert found == ["a.json.gz", "b.json", "c.binpb"]


def test_discover_follows_symlinked_directories_once(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "a.json").write_bytes(b"x")
    root = tmp_path / "histories"
    root.mkdir()
    (root / "linked").symlink_to(shared, target_is_directory=True)  # as pytest collects it
    (root / "linked-again").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(root, target_is_directory=True)  # a cycle ends
    found = discover([root])
    assert [p.name for p in found] == ["a.json"]


def test_discover_fails_on_empty_directory_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(NoHistoriesError, match="no history files"):
        discover([tmp_path])
    with pytest.raises(NoHistoriesError, match="does not exist") as missing:
        discover([tmp_path / "nope"])
    # where a path may have come from, and what a configured one is relative to
    for where in ("--replaycheck-histories", "[tool.replaycheck]", "relative to that pyproject"):
        assert where in str(missing.value)


def test_workflow_id_from_name() -> None:
    assert workflow_id_from_name("x/prov-acme.json.gz") == "prov-acme"
    assert workflow_id_from_name("prov.v2.binpb") == "prov.v2"
    # export's name for an earlier run of the id; an id may hold an "@" of its own
    run = "01a23400-14c5-75f0-8b96-bd215bba093b"
    assert workflow_id_from_name(f"chain@{run}.binpb") == "chain"
    assert workflow_id_from_name("ann@example.com.json") == "ann@example.com"


def _with_event(index: int, **changes: object) -> dict[str, object]:
    events = _events()
    events[index] = {**events[index], **changes}
    return {"events": events}


@pytest.mark.parametrize(
    ("event_type", "shown"),
    [
        ("EVENT_TYPE_BOGUS", "the unknown event type 'EVENT_TYPE_BOGUS'"),
        ("Bogus", "the unknown event type 'Bogus'"),  # tctl's PascalCase dialect
        ("EVENT_TYPE_UNSPECIFIED", "no event type (EVENT_TYPE_UNSPECIFIED)"),
        (999, "the unknown event type 999"),
    ],
)
def test_unknown_event_type_is_rejected_naming_the_event(
    event_type: object, shown: str, tmp_path: Path
) -> None:
    path = tmp_path / "h.json"
    path.write_text(json.dumps(_with_event(4, eventType=event_type)))
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert info.value.reason.startswith(f"is not a valid Temporal history: event 5 has {shown}")


@pytest.mark.parametrize("event_type", [0, 999])
def test_unknown_event_type_in_binary_protobuf_is_rejected(event_type: int, tmp_path: Path) -> None:
    history = read_history(COMPLETE).history
    history.events[4].event_type = event_type  # type: ignore[assignment]
    path = tmp_path / "h.binpb"
    path.write_bytes(history.SerializeToString())
    with pytest.raises(HistoryError, match="not a valid Temporal history: event 5 has "):
        read_history(path)


@pytest.mark.parametrize("junk", [b"\x08\x01", b"\x10\x05\x18\x07", b"hello world garbage"])
def test_bytes_that_parse_as_no_event_are_no_binary_history(junk: bytes, tmp_path: Path) -> None:
    """Protobuf parses many short byte strings (a varint under an unknown field number) as an empty
    message: that is junk, not a history exported without its events."""
    path = tmp_path / "h.binpb"
    path.write_bytes(junk)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert info.value.reason == (
        "is not a binary temporal.api.history.v1.History protobuf; export it again "
        "(`replaycheck export --binpb`)"
    )


@pytest.mark.parametrize(
    ("name", "content", "fix"),
    [
        ("h.binpb", "json", "rename it to h.json"),
        ("h.binpb", "json.gz", "rename it to h.json.gz"),
        ("h.json", "binpb", "rename it to h.binpb"),
        ("h.json.gz", "binpb.gz", "decompress it (gunzip) and name it h.binpb"),
    ],
)
def test_a_history_under_the_other_formats_ending_says_the_name_to_give_it(
    name: str, content: str, fix: str, tmp_path: Path
) -> None:
    """A history saved under the wrong ending (as by a rename or `-o` by hand) is read by the
    reader its name picks: the error names the file's real format and the name that reads it."""
    data = COMPLETE.read_bytes()
    if content.startswith("binpb"):
        data = read_history(COMPLETE).history.SerializeToString()
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if content.endswith(".gz") else data)
    with pytest.raises(HistoryError) as info:
        read_history(path)
    real = "history JSON" if content.startswith("json") else "a binary temporal.api.history"
    assert info.value.reason.startswith(f"holds {real}")
    assert info.value.reason.endswith(f": {fix}")
    path.rename(tmp_path / fix.split()[-1])
    if not fix.startswith("decompress"):
        assert read_history(tmp_path / fix.split()[-1]).info.events == 11


def test_started_event_without_attributes_is_not_a_valid_history(tmp_path: Path) -> None:
    events = _events()
    events[0].pop("workflowExecutionStartedEventAttributes")
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"events": events}))
    with pytest.raises(HistoryError) as info:
        read_history(path)
    assert info.value.reason.startswith("is not a valid Temporal history: its ")
    assert "carries no workflow type" in info.value.reason


def test_gz_name_without_gzip_content_says_so(tmp_path: Path) -> None:
    path = tmp_path / "h.json.gz"
    path.write_bytes(b"hello")
    with pytest.raises(HistoryError, match="is not gzip-compressed, though its name ends in"):
        read_history(path)
    path.write_bytes(COMPLETE.read_bytes())  # plain history JSON under a .gz name still reads
    assert read_history(path).info.events == 11


def test_upper_case_suffixes_are_histories_in_a_directory_too(tmp_path: Path) -> None:
    shutil.copy(COMPLETE, tmp_path / "H.JSON")
    assert discover([tmp_path]) == [tmp_path / "H.JSON"]
    assert read_history(tmp_path / "H.JSON").info.events == 11


def test_an_empty_gzip_name_is_empty_not_a_bad_gzip(tmp_path: Path) -> None:
    (tmp_path / "h.json.gz").write_bytes(b"")
    with pytest.raises(HistoryError, match="is empty"):
        read_history(tmp_path / "h.json.gz")


def test_a_symlink_loop_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "a.json").symlink_to(tmp_path / "b.json")
    (tmp_path / "b.json").symlink_to(tmp_path / "a.json")
    with pytest.raises(HistoryError, match="is a symlink loop"):
        read_history(tmp_path / "a.json")
    with pytest.raises(NoHistoriesError, match=r"a\.json is a symlink loop"):
        discover([tmp_path / "a.json"])


def test_a_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    # Reading a fifo blocks until someone writes: it must be refused before it is opened.
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(HistoryError, match="is not a regular file"):
        read_history(fifo)
    with pytest.raises(NoHistoriesError, match=r"fifo\.json is not a regular file"):
        discover([fifo])
    assert discover([tmp_path]) == [fifo]  # in a directory: collected, to get its error verdict


def test_an_unreadable_directory_is_an_error_not_a_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # os.walk skips a directory it cannot list unless told; its histories would vanish from a
    # green run. It is found in its place, and reading it gives the reason and the fix.
    # (Simulated: the tests may run as root, which reads any directory;
    # tests/test_bad_input_permissions.py denies it for real.)
    (tmp_path / "locked").mkdir()
    shutil.copy(COMPLETE, tmp_path / "a.json")
    shutil.copy(COMPLETE, tmp_path / "locked" / "b.json")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert discover([tmp_path]) == [tmp_path / "a.json", tmp_path / "locked"]
    with pytest.raises(HistoryError) as raised:
        read_history(tmp_path / "locked")
    assert raised.value.reason == (
        "cannot read the directory (Permission denied); its histories are left out: fix its "
        "permissions (and those of the directories above it), run as a user who can list it, "
        "or leave it out of the paths"
    )


def test_broken_symlink_is_named_as_given(tmp_path: Path) -> None:
    link = tmp_path / "dangling.json"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(HistoryError, match="is a broken symlink"):
        read_history(link)
    with pytest.raises(NoHistoriesError, match=f"{link} is a broken symlink"):
        discover([link])


def test_written_files_get_the_usual_mode_for_new_files(tmp_path: Path) -> None:

    old = os.umask(0o027)
    try:
        path = write_history(tmp_path / "T" / "wf.json", read_history(COMPLETE).history.events)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o640
    path.chmod(0o604)  # replacing a file keeps its mode
    write_history(path, read_history(COMPLETE).history.events)
    assert path.stat().st_mode & 0o777 == 0o604


def test_writing_removes_stale_temp_files_of_a_killed_run(tmp_path: Path) -> None:
    import time

    events = read_history(COMPLETE).history.events
    stale = tmp_path / ".wf-1.json.k3j_a9zq.tmp"  # as atomic_write names its temp files
    fresh = tmp_path / ".wf-2.json.b8c1x0aa.tmp"  # may be another run writing right now
    other = tmp_path / ".notes.txt.k3j_a9zq.tmp"  # not a history's: not ours to judge
    for path in (stale, fresh, other):
        path.write_bytes(b"{")
    hours_ago = time.time() - 2 * 3600
    for path in (stale, other):
        os.utime(path, (hours_ago, hours_ago))
    write_history(tmp_path / "wf-3.json", events)
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert (tmp_path / "wf-3.json").exists()


@pytest.mark.parametrize(
    ("first_line", "shown"),
    [
        ("return await workflow.execute_activity(", "return await workflow.execute_activity(…)"),
        ("x = charge([", "x = charge([…])"),
        ('log("(", [1, {', 'log("(", [1, {…}])'),  # the bracket in the string is no bracket
        ('s = "a\\"(" + g(', 's = "a\\"(" + g(…)'),
        ("done()", "done()"),
    ],
)
def test_a_statement_cut_at_its_first_line_has_its_brackets_closed(
    first_line: str, shown: str
) -> None:
    from replaycheck._code_failure import _statement_start

    assert _statement_start(first_line) == shown


SOURCE_READINGS = """\
async def run(o):
    await execute_activity(audit, o)
    match o.kind:
        case "vip":
            await execute_activity(charge, o)
        case _:
            await execute_activity(charge, o)
    await execute_child_workflow(PackOrder.run, o)
    try:
        await sleep(1)
    except CancelledError:
        await execute_activity(cleanup, o)
        try:
            pass
        except ValueError:
            raise
        def later():
            raise RuntimeError
    async with self.timeout():
        await execute_activity(charge, o)
"""


def test_source_readings_on_match_children_handlers_and_with(tmp_path: Path) -> None:
    from replaycheck._source import statement_span
    from replaycheck._source_flow import count_calls_later, reraises_after

    code = tmp_path / "wf.py"
    code.write_text(SOURCE_READINGS)
    path = str(code)
    # a match after the line still runs one of its cases (only the cases of a match holding
    # the line are the other branches)
    assert count_calls_later(path, 2, {"charge"}) >= 1
    # a child passed as PackOrder.run is a call of PackOrder
    assert count_calls_later(path, 2, {"PackOrder"}) == 1
    # a raise in a nested try's handler or a nested function is no re-raise of this handler
    assert not reraises_after(path, 12, bare=True)
    assert not reraises_after(path, 12, bare=False)
    # only asyncio's timeout makes a with block one statement
    assert statement_span(path, 19) == (19, 19)


CHOICES = """\
async def run(o):
    step: Any = bill if o.vip else charge
    await workflow.execute_activity(step, o)
    await workflow.execute_activity(activity=lookup if o.new else find, arg=o)
    other = bill if o.vip else charge
    await workflow.execute_activity(fetch, o)
    again = bill if o.vip else charge
    again = fetch
    await workflow.execute_activity(again, o)
"""


def test_a_conditional_choice_through_an_annotated_variable_or_a_keyword(tmp_path: Path) -> None:
    from replaycheck._source_branches import conditional_choice

    code = tmp_path / "wf.py"
    code.write_text(CHOICES)
    assert conditional_choice(str(code), 3, {"charge"}) == (2, "o.vip")
    assert conditional_choice(str(code), 4, {"find"}) == (4, "o.new")
    # a choice assigned to a variable this call does not run is not its choice
    assert conditional_choice(str(code), 6, {"charge"}) is None
    # nor one the variable was assigned again since
    assert conditional_choice(str(code), 9, {"charge"}) is None


HELPERS = """\
class W:
    async def run(self, order):
        await self._step(charge, order)
        await self._step(order=order, step=acts.charge)
        await helper(charge, order)
        await self._step(*steps)
        await self._other(charge)
        await Base._step(self, fetch, order)

    async def _step(self, step, order):
        await workflow.execute_activity(step, order)

async def helper(step, order):
    await workflow.execute_activity(step, order)
"""


def test_a_helper_parameter_is_bound_to_what_its_caller_passes(tmp_path: Path) -> None:
    from replaycheck._source import SourceFrame
    from replaycheck._source_flow import bound_parameters

    code = tmp_path / "wf.py"
    code.write_text(HELPERS)

    def frame(line: int) -> SourceFrame:
        return SourceFrame(file=str(code), line=line, function="", code="")

    names = {"charge"}
    # a method called on self: its first argument is the step, not self
    assert bound_parameters(frame(11), frame(3), names) == {"step"}
    assert bound_parameters(frame(11), frame(4), names) == {"step"}  # by keyword, as acts.charge
    assert bound_parameters(frame(14), frame(5), names) == {"step"}  # a plain function
    assert bound_parameters(frame(11), frame(6), names) == set()  # unpacked: unknown
    assert bound_parameters(frame(11), frame(7), names) == set()  # a call of another function
    assert bound_parameters(frame(11), frame(3), {"bill"}) == set()
    # called on its class, the method is given self: fetch binds to step, not to order
    assert bound_parameters(frame(11), frame(8), {"fetch"}) == {"step"}


LATER = """\
async def _step(self, act, order, audited=False, then=None):
    if audited:
        await workflow.execute_activity(audit, order)
    await workflow.execute_activity(bill, order)
    self.done.append(act)
    try:
        await workflow.execute_activity(gateway, order)
    except ActivityError:
        await workflow.execute_activity(act, order)
    await workflow.execute_activity(activity=then, arg=order)
"""


def test_a_parameter_runs_later_only_in_a_command_outside_a_handler(tmp_path: Path) -> None:
    from replaycheck._source_flow import decided_by, parameters_of, runs_later

    code = tmp_path / "wf.py"
    code.write_text(LATER)
    path = str(code)
    assert parameters_of(path, 4) == {"act", "order", "audited", "then"}
    # passed on (append) or run in an except handler only: not run later
    assert not runs_later(path, 4, {"act"})
    # run by keyword after the statement
    assert runs_later(path, 4, {"then"})
    # the caller's flag decides whether the audit runs; the bill always runs
    assert decided_by(path, 3, {"audited"}) and not decided_by(path, 4, {"audited"})


def test_a_worker_whose_parent_is_already_gone_exits_at_once() -> None:
    import subprocess
    import sys

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    env = {**os.environ, "REPLAYCHECK_PARENT_PID": str(dead.pid)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "replaycheck._worker"], env=env, stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:  # its stdin stays open: only the parent check can end it
        assert worker.wait(timeout=30) == 1
    finally:
        worker.kill()
        assert worker.stdin is not None
        worker.stdin.close()


def test_an_installed_replaycheck_puts_nothing_before_the_standard_library_in_a_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Installed from a wheel, replaycheck's parent directory is site-packages: on the worker's
    # PYTHONPATH it would come before the standard library, and a module in it named like a
    # standard one (uuid.py) would shadow that one in the worker only.
    from replaycheck import _worker_launch as launch

    root = str(Path(launch.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    monkeypatch.setattr(launch, "_site_directories", lambda: {root})
    assert launch.worker_env()["PYTHONPATH"] == "/somewhere"
    monkeypatch.setattr(launch, "_site_directories", set)  # a source tree: it is needed
    assert launch.worker_env()["PYTHONPATH"] == os.pathsep.join([root, "/somewhere"])


def test_a_files_run_id_is_its_provenances(tmp_path: Path) -> None:
    # A reset run keeps its base run's original_execution_run_id in its started event: the
    # run export captured is the one its provenance names.
    from replaycheck.histories import Provenance, read_history, write_history

    events = read_history(COMPLETE).history.events
    base = read_history(COMPLETE).info.run_id
    path = write_history(tmp_path / "h.json", events, provenance=Provenance("w", run_id="r2"))
    assert read_history(path).info.run_id == "r2"
    plain = write_history(tmp_path / "p.json", events, provenance=Provenance("w"))
    assert read_history(plain).info.run_id == base


def test_a_cut_off_statement_is_not_put_in_a_fix() -> None:
    from replaycheck._fix_cases import statement_at
    from replaycheck._source import SourceFrame

    def frame(code: str) -> SourceFrame:
        return SourceFrame("wf.py", 3, "run", code)

    assert statement_at(frame("await workflow.sleep(5)")) == "await workflow.sleep(5)"
    assert statement_at(frame("await f(\n    a,\n)")) == "await f(\n    a,\n)"
    assert statement_at(frame("await workflow.execute_activity(\n...  (48 lines in all)")) == ""
    assert statement_at(None) == statement_at(frame("")) == ""
