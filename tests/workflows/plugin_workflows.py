"""Worker plugins as a library ships them: one registers its own workflow
(``SimplePlugin(workflows=[...])``), the other adds none."""

from temporalio.plugin import SimplePlugin

from tests.workflows.sayhello import SayHelloWorkflow

ADD_SAY_HELLO = SimplePlugin("add-say-hello", workflows=[SayHelloWorkflow])
"""Registers ``SayHelloWorkflow``, the workflow of ``tests/conftest.py``'s ``COMPLETE``."""
ADDS_NONE = SimplePlugin("adds-none")
"""A plugin that registers no workflow."""
