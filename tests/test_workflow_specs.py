"""A workflows setting that names the wrong thing: what the message tells the user to name."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from replaycheck.cli import main
from tests.conftest import COMPLETE

pytest_plugins = ["pytester"]

WORKFLOW = """
from temporalio import workflow


@workflow.defn(name="{name}")
class {name}:
    @workflow.run
    async def run(self) -> None:
        pass
"""


def make_package(root: Path) -> None:
    """``shop.workflows``: a package whose ``__init__`` is empty and whose modules (one in a
    subpackage) define the workflows, beside one that defines none and one that does not import;
    the package layout teams use, with the worker importing ``from shop.workflows import ...``.
    Which of them define workflows is read from their source: one exits if imported."""
    package = root / "shop" / "workflows"
    (package / "billing").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (package / "__init__.py").write_text('"""Workflows of the shop."""\n')
    two = WORKFLOW.format(name="Orders") + WORKFLOW.format(name="Refund")
    (package / "orders.py").write_text(two)
    (package / "helpers.py").write_text("from shop.workflows.orders import Orders\n")
    (package / "broken.py").write_text("raise SystemExit(3)\n")  # not imported to tell
    (package / "billing" / "__init__.py").write_text("")
    (package / "billing" / "invoices.py").write_text(WORKFLOW.format(name="Invoice"))


def run_check(cwd: Path, *args: str) -> Result:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


NAMES = "'shop.workflows.billing.invoices', 'shop.workflows.orders'"


def test_a_package_named_as_workflows_gets_the_modules_that_define_them(tmp_path: Path) -> None:
    make_package(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\nworkflows = ["shop.workflows"]\n')
    result = run_check(tmp_path, str(COMPLETE))
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: module 'shop.workflows' defines no @workflow.defn class: it is a "
        "package, and a package stands for its __init__.py alone, not for the modules in it; "
        f"name its modules that define workflows instead: {NAMES} (or import the classes in its "
        "__init__.py).\n"
    )


def test_a_package_none_of_whose_modules_defines_a_workflow_says_so_as_before(
    tmp_path: Path,
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "__init__.py").write_text("")
    (tmp_path / "empty" / "util.py").write_text("X = 1\n")
    result = run_check(tmp_path, "-w", "empty", str(COMPLETE))
    assert result.exit_code == 2
    assert result.stderr == (
        "replaycheck: error: module 'empty' defines no @workflow.defn class; point the workflows "
        "setting at the module that holds your workflows.\n"
    )


@pytest.mark.parametrize("xdist_args", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_package_named_as_workflows_in_pytest_fails_the_items_with_the_modules_to_name(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_package(pytester.path)
    (pytester.path / "histories").mkdir()
    (pytester.path / "histories" / COMPLETE.name).write_bytes(COMPLETE.read_bytes())
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["histories"]\nworkflows = ["shop.workflows"]\n',
    )
    result = pytester.runpytest_subprocess(*xdist_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*module 'shop.workflows' defines no @workflow.defn class: it is a package, *{NAMES}*"]
    )


def test_a_package_of_many_workflow_modules_names_six(tmp_path: Path) -> None:
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "__init__.py").write_text("")
    for n in range(9):
        (tmp_path / "flows" / f"f{n}.py").write_text(WORKFLOW.format(name=f"F{n}"))
    result = run_check(tmp_path, "-w", "flows", str(COMPLETE))
    assert result.exit_code == 2
    shown = ", ".join(f"'flows.f{n}'" for n in range(6))
    assert f"instead: {shown} and 3 more (or import the classes" in result.stderr


def test_a_workflow_type_left_out_names_the_module_that_defines_it(tmp_path: Path) -> None:
    make_package(tmp_path)  # shop.workflows.orders is configured; greetings registers the type
    hello = WORKFLOW.format(name="SayHelloWorkflow").replace("class SayHelloWorkflow", "class Hi")
    (tmp_path / "shop" / "workflows" / "greetings.py").write_text(hello)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["shop.workflows.orders"]\n'
    )
    result = run_check(tmp_path, "--format", "json", str(COMPLETE))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["results"][0]["message"] == (
        "workflow type 'SayHelloWorkflow' is not registered (registered: Orders, Refund); add the "
        "module that defines it to the workflows setting (shop.workflows.greetings defines it), "
        "or, if you renamed it, keep a workflow registered as 'SayHelloWorkflow': executions "
        "recorded before run under that name"
    )


@pytest.mark.parametrize("xdist_args", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_workflow_type_left_out_in_pytest_names_the_modules_that_define_it(
    pytester: pytest.Pytester, xdist_args: list[str]
) -> None:
    make_package(pytester.path)
    for module in ("greetings", "greetings_v2"):
        hello = WORKFLOW.format(name="SayHelloWorkflow").replace("class SayHello", "class Hi")
        (pytester.path / "shop" / "workflows" / f"{module}.py").write_text(hello)
    (pytester.path / "histories").mkdir()
    (pytester.path / "histories" / COMPLETE.name).write_bytes(COMPLETE.read_bytes())
    pytester.makefile(
        ".toml",
        pyproject='[tool.replaycheck]\nhistories = ["histories"]\n'
        'workflows = ["shop.workflows.orders"]\n',
    )
    result = pytester.runpytest_subprocess(*xdist_args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*'SayHelloWorkflow' is not registered (registered: Orders, Refund); add the module "
            "that defines it to the workflows setting (these define it: "
            "shop.workflows.greetings, shop.workflows.greetings_v2), *"
        ]
    )


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("workflow", "workflows"),
        ("history", "histories"),
        ("data-converter", "data_converter"),
        ("interceptor", "interceptors"),
        ("passthrough-modules", "passthrough_modules"),
    ],
)
def test_a_misspelt_key_gets_the_close_one(tmp_path: Path, key: str, meant: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.replaycheck]\n{key} = ["x"]\n')
    result = run_check(tmp_path, str(COMPLETE))
    assert result.exit_code == 2
    assert f"unknown key {key!r} in [tool.replaycheck] (did you mean {meant!r}?); " in (
        result.stderr
    )


def test_a_key_close_to_none_gets_the_list_alone(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.replaycheck]\nretries = 3\n')
    result = run_check(tmp_path, str(COMPLETE))
    assert result.exit_code == 2
    assert "unknown key 'retries' in [tool.replaycheck]; valid keys are: histories," in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("option", "spec", "meant"),
    [
        ("--data-converter", "shop.codec:data_convertr", "shop.codec:data_converter"),
        ("--data-converter", "shop.codecs:data_converter", "shop.codec:data_converter"),
        ("--interceptor", "shop.codec:AuditInterceptr", "shop.codec:AuditInterceptor"),
    ],
)
def test_a_misspelt_object_setting_gets_the_close_name(
    tmp_path: Path, option: str, spec: str, meant: str
) -> None:
    make_package(tmp_path)
    (tmp_path / "shop" / "codec.py").write_text("data_converter = None\nAuditInterceptor = None\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.replaycheck]\nworkflows = ["shop.workflows.orders"]\n'
    )
    result = run_check(tmp_path, option, spec, str(COMPLETE))
    assert result.exit_code == 2
    assert f"(did you mean {meant!r}?); check " in result.stderr
    # a name close to nothing gets no guess
    result = run_check(tmp_path, option, "shop.codec:nothing_like_it", str(COMPLETE))
    assert "has no attribute 'nothing_like_it'; check " in result.stderr
