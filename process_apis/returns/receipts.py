"""A warehouse's receipt of an RMA: what came back, in which condition, and whether it matches the RMA.

A receipt without an RMA is a walk-in: a customer brought units of an order back to a store. Naming the order,
it starts a return of those units (source ``store``, its reference the receipt), which the policy then
authorizes like any other; once authorized, the receipt is applied to it and it is refunded. Rejected, it goes
on the worklist (the goods are already in the store). A store often knows only the SKU: such units are matched to
the order's lines selling it once the order has been read (:func:`match_walk_in_lines`). A walk-in receipt that
names no order cannot be matched and changes nothing.

The WMS has already moved the stock (resellable units back on hand at the receiving location, damaged ones to
``damaged``) and announced it; here the return moves ``received → inspected → restocked`` (any unit resellable)
or ``written_off`` (all damaged). A receipt that differs from the RMA (fewer or more units, a SKU it does not
name) puts the return on hold and on the worklist as ``receipt_mismatch``; a person who accepts the receipt
retries the return, and the refund follows what was received. Never commits.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import ReturnReceipt, ReturnReceiptLine
from canonical.returns import ReturnRequest, ReturnRequestLine
from process_apis.returns.authorization import record_lines, record_request, returnable_units
from process_apis.returns.ledger import lines_of, move, note, raise_exception
from process_apis.returns.metrics import RETURNS_RECEIVED
from process_apis.returns.models import ReturnRecord
from process_apis.returns.policies import ReturnPolicies
from process_apis.returns.states import RECEIVABLE
from process_apis.returns.systems import OrderFacts

logger = logging.getLogger("omnigate.returns.receipts")

__all__ = ["WALK_IN_RECEIPT", "apply_receipt", "finish_inspection", "match_walk_in_lines"]

WALK_IN_RECEIPT = "walk_in_receipt"
"""Where a walk-in return keeps the receipt that started it (in ``results``), to apply once it is authorized."""


async def apply_receipt(session: AsyncSession, receipt: ReturnReceipt) -> ReturnRecord | None:
    """Apply the receipt to the RMA it names; a receipt for no open RMA (or a repeated one) changes nothing. A
    receipt without an RMA starts a walk-in return (see the module docstring)."""
    if receipt.return_authorization_id is None:
        return await _start_walk_in(session, receipt)
    record = await session.scalar(
        select(ReturnRecord)
        .where(ReturnRecord.tenant == receipt.tenant, ReturnRecord.return_id == receipt.return_authorization_id)
        .with_for_update()
    )
    if record is None:
        return None
    if record.state not in RECEIVABLE:
        note(
            session, record, "receive", "wms", "ignored", {"receipt_id": receipt.id, "why": f"return is {record.state}"}
        )
        return record
    lines = {line.line_id: line for line in await lines_of(session, record)}
    by_sku = {line.sku: line for line in lines.values()}
    unexpected: list[dict[str, Any]] = []
    for received in receipt.lines:
        line = lines.get(received.line_id) if received.line_id else by_sku.get(received.sku)
        if line is None or line.sku != received.sku:
            unexpected.append({"sku": received.sku, "quantity": received.quantity, "line_id": received.line_id})
            continue
        line.received += received.quantity
        if received.condition == "resellable":
            line.resellable += received.quantity
        else:
            line.damaged += received.quantity
    differences = [
        {"line_id": line.line_id, "sku": line.sku, "authorized": line.quantity, "received": line.received}
        for line in lines.values()
        if line.received != line.quantity
    ]
    record.received_at = receipt.received_at
    record.receiving_location = receipt.location_id
    record.results = {**record.results, "receipt_id": receipt.id}
    RETURNS_RECEIVED.inc()
    detail = {"receipt_id": receipt.id, "location_id": receipt.location_id}
    await move(session, record, "received", step="receive", system="wms", detail=detail)
    if differences or unexpected:
        reason = _mismatch_reason(differences, unexpected)
        record.hold_reason, record.held_from = reason, "received"
        await move(
            session,
            record,
            "on_hold",
            step="inspect",
            system="wms",
            detail={"differences": differences, "unexpected": unexpected},
        )
        raise_exception(
            session,
            record,
            "receipt_mismatch",
            "wms",
            reason,
            receipt_id=receipt.id,
            differences=differences,
            unexpected=unexpected,
        )
        return record
    await finish_inspection(session, record)
    return record


async def _start_walk_in(session: AsyncSession, receipt: ReturnReceipt) -> ReturnRecord | None:
    if receipt.order_id is None or not receipt.lines:
        logger.warning("return receipt %s names neither an RMA nor an order: it cannot be matched", receipt.id)
        return None
    reference = f"receipt:{receipt.id}"
    earlier = await session.scalar(
        select(ReturnRecord).where(
            ReturnRecord.tenant == receipt.tenant,
            ReturnRecord.source == "store",
            ReturnRecord.source_reference == reference,
        )
    )
    if earlier is not None:  # the same receipt again (its lines may have been matched to the order's since)
        return earlier
    request = ReturnRequest(
        order_id=receipt.order_id,
        lines=[
            ReturnRequestLine(line_id=line.line_id or _unmatched(line.sku), quantity=line.quantity, reason="unknown")
            for line in receipt.lines
        ],
        source="store",
        receiving_location=receipt.location_id,
    )
    record, new = await record_request(
        session,
        receipt.tenant,
        request,
        await ReturnPolicies(session).get(receipt.tenant),
        source_reference=reference,
        channel="",
        channel_order_id="",
        now=datetime.now(UTC),
    )
    if new:
        record.results = {**record.results, WALK_IN_RECEIPT: msgspec.to_builtins(receipt)}
        skus = {line.line_id or _unmatched(line.sku): line.sku for line in receipt.lines}
        for line in await lines_of(session, record):
            line.sku = skus.get(line.line_id, line.sku)
    return record


def _unmatched(sku: str) -> str:
    """The line a walk-in's units of ``sku`` stand on until they are matched to the order's lines."""
    return f"sku:{sku}"[:64]


async def match_walk_in_lines(session: AsyncSession, record: ReturnRecord, facts: OrderFacts) -> None:
    """Units a walk-in receipt names by SKU only go to the order's lines selling that SKU, in the order's line
    order, each taking what it may still return (shipped, less earlier returns and the lines the store named). Units
    that fit on no line go to the first line selling the SKU, where the authorization refuses them as more than
    shipped; a SKU the order does not sell stays unmatched, refused as a line the order does not have."""
    receipt = msgspec.convert(record.results[WALK_IN_RECEIPT], ReturnReceipt)
    if all(line.line_id for line in receipt.lines):
        return
    room = await returnable_units(session, record.tenant, facts)
    for named in receipt.lines:
        if named.line_id:
            room[named.line_id] = room.get(named.line_id, 0) - named.quantity
    matched: list[ReturnReceiptLine] = []
    for line in receipt.lines:
        if line.line_id:
            matched.append(line)
            continue
        selling = [sold.line_id for sold in facts.sales_order.lines if sold.sku == line.sku]
        left = line.quantity
        for line_id in selling:
            if (take := min(left, max(0, room.get(line_id, 0)))) > 0:
                matched.append(msgspec.structs.replace(line, line_id=line_id, quantity=take))
                room[line_id] -= take
                left -= take
        if left:
            line_id = selling[0] if selling else _unmatched(line.sku)
            matched.append(msgspec.structs.replace(line, line_id=line_id, quantity=left))
    receipt = msgspec.structs.replace(receipt, lines=matched)
    record.results = {**record.results, WALK_IN_RECEIPT: msgspec.to_builtins(receipt)}
    await record_lines(
        session,
        record,
        [ReturnRequestLine(line_id=str(line.line_id), quantity=line.quantity) for line in matched],
        skus={str(line.line_id): line.sku for line in matched},
    )
    note(session, record, "match_lines", "returns", "matched", {"lines": [msgspec.to_builtins(m) for m in matched]})


async def finish_inspection(session: AsyncSession, record: ReturnRecord) -> None:
    """``received → inspected → restocked | written_off``, by the conditions received."""
    lines = await lines_of(session, record)
    resellable = sum(line.resellable for line in lines)
    damaged = sum(line.damaged for line in lines)
    conditions = {"resellable": resellable, "damaged": damaged}
    await move(session, record, "inspected", step="inspect", system="wms", detail=conditions)
    await move(
        session,
        record,
        "restocked" if resellable else "written_off",
        step="disposition",
        system="wms",
        detail={"location_id": record.receiving_location, **conditions},
    )
    record.updated_at = datetime.now(UTC)


def _mismatch_reason(differences: list[dict[str, Any]], unexpected: list[dict[str, Any]]) -> str:
    parts = [f"line {d['line_id']} ({d['sku']}): {d['received']} received of {d['authorized']}" for d in differences]
    parts += [f"{u['quantity']} x {u['sku']} received but not on the RMA" for u in unexpected]
    return "the receipt differs from the RMA: " + "; ".join(parts)
