"""The inventory process's own tables: projections of WMS and ERP events, and its reservations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import service_metadata
from service_kit.events.inbox import InboxMixin

__all__ = ["CatalogEntry", "InventoryBase", "InventoryInbox", "Reservation", "StockPosition"]


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
    """Units held for an order at a location, not yet known to the WMS as committed."""

    __tablename__ = "inventory_reservation"
    __table_args__ = (
        UniqueConstraint("tenant", "reservation_id"),
        Index("ix_inventory_reservation_open", "tenant", "sku", "location_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    reservation_id: Mapped[str] = mapped_column(String(64))
    order_ref: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    """``open`` holds stock; ``released`` and ``consumed`` no longer do."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InventoryInbox(InboxMixin, InventoryBase):
    __tablename__ = "inventory_inbox"
