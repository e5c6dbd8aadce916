"""``generate`` with a worker plugin that adds the workflows (``SimplePlugin(workflows=[...])``):
such a plugin is the new code, as for ``check``, and the baseline worker runs the baseline's
classes, not the new ones the plugin adds, nor the plugin's own activities."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from replaycheck.errors import ConfigError
from replaycheck.generate import Exploration, explore
from tests.test_generate import ACTIVITIES, V1, WORKFLOW, _git
from tests.workflows import plugin_workflows

from .conftest import REPO

ADD_UNSAFE = "tests.workflows.plugin_workflows:ADD_UNSAFE"
UNSAFE = "examples.provisioning.workflows_unsafe"
APPROVAL = "tests.workflows.approvals:Approval"


def assert_found_the_ungated_change(result: Exploration) -> None:
    """The change ``workflows_unsafe`` made to v1 without a gate, found as ``generate.md``
    shows it: the baseline worker ran v1's class (the plugin's unsafe one replays itself)."""
    assert result.exit_code == 1, result.render()
    (found,) = result.counterexamples
    assert found.verdict.diagnosis is not None
    assert found.verdict.diagnosis.recorded_name == "run_migrations"
    assert "code commanded:   activity 'verify_schema'" in result.render()


def test_the_baseline_worker_runs_the_baselines_classes_not_the_plugins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The plugin added the new code's classes to the baseline worker too, beside v1's of the
    # same workflow types: temporalio refused it ("More than one workflow named
    # TenantProvisioning"), an internal error under a traceback. Its activity ran in place of
    # the stand-in, which draws the outcomes.
    monkeypatch.setattr(plugin_workflows, "REAL_CALLS", [])
    result = explore(V1, new=[UNSAFE], plugins=[ADD_UNSAFE], workflow_type="TenantProvisioning",
                     max_examples=30)  # fmt: skip
    assert_found_the_ungated_change(result)
    assert plugin_workflows.REAL_CALLS == []


def test_a_configured_plugin_that_adds_the_workflows_is_the_new_code(tmp_path: Path) -> None:
    # generate wanted workflows = [...] ("no new workflow code"), where check takes the plugin.
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.replaycheck]\npythonpath = [{str(REPO)!r}]\nplugins = [{ADD_UNSAFE!r}]\n"
    )
    result = explore(V1, root=tmp_path, workflow_type="TenantProvisioning", max_examples=30)
    assert_found_the_ungated_change(result)
    everything = explore(V1, root=tmp_path, max_examples=1)  # every type both define
    assert everything.workflow_types == ("NotifyTenant", "TenantProvisioning")


PLUGIN = """\
from temporalio.plugin import SimplePlugin

from pkg.wf import Greeting

PLUGIN = SimplePlugin("greeting", workflows=[Greeting])
"""


def test_a_git_baseline_reads_the_modules_of_the_workflows_the_plugin_adds(
    tmp_path: Path,
) -> None:
    # With no workflows configured, the ref's version of the plugin's workflow module is the
    # baseline (the working tree's, which the plugin imports, is the new code).
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nplugins = ["pkg.plugin:PLUGIN"]\nhistories = ["fixtures/histories"]\n'
    )
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "acts.py").write_text(ACTIVITIES)
    (tmp_path / "pkg" / "plugin.py").write_text(PLUGIN)
    (tmp_path / "pkg" / "wf.py").write_text(WORKFLOW.format("first", "second"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    (tmp_path / "pkg" / "wf.py").write_text(WORKFLOW.format("second", "first"))
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "generate", "--baseline", "HEAD",
         "--max-examples", "15"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "history recorded: activity 'first'" in done.stdout
    assert "code commanded:   activity 'second'" in done.stdout


def test_a_git_baseline_with_only_an_installed_librarys_workflows_says_what_to_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        f"[tool.replaycheck]\npythonpath = [{str(REPO)!r}]\n"
        'plugins = ["tests.workflows.plugin_workflows:ADD_SAY_HELLO"]\n'
    )
    _git(tmp_path, "init", "-q")
    with pytest.raises(ConfigError) as raised:
        explore("git:HEAD", root=tmp_path, max_examples=1)
    assert str(raised.value) == (
        "the plugins (tests.workflows.plugin_workflows:ADD_SAY_HELLO) add no workflow defined "
        f"under {tmp_path.resolve()}, so a git baseline has no module to read; set workflows = "
        "[...] under [tool.replaycheck], or name the previous code's modules as the baseline."
    )


def test_the_baseline_writes_its_payloads_with_the_converter_a_plugin_sets(
    tmp_path: Path,
) -> None:
    # The plugin's converter (an encryption codec here, pydantic's in many projects) applied to
    # the replay, as it does to the worker's client, but not to the baseline's client: the
    # histories held payloads the worker would never write (json/plain).
    from tests.workflows.codec import ENCODING

    result = explore(V1, new=["examples.provisioning.workflows"], max_examples=5,
                     plugins=["tests.workflows.codec:codec_plugin"], save=tmp_path)  # fmt: skip
    assert result.ok, result.render()
    saved = sorted(tmp_path.rglob("*.json"))
    assert saved
    for path in saved:
        started = json.loads(path.read_text())["events"][0]
        payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
        assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING, path


def test_a_baseline_worker_that_stops_ends_the_run_at_once_in_one_sentence() -> None:
    # The worker's failure went unseen: every example waited out its timeout (10 s each),
    # then the run generated nothing and passed.
    result = explore(V1, new=[V1], plugins=["tests.workflows.plugin_workflows:STOPS_THE_WORKER"],
                     workflow_type="TenantProvisioning", max_examples=3)  # fmt: skip
    assert result.exit_code == 2, result.render()
    (error,) = result.errors
    assert error == (
        "TenantProvisioning: generate could not start: the baseline worker stopped before it "
        "ran a workflow task (RuntimeError: the metrics agent is not running); fix what stopped "
        "it (the worker plugins and interceptors you configure run in it) and run again"
    )
    assert result.examples == 1
    # it generated nothing, so it says nothing of what replays
    assert result.render().endswith(": nothing was checked: 1 error above stopped it.\n")


def test_a_baseline_worker_that_stops_mid_run_ends_it_at_that_example() -> None:
    result = explore(V1, new=[V1], plugins=["tests.workflows.plugin_workflows:stops_mid_run"],
                     workflow_type="TenantProvisioning", max_examples=3)  # fmt: skip
    assert result.exit_code == 2, result.render()
    (error,) = result.errors
    assert error.startswith(
        "TenantProvisioning: generate stopped: the baseline worker stopped (RuntimeError: the "
        "metrics agent went away) while running example generated-TenantProvisioning-1 of "
        "workflow type TenantProvisioning; fix what stopped it"
    )
    assert result.examples == 1 and not result.counterexamples


# "thread": the signal method's exception lands in the waiting update, which then ends as the
# fix would, so only a hard stop shows the wait.
@pytest.mark.timeout(120, method="thread")
def test_an_update_sent_to_a_stopped_baseline_worker_ends_the_run_without_its_timeout() -> None:
    # The update waited out the example timeout (600 s here) for a worker that was gone.
    result = explore(APPROVAL, new=[APPROVAL],
                     plugins=["tests.workflows.plugin_workflows:stops_at_an_update"],
                     workflow_type="Approval", max_signals=0, max_updates=1,
                     example_timeout=600, max_examples=20)  # fmt: skip
    assert result.exit_code == 2, result.render()
    (error,) = result.errors
    assert error.startswith(
        "Approval: generate stopped: the baseline worker stopped (RuntimeError: the metrics "
        "agent went away) while running example generated-Approval-"
    )
    assert "fix what stopped it" in error
    # it stopped at the example that sent the update (the first examples drew none)
    stopped_at = int(error.split("generated-Approval-")[1].split()[0])
    assert result.examples == stopped_at < 20 and not result.counterexamples
