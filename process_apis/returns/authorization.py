"""Authorizing a return: the policy's rules, and units returned never exceeding units shipped.

Each order line has a row in ``returns_returned_units``; authorizing locks the rows of the lines it returns
(in line order, so two requests never deadlock) before it checks and adds, so concurrent requests for the same
units cannot together return more than shipped, on PostgreSQL and on SQLite. A request is recorded either way:
authorized with its RMA number, or rejected with machine-readable reasons. Never commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.returns import ReturnPolicy, ReturnRequest, ReturnRequestLine
from process_apis.returns.ledger import lines_of, move
from process_apis.returns.models import ReturnedUnits, ReturnLineRecord, ReturnRecord
from process_apis.returns.systems import OrderFacts
from service_kit.idempotency import IdempotencyKeyReused

__all__ = ["decide", "new_rma_number", "record_lines", "record_request", "release_units", "returnable_units"]

_RMA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_rma_number() -> str:
    """``RMA-`` and ten characters a customer can read out over the phone (no 0/O, 1/I)."""
    return "RMA-" + "".join(secrets.choice(_RMA_ALPHABET) for _ in range(10))


@dataclass(frozen=True)
class _Shipped:
    units: int
    last_shipped_at: datetime


def _shipped(facts: OrderFacts) -> dict[str, _Shipped]:
    shipped: dict[str, _Shipped] = {}
    for shipment in facts.view.shipments:
        for line in shipment.lines:
            known = shipped.get(line.line_id)
            units = line.quantity + (known.units if known else 0)
            last = max(shipment.shipped_at, known.last_shipped_at) if known else shipment.shipped_at
            shipped[line.line_id] = _Shipped(units, last)
    return shipped


def _merged(lines: Iterable[ReturnRequestLine]) -> dict[str, ReturnRequestLine]:
    """The same line asked twice in one request counts once, with its units added."""
    merged: dict[str, ReturnRequestLine] = {}
    for line in lines:
        if (earlier := merged.get(line.line_id)) is not None:
            line = ReturnRequestLine(
                line_id=line.line_id,
                quantity=earlier.quantity + line.quantity,
                reason=earlier.reason,
                note=earlier.note,
            )
        merged[line.line_id] = line
    return merged


def _policy_refusals(
    facts: OrderFacts, line_ids: list[str], policy: ReturnPolicy, now: datetime
) -> list[dict[str, Any]]:
    ordered = {line.line_id: line for line in facts.sales_order.lines}
    shipped = _shipped(facts)
    refusals: list[dict[str, Any]] = []
    for line_id in line_ids:
        sold = ordered.get(line_id)
        if sold is None:
            refusals.append({"code": "unknown_line", "line_id": line_id, "message": f"order has no line '{line_id}'"})
            continue
        if sold.sku in policy.non_returnable_skus or (
            policy.returnable_product_types is not None and sold.product_type not in policy.returnable_product_types
        ):
            refusals.append({"code": "not_returnable", "line_id": line_id, "message": f"{sold.sku} cannot be returned"})
            continue
        sent = shipped.get(line_id)
        if sent is None:
            refusals.append(
                {"code": "quantity_exceeds_shipped", "line_id": line_id, "shipped": 0, "message": "nothing shipped yet"}
            )
            continue
        deadline = sent.last_shipped_at + timedelta(days=policy.window_days)
        if now > deadline:
            refusals.append(
                {
                    "code": "outside_return_window",
                    "line_id": line_id,
                    "returnable_until": deadline.isoformat(),
                    "message": f"the {policy.window_days}-day return window closed on {deadline.date().isoformat()}",
                }
            )
    return refusals


async def returnable_units(session: AsyncSession, tenant: str, facts: OrderFacts) -> dict[str, int]:
    """Units of each shipped line of the order that may still come back: shipped, less those open and finished
    returns promised. Read without locks, to plan with: :func:`decide` checks again under them."""
    query = select(ReturnedUnits.line_id, ReturnedUnits.units).where(
        ReturnedUnits.tenant == tenant, ReturnedUnits.order_id == facts.view.order_id
    )
    promised = {line_id: units for line_id, units in (await session.execute(query)).all()}
    return {line_id: sent.units - promised.get(line_id, 0) for line_id, sent in _shipped(facts).items()}


async def _locked_units(
    session: AsyncSession, tenant: str, order_id: str, line_ids: list[str]
) -> dict[str, ReturnedUnits]:
    for line_id in line_ids:
        exists = select(ReturnedUnits.id).where(
            ReturnedUnits.tenant == tenant, ReturnedUnits.order_id == order_id, ReturnedUnits.line_id == line_id
        )
        if (await session.scalar(exists)) is None:
            try:
                async with session.begin_nested():
                    session.add(ReturnedUnits(tenant=tenant, order_id=order_id, line_id=line_id, units=0))
            except IntegrityError:
                pass  # a concurrent request created it; we lock it below
    query = (
        select(ReturnedUnits)
        .where(ReturnedUnits.tenant == tenant, ReturnedUnits.order_id == order_id, ReturnedUnits.line_id.in_(line_ids))
        .order_by(ReturnedUnits.line_id)
        .with_for_update()
    )
    return {row.line_id: row for row in (await session.scalars(query)).all()}


async def record_request(
    session: AsyncSession,
    tenant: str,
    request: ReturnRequest,
    policy: ReturnPolicy,
    *,
    source_reference: str,
    channel: str,
    channel_order_id: str,
    now: datetime,
    refunded_in_channel: str | None = None,
) -> tuple[ReturnRecord, bool]:
    """The return recorded for this request (``requested``, before it is decided) and whether it is new.

    The starter's reference makes it idempotent: the same Shopify return or agent request never makes two.
    ``request.order_id`` may be empty when the channel named only its own order id (the worker looks it up).
    """
    earlier = await session.scalar(
        select(ReturnRecord).where(
            ReturnRecord.tenant == tenant,
            ReturnRecord.source == request.source,
            ReturnRecord.source_reference == source_reference,
        )
    )
    if earlier is not None:
        await _check_same_request(session, earlier, request, source_reference)
        return earlier, False
    record = ReturnRecord(
        tenant=tenant,
        return_id=new_rma_number(),
        order_id=request.order_id,
        channel=channel,
        channel_order_id=channel_order_id,
        source=request.source,
        source_reference=source_reference,
        state="requested",
        version=1,
        currency="",
        receiving_location=request.receiving_location,
        refunded_in_channel=refunded_in_channel,
        policy=msgspec.to_builtins(policy),
        refund=None,
        results={},
        rejection=None,
        hold_reason=None,
        held_from=None,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    await session.flush()
    await record_lines(session, record, request.lines)
    return record, True


async def record_lines(
    session: AsyncSession,
    record: ReturnRecord,
    lines: Iterable[ReturnRequestLine],
    *,
    skus: dict[str, str] | None = None,
) -> None:
    """The return's lines, replacing any it had: one per order line (asked twice, its units added), with the
    SKU when the asker knew it (else the authorization fills it in from the order)."""
    for earlier in await lines_of(session, record):
        await session.delete(earlier)
    await session.flush()
    for line_id, line in sorted(_merged(lines).items()):
        session.add(
            ReturnLineRecord(
                return_pk=record.id,
                line_id=line_id,
                sku=(skus or {}).get(line_id, ""),
                quantity=line.quantity,
                reason=line.reason,
                received=0,
                resellable=0,
                damaged=0,
            )
        )
    await session.flush()


async def _check_same_request(
    session: AsyncSession, earlier: ReturnRecord, request: ReturnRequest, source_reference: str
) -> None:
    """A reference (or ``Idempotency-Key``) names one request: reused for another order or other units it is
    refused (422), never answered with a return the caller did not ask for."""
    asked = {line_id: line.quantity for line_id, line in _merged(request.lines).items()}
    recorded = {line.line_id: line.quantity for line in await lines_of(session, earlier)}
    other_order = bool(request.order_id and earlier.order_id) and request.order_id != earlier.order_id
    if other_order or asked != recorded:
        raise IdempotencyKeyReused(
            f"'{source_reference}' already started return {earlier.return_id} (order {earlier.order_id}, "
            f"units {recorded}); a different request needs its own reference or Idempotency-Key",
            extra={"return_id": earlier.return_id},
        )


async def decide(session: AsyncSession, record: ReturnRecord, facts: OrderFacts, now: datetime) -> None:
    """Authorize the requested return (an RMA number, its units counted as returned) or reject it with reasons."""
    policy = msgspec.convert(record.policy, ReturnPolicy)
    requested = await lines_of(session, record)
    units = {line.line_id: line.quantity for line in requested}
    order = facts.sales_order
    ordered = {line.line_id: line for line in order.lines}
    record.order_id, record.currency = facts.view.order_id, order.currency
    record.channel, record.channel_order_id = order.channel, order.external_id
    for line in requested:
        line.sku = ordered[line.line_id].sku if line.line_id in ordered else line.sku
    refusals = _policy_refusals(facts, sorted(units), policy, now)
    shipped = _shipped(facts)
    returned = await _locked_units(session, record.tenant, record.order_id, sorted(set(units) & set(ordered)))
    if not refusals:
        for line_id, quantity in sorted(units.items()):
            already, sent = returned[line_id].units, shipped[line_id].units
            if already + quantity > sent:
                refusals.append(
                    {
                        "code": "quantity_exceeds_shipped",
                        "line_id": line_id,
                        "shipped": sent,
                        "already_returned": already,
                        "requested": quantity,
                        "message": f"only {sent - already} of {sent} shipped units of line {line_id} may be returned",
                    }
                )
    if refusals:
        record.rejection = refusals
        await move(session, record, "rejected", step="authorize", system="returns", detail={"reasons": refusals})
        return
    for line_id, quantity in units.items():
        returned[line_id].units += quantity
    await move(session, record, "authorized", step="authorize", system="returns", detail={"rma": record.return_id})


async def release_units(session: AsyncSession, record: ReturnRecord, units: dict[str, int]) -> None:
    """Give back units a return promised but will not return (fewer received than authorized)."""
    rows = await _locked_units(session, record.tenant, record.order_id, sorted(units))
    for line_id, count in units.items():
        rows[line_id].units = max(0, rows[line_id].units - count)
