"""The WMS reference backend's own tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import service_metadata
from service_kit.events.outbox import OutboxMixin

__all__ = ["LocationRecord", "PositionRecord", "WmsBase", "WmsOutbox"]


class WmsBase(DeclarativeBase):
    metadata = service_metadata()


class LocationRecord(WmsBase):
    __tablename__ = "wms_location"
    __table_args__ = (UniqueConstraint("tenant", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(30))
    address: Mapped[dict[str, str | None]] = mapped_column(JSON)
    ships_to_regions: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PositionRecord(WmsBase):
    """Units of one SKU at one location, by state; ``version`` numbers its changes (the event sequence)."""

    __tablename__ = "wms_inventory_position"
    __table_args__ = (UniqueConstraint("tenant", "location_code", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    location_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64), index=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    committed: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer)
    damaged: Mapped[int] = mapped_column(Integer)
    quality_control: Mapped[int] = mapped_column(Integer)
    safety_stock: Mapped[int] = mapped_column(Integer)
    in_transit: Mapped[int] = mapped_column(Integer)
    last_reason: Mapped[str | None] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class WmsOutbox(OutboxMixin, WmsBase):
    __tablename__ = "wms_outbox"
