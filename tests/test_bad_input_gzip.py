"""A ``.gz`` file that is not gzip, and a gzip file that holds no history: each is named with
what it holds and what to do, an ``error`` verdict (exit status 2) from the command line and a
failing item from pytest, and the other histories are still checked."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from replaycheck.errors import HistoryError
from replaycheck.histories import read_history
from tests.conftest import FIXTURES, REPO
from tests.test_workflow_specs import run_check

pytest_plugins = ["pytester"]

ACME = FIXTURES / "TenantProvisioning" / "prov-acme-completed.json"
JUNK = bytes(range(7, 256)) * 4
EXPORT = "export it again (`replaycheck export --gzip`)"


def zipped(path: Path) -> bytes:
    """``path`` in a zip archive, as a browser or a chat tool may hand a history over."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.write(path, path.name)
    return out.getvalue()


CASES: dict[str, tuple[bytes, str]] = {
    "junk.json.gz": (
        JUNK,
        "is not gzip-compressed, though its name ends in .gz: it holds binary data (it starts "
        f"with 07 08 09 0a), not gzip-compressed history JSON; {EXPORT}",
    ),
    "zip.json.gz": (
        zipped(ACME),
        "is not gzip-compressed, though its name ends in .gz: it holds a zip archive, not "
        f"gzip-compressed history JSON; {EXPORT}",
    ),
    "cut.gz": (
        ACME.read_bytes()[:400],
        "is not gzip-compressed, though its name ends in .gz: it holds text that is not valid "
        "JSON (Unterminated string starting at line 12 column 21), not gzip-compressed history "
        f"JSON; {EXPORT}",
    ),
    "cut-off.json.gz": (
        gzip.compress(ACME.read_bytes())[:300],
        "is gzip-compressed, but cannot be decompressed (Compressed file ended before the "
        "end-of-stream marker was reached): the file is cut off or damaged; export it again",
    ),
    "gzip-of-junk.json.gz": (
        gzip.compress(JUNK),
        "is gzip-compressed, but decompressed it holds binary data (it starts with 07 08 09 "
        f"0a), not history JSON; {EXPORT}",
    ),
    "gzip-of-zip.gz": (
        gzip.compress(zipped(ACME)),
        f"is gzip-compressed, but decompressed it holds a zip archive, not history JSON; {EXPORT}",
    ),
    "twice.json.gz": (
        gzip.compress(gzip.compress(ACME.read_bytes())),
        "is gzip-compressed, but decompressed it holds gzip-compressed data (the file was "
        f"compressed twice), not history JSON; {EXPORT}",
    ),
    "gzip-of-junk.binpb.gz": (
        gzip.compress(JUNK),
        "is gzip-compressed, but decompressed it holds binary data (it starts with 07 08 09 "
        "0a), not a binary temporal.api.history.v1.History protobuf; export it again "
        "(`replaycheck export --binpb`)",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_what_a_gz_file_holds_is_named_with_the_fix(name: str, tmp_path: Path) -> None:
    data, reason = CASES[name]
    (tmp_path / name).write_bytes(data)
    with pytest.raises(HistoryError) as raised:
        read_history(tmp_path / name)
    assert raised.value.reason == reason
    assert str(raised.value) == f"{tmp_path / name}: {reason}"


def test_a_binary_history_under_a_binpb_gz_name_is_read_gzip_or_not(tmp_path: Path) -> None:
    """As plain history JSON under a ``.json.gz`` name is."""
    binary = read_history(ACME).history.SerializeToString()
    (tmp_path / "plain.binpb.gz").write_bytes(binary)
    assert read_history(tmp_path / "plain.binpb.gz").info.events == read_history(ACME).info.events
    (tmp_path / "plain.json.gz").write_bytes(binary)
    with pytest.raises(HistoryError) as raised:
        read_history(tmp_path / "plain.json.gz")
    assert raised.value.reason.endswith("not JSON: rename it to plain.binpb")


def test_a_binpb_gz_history_in_a_directory_is_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Read when named, it was passed over in a directory, where .json.gz is found.
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    binary = read_history(ACME).history.SerializeToString()
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "acme.binpb.gz").write_bytes(gzip.compress(binary))
    (tmp_path / "h" / "cut.binpb.gz").write_bytes(gzip.compress(binary)[:40])
    result = run_check(tmp_path, "-w", "examples.provisioning.workflows", "h")
    assert result.exit_code == 2
    assert result.stdout.startswith("ok    h/acme.binpb.gz  replayed all 41 events")
    assert "\nERROR h/cut.binpb.gz\n" in result.stdout
    assert "2 histories: 1 ok, 0 nondeterministic, 1 error" in result.stdout


def bad_and_good(directory: Path) -> None:
    """The bad ``.json.gz`` files of :data:`CASES` (discovered by their ending) beside ACME."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / ACME.name).write_bytes(ACME.read_bytes())
    for name in ("junk.json.gz", "gzip-of-junk.json.gz", "twice.json.gz"):
        (directory / name).write_bytes(CASES[name][0])


def test_check_reports_each_bad_gz_file_and_checks_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    bad_and_good(tmp_path / "h")
    result = run_check(tmp_path, "-w", "examples.provisioning.workflows", "h")
    assert result.exit_code == 2
    for name in ("junk.json.gz", "gzip-of-junk.json.gz", "twice.json.gz"):
        assert f"ERROR h/{name}\n      {CASES[name][1]}\n" in result.stdout
    assert "4 histories: 1 ok, 0 nondeterministic, 3 error" in result.stdout
    assert "Traceback" not in result.output


def test_pytest_fails_the_item_of_each_bad_gz_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the replay worker imports the example
    bad_and_good(pytester.path / "h")
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["h"]\n'
        'workflows = ["examples.provisioning.workflows"]\n',
    )
    result = pytester.runpytest_subprocess("-n", "0")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1, failed=3)
    for name in ("junk.json.gz", "gzip-of-junk.json.gz", "twice.json.gz"):
        result.stdout.fnmatch_lines([f"*{CASES[name][1]}"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
