"""The Shopify Admin system API's own tables: prefix ``shopify_admin_`` (the intake's are ``shopify_intake_``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from service_kit.database import UtcDateTime, service_metadata
from service_kit.idempotency import IdempotencyMixin

__all__ = [
    "IdempotencyKeyRecord",
    "InventoryItemLinkRecord",
    "LocationLinkRecord",
    "MutationRecord",
    "ReferenceLevelRecord",
    "ReferenceObjectRecord",
    "ReferenceOrderRecord",
    "ShopConnectionRecord",
    "ShopifyAdminBase",
]

_ID = BigInteger().with_variant(Integer, "sqlite")


class ShopifyAdminBase(DeclarativeBase):
    metadata = service_metadata()


class ShopConnectionRecord(ShopifyAdminBase):
    """The tenant's shop: where its Admin API is, the app's access token for it, and which backend to use."""

    __tablename__ = "shopify_admin_shop"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    shop_domain: Mapped[str] = mapped_column(String(255))
    access_token: Mapped[str] = mapped_column(String(255))
    backend: Mapped[str] = mapped_column(String(20))
    """``reference`` (mutations recorded here, nothing sent) or ``graphql`` (sent to the shop)."""
    admin_url: Mapped[str | None] = mapped_column(String(255))
    """Base URL of the Admin API when it is not ``https://{shop_domain}`` (an emulator)."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InventoryItemLinkRecord(ShopifyAdminBase):
    """Which Shopify inventory item a SKU is."""

    __tablename__ = "shopify_admin_inventory_item"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    inventory_item_id: Mapped[str] = mapped_column(String(100))


class LocationLinkRecord(ShopifyAdminBase):
    """Which Shopify location one of our location codes is."""

    __tablename__ = "shopify_admin_location"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(100))


class MutationRecord(ShopifyAdminBase):
    """Every mutation sent (graphql) or recorded (reference): the log a user reads to see what went out."""

    __tablename__ = "shopify_admin_mutation"
    __table_args__ = (Index("ix_shopify_admin_mutation_tenant_id", "tenant", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    shop_domain: Mapped[str] = mapped_column(String(255))
    backend: Mapped[str] = mapped_column(String(20))
    mutation: Mapped[str] = mapped_column(String(50))
    order_id: Mapped[str | None] = mapped_column(String(100))
    variables: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyKeyRecord(IdempotencyMixin, ShopifyAdminBase):
    __tablename__ = "shopify_admin_idempotency_key"


class ReferenceLevelRecord(ShopifyAdminBase):
    """Reference backend: the quantity the shop would hold per inventory item and location."""

    __tablename__ = "shopify_admin_reference_level"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    inventory_item_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    location_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


class ReferenceOrderRecord(ShopifyAdminBase):
    """Reference backend: what the shop would know of an order we acted on (cancelled, units fulfilled)."""

    __tablename__ = "shopify_admin_reference_order"

    tenant: Mapped[str] = mapped_column(String(63), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fulfilled: Mapped[dict[str, int]] = mapped_column(JSON)
    """Units fulfilled per line item id."""


class ReferenceObjectRecord(ShopifyAdminBase):
    """Reference backend: numbers the objects the shop would have created (fulfillments, refunds, jobs)."""

    __tablename__ = "shopify_admin_reference_object"

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(30))
    order_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
