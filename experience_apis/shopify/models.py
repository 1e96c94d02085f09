"""The Shopify intake's own tables: the shops it accepts webhooks from, and every delivery as received."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.outbox import OutboxMixin

__all__ = ["DeliveryRecord", "IntakeBase", "IntakeOutbox", "ShopRecord"]


class IntakeBase(DeclarativeBase):
    metadata = service_metadata()


class ShopRecord(IntakeBase):
    """A shop whose webhooks we accept, for which tenant, signed with which app secret(s)."""

    __tablename__ = "shopify_intake_shop"

    shop_domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    secret: Mapped[str] = mapped_column(String(255))
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    """Still accepted until ``previous_secret_expires_at``: Shopify signs with the old secret for a while."""
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DeliveryRecord(IntakeBase):
    """One webhook delivery exactly as it arrived (raw bytes), and what became of it."""

    __tablename__ = "shopify_intake_delivery"
    __table_args__ = (
        UniqueConstraint("shop_domain", "webhook_id"),
        Index("ix_shopify_intake_delivery_resource", "tenant", "topic", "resource_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    shop_domain: Mapped[str] = mapped_column(String(255))
    webhook_id: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str | None] = mapped_column(String(255))
    triggered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    api_version: Mapped[str | None] = mapped_column(String(20))
    resource_id: Mapped[str | None] = mapped_column(String(64))
    resource_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20))
    """``accepted`` (announced), ``duplicate_event``, ``stale``, ``unmappable`` or ``ignored``."""
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class IntakeOutbox(OutboxMixin, IntakeBase):
    __tablename__ = "shopify_intake_outbox"
