"""What a user installing from PyPI gets: the sdist and the wheel built from the working tree
(their files, entry points and metadata), and the wheel installed in a fresh venv, where the
README's first command and the pytest plugin run from the installed copy.

The build calls the backend's hooks in this environment, whose setuptools the test extra
installs: ``python -m build`` without isolation took half as long again, with isolation (a venv
and a setuptools install for each of the sdist and the wheel) three to four times as long.
Nothing is written into the source tree: the working tree is copied into ``tmp_path`` and
built there.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

import pytest

from tests.conftest import REPO

LEFT_OUT_OF_SDIST = {".ci/run", ".gitignore"}
"""Tracked files the sdist leaves out: the CI script and git's own file, run from a clone only."""
NOT_COPIED = {".git", ".venv", ".nox", ".tox", "__pycache__", "build", "dist"}
"""What the tree's copy leaves out when it is not a git checkout (an unpacked sdist)."""
INSTALL = "pip install -e '.[test]'"
HOOK = "import importlib, sys; print(getattr(importlib.import_module(sys.argv[1]), sys.argv[2])(sys.argv[3]))"  # noqa: E501
README_LINK = re.compile(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)")


def project() -> dict[str, Any]:
    return dict(tomllib.loads((REPO / "pyproject.toml").read_text())["project"])


def left_out(part: str) -> bool:
    return part in NOT_COPIED or part.endswith((".pyc", ".egg-info"))


def working_tree() -> tuple[list[str], set[str]]:
    """The working tree's files (tracked or not ignored) and those tracked, relative paths."""
    if not (REPO / ".git").exists():
        found = (p.relative_to(REPO) for p in REPO.rglob("*") if p.is_file())
        files = [str(p) for p in found if not any(map(left_out, p.parts))]
        return files, set(files)

    def listed(*options: str) -> list[str]:
        out = subprocess.run(
            ["git", "ls-files", "-z", *options], cwd=REPO, capture_output=True, check=True
        ).stdout
        return [name for name in out.decode().split("\0") if name and (REPO / name).is_file()]

    return listed("--cached", "--others", "--exclude-standard"), set(listed())


def copy_tree(files: list[str], to: Path) -> Path:
    for name in files:
        (to / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, to / name)
    return to


def check_backend(system: dict[str, Any]) -> None:
    """Fail, saying what to install, unless the backend's release pyproject.toml requires is
    here (the test extra installs it)."""
    from packaging.requirements import Requirement  # pytest's dependency

    for line in system["requires"]:
        wanted = Requirement(line)
        try:
            installed = importlib.metadata.version(wanted.name)
        except importlib.metadata.PackageNotFoundError:
            installed = "none"
        if installed == "none" or installed not in wanted.specifier:
            pytest.fail(
                f"the packaging test builds with the backend pyproject.toml requires"
                f" ({wanted}), and {wanted.name} {installed} is installed here: {INSTALL}"
            )


def call_hook(backend: str, hook: str, source: Path, out: Path) -> Path:
    """Call a PEP 517 hook of the backend in ``source`` (what a build front end does, in this
    environment) and return the file it built in ``out``."""
    result = subprocess.run(
        [sys.executable, "-c", HOOK, backend, hook, str(out)],
        cwd=source, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if result.returncode:
        pytest.fail(f"{backend}.{hook} failed in {source}:\n{result.stdout}{result.stderr}")
    return out / result.stdout.splitlines()[-1]


def build(source: Path, tmp: Path) -> tuple[Path, Path]:
    """The sdist of ``source`` and the wheel built from it (as ``python -m build`` does)."""
    system = tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]
    check_backend(system)
    out = tmp / "dist"
    out.mkdir()
    sdist = call_hook(system["build-backend"], "build_sdist", source, out)
    unpacked = unpack(sdist, tmp / "wheel-source")
    return call_hook(system["build-backend"], "build_wheel", unpacked, out), sdist


def check_wheel_files(names: list[str], source: Path, dist_info: str) -> None:
    package = source / "src" / "replaycheck"
    modules = {
        f"replaycheck/{p.relative_to(package).as_posix()}"
        for p in package.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert "replaycheck/py.typed" in modules
    assert {n for n in names if n.startswith("replaycheck/")} == modules
    others = [n for n in names if not n.startswith(("replaycheck/", f"{dist_info}/"))]
    assert not others, f"the wheel holds more than the package and its dist-info: {others}"
    needed = {"METADATA", "WHEEL", "RECORD", "entry_points.txt", "licenses/LICENSE"}
    assert needed <= {n.removeprefix(f"{dist_info}/") for n in names}


def check_entry_points(text: str) -> None:
    sections: dict[str, dict[str, str]] = {}
    section: dict[str, str] = {}
    for line in filter(None, map(str.strip, text.splitlines())):
        if line.startswith("["):
            section = sections.setdefault(line.strip("[]"), {})
        else:
            name, _, value = line.partition("=")
            section[name.strip()] = value.strip()
    wanted = {
        "console_scripts": {"replaycheck": "replaycheck.cli:entry"},
        "pytest11": {"replaycheck": "replaycheck.plugin"},  # -p replaycheck, -p no:replaycheck
    }
    assert sections == wanted, f"the wheel's entry points are {sections}, not {wanted}"


def requirements(metadata: Message) -> set[str]:
    from packaging.requirements import Requirement  # pytest's dependency

    return {str(Requirement(line)) for line in metadata.get_all("Requires-Dist", [])}


def declared_requirements() -> set[str]:
    from packaging.requirements import Requirement

    declared = project()
    wanted = {str(Requirement(r)) for r in declared["dependencies"]}
    for extra, listed in declared["optional-dependencies"].items():
        for line in listed:
            spec, _, marker = line.partition(";")
            marker = f"({marker.strip()}) and " if marker.strip() else ""
            wanted.add(str(Requirement(f'{spec.strip()}; {marker}extra == "{extra}"')))
    return wanted


def check_metadata(text: str, version: str) -> None:
    metadata = Parser().parsestr(text)
    declared = project()
    assert metadata["Name"] == declared["name"] == "temporal-replaycheck"
    assert metadata["Version"] == version
    assert metadata["Requires-Python"] == declared["requires-python"]
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("Classifier") == declared["classifiers"]
    assert set(metadata.get_all("Provides-Extra", [])) == {"generate", "test"}
    assert requirements(metadata) == declared_requirements()
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().strip() == (REPO / "README.md").read_text().strip()


def unpack(sdist: Path, to: Path) -> Path:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(to, filter="data")
        else:  # pragma: no cover - Python 3.10 before 3.10.12
            archive.extractall(to)
    (root,) = to.iterdir()
    return root


def check_sdist(root: Path, tracked: set[str]) -> None:
    held = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    missing = sorted(tracked - LEFT_OUT_OF_SDIST - held)
    assert not missing, f"the sdist leaves out (see MANIFEST.in): {missing}"
    compiled = [n for n in held if "__pycache__" in n or n.endswith(".pyc")]
    assert not compiled, f"the sdist holds compiled files: {compiled}"
    linked = set(README_LINK.findall((root / "README.md").read_text()))
    assert linked, "the README links no docs page"
    assert linked <= held, f"the README links pages the sdist leaves out: {linked - held}"


def make_venv(to: Path, wheel: Path) -> Path:
    """A fresh venv with the wheel installed; its dependencies come from this environment's
    site-packages, added after its own (without their ``.pth`` files, so an editable install
    of the source tree there stays out of it)."""
    if importlib.util.find_spec("pip") is None:
        pytest.fail(f"the packaging test installs the wheel with pip: install it ({INSTALL})")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(to)], check=True)
    python = to / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "_dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    pip = [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--ignore-installed",
           "--disable-pip-version-check", "--no-compile", wheel]  # fmt: skip
    installed = run(pip, to, to)
    assert installed.returncode == 0, f"pip could not install the wheel:\n{installed.stderr}"
    return python


def outside_env(venv: Path) -> dict[str, str]:
    """The environment of a user's shell in the venv: no PYTHONPATH to the source tree, no
    pytest options of this run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONPATH", "PYTEST_"))}
    path = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    return {**env, "VIRTUAL_ENV": str(venv), "PATH": path}


def run(argv: list[str | Path], root: Path, venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=root, env=outside_env(venv), capture_output=True, text=True, timeout=300
    )


def in_venv(path: str, venv: Path) -> bool:
    return bool(path) and Path(path).resolve().is_relative_to(venv.resolve())


def check_installed_runs(python: Path, venv: Path, root: Path, version: str) -> None:
    imported = run([python, "-c", "import replaycheck; print(replaycheck.__file__)"], root, venv)
    assert in_venv(imported.stdout.strip(), venv), imported.stdout + imported.stderr
    script = python.parent / "replaycheck"
    shown = run([script, "--version"], root, venv)
    assert shown.stdout == f"replaycheck, version {version}\n", shown.stdout + shown.stderr
    count = len(list((root / "fixtures" / "histories").rglob("*.json")))
    checked = run([script, "check"], root, venv)  # README command 1, in the unpacked sdist
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"{count} histories: {count} ok" in checked.stdout
    argv = [python, "-m", "pytest", "-p", "replaycheck", "--co", "-q", "--trace-config"]
    collected = run([*argv, "fixtures/histories"], root, venv)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert f"{count} tests collected" in collected.stdout
    plugin = re.search(r"<module 'replaycheck\.plugin' from '([^']+)'>", collected.stdout)
    assert plugin, f"pytest did not register replaycheck.plugin:\n{collected.stdout}"
    assert in_venv(plugin[1], venv), f"pytest imported {plugin[1]}, not the installed copy"


def test_the_sdist_and_wheel_hold_what_a_user_needs_and_the_wheel_runs(tmp_path: Path) -> None:
    files, tracked = working_tree()
    source = copy_tree(files, tmp_path / "tree")
    wheel, sdist = build(source, tmp_path)
    version = str(project()["version"])
    init = (source / "src" / "replaycheck" / "__init__.py").read_text()
    assert f'__version__ = "{version}"' in init, "pyproject.toml and __version__ disagree"
    dist_info = f"temporal_replaycheck-{version}.dist-info"
    with zipfile.ZipFile(wheel) as archive:
        check_wheel_files(archive.namelist(), source, dist_info)
        check_entry_points(archive.read(f"{dist_info}/entry_points.txt").decode())
        check_metadata(archive.read(f"{dist_info}/METADATA").decode(), version)
    root = unpack(sdist, tmp_path / "sdist")
    check_sdist(root, tracked)
    venv = tmp_path / "venv"
    python = make_venv(venv, wheel)
    check_installed_runs(python, venv, root, version)
