"""``SecretFanout``: provisions regions one activity each, its payloads encrypted by the codec
of ``codec.py`` (the history is recorded by ``record_secret_fanout.py``), and two later versions
of it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from tests.workflows.fanout_set import provision_region

TIMEOUT = timedelta(seconds=10)


@workflow.defn(name="SecretFanout")
class SecretFanout:
    """Provisions the regions in sorted order (as recorded)."""

    @workflow.run
    async def run(self, regions: list[str]) -> list[str]:
        done = []
        for region in sorted(regions):
            done.append(
                await workflow.execute_activity(
                    provision_region, region, start_to_close_timeout=TIMEOUT
                )
            )
        return done


@workflow.defn(name="SecretFanout")
class SecretFanoutUpper:
    """Passes each region upper-cased: other input than recorded."""

    @workflow.run
    async def run(self, regions: list[str]) -> list[str]:
        done = []
        for region in sorted(regions):
            done.append(
                await workflow.execute_activity(
                    provision_region, region.upper(), start_to_close_timeout=TIMEOUT
                )
            )
        return done


@workflow.defn(name="SecretFanout")
class SecretFanoutSet:
    """Iterates a ``set`` of the regions: the order depends on the process's hash seed."""

    @workflow.run
    async def run(self, regions: list[str]) -> list[str]:
        done = []
        for region in set(regions):
            done.append(
                await workflow.execute_activity(
                    provision_region, region, start_to_close_timeout=TIMEOUT
                )
            )
        return done
