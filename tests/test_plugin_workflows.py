"""Workflows registered only by a configured plugin (``SimplePlugin(workflows=[...])``, with
``workflows`` empty) are enough for ``check``, ``export`` and the pytest plugin; with no
workflow registered at all, each still says so (the replay worker, once the plugins are made)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import COMPLETE, REPO
from tests.test_export import invoke

pytest_plugins = ["pytester"]

PLUGINS = "tests.workflows.plugin_workflows"
GATE = "tests.workflows.gate_after_signal:GateAfterSignalV2"
NONE_REGISTERED = (
    f"no workflow is registered: none are configured and the plugins ({PLUGINS}:ADDS_NONE) add "
    "none; set workflows = [...] under [tool.replaycheck], or configure a plugin that adds "
    "workflows."
)


def configure(where: Path, plugin: str | None) -> None:
    """A ``[tool.replaycheck]`` with ``COMPLETE`` as its histories, no workflows, and
    ``plugin`` (a name in :data:`PLUGINS`) as its plugins."""
    plugins = f'plugins = ["{PLUGINS}:{plugin}"]\n' if plugin else ""
    (where / "pyproject.toml").write_text(
        f"[tool.replaycheck]\nhistories = [{str(COMPLETE)!r}]\npythonpath = [{str(REPO)!r}]\n"
        + plugins
    )


def test_check_replays_the_workflows_a_configured_plugin_adds(tmp_path: Path) -> None:
    configure(tmp_path, "ADD_SAY_HELLO")
    result = invoke("check", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "1 history: 1 ok" in result.stdout


def test_patches_reads_the_gates_of_the_workflows_a_configured_plugin_adds(
    tmp_path: Path,
) -> None:
    # patches reads the call sites from the source of the registered workflows: with those of a
    # plugin alone it saw only the calls the replay met (no PATCH_ID, marked observed), and
    # would miss a gate no history reached yet. The report is the one -w gives.
    fixtures = REPO / "fixtures" / "histories"
    reports = []
    for name, setting in (("plugin", f'plugins = ["{PLUGINS}:ADD_PROVISIONING"]'),
                          ("workflows", 'workflows = ["examples.provisioning.workflows"]')):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(
            f"[tool.replaycheck]\nhistories = [{str(fixtures)!r}]\n"
            f"pythonpath = [{str(REPO)!r}]\n{setting}\n"
        )
        result = invoke("patches", "--format", "json", cwd=tmp_path / name)
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.stdout))
    by_plugin, configured = reports
    (site,) = by_plugin["patches"][0]["call_sites"]
    assert (site["expression"], site["observed"]) == ("PATCH_ID", False)
    assert by_plugin == configured


@pytest.mark.server
def test_patches_live_reads_the_gates_of_the_workflows_a_configured_plugin_adds(
    lifecycle_histories: Path, dev_server: object, tmp_path: Path
) -> None:
    # patches --live learns the workflows a plugin adds from the replay worker, as it does over
    # files: the report, its default query included, is the one -w gives.
    from replaycheck.testing import server_address

    address = server_address(dev_server)  # type: ignore[arg-type]
    reports = []
    for name, setting in (("plugin", f'plugins = ["{PLUGINS}:ADD_GATE"]'),
                          ("workflows", f'workflows = ["{GATE}"]')):  # fmt: skip
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(
            f"[tool.replaycheck]\npythonpath = [{str(REPO)!r}]\n{setting}\n"
        )
        args = ("patches", "--live", "--address", address, "--format", "json")
        result = invoke(*args, cwd=tmp_path / name)
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.stdout))
    by_plugin, configured = reports
    (patch,) = by_plugin["patches"]
    assert [site["observed"] for site in patch["call_sites"]] == [False]
    assert by_plugin == configured


def test_a_workflow_both_configured_and_added_by_a_plugin_is_registered_once(
    tmp_path: Path,
) -> None:
    # A workflows module that imports the workflow a library's plugin adds (to start it as a
    # child) named it twice: temporalio refused it as the replay began ("More than one
    # workflow named ..."), and check said the worker exited while importing, with a traceback.
    fixtures = REPO / "fixtures" / "histories"

    def configure_both(workflows: str) -> None:
        (tmp_path / "pyproject.toml").write_text(
            f"[tool.replaycheck]\nhistories = [{str(fixtures)!r}]\n"
            f"pythonpath = [{str(REPO)!r}]\nworkflows = [{workflows!r}]\n"
            f'plugins = ["{PLUGINS}:ADD_PROVISIONING"]\n'
        )

    configure_both("examples.provisioning.workflows")  # the very classes the plugin adds
    result = invoke("check", cwd=tmp_path)
    assert result.exit_code == 0, result.output
    assert "14 histories: 14 ok" in result.stdout
    configure_both("examples.provisioning.workflows_v1")  # other classes of the same types
    result = invoke("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: workflow type 'TenantProvisioning' is registered twice: by "
        "examples.provisioning.workflows_v1.TenantProvisioningWorkflow (workflows) and by "
        "examples.provisioning.workflows.TenantProvisioningWorkflow, which the plugins "
        f"({PLUGINS}:ADD_PROVISIONING) add; leave one out, as your worker does.\n"
    )


def test_with_no_workflow_registered_check_and_export_say_so(tmp_path: Path) -> None:
    configure(tmp_path, "ADDS_NONE")
    checked = invoke("check", cwd=tmp_path)
    assert checked.exit_code == 2
    assert checked.stderr == f"replaycheck: error: {NONE_REGISTERED}\n"
    # Said before connecting: nothing listens there.
    exported = invoke("export", "--address", "127.0.0.1:1", "-o", tmp_path / "out", cwd=tmp_path)
    assert exported.exit_code == 2
    assert exported.stderr == f"replaycheck: error: {NONE_REGISTERED}\n"
    configure(tmp_path, None)  # nothing to ask a worker: said at once, as before
    checked = invoke("check", cwd=tmp_path)
    assert checked.exit_code == 2
    assert checked.stderr.startswith("replaycheck: error: no workflows configured; pass -w ")
    exported = invoke("export", "--address", "127.0.0.1:1", "-o", tmp_path / "out", cwd=tmp_path)
    assert exported.exit_code == 2
    assert "or configure workflows (-w MODULE" in exported.stderr


CALLS = f"""
def test_plugin_only(replaycheck):
    replaycheck.assert_ok({str(COMPLETE)!r}, [], plugins=["{PLUGINS}:ADD_SAY_HELLO"])

def test_configured_plugin(replaycheck):
    replaycheck.assert_ok({str(COMPLETE)!r}, None)
"""


@pytest.mark.parametrize("xdist", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_pytest_replays_the_workflows_a_configured_plugin_adds(
    pytester: pytest.Pytester, xdist: list[str]
) -> None:
    configure(pytester.path, "ADD_SAY_HELLO")
    pytester.makepyfile(test_calls=CALLS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", *xdist)
    result.assert_outcomes(passed=3)  # the history's item and the two calls
    result.stdout.fnmatch_lines(["replaycheck: histories *; workflows added by the plugins; *"])


def test_pytest_with_no_workflow_registered_says_so(pytester: pytest.Pytester) -> None:
    configure(pytester.path, "ADDS_NONE")
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret != 0
    assert NONE_REGISTERED in result.stdout.str() + result.stderr.str()
