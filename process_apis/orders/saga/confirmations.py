"""Shipment confirmation deadlines: a warehouse that has not confirmed a release in time goes on the worklist.

A release nobody confirms is the quiet failure of fulfillment (a lost pick ticket, a 3PL integration that
stopped): the order looks fine while the customer waits. Each fulfillment request without any shipment from its
location ``deadline`` after the order's release opens one ``shipment_confirmation_timeout`` item (and a timeline
entry); the location's first shipment resolves it. Never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.orders.models import OrderRecord, OrderShipment
from process_apis.orders.repository import ExceptionRepository
from process_apis.orders.saga.metrics import SAGA_EXCEPTIONS
from process_apis.orders.saga.timeline import record_step
from process_apis.orders.worklist import Worklist

__all__ = ["CONFIRMATION_TIMEOUT", "flag_unconfirmed_releases", "settle_confirmation_timeout"]

CONFIRMATION_TIMEOUT = "shipment_confirmation_timeout"
_AWAITING_SHIPMENT = ("released", "partially_shipped")


def _subject(fulfillment_request_id: str) -> str:
    return f"fulfillment:{fulfillment_request_id}"


async def flag_unconfirmed_releases(session: AsyncSession, deadline: timedelta, *, limit: int = 500) -> int:
    """Open an item for each release past ``deadline`` with no shipment from its location; returns how many."""
    now = datetime.now(UTC)
    overdue = (
        await session.scalars(
            select(OrderRecord)
            .where(OrderRecord.state.in_(_AWAITING_SHIPMENT), OrderRecord.released_at < now - deadline)
            .order_by(OrderRecord.released_at)
            .limit(limit)
        )
    ).all()
    items = ExceptionRepository(session)
    flagged = 0
    for order in overdue:
        notices = (await session.scalars(select(OrderShipment.notice).where(OrderShipment.order_pk == order.id))).all()
        shipped_from = {notice.get("location_id") for notice in notices}
        for location_id, request_id in sorted(order.fulfillment_requests.items()):
            key = f"{CONFIRMATION_TIMEOUT}:{_subject(request_id)}"
            if location_id in shipped_from or await items.by_key(order.tenant, key) is not None:
                continue
            reason = (
                f"{location_id} has not confirmed fulfillment request {request_id} "
                f"{_hours(deadline)} after the order was released"
            )
            await Worklist(session).record(
                tenant=order.tenant,
                kind=CONFIRMATION_TIMEOUT,
                system="wms",
                subject=_subject(request_id),
                order_id=order.order_id,
                reason=reason,
                snapshot={
                    "location_id": location_id,
                    "fulfillment_request_id": request_id,
                    "released_at": order.released_at.isoformat() if order.released_at else None,
                },
            )
            detail = {"location_id": location_id, "fulfillment_request_id": request_id}
            record_step(session, order, "confirm_shipment", "wms", "exception", order.state, detail, at=now)
            SAGA_EXCEPTIONS.labels(CONFIRMATION_TIMEOUT).inc()
            flagged += 1
    await session.flush()
    return flagged


async def settle_confirmation_timeout(
    session: AsyncSession, order: OrderRecord, location_id: str, shipment: str
) -> None:
    """The location did ship: its open timeout item (if any) is resolved."""
    request_id = order.fulfillment_requests.get(location_id)
    if request_id is None:
        return
    item = await ExceptionRepository(session).by_key(order.tenant, f"{CONFIRMATION_TIMEOUT}:{_subject(request_id)}")
    if item is not None and item.status != "resolved":
        item.status, item.resolved_at = "resolved", datetime.now(UTC)
        item.resolution = f"{location_id} confirmed shipment {shipment}"


def _hours(deadline: timedelta) -> str:
    hours = deadline.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{deadline.total_seconds():g} s"
