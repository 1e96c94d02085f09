"""What the order process hears: channel orders enter the saga (ones that could not be read become worklist
items), warehouses' shipment confirmations are kept for the saga to follow up, and the return process's news
lands on the order's timeline (and its exceptions on the worklist)."""

from __future__ import annotations

from collections.abc import Sequence

from canonical import ShipmentNotice
from canonical.channel import (
    CHANNEL_ORDER_CANCELLED,
    CHANNEL_ORDER_PAID,
    CHANNEL_ORDER_RECEIVED,
    CHANNEL_ORDER_UNMAPPABLE,
    CHANNEL_ORDER_UPDATED,
    ChannelOrderEvent,
    UnmappableChannelOrder,
)
from canonical.events import EventEnvelope
from canonical.returns import RETURN_EXCEPTION_RAISED, RETURN_STATUS_CHANGED, ReturnException, ReturnView
from canonical.streams import RETURNS_EVENTS, SHOPIFY_INTAKE_EVENTS, WMS_EVENTS
from canonical.warehouse import SHIPMENT_CONFIRMED
from process_apis.orders.models import OrdersInbox
from process_apis.orders.saga.intake import receive_order
from process_apis.orders.saga.returns import record_return_news
from process_apis.orders.saga.shipping import record_shipment
from process_apis.orders.worklist import Worklist
from service_kit.database import Database
from service_kit.events.consumer import Subscription
from service_kit.events.inbox import claim_event

__all__ = ["CONSUMER", "subscriptions"]

CONSUMER = "orders"


def subscriptions(database: Database) -> Sequence[Subscription]:
    async def on_order(envelope: EventEnvelope) -> None:
        event = envelope.payload_as(ChannelOrderEvent)
        async with database.transaction() as session:
            if await claim_event(session, OrdersInbox, envelope, consumer=CONSUMER):
                await receive_order(session, event.order, topic=event.delivery.topic, cancelled_at=event.cancelled_at)

    async def on_unmappable(envelope: EventEnvelope) -> None:
        event = envelope.payload_as(UnmappableChannelOrder)
        async with database.transaction() as session:
            if not await claim_event(session, OrdersInbox, envelope, consumer=CONSUMER):
                return
            subject = f"{event.delivery.channel}-order:{event.external_id or f'delivery-{event.delivery.delivery_id}'}"
            await Worklist(session).record(
                tenant=envelope.tenant,
                kind="unmappable_order",
                system=event.delivery.channel,
                subject=subject,
                order_id=f"{event.delivery.channel}-{event.external_id}" if event.external_id else None,
                reason="; ".join(f"{p.field}: {p.reason}" for p in event.problems),
                snapshot={
                    "delivery": {"id": event.delivery.delivery_id, "topic": event.delivery.topic,
                                 "webhook_id": event.delivery.webhook_id, "source": event.delivery.source},
                    "problems": [{"field": p.field, "reason": p.reason} for p in event.problems],
                },
            )  # fmt: skip

    async def on_shipment(envelope: EventEnvelope) -> None:
        notice = envelope.payload_as(ShipmentNotice)
        async with database.transaction() as session:
            if await claim_event(session, OrdersInbox, envelope, consumer=CONSUMER):
                await record_shipment(session, envelope.tenant, notice)

    async def on_return(envelope: EventEnvelope) -> None:
        async with database.transaction() as session:
            if not await claim_event(session, OrdersInbox, envelope, consumer=CONSUMER):
                return
            if envelope.type == RETURN_EXCEPTION_RAISED:
                problem = envelope.payload_as(ReturnException)
                await Worklist(session).record(
                    tenant=envelope.tenant,
                    kind=problem.kind,
                    system=problem.system,
                    subject=f"return:{problem.return_id}",
                    order_id=problem.order_id or None,
                    reason=problem.reason,
                    snapshot={"return_id": problem.return_id, **problem.snapshot},
                )
            else:
                await record_return_news(session, envelope.tenant, envelope.payload_as(ReturnView))

    async def on_channel_event(envelope: EventEnvelope) -> None:
        """One handler per stream: the service's consumer group shares a stream's deliveries among handlers."""
        if envelope.type == CHANNEL_ORDER_UNMAPPABLE:
            await on_unmappable(envelope)
        else:
            await on_order(envelope)

    return (
        Subscription(
            SHOPIFY_INTAKE_EVENTS,
            on_channel_event,
            frozenset(
                {
                    CHANNEL_ORDER_RECEIVED,
                    CHANNEL_ORDER_UPDATED,
                    CHANNEL_ORDER_PAID,
                    CHANNEL_ORDER_CANCELLED,
                    CHANNEL_ORDER_UNMAPPABLE,
                }
            ),
        ),
        Subscription(WMS_EVENTS, on_shipment, frozenset({SHIPMENT_CONFIRMED})),
        Subscription(RETURNS_EVENTS, on_return, frozenset({RETURN_STATUS_CHANGED, RETURN_EXCEPTION_RAISED})),
    )
