"""The return saga's worker: claims due returns with a lease and runs their next step, once.

The same three rules as the order saga keep it crash-safe: a lease taken by compare-and-set on the version, side
effects keyed by the RMA number (the tax reversal, each ERP credit memo, the channel refund), and an outcome
recorded only if the return's version is still the one the step started from. A worker killed between the ERP
credit memo and the Shopify refund re-runs the step: the credit memo's key replays the first answer, and the
refund is made once.

Steps: ``restocked | written_off → refund_calculated`` (the tax engine reverses the tax of the received units and
the policy prices the rest) and ``refund_calculated → refunded → closed`` (ERP credit memos per invoice, the
channel refund, and a reconciliation of the two).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from sqlalchemy import or_, select, update

from canonical import Money, ReturnReceipt
from canonical.returns import RefundBreakdown, ReturnPolicy, ReturnStatus
from process_apis.returns.authorization import decide
from process_apis.returns.crediting import CreditPlanError, plan_credits
from process_apis.returns.ledger import lines_of, move, note, raise_exception, trace_of
from process_apis.returns.metrics import RECEIPT_TO_REFUND, RETURNS_EXCEPTIONS, RETURNS_REFUNDED
from process_apis.returns.models import ReturnedUnits, ReturnRecord
from process_apis.returns.receipts import WALK_IN_RECEIPT, apply_receipt, match_walk_in_lines
from process_apis.returns.refunds import RefundedLine, refund_breakdown, shipping_is_refunded
from process_apis.returns.states import ACTIONABLE
from process_apis.returns.systems import ReturnSystems
from service_kit.database import Database
from service_kit.events.cancellation import SHUTDOWN_GRACE, Shutdown, stop_gracefully, stopping
from service_kit.http.system_calls import BusinessFailure, RetryPolicy, SystemUnavailable, worded_reasons
from service_kit.telemetry import continued_trace, observe_between

__all__ = ["ReturnWorker", "returns_lifespan"]

logger = logging.getLogger("omnigate.returns.saga")


@dataclass
class _Outcome:
    to: ReturnStatus
    step: str
    system: str
    detail: dict[str, Any] = field(default_factory=dict)
    refund: RefundBreakdown | None = None
    results: dict[str, Any] = field(default_factory=dict)
    mismatch: str | None = None


class ReturnWorker:
    def __init__(
        self,
        database: Database,
        systems: ReturnSystems,
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 16,
    ) -> None:
        self.database = database
        self.systems = systems
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.batch = batch

    async def run(self, shutdown: Shutdown | None = None, *, poll_interval: float = 0.2) -> None:
        shutdown = shutdown or Shutdown()
        while not shutdown.requested:
            if stopping():
                raise asyncio.CancelledError
            try:
                advanced = await self.run_due()
            except Exception:
                if stopping():
                    raise
                logger.exception("return saga round failed")
                advanced = 0
            if not advanced:
                await shutdown.pause(poll_interval)

    async def run_due(self) -> int:
        claimed = await self._claim()
        outcomes = await asyncio.gather(*(self.advance(pk, version) for pk, version in claimed), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome
            if isinstance(outcome, Exception):
                logger.error("return step failed unexpectedly", exc_info=outcome)
        return len(claimed)

    async def _claim(self) -> list[tuple[int, int]]:
        now = datetime.now(UTC)
        free = or_(ReturnRecord.lease_until.is_(None), ReturnRecord.lease_until < now)
        async with self.database.reading() as session:
            due = (
                await session.execute(
                    select(ReturnRecord.id, ReturnRecord.version)
                    .where(ReturnRecord.state.in_(ACTIONABLE), ReturnRecord.next_attempt_at <= now, free)
                    .order_by(ReturnRecord.next_attempt_at)
                    .limit(self.batch)
                )
            ).all()
        claimed: list[tuple[int, int]] = []
        for pk, version in due:
            async with self.database.transaction() as session:
                result = await session.execute(
                    update(ReturnRecord)
                    .where(ReturnRecord.id == pk, ReturnRecord.version == version, free)
                    .values(lease_until=now + self.lease)
                )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append((pk, version))
        return claimed

    async def advance(self, pk: int, version: int) -> None:
        async with self.database.reading() as session:
            record = await session.get(ReturnRecord, pk)
            assert record is not None
            state, snapshot = record.state, _Snapshot.of(record, await lines_of(session, record))
            return_id, trace_id = record.return_id, await trace_of(session, pk)
        with continued_trace(f"return step {state}", trace_id, {"omnigate.return_id": return_id}):
            await self._advance(pk, version, state, snapshot)

    async def _advance(self, pk: int, version: int, state: str, snapshot: _Snapshot) -> None:
        if state == "requested":
            await self._authorize(pk, version, snapshot)
            return
        try:
            if state == "refund_calculated":
                outcome = await self._refund(snapshot)
            else:
                outcome = await self._calculate(snapshot)
        except BusinessFailure as failure:
            await self._hold(pk, version, failure)
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._retry(pk, version, getattr(error, "system", "network"), str(error))
        else:
            await self._record(pk, version, outcome)

    async def _authorize(self, pk: int, version: int, snapshot: _Snapshot) -> None:
        """A return the channel started: read its order, then authorize or reject it by the policy."""
        try:
            order_id = snapshot.order_id or await self.systems.order_id_for_channel_order(
                snapshot.tenant, snapshot.channel_order_id
            )
            facts = await self.systems.order(snapshot.tenant, order_id)
        except BusinessFailure as failure:
            await self._hold(pk, version, failure)
            return
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._retry(pk, version, getattr(error, "system", "network"), str(error))
            return
        async with self.database.transaction() as session:
            record = await session.get(ReturnRecord, pk, with_for_update=True)
            assert record is not None
            if record.version == version:
                if WALK_IN_RECEIPT in record.results:
                    await match_walk_in_lines(session, record, facts)
                await decide(session, record, facts, datetime.now(UTC))
                if WALK_IN_RECEIPT in record.results:
                    await _receive_walk_in(session, record)

    async def _calculate(self, snapshot: _Snapshot) -> _Outcome:
        """Reverse the tax of what was received (and shipping, by policy) and price the refund."""
        facts = await self.systems.order(snapshot.tenant, snapshot.order_id)
        policy = snapshot.policy
        order_shipping = facts.sales_order.shipping.amount if facts.sales_order.shipping else Decimal(0)
        returned, shipping_refunded_before = await self._order_returns(snapshot)
        everything = all(returned.get(line.line_id, 0) >= line.shipped for line in facts.view.lines if line.shipped)
        shipping = None
        if shipping_is_refunded(policy, returns_everything_shipped=everything) and not shipping_refunded_before:
            shipping = order_shipping
        reversal = await self.systems.reverse_tax(
            snapshot.tenant, snapshot.order_id, snapshot.rma, snapshot.received, shipping
        )
        by_line = {line.line_id: line for line in reversal.lines}
        lines = [
            RefundedLine(line_id, snapshot.reasons[line_id], by_line[line_id].amount, by_line[line_id].tax)
            for line_id in sorted(snapshot.received)
            if line_id in by_line
        ]
        breakdown = refund_breakdown(
            snapshot.currency,
            policy,
            lines,
            shipping=reversal.shipping_amount,
            shipping_tax=reversal.shipping_tax,
        )
        if facts.view.erp_order_ref is None:
            raise BusinessFailure("erp", "not_invoiced", [{"code": "not_invoiced", "message": "no ERP sales order"}])
        invoices = await self.systems.invoices(snapshot.tenant, facts.view.erp_order_ref)
        values = {line.line_id: line.amount + line.tax for line in lines}
        try:
            plan = plan_credits(invoices, snapshot.received, values, breakdown.total)
        except CreditPlanError as error:
            raise BusinessFailure(
                "erp", "credit_not_possible", [{"code": "credit_not_possible", "message": str(error)}]
            ) from error
        return _Outcome(
            to="refund_calculated",
            step="calculate_refund",
            system="tax",
            refund=breakdown,
            results={
                "tax_refund_id": reversal.refund_id,
                "credit_plan": {invoice_id: str(credit.amount) for invoice_id, credit in plan.items()},
            },
            detail={"tax_refund_id": reversal.refund_id, "total": msgspec.to_builtins(breakdown.total)},
        )

    async def _order_returns(self, snapshot: _Snapshot) -> tuple[dict[str, int], bool]:
        """Units authorized back per line across the order's returns, and whether one already refunded shipping."""
        async with self.database.reading() as session:
            rows = await session.scalars(
                select(ReturnedUnits).where(
                    ReturnedUnits.tenant == snapshot.tenant, ReturnedUnits.order_id == snapshot.order_id
                )
            )
            returned = {row.line_id: row.units for row in rows.all()}
            others = await session.scalars(
                select(ReturnRecord.refund).where(
                    ReturnRecord.tenant == snapshot.tenant,
                    ReturnRecord.order_id == snapshot.order_id,
                    ReturnRecord.return_id != snapshot.rma,
                    ReturnRecord.refund.is_not(None),
                )
            )
            shipped_back = any(Decimal(refund["shipping"]["amount"]) > 0 for refund in others.all() if refund)
        return returned, shipped_back

    async def _refund(self, snapshot: _Snapshot) -> _Outcome:
        """Credit the ERP invoices, refund the customer in the channel, and check both say the same."""
        assert snapshot.refund is not None
        facts = await self.systems.order(snapshot.tenant, snapshot.order_id)
        credits = {
            invoice_id: Money(amount=Decimal(amount), currency=snapshot.currency)
            for invoice_id, amount in snapshot.credit_plan.items()
        }
        memos: dict[str, str] = {}
        for invoice_id, amount in credits.items():
            memos[invoice_id] = await self.systems.credit_memo(snapshot.tenant, snapshot.rma, invoice_id, amount)
        credited = sum((amount.amount for amount in credits.values()), Decimal(0))
        results: dict[str, Any] = {"credit_memos": memos}
        refunded: Decimal | None = None
        if snapshot.refunded_in_channel is not None:
            results["channel_refund_id"] = snapshot.refunded_in_channel
        elif facts.sales_order.channel == "shopify":
            refund_id, total = await self.systems.channel_refund(
                snapshot.tenant,
                facts.sales_order,
                snapshot.rma,
                snapshot.received,
                snapshot.refund.shipping,
                snapshot.refund.total,
            )
            results["channel_refund_id"] = refund_id
            refunded = total.amount if total is not None else None
        mismatch = None
        if refunded is not None and refunded != credited:
            mismatch = f"the ERP credited {credited} but the channel refunded {refunded} {snapshot.currency}"
        detail = {**results, "credited": str(credited), "refunded": str(refunded) if refunded is not None else None}
        return _Outcome(to="refunded", step="refund", system="erp", results=results, detail=detail, mismatch=mismatch)

    async def _record(self, pk: int, version: int, outcome: _Outcome) -> None:
        async with self.database.transaction() as session:
            record = await session.get(ReturnRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                note(session, record, outcome.step, outcome.system, "ignored", outcome.detail)
                return
            record.results = {**record.results, **outcome.results}
            if outcome.refund is not None:
                record.refund = msgspec.to_builtins(outcome.refund)
            await move(session, record, outcome.to, step=outcome.step, system=outcome.system, detail=outcome.detail)
            if outcome.to != "refunded":
                return
            record.refunded_at = datetime.now(UTC)
            RETURNS_REFUNDED.inc()
            observe_between(RECEIPT_TO_REFUND, record.received_at, record.refunded_at)
            if outcome.mismatch is not None:
                RETURNS_EXCEPTIONS.labels("refund_mismatch").inc()
                record.hold_reason, record.held_from = outcome.mismatch, "refunded"
                await move(session, record, "on_hold", step="reconcile", system="returns", detail=outcome.detail)
                raise_exception(session, record, "refund_mismatch", "returns", outcome.mismatch, **outcome.detail)
                return
            await move(session, record, "closed", step="reconcile", system="returns", detail=outcome.detail)

    async def _hold(self, pk: int, version: int, failure: BusinessFailure) -> None:
        async with self.database.transaction() as session:
            record = await session.get(ReturnRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            reason = failure.summary
            RETURNS_EXCEPTIONS.labels(failure.kind).inc()
            record.hold_reason, record.held_from = reason, record.state
            detail = {"kind": failure.kind, "reasons": failure.reasons}
            await move(session, record, "on_hold", step=_step_of(record.state), system=failure.system, detail=detail)
            raise_exception(session, record, failure.kind, failure.system, reason, reasons=failure.reasons)

    async def _retry(self, pk: int, version: int, system: str, error: str) -> None:
        async with self.database.transaction() as session:
            record = await session.get(ReturnRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            record.attempts += 1
            record.last_error, record.lease_until = error, None
            exhausted = record.attempts >= self.retry.max_attempts
            note(
                session,
                record,
                _step_of(record.state),
                system,
                "exception" if exhausted else "retrying",
                {"error": error},
            )
            if exhausted:
                RETURNS_EXCEPTIONS.labels("retries_exhausted").inc()
                record.next_attempt_at = None
                reason = f"{_step_of(record.state)} failed {record.attempts} times; last error: {error}"
                raise_exception(session, record, "retries_exhausted", system, reason, error=error)
            else:
                record.next_attempt_at = datetime.now(UTC) + timedelta(seconds=self.retry.delay(record.attempts))
            record.updated_at = datetime.now(UTC)


async def _receive_walk_in(session: Any, record: ReturnRecord) -> None:
    """The units of a walk-in return are in the store already: authorized, its receipt applies now; rejected,
    a person must decide what to do with them."""
    receipt = msgspec.convert(record.results[WALK_IN_RECEIPT], ReturnReceipt)
    if record.state == "authorized":
        await apply_receipt(session, msgspec.structs.replace(receipt, return_authorization_id=record.return_id))
    elif record.state == "rejected":
        reasons = worded_reasons(record.rejection or [])
        raise_exception(
            session,
            record,
            "walk_in_return_rejected",
            "returns",
            f"units brought back to {receipt.location_id} were refused a refund: {reasons}",
            receipt_id=receipt.id,
            reasons=record.rejection,
        )


def _step_of(state: str) -> str:
    return {"requested": "authorize", "refund_calculated": "refund"}.get(state, "calculate_refund")


@dataclass
class _Snapshot:
    """What a step needs of the return, read before any system is called."""

    tenant: str
    rma: str
    order_id: str
    currency: str
    policy: ReturnPolicy
    received: dict[str, int]
    """line_id → units received (resellable or damaged): what is refunded."""
    reasons: dict[str, Any]
    refund: RefundBreakdown | None
    refunded_in_channel: str | None
    credit_plan: dict[str, str]
    """Invoice id → amount to credit, planned with the refund (so a re-run posts the same memos)."""
    channel_order_id: str

    @classmethod
    def of(cls, record: ReturnRecord, lines: Any) -> _Snapshot:
        return cls(
            tenant=record.tenant,
            rma=record.return_id,
            order_id=record.order_id,
            currency=record.currency,
            policy=msgspec.convert(record.policy, ReturnPolicy),
            received={line.line_id: line.received for line in lines if line.received > 0},
            reasons={line.line_id: line.reason for line in lines},
            refund=msgspec.convert(record.refund, RefundBreakdown) if record.refund else None,
            refunded_in_channel=record.refunded_in_channel,
            credit_plan=dict(record.results.get("credit_plan") or {}),
            channel_order_id=record.channel_order_id,
        )


@contextlib.asynccontextmanager
async def returns_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run the return saga worker beside the return process's API."""
    retry = RetryPolicy.from_settings(app.state.settings)
    worker = ReturnWorker(app.state.database, ReturnSystems(app.state.clients), retry=retry)
    shutdown = Shutdown()
    task = asyncio.create_task(worker.run(shutdown), name="returns-saga-worker")
    try:
        yield
    finally:
        await stop_gracefully([task], shutdown, grace=SHUTDOWN_GRACE)
