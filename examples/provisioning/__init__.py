"""Reference workflow: provisioning a tenant, in three versions.

``TenantProvisioning`` creates a tenant's database schema, migrates and seeds it, waits a moment,
waits for an operator's ``approve`` signal and finally runs the ``NotifyTenant`` child workflow.

The modules show one change made three ways:

``workflows_v1``
    The original code (version 1). Kept forever: it produced the recorded histories in
    ``fixtures/histories``.
``workflows``
    The current code: version 2 behind ``workflow.patched("schema-retry-seed-first")``. New
    executions get bounded schema retries plus a ``verify_schema`` step and seed the data before
    running migrations; executions started by version 1 keep taking the version 1 path, so their
    histories still replay.
``workflows_unsafe``
    The same version 2 change without the patch gate. Replaying a version 1 history that got
    past schema creation fails with a nondeterminism error: this is what replaycheck catches.

``models`` holds the data classes and constants, ``activities`` the activities and ``shared`` the
workflow code every version shares (the child workflow, the signal, the query and both versions
of the preparation steps), so the three workflow modules differ only where the versions differ.
"""
