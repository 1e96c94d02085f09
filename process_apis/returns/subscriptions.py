"""What the return process hears: warehouses' return receipts (the return is received and inspected), and
returns the channel started (Shopify ``returns/request``, or a refund made in Shopify's admin) — recorded as
``requested`` for the worker to authorize. A Shopify refund Omnigate itself made comes back as a webhook too;
it names its RMA in its note and is recognised, not taken for a new return."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from canonical import ReturnReceipt
from canonical.channel import (
    CHANNEL_REFUND_RECORDED,
    CHANNEL_RETURN_REQUESTED,
    ChannelRefundEvent,
    ChannelReturnRequestEvent,
)
from canonical.events import EventEnvelope
from canonical.returns import ReturnRequest, ReturnRequestLine
from canonical.streams import SHOPIFY_INTAKE_EVENTS, WMS_EVENTS
from canonical.warehouse import RETURN_RECEIPT_RECORDED
from process_apis.returns.authorization import record_request
from process_apis.returns.models import ReturnsInbox
from process_apis.returns.policies import ReturnPolicies
from process_apis.returns.receipts import apply_receipt
from service_kit.database import Database
from service_kit.events.consumer import Subscription
from service_kit.events.inbox import claim_event

__all__ = ["CONSUMER", "OUR_REFUND_NOTE", "subscriptions"]

CONSUMER = "returns"
OUR_REFUND_NOTE = re.compile(r"Omnigate return (RMA-[A-Z0-9]+)")
"""The note every channel refund Omnigate makes carries (see ``ReturnSystems.channel_refund``)."""


def subscriptions(database: Database) -> Sequence[Subscription]:
    async def on_receipt(envelope: EventEnvelope) -> None:
        receipt = envelope.payload_as(ReturnReceipt)
        async with database.transaction() as session:
            if await claim_event(session, ReturnsInbox, envelope, consumer=CONSUMER):
                await apply_receipt(session, receipt)

    async def on_channel_return(envelope: EventEnvelope) -> None:
        event = envelope.payload_as(ChannelReturnRequestEvent)
        lines = [
            ReturnRequestLine(line_id=line.line_id, quantity=line.quantity, reason=line.reason, note=line.note)
            for line in event.lines
        ]
        await _record(
            envelope, event.delivery.channel, event.order_external_id, f"return-{event.return_external_id}", lines
        )

    async def on_channel_refund(envelope: EventEnvelope) -> None:
        event = envelope.payload_as(ChannelRefundEvent)
        if not event.lines or (event.note and OUR_REFUND_NOTE.search(event.note)):
            async with database.transaction() as session:  # our own refund's echo, or money only: no return
                await claim_event(session, ReturnsInbox, envelope, consumer=CONSUMER)
            return
        lines = [
            ReturnRequestLine(line_id=line_id, quantity=units)
            for line_id, units in sorted(event.lines.items())
            if units
        ]
        await _record(
            envelope,
            event.delivery.channel,
            event.order_external_id,
            f"refund-{event.refund_external_id}",
            lines,
            refunded_in_channel=event.refund_external_id,
        )

    async def _record(
        envelope: EventEnvelope,
        channel: str,
        channel_order_id: str,
        reference: str,
        lines: list[ReturnRequestLine],
        *,
        refunded_in_channel: str | None = None,
    ) -> None:
        async with database.transaction() as session:
            if not await claim_event(session, ReturnsInbox, envelope, consumer=CONSUMER) or not lines:
                return
            request = ReturnRequest(order_id="", lines=lines, source="shopify")
            await record_request(
                session,
                envelope.tenant,
                request,
                await ReturnPolicies(session).get(envelope.tenant),
                source_reference=reference,
                channel=channel,
                channel_order_id=channel_order_id,
                now=datetime.now(UTC),
                refunded_in_channel=refunded_in_channel,
            )

    async def on_channel_event(envelope: EventEnvelope) -> None:
        """One handler per stream: the consumer group shares a stream's deliveries among its handlers."""
        if envelope.type == CHANNEL_RETURN_REQUESTED:
            await on_channel_return(envelope)
        else:
            await on_channel_refund(envelope)

    return (
        Subscription(WMS_EVENTS, on_receipt, frozenset({RETURN_RECEIPT_RECORDED})),
        Subscription(
            SHOPIFY_INTAKE_EVENTS, on_channel_event, frozenset({CHANNEL_RETURN_REQUESTED, CHANNEL_REFUND_RECORDED})
        ),
    )
