"""``from replaycheck import ...``: the documented names at the top level, loaded on first use."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import replaycheck

PUBLIC = {
    "Settings": "config",
    "load_settings": "config",
    "check": "replay",
    "Verdict": "verdict",
    "exit_code": "verdict",
    "render_json": "report",
    "render_text": "report",
    "render_verdict": "report",
    "Diagnosis": "diagnose",
    "ConfigError": "errors",
    "NoHistoriesError": "errors",
    "ReplaycheckError": "errors",
    "WorkflowImportError": "errors",
    "Counterexample": "generate",
    "Exploration": "generate",
    "GenerationSpec": "generate",
    "explore": "generate",
    "given_histories": "generate",
    "DEFAULT_VERSION": "versioning",
    "UnsupportedVersionError": "versioning",
    "VersionRangeError": "versioning",
    "get_version": "versioning",
}
"""Each public name and the submodule that defines it (whose path keeps working)."""


def run_python(code: str) -> str:
    """``code`` run by a fresh interpreter (PYTHONPATH inherited): what it printed."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(("name", "module"), sorted(PUBLIC.items()))
def test_each_name_is_its_submodules_object(name: str, module: str) -> None:
    defined = getattr(importlib.import_module(f"replaycheck.{module}"), name)
    assert getattr(replaycheck, name) is defined
    namespace: dict[str, object] = {}
    exec(f"from replaycheck import {name}", namespace)
    assert namespace[name] is defined


def test_all_and_dir_list_the_public_names() -> None:
    assert sorted(replaycheck.__all__) == sorted([*PUBLIC, "__version__"])
    assert set(PUBLIC) <= set(dir(replaycheck))
    namespace: dict[str, object] = {}
    exec("from replaycheck import *", namespace)
    assert set(PUBLIC) <= set(namespace)


def test_importing_the_package_imports_neither_temporalio_click_nor_pytest() -> None:
    heavy = "sorted(m for m in ('temporalio', 'click', 'pytest') if m in sys.modules)"
    printed = run_python(
        f"import sys, replaycheck; print({heavy});"
        "from replaycheck.replay import check as defined;"
        f"print(replaycheck.check is defined, {heavy})"
    )
    assert printed.splitlines() == ["[]", "True []"]


def test_the_versioning_names_import_temporalio_only_when_used() -> None:
    printed = run_python(
        "import sys, replaycheck; print('temporalio' in sys.modules);"
        "from replaycheck import get_version; print('temporalio' in sys.modules)"
    )
    assert printed.splitlines() == ["False", "True"]


def test_an_unknown_name_is_the_usual_attribute_error() -> None:
    with pytest.raises(AttributeError, match=r"^module 'replaycheck' has no attribute 'chek'$"):
        replaycheck.chek  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(ImportError, match="cannot import name 'chek' from 'replaycheck'"):
        exec("from replaycheck import chek", {})


def test_the_docs_list_every_public_name_once() -> None:
    from tests.conftest import REPO

    index = (REPO / "docs" / "index.md").read_text()
    section = index.split("## Python API", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    listed = [name for row in rows for name in re.findall(r"`(\w+)[`(]", row.split(" | ")[0])]
    assert sorted(listed) == sorted(PUBLIC)


def test_load_settings_takes_a_str_or_a_file_and_refuses_what_is_no_path(tmp_path: Path) -> None:
    """``load_settings("proj")`` ended in ``AttributeError: 'str' object has no attribute
    'resolve'``; a file (``load_settings(__file__)``) became the project's root."""
    from replaycheck import ConfigError, load_settings

    project = tmp_path / "proj"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text('[tool.replaycheck]\nhistories = ["h"]\n')
    (project / "tests" / "test_x.py").write_text("")
    expected = (project / "h").resolve()
    assert load_settings(str(project)).histories == (expected,)
    assert load_settings(str(project / "tests"), stop=str(project)).histories == (expected,)
    alone = tmp_path / "alone.py"
    alone.write_text("")
    assert load_settings(alone).root == tmp_path.resolve()
    with pytest.raises(ConfigError) as raised:
        load_settings(7)  # type: ignore[arg-type]
    assert str(raised.value) == (
        "load_settings(start=...): expected a directory (a str or a Path), got int."
    )
    with pytest.raises(ConfigError) as raised:
        load_settings(tmp_path / "nope")
    assert str(raised.value) == (
        f"load_settings(start=...): {tmp_path / 'nope'} does not exist; give the project's "
        "directory (or a file in it), or leave start out for the working directory."
    )
