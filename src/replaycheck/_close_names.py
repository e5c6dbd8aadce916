"""The name a typo meant, among the names that are there: difflib's closest, unless the two
differ only in a number or an id (``order-9.json`` and ``order-4.json`` are two executions,
``workflows_v1`` and ``workflows_v2`` two modules: naming the other is no help)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

_SEPARATORS = re.compile(r"[-_.:\s]+")
_DIGITS = re.compile(r"\d+")
_HEX = re.compile(r"[0-9a-fA-F]+")


def typo_of(name: str, names: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The name of ``names`` closest to ``name`` (a typo of it), or ``None`` when none is
    close, or the close ones are another number or id (:func:`other_id`)."""
    for close in difflib.get_close_matches(name, list(names), n=3, cutoff=cutoff):
        if not other_id(name, close):
            return close
    return None


def other_id(name: str, close: str) -> bool:
    """Whether ``name`` and ``close`` differ only in tokens (between ``-``, ``_``, ``.``) that
    are numbers or ids: the same without their digits (``order9``, ``order4``, ``order``), or
    hexadecimal with a digit (``3f2a9c``, ``3f2b9c``)."""
    ours, theirs = _SEPARATORS.split(name), _SEPARATORS.split(close)
    if len(ours) != len(theirs):
        return False
    differing = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    return bool(differing) and all(_id_tokens(a, b) for a, b in differing)


def _id_tokens(a: str, b: str) -> bool:
    if not (_DIGITS.search(a) or _DIGITS.search(b)):
        return False
    if _DIGITS.sub("", a) == _DIGITS.sub("", b):  # another number, or one added or left out
        return True
    return bool(_DIGITS.search(a) and _HEX.fullmatch(a) and _HEX.fullmatch(b))
