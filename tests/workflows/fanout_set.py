"""A workflow whose activity order depends on string hashing: it iterates a ``set`` of
region names, whose order differs between Python processes (``PYTHONHASHSEED``)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def provision_region(region: str) -> str:
    return f"provisioned {region}"


@workflow.defn
class RegionFanout:
    @workflow.run
    async def run(self, regions: list[str]) -> list[str]:
        done = []
        for region in set(regions):
            done.append(
                await workflow.execute_activity(
                    provision_region, region, start_to_close_timeout=timedelta(seconds=10)
                )
            )
        return done
