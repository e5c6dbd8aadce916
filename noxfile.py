"""Developer sessions: tests, lint, types, bench (``nox -s NAME``)."""

import nox

nox.options.sessions = ["tests", "lint", "types"]
nox.options.default_venv_backend = "venv"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite, spread over two processes."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session(python=["3.10", "3.12", "3.13"])
def pythons(session: nox.Session) -> None:
    """The test suite on the other Python versions the package supports (CI runs 3.11)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-n", "2", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "src")


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict on src."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks: replaycheck against the raw batched Replayer (prints ratios)."""
    session.install("-e", ".[test]")
    session.run("python", "bench/run_all.py", *session.posargs)
