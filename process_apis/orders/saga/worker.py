"""The saga worker: claims due orders with a lease, runs their next step, records the outcome once.

Crash safety comes from three rules. A worker claims an order by a compare-and-set on ``lease_until``, so two
workers never run one order at once and a dead worker's lease simply expires. A step's side effect carries a
key derived from the order and the step, so running it again after a crash replays the first answer. And the
outcome is recorded in one transaction only if the order's ``version`` is still the one the step started from.

Transient failures retry with exponential backoff and full jitter; after ``max_attempts`` the order waits on
the worklist (``retries_exhausted``) until a person retries it. Business failures open a worklist item at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from sqlalchemy import and_, or_, select, update

from canonical import SalesOrder, ShipmentNotice
from process_apis.orders.models import LineCancellation, OrderLineRecord, OrderRecord, OrderShipment, OrderStep
from process_apis.orders.saga.confirmations import flag_unconfirmed_releases
from process_apis.orders.saga.line_cancellations import (
    WITHDRAWABLE,
    apply_withdrawal,
    next_cancellation,
    plan_withdrawal,
)
from process_apis.orders.saga.metrics import (
    ORDER_ACCEPTANCE,
    RELEASE_LATENCY,
    SAGA_EXCEPTIONS,
    SAGA_RETRIES,
    observe_between,
)
from process_apis.orders.saga.shipping import SHIPPABLE, apply_shipment
from process_apis.orders.saga.states import ACTIONABLE, OrderState, check_transition
from process_apis.orders.saga.steps import STEPS, Outcome, StepInput, StillBackordered
from process_apis.orders.saga.systems import BusinessFailure, LineCut, OrderSystems, SystemUnavailable, Withdrawal
from process_apis.orders.saga.systems_http import HttpOrderSystems
from process_apis.orders.saga.timeline import record_step
from process_apis.orders.worklist import Worklist
from service_kit.database import Database
from service_kit.events.cancellation import SHUTDOWN_GRACE, Shutdown, stop_gracefully, stopping
from service_kit.http.system_calls import RetryPolicy
from service_kit.telemetry import continued_trace

__all__ = ["RetryPolicy", "SagaWorker", "saga_lifespan"]

logger = logging.getLogger("omnigate.orders.saga")


class SagaWorker:
    def __init__(
        self,
        database: Database,
        systems: OrderSystems,
        *,
        retry: RetryPolicy | None = None,
        lease: timedelta = timedelta(seconds=60),
        batch: int = 16,
        backorder_recheck: timedelta = timedelta(seconds=30),
        confirmation_deadline: timedelta = timedelta(hours=48),
    ) -> None:
        self.database = database
        self.systems = systems
        self.retry = retry or RetryPolicy()
        self.lease = lease
        self.batch = batch
        self.backorder_recheck = backorder_recheck
        self.confirmation_deadline = confirmation_deadline
        self._confirmations_checked_at: float | None = None

    async def run(self, shutdown: Shutdown | None = None, *, poll_interval: float = 0.2) -> None:
        """Advance due orders until asked to stop (the steps in hand are finished first) or cancelled."""
        shutdown = shutdown or Shutdown()
        while not shutdown.requested:
            if stopping():  # a driver may have swallowed our CancelledError and returned normally
                raise asyncio.CancelledError
            try:
                advanced = await self.run_due()
            except Exception:  # a database hiccup must not stop the saga; the next round retries
                if stopping():
                    raise  # a driver turned our cancellation into its own error: stop, do not retry
                logger.exception("saga round failed")
                advanced = 0
            if not advanced:
                await shutdown.pause(poll_interval)

    async def run_due(self) -> int:
        """Claim up to ``batch`` due orders and shipments and run one step of each, concurrently; returns how
        many ran."""
        await self._watch_confirmations_now_and_then()
        claimed = await self._claim()
        shipments = await self._claim_shipments()
        outcomes = await asyncio.gather(
            *(self.advance(pk, version) for pk, version in claimed),
            *(self.follow_up(pk) for pk in shipments),
            return_exceptions=True,
        )
        for outcome in outcomes:  # one order's bug must not stall the others; its lease runs out and it is retried
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # cancelled, or the process is going down
            if isinstance(outcome, Exception):
                logger.error("saga step failed unexpectedly", exc_info=outcome)
        return len(claimed) + len(shipments)

    async def watch_confirmations(self) -> int:
        """Flag the releases nobody confirmed within the deadline (see ``confirmations``); returns how many."""
        async with self.database.transaction() as session:
            return await flag_unconfirmed_releases(session, self.confirmation_deadline)

    async def _watch_confirmations_now_and_then(self) -> None:
        """Every minute (or half the deadline, if shorter), not on every poll."""
        every = min(60.0, self.confirmation_deadline.total_seconds() / 2)
        now = asyncio.get_running_loop().time()
        if self._confirmations_checked_at is not None and now - self._confirmations_checked_at < every:
            return
        self._confirmations_checked_at = now
        await self.watch_confirmations()

    async def _claim(self) -> list[tuple[int, int]]:
        now = datetime.now(UTC)
        async with self.database.reading() as session:
            due = (
                await session.execute(
                    select(OrderRecord.id, OrderRecord.version)
                    .where(
                        or_(
                            OrderRecord.state.in_(ACTIONABLE),
                            and_(OrderRecord.state == "cancelled", OrderRecord.cancel_pending.is_(True)),
                            and_(OrderRecord.state.in_(WITHDRAWABLE), OrderRecord.lines_cancel_pending.is_(True)),
                        ),
                        OrderRecord.next_attempt_at <= now,
                        or_(OrderRecord.lease_until.is_(None), OrderRecord.lease_until < now),
                    )
                    .order_by(OrderRecord.next_attempt_at)
                    .limit(self.batch)
                )
            ).all()
        claimed: list[tuple[int, int]] = []
        for pk, version in due:
            async with self.database.transaction() as session:
                result = await session.execute(
                    update(OrderRecord)
                    .where(
                        OrderRecord.id == pk,
                        OrderRecord.version == version,
                        or_(OrderRecord.lease_until.is_(None), OrderRecord.lease_until < now),
                    )
                    .values(lease_until=now + self.lease)
                )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append((pk, version))
        return claimed

    async def _claim_shipments(self) -> list[int]:
        now = datetime.now(UTC)
        free = or_(OrderShipment.lease_until.is_(None), OrderShipment.lease_until < now)
        async with self.database.reading() as session:
            due = (
                await session.scalars(
                    select(OrderShipment.id)
                    .join(OrderRecord, OrderRecord.id == OrderShipment.order_pk)
                    .where(
                        OrderShipment.status == "pending",
                        OrderShipment.next_attempt_at <= now,
                        free,
                        OrderRecord.state.in_(SHIPPABLE),
                    )
                    .order_by(OrderShipment.next_attempt_at)
                    .limit(self.batch)
                )
            ).all()
        claimed: list[int] = []
        for pk in due:
            async with self.database.transaction() as session:
                result = await session.execute(
                    update(OrderShipment)
                    .where(OrderShipment.id == pk, OrderShipment.status == "pending", free)
                    .values(lease_until=now + self.lease)
                )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(pk)
        return claimed

    async def follow_up(self, pk: int) -> None:
        """One shipment's follow-up; the order row is locked while its lines and state change."""
        async with self.database.reading() as session:
            shipment = await session.get(OrderShipment, pk)
            assert shipment is not None
            order = await session.get(OrderRecord, shipment.order_pk)
            assert order is not None and order.erp_order_ref is not None
            tenant, reference = order.tenant, order.erp_order_ref
            sales_order = msgspec.convert(order.sales_order, SalesOrder)
            notice = msgspec.convert(shipment.notice, ShipmentNotice)
            trace_id = await _trace_of(session, order.id)
        with continued_trace("order follow_up_shipment", trace_id, {"omnigate.order_id": sales_order.order_id}):
            await self._follow_up(pk, tenant, sales_order, reference, notice)

    async def _follow_up(
        self, pk: int, tenant: str, sales_order: SalesOrder, reference: str, notice: ShipmentNotice
    ) -> None:
        try:
            results = await self.systems.follow_up_shipment(tenant, sales_order, reference, notice)
        except BusinessFailure as failure:
            await self._shipment_failed(pk, failure.system, failure.kind, str(failure), exhausted=True)
            return
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._shipment_failed(pk, getattr(error, "system", "network"), "retries_exhausted", str(error))
            return
        async with self.database.transaction() as session:
            shipment = await session.get(OrderShipment, pk, with_for_update=True)
            assert shipment is not None
            order = await session.get(OrderRecord, shipment.order_pk, with_for_update=True)
            assert order is not None
            if shipment.status == "pending":
                await apply_shipment(session, order, shipment, results)

    async def _shipment_failed(self, pk: int, system: str, kind: str, error: str, *, exhausted: bool = False) -> None:
        async with self.database.transaction() as session:
            shipment = await session.get(OrderShipment, pk, with_for_update=True)
            assert shipment is not None
            order = await session.get(OrderRecord, shipment.order_pk)
            assert order is not None
            shipment.attempts += 1
            shipment.last_error, shipment.lease_until = error, None
            exhausted = exhausted or shipment.attempts >= self.retry.max_attempts
            SAGA_RETRIES.labels("ship").inc()
            if exhausted:
                SAGA_EXCEPTIONS.labels(kind).inc()
            outcome = "exception" if exhausted else "retrying"
            _timeline(
                session,
                order,
                "ship",
                system,
                outcome,
                order.state,
                {"shipment_id": shipment.shipment_id, "error": error},
            )
            if exhausted:
                shipment.next_attempt_at = None
                await Worklist(session).record(
                    tenant=order.tenant,
                    kind=kind,
                    system=system,
                    subject=f"shipment:{shipment.shipment_id}",
                    order_id=order.order_id,
                    reason=f"the follow-up of shipment {shipment.shipment_id} failed: {error}",
                    snapshot={"shipment": shipment.notice, "error": error},
                )
            else:
                shipment.next_attempt_at = datetime.now(UTC) + timedelta(seconds=self.retry.delay(shipment.attempts))

    async def advance(self, pk: int, version: int) -> None:
        async with self.database.reading() as session:
            record = await session.get(OrderRecord, pk)
            assert record is not None
            state: OrderState = record.state  # type: ignore[assignment]
            step_input = StepInput(
                tenant=record.tenant,
                order_id=record.order_id,
                state=state,
                order=msgspec.convert(record.sales_order, SalesOrder),
                held=_held(record.unreleased),
            )
            fulfillment_requests = dict(record.fulfillment_requests)
            erp_order_ref = record.erp_order_ref
            trace_id = await _trace_of(session, pk)
            cancellation = None
            if record.lines_cancel_pending and state in WITHDRAWABLE:
                cancellation = await next_cancellation(session, pk)
        if cancellation is not None:  # a cut comes before the next step: that step then works on what is left
            with continued_trace("order step cancel_lines", trace_id, {"omnigate.order_id": step_input.order_id}):
                await self._withdraw_lines(
                    pk, version, step_input, fulfillment_requests, cancellation.id, erp_order_ref
                )
            return
        with continued_trace(f"order step {state}", trace_id, {"omnigate.order_id": step_input.order_id}):
            await self._advance(pk, version, step_input, fulfillment_requests)

    async def _advance(
        self, pk: int, version: int, step_input: StepInput, fulfillment_requests: dict[str, str]
    ) -> None:
        state = step_input.state
        if state == "cancelled":
            await self._withdraw(pk, version, step_input, fulfillment_requests)
            return
        step = STEPS[state]
        try:
            outcome = await step(step_input, self.systems)
        except StillBackordered as waiting:
            await self._record_wait(pk, version, waiting.partial)
        except BusinessFailure as failure:
            await self._record_failure(pk, version, step.__name__, failure)
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._record_retry(pk, version, step.__name__, getattr(error, "system", "network"), str(error))
        else:
            await self._record_outcome(pk, version, outcome)

    async def _withdraw(self, pk: int, version: int, step: StepInput, fulfillment_requests: dict[str, str]) -> None:
        """Undo a cancelled order's holds and releases; a release already picked goes to the worklist."""
        try:
            await self.systems.withdraw(step.tenant, step.order, fulfillment_requests)
        except BusinessFailure as failure:
            await self._record_failure(pk, version, "withdraw", failure)
            return
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._record_retry(pk, version, "withdraw", getattr(error, "system", "network"), str(error))
            return
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            for line in (await session.scalars(select(OrderLineRecord).where(OrderLineRecord.order_pk == pk))).all():
                line.state = "cancelled"
            _timeline(
                session,
                record,
                "withdraw",
                "inventory",
                "done",
                "cancelled",
                {"fulfillment_requests": fulfillment_requests},
            )
            record.cancel_pending, record.next_attempt_at, record.lease_until = False, None, None
            record.attempts, record.last_error, record.updated_at = 0, None, datetime.now(UTC)

    async def _withdraw_lines(
        self,
        pk: int,
        version: int,
        step: StepInput,
        fulfillment_requests: dict[str, str],
        cancellation_pk: int,
        erp_order_ref: str | None,
    ) -> None:
        """Withdraw one line cancellation: fix its plan once, call the warehouses and the inventory process, then
        the ERP and the tax engine, with keys of its own; record the result. An ERP or tax engine that refuses
        the cut does not undo the withdrawal: the booking goes on the worklist instead."""
        key = f"cancel-lines:{step.order_id}:{cancellation_pk}"
        booking_refusal: BusinessFailure | None = None
        try:
            plan = await self._plan_withdrawal(pk, version, step, cancellation_pk)
            if plan is None:
                return  # the order moved on meanwhile: the next round sees it afresh
            cuts, reserved = plan
            if not reserved:  # nothing was held for the order yet: the cut units are simply never reserved
                withdrawal = Withdrawal(withdrawn=cuts)
            elif cuts:
                withdrawal = await self.systems.withdraw_units(
                    step.tenant, step.order, cuts, fulfillment_requests, key=key
                )
            else:
                withdrawal = Withdrawal()
        except BusinessFailure as failure:
            await self._cancellation_failed(pk, version, cancellation_pk, failure)
            return
        except (SystemUnavailable, httpx.TransportError) as error:
            await self._record_retry(pk, version, "cancel_lines", getattr(error, "system", "network"), str(error))
            return
        units: dict[str, int] = {}
        for line_id, _location, count in withdrawal.withdrawn:
            units[line_id] = units.get(line_id, 0) + count
        if units and erp_order_ref is not None:
            try:
                await self.systems.cut_booked_lines(step.tenant, step.order, erp_order_ref, units, key=key)
            except BusinessFailure as failure:
                booking_refusal = failure
            except (SystemUnavailable, httpx.TransportError) as error:
                await self._record_retry(pk, version, "cancel_lines", getattr(error, "system", "network"), str(error))
                return
        async with self._pending_cancellation(pk, version, cancellation_pk) as found:
            if found is None:
                return
            session, record, cancellation = found
            target = await apply_withdrawal(session, record, cancellation, withdrawal)
            if booking_refusal is not None:
                system = booking_refusal.system
                await Worklist(session).record(
                    tenant=record.tenant,
                    kind=booking_refusal.kind,
                    system=system,
                    subject=f"order:{record.order_id}:cut:{cancellation.id}:{system}",
                    order_id=record.order_id,
                    reason=f"the {system} still counts {units} the channel cut: {booking_refusal.summary}",
                    snapshot={"step": "cancel_lines", "units": units, "reasons": booking_refusal.reasons},
                )
                cancellation.outcome = {**cancellation.outcome, "booking": booking_refusal.kind}
            await self._cancellation_recorded(session, record, cancellation, target, sorted(withdrawal.emptied))

    async def _cancellation_failed(self, pk: int, version: int, cancellation_pk: int, failure: BusinessFailure) -> None:
        """A system refused the cut outright: it goes on the worklist and the order goes on without it."""
        async with self._pending_cancellation(pk, version, cancellation_pk) as found:
            if found is None:
                return
            session, record, cancellation = found
            reason = failure.summary
            await Worklist(session).record(
                tenant=record.tenant,
                kind=failure.kind,
                system=failure.system,
                subject=f"order:{record.order_id}:cut:{cancellation.id}",
                order_id=record.order_id,
                reason=f"the channel's cut of {cancellation.units} could not be withdrawn: {reason}",
                snapshot={"step": "cancel_lines", "units": cancellation.units, "reasons": failure.reasons},
            )
            SAGA_EXCEPTIONS.labels(failure.kind).inc()
            cancellation.status, cancellation.done_at = "failed", datetime.now(UTC)
            cancellation.outcome = {"kind": failure.kind, "reasons": failure.reasons}
            await self._cancellation_recorded(session, record, cancellation, None, [])

    @contextlib.asynccontextmanager
    async def _pending_cancellation(
        self, pk: int, version: int, cancellation_pk: int
    ) -> AsyncIterator[tuple[Any, OrderRecord, LineCancellation] | None]:
        """The order and its cancellation, locked in one transaction; ``None`` if either moved on meanwhile."""
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            cancellation = await session.get(LineCancellation, cancellation_pk, with_for_update=True)
            assert record is not None and cancellation is not None
            current = record.version == version and cancellation.status == "pending"
            yield (session, record, cancellation) if current else None

    async def _cancellation_recorded(
        self,
        session: Any,
        record: OrderRecord,
        cancellation: LineCancellation,
        target: OrderState | None,
        emptied: list[str],
    ) -> None:
        record.lines_cancel_pending = await next_cancellation(session, record.id) is not None
        detail = {"units": cancellation.units, **cancellation.outcome, "fulfillment_requests_cancelled": emptied}
        clean = not cancellation.outcome.get("not_withdrawn") and "booking" not in cancellation.outcome
        outcome = "done" if cancellation.status == "done" and clean else "exception"
        system = "wms" if record.fulfillment_requests or emptied else "inventory"
        if target is not None:
            check_transition(record.state, target)  # type: ignore[arg-type]
        _timeline(session, record, "cancel_lines", system, outcome, target or record.state, detail)
        _move(record, target or record.state)  # type: ignore[arg-type]
        if target == "shipped":  # what is left had all shipped, and every shipment was invoiced as it shipped
            _timeline(session, record, "invoice", "erp", "done", "invoiced", {"after": "cancel_lines"})
            _move(record, "invoiced")

    async def _plan_withdrawal(
        self, pk: int, version: int, step: StepInput, cancellation_pk: int
    ) -> tuple[list[LineCut], bool] | None:
        """The cancellation's plan and whether anything was reserved, fixed before the first call: a re-run after
        a crash follows the same plan with the same keys."""
        async with self.database.reading() as session:
            cancellation = await session.get(LineCancellation, cancellation_pk)
            assert cancellation is not None
            saved, units = cancellation.plan, dict(cancellation.units)
        if saved is None:
            holdings = await self.systems.held_units(step.tenant, step.order)
            reserved = bool(holdings.held or holdings.backordered) or step.state != "accepted"
            cuts = plan_withdrawal(units, holdings) if reserved else sorted((k, None, int(v)) for k, v in units.items())
            async with self._pending_cancellation(pk, version, cancellation_pk) as found:
                if found is None:
                    return None
                _session, _record, cancellation = found
                if cancellation.plan is None:
                    cancellation.plan = {"reserved": reserved, "cuts": [list(cut) for cut in cuts]}
                saved = cancellation.plan
        cuts = [(str(line), None if at is None else str(at), int(count)) for line, at, count in saved["cuts"]]
        return cuts, bool(saved["reserved"])

    async def _record_outcome(self, pk: int, version: int, outcome: Outcome) -> None:
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:  # moved on meanwhile (cancelled): the step's answer is stale
                _timeline(session, record, outcome.step, outcome.system, "ignored", record.state, outcome.detail)
                return
            check_transition(record.state, outcome.to)  # type: ignore[arg-type]
            if outcome.erp_order_ref is not None:
                record.erp_order_ref = outcome.erp_order_ref
            if outcome.tax is not None:
                record.tax = outcome.tax
            if outcome.held is not None:
                record.unreleased = {
                    location: [list(line) for line in lines] for location, lines in outcome.held.items()
                }
            if outcome.fulfillment_requests:
                record.fulfillment_requests = {**record.fulfillment_requests, **outcome.fulfillment_requests}
            if outcome.reserved is not None:
                await _update_lines(session, record, outcome)
            _timeline(session, record, outcome.step, outcome.system, "done", outcome.to, outcome.detail)
            await Worklist(session).settle_step(record.tenant, record.order_id, outcome.step)
            now = datetime.now(UTC)
            if outcome.to == "accepted":
                record.accepted_at = now
                observe_between(ORDER_ACCEPTANCE, record.created_at, now)
            elif outcome.to == "released":
                record.released_at = now
                observe_between(RELEASE_LATENCY, record.accepted_at, now)
                lines = await session.scalars(select(OrderLineRecord).where(OrderLineRecord.order_pk == pk))
                for line in lines.all():
                    if line.reserved > 0:
                        line.state = "released"
            _move(record, outcome.to)

    async def _record_wait(self, pk: int, version: int, partial: Outcome) -> None:
        """Still backordered: the lines show what is held now, and the order tries again later. Nothing goes on
        the timeline (a wait is not a step) and no attempt is counted (waiting for stock is not a failure)."""
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            if partial.held is not None:
                record.unreleased = {
                    location: [list(line) for line in lines] for location, lines in partial.held.items()
                }
            await _update_lines(session, record, partial)
            record.lease_until = None
            record.next_attempt_at = datetime.now(UTC) + self.backorder_recheck

    async def _record_failure(self, pk: int, version: int, step: str, failure: BusinessFailure) -> None:
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            target: OrderState = "rejected" if failure.final else "on_hold"
            if record.state == "cancelled":  # undoing a cancelled order failed: it stays cancelled, on the worklist
                target = "cancelled"
            reason = failure.summary
            await Worklist(session).record(
                tenant=record.tenant,
                kind=failure.kind,
                system=failure.system,
                subject=f"order:{record.order_id}",
                order_id=record.order_id,
                reason=reason,
                snapshot={"step": step, "reasons": failure.reasons, "order": record.sales_order},
            )
            record.hold_reason = reason
            SAGA_EXCEPTIONS.labels(failure.kind).inc()
            _timeline(
                session,
                record,
                step,
                failure.system,
                "exception",
                target,
                {"kind": failure.kind, "reasons": failure.reasons},
            )
            _move(record, target)

    async def _record_retry(self, pk: int, version: int, step: str, system: str, error: str) -> None:
        async with self.database.transaction() as session:
            record = await session.get(OrderRecord, pk, with_for_update=True)
            assert record is not None
            if record.version != version:
                return
            record.attempts += 1
            record.last_error = error
            record.lease_until = None
            exhausted = record.attempts >= self.retry.max_attempts
            SAGA_RETRIES.labels(step).inc()
            if exhausted:
                SAGA_EXCEPTIONS.labels("retries_exhausted").inc()
            _timeline(
                session, record, step, system, "exception" if exhausted else "retrying", record.state, {"error": error}
            )
            if exhausted:
                record.next_attempt_at = None
                await Worklist(session).record(
                    tenant=record.tenant,
                    kind="retries_exhausted",
                    system=system,
                    subject=f"order:{record.order_id}",
                    order_id=record.order_id,
                    reason=f"{step} failed {record.attempts} times; last error: {error}",
                    snapshot={"step": step, "state": record.state, "error": error},
                )
            else:
                record.next_attempt_at = datetime.now(UTC) + timedelta(seconds=self.retry.delay(record.attempts))
            record.updated_at = datetime.now(UTC)


async def _trace_of(session: Any, order_pk: int) -> str | None:
    """The trace of the latest request or event that moved the order: the steps it causes continue it, so an
    order's timeline and its calls to the ERP, the WMS and Shopify share the trace id of their cause."""
    query = (
        select(OrderStep.trace_id)
        .where(OrderStep.order_pk == order_pk, OrderStep.trace_id.is_not(None))
        .order_by(OrderStep.id.desc())
        .limit(1)
    )
    trace_id: str | None = await session.scalar(query)
    return trace_id


def _held(unreleased: dict[str, Any]) -> dict[str, list[tuple[str, str, int]]]:
    return {location: [(str(a), str(b), int(c)) for a, b, c in lines] for location, lines in unreleased.items()}


def _move(record: OrderRecord, target: OrderState) -> None:
    """Into ``target``: a new version, the lease given back, and the next step due now if there is one."""
    now = datetime.now(UTC)
    record.state = target
    record.version += 1
    record.attempts = 0
    record.last_error = None
    record.lease_until = None
    due = target in ACTIONABLE or (record.lines_cancel_pending and target in WITHDRAWABLE)
    record.next_attempt_at = now if due else None
    record.updated_at = now


async def _update_lines(session: Any, record: OrderRecord, outcome: Outcome) -> None:
    lines = (await session.scalars(select(OrderLineRecord).where(OrderLineRecord.order_pk == record.id))).all()
    for line in lines:
        line.reserved = (outcome.reserved or {}).get(line.line_id, 0)
        line.backordered = (outcome.backordered or {}).get(line.line_id, 0)
        line.state = "backordered" if line.backordered else "reserved"


def _timeline(
    session: Any, record: OrderRecord, step: str, system: str, outcome: str, to_state: str, detail: dict[str, Any]
) -> None:
    record_step(session, record, step, system, outcome, to_state, detail, attempt=record.attempts + 1)


@contextlib.asynccontextmanager
async def saga_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Run the saga worker beside the order process's API, on its database and service clients."""
    settings = app.state.settings
    worker = SagaWorker(
        app.state.database,
        HttpOrderSystems(app.state.clients),
        retry=RetryPolicy.from_settings(settings),
        backorder_recheck=timedelta(seconds=settings.backorder_recheck_interval),
        confirmation_deadline=timedelta(seconds=settings.shipment_confirmation_deadline),
    )
    shutdown = Shutdown()
    task = asyncio.create_task(worker.run(shutdown), name="orders-saga-worker")
    try:
        yield
    finally:
        await stop_gracefully([task], shutdown, grace=SHUTDOWN_GRACE)
