"""The return process's own tables: policies, returns with their lines and timeline, and what was returned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.inbox import InboxMixin
from service_kit.events.outbox import OutboxMixin

__all__ = [
    "ReturnLineRecord",
    "ReturnPolicyRecord",
    "ReturnRecord",
    "ReturnStep",
    "ReturnedUnits",
    "ReturnsBase",
    "ReturnsInbox",
    "ReturnsOutbox",
]


class ReturnsBase(DeclarativeBase):
    metadata = service_metadata()


class ReturnsInbox(InboxMixin, ReturnsBase):
    __tablename__ = "returns_inbox"


class ReturnsOutbox(OutboxMixin, ReturnsBase):
    __tablename__ = "returns_outbox"


class ReturnPolicyRecord(ReturnsBase):
    """A tenant's return policy (one per tenant; a tenant without one gets the default policy)."""

    __tablename__ = "returns_policy"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The canonical ``ReturnPolicy``."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReturnRecord(ReturnsBase):
    """One return through its saga: where it stands, what the systems answered, and when to try its next step."""

    __tablename__ = "returns_return"
    __table_args__ = (
        UniqueConstraint("tenant", "return_id"),
        UniqueConstraint("tenant", "source", "source_reference"),
        Index("ix_returns_return_due", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    return_id: Mapped[str] = mapped_column(String(40))
    """The RMA number customers and agents quote (``RMA-...``)."""
    order_id: Mapped[str] = mapped_column(String(100), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    channel_order_id: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))
    """Where it was started: ``portal``, ``shopify`` or ``store``."""
    source_reference: Mapped[str] = mapped_column(String(100))
    """The starter's own id (Shopify return or refund id, agent's key): the same request never makes two returns."""
    state: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    receiving_location: Mapped[str | None] = mapped_column(String(64))
    refunded_in_channel: Mapped[str | None] = mapped_column(String(100))
    """The channel's refund id when the channel refunded first (a refund made in Shopify's admin)."""
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The policy in force when the return was requested: a later change never alters a return in flight."""
    refund: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The calculated ``RefundBreakdown``."""
    results: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What each system answered: tax refund id, ERP credit memos, channel refund id."""
    rejection: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    held_from: Mapped[str | None] = mapped_column(String(20))
    """The state a return on hold goes back to when a person retries it."""
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReturnLineRecord(ReturnsBase):
    __tablename__ = "returns_return_line"
    __table_args__ = (
        UniqueConstraint("return_pk", "line_id"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    return_pk: Mapped[int] = mapped_column(ForeignKey("returns_return.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))
    received: Mapped[int] = mapped_column(Integer, default=0)
    resellable: Mapped[int] = mapped_column(Integer, default=0)
    damaged: Mapped[int] = mapped_column(Integer, default=0)


class ReturnedUnits(ReturnsBase):
    """Units of an order line promised back by open and finished returns; the row is locked while a return is
    authorized, so concurrent requests can never together return more than shipped."""

    __tablename__ = "returns_returned_units"
    __table_args__ = (
        UniqueConstraint("tenant", "order_id", "line_id"),
        CheckConstraint("units >= 0", name="units_not_negative"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    order_id: Mapped[str] = mapped_column(String(100))
    line_id: Mapped[str] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(Integer)


class ReturnStep(ReturnsBase):
    """One entry of the return's timeline."""

    __tablename__ = "returns_return_step"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    return_pk: Mapped[int] = mapped_column(ForeignKey("returns_return.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    step: Mapped[str] = mapped_column(String(40))
    system: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(Integer)
    trace_id: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
