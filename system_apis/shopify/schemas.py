"""Request and response bodies of ``/shopify/v1`` (the canonical model has no Shopify mutations)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from canonical import Money
from canonical.catalog import Sku

__all__ = [
    "AssessedRisk",
    "Backend",
    "CancelReason",
    "FulfillmentCreate",
    "FulfillmentCreated",
    "FulfillmentLine",
    "InventoryItemLink",
    "InventoryItemLinkWrite",
    "InventoryPublish",
    "InventoryPublished",
    "LocationCode",
    "LocationLink",
    "LocationLinkWrite",
    "MutationPage",
    "MutationView",
    "OrderCancel",
    "OrderCancelled",
    "OrderRisk",
    "PublishedQuantity",
    "QuantityLine",
    "RefundCreate",
    "RefundCreated",
    "RefundLine",
    "ShopConnection",
    "ShopConnectionWrite",
    "ShopifyId",
    "Tracking",
]

Backend = Literal["reference", "graphql"]
CancelReason = Literal["customer", "declined", "fraud", "inventory", "other", "staff"]
ShopifyId = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(gid://shopify/[A-Za-z]+/)?[0-9]{1,20}$",
        description="A Shopify id: numeric (`820982911946154508`) or a GID (`gid://shopify/Order/820982911946154508`)",
    ),
]
LOCATION_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,63}$"
LocationCode = Annotated[str, msgspec.Meta(pattern=LOCATION_PATTERN, description="Our location code, e.g. DC-EAST")]
Units = Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)]
PositiveUnits = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


class ShopConnectionWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The tenant's shop and how to reach it; the access token is stored and never shown again."""

    shop_domain: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}\.myshopify\.com$")]
    access_token: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    backend: Backend = "reference"
    admin_url: Annotated[str, msgspec.Meta(pattern=r"^https?://[^\s/]+(:[0-9]{1,5})?/?$")] | None = None
    """Base URL of the Admin API when it is not ``https://{shop_domain}`` (e.g. a local emulator)."""


class ShopConnection(msgspec.Struct, kw_only=True):
    tenant: str
    shop_domain: str
    backend: Backend
    admin_url: str | None
    api_version: str
    graphql_endpoint: str


class InventoryItemLinkWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    inventory_item_id: ShopifyId


class InventoryItemLink(msgspec.Struct, kw_only=True):
    """A SKU and the Shopify inventory item (GID) it is."""

    sku: str
    inventory_item_id: str


class LocationLinkWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    location_id: ShopifyId


class LocationLink(msgspec.Struct, kw_only=True):
    """One of our location codes and the Shopify location (GID) it is."""

    location: str
    location_id: str


class QuantityLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    sku: Sku
    location: LocationCode
    quantity: Units
    expected_quantity: Units | None = None
    """What we believe Shopify holds now (compare-and-set); omitted or ``null`` overwrites unconditionally."""


class InventoryPublish(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Absolute quantities per SKU and location, set in Shopify with ``inventorySetQuantities``."""

    quantities: Annotated[list[QuantityLine], msgspec.Meta(min_length=1, max_length=250)]
    name: Literal["available", "on_hand"] = "available"
    reason: Literal["correction", "cycle_count_available", "received", "restock", "other"] = "correction"
    reference_document_uri: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class PublishedQuantity(msgspec.Struct, kw_only=True):
    sku: str
    location: str
    inventory_item_id: str
    location_id: str
    quantity: int


class InventoryPublished(msgspec.Struct, kw_only=True):
    mutation_id: int
    backend: Backend
    adjustment_group_id: str | None
    quantities: list[PublishedQuantity]


class FulfillmentLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: ShopifyId
    """The Shopify line item (the canonical ``OrderLine.line_id`` of a Shopify order)."""
    quantity: PositiveUnits


class Tracking(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    company: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    """Carrier name as Shopify knows it (``UPS``, ``FedEx``, ``USPS``, ``DHL Express``...)."""
    numbers: Annotated[list[ShortText], msgspec.Meta(max_length=20)] = msgspec.field(default_factory=list)
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://\S+$", max_length=2000)] | None = None


class FulfillmentCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: ShopifyId
    lines: Annotated[list[FulfillmentLine], msgspec.Meta(min_length=1, max_length=250)]
    tracking: Tracking | None = None
    notify_customer: bool = False
    message: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class FulfillmentCreated(msgspec.Struct, kw_only=True):
    mutation_id: int
    backend: Backend
    order_id: str
    fulfillment_id: str
    status: str
    fulfillment_order_ids: list[str]
    tracking: Tracking | None


class RefundLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    line_id: ShopifyId
    quantity: PositiveUnits
    restock: Literal["no_restock", "cancel", "return"] = "no_restock"
    location: LocationCode | None = None
    """Where restocked units go (our location code); required when ``restock`` is not ``no_restock``."""


class RefundCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: ShopifyId
    currency: Annotated[str, msgspec.Meta(pattern="^[A-Z]{3}$")]
    lines: Annotated[list[RefundLine], msgspec.Meta(max_length=250)] = msgspec.field(default_factory=list)
    shipping: Money | None = None
    """Shipping refunded."""
    amount: Money | None = None
    """Money returned to the customer (a ``REFUND`` transaction); needs ``gateway``."""
    gateway: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    parent_transaction_id: ShopifyId | None = None
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    notify_customer: bool = False


class RefundCreated(msgspec.Struct, kw_only=True):
    mutation_id: int
    backend: Backend
    order_id: str
    refund_id: str
    total: Money | None


class OrderCancel(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    reason: CancelReason = "other"
    refund: bool = True
    """Refund to the original payment methods."""
    restock: bool = True
    notify_customer: bool = False
    staff_note: Annotated[str, msgspec.Meta(max_length=255)] | None = None


class OrderCancelled(msgspec.Struct, kw_only=True):
    mutation_id: int
    backend: Backend
    order_id: str
    job_id: str | None
    done: bool


class AssessedRisk(msgspec.Struct, kw_only=True):
    """One fraud assessment of the order: Shopify's own (``provider`` null) or an app's."""

    risk_level: Literal["high", "medium", "low", "none", "pending"]
    provider: str | None
    facts: list[str]
    """What the assessment found, as the merchant sees it (negative facts first)."""


class OrderRisk(msgspec.Struct, kw_only=True):
    """Shopify's fraud verdict on an order: ``cancel`` (high risk), ``investigate`` (medium), ``accept`` or
    ``none`` (no assessment, or still ``pending``)."""

    order_id: str
    backend: Backend
    recommendation: Literal["accept", "cancel", "investigate", "none"]
    assessments: list[AssessedRisk]


class MutationView(msgspec.Struct, kw_only=True):
    """A mutation as sent (``graphql``) or as it would have been sent (``reference``)."""

    id: int
    mutation: str
    backend: Backend
    shop_domain: str
    order_id: str | None
    variables: dict[str, Any]
    result: dict[str, Any]
    idempotency_key: str | None
    created_at: datetime


class MutationPage(msgspec.Struct, kw_only=True):
    items: list[MutationView]
    next_cursor: str | None
