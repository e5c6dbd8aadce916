"""Generated histories (``replaycheck.generate``): the provisioning example, a git baseline, the
pytest decorator, and the history arithmetic underneath, without and with a test server."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from replaycheck._baseline import _rewrite
from replaycheck._scenario import close_status, open_work, pause_points
from replaycheck.errors import ConfigError, ReplaycheckError
from replaycheck.generate import Exploration, explore, given_histories, is_git_ref

from .conftest import FIXTURES, REPO

V1 = "examples.provisioning.workflows_v1"
EXAMPLES = 30


def _events(name: str) -> list[Any]:
    from replaycheck.histories import read_history

    return list(read_history(FIXTURES / "TenantProvisioning" / name).history.events)


# ----------------------------------------------------------------------- without a server


def test_pause_points_end_after_each_workflow_tasks_commands() -> None:
    events = _events("prov-acme-completed.json")
    points = pause_points(events)
    assert points[0] == 5  # started, task scheduled/started/completed, create_schema scheduled
    assert points[-1] == len(events)  # the last task's commands close the execution
    assert close_status(events) == "COMPLETED"
    assert close_status(events[: points[0]]) == "RUNNING"


def test_open_work_tracks_what_a_paused_execution_waits_for() -> None:
    events = _events("prov-acme-completed.json")
    first = open_work(events[: pause_points(events)[0]])
    assert [len(first[k]) for k in ("activity", "timer", "child", "workflow task")] == [1, 0, 0, 0]
    assert not any(open_work(events).values())


def test_imports_of_materialized_packages_are_renamed() -> None:
    source = textwrap.dedent(
        """\
        import os
        import pkg.acts
        import pkg.acts as acts, json
        from pkg.models import Thing as T, Other
        from other import x
        """
    )
    rewritten = _rewrite(source, {"pkg"}, "P")
    assert rewritten.splitlines() == [
        "import os",
        "import P.pkg.acts; from P import pkg",
        "import P.pkg.acts as acts; import json",
        "from P.pkg.models import Thing as T, Other",
        "from other import x",
    ]


@pytest.mark.parametrize(
    ("value", "ref"),
    [(V1, False), ("HEAD~1", True), ("origin/main", True), ("git:main", True), ("nope_x", True)],
)
def test_baseline_strings_name_modules_or_git_refs(value: str, ref: bool) -> None:
    assert is_git_ref(value, [str(REPO)]) is ref


@pytest.mark.parametrize("bad", [{"max_examples": 0}, {"max_steps": 0}, {"max_examples": 10**6}])
def test_limits_are_bounded(bad: dict[str, int]) -> None:
    with pytest.raises(ConfigError):
        explore(V1, **bad)


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"max_signals": -1}, "max_signals must be between 0 and 100."),
     ({"max_updates": 101}, "max_updates must be between 0 and 100.")],
)  # fmt: skip
def test_signal_and_update_limits_are_bounded(bad: dict[str, int], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        explore(V1, **bad)


def test_explore_takes_a_str_for_its_directories(tmp_path: Path) -> None:
    # explore(save="generated") stopped on "AttributeError: 'str' object has no attribute
    # 'exists'" from replaycheck's frames (root="." on "... no attribute 'resolve'"): a str
    # is how most Python callers write a path.
    missing = "examples.provisioning.nope"
    for given in ({"save": str(tmp_path / "generated")}, {"root": str(REPO)}):
        with pytest.raises(ConfigError, match=f"^baseline='{missing}' is neither a workflow"):
            explore(missing, **given)
    with pytest.raises(ConfigError) as raised:
        explore(V1, save=3)
    assert str(raised.value) == (
        "explore(save=...): expected a directory (a str or a Path), got int."
    )


def test_a_setting_that_is_not_there_shows_no_internal_traceback(tmp_path: Path) -> None:
    # "cannot load 'json:nope': AttributeError: ..." says all: its cause's traceback, printed
    # first ("The above exception was the direct cause ..."), showed only replaycheck's frames.
    # A module that fails as it runs keeps it: it shows the user's line that failed.
    import traceback

    from replaycheck.config import import_object

    def printed(spec: str) -> str:
        with pytest.raises(ConfigError) as raised:
            import_object(spec, [str(tmp_path)], "interceptors", python="interceptors=[...]")
        return "".join(traceback.format_exception(raised.value))

    for spec in ("json:nope", "examples.provisioning.nope:x", "nope.deeper:x"):
        assert printed(spec).count("Traceback (most recent call last)") == 1, spec
    with pytest.raises(ConfigError) as raised:  # from explore(): named as explore takes it
        explore(V1, new=["examples.provisioning.workflows"], interceptors="json:nope")
    assert str(raised.value).endswith(
        "check interceptors in [tool.replaycheck] or interceptors=[...] (--interceptor)."
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    # A setting neither explore() nor generate takes is named in [tool.replaycheck] alone, not
    # as "data_converter=[...] (--data-converter)", which neither has.
    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\ndata_converter = "json:nope"\n')
    with pytest.raises(ConfigError) as raised:
        explore(V1, new=["examples.provisioning.workflows"], root=tmp_path, max_examples=1)
    assert str(raised.value).endswith("; check data_converter in [tool.replaycheck]."), raised.value
    (tmp_path / "failing_codec.py").write_text("raise RuntimeError('no key in the vault')\n")
    text = printed("failing_codec:codec")
    assert "The above exception was the direct cause" in text
    assert 'failing_codec.py", line 1' in text


@pytest.mark.parametrize(
    ("bad", "message"),
    [({"interceptors": "myapp"}, "interceptors=[...] (--interceptor): interceptors must look "
      "like 'package.module:object', got 'myapp'."),
     ({"workflow_failure_exception_types": "OutOfStock"}, "workflow_failure_exception_types=[...] "
      "(--failure-exception-type): 'OutOfStock' is not a built-in exception; name your own "
      "class with its module, as 'package.module:OutOfStock'.")],
)  # fmt: skip
def test_a_bad_worker_setting_names_the_argument_and_the_option(
    bad: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        explore(V1, new=["examples.provisioning.workflows"], **bad)
    assert str(raised.value) == message


def test_the_command_line_names_its_options_alone_where_explore_names_its_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # generate said "pass new=[...] (--workflows)": an argument of explore(), not of the command
    from click.testing import CliRunner

    from replaycheck.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.replaycheck]\ntimeout = 30\n")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["generate", "--baseline", V1])
    assert done.exit_code == 2
    assert done.stderr == (
        "replaycheck: error: no new workflow code: pass --workflows MODULE, set workflows = "
        "[...] under [tool.replaycheck] in pyproject.toml, or configure a plugin that adds them.\n"
    )
    with pytest.raises(ConfigError, match=r"^no new workflow code: pass new=\[\.\.\.\] \("):
        explore(V1, root=tmp_path)
    bad = ["--interceptor", "myapp", "-w", "examples.provisioning.workflows"]
    done = CliRunner().invoke(main, ["generate", "--baseline", V1, *bad])
    assert done.stderr == (
        "replaycheck: error: --interceptor: interceptors must look like 'package.module:object', "
        "got 'myapp'.\n"
    )


@pytest.mark.parametrize("option", ["--max-signals", "--max-updates"])
def test_max_signals_and_updates_options_are_bounded_like_max_steps(option: str) -> None:
    from click.testing import CliRunner

    from replaycheck.cli import main

    done = CliRunner().invoke(main, ["generate", "--baseline", V1, option, "101"])
    assert done.exit_code == 2
    assert f"Invalid value for '{option}': 101 is not in the range 0<=x<=100." in done.stderr


def test_given_histories_hides_its_argument_from_pytest() -> None:
    import inspect

    @given_histories(V1)
    def test_x(tmp_path: Path, exploration: Exploration) -> None:
        """never run"""

    assert list(inspect.signature(test_x).parameters) == ["tmp_path"]


def test_explore_in_a_running_event_loop_says_to_call_it_in_a_thread() -> None:
    # An async test or a notebook: explore() cannot run its own loop in this thread.
    import asyncio

    async def in_a_loop() -> None:
        explore(V1, new=["examples.provisioning.workflows"], max_examples=1)

    with pytest.raises(ReplaycheckError) as raised:
        asyncio.run(in_a_loop())
    assert str(raised.value) == (
        "explore() runs an event loop of its own, and this thread already runs one (an async "
        "test, a notebook); call it in a thread of its own, await asyncio.to_thread(explore, "
        "baseline, ...), or from code that is not async."
    )


# ----------------------------------------------------------------------- with a test server


def test_explore_in_a_thread_from_a_running_event_loop_works() -> None:
    import asyncio

    async def in_a_loop() -> Exploration:
        return await asyncio.to_thread(
            explore, V1, new=["examples.provisioning.workflows"], workflow_type="NotifyTenant",
            max_examples=2,
        )  # fmt: skip

    result = asyncio.run(in_a_loop())
    assert result.ok, result.render()
    assert result.histories == 2


def test_activities_reached_through_a_module_get_their_result_types() -> None:
    from hypothesis import strategies as st

    from replaycheck._generate_setup import activity_strategies
    from tests.workflows.module_activities import ModuleActivities

    found = activity_strategies([ModuleActivities], {"charge": st.just("given")})
    assert repr(found["fetch"]) == repr(st.text())  # fetch() -> str, from acts.fetch
    assert repr(found["charge"]) == repr(st.just("given"))  # what the caller gives wins


def test_activities_without_a_result_type_are_named_in_a_warning() -> None:
    exploration = Exploration(
        workflow_types=("Orders",), examples=3, histories=3, shapes=1, seconds=1.0,
        untyped=("fraud_check",),
    )  # fmt: skip
    assert "warning: no result type found for activity fraud_check: its stand-in returned " \
        "None every time" in exploration.render()


def test_the_summary_counts_one_history_and_one_shape_in_the_singular() -> None:
    exploration = Exploration(
        workflow_types=("Orders",), examples=1, histories=1, shapes=1, seconds=1.0
    )  # fmt: skip
    assert "generated 1 history (1 distinct shape) for Orders in 1.0 s" in exploration.render()
    exploration = Exploration(
        workflow_types=("Orders",), examples=3, histories=3, shapes=1, seconds=1.0
    )  # fmt: skip
    assert "generated 3 histories (1 distinct shape) for Orders" in exploration.render()


def test_ungated_change_is_caught_and_shrinks_to_the_changed_call() -> None:
    result = explore(
        V1,
        new=["examples.provisioning.workflows_unsafe"],
        workflow_type="TenantProvisioning",
        max_examples=EXAMPLES,
    )
    assert not result.ok and result.exit_code == 1
    (found,) = result.counterexamples
    scenario = found.scenario
    # Task 1 schedules create_schema, task 2 run_migrations: the call the change replaced.
    assert scenario.paused and scenario.workflow_tasks == 2
    assert [c.activity for c in scenario.calls] == ["create_schema", "run_migrations"]
    assert found.verdict.verdict == "nondeterministic"
    assert found.verdict.diagnosis is not None
    assert found.verdict.diagnosis.recorded_name == "run_migrations"
    text = result.render()
    assert "paused mid-flight after workflow task 2" in text
    assert "code commanded:   activity 'verify_schema'" in text


def test_gated_change_passes_the_same_run() -> None:
    result = explore(
        V1,
        new="examples.provisioning.workflows",  # one module: a string will do
        workflow_type="TenantProvisioning",
        max_examples=EXAMPLES,
    )
    assert result.ok, result.render()
    assert result.histories >= EXAMPLES // 2 and result.shapes >= 3


@given_histories(
    V1, new=["examples.provisioning.workflows"], workflow_type="NotifyTenant", max_examples=10
)
def test_decorator_runs_the_body_with_the_exploration(exploration: Exploration) -> None:
    assert exploration.ok and exploration.workflow_types == ("NotifyTenant",)


# ----------------------------------------------------------------------- --baseline REF

WORKFLOW = """\
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pkg.acts import first, second


@workflow.defn
class Greeting:
    @workflow.run
    async def run(self, name: str) -> str:
        a = await workflow.execute_activity({0}, name, start_to_close_timeout=timedelta(seconds=5))
        b = await workflow.execute_activity({1}, name, start_to_close_timeout=timedelta(seconds=5))
        return f"{{a}} {{b}}"
"""
ACTIVITIES = """\
from temporalio import activity


@activity.defn
async def first(name: str) -> str:
    return name


@activity.defn
async def second(name: str) -> str:
    return name
"""


def _git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(params=["flat", "src"])
def two_commits(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A git repository whose second commit swaps two activities without a gate; the package
    at the top, or in a src layout (``pythonpath = ["src"]``)."""
    src = request.param == "src"
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["pkg.wf"]\nhistories = ["fixtures/histories"]\n'
        + ('pythonpath = ["src"]\n' if src else "")
    )
    package = tmp_path / "src" / "pkg" if src else tmp_path / "pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "acts.py").write_text(ACTIVITIES)
    (package / "wf.py").write_text(WORKFLOW.format("first", "second"))
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    (package / "wf.py").write_text(WORKFLOW.format("second", "first"))
    _git(tmp_path, "commit", "-q", "-am", "v2, ungated")
    return tmp_path


def test_generate_baseline_head_1_catches_the_previous_commits_histories(
    two_commits: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "generate", "--baseline", "HEAD~1",
         "--max-examples", "15", "--save"],
        cwd=two_commits, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "minimal scenario" in done.stdout
    assert "history recorded: activity 'first'" in done.stdout
    assert "code commanded:   activity 'second'" in done.stdout
    saved = sorted((two_commits / "fixtures" / "histories" / "Greeting").glob("generated-*.json"))
    assert saved and "saved" in done.stderr
    from replaycheck.histories import read_history

    assert read_history(saved[0]).info.workflow_type == "Greeting"
    status = subprocess.run(["git", "status", "--porcelain", "--", "*.py"], cwd=two_commits,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert status.stdout == ""  # the working tree is untouched


def test_a_reorder_found_paused_gets_the_fix_its_whole_execution_shows(two_commits: Path) -> None:
    # The minimal scenario pauses right after the first activity was scheduled, where the swap
    # reads like an added call; the execution went on to run 'first' after it: the fix gates
    # both calls, in the old order in the else, and applied as printed the run passes.
    result = explore("HEAD~1", root=two_commits, max_examples=15)
    (found,) = result.counterexamples
    assert found.scenario.status == "RUNNING" and "went on to" in "\n".join(found.scenario.render())
    diagnosis = found.verdict.diagnosis
    assert diagnosis is not None and diagnosis.change == "reordered"
    assert diagnosis.severity == "breaks in-flight executions"
    text = result.render()
    assert "traded places" in text and "else:" in text, text
    wf = two_commits / ("src" if (two_commits / "src").is_dir() else "") / "pkg" / "wf.py"
    call = "        {0} = await workflow.execute_activity({1}, name, start_to_close_timeout=T)\n"
    fixed = WORKFLOW.format("second", "first").split("    @workflow.run")[0] + (
        "    @workflow.run\n    async def run(self, name: str) -> str:\n"
        "        T = timedelta(seconds=5)\n"
        '        if workflow.patched("second-before-first"):\n'
        + "    " + call.format("b", "second") + "    " + call.format("a", "first")
        + "        else:\n"
        + "    " + call.format("a", "first") + "    " + call.format("b", "second")
        + '        return f"{a} {b}"\n'
    )  # fmt: skip
    wf.write_text(fixed)
    again = explore("HEAD~1", root=two_commits, max_examples=15)
    assert again.ok, again.render()


@pytest.mark.parametrize(
    ("baseline", "said"),
    [
        ("git:nosuchref", "--baseline 'nosuchref' is not a commit of the git repository at"),
        ("origin/nosuchref", "--baseline 'origin/nosuchref' is not a commit of the git repo"),
        ("nosuchref", "--baseline 'nosuchref' is neither a workflow module on the import path"),
    ],
)
def test_a_ref_that_is_no_commit_is_not_taken_for_a_module(
    two_commits: Path, baseline: str, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git:REF and HEAD~1-like refs cannot name a module: the error talks of the ref alone,
    # named as the caller gave it: explore()'s baseline argument, the command's --baseline.
    from click.testing import CliRunner

    from replaycheck.cli import main

    with pytest.raises(ConfigError) as raised:
        explore(baseline, root=two_commits, max_examples=1)
    assert str(raised.value).startswith(said.replace("--baseline ", "baseline=")), raised.value
    monkeypatch.chdir(two_commits)
    done = CliRunner().invoke(main, ["generate", "--baseline", baseline, "--max-examples", "1"])
    assert done.exit_code == 2, done.output
    assert done.stderr.startswith(f"replaycheck: error: {said}"), done.stderr


def test_a_workflow_module_new_since_the_ref_is_left_out_and_named(two_commits: Path) -> None:
    # A brand-new workflow module added to [tool.replaycheck] before its first commit: the ref
    # has no version of it, so nothing recorded by that code can break; the run explores the
    # rest and says so, instead of failing on the ref's import of it.
    package = two_commits / ("src" if (two_commits / "src").is_dir() else "") / "pkg"
    (package / "shipping.py").write_text(
        WORKFLOW.format("first", "second").replace("class Greeting", "class Shipping")
        .replace("@workflow.defn", '@workflow.defn(name="Shipping")')
    )  # fmt: skip
    result = explore("HEAD~1", root=two_commits, new=["pkg.wf", "pkg.shipping"], max_examples=5)
    assert result.workflow_types == ("Greeting",), result.render()
    assert result.new_modules == ("pkg.shipping",)
    assert "pkg.shipping is not at HEAD~1" in result.render()
    with pytest.raises(ConfigError) as raised:
        explore("HEAD~1", root=two_commits, new=["pkg.shipping"], max_examples=1)
    assert str(raised.value) == (
        "HEAD~1 has no workflow module 'pkg.shipping' (it is new since): no execution recorded "
        "by that code can break; name the modules that ref has (new=[...]), or a later baseline."
    )


def test_a_module_missing_from_the_ref_is_the_one_named(two_commits: Path) -> None:
    with pytest.raises(ConfigError, match="HEAD has no module or package 'billing' under"):
        explore("HEAD", root=two_commits, new=["pkg.wf", "billing.wf"], max_examples=1)


def test_a_ref_outside_any_git_repository_says_how_to_name_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\nworkflows = ["pkg.wf"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "wf.py").write_text(WORKFLOW.format("first", "second"))
    (tmp_path / "pkg" / "acts.py").write_text(ACTIVITIES)
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "generate", "--baseline", "HEAD",
         "--max-examples", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "is not in a git repository" in done.stderr
    assert "--baseline myapp.workflows_v1" in done.stderr
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(ConfigError) as raised:  # explore() names its own arguments
        explore("HEAD", root=tmp_path, max_examples=1)
    assert str(raised.value) == (
        f"baseline='HEAD' is not a workflow module on the import path, and {tmp_path} is not "
        "in a git repository to read it as a ref from; pass root= a directory in it (git init, "
        "then commit the previous code) or name the previous code's workflow modules "
        "(baseline='myapp.workflows_v1')."
    )


def test_a_baseline_module_that_does_not_import_names_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It said "check the workflows setting (-w, --replaycheck-workflows, check(workflows=...)
    # in Python, or 'workflows' in [tool.replaycheck])": none of those gave the baseline.
    from click.testing import CliRunner

    from replaycheck.cli import main
    from replaycheck.errors import WorkflowImportError

    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\nworkflows = ["pkg.wf"]\n')
    (tmp_path / "broken_baseline.py").write_text('raise ImportError("boom")\n')
    with pytest.raises(WorkflowImportError) as raised:
        explore("broken_baseline", root=tmp_path, max_examples=1)
    assert "ImportError: boom; check the baseline argument and that the module imports" in str(
        raised.value
    )
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["generate", "--baseline", "broken_baseline"])
    assert done.exit_code == 2, done.output
    assert "ImportError: boom; check --baseline and that the module imports" in done.stderr


def test_a_baseline_module_without_workflows_names_the_baseline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It said "point the workflows setting at the module ...": the baseline is not that setting.
    from click.testing import CliRunner

    from replaycheck.cli import main
    from replaycheck.errors import WorkflowImportError

    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\nworkflows = ["pkg.wf"]\n')
    (tmp_path / "empty_baseline.py").write_text("VALUE = 1\n")
    with pytest.raises(WorkflowImportError) as raised:
        explore("empty_baseline", root=tmp_path, max_examples=1)
    assert str(raised.value) == (
        "module 'empty_baseline' defines no @workflow.defn class; point the baseline argument "
        "at the module that holds your workflows."
    )
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["generate", "--baseline", "empty_baseline"])
    assert done.exit_code == 2, done.output
    assert done.stderr.endswith(
        "defines no @workflow.defn class; point --baseline at the module that holds your "
        "workflows.\n"
    ), done.stderr


def test_a_git_baseline_takes_each_package_from_the_root_that_has_it(tmp_path: Path) -> None:
    # The workflows under src/ (pythonpath), their activities in a package at the top.
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["pkg.wf"]\nhistories = ["fixtures/histories"]\n'
        'pythonpath = ["src"]\n'
    )
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__init__.py").write_text("")
    (tmp_path / "src" / "pkg" / "wf.py").write_text(
        WORKFLOW.format("first", "second").replace("pkg.acts", "acts_lib.acts")
    )
    (tmp_path / "acts_lib").mkdir()
    (tmp_path / "acts_lib" / "__init__.py").write_text("")
    (tmp_path / "acts_lib" / "acts.py").write_text(ACTIVITIES)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    result = explore("HEAD", root=tmp_path, max_examples=5)
    assert result.ok, result.render()
    assert result.workflow_types == ("Greeting",) and result.histories > 0
    # the activities come from the ref too, not from the working tree
    from replaycheck._baseline import materialize
    from replaycheck.config import load_settings

    with materialize("HEAD", ["pkg.wf"], load_settings(tmp_path)) as (specs, directory, _):
        package = Path(directory) / specs[0].split(".")[0]
        assert (package / "acts_lib" / "acts.py").read_text() == ACTIVITIES
        assert (package / "pkg" / "wf.py").is_file()


def test_git_baseline_without_a_change_passes(two_commits: Path) -> None:
    result = explore("HEAD", root=two_commits, max_examples=10)
    assert result.ok, result.render()
    assert result.workflow_types == ("Greeting",) and result.histories > 0
    assert not [name for name in sys.modules if name.startswith("_replaycheck_baseline_")]


def test_the_baseline_runs_with_the_configured_data_converter(
    two_commits: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Payloads as the worker writes them (an encryption codec here, pydantic's converter in
    # many projects): the baseline's stand-in worker used temporalio's default converter.
    from tests.workflows.codec import ENCODING

    src = (two_commits / "src").is_dir()
    paths = ', '.join(f'"{p}"' for p in (["src"] if src else []) + [str(REPO)])
    (two_commits / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["pkg.wf"]\nhistories = ["fixtures/histories"]\n'
        f'data_converter = "tests.workflows.codec:codec"\npythonpath = [{paths}]\n'
    )
    out = tmp_path_factory.mktemp("saved")
    result = explore("HEAD", root=two_commits, max_examples=5, save=out)
    assert result.ok, result.render()
    saved = sorted(out.rglob("*.json"))
    assert saved
    started = json.loads(saved[0].read_text())["events"][0]
    payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING


@pytest.mark.parametrize(
    "setting",
    ['passthrough_modules = ["tests.workflows.app_settings"]',
     'workflow_runner = "tests.workflows.app_worker:workflow_runner"'],
)  # fmt: skip
def test_the_baseline_runs_in_the_configured_sandbox(setting: str, tmp_path: Path) -> None:
    # Its module imports settings that the default sandbox refuses: the baseline's worker
    # failed to start, as a worker without the app's passthrough modules does.
    spec = "tests.workflows.settings_import:SettingsGreeting"
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{spec}"]\npythonpath = ["{REPO}"]\n{setting}\n'
    )
    result = explore(spec, root=tmp_path, max_examples=3, seed=1)
    assert result.ok, result.render()
    assert result.histories > 0


def test_a_baseline_the_sandbox_refuses_is_one_line(tmp_path: Path) -> None:
    from replaycheck.errors import SandboxImportError

    spec = "tests.workflows.settings_import:SettingsGreeting"
    with pytest.raises(SandboxImportError) as refused:
        explore(spec, new=[spec], max_examples=3, seed=1)
    assert str(refused.value).startswith(
        "temporalio's sandbox refused workflow SettingsGreeting: loading it, "
        "tests.workflows.app_settings "
    )
    # generate and explore() take passthrough_modules from [tool.replaycheck] alone: neither
    # --passthrough-module (replaycheck check's) nor pytest's option is theirs.
    assert str(refused.value).endswith(
        'set passthrough_modules = ["tests.workflows.app_settings"] under [tool.replaycheck], '
        'or name your worker\'s runner or restrictions with workflow_runner = "module:object".'
    ), refused.value


def test_drawn_inputs_the_converter_cannot_encode_are_skipped() -> None:
    # No client could start an execution with them: an exploration must not crash on one.
    spec = "tests.workflows.decimal_input:Pay"
    result = explore(spec, new=[spec], max_examples=10, seed=1)
    assert result.ok, result.render()
    assert result.histories > 0


def test_no_encodable_input_at_all_points_at_the_data_converter() -> None:
    # A required Decimal and temporalio's default converter: a configuration problem, said in
    # one line, not a Hypothesis traceback.
    spec = "tests.workflows.decimal_input:Bill"
    result = explore(spec, new=[spec], max_examples=10, seed=1)
    assert not result.ok
    (error,) = result.errors
    assert error.startswith("Bill: no drawn arguments could be encoded (TypeError: ")
    assert "set data_converter under [tool.replaycheck]" in error


def test_activity_results_the_converter_cannot_encode_point_at_the_data_converter() -> None:
    # A stand-in's result the converter cannot encode fails the activity as the real one would,
    # and the worker retried it, drawing again, until the example timed out: slow, and never
    # a word about it. Such results are skipped like such inputs; none at all is this error.
    spec = "tests.workflows.decimal_input:Priced"
    result = explore(spec, new=[spec], max_examples=3, seed=1)
    assert not result.ok
    (error,) = result.errors
    assert error.startswith(
        "Priced: no drawn results of activity 'price' could be encoded (TypeError: "
    ), error
    assert "set data_converter under [tool.replaycheck]" in error
    assert "activities={'price': strategy}" in error
    assert "but 1 error above left part of it unchecked." in result.render()


ENDING = """\
from datetime import timedelta

from temporalio import workflow


@workflow.defn(name="Ending")
class Ending:
    @workflow.run
    async def run(self) -> None:
        await workflow.sleep(timedelta(hours=6))
"""


def test_a_change_at_the_end_shrinks_to_a_completed_execution(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.replaycheck]\n")
    (tmp_path / "ending_v1.py").write_text(ENDING)
    (tmp_path / "ending_v2.py").write_text(
        ENDING + "        await workflow.sleep(timedelta(minutes=1))\n"
    )
    result = explore("ending_v1", new=["ending_v2"], root=tmp_path, max_examples=10)
    (found,) = result.counterexamples
    assert not found.scenario.paused and found.scenario.status == "COMPLETED"
    assert "execution: completed (COMPLETED" in result.render()
    assert result.seconds < 30  # six hours of timer cost nothing


def test_generate_without_hypothesis_says_what_to_install(tmp_path: Path) -> None:
    # Hypothesis is not a dependency of replaycheck; one that cannot be imported shadows it.
    (tmp_path / "hypothesis.py").write_text("raise ImportError('No module named hypothesis')\n")
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "generate", "--baseline", V1],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "pip install 'temporal-replaycheck[generate]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_saved_histories_replay_under_the_code_that_made_them(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # A saved history keeps the workflow id it ran under (in its provenance): code that names
    # a child after its own id must find the same child id when the file is replayed.
    from replaycheck.histories import read_history
    from tests.changes import replay_file

    spec = "tests.workflows.child_by_id"
    out = tmp_path_factory.mktemp("saved-child")
    result = explore(spec, new=[spec], max_examples=3, seed=1, save=out)
    assert result.ok, result.render()
    saved = sorted(out.rglob("ShipWithChild/*.json"))
    assert saved
    for path in saved:
        assert read_history(path).info.workflow_id.startswith("generated-ShipWithChild-")
        verdict = replay_file(path, "tests.workflows.child_by_id")
        assert verdict.ok, verdict.message


# ----------------------------------------------------------------------- updates

UPDATES = "tests.workflows.update_change"


def test_an_update_handler_changed_without_a_gate_exits_1_naming_the_update() -> None:
    from click.testing import CliRunner

    from replaycheck.cli import main

    done = CliRunner().invoke(
        main,
        ["generate", "--baseline", f"{UPDATES}:ExpediteV1", "-w", f"{UPDATES}:ExpediteUngated",
         "--max-examples", "30"],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 1, done.output
    scenario = done.output.split("\n\n")[0]
    # The run method never changed: only an accepted update reaches the new activity.
    assert "update expedite(" in scenario and ", accepted" in scenario
    assert "history recorded: completion of update 'expedite'" in done.output
    assert "code commanded:   activity 'notify'" in done.output
    # an addition in the handler, gated there
    assert "fix: gate it in the update handler 'expedite', at update_change.py:" in done.output


def test_max_updates_0_sends_no_update_so_the_handlers_change_goes_unseen() -> None:
    from click.testing import CliRunner

    from replaycheck.cli import main

    # The change is reachable only through an update: with none drawn, every history replays.
    done = CliRunner().invoke(
        main,
        ["generate", "--baseline", f"{UPDATES}:ExpediteV1", "-w", f"{UPDATES}:ExpediteUngated",
         "--max-examples", "30", "--max-updates", "0"],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "every one replays under the new code." in done.output


def test_the_same_update_change_gated_passes_and_updates_count_in_shapes(
    tmp_path: Path,
) -> None:
    from replaycheck._scenario import event_type
    from replaycheck.histories import read_history

    result = explore(
        f"{UPDATES}:ExpediteV1", new=[f"{UPDATES}:ExpediteGated"], max_examples=30, save=tmp_path
    )
    assert result.ok and result.exit_code == 0, result.render()
    kinds = [
        {event_type(e) for e in read_history(p).history.events}
        for p in sorted(tmp_path.rglob("Expedite/*.json"))
    ]
    assert len(kinds) == result.shapes  # one saved history per shape
    accepted = "WORKFLOW_EXECUTION_UPDATE_ACCEPTED"
    assert any(accepted in k for k in kinds) and any(accepted not in k for k in kinds)


def test_updates_the_validator_rejects_are_not_sent_and_not_errors() -> None:
    from hypothesis import strategies as st

    # Every drawn update is rejected, so the ungated handler never runs in a baseline history.
    result = explore(
        f"{UPDATES}:ExpediteV1", new=[f"{UPDATES}:ExpediteUngated"], max_examples=15,
        updates={"expedite": st.just("no")},
    )  # fmt: skip
    assert result.ok and not result.errors, result.render()
    assert result.histories > 0


def test_a_workflow_without_update_handlers_draws_no_updates() -> None:
    from hypothesis import strategies as st
    from temporalio import workflow

    from replaycheck._explore import Engine
    from replaycheck._explore_example import Limits, Target
    from replaycheck._generate_setup import _target
    from replaycheck.generate import GenerationSpec
    from tests.workflows.update_change import ExpediteV1

    class Data:
        def __init__(self) -> None:
            self.labels: list[str] = []

        def draw(self, strategy: Any, label: str) -> Any:
            self.labels.append(label.split(" ")[0])
            return [] if label.startswith(("signals", "updates")) else 1

    engine = Engine([], {}, failures=True, limits=Limits(5, 3, 10.0, 3))
    plain = Data()
    engine.draw_plan(plain, Target("NoUpdates", st.just(("x",)), {}))
    assert plain.labels == ["arguments", "pause"]  # what it drew before updates were drawn
    with_update = Data()
    engine.draw_plan(with_update, Target("E", st.just(("x",)), {}, {"go": st.just(())}))
    assert with_update.labels == ["arguments", "pause", "updates"]
    # The update handler's arguments come from its type hints.
    target = _target(workflow._Definition.must_from_class(ExpediteV1), GenerationSpec("x"))
    assert {n: repr(s) for n, s in target.updates.items()} == {
        "expedite": repr(st.tuples(st.text()))
    }
    result = explore(f"{UPDATES}:NoUpdates", new=[f"{UPDATES}:NoUpdates"], max_examples=5)
    assert result.ok and result.histories > 0


def test_the_scenario_lists_arguments_as_a_call_does() -> None:
    # A one-argument signal read "approve('yes',)", the workflow's arguments "(Order(...),)".
    from replaycheck._scenario import Scenario, SignalDelivery, UpdateDelivery

    scenario = Scenario(
        "Orders", "generated-Orders-1", args=("o-1",), status="COMPLETED",
        signals=(SignalDelivery("approve", ("yes",), "when the execution waited"),
                 SignalDelivery("nudge", (), "while activity call 1 ran")),
        updates=(UpdateDelivery("expedite", ("", 2), "when the execution waited"),),
    )  # fmt: skip
    lines = scenario.render()
    assert lines[0] == "workflow Orders, arguments: 'o-1'"
    assert "signal approve('yes') when the execution waited" in lines
    assert "signal nudge() while activity call 1 ran" in lines
    assert "update expedite('', 2) when the execution waited, accepted" in lines
    assert Scenario("Orders", "x").render()[0] == "workflow Orders, arguments: none"


def test_generate_shows_its_progress_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    # A run of 100 examples for each of several workflow types printed nothing for a minute.
    from click.testing import CliRunner

    from replaycheck import _progress
    from replaycheck.cli import main

    monkeypatch.setattr(_progress, "LINE_INTERVAL", 0.0)  # a plain line at every example
    done = CliRunner().invoke(
        main,
        ["generate", "--baseline", f"{UPDATES}:ExpediteV1", "-w", f"{UPDATES}:ExpediteUngated",
         "--max-examples", "5", "--max-updates", "0"],
        catch_exceptions=False,
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    lines = done.stderr.splitlines()
    assert "5 examples (Expedite, type 1 of 1)" in lines, done.stderr
    assert "examples (" not in done.stdout  # the report alone on stdout


def test_a_pydantic_project_without_its_converter_gets_the_note_not_temporalios_warning(
    tmp_path: Path,
) -> None:
    # The baseline worker converts the model with temporalio's default converter, which warned
    # (a UserWarning naming its own source line) each time, beside the replay's note.
    spec = "tests.workflows.pydantic_hello"
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.replaycheck]\nworkflows = ["{spec}"]\npythonpath = ["{REPO}"]\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "replaycheck", "generate", "--baseline", spec,
         "--max-examples", "3", "--seed", "1"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "UserWarning" not in done.stderr, done.stderr
    assert done.stderr.count("replaycheck: note: the workflows pass pydantic models") == 1


def test_a_baseline_and_new_code_with_no_type_in_common_name_both(tmp_path: Path) -> None:
    # The message listed the types missing from the new code as "(none)".
    (tmp_path / "pyproject.toml").write_text(f'[tool.replaycheck]\npythonpath = ["{REPO}"]\n')
    with pytest.raises(ConfigError) as raised:
        explore("tests.workflows.sayhello", root=tmp_path, max_examples=1,
                new=["examples.provisioning.workflows:NotifyTenantWorkflow"])  # fmt: skip
    assert str(raised.value) == (
        "the baseline and the new code have no workflow type in common: the baseline defines "
        "SayHelloWorkflow, the new code registers NotifyTenant; give two versions of the same "
        "workflows."
    )


def test_a_type_the_new_code_does_not_register_is_named_in_the_singular(tmp_path: Path) -> None:
    # It said "does not register workflow type(s) TenantProvisioning".
    (tmp_path / "pyproject.toml").write_text(f'[tool.replaycheck]\npythonpath = ["{REPO}"]\n')
    with pytest.raises(ConfigError) as raised:
        explore("examples.provisioning.workflows", root=tmp_path, max_examples=1,
                new=["examples.provisioning.workflows:NotifyTenantWorkflow"],
                workflow_type="TenantProvisioning")  # fmt: skip
    assert str(raised.value) == (
        "the new code does not register workflow type TenantProvisioning; it registers: "
        "NotifyTenant."
    )
