"""Helpers the package's workflows share: a base class's methods and plain functions."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.workflows.changes_common import TIMEOUT, audit, charge


class Approvals:
    """A base class of workflows that approve orders."""

    async def approve_and_notify(self, order: str) -> None:
        """Audit every order."""
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)

    async def notify_all(self, order: str) -> None:
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)

    async def charge_order(self, order: str) -> str:
        return str(await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT))


class Reviews:
    """A base class whose review runs a hook that only each workflow class defines."""

    async def review(self, order: str) -> None:
        await self.review_hook(order)  # type: ignore[attr-defined]


async def approve(order: str) -> None:
    """Audit every order."""
    await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


async def notify(order: str) -> None:
    await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


async def charge_order(order: str) -> str:
    return str(await workflow.execute_activity(charge, order, start_to_close_timeout=TIMEOUT))


async def screen(order: str) -> None:
    """Audit every order (re-exported by the package's ``__init__.py``)."""
    await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)


class Screens:
    """Screening steps, called on the class (re-exported by the package's ``__init__.py``)."""

    @staticmethod
    async def screen_order(order: str) -> None:
        """Audit every order."""
        await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)

    class Rules:
        """A class nested in a class: ``Screens.Rules.apply_rules(order)``."""

        @staticmethod
        async def apply_rules(order: str) -> None:
            """Audit every order."""
            await workflow.execute_activity(audit, order, start_to_close_timeout=TIMEOUT)
