"""The plugin under a pytest older than it supports (``replaycheck.plugin`` picks it): a run
that configures replaycheck is refused in one line, and every other run is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from replaycheck.plugin import TOO_OLD


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a run that configures replaycheck."""
    if _configured(config):
        raise pytest.UsageError(TOO_OLD)


@pytest.fixture
def replaycheck() -> None:
    """Fails its test: the fixture needs a newer pytest."""
    pytest.fail(str(TOO_OLD), pytrace=False)


def _configured(config: pytest.Config) -> bool:
    """Whether the run asks for replaycheck: on the command line (``--replaycheck=only`` too), in
    the ini file, or in a ``[tool.replaycheck]`` table (one that does not read counts: the run
    wanted it); ``--replaycheck=off`` says it does not."""
    from replaycheck.config import load_settings
    from replaycheck.errors import ReplaycheckError

    mode = config.getoption("replaycheck_mode")
    if mode in ("off", "only"):
        return bool(mode == "only")
    keys = ("histories", "workflows")
    if any(config.getoption(f"replaycheck_{key}") for key in keys):
        return True
    if any(config.getini(f"replaycheck_{key}") for key in keys):
        return True
    ini = getattr(config, "inipath", None) or getattr(config, "inifile", None)
    here = Path(str(config.invocation_params.dir))
    try:
        settings = load_settings(here, stop=Path(str(ini)).parent if ini else None)
    except ReplaycheckError:
        return True
    return bool(settings.histories)
