"""What people and channels do to returns: start one, find it, mark it shipped back, retry it. Never commits.

Starting a return reads the order from the order process first (before the request's transaction writes
anything), then authorizes it in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.returns import ReturnRequest, ReturnView
from process_apis.returns.authorization import decide, record_request, release_units
from process_apis.returns.ledger import lines_of, move, return_view
from process_apis.returns.models import ReturnRecord
from process_apis.returns.policies import ReturnPolicies
from process_apis.returns.receipts import finish_inspection
from process_apis.returns.states import ACTIONABLE
from process_apis.returns.systems import OrderFacts
from service_kit.problems import Conflict, NotFound

__all__ = ["NothingToRetry", "ReturnDesk", "UnknownReturn"]


class UnknownReturn(NotFound):
    code = "unknown_return"


class NothingToRetry(Conflict):
    code = "nothing_to_retry"


class ReturnDesk:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def start(
        self, tenant: str, facts: OrderFacts, request: ReturnRequest, *, source_reference: str
    ) -> tuple[ReturnView, bool]:
        """The return for this request (authorized or rejected) and whether it is new."""
        policy = await ReturnPolicies(self.session).get(tenant)
        now = datetime.now(UTC)
        record, created = await record_request(
            self.session,
            tenant,
            request,
            policy,
            source_reference=source_reference,
            channel=facts.sales_order.channel,
            channel_order_id=facts.sales_order.external_id,
            now=now,
        )
        if created:
            await decide(self.session, record, facts, now)
        return await return_view(self.session, record), created

    async def show(self, tenant: str, return_id: str) -> ReturnView:
        return await return_view(self.session, await self._record(tenant, return_id))

    async def find(self, tenant: str, *, order_id: str | None, status: str | None, limit: int) -> list[ReturnView]:
        query = select(ReturnRecord).where(ReturnRecord.tenant == tenant)
        if order_id is not None:
            query = query.where(ReturnRecord.order_id == order_id)
        if status is not None:
            query = query.where(ReturnRecord.state == status)
        records: Sequence[ReturnRecord] = (
            await self.session.scalars(query.order_by(ReturnRecord.id.desc()).limit(limit))
        ).all()
        return [await return_view(self.session, record, with_steps=False) for record in records]

    async def in_transit(self, tenant: str, return_id: str, tracking: dict[str, Any]) -> ReturnView:
        """The customer handed the parcel to a carrier."""
        record = await self._record(tenant, return_id, lock=True)
        if record.state != "authorized":
            raise Conflict(f"return {return_id} is {record.state}, not authorized", code="return_not_authorized")
        await move(self.session, record, "in_transit", step="ship_back", system="carrier", detail=tracking)
        return await return_view(self.session, record)

    async def retry(self, tenant: str, return_id: str) -> ReturnView:
        """A person fixed the cause (or accepts a receipt that differs from the RMA): go on from where it stopped."""
        record = await self._record(tenant, return_id, lock=True)
        if record.state == "on_hold" and record.held_from:
            target = record.held_from
            record.hold_reason, record.held_from = None, None
            await move(self.session, record, target, step="retry", system="returns", detail={"by": "person"})  # type: ignore[arg-type]
            if target == "received":  # the receipt is accepted as it is: refund what came back
                lines = await lines_of(self.session, record)
                short = {line.line_id: line.quantity - line.received for line in lines if line.received < line.quantity}
                await release_units(self.session, record, short)
                await finish_inspection(self.session, record)
        elif record.state in ACTIONABLE and record.next_attempt_at is None:
            record.attempts, record.next_attempt_at, record.last_error = 0, datetime.now(UTC), None
        else:
            raise NothingToRetry(f"return {return_id} is {record.state} and not waiting for a person")
        return await return_view(self.session, record)

    async def _record(self, tenant: str, return_id: str, *, lock: bool = False) -> ReturnRecord:
        query = select(ReturnRecord).where(ReturnRecord.tenant == tenant, ReturnRecord.return_id == return_id)
        record = await self.session.scalar(query.with_for_update() if lock else query)
        if record is None:
            raise UnknownReturn(f"there is no return '{return_id}'", extra={"return_id": return_id})
        return record
