"""The WMS reference backend's own tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.events.outbox import OutboxMixin
from service_kit.idempotency import IdempotencyMixin

__all__ = [
    "POSITION_STATES",
    "AdjustmentRecord",
    "FulfillmentLineRecord",
    "FulfillmentRequestRecord",
    "LocationRecord",
    "PartnerDeliveryRecord",
    "PartnerRecord",
    "PositionRecord",
    "ReturnReceiptRecord",
    "ShipmentRecord",
    "TransferRecord",
    "WmsBase",
    "WmsIdempotencyKey",
    "WmsOutbox",
]

POSITION_STATES = ("on_hand", "committed", "reserved", "damaged", "quality_control", "safety_stock", "in_transit")


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
    operator: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    """The 3PL partner that runs this node (its code), if any: only it may confirm shipments here."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PositionRecord(WmsBase):
    """Units of one SKU at one location, by state; ``version`` numbers its changes (the event sequence)."""

    __tablename__ = "wms_inventory_position"
    __table_args__ = (
        UniqueConstraint("tenant", "location_code", "sku"),
        *(CheckConstraint(f"{state} >= 0", name=f"{state}_not_negative") for state in POSITION_STATES),
    )

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


class WmsIdempotencyKey(IdempotencyMixin, WmsBase):
    __tablename__ = "wms_idempotency_key"


class AdjustmentRecord(WmsBase):
    """The stock ledger: one row per change of a position, never updated."""

    __tablename__ = "wms_adjustment"
    __table_args__ = (Index("ix_wms_adjustment_position", "tenant", "location_code", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    location_code: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(Integer)
    deltas: Mapped[dict[str, int]] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(String(100), index=True)
    note: Mapped[str | None] = mapped_column(String(500))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TransferRecord(WmsBase):
    __tablename__ = "wms_transfer"
    __table_args__ = (UniqueConstraint("tenant", "transfer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    transfer_id: Mapped[str] = mapped_column(String(64))
    from_location: Mapped[str] = mapped_column(String(64))
    to_location: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(String(100))
    shipped_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FulfillmentRequestRecord(WmsBase):
    """A warehouse release; ``version`` numbers its changes (the sequence of its events)."""

    __tablename__ = "wms_fulfillment_request"
    __table_args__ = (UniqueConstraint("tenant", "request_id"), Index("ix_wms_fulfillment_order", "tenant", "order_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    request_id: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str] = mapped_column(String(64))
    location_code: Mapped[str] = mapped_column(String(64))
    ship_to: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    picked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FulfillmentLineRecord(WmsBase):
    __tablename__ = "wms_fulfillment_line"
    __table_args__ = (
        UniqueConstraint("request_pk", "line_id"),
        CheckConstraint("shipped_quantity + cancelled_quantity <= quantity", name="not_over_fulfilled"),
        CheckConstraint("shipped_quantity >= 0 AND cancelled_quantity >= 0", name="not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_pk: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer)
    line_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    shipped_quantity: Mapped[int] = mapped_column(Integer)
    cancelled_quantity: Mapped[int] = mapped_column(Integer)


class ShipmentRecord(WmsBase):
    """A confirmed shipment of a fulfillment request, as its ``ShipmentNotice``."""

    __tablename__ = "wms_shipment"
    __table_args__ = (UniqueConstraint("tenant", "shipment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    shipment_id: Mapped[str] = mapped_column(String(100))
    request_pk: Mapped[int] = mapped_column(Integer, index=True)
    notice: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReturnReceiptRecord(WmsBase):
    __tablename__ = "wms_return_receipt"
    __table_args__ = (UniqueConstraint("tenant", "receipt_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    receipt_id: Mapped[str] = mapped_column(String(64))
    location_code: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    return_authorization_id: Mapped[str | None] = mapped_column(String(64))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PartnerRecord(WmsBase):
    """A 3PL partner that may deliver signed webhooks, for one tenant; two secrets while one is rotated."""

    __tablename__ = "wms_partner"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(255))
    secret: Mapped[str] = mapped_column(String(255))
    previous_secret: Mapped[str | None] = mapped_column(String(255))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PartnerDeliveryRecord(WmsBase):
    """Every verified webhook delivery, once per ``Omnigate-Delivery-Id``."""

    __tablename__ = "wms_partner_delivery"
    __table_args__ = (UniqueConstraint("partner", "delivery_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner: Mapped[str] = mapped_column(String(64))
    tenant: Mapped[str] = mapped_column(String(63))
    delivery_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(64))
    fulfillment_request_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    body: Mapped[bytes] = mapped_column(LargeBinary)
