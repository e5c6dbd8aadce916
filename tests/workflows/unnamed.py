"""Two workflow classes; the module names only one of them, so the sandbox, which imports a
workflow class by its name from its module, cannot load the other."""

from temporalio import workflow


@workflow.defn(name="Named")
class Named:
    @workflow.run
    async def run(self) -> None:
        return None


@workflow.defn(name="Unnamed")
class _Unnamed:
    @workflow.run
    async def run(self) -> None:
        return None


UNNAMED = _Unnamed
del _Unnamed
