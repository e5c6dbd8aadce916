"""A workflow package at version 1: its workflows (``workflows.py``) call helpers of another
of its modules (``shared.py``), a method of a base class and functions it imports. Recorded by
``python -m tests.workflows.record_package`` into ``tests/fixtures/package``; ``package_v2``
is the same package changed in those helpers."""

from .shared import Screens, screen

__all__ = ["Screens", "screen"]  # re-exported: the workflows import them from the package
