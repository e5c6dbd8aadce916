"""Many history items that could not be checked for one reason: pytest's summary names each
reason once, and an error whose reason one above shows in full points to it (each item still
fails, and its JUnit XML failure still holds its whole message)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fnmatch import fnmatch

import pytest

from tests.test_error_reasons import ONLY_PROVISIONING, UNREGISTERED, copies
from tests.test_plugin import configure

pytest_plugins = ["pytester"]

POINTER = (
    "      same reason as fixtures/histories/NotifyTenant/notify-00?.json::replay, whose error "
    "above shows it; -v (or --tb=long) shows this one in full, as --junitxml does"
)
"""How an error whose reason the first one shows in full points to it (an fnmatch pattern:
under xdist, the first to come may be any)."""


@pytest.fixture(autouse=True)
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The output counted here is a terminal's: on CI (``$CI``, ``$BUILD_NUMBER``) pytest's
    short summary repeats each failure's whole message too."""
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("BUILD_NUMBER", raising=False)


@pytest.fixture(params=[[], ["-n", "2"]], ids=["serial", "xdist"])
def xdist_args(request: pytest.FixtureRequest) -> list[str]:
    return list(request.param)


def _project(pytester: pytest.Pytester, count: int = 5) -> None:
    """``count`` histories of a workflow type no configured class serves, and two empty files."""
    histories = pytester.path / "fixtures" / "histories"
    copies(histories, count)
    for name in ("a", "b"):
        (histories / f"{name}.json").write_text("")
    configure(pytester, ONLY_PROVISIONING, "fixtures/histories")


def test_the_summary_names_each_reason_once_with_its_items(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    _project(pytester)
    result = pytester.runpytest(*xdist_args)
    result.assert_outcomes(failed=7)  # every item fails on its own
    result.stdout.fnmatch_lines(
        [
            "7 errors from 2 reasons; each reason's first error above shows it in full, the "
            "others point to it (-v or --tb=long: each in full):",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "reason ? of 2, 2 histories: is empty; export the history again",
            "  errored: fixtures/histories/?.json::replay, fixtures/histories/?.json::replay",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            f"reason ? of 2, 5 histories: {UNREGISTERED} (registered: TenantProvisioning); add *",
            "  errored: fixtures/histories/NotifyTenant/notify-00?.json::replay, "
            "fixtures/histories/NotifyTenant/notify-00?.json::replay, "
            "fixtures/histories/NotifyTenant/notify-00?.json::replay and 2 more",
        ]
    )
    result.stdout.fnmatch_lines(["Histories with errors could not be replayed to the end: *"])


def test_a_repeated_error_points_to_the_one_shown_in_full(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    _project(pytester)
    result = pytester.runpytest(*xdist_args)
    text = result.stdout.str()
    assert text.count(UNREGISTERED) == 2  # the first error's, the reason's line
    assert text.count("_ replay fixtures/histories/NotifyTenant/notify-") == 5  # each its own
    lines = result.outlines
    pointers = [at for at, line in enumerate(lines) if fnmatch(line, POINTER)]
    assert len(pointers) == 4
    pytest.LineMatcher(lines[pointers[0] - 1 : pointers[0] + 1]).fnmatch_lines(
        ["ERROR fixtures/histories/NotifyTenant/notify-00?.json", POINTER], consecutive=True
    )
    assert text.count("      workflow NotifyTenant, id notify-") == 1  # the first error's
    assert text.count("same reason as fixtures/histories/") == 5


@pytest.mark.parametrize("full", [["-v"], ["--tb=long"]], ids=["-v", "--tb=long"])
def test_v_or_tb_long_shows_every_error_in_full(
    pytester: pytest.Pytester, xdist_args: list[str], full: list[str]
) -> None:
    _project(pytester)
    result = pytester.runpytest(*full, *xdist_args)
    text = result.stdout.str()
    assert "same reason as" not in text
    assert text.count(UNREGISTERED) == 6  # each of its five errors, and the reason's line
    result.stdout.fnmatch_lines(["7 errors from 2 reasons, each error above in full:"])


def _failures(pytester: pytest.Pytester) -> list[tuple[str, str]]:
    root = ET.parse(pytester.path / "report.xml").getroot()
    return sorted((f.get("message") or "", f.text or "") for f in root.iter("failure"))


def test_the_junit_xml_holds_each_errors_whole_message(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    _project(pytester)
    result = pytester.runpytest("--junitxml=report.xml", "-v", *xdist_args)
    in_full = _failures(pytester)
    result = pytester.runpytest("--junitxml=report.xml", *xdist_args)
    assert result.stdout.str().count("same reason as ") == 5
    assert _failures(pytester) == in_full  # as the run that shortened nothing wrote them
    assert len(in_full) == 7
    assert sum(UNREGISTERED in text for _, text in in_full) == 5
    assert all("same reason" not in text for _, text in in_full)


def test_no_reason_lines_when_each_error_has_its_own(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    _project(pytester, count=1)
    result = pytester.runpytest("-k", "notify or a.json", *xdist_args)
    result.assert_outcomes(failed=2)
    assert "reason 1 of" not in result.stdout.str()
    assert "same reason as" not in result.stdout.str()
