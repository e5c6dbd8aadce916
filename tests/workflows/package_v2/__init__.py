"""``package_v1`` changed in the helpers of its ``shared.py``, or in how its workflows call
them; none gated, so each breaks its recorded history. As in ``changes_v2``, a
``# change: <WorkflowType>`` comment marks the line above the call that now issues the
diverging command, and a ``# branch: <WorkflowType>`` one the ``if`` that decides it."""

from .shared import Screens, screen

__all__ = ["Screens", "screen"]  # re-exported: the workflows import them from the package
