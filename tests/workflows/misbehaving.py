"""SayHelloWorkflow stand-ins that hang or kill the process on one history, to test isolation.

They misbehave only for the history whose input asks for nondeterminism and replay the other
shared SayHello history normally.
"""

import asyncio
import json
import os
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow

from tests.workflows.sayhello import SayHelloParams


@workflow.defn(name="SayHelloWorkflow", sandboxed=False)
class HangingSayHello:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            time.sleep(float(os.environ.get("REPLAYCHECK_TEST_HANG", "30")))
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow", sandboxed=False)
class CrashingSayHello:
    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            print("about to crash", file=sys.stderr, flush=True)
            os._exit(3)
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class RaisingSayHello:
    """A bug only old inputs reach: the workflow code raises (in the standard library, called
    from here) while replaying them."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            params.name = json.loads("{greeting}")
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class ClockSayHello:
    """Reads the wall clock, which the sandbox forbids in workflow code."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            params.name += datetime.now().isoformat()
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class SpinningSayHello:
    """Never yields to Temporal (temporalio interrupts it after 2 s)."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        while params.should_cause_nondeterminism:
            pass
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class ChainedSayHello:
    """Raises an exception caused by another (the report names the one raised)."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            try:
                {}[params.name]
            except KeyError as exc:
                raise ValueError(f"no greeting for {params.name}") from exc
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class SentenceSayHello:
    """Raises an exception whose message is a sentence, its full stop included."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            raise ValueError("This input is no longer supported.")
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class DecimalSayHello:
    """Passes a value the default JSON converter cannot encode (a worker with a converter of its
    own, pydantic's, would), in a statement that spans lines."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        return await workflow.execute_activity(
            "say_hello", Decimal("1.5"), schedule_to_close_timeout=timedelta(seconds=10)
        )


@workflow.defn(name="SayHelloWorkflow")
class SpinningHeldSayHello:
    """Never yields (temporalio interrupts it after 2 s), then holds its task past the first
    eviction, which temporalio logs as failed and retries (as a spinning thread sometimes does)."""

    @workflow.run
    async def run(self, params: SayHelloParams) -> str:
        if params.should_cause_nondeterminism:
            try:
                while True:
                    pass
            except BaseException:  # the interruption
                pass
            try:
                await workflow.wait_condition(lambda: False)
            except BaseException:  # the first eviction's cancellation
                await asyncio.get_running_loop().create_future()
        return await workflow.execute_activity(
            "say_hello", params.name, schedule_to_close_timeout=timedelta(seconds=10)
        )
