"""``replaycheck.versioning.get_version``: Go's semantics on ``patched()`` markers, by replay.

The histories are recorded on the session's dev server by ``tests/workflows/record_lifecycle.py``:
one completed ``Versioned`` execution per code version of ``tests/workflows/versioned.py``
(before the change, then ``max_supported`` 1, 2 and 3).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from replaycheck._patch_scan import scan
from replaycheck.histories import read_history
from replaycheck.patches import VersionReport, analyze
from replaycheck.replay import ReplayJob, replay
from replaycheck.verdict import Verdict
from replaycheck.versioning import (
    DEFAULT_VERSION,
    UnsupportedVersionError,
    VersionRangeError,
    get_version,
    patch_id,
)
from tests.conftest import REPO

MODULE = "tests.workflows.versioned"
RECORDED = ("pre", "max1", "max2", "max3")
"""The code version each history was recorded with, oldest first."""
CODE = ("VersionedMax3", "VersionedMin2", "VersionedMax2", "VersionedBadRange")


# --------------------------------------------------------------------------- misuse


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        (3, 2, "min_supported is greater than max_supported"),
        (0, 2, "there is no version 0"),
        (-5, 2, "there is no version 0"),
        (DEFAULT_VERSION, 0, "max_supported must be 1 or more"),
        (True, 2, "min_supported must be an int"),
        (1, "2", "max_supported must be an int"),
    ],
)
def test_a_wrong_range_fails_before_anything_else(low: object, high: object, message: str) -> None:
    with pytest.raises(VersionRangeError, match="get_version") as info:
        get_version("steps", low, high)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_an_empty_change_id_is_a_misuse() -> None:
    with pytest.raises(VersionRangeError, match="change_id must be a non-empty string"):
        get_version("", DEFAULT_VERSION, 1)


def test_patch_ids_and_errors() -> None:
    assert patch_id("steps", 2) == "steps-v2"
    assert issubclass(VersionRangeError, ValueError)
    from temporalio.workflow import NondeterminismError

    assert issubclass(UnsupportedVersionError, NondeterminismError)


def test_imports_nothing_of_replaycheck_but_itself() -> None:
    code = (
        "import sys, replaycheck.versioning;"
        "print(sorted(m for m in sys.modules if m.startswith(('replaycheck', 'click'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['replaycheck', 'replaycheck.versioning']"


# --------------------------------------------------------------------------- replay

Replays = dict[str, dict[str, Verdict]]


@pytest.fixture(scope="session")
def versioned(lifecycle_histories: Path) -> Replays:
    """Verdicts (with patch facts) of every recorded history under each code version."""
    paths = tuple(str(lifecycle_histories / "versioned" / f"versioned-{n}.json") for n in RECORDED)

    def run(cls: str) -> dict[str, Verdict]:
        job = ReplayJob(
            paths=paths,
            workflows=(f"{MODULE}:{cls}",),
            import_paths=(str(REPO),),
            record_patches=True,
        )
        return dict(zip(RECORDED, replay(job), strict=True))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(CODE, pool.map(run, CODE), strict=True))


@pytest.mark.server
def test_each_step_recorded_one_marker(lifecycle_histories: Path) -> None:
    expected = ((), ("steps-v1",), ("steps-v2",), ("steps-v3",))
    for name, markers in zip(RECORDED, expected, strict=True):
        info = read_history(lifecycle_histories / "versioned" / f"versioned-{name}.json").info
        assert (info.patches, info.status) == (markers, "COMPLETED"), name


@pytest.mark.server
def test_histories_of_every_step_replay_under_the_newest_code(versioned: Replays) -> None:
    verdicts = versioned["VersionedMax3"]
    assert {n: v.verdict for n, v in verdicts.items()} == dict.fromkeys(RECORDED, "ok")
    for name, version in zip(RECORDED, (DEFAULT_VERSION, 1, 2, 3), strict=True):
        facts = verdicts[name].patches
        assert facts is not None
        answered = [(c.patch_id, c.result) for c in facts.calls]
        asked = [f"steps-v{n}" for n in range(3, max(version, 1) - 1, -1)]
        assert [a for a, _ in answered] == asked, name  # from the highest down, then stop
        assert [r for _, r in answered] == [f"steps-v{version}" == a for a in asked]
        assert all(c.replaying and c.get_version for c in facts.calls)


@pytest.mark.server
def test_raising_min_supported_past_a_recorded_version_fails_it(versioned: Replays) -> None:
    verdicts = versioned["VersionedMin2"]
    assert verdicts["max2"].ok and verdicts["max3"].ok
    assert verdicts["max1"].verdict == "error"
    assert verdicts["max1"].message == (
        "replay failed: get_version('steps', 2, 3): unsupported version: this execution "
        "recorded version 1, below min_supported 2; lower min_supported to 1 until no such "
        "execution may be replayed (replaycheck patches lists them)."
    )
    assert verdicts["pre"].verdict == "error"
    assert "reached the change before it existed (DEFAULT_VERSION), but min_supported is 2" in (
        verdicts["pre"].message
    )


@pytest.mark.server
def test_lowering_max_supported_below_a_recorded_version_fails_it(versioned: Replays) -> None:
    verdicts = versioned["VersionedMax2"]
    assert [n for n, v in verdicts.items() if not v.ok] == ["max3"]
    assert "recorded version 3, above max_supported 2" in verdicts["max3"].message


@pytest.mark.server
def test_min_above_max_fails_every_history_clearly(versioned: Replays) -> None:
    for verdict in versioned["VersionedBadRange"].values():
        assert verdict.verdict == "error"
        assert "get_version('steps', 3, 2): min_supported is greater than max_supported" in (
            verdict.message
        )


@pytest.mark.server
def test_get_version_imported_from_the_package_top_level_replays_alike(
    versioned: Replays, lifecycle_histories: Path, tmp_path: Path
) -> None:
    # The same code, importing from ``replaycheck`` itself, which loads the name on first use:
    # inside temporalio's sandbox too, and ``replaycheck patches`` finds its calls.
    source = (REPO / "tests" / "workflows" / "versioned.py").read_text()
    old = "from replaycheck.versioning import DEFAULT_VERSION, get_version"
    assert old in source
    new = "from replaycheck import DEFAULT_VERSION, get_version"
    (tmp_path / "versioned_top.py").write_text(source.replace(old, new))
    spec = "versioned_top:VersionedMax3"
    paths = tuple(str(lifecycle_histories / "versioned" / f"versioned-{n}.json") for n in RECORDED)
    job = ReplayJob(
        paths=paths,
        workflows=(spec,),
        import_paths=(str(tmp_path),),
        record_patches=True,
    )
    verdicts = dict(zip(RECORDED, replay(job), strict=True))
    assert {n: v.verdict for n, v in verdicts.items()} == dict.fromkeys(RECORDED, "ok")
    def answers(verdicts: dict[str, Verdict]) -> dict[str, list[tuple[str, bool, bool, int]]]:
        return {
            name: [(c.patch_id, c.result, c.get_version, c.line) for c in v.patches.calls]
            for name, v in verdicts.items()
            if v.patches is not None
        }

    assert answers(verdicts) == answers(versioned["VersionedMax3"])
    assert len(answers(verdicts)) == len(RECORDED)
    (site,) = scan([spec], [str(tmp_path)]).sites
    assert (site.kind, site.patch_id, site.min_supported, site.max_supported) == (
        "get_version", "steps", DEFAULT_VERSION, 3,
    )  # fmt: skip


# --------------------------------------------------------------------------- the report


def version_report(
    versioned: Replays, code: str, names: tuple[str, ...] = RECORDED
) -> VersionReport:
    sites = scan([f"{MODULE}:{code}"], [str(REPO)]).sites
    found = analyze([versioned[code][n] for n in names], sites)
    assert found.patches == ()  # the steps-vN ids are grouped under the change
    (change,) = found.changes
    return change


@pytest.mark.server
def test_report_lists_executions_by_version(versioned: Replays) -> None:
    change = version_report(versioned, "VersionedMax3")
    assert change.change_id == "steps"
    assert (change.min_supported, change.max_supported) == (-1, 3)
    by_version = {n: [r.workflow_id for r in refs] for n, refs in change.versions}
    expected = zip((-1, 1, 2, 3), RECORDED, strict=True)
    assert by_version == {n: [f"versioned-{r}"] for n, r in expected}
    assert change.verdict == "keep-versions"


@pytest.mark.server
def test_report_says_when_min_supported_can_be_raised(versioned: Replays) -> None:
    change = version_report(versioned, "VersionedMax3", ("max2", "max3"))
    assert change.verdict == "raise-min-supported"
    assert "raise min_supported to 2" in change.reason


@pytest.mark.server
def test_report_flags_versions_below_min_supported(versioned: Replays) -> None:
    change = version_report(versioned, "VersionedMin2")
    assert change.verdict == "unsupported-version"
    assert "recorded version DEFAULT_VERSION, 1, outside" in change.reason
