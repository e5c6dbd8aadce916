"""``RegionFanout`` after the fix its order note gives: it iterates the regions sorted, an
order the same in every process, but another than the recorded history's set order."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from tests.workflows.fanout_set import provision_region


@workflow.defn(name="RegionFanout")
class SortedRegionFanout:
    @workflow.run
    async def run(self, regions: list[str]) -> list[str]:
        done = []
        for region in sorted(set(regions)):
            done.append(
                await workflow.execute_activity(
                    provision_region, region, start_to_close_timeout=timedelta(seconds=10)
                )
            )
        return done
