"""The reference pages name every option and key the code has, and nothing it has not (they had
drifted: a synopsis left out options a command takes, a line numbers its example no longer
printed), and every link between the pages opens a page and a heading of it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import pytest

from replaycheck import plugin
from replaycheck.cli import main
from replaycheck.config import KNOWN_KEYS
from tests.conftest import REPO
from tests.test_readme import heading_anchors

DOCS = REPO / "docs"
PAGES = sorted(DOCS.glob("*.md"))
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

PAGE_OF = {"generate": ("generate.md",)}
"""Where each command's options are described (default: cli.md, and export.md for connecting)."""
OTHER_TOOLS = {"--version", "--versioning-override"}
"""Options cli.md names that are not a subcommand's: the group's own, the temporal CLI's."""


def options(command: click.Command) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}


class _Recorder:
    """Stands for pytest's parser and plugin manager: keeps what the plugin adds."""

    def __init__(self) -> None:
        self.options: list[str] = []
        self.ini: list[str] = []

    def getgroup(self, *_: Any) -> _Recorder:
        return self

    def addoption(self, *names: str, **_: Any) -> None:
        self.options += names

    def addini(self, name: str, *_: Any, **__: Any) -> None:
        self.ini.append(name)

    def get_name(self, _: object) -> str:
        return plugin.ENTRY_POINT

    def set_blocked(self, _: str) -> None:
        pass


def plugin_options() -> _Recorder:
    recorder = _Recorder()
    plugin.pytest_addoption(recorder, recorder)  # type: ignore[arg-type]
    return recorder


@pytest.mark.parametrize("name", sorted(main.commands))
def test_each_option_of_a_command_is_on_its_page(name: str) -> None:
    pages = PAGE_OF.get(name, ("cli.md", "export.md"))
    text = "\n".join((DOCS / page).read_text() for page in pages)
    named = set(OPTION.findall(text))
    missing = sorted(options(main.commands[name]) - named)
    assert not missing, f"replaycheck {name}: {missing} are in no word of {pages}"


def test_each_option_cli_md_names_is_one_a_command_takes() -> None:
    known = set().union(*(options(c) for c in main.commands.values()))
    named = set(OPTION.findall((DOCS / "cli.md").read_text()))
    unknown = sorted(named - known - OTHER_TOOLS)
    assert not unknown, f"cli.md names options no command takes: {unknown}"


def test_configuration_md_has_a_row_for_each_key_and_no_other() -> None:
    text = (DOCS / "configuration.md").read_text()
    rows = re.findall(r"^\| `(\w+)` \|", text, re.MULTILINE)
    assert sorted(rows) == sorted(KNOWN_KEYS)


def test_pytest_md_lists_each_option_and_ini_key_of_the_plugin() -> None:
    added = plugin_options()
    text = (DOCS / "pytest.md").read_text()
    table = text.split("## Options", 1)[1].split("\n## ", 1)[0]
    missing = [o for o in added.options if f"`{o}=" not in table]
    missing += [key for key in added.ini if f"`{key}`" not in table]
    assert not missing, f"pytest.md's Options table leaves out {missing}"
    current = [p for p in PAGES if p.name != "changelog.md"]  # it quotes what was
    everywhere = "\n".join(p.read_text() for p in [*current, REPO / "README.md"])
    named = {o for o in OPTION.findall(everywhere) if o.startswith("--replaycheck")}
    assert named <= set(added.options), f"no such option: {sorted(named - set(added.options))}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_each_link_opens_a_page_and_a_heading_of_it(page: Path) -> None:
    for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
        if "://" in link:
            continue
        path, _, anchor = link.partition("#")
        target = (page.parent / path) if path else page
        assert target.exists(), f"{page.name} links {link}: no such file"
        if anchor:
            assert anchor in heading_anchors(target), f"{page.name} links {link}: no such heading"
