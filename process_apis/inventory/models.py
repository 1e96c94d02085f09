"""The inventory process's own tables: projections of WMS and ERP events, and its reservations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import service_metadata
from service_kit.events.inbox import InboxMixin
from service_kit.events.outbox import OutboxMixin
from service_kit.idempotency import IdempotencyMixin

__all__ = [
    "AvailabilitySequence",
    "Backorder",
    "CatalogEntry",
    "ChannelBuffer",
    "InventoryBase",
    "InventoryIdempotency",
    "InventoryInbox",
    "InventoryOutbox",
    "Reservation",
    "SourcingRule",
    "StockPosition",
]


class InventoryBase(DeclarativeBase):
    metadata = service_metadata()


class StockPosition(InventoryBase):
    """The WMS position of a SKU at a location as last announced; ``source_sequence`` drops stale events."""

    __tablename__ = "inventory_stock_position"
    __table_args__ = (UniqueConstraint("tenant", "sku", "location_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    sku: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[str] = mapped_column(String(64))
    on_hand: Mapped[int] = mapped_column(Integer)
    committed: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    damaged: Mapped[int] = mapped_column(Integer)
    quality_control: Mapped[int] = mapped_column(Integer)
    safety_stock: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    source_sequence: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CatalogEntry(InventoryBase):
    """Which SKUs exist and are sellable, as the ERP item master last announced."""

    __tablename__ = "inventory_catalog_entry"
    __table_args__ = (UniqueConstraint("tenant", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    source_sequence: Mapped[int] = mapped_column(Integer)


class Reservation(InventoryBase):
    """Units of one order line held at one location for the order-to-fulfillment process.

    ``open`` holds are unknown to the WMS and lower what is sellable; once the units are released to the
    location the WMS commits them, and a ``released`` hold counts only where the WMS has not reported the
    commitment yet. Shipments consume a hold (``shipped`` grows, ``quantity`` shrinks) until it is ``closed``.
    """

    __tablename__ = "inventory_reservation"
    __table_args__ = (
        UniqueConstraint("tenant", "order_id", "line_id", "location_id"),
        Index("ix_inventory_reservation_open", "tenant", "sku", "location_id", "status"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("shipped >= 0", name="shipped_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    order_id: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    sku: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    """Units still held (reserved, not yet shipped or cancelled)."""
    shipped: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    """``open``, ``released`` (handed to the WMS) or ``closed`` (shipped or cancelled)."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Backorder(InventoryBase):
    """Units of an order line no location could reserve."""

    __tablename__ = "inventory_backorder"
    __table_args__ = (UniqueConstraint("tenant", "order_id", "line_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    order_id: Mapped[str] = mapped_column(String(64))
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    """``open``, ``filled`` (stock came in and is held) or ``cancelled``; ``quantity`` is what is still missing."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SourcingRule(InventoryBase):
    """A tenant's routing policy; without a row the defaults of ``SourcingPolicy`` apply."""

    __tablename__ = "inventory_sourcing_rule"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    ship_from_store: Mapped[bool] = mapped_column(Boolean)


class ChannelBuffer(InventoryBase):
    """Units of a SKU a sales channel may not sell (``sku`` ``*``: every SKU), kept for other channels."""

    __tablename__ = "inventory_channel_buffer"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    units: Mapped[int] = mapped_column(Integer)


class AvailabilitySequence(InventoryBase):
    """The sequence of a SKU's last ``inventory.availability.changed`` event, so consumers drop stale ones."""

    __tablename__ = "inventory_availability_sequence"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    sequence: Mapped[int] = mapped_column(Integer)


class InventoryOutbox(OutboxMixin, InventoryBase):
    __tablename__ = "inventory_outbox"


class InventoryIdempotency(IdempotencyMixin, InventoryBase):
    __tablename__ = "inventory_idempotency"


class InventoryInbox(InboxMixin, InventoryBase):
    __tablename__ = "inventory_inbox"
