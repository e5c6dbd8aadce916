"""The pytest plugin proper (pytest 8.0 or later; ``replaycheck.plugin`` loads it): every stored
history is a test item that fails on nondeterminism.

Glue only: settings come from ``replaycheck.config``, verdicts from ``replaycheck.runner`` (one
worker process per pytest process, so all items replay through one ``Replayer``), text from
``replaycheck.report``. temporalio is never imported in the pytest process.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Generator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from replaycheck._plugin_config import (
    check_histories,
    fixture_runners_key,
    header_lines,
    header_shown_key,
    left_out_key,
    mode,
    no_histories_line,
    resolve_settings,
    runner_key,
    settings_key,
    within,
)
from replaycheck._plugin_items import (
    CLASSNAME_ATTRIBUTE,
    ERROR_ATTRIBUTE,
    FAILURE_ATTRIBUTE,
    MARKER,
    NOTED_ATTRIBUTE,
    NOTES_ATTRIBUTE,
    HistoryFile,
    JunitClassnames,
    ReplayFailed,
    ReplayItem,
    failure_json,
    junit_classname,
    junit_xml,
    noted_key,
)
from replaycheck._plugin_summary import NoHistoriesLine, VerdictCounter
from replaycheck.config import Settings
from replaycheck.errors import ReplaycheckError

if TYPE_CHECKING:
    from replaycheck._plugin_fixture import ReplaycheckFixture

# The rest of replaycheck is imported where it is used: a test run that configures no histories
# imports only the plugin's modules, config and errors.


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a stored history replayed by replaycheck")
    settings = None
    if mode(config) != "off":
        try:
            settings = resolve_settings(config)
        except ReplaycheckError as exc:
            raise pytest.UsageError(f"replaycheck: {exc}") from None
    config.stash[settings_key] = settings
    if settings is None and not _is_xdist_worker(config) and no_histories_line(config):
        config.pluginmanager.register(NoHistoriesLine(), "replaycheck-no-histories")
    if settings is not None:
        _add_history_args(config, settings)
        try:
            check_histories(config, settings)
        except ReplaycheckError as exc:
            raise pytest.UsageError(f"replaycheck: {exc}") from None
        from replaycheck.replay import ReplayJob
        from replaycheck.runner import Runner

        job = replace(ReplayJob.from_settings(settings, ()), capture_output=True)
        runner = Runner(job, keep_notes=True)
        config.stash[runner_key] = runner
        if not _is_xdist_worker(config):  # a worker's terminal summary is shown nowhere
            config.pluginmanager.register(VerdictCounter(), "replaycheck-counter")
        xml = junit_xml(config)  # made by junitxml's configure, which runs before this one
        if xml is not None:
            config.pluginmanager.register(JunitClassnames(xml), "replaycheck-junit")
        if not _coverage_starts_later(config):
            _warm(config)


@pytest.hookimpl(trylast=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Under xdist with ``--cov``, start the worker once pytest-cov measures (see below)."""
    if _coverage_starts_later(session.config):
        _warm(session.config)


def _warm(config: pytest.Config) -> None:
    """Start the worker now: it imports temporalio while pytest collects."""
    settings = config.stash[settings_key]
    if (
        settings is not None
        and _runs_tests_here(config)
        and _expects_history_items(config, settings)
    ):
        config.stash[runner_key].warm()


def _coverage_starts_later(config: pytest.Config) -> bool:
    """Whether pytest-cov starts measuring only at session start (in an xdist worker; before
    7 it also tells subprocesses to measure only then): a worker started earlier would not be
    measured."""
    option = config.option
    return (
        _is_xdist_worker(config)
        and bool(getattr(option, "cov_source", None))
        and not getattr(option, "no_cov", False)
    )


def _runs_tests_here(config: pytest.Config) -> bool:
    """False for runs that run no test (--collect-only, --fixtures, --markers, --setup-plan,
    ...) and for an xdist controller, whose workers run the tests."""
    option = config.option
    no_tests = ("collectonly", "showfixtures", "show_fixtures_per_test", "markers", "setupplan",
                "setuponly")  # fmt: skip
    if any(getattr(option, name, False) for name in no_tests):
        return False
    return _is_xdist_worker(config) or not getattr(config.option, "numprocesses", None)


def _expects_history_items(config: pytest.Config, settings: Settings) -> bool:
    """Whether the run will surely have history items (else the worker starts with the first).

    -m, -k or --deselect may deselect them all; named paths may not reach any history.
    """
    option = config.option
    if option.markexpr or option.keyword or getattr(option, "deselect", None):
        return False
    if getattr(option, "lf", False):  # --lf: maybe only other tests failed last time
        return False
    return _args_reach_histories(config, settings)


def _args_reach_histories(config: pytest.Config, settings: Settings) -> bool:
    """Whether a path named on the command line holds a history root or lies below one."""
    args, roots = _arg_paths(config, config.args), settings.histories
    return any(within(root, args) for root in roots) or any(within(a, roots) for a in args)


def _arg_paths(config: pytest.Config, args: Sequence[str]) -> list[Path]:
    return [Path(config.invocation_params.dir, a.split("::")[0]).resolve() for a in args]


def _add_history_args(config: pytest.Config, settings: Settings) -> None:
    """Collect the history paths even when testpaths do not reach them."""
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        # the user named what to run (with --replaycheck=only: its history items)
        if not _args_reach_histories(config, settings):
            config.stash[left_out_key] = "the paths given"
        return
    only = mode(config) == "only"
    named = config.getoption("replaycheck_histories") is not None  # on the command line
    if (
        config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR
        and config.invocation_params.dir != config.rootpath
        and not only
        and not named
    ):  # run from a subdirectory: its tests and histories, as pytest does for tests
        here = [config.invocation_params.dir.resolve()]
        if not any(within(root, here) or within(here[0], [root]) for root in settings.histories):
            config.stash[left_out_key] = "this directory"
        return
    args = [] if only else list(config.args)
    covered = _arg_paths(config, args)
    for path in settings.histories:
        if not within(path, covered):
            args.append(str(path))
    config.args[:] = args


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, Any, None]:
    """Stop the workers as the tests end: pytest-cov, whose wrapper is outside this one,
    combines the coverage data right after, and a worker writes its own as it leaves."""
    yield
    _stop_workers(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    _stop_workers(config)


def _stop_workers(config: pytest.Config) -> None:
    runner = config.stash.get(runner_key, None)
    if runner is not None:
        runner.close()
    pool = config.stash.get(fixture_runners_key, None)
    if pool is not None:
        pool.close()


def _history_roots(config: pytest.Config) -> Sequence[Path]:
    settings = config.stash.get(settings_key, None)
    return settings.histories if settings is not None else ()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> HistoryFile | None:
    roots = _history_roots(parent.config)
    if not roots:
        return None
    from replaycheck.histories import is_history_name

    under_root = within(file_path, roots)
    named = parent.session.isinitpath(file_path)
    if (
        file_path in roots  # configured by name: a history, whatever it is called
        or (is_history_name(file_path.name) and (under_root or named))
        or (named and under_root and file_path.suffix != ".py")  # named among the histories
    ):
        return HistoryFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> HistoryFile | None:
    """A history directory that cannot be listed is one item, which fails saying why and what
    to do (as ``check`` gives it an error verdict): pytest's own collector of it would stop
    the whole run with a collection error."""
    if not within(path, _history_roots(parent.config)):
        return None
    from replaycheck.histories import unlisted_reason

    return None if unlisted_reason(path) is None else HistoryFile.from_parent(parent, path=path)


# An old-style wrapper: pluggy before 1.2 (which an old pytest may come with) rejects
# ``wrapper=True`` when the module is imported, and the plugin is imported in every pytest run.
@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    """Under a history root, also collect what pytest's directory walk passes over because it
    is not a regular file (a broken symlink, a symlink loop, a fifo): ``check`` reports each
    as an error, so the history items must not drop them silently."""
    outcome = yield
    report: pytest.CollectReport | None = outcome.get_result() if not outcome.excinfo else None
    if report is not None:
        _add_unusual_files(collector, report)


def _add_unusual_files(collector: pytest.Collector, report: pytest.CollectReport) -> None:
    roots = _history_roots(collector.config)  # none before pytest 8: configure refused it
    if not roots or not isinstance(collector, pytest.Directory) or not report.passed:
        return
    if not within(collector.path, roots):
        return
    from replaycheck.histories import is_history_name

    try:
        entries = sorted(os.scandir(collector.path), key=lambda e: e.name)
    except OSError:
        return
    config = collector.config
    for entry in entries:
        path = Path(entry.path)
        if (
            is_history_name(entry.name)
            and not _file_or_directory(entry)
            and not collector.ihook.pytest_ignore_collect(collection_path=path, config=config)
        ):  # --ignore, --ignore-glob and collect_ignore still apply
            report.result.append(HistoryFile.from_parent(collector, path=path))


def _file_or_directory(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file() or entry.is_dir()
    except OSError:  # a symlink loop
        return False


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Under a history root, walk the directories ``norecursedirs`` skips, as ``check`` does.

    ``norecursedirs`` (``build``, ``dist``, ``venv``, ...) is about code; a history stored in
    such a directory must not be skipped silently. Every other reason pytest has to skip a path
    (``--ignore``, ``--ignore-glob``, ``collect_ignore``, ``collect_ignore_glob``, hidden
    directories) still applies.
    """
    roots = _history_roots(config)
    name = collection_path.name
    if (
        not roots
        or name.startswith(".")
        or not within(collection_path.parent, roots)  # below a root, not a root itself
        or not any(fnmatch.fnmatch(name, p) for p in config.getini("norecursedirs"))
        or not collection_path.is_dir()
    ):
        return None
    from replaycheck._plugin_ignore import ignored_by_user

    return None if ignored_by_user(collection_path, config) else False


def pytest_collection_finish(session: pytest.Session) -> None:
    """Without xdist, queue every history this process will run, in order."""
    runner = session.config.stash.get(runner_key, None)
    items = [i for i in session.items if isinstance(i, ReplayItem)]
    if runner is None or not items or not _runs_tests_here(session.config):
        return
    if not _is_xdist_worker(session.config):  # else which items are ours is known as they come
        runner.prefetch(str(i.path) for i in items)


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Under xdist, queue the histories of the items this worker runs next, so the replay worker
    keeps replaying ahead of them."""
    if isinstance(item, ReplayItem) and _is_xdist_worker(item.config):
        from replaycheck._plugin_xdist import queued_items

        following = queued_items(item.session) or ([nextitem] if nextitem else [])
        paths = [str(i.path) for i in (item, *following) if isinstance(i, ReplayItem)]
        item.config.stash[runner_key].prefetch(paths)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """A failing item's report carries its verdict: only the whole run (the xdist controller's
    summary) can tell that failures of two kinds are one removed patch gate, or group errors
    by reason. Every report of a history item carries its JUnit XML classname, for the
    process that writes it."""
    outcome: Any = yield
    writes_xml = getattr(item.config.option, "xmlpath", None)  # on xdist's workers too
    if writes_xml and isinstance(item, ReplayItem) and outcome.excinfo is None:
        setattr(outcome.get_result(), CLASSNAME_ATTRIBUTE, junit_classname(item.nodeid))
    if call.when == "call" and isinstance(item, ReplayItem):
        notes = item.config.stash[runner_key].take_notes()
        if notes:
            setattr(outcome.get_result(), NOTES_ATTRIBUTE, notes)
        if item.stash.get(noted_key, ""):
            setattr(outcome.get_result(), NOTED_ATTRIBUTE, item.stash[noted_key])
    failed = call.excinfo.value if call.when == "call" and call.excinfo is not None else None
    if isinstance(failed, ReplayFailed) and not failed.run_wide:
        error = failed.verdict.verdict == "error"
        name = ERROR_ATTRIBUTE if error else FAILURE_ATTRIBUTE
        setattr(outcome.get_result(), name, failure_json(failed.verdict))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--replaycheck=only`` drops the other items. pytest-timeout would time an item's wait
    for the histories queued before it, and fail fine histories behind a slow one: history
    items get ``timeout(0)`` (``--replaycheck-timeout`` bounds each replay), unless they
    have a ``timeout`` mark of the user's already (from a conftest, say)."""
    if mode(config) == "only":
        dropped = [i for i in items if not isinstance(i, ReplayItem)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if isinstance(i, ReplayItem)]
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if isinstance(item, ReplayItem) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(0))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash.get(settings_key, None)
    config.stash[header_shown_key] = True
    return no_histories_line(config) if settings is None else header_lines(config, settings)


@pytest.fixture
def replaycheck(request: pytest.FixtureRequest) -> ReplaycheckFixture:
    """Replay given histories against given workflows and return the verdicts."""
    from replaycheck._plugin_fixture import ReplaycheckFixture

    return ReplaycheckFixture(request.config)
