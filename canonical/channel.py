"""What a sales channel told us, as events the order and return processes consume.

A channel delivery (a Shopify webhook) becomes one of these once its signature is checked and it is
recorded; the vendor's format stays behind in the intake that mapped it.
"""

from typing import Annotated

import msgspec

from canonical.orders import SalesOrder
from canonical.returns import ReturnReason
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "CHANNEL_ORDER_CANCELLED",
    "CHANNEL_ORDER_PAID",
    "CHANNEL_ORDER_RECEIVED",
    "CHANNEL_ORDER_UNMAPPABLE",
    "CHANNEL_ORDER_UPDATED",
    "CHANNEL_REFUND_RECORDED",
    "CHANNEL_RETURN_REQUESTED",
    "ChannelDelivery",
    "ChannelOrderEvent",
    "ChannelRefundEvent",
    "ChannelReturnLine",
    "ChannelReturnRequestEvent",
    "FieldProblem",
    "UnmappableChannelOrder",
]

CHANNEL_ORDER_RECEIVED = "channel.order.received"
CHANNEL_ORDER_UPDATED = "channel.order.updated"
CHANNEL_ORDER_PAID = "channel.order.paid"
CHANNEL_ORDER_CANCELLED = "channel.order.cancelled"
CHANNEL_REFUND_RECORDED = "channel.refund.recorded"
CHANNEL_ORDER_UNMAPPABLE = "channel.order.unmappable"
CHANNEL_RETURN_REQUESTED = "channel.return.requested"


class ChannelDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """Where an event came from: enough to find the recorded payload and to order deliveries."""

    delivery_id: int
    """Our id of the recorded delivery (its raw payload is kept by the intake)."""
    channel: str
    source: str
    """The shop, e.g. ``demo.myshopify.com``."""
    topic: str
    webhook_id: str
    event_id: str | None = None
    triggered_at: Timestamp | None = None


class ChannelOrderEvent(msgspec.Struct, frozen=True, kw_only=True):
    delivery: ChannelDelivery
    order: SalesOrder
    cancelled_at: Timestamp | None = None


class ChannelRefundEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A refund the channel made (``refunds/create``); the return process reconciles it."""

    delivery: ChannelDelivery
    tenant: TenantId
    order_external_id: str
    refund_external_id: str
    lines: dict[str, Annotated[int, msgspec.Meta(ge=0)]]
    """Channel line id → units refunded."""
    created_at: Timestamp | None = None
    note: str | None = None
    """The refund's note; a refund Omnigate made names its RMA here, so its echo is recognised."""


class ChannelReturnLine(msgspec.Struct, frozen=True, kw_only=True):
    line_id: str
    """The channel's order line id (for Shopify, the line item id)."""
    quantity: Annotated[int, msgspec.Meta(gt=0)]
    reason: ReturnReason = "unknown"
    note: str | None = None


class ChannelReturnRequestEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A return the customer asked for in the channel (Shopify ``returns/request``)."""

    delivery: ChannelDelivery
    tenant: TenantId
    order_external_id: str
    return_external_id: str
    lines: Annotated[list[ChannelReturnLine], msgspec.Meta(min_length=1)]
    requested_at: Timestamp | None = None


class FieldProblem(msgspec.Struct, frozen=True):
    field: str
    reason: str


class UnmappableChannelOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A delivery we recorded but could not turn into an order: a business exception, with why."""

    delivery: ChannelDelivery
    external_id: str | None
    problems: list[FieldProblem]
