"""Generated histories: search what the *previous* workflow code can record, replay it under the
new code.

Hypothesis draws each example (workflow arguments, every activity outcome, which signals and
updates arrive when, and the point at which the execution is paused); the baseline code runs it
on the time-skipping test server with stand-in activities; the recorded history is replayed
against the new code by the same engine as ``replaycheck check``. A nondeterministic verdict
fails the example, and Hypothesis shrinks it to a minimal scenario::

    from replaycheck.generate import explore

    result = explore(
        baseline="examples.provisioning.workflows_v1",   # or a git ref: baseline="origin/main"
        new="examples.provisioning.workflows",
        workflow_type="TenantProvisioning",
    )
    assert result.ok, result.render()

See ``docs/generate.md``; for pytest use :func:`given_histories`.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from replaycheck.errors import ConfigError

if TYPE_CHECKING:
    from replaycheck._generate_run import Tally, TypeOutcome
    from replaycheck._progress import Progress
    from replaycheck._scenario import Scenario
    from replaycheck.verdict import Verdict

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_MAX_STEPS",
    "Counterexample",
    "Exploration",
    "GenerationSpec",
    "explore",
    "given_histories",
    "limits_from",
    "run",
]

DEFAULT_MAX_EXAMPLES = 100
"""Examples per workflow type (each is one execution on the test server and one replay)."""
DEFAULT_MAX_STEPS = 20
"""Workflow tasks one execution may complete before it is recorded as paused."""
DEFAULT_MAX_SIGNALS = 3
"""Signals one example may send."""
DEFAULT_MAX_UPDATES = 3
"""Updates one example may send."""
DEFAULT_EXAMPLE_TIMEOUT = 10.0
"""Real seconds one execution may take (timers cost nothing: time is skipped)."""
MAX_EXAMPLES_LIMIT = 10_000
MAX_STEPS_LIMIT = 1_000
MAX_MESSAGES_LIMIT = 100
"""Most signals (and most updates) one example may send."""

GIT_PREFIX = "git:"
_MODULE_SPEC = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


@dataclass(frozen=True)
class GenerationSpec:
    """What to explore; every field but ``baseline`` has a default.

    Strategies are Hypothesis strategies. An argument strategy is either a sequence with one
    strategy per parameter, or one strategy: the argument of a one-parameter method (the whole
    argument tuple for more parameters).
    """

    baseline: str | Sequence[str]
    """The previous code: workflow module specs (``pkg.module`` or ``pkg.module:Class``), or a
    git ref (``origin/main``, ``HEAD~1``; force one with ``git:REF``) whose version of the
    ``new`` modules is used."""
    new: str | Sequence[str] = ()
    """The code to check (module specs); default: ``workflows`` in ``[tool.replaycheck]``."""
    workflow_type: str | None = None
    """The type to start; default: every type both versions define."""
    args: Any = None
    """Strategy for the run method's arguments; default ``st.from_type`` of its type hints."""
    activities: Mapping[str, Any] = field(default_factory=dict)
    """Activity name -> strategy of its results; default: from the return type hint."""
    signals: Mapping[str, Any] | None = None
    """Signal name -> argument strategy; default: every signal, from its type hints."""
    updates: Mapping[str, Any] | None = None
    """Update name -> argument strategy; default: every update handler, from its type hints."""
    failures: bool = True
    """Whether activity calls may fail (retryable or not) as well as return."""
    max_examples: int = DEFAULT_MAX_EXAMPLES
    max_steps: int = DEFAULT_MAX_STEPS
    max_signals: int = DEFAULT_MAX_SIGNALS
    """Signals one example may send (0: none)."""
    max_updates: int = DEFAULT_MAX_UPDATES
    """Updates one example may send (0: none)."""
    example_timeout: float = DEFAULT_EXAMPLE_TIMEOUT
    seed: int | None = None
    """Random seed; default: a fixed search (``derandomize``), the same on every run."""
    root: Path | None = None
    """Where ``[tool.replaycheck]`` and the git repository are looked up; default: cwd. A
    ``str`` (or any ``os.PathLike``) is taken as its ``Path``."""
    save: Path | None = None
    """Write one history per distinct shape into this directory (``<Type>/generated-*.json``);
    a ``str`` (or any ``os.PathLike``) is taken as its ``Path``."""
    workflow_failure_exception_types: Sequence[str] = ()
    """Exceptions that fail the workflow (``module:Class``, or a built-in's name), as the
    workers' ``workflow_failure_exception_types``; default: the setting in
    ``[tool.replaycheck]``."""
    interceptors: Sequence[str] = ()
    """The worker's interceptors (``module:object``); default: ``interceptors`` in
    ``[tool.replaycheck]``. The baseline worker and the replay both run them."""
    plugins: Sequence[str] = ()
    """The worker's plugins (``module:object``); default: ``plugins`` in ``[tool.replaycheck]``."""

    def __post_init__(self) -> None:
        from replaycheck._config_values import as_directory

        for key in ("root", "save"):  # explore(save="out") is how most callers write a path
            object.__setattr__(self, key, as_directory(getattr(self, key), f"explore({key}=...)"))


@dataclass(frozen=True)
class Counterexample:
    """The minimal failing example of one workflow type."""

    scenario: Scenario
    verdict: Verdict

    def render(self) -> str:
        """The scenario, then the verdict and its diagnosis as ``replaycheck check`` shows it."""
        from replaycheck.report import render_verdict

        lines = ["minimal scenario:"]
        lines += ["  " + line for line in self.scenario.render()]
        lines += ["", render_verdict(self.verdict)]
        return "\n".join(lines)


@dataclass(frozen=True)
class Exploration:
    """The result of :func:`explore`."""

    workflow_types: tuple[str, ...]
    examples: int
    """Examples run (shrinking included)."""
    histories: int
    """Histories generated and replayed."""
    shapes: int
    """Distinct shapes (commands and what was received, ``replaycheck.shapes``) among them."""
    seconds: float
    counterexamples: tuple[Counterexample, ...] = ()
    errors: tuple[str, ...] = ()
    """Histories that could not be checked, and flaky searches."""
    saved: tuple[Path, ...] = ()
    untyped: tuple[str, ...] = ()
    """Activities whose result type was not found: their stand-ins only returned ``None``, so
    branches on their results were not explored."""
    undrawn: tuple[str, ...] = ()
    """Dynamic handlers nothing was sent to (``the dynamic signal handler of Orders``)."""
    new_modules: tuple[str, ...] = ()
    """New workflow modules the git baseline does not have (new since): left out."""
    baseline_ref: str = ""
    """The git ref the baseline was read from (empty for modules)."""
    timed_out_updates: int = 0
    """Drawn updates the executions did not accept (or reject) within the example timeout,
    nor later: they count as not sent, so what their handlers do went unexplored there."""

    @property
    def ok(self) -> bool:
        """Every generated history replayed and none was an error."""
        return not self.counterexamples and not self.errors

    @property
    def exit_code(self) -> int:
        """0 ok, 1 nondeterminism found, 2 something could not be checked."""
        return 2 if self.errors else (1 if self.counterexamples else 0)

    def render(self) -> str:
        """A text report: each counterexample, then one summary line."""
        from replaycheck._exploration_text import render_exploration

        return render_exploration(self)


def explore(baseline: str | Sequence[str], **options: Any) -> Exploration:
    """Explore the histories ``baseline`` can produce and replay each under the new code.

    Args:
        baseline: previous workflow modules or a git ref (see :class:`GenerationSpec`).
        **options: the other fields of :class:`GenerationSpec`.

    Returns:
        The :class:`Exploration`; ``ok`` is false when a history does not replay.

    Raises:
        ConfigError: bad limits, unknown workflow type, modules or git ref that do not load.
        ReplaycheckError: ``save`` names a directory an export (or another ``save``) is
            writing into, or one that cannot be written; or this thread runs an event loop
            (an async test: call it with ``asyncio.to_thread``).
    """
    return run(GenerationSpec(baseline=baseline, **options))


def run(
    spec: GenerationSpec, *, progress: Progress | None = None, cli: bool = False
) -> Exploration:
    """Run ``spec`` (see :func:`explore`); the command line counts examples on ``progress``
    and passes ``cli``: messages then name its options (``--baseline``), not the arguments."""
    _check_bounds(spec)
    _check_installed()
    from replaycheck import _generate_setup as setup
    from replaycheck._generate_run import Runner, make_limits, run_targets, timed

    setup.outside_event_loop()
    limits = make_limits(spec.max_steps, spec.max_signals, spec.example_timeout, spec.max_updates)
    with setup.save_lock(spec.save), setup.resolved(spec, cli=cli) as resolved:
        engine = setup.engine(resolved, spec, limits)
        with Runner(engine, resolved.replay_job, progress=progress) as runner:
            targets = setup.targets(resolved, spec, runner.new_types())
            outcomes, seconds = timed(
                lambda: run_targets(runner, targets, spec.max_examples, spec.seed)
            )
            saved = setup.save(runner.tally, spec.save) if spec.save else ()
    exploration = _exploration(outcomes, runner.tally, seconds, saved)
    return replace(
        exploration,
        untyped=tuple(sorted(engine.untyped)),
        timed_out_updates=engine.timed_out_updates,
        new_modules=resolved.new_modules,
        baseline_ref=resolved.ref,
        undrawn=tuple(
            f"the dynamic {kind} handler of {t.workflow_type}"
            for t in targets
            for kind in t.undrawn
        ),
    )


def _check_installed() -> None:
    """Hypothesis is not a dependency of replaycheck: only ``generate`` needs it."""
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise ConfigError(
            "generate needs Hypothesis and the time-skipping test server: "
            "pip install 'temporal-replaycheck[generate]'."
        ) from None


def _check_bounds(spec: GenerationSpec) -> None:
    bounds = {"max_examples": (1, MAX_EXAMPLES_LIMIT), "max_steps": (1, MAX_STEPS_LIMIT)}
    bounds |= dict.fromkeys(("max_signals", "max_updates"), (0, MAX_MESSAGES_LIMIT))
    for name, (low, high) in bounds.items():
        if not low <= getattr(spec, name) <= high:
            raise ConfigError(f"{name} must be between {low} and {high}.")


def _exploration(
    outcomes: Sequence[TypeOutcome], tally: Tally, seconds: float, saved: Sequence[Path]
) -> Exploration:
    failures = tuple(
        Counterexample(o.failure.scenario, o.failure.verdict) for o in outcomes if o.failure
    )
    errors = [f"{o.workflow_type}: {o.error}" for o in outcomes if o.error]
    errors += [f"{v.path}: {v.message}" for v in tally.errors]
    return Exploration(
        workflow_types=tuple(o.workflow_type for o in outcomes),
        examples=sum(o.examples for o in outcomes),
        histories=tally.histories,
        shapes=len(tally.shapes),
        seconds=seconds,
        counterexamples=failures,
        errors=tuple(errors),
        saved=tuple(saved),
    )


def limits_from(**values: int | None) -> dict[str, Any]:
    """The limits that were given (command-line options left unset fall back to defaults)."""
    return {name: value for name, value in values.items() if value is not None}


def may_be_module(value: str) -> bool:
    """Whether a ``baseline`` string could name workflow modules (not ``git:REF``, ``HEAD~1``)."""
    return not value.startswith(GIT_PREFIX) and bool(_MODULE_SPEC.match(value))


def is_git_ref(value: str, import_paths: Sequence[str] = ()) -> bool:
    """Whether a ``baseline`` string names a git ref rather than workflow modules.

    ``git:REF`` always does; a valid module spec that can be found on ``sys.path`` never does;
    anything else (``origin/main``, ``HEAD~1``, ``v1.2``) does.
    """
    from replaycheck.config import module_file

    if not may_be_module(value):
        return True
    module = value.partition(":")[0]
    if module in sys.modules:
        return False
    return module_file(module, import_paths) is None


F = TypeVar("F", bound=Callable[..., Any])


def given_histories(baseline: str | Sequence[str], **options: Any) -> Callable[[F], F]:
    """Decorate a test to explore generated histories before its body runs.

    Like ``@hypothesis.given``, the decorated test is the property: it fails, showing the minimal
    scenario and the diagnosis, when a generated history does not replay under the new code. If
    every history replays, the test body runs with the :class:`Exploration` as its
    ``exploration`` argument when it has one (e.g. to assert on ``exploration.shapes``)::

        @given_histories(baseline="myapp.workflows_v1", new=["myapp.workflows"],
                         workflow_type="Orders", max_examples=30)
        def test_orders_replay(exploration):
            assert exploration.histories > 0

    Args:
        baseline: as for :func:`explore`.
        **options: the other fields of :class:`GenerationSpec`.
    """
    spec = GenerationSpec(baseline=baseline, **options)

    def decorate(test: F) -> F:
        signature = inspect.signature(test)
        wants = "exploration" in signature.parameters

        @functools.wraps(test)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            result = run(spec)
            if not result.ok:
                raise AssertionError(result.render())
            if wants:
                kwargs["exploration"] = result
            return test(*args, **kwargs)

        params = [p for name, p in signature.parameters.items() if name != "exploration"]
        wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
