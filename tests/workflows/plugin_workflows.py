"""Worker plugins as a library ships them: some register their own workflows
(``SimplePlugin(workflows=[...])``), one adds none."""

from temporalio.plugin import SimplePlugin

from examples.provisioning.workflows import NotifyTenantWorkflow, TenantProvisioningWorkflow
from tests.workflows.sayhello import SayHelloWorkflow

ADD_SAY_HELLO = SimplePlugin("add-say-hello", workflows=[SayHelloWorkflow])
"""Registers ``SayHelloWorkflow``, the workflow of ``tests/conftest.py``'s ``COMPLETE``."""
ADDS_NONE = SimplePlugin("adds-none")
"""A plugin that registers no workflow."""
ADD_PROVISIONING = SimplePlugin(
    "add-provisioning", workflows=[TenantProvisioningWorkflow, NotifyTenantWorkflow]
)
"""Registers the reference application's workflows (``fixtures/histories``' types)."""
