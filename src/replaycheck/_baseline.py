"""Baseline workflow code from a git ref, importable beside the working tree's.

The files of the workflow modules' top-level packages (and of the top-level packages those
import) are read with ``git show REF:path`` into a temporary directory, under a package with a
unique name, and their absolute imports of each other are rewritten to that package. The working
tree and the index are never touched, and the baseline's modules never shadow the new code's.
"""

from __future__ import annotations

import ast
import contextlib
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from replaycheck.config import Settings
from replaycheck.errors import ConfigError


def _git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise ConfigError(f"cannot run git ({exc}); --baseline REF needs git.") from None
    if done.returncode != 0:
        raise ConfigError(f"git {' '.join(args)} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


def _show(repo: Path, ref: str, path: str) -> str:
    return _git(repo, "show", f"{ref}:{path}")


class _Tree:
    """The ``.py`` files of one commit below the import roots, read lazily: a top-level module
    or package comes from the first root that has it, as an import would take it."""

    def __init__(self, repo: Path, ref: str, roots: Sequence[str]) -> None:
        self.repo, self.ref = repo, ref
        self.root_of: dict[str, str] = {}
        """Relative path -> the root it is under."""
        claimed: set[str] = set()
        for root in roots:
            listing = _git(repo, "ls-tree", "-r", "--name-only", ref, "--", root or ".")
            prefix = f"{root}/" if root else ""
            found = [p.removeprefix(prefix) for p in listing.splitlines() if p.endswith(".py")]
            tops = {_top(f) for f in found}
            for relative in found:
                if _top(relative) not in claimed:
                    self.root_of.setdefault(relative, root)
            claimed |= tops
        self.files = list(self.root_of)

    def top_level(self, name: str) -> list[str]:
        """Files of top-level module or package ``name`` (paths relative to their root)."""
        return [f for f in self.files if f == f"{name}.py" or f.startswith(f"{name}/")]

    def read(self, relative: str) -> str:
        root = self.root_of[relative]
        return _show(self.repo, self.ref, f"{root}/{relative}" if root else relative)


def _top(relative: str) -> str:
    """The top-level module or package a file's relative path belongs to."""
    return relative.split("/")[0].removesuffix(".py")


def _imported_tops(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    tops = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
    return tops


def _rewrite(source: str, tops: set[str], prefix: str) -> str:
    """Point absolute imports of the materialized packages at ``prefix``."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits: list[tuple[int, int, int, int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        text = _rewritten(node, tops, prefix)
        if text is not None:
            assert node.end_lineno is not None and node.end_col_offset is not None
            edits.append((node.lineno, node.col_offset, node.end_lineno, node.end_col_offset, text))
    for line, col, end_line, end_col, text in sorted(edits, reverse=True):
        head = lines[line - 1][:col]
        tail = lines[end_line - 1][end_col:]
        lines[line - 1 : end_line] = [head + text + tail]
    return "".join(lines)


def _rewritten(node: ast.AST, tops: set[str], prefix: str) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module.split(".")[0] not in tops:
            return None
        names = ", ".join(f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names)
        return f"from {prefix}.{node.module} import {names}"
    if isinstance(node, ast.Import) and any(a.name.split(".")[0] in tops for a in node.names):
        parts = []
        for alias in node.names:
            top = alias.name.split(".")[0]
            if top not in tops:
                alias_text = f" as {alias.asname}" if alias.asname else ""
                parts.append(f"import {alias.name}{alias_text}")
            elif alias.asname:
                parts.append(f"import {prefix}.{alias.name} as {alias.asname}")
            else:
                parts.append(f"import {prefix}.{alias.name}; from {prefix} import {top}")
        return "; ".join(parts)
    return None


def _import_roots(settings: Settings, toplevel: Path) -> list[str]:
    """The import paths inside the repository, relative to it: the project's directory, then
    its ``pythonpath`` entries (a src layout's ``src``)."""
    try:
        settings.root.resolve().relative_to(toplevel.resolve())
    except ValueError:
        raise ConfigError(
            f"{settings.root} is not inside the git repository at {toplevel}."
        ) from None
    roots = []
    for path in settings.import_paths:
        try:
            relative = Path(path).resolve().relative_to(toplevel.resolve())
        except ValueError:  # outside the repository: not in the commit
            continue
        text = PurePosixPath(*relative.parts).as_posix()
        roots.append("" if text == "." else text)
    return list(dict.fromkeys(roots))


def _closure(tree: _Tree, start: Sequence[str]) -> dict[str, str]:
    """Relative path -> source of every file of the needed top-level packages."""
    available = {_top(f) for f in tree.files}
    queue, seen, sources = list(dict.fromkeys(start)), set(), {}
    while queue:
        top = queue.pop()
        if top in seen:
            continue
        seen.add(top)
        for relative in tree.top_level(top):
            sources[relative] = tree.read(relative)
            queue.extend(t for t in _imported_tops(sources[relative]) if t in available)
    return sources


def _given(ref: str, cli: bool) -> str:
    """The baseline as its caller gave it: the command's ``--baseline``, else the argument."""
    return f"--baseline {ref!r}" if cli else f"baseline={ref!r}"


@contextlib.contextmanager
def materialize(
    ref: str,
    specs: Sequence[str],
    settings: Settings,
    *,
    ref_only: bool = False,
    cli: bool = False,
) -> Iterator[tuple[list[str], str, list[str]]]:
    """The workflow ``specs`` as they are at git ``ref``, importable for the ``with`` block;
    ``ref_only``: the baseline cannot have meant a module (``git:REF``, ``HEAD~1``); ``cli``:
    messages name the command's options (``--baseline``, ``-w``), not ``explore()``'s
    arguments.

    Yields:
        The specs renamed under the unique package, the directory to import them from, and
        the specs whose module the commit does not have (new since: left out).

    Raises:
        ConfigError: not a git repository, unknown ref, or the modules are not in that commit.
    """
    toplevel = _toplevel(ref, settings.root, cli)
    try:
        commit = _git(toplevel, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except ConfigError:
        if ref_only:
            raise ConfigError(
                f"{_given(ref, cli)} is not a commit of the git repository at {toplevel}; fetch "
                "the ref (git fetch) or check its spelling (git branch -a, git log --oneline)."
            ) from None
        raise ConfigError(
            f"{_given(ref, cli)} is neither a workflow module on the import path nor a commit of "
            f"the git repository at {toplevel}; fetch the ref (git fetch) or name the module."
        ) from None
    tops = [spec.split(":")[0].split(".")[0] for spec in specs]
    roots = _import_roots(settings, toplevel)  # the project, then its pythonpath (src/)
    tree = _Tree(toplevel, commit, roots)
    missing = [t for t in tops if not tree.top_level(t)]
    if missing:
        where = ", ".join(str(toplevel / r) if r else str(toplevel) for r in roots)
        raise ConfigError(
            f"{ref} has no module or package {missing[0]!r} under {where}; name the directory "
            "it is in with pythonpath under [tool.replaycheck] (or pytest's)."
        )
    absent = [s for s in specs if not _has_module(tree, s)]
    if len(absent) == len(specs):
        named = "(-w), or a later --baseline" if cli else "(new=[...]), or a later baseline"
        raise ConfigError(
            f"{ref} has no workflow module {absent[0]!r} (it is new since): no execution "
            f"recorded by that code can break; name the modules that ref has {named}."
        )
    specs = [s for s in specs if s not in absent]
    sources = _closure(tree, tops)
    prefix = f"_replaycheck_baseline_{commit[:8]}_{uuid.uuid4().hex[:6]}"
    directory = Path(tempfile.mkdtemp(prefix="replaycheck-baseline-"))
    tops_written = {_top(p) for p in sources}
    try:
        _write(directory / prefix, sources, tops_written, prefix)
        yield [f"{prefix}.{spec}" for spec in specs], str(directory), absent
    finally:
        _forget(prefix, str(directory))
        shutil.rmtree(directory, ignore_errors=True)


def _has_module(tree: _Tree, spec: str) -> bool:
    path = spec.partition(":")[0].replace(".", "/")
    return f"{path}.py" in tree.root_of or f"{path}/__init__.py" in tree.root_of


def _toplevel(ref: str, root: Path, cli: bool) -> Path:
    """The git repository ``root`` is in; a ref needs one."""
    try:
        return Path(_git(root, "rev-parse", "--show-toplevel").strip())
    except ConfigError:
        where = "run generate inside the repository" if cli else "pass root= a directory in it"
        modules = "--baseline myapp.workflows_v1" if cli else "baseline='myapp.workflows_v1'"
        raise ConfigError(
            f"{_given(ref, cli)} is not a workflow module on the import path, and {root} is not "
            f"in a git repository to read it as a ref from; {where} (git init, then commit the "
            f"previous code) or name the previous code's workflow modules ({modules})."
        ) from None


def _write(package: Path, sources: dict[str, str], tops: set[str], prefix: str) -> None:
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for relative, source in sources.items():
        target = package / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            text = _rewrite(source, tops, prefix)
        except SyntaxError:
            text = source  # importing it will report the error with its real location
        target.write_text(text, encoding="utf-8")


def _forget(prefix: str, directory: str) -> None:
    for name in [n for n in sys.modules if n == prefix or n.startswith(prefix + ".")]:
        del sys.modules[name]
    with contextlib.suppress(ValueError):
        sys.path.remove(directory)
