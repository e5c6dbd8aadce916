"""A workflow whose input can hold a value temporalio's default converter cannot encode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from temporalio import activity, workflow


@dataclass
class Payment:
    order: str
    amount: Decimal | None = None
    """A ``Decimal`` needs a converter of its own (pydantic's); ``None`` encodes anywhere."""


@workflow.defn(name="Pay")
class Pay:
    @workflow.run
    async def run(self, payment: Payment) -> str:
        return await workflow.execute_activity(
            "charge", payment.order, start_to_close_timeout=timedelta(seconds=5)
        )


@dataclass
class Invoice:
    order: str
    amount: Decimal
    """Required: with temporalio's default converter no input can be encoded."""


@workflow.defn(name="Bill")
class Bill:
    @workflow.run
    async def run(self, invoice: Invoice) -> str:
        return await workflow.execute_activity(
            "charge", invoice.order, start_to_close_timeout=timedelta(seconds=5)
        )


@activity.defn(name="price")
async def price(order: str) -> Invoice:
    """Its result holds a required ``Decimal``: the default converter cannot return it."""
    return Invoice(order, Decimal(1))


@workflow.defn(name="Priced")
class Priced:
    @workflow.run
    async def run(self, order: str) -> str:
        invoice = await workflow.execute_activity(
            price, order, start_to_close_timeout=timedelta(seconds=5)
        )
        return invoice.order
