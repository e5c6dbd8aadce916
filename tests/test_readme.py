"""The README's console example is what ``replaycheck check`` prints today (it had drifted: the
run had learnt to read the unsafe code as a removed gate, the README still showed an older
reading)."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from click.testing import CliRunner

from replaycheck.cli import main
from tests.conftest import REPO

COMMAND = "$ replaycheck check -w examples.provisioning.workflows_unsafe"


def readme_example() -> list[str]:
    """The lines the README shows the command printing (up to ``$ echo $?``)."""
    text = (REPO / "README.md").read_text()
    block = text.split(COMMAND + "\n", 1)[1].split("```", 1)[0]
    return block.split("\n$ echo $?", 1)[0].splitlines()


def _run_ids_cut(line: str) -> str:
    return re.sub(r"run ([0-9a-f]{8})-[0-9a-f-]+,", r"run \1-…,", line)


def test_the_readme_example_is_what_check_prints() -> None:
    old = Path.cwd()
    os.chdir(REPO)
    try:
        result = CliRunner().invoke(main, COMMAND.split()[2:])
    finally:
        os.chdir(old)
    assert result.exit_code == 1  # as the README's `echo $?` shows
    printed = [_run_ids_cut(line) for line in result.stdout.splitlines()]
    at = 0
    for line in readme_example():
        if line == "…":  # lines left out
            continue
        shown = line.split("…")[0] if line.endswith("…") else line
        found = next((i for i in range(at, len(printed)) if printed[i].startswith(shown)), None)
        assert found is not None, f"README line not printed (in this order): {line}"
        at = found + 1


def test_no_file_carries_merge_conflict_markers() -> None:
    """A cherry-pick's conflict once landed in the changelog, markers and both sides, and every
    check passed: Markdown renders the markers as text and nothing parses the docs."""
    marker = re.compile(r"^(<{7} |={7}$|>{7} )", re.MULTILINE)
    texts = [REPO / "README.md", REPO / "pyproject.toml"]
    for folder in ("docs", "src", "tests", "examples", "bench", "scripts", ".ci"):
        texts += (p for p in (REPO / folder).rglob("*") if p.suffix in {".md", ".py", ".toml", ""})
    carrying = [
        str(p.relative_to(REPO))
        for p in texts
        if p.is_file() and marker.search(p.read_text(errors="replace"))
    ]
    assert not carrying, f"merge conflict markers in {carrying}"


def heading_anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings (lower case, punctuation dropped, spaces
    turned into hyphens)."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_the_readmes_links_open_pages_and_headings_of_the_tree() -> None:
    """The README links into ``docs/`` relatively (no public URL exists to link to): each link
    must name a file of the tree, and a heading of it; tests/test_packaging.py checks that the
    sdist ships them."""
    readme = (REPO / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    relative = [link for link in links if "://" not in link]
    assert relative
    for link in relative:
        path, _, anchor = link.partition("#")
        page = REPO / path
        assert page.is_file(), f"README links {link}: no such file"
        headings = heading_anchors(page)
        assert not anchor or anchor in headings, f"README links {link}: no such heading"
    # PyPI shows the README but cannot open links into the tree: with no URL to link to
    # instead, the README must say where a reader there finds the pages
    if "urls" not in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]:
        says = "`docs/`" in readme and "source distribution" in readme
        assert says, "the README must say its docs/ pages are in the sdist (PyPI cannot open them)"
