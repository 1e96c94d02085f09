"""Webhook intake: check who sent it, record it durably, decide once what it means, announce it.

Shopify delivers at least once (8 retries over 4 hours, sometimes a day late) and waits only 5 s, so a
delivery is acknowledged as soon as it is recorded; the order and return processes work from the events. Three
layers of dedupe: the same delivery again (``Webhook-Id``), the same merchant action through another
subscription (topic + resource + ``Event-Id``), and an older version of an order arriving after a newer one (its
``updated_at``): only the first of each is announced. An order or a return request that cannot be mapped is
acknowledged and announced as a business exception (``channel.order.unmappable``), never a 500 that Shopify
would retry for hours. Never commits: the request's transaction does.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.channel import (
    CHANNEL_ORDER_CANCELLED,
    CHANNEL_ORDER_PAID,
    CHANNEL_ORDER_RECEIVED,
    CHANNEL_ORDER_UNMAPPABLE,
    CHANNEL_ORDER_UPDATED,
    CHANNEL_REFUND_RECORDED,
    CHANNEL_RETURN_REQUESTED,
    ChannelDelivery,
    ChannelOrderEvent,
    ChannelRefundEvent,
    FieldProblem,
    UnmappableChannelOrder,
)
from canonical.events import EventEnvelope
from canonical.streams import SHOPIFY_INTAKE_EVENTS
from experience_apis.shopify.models import DeliveryRecord, IntakeOutbox, ShopRecord
from experience_apis.shopify.order_mapping import (
    CHANNEL,
    MappingProblem,
    UnmappableOrder,
    decode_order,
    map_order,
    order_id_for,
)
from experience_apis.shopify.repository import DeliveryRepository
from experience_apis.shopify.return_mapping import UnmappableReturn, decode_return, map_return, return_id_of
from experience_apis.shopify.signatures import WebhookHeaders, signature_matches
from experience_apis.shopify.wire import ShopifyRefund
from service_kit.events.outbox import record_event
from service_kit.problems import BadRequest, Problem

__all__ = [
    "ORDER_TOPICS",
    "REFUND_TOPIC",
    "RETURN_REQUEST_TOPIC",
    "DeliveryReceipt",
    "InvalidWebhookSignature",
    "WebhookIntake",
]

ORDER_TOPICS: dict[str, str] = {
    "orders/create": CHANNEL_ORDER_RECEIVED,
    "orders/updated": CHANNEL_ORDER_UPDATED,
    "orders/paid": CHANNEL_ORDER_PAID,
    "orders/cancelled": CHANNEL_ORDER_CANCELLED,
}
REFUND_TOPIC = "refunds/create"
RETURN_REQUEST_TOPIC = "returns/request"


class InvalidWebhookSignature(Problem):
    """Unknown shop or a signature that does not match: the same answer for both, and nothing stored."""

    status = 401
    code = "invalid_webhook_signature"
    title_text = "Unauthorized"


class DeliveryReceipt(msgspec.Struct, frozen=True, kw_only=True):
    delivery_id: int
    status: str
    """``accepted``, ``duplicate`` (this delivery again), ``duplicate_event``, ``stale``, ``unmappable``,
    ``ignored`` (a topic we do not act on)."""


class WebhookIntake:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.deliveries = DeliveryRepository(session)

    async def receive(self, headers: WebhookHeaders, body: bytes, *, now: datetime | None = None) -> DeliveryReceipt:
        now = now or datetime.now(UTC)
        shop = await self._verified_shop(headers, body, now)
        if not headers.topic or not headers.webhook_id:
            missing = [
                h
                for h, v in (("X-Shopify-Topic", headers.topic), ("X-Shopify-Webhook-Id", headers.webhook_id))
                if not v
            ]
            raise BadRequest(f"missing webhook header(s): {', '.join(missing)}", code="missing_webhook_header")
        if (earlier := await self.deliveries.by_webhook_id(shop.shop_domain, headers.webhook_id)) is not None:
            return DeliveryReceipt(delivery_id=earlier.id, status="duplicate")
        record = DeliveryRecord(
            tenant=shop.tenant,
            shop_domain=shop.shop_domain,
            webhook_id=headers.webhook_id,
            topic=headers.topic,
            event_id=headers.event_id,
            triggered_at=headers.triggered_at,
            api_version=headers.api_version,
            status="ignored",
            received_at=now,
            body=body,
        )
        try:
            async with self.session.begin_nested():
                self.session.add(record)
                await self.session.flush()
        except IntegrityError:  # the same delivery, concurrently: the other request recorded it
            earlier = await self.deliveries.by_webhook_id(shop.shop_domain, headers.webhook_id)
            assert earlier is not None
            return DeliveryReceipt(delivery_id=earlier.id, status="duplicate")
        if headers.topic in ORDER_TOPICS:
            await self._order(record, headers)
        elif headers.topic == REFUND_TOPIC:
            await self._refund(record, headers)
        elif headers.topic == RETURN_REQUEST_TOPIC:
            await self._return_request(record)
        await self.session.flush()
        return DeliveryReceipt(delivery_id=record.id, status=record.status)

    async def _verified_shop(self, headers: WebhookHeaders, body: bytes, now: datetime) -> ShopRecord:
        shop = await self.deliveries.shop(headers.shop_domain) if headers.shop_domain else None
        if shop is None or not headers.hmac_sha256:
            raise InvalidWebhookSignature("the webhook's shop is unknown or its signature does not match")
        secrets = [shop.secret]
        if shop.previous_secret and shop.previous_secret_expires_at and shop.previous_secret_expires_at > now:
            secrets.append(shop.previous_secret)
        if not signature_matches(body, headers.hmac_sha256, secrets):
            raise InvalidWebhookSignature("the webhook's shop is unknown or its signature does not match")
        return shop

    def _source(self, record: DeliveryRecord) -> ChannelDelivery:
        return ChannelDelivery(
            delivery_id=record.id,
            channel=CHANNEL,
            source=record.shop_domain,
            topic=record.topic,
            webhook_id=record.webhook_id,
            event_id=record.event_id,
            triggered_at=record.triggered_at,
        )

    async def _announce(
        self, record: DeliveryRecord, event_type: str, aggregate: tuple[str, str], payload: msgspec.Struct
    ) -> None:
        sequence = await self.deliveries.announced_count(record) + 1
        record.status = "accepted"
        envelope = EventEnvelope.new(
            type=event_type,
            tenant=record.tenant,
            aggregate_type=aggregate[0],
            aggregate_id=aggregate[1],
            sequence=sequence,
            payload=payload,
            correlation_id=f"shopify-webhook:{record.webhook_id}",
        )
        record_event(self.session, IntakeOutbox, stream=SHOPIFY_INTAKE_EVENTS, envelope=envelope)

    def _unmappable(self, record: DeliveryRecord, external_id: str | None, problems: list[MappingProblem]) -> None:
        """Announce a delivery we recorded but cannot map: a business exception for the worklist, with why."""
        record.status = "unmappable"
        unmappable = UnmappableChannelOrder(
            delivery=self._source(record),
            external_id=external_id,
            problems=[FieldProblem(p.field, p.reason) for p in problems],
        )
        envelope = EventEnvelope.new(
            type=CHANNEL_ORDER_UNMAPPABLE,
            tenant=record.tenant,
            aggregate_type="channel_delivery",
            aggregate_id=str(record.id),
            sequence=1,
            payload=unmappable,
            correlation_id=f"shopify-webhook:{record.webhook_id}",
        )
        record_event(self.session, IntakeOutbox, stream=SHOPIFY_INTAKE_EVENTS, envelope=envelope)

    async def _order(self, record: DeliveryRecord, headers: WebhookHeaders) -> None:
        try:
            shopify_order = decode_order(record.body)
            record.resource_id = str(shopify_order.id)
            order = map_order(shopify_order, tenant=record.tenant)
        except UnmappableOrder as exc:
            self._unmappable(record, record.resource_id, exc.problems)
            return
        record.resource_updated_at = order.updated_at
        if record.event_id is not None and await self.deliveries.event_announced(record):
            record.status = "duplicate_event"
            return
        latest = await self.deliveries.newest_announced_update(record, ORDER_TOPICS)
        if latest is not None and order.updated_at < latest:
            record.status = "stale"  # an older version of the order than one already announced
            return
        cancelled_at = shopify_order.cancelled_at if record.topic == "orders/cancelled" else None
        event = ChannelOrderEvent(delivery=self._source(record), order=order, cancelled_at=cancelled_at)
        aggregate = ("channel_order", order_id_for(shopify_order.id))
        await self._announce(record, ORDER_TOPICS[record.topic], aggregate, event)

    async def _refund(self, record: DeliveryRecord, headers: WebhookHeaders) -> None:
        try:
            refund = msgspec.json.decode(record.body, type=ShopifyRefund)
        except (msgspec.ValidationError, msgspec.DecodeError):
            record.status = "unmappable"
            return
        record.resource_id = str(refund.id)
        if refund.order_id is None:
            record.status = "unmappable"
            return
        if record.event_id is not None and await self.deliveries.event_announced(record):
            record.status = "duplicate_event"
            return
        lines: dict[str, int] = {}
        for item in refund.refund_line_items:
            lines[str(item.line_item_id)] = lines.get(str(item.line_item_id), 0) + item.quantity
        event = ChannelRefundEvent(
            delivery=self._source(record),
            tenant=record.tenant,
            order_external_id=str(refund.order_id),
            refund_external_id=str(refund.id),
            lines=lines,
            created_at=refund.created_at,
            note=refund.note or None,
        )
        await self._announce(record, CHANNEL_REFUND_RECORDED, ("channel_refund", f"shopify-refund-{refund.id}"), event)

    async def _return_request(self, record: DeliveryRecord) -> None:
        """``returns/request``: a customer asked to send lines back; the return process decides on it.

        A payload that cannot be mapped is a business exception like an unmappable order, but filed under its
        delivery (``external_id`` None): the order it names is not at fault, and its own worklist item (if it
        has one) must not be reopened or overwritten by a return's problems.
        """
        try:
            shopify_return = decode_return(record.body)
            record.resource_id = return_id_of(shopify_return)
            event = map_return(
                shopify_return, delivery=self._source(record), tenant=record.tenant, requested_at=record.triggered_at
            )
        except UnmappableReturn as exc:
            self._unmappable(record, None, exc.problems)
            return
        if record.event_id is not None and await self.deliveries.event_announced(record):
            record.status = "duplicate_event"
            return
        aggregate = ("channel_return", f"shopify-return-{event.return_external_id}")
        await self._announce(record, CHANNEL_RETURN_REQUESTED, aggregate, event)
