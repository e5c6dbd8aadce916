"""Checks of setting values (timeouts, ``module:object`` specs, workflow specs, module names);
each error names where the value came from. Re-exported from ``replaycheck.config``."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from replaycheck._spec_hints import as_module_hint
from replaycheck.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

CLI_NAMES = {
    "workflows": "--workflows",
    "timeout": "--timeout",
    "data_converter": "--data-converter",
    "passthrough_modules": "--passthrough-module",
    "workflow_runner": "--workflow-runner",
    "workflow_failure_exception_types": "--failure-exception-type",
    "interceptors": "--interceptor",
    "plugins": "--plugin",
}
"""The command-line option of each setting ``Settings.override`` checks, as its messages
name it."""

PYTHON_NAMES = {key: f"override({key}=...)" for key in CLI_NAMES}
"""The same settings, given by a Python caller of :meth:`Settings.override`."""


def other_place(key: str, given: str | None) -> str:
    """Where the caller changes setting ``key`` besides ``[tool.replaycheck]``, as a message
    names it: ``given`` (how the caller gave it: ``override(key=...)``, a pytest option), the
    command line's option when ``None``; ``""`` when nowhere else (pytest reads
    ``data_converter`` from the table alone)."""
    if given is not None:
        return given
    return CLI_NAMES.get(key, f"--{key.replace('_', '-')}")


def or_other(key: str, given: str | None, joint: str = " or ") -> str:
    """:func:`other_place` after ``joint``; ``""`` when there is none."""
    place = other_place(key, given)
    return f"{joint}{place}" if place else ""


def other_then(key: str, given: str | None, joint: str) -> str:
    """:func:`other_place` before ``joint``; ``""`` when there is none."""
    place = other_place(key, given)
    return f"{place}{joint}" if place else ""


def given_with(given: str, value: str, listed: str) -> str:
    """``given`` (how the caller gives a list setting, as :func:`other_place` names it) with
    ``value`` in it (``listed``: the same as the items of a list), as a message tells to pass
    it: ``--replaycheck-passthrough-module X``, ``override(passthrough_modules=["X"])``."""
    if given.startswith("--"):
        return f"{given} {value}"
    if given.endswith("=...)"):
        return f"{given.removesuffix('...)')}[{listed}])"
    if "=[...] (" in given:  # explore()'s and generate's: key=[...] (--option)
        return f"{given.replace('[...]', f'[{listed}]').removesuffix(')')} {value})"
    return f"{given} = {value}"  # an ini key


def as_str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}.")
    return value


def str_list(table: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}.")
    if not all(value):
        raise ConfigError(f"{where}: {key} holds an empty string {value!r}; remove it.")
    return value


def toml_number(table: Mapping[str, Any], key: str, where: str, default: float) -> Any:
    """``table[key]`` (``default`` when absent), refusing a quoted number: TOML has numbers, so
    ``"60"`` is a typo to point out, where an ini file or a command line can only give text."""
    value = table.get(key, default)
    if isinstance(value, str):
        example = value.strip()
        try:
            float(example)
        except ValueError:
            example = f"{default:g}"
        raise ConfigError(
            f"{where} {key}: a number is written without quotes in TOML "
            f"({key} = {example}), got {value!r}."
        )
    return value


MAX_TIMEOUT = 7 * 24 * 3600.0
"""A week: any longer is no limit at all, and unbounded waits hang CI."""


def check_timeout(value: Any, where: str) -> float:
    """A positive number of seconds, at most :data:`MAX_TIMEOUT`."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)  # from an ini file or a command line
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not 0 < value <= MAX_TIMEOUT  # also rejects nan
    ):
        raise ConfigError(
            f"{where}: timeout must be a positive number of seconds up to {MAX_TIMEOUT:g} "
            f"(a week), got {value!r}."
        )
    return float(value)


OBJECT_KINDS = {
    "data_converter": "converter or codec",
    "workflow_runner": "SandboxedWorkflowRunner or SandboxRestrictions",
    "interceptors": "worker Interceptor",
    "plugins": "worker Plugin",
}
"""What each ``module:object`` setting names, for the messages about it."""


def described(value: Any) -> str:
    """What a value of the wrong kind is, for a message: ``the class X``, ``the module m``,
    ``an instance of X`` (so an object does not read as its class), or a built-in type's name
    (``int``, ``list``)."""
    if value is None:
        return "None"
    if isinstance(value, ModuleType):
        return f"the module {value.__name__}"
    if isinstance(value, type):
        return f"the class {value.__qualname__}"
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"an instance of {kind.__qualname__}"


def as_directory(value: object, where: str) -> Path | None:
    """``value`` (``None``, a ``str`` or an ``os.PathLike``) as a ``Path``.

    Raises:
        ConfigError: anything else, naming ``where`` it was given.
    """
    if value is None or isinstance(value, Path):
        return value
    if isinstance(value, (str, os.PathLike)) and isinstance(os.fspath(value), str):
        return Path(value)
    raise ConfigError(f"{where}: expected a directory (a str or a Path), got {described(value)}.")


def read_toml(path: Path, *, bom: bool = False) -> dict[str, Any]:
    """The TOML file at ``path``; a file that cannot be read is a :class:`ConfigError`.
    ``bom``: take a UTF-8 byte order mark before it, as temporalio's reader does (TOML has
    none)."""
    data = b""
    try:
        data = path.read_bytes()
        return tomllib.loads(data.decode("utf-8-sig" if bom else "utf-8"))
    except OSError as exc:
        reason = f"cannot read it ({exc.strerror or exc}); {access_fix(exc)}"
        raise ConfigError(f"{path}: {reason}.") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = _toml_encoding(data, bom) or f"cannot read it as TOML ({exc}); fix the file"
        raise ConfigError(f"{path}: {reason}.") from None


def access_fix(exc: OSError, can: str = "read it", *, also: str = "") -> str:
    """What to do about ``exc``, an error reading (``can``: what the user must be able to do)
    a path: a permission refused is the path's permissions or the user's, never the file's
    content; ``also`` is one more way out, last in the list."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        ways = [
            "fix its permissions (and those of the directories above it)",
            f"run as a user who can {can}",
        ]
    else:
        ways = ["check the path and the disk it is on"]
    ways += [also] if also else []
    return ", or ".join(ways) if len(ways) < 3 else f"{', '.join(ways[:-1])}, or {ways[-1]}"


def _toml_encoding(data: bytes, bom: bool = False) -> str | None:
    """Why TOML's parser refuses ``data`` when its text encoding is the reason, else ``None``:
    a byte order mark (Notepad's "UTF-8 with BOM"), or UTF-16 (PowerShell's ``>``)."""
    if data.startswith(b"\xef\xbb\xbf") and not bom:
        return (
            "starts with a UTF-8 byte order mark (BOM), which TOML does not allow; re-save it "
            "as UTF-8 without a BOM"
        )
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(data) > 1 and 0 in data[:2]):
        return "is UTF-16 text; TOML must be UTF-8: re-save it as UTF-8"
    return None


def settings_start(start: object, stop: object) -> tuple[Path, Path | None]:
    """``load_settings``' ``start`` (the working directory when ``None``) and ``stop`` as paths.

    Raises:
        ConfigError: either is not a path, or ``start`` does not exist.
    """
    begin = as_directory(start, "load_settings(start=...)") or Path.cwd()
    if not begin.exists():
        raise ConfigError(
            f"load_settings(start=...): {begin} does not exist; give the project's directory "
            "(or a file in it), or leave start out for the working directory."
        )
    begin = begin.parent if begin.is_file() else begin  # load_settings(__file__)
    return begin, as_directory(stop, "load_settings(stop=...)")


def check_object_spec(value: Any, where: str, key: str = "data_converter") -> str:
    """``module:object`` syntax check of ``data_converter``, ``workflow_runner`` or one entry of
    ``interceptors`` / ``plugins`` (``key``; imported where it is used)."""
    if not isinstance(value, str):  # e.g. a DataConverter object handed to the fixture
        raise ConfigError(
            f"{where}: {key} must be a 'package.module:object' string naming your "
            f"{OBJECT_KINDS[key]} (the replay worker imports it), got {described(value)}."
        )
    text = as_str(value, where)  # not empty
    module, sep, attr = text.partition(":")
    if not sep or not module or not attr:
        raise ConfigError(f"{where}: {key} must look like 'package.module:object', got {text!r}.")
    return text


def parse_object_specs(values: Any, where: str, key: str) -> tuple[str, ...]:
    """The ``module:object`` specs of ``interceptors`` or ``plugins`` (``key``), in order, each
    checked as :func:`check_object_spec` does (comma lists allowed)."""
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        values = [values]
    out: dict[str, None] = {}
    for raw in values:
        parts = [p.strip() for p in raw.split(",")] if isinstance(raw, str) else [raw]
        out.update(dict.fromkeys(check_object_spec(p, where, key) for p in parts))
    return tuple(out)


def parse_module_names(names: Iterable[str], where: str) -> tuple[str, ...]:
    """Dotted module names (``passthrough_modules``; comma lists allowed), without duplicates."""
    out: dict[str, None] = {}
    for raw in names:
        for name in (n.strip() for n in _text(raw, where, "module names").split(",")):
            if not name or not all(part.isidentifier() for part in name.split(".")):
                raise ConfigError(
                    f"{where}: {name!r} is not a module name; pass modules through by their "
                    "import name, e.g. 'shop.settings' or 'pydantic'."
                )
            out[name] = None
    return tuple(out)


def _text(value: Any, where: str, what: str) -> str:
    """One entry of a list setting, which must be a string (a Python caller may pass a class
    or a module)."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected {what} (strings), got {described(value)}.")
    return value


def parse_workflow_specs(specs: Iterable[str], where: str) -> list[str]:
    """Check the ``pkg.module`` / ``pkg.module:Class`` syntax of each spec (comma lists allowed)."""
    out: list[str] = []
    for raw in specs:
        for spec in (s.strip() for s in _text(raw, where, "workflow specs").split(",")):
            module, _, cls = spec.partition(":")
            names = module.split(".") + ([cls] if cls else [])
            if not spec or not all(n.isidentifier() for n in names):
                raise ConfigError(
                    f"{where}: {spec!r} is not a workflow spec; use 'package.module' "
                    "(every @workflow.defn class in it) or 'package.module:ClassName'"
                    f"{as_module_hint(spec)}."
                )
            out.append(spec)
    return out


def parse_failure_types(specs: Iterable[str], where: str) -> tuple[str, ...]:
    """Exception classes as ``workflow_failure_exception_types`` names them (comma lists
    allowed): ``package.module:Class``, or a built-in exception's bare name (``ValueError``,
    ``Exception``); checked, not imported, without duplicates."""
    import builtins

    out: dict[str, None] = {}
    for raw in specs:
        for spec in (s.strip() for s in _text(raw, where, "exception class names").split(",")):
            module, sep, name = spec.partition(":")
            parts = [*module.split("."), *name.split(".")] if sep else [spec]
            if spec and all(p.isidentifier() for p in parts):
                found = getattr(builtins, spec, None) if not sep else None
                if sep or (isinstance(found, type) and issubclass(found, BaseException)):
                    out[spec] = None
                    continue
            raise ConfigError(f"{where}: {_not_a_class(spec)}")
    return tuple(out)


def _not_a_class(spec: str) -> str:
    """Why ``spec`` names no exception class, and the spelling that would."""
    module, _, name = spec.rpartition(".")
    if spec.isidentifier():
        return (
            f"{spec!r} is not a built-in exception; name your own class with its module, as "
            f"'package.module:{spec}'."
        )
    if ":" not in spec and module and all(p.isidentifier() for p in spec.split(".")):
        return f"{spec!r} names no class; write it as '{module}:{name}' (module:Class)."
    return (
        f"{spec!r} is not an exception class; name each as 'package.module:Class', or a "
        "built-in exception by its name, such as 'ValueError'."
    )


def type_name(cls: type) -> str:
    """The workflow type ``cls`` registers (``*``: a dynamic workflow)."""
    from temporalio.workflow import _Definition

    defn = _Definition.from_class(cls)
    return (defn.name if defn else None) or "*"


def type_clash(classes: Iterable[type]) -> tuple[str, type, type] | None:
    """The first workflow type two of ``classes`` register (dynamic workflows as ``*``), with
    the class that registered it first and the other; ``None`` when each has its own."""
    seen: dict[str, type] = {}
    for cls in classes:
        name = type_name(cls)
        first = seen.setdefault(name, cls)
        if first is not cls:
            return name, first, cls
    return None


def clash_message(name: str, first: type, other: type) -> str:
    """The error for two configured classes that register workflow type ``name``; when they are
    one file imported as two modules (``src.shop.x`` and ``shop.x``: a src layout's ``src.``
    prefix in the workflows setting), it names the module name to keep."""
    both = (
        f"workflow type {name!r} is defined by both {first.__module__}.{first.__qualname__} "
        f"and {other.__module__}.{other.__qualname__}"
    )
    path = _module_file(first)
    if path is None or path != _module_file(other) or first.__qualname__ != other.__qualname__:
        return f"{both}; configure only one of them (module:Class)."
    short, long = sorted((first.__module__, other.__module__), key=len)
    layout = " (a src layout: drop the 'src.' prefix, with pythonpath = [\"src\"])"
    return (
        f"{both}, one class of {_shown(path)} imported as two modules; name its module "
        f"{short!r} in the workflows setting and in your code's imports, not {long!r}"
        f"{layout if long == f'src.{short}' else ''}."
    )


def _module_file(cls: type) -> Path | None:
    file = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return Path(file).resolve() if file else None


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd().resolve()))
    return str(path)
