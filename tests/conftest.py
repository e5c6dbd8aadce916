"""Shared fixtures: paths to the repository's and the shared public histories."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "histories"
FIXTURES = REPO / "fixtures" / "histories"
SDK = SHARED / "sdk-python"
COMPLETE = SDK / "worker__test_replayer_complete_history.json"
NONDETERMINISTIC = SDK / "worker__test_replayer_nondeterministic_history.json"


@pytest.fixture(scope="session")
def shared_histories() -> Path:
    """``../shared/histories``: real public histories with documented outcomes."""
    if not SHARED.is_dir():
        pytest.fail(f"the shared public histories are missing at {SHARED}")
    return SHARED
