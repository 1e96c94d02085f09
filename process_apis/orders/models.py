"""The order process's own tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.inbox import InboxMixin
from service_kit.events.outbox import OutboxMixin

__all__ = [
    "BusinessException",
    "LineCancellation",
    "OrderLineRecord",
    "OrderRecord",
    "OrderShipment",
    "OrderStep",
    "OrdersBase",
    "OrdersInbox",
    "OrdersOutbox",
]


class OrdersBase(DeclarativeBase):
    metadata = service_metadata()


class BusinessException(OrdersBase):
    """One item on the worklist: something a person must fix before the order can go on.

    The same failure seen again (same tenant, kind, subject) updates this item instead of adding one.
    """

    __tablename__ = "orders_business_exception"
    __table_args__ = (UniqueConstraint("tenant", "dedupe_key"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    dedupe_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(50))
    system: Mapped[str] = mapped_column(String(30))
    order_id: Mapped[str | None] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the failing step saw, with personal data redacted."""
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[str | None] = mapped_column(String(200))
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    trace_id: Mapped[str | None] = mapped_column(String(32))


class OrdersInbox(InboxMixin, OrdersBase):
    __tablename__ = "orders_inbox"


class OrdersOutbox(OutboxMixin, OrdersBase):
    __tablename__ = "orders_outbox"


class OrderRecord(OrdersBase):
    """One order in the saga: where it stands, what the systems answered, and when to try its next step."""

    __tablename__ = "orders_order"
    __table_args__ = (
        UniqueConstraint("tenant", "order_id"),
        UniqueConstraint("tenant", "channel", "external_id"),
        Index("ix_orders_order_due", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    order_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    """Increases with every transition: the order's own sequence number."""
    channel_updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    """The channel's ``updated_at`` of the version we hold; an older update never overwrites it."""
    sales_order: Mapped[dict[str, Any]] = mapped_column(JSON)
    erp_order_ref: Mapped[str | None] = mapped_column(String(64))
    tax: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The tax engine's calculation the ERP order was booked with."""
    unreleased: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Units held per location and not yet released to it: ``{location: [[line_id, sku, units], ...]}``."""
    fulfillment_requests: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The WMS fulfillment request per location the order was released to."""
    hold_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    """Failed attempts of the current step (reset when it succeeds)."""
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When the worker should try the next step; ``None`` while it waits for an event or a person."""
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """A worker holds the order until then; a crashed worker's lease simply runs out."""
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancel_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """Cancelled, and the holds and warehouse releases made for it not yet undone (the worker does that)."""
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    lines_cancel_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    """The channel cut lines after booking and the worker has not yet withdrawn them (see ``LineCancellation``)."""


class OrderLineRecord(OrdersBase):
    __tablename__ = "orders_order_line"
    __table_args__ = (UniqueConstraint("order_pk", "line_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"))
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    reserved: Mapped[int] = mapped_column(Integer)
    backordered: Mapped[int] = mapped_column(Integer)
    shipped: Mapped[int] = mapped_column(Integer)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    """Units the channel cut after booking and the worker withdrew from the warehouse and the holds;
    ``quantity`` is what is left to fulfil."""


class OrderStep(OrdersBase):
    """One entry of the order's timeline: a step tried, by which system, with what outcome."""

    __tablename__ = "orders_order_step"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    step: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    """``done``, ``retrying``, ``exception`` or ``ignored`` (a stale or duplicate event)."""
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    trace_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class OrderShipment(OrdersBase):
    """A shipment a location confirmed for an order, and how far its follow-up has got.

    The follow-up (consume the holds, post the shipment and its invoice to the ERP, tell the channel) runs
    in the saga worker; every call is keyed by the shipment id, so a re-run after a crash repeats none.
    """

    __tablename__ = "orders_shipment"
    __table_args__ = (UniqueConstraint("order_pk", "shipment_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    shipment_id: Mapped[str] = mapped_column(String(100))
    notice: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The canonical ``ShipmentNotice`` as the WMS announced it."""
    status: Mapped[str] = mapped_column(String(20))
    """``pending`` until its follow-up is done, then ``done``."""
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What each system answered: ERP invoice id, channel fulfillment id."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LineCancellation(OrdersBase):
    """Units the channel cut from an order's lines after it was booked, withdrawn by the worker between steps.

    The plan (which units come off which backorder, hold and warehouse release) is saved before any system is
    called, and every call is keyed by this row's id, so a re-run after a crash withdraws nothing twice.
    """

    __tablename__ = "orders_line_cancellation"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders_order.id", ondelete="CASCADE"), index=True)
    units: Mapped[dict[str, Any]] = mapped_column(JSON)
    """line_id → units to withdraw, as the channel's update asked."""
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Fixed before the first call: ``{"reserved": bool, "cuts": [[line_id, location_id or None, units]]}``
    (``None``: the units come off the backorder; ``reserved`` false: nothing was held yet, no call is made)."""
    status: Mapped[str] = mapped_column(String(20))
    """``pending``, ``done``, ``failed`` (a system refused; on the worklist) or ``superseded`` (the whole order
    was cancelled meanwhile)."""
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What was withdrawn and what a warehouse refused (already picked)."""
    topic: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
