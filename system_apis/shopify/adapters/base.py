"""What a Shopify Admin backend does, in Shopify's terms but no wire format: ids are Shopify GIDs.

Two error families cross this boundary and nothing else (no httpx or GraphQL errors): a
:class:`ShopifyUserError` is a business outcome (Shopify refused the mutation and said which field),
a :class:`ShopifyUnavailable` is technical (network, 5xx, throttled past our patience, bad credentials).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal, Protocol

import msgspec

__all__ = [
    "CancelRequest",
    "CancelResult",
    "FulfillmentLineItem",
    "FulfillmentRequest",
    "FulfillmentResult",
    "QuantityChange",
    "RefundLineItem",
    "RefundRequest",
    "RefundResult",
    "RefundTransaction",
    "SetQuantitiesRequest",
    "SetQuantitiesResult",
    "ShopifyAdmin",
    "ShopifyUnavailable",
    "ShopifyUserError",
    "TrackingInfo",
    "UserError",
    "Variables",
]

Variables = dict[str, Any]
"""The GraphQL variables a mutation was (or would have been) sent with: what the mutation log shows."""


class UserError(msgspec.Struct, frozen=True):
    """One entry of a mutation's ``userErrors``: ``field`` is the path into the input (or ``None``)."""

    message: str
    field: list[str] | None = None
    code: str | None = None


class ShopifyUserError(Exception):
    """Shopify refused the mutation (``userErrors``): the caller must change the request."""

    def __init__(self, operation: str, errors: list[UserError]) -> None:
        self.operation = operation
        self.errors = errors
        super().__init__(f"{operation}: " + "; ".join(e.message for e in errors))


class ShopifyUnavailable(Exception):
    """Shopify could not be reached or did not do the work; retrying later may succeed."""

    def __init__(self, detail: str, *, code: str = "shopify_unavailable", retry_after: float | None = None) -> None:
        self.code = code
        self.retry_after = retry_after
        super().__init__(detail)


class QuantityChange(msgspec.Struct, frozen=True, kw_only=True):
    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None
    """The quantity we believe Shopify holds (compare-and-set); ``None`` opts out of the check."""


class SetQuantitiesRequest(msgspec.Struct, frozen=True, kw_only=True):
    name: Literal["available", "on_hand"]
    reason: str
    changes: list[QuantityChange]
    idempotency_key: str
    reference_document_uri: str | None = None


class SetQuantitiesResult(msgspec.Struct, frozen=True, kw_only=True):
    adjustment_group_id: str | None


class TrackingInfo(msgspec.Struct, frozen=True, kw_only=True):
    company: str | None = None
    numbers: list[str] = msgspec.field(default_factory=list)
    url: str | None = None


class FulfillmentLineItem(msgspec.Struct, frozen=True, kw_only=True):
    line_item_id: str
    """The order's line item (``gid://shopify/LineItem/...``); the backend finds its fulfillment order line."""
    quantity: int


class FulfillmentRequest(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    lines: list[FulfillmentLineItem]
    tracking: TrackingInfo | None
    notify_customer: bool
    message: str | None = None


class FulfillmentResult(msgspec.Struct, frozen=True, kw_only=True):
    fulfillment_id: str
    status: str
    fulfillment_order_ids: list[str]


class RefundLineItem(msgspec.Struct, frozen=True, kw_only=True):
    line_item_id: str
    quantity: int
    restock_type: Literal["NO_RESTOCK", "CANCEL", "RETURN"]
    location_id: str | None = None


class RefundTransaction(msgspec.Struct, frozen=True, kw_only=True):
    amount: Decimal
    gateway: str
    parent_id: str | None = None


class RefundRequest(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    currency: str
    lines: list[RefundLineItem]
    shipping_amount: Decimal | None
    transaction: RefundTransaction | None
    note: str | None
    notify: bool
    idempotency_key: str


class RefundResult(msgspec.Struct, frozen=True, kw_only=True):
    refund_id: str
    total: Decimal | None
    currency: str | None


class CancelRequest(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    reason: Literal["CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "OTHER", "STAFF"]
    refund: bool
    restock: bool
    notify_customer: bool
    staff_note: str | None


class CancelResult(msgspec.Struct, frozen=True, kw_only=True):
    job_id: str | None
    done: bool


class RiskFact(msgspec.Struct, frozen=True, kw_only=True):
    description: str
    sentiment: Literal["NEGATIVE", "NEUTRAL", "POSITIVE"]


class RiskAssessment(msgspec.Struct, frozen=True, kw_only=True):
    risk_level: Literal["HIGH", "MEDIUM", "LOW", "NONE", "PENDING"]
    provider: str | None
    """The app that assessed the order; ``None`` for Shopify's own fraud analysis."""
    facts: list[RiskFact]


class OrderRiskResult(msgspec.Struct, frozen=True, kw_only=True):
    """Shopify's ``Order.risk``: its recommendation and the assessments behind it (API 2024-04 and later)."""

    recommendation: Literal["ACCEPT", "CANCEL", "INVESTIGATE", "NONE"]
    assessments: list[RiskAssessment]


class ShopifyAdmin(Protocol):
    """One shop's Admin API. Each call returns the variables it sent (or would have) and Shopify's answer."""

    name: str
    """``reference`` or ``graphql``: recorded with every mutation."""

    async def set_quantities(self, request: SetQuantitiesRequest) -> tuple[Variables, SetQuantitiesResult]: ...

    async def create_fulfillment(self, request: FulfillmentRequest) -> tuple[Variables, FulfillmentResult]: ...

    async def create_refund(self, request: RefundRequest) -> tuple[Variables, RefundResult]: ...

    async def cancel_order(self, request: CancelRequest) -> tuple[Variables, CancelResult]: ...

    async def order_risk(self, order_id: str) -> OrderRiskResult | None:
        """The order's fraud risk summary; ``None`` when the shop has no such order."""
