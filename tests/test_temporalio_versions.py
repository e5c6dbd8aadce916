"""Older temporalio releases: the oldest one the package allows gives the verdicts and the
diagnoses the suite's gives, on every recorded change case.

The release is installed from the package index into a directory put first on ``PYTHONPATH``
(as ``tests/test_dependencies.py`` does for protobuf); ``replaycheck check --format json`` runs
once under it and once under the suite's temporalio, over ``tests/fixtures/changes``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from tests.conftest import REPO, install_into

CHANGES = REPO / "tests" / "fixtures" / "changes"
SOURCES = (str(REPO / "src"), str(REPO))
"""replaycheck's source and the repository (``tests.workflows``), after the installed release."""


def oldest_allowed() -> str:
    """The floor of the package's temporalio requirement (``temporalio>=X,<2``)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (requirement,) = (r for r in project["dependencies"] if r.startswith("temporalio"))
    found = re.search(r">=\s*([0-9.]+)", requirement)
    assert found, requirement
    return found[1] if found[1].count(".") == 2 else f"{found[1]}.0"


def check_json(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """``replaycheck check --format json`` over every change case, by history file name."""
    result = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check", "-w", "tests.workflows.changes_v2",
         str(CHANGES), "--format", "json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # nondeterministic histories: exit 1
    return {Path(r["path"]).name: r for r in json.loads(result.stdout)["results"]}


@pytest.fixture(scope="module")
def oldest(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """The oldest allowed temporalio, installed, and the environment that runs it first."""
    version = oldest_allowed()
    target = install_into(tmp_path_factory.mktemp("temporalio"), f"temporalio=={version}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), *SOURCES])}
    shown = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; print(m.version('temporalio'))"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == version
    return version, env


def test_the_main_job_runs_on_the_oldest_allowed_temporalio(
    oldest: tuple[str, dict[str, str]],
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check"], cwd=REPO, env=oldest[1],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(list((REPO / "fixtures" / "histories").rglob("*.json")))
    assert f"{count} histories: {count} ok" in result.stdout


def test_the_oldest_allowed_temporalio_gives_the_same_diagnoses(
    oldest: tuple[str, dict[str, str]],
) -> None:
    version, env = oldest
    newest = check_json({**os.environ, "PYTHONPATH": os.pathsep.join(SOURCES)})
    old = check_json(env)
    assert old.keys() == newest.keys() and len(old) > 100
    nexus_unchecked = []
    for name, result in newest.items():
        was = old[name]
        assert was["verdict"] == result["verdict"], (name, was["message"])
        diagnosis, old_diagnosis = result.get("diagnosis") or {}, was.get("diagnosis") or {}
        skipped = old_diagnosis.get("core_skipped") and not diagnosis.get("core_skipped")
        # where core passed the history, the code ran on after the change (more is known)
        fields = (
            ("event_id", "recorded_kind", "recorded_name", "commanded_kind", "commanded_name",
             "change", "patch_id", "location", "gate_frame")
            if skipped
            else diagnosis.keys() | old_diagnosis.keys()
        )  # fmt: skip
        for field in fields:
            assert old_diagnosis.get(field) == diagnosis.get(field), (name, field)
        if skipped:
            nexus_unchecked.append(name)
            # core compares Nexus operations from 1.35 on: replaycheck compares them itself
            assert f"the core of temporalio {version} does not compare them" in was["message"]
    assert sorted(nexus_unchecked) == [
        "change-RenameNexusService.json", "change-SwapNexusOperations.json",
    ]  # fmt: skip
    text = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check", "-w", "tests.workflows.changes_v2",
         str(CHANGES / "RenameNexusService")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    assert (
        "note: core replays this history without a failure: the core of the installed "
        f"temporalio {version} does not compare the service and name of Nexus operations"
    ) in text


SERVERS = """
import asyncio
from replaycheck.testing import dev_server, time_skipping_server

async def main():
    async with dev_server() as env:
        print("dev server", await env.client.count_workflows() is not None)
    async with time_skipping_server() as env:
        print("time-skipping server", env.supports_time_skipping)

asyncio.run(main())
"""


def test_the_test_servers_start_on_the_oldest_allowed_temporalio(
    oldest: tuple[str, dict[str, str]],
) -> None:
    # Before 1.35, temporalio's start_local and start_time_skipping take no start-up timeout.
    result = subprocess.run(
        [sys.executable, "-c", SERVERS], cwd=REPO, env=oldest[1],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["dev server True", "time-skipping server True"]
