"""What a history file's name says: the ending that picks how it is read, and the workflow id
(and run) export encoded in it. No protobuf or temporalio here: the plugin reads names cheaply."""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from pathlib import Path

READ_SUFFIXES = (".json.gz", ".binpb.gz", ".json", ".binpb", ".gz")
"""The name endings that pick how a history file is read (in any case), longest first."""


def history_stem(name: str) -> str:
    """A file name without the history ending it has (``order-1.json.gz`` is ``order-1``)."""
    for suffix in READ_SUFFIXES:
        if name[-len(suffix) :].lower() == suffix:
            return name[: -len(suffix)]
    return name


MARK_LENGTH = 9
"""``~`` and eight hex digits of the SHA-256 of the name it marks."""


def case_marked(stem: str) -> str:
    """``stem`` with the mark of its exact spelling, which export gives a name that differs
    only in case from one already in its directory (``Order-A`` is ``Order-A~<8 hex>``)."""
    return f"{stem}~{hashlib.sha256(stem.encode()).hexdigest()[: MARK_LENGTH - 1]}"


def workflow_id_from_name(name: str) -> str:
    """The workflow id a file name implies: its base name without the history suffix, and
    without the mark of a name that differs only in case from another and ``@<run-id>``,
    %-decoded as export encodes it (bytes of a name that are not UTF-8
    escaped, as a workflow id is UTF-8)."""
    base = history_stem(os.fsencode(Path(name).name).decode("utf-8", "backslashreplace"))
    if case_marked(base[:-MARK_LENGTH]) == base:  # the mark of one that differs only in case
        base = base[:-MARK_LENGTH]
    # export names an earlier run <workflow-id>@<run-id>, and %-encodes what a name cannot hold
    return urllib.parse.unquote(RUN_SUFFIX.sub("", base), errors="backslashreplace")


RUN_SUFFIX = re.compile(r"@[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
"""How a history file export wrote for a run other than its id's latest ends (before the
suffix)."""
