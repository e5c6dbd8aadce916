"""Every module the package imports from outside the standard library is a declared
dependency, for the Python versions that import it (a module imported on Python 3.10 only,
like ``tomli``, is missed by a test run on a later one)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pytest

from tests.conftest import REPO, install_into

DISTRIBUTION = {"temporalio": "temporalio", "click": "click", "google": "protobuf",
                "tomli": "tomli", "hypothesis": "hypothesis", "pytest": "pytest",
                "_pytest": "pytest"}  # fmt: skip
"""The distribution that provides each top-level module the package imports."""
NOT_REQUIRED = {"pytest"}
"""Needed only where it is already there: pytest imports the plugin itself."""


def imports_by_file() -> dict[str, set[str]]:
    """The top-level modules each of the package's files imports (not the standard library's)."""
    standard = {*sys.stdlib_module_names, "tomllib"}  # tomllib: in it from Python 3.11
    by_file = {}
    for path in (REPO / "src" / "replaycheck").rglob("*.py"):
        found = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
        by_file[path.name] = found - standard - {"replaycheck", "__future__"}
    return by_file


def imported_modules() -> set[str]:
    return set().union(*imports_by_file().values())


def test_only_the_plugin_imports_pytest() -> None:
    # The core runs where pytest is not installed (`replaycheck check`, a worker).
    by_file = imports_by_file()
    importers = {name for name, modules in by_file.items() if modules & {"pytest", "_pytest"}}
    assert importers == {
        "plugin.py", "_plugin.py", "_plugin_config.py", "_plugin_fixture.py", "_plugin_items.py",
        "_plugin_refusal.py", "_plugin_summary.py", "_plugin_xdist.py", "_plugin_ignore.py",
    }


def declared(extra: str | None = None) -> dict[str, str]:
    """Each dependency's name (of the package, or of one of its extras) and its environment
    marker ('' for none)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    out = {}
    requirements = project["optional-dependencies"][extra] if extra else project["dependencies"]
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        name = spec.strip().split(">")[0].split("<")[0].split("=")[0].split("[")[0].strip()
        out[name.lower()] = marker.strip()
    return out


def test_every_imported_module_is_a_declared_dependency() -> None:
    modules = imported_modules()
    assert modules <= set(DISTRIBUTION), f"map these to their distribution: {modules}"
    # `replaycheck generate` needs Hypothesis, and says to install the extra when it is missing.
    dependencies = {*declared(), *declared("generate"), *NOT_REQUIRED}
    missing = {DISTRIBUTION[m] for m in modules} - dependencies
    assert not missing, f"imported but not declared: {missing}"


def test_tomli_is_required_exactly_where_tomllib_is_missing() -> None:
    assert "tomli" in imported_modules()  # config.py reads pyproject.toml with it on 3.10
    assert declared()["tomli"].replace('"', "'") == "python_version < '3.11'"


@pytest.mark.parametrize("version", ["5.26.1", "6.30.0"])  # the oldest allowed; the last 6.x
def test_the_main_job_runs_on_older_protobuf_releases(  # before FieldDescriptor.is_repeated
    version: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = install_into(tmp_path_factory.mktemp(f"protobuf-{version}"), f"protobuf=={version}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(REPO / "src")])}
    shown = subprocess.run(
        [sys.executable, "-c", "import google.protobuf; print(google.protobuf.__version__)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert shown.stdout.strip() == version
    # README command 1: every recorded history read by the fast parser and replayed
    result = subprocess.run(
        [sys.executable, "-m", "replaycheck", "check"], cwd=REPO, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    count = len(list((REPO / "fixtures" / "histories").rglob("*.json")))
    assert f"{count} histories: {count} ok" in result.stdout
