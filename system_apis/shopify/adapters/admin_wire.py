"""Shopify GraphQL Admin API 2026-07 documents and variables: the one place their shapes are written.

Both backends build variables here, so the mutation log shows exactly what was (graphql) or would have
been (reference) sent. ``inventorySetQuantities`` and ``refundCreate`` carry the ``@idempotent`` directive
(mandatory since 2026-04); ``inventorySetQuantities`` takes ``changeFromQuantity`` per quantity (``null``
opts out of the compare-and-set check) since 2026-04 replaced ``compareQuantity``/``ignoreCompareQuantity``.
"""

from __future__ import annotations

from typing import Any

from system_apis.shopify.adapters.base import (
    CancelRequest,
    FulfillmentRequest,
    RefundRequest,
    SetQuantitiesRequest,
    Variables,
)

__all__ = [
    "FULFILLMENT_CREATE",
    "FULFILLMENT_ORDERS",
    "INVENTORY_SET_QUANTITIES",
    "ORDER_CANCEL",
    "ORDER_RISK",
    "REFUND_CREATE",
    "cancel_variables",
    "fulfillment_variables",
    "gid",
    "legacy_id",
    "refund_variables",
    "set_quantities_variables",
]

INVENTORY_SET_QUANTITIES = """
mutation InventorySet($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) {
    inventoryAdjustmentGroup { id reason changes { name delta } }
    userErrors { code field message }
  }
}
"""

FULFILLMENT_ORDERS = """
query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    id
    cancelledAt
    fulfillmentOrders(first: 5) {
      nodes {
        id
        status
        assignedLocation { location { id } }
        lineItems(first: 100) { nodes { id remainingQuantity lineItem { id sku } } }
      }
    }
  }
}
"""

ORDER_RISK = """
query OrderRisk($id: ID!) {
  order(id: $id) {
    id
    risk {
      recommendation
      assessments { riskLevel provider { title } facts { description sentiment } }
    }
  }
}
"""

FULFILLMENT_CREATE = """
mutation FulfillmentCreate($fulfillment: FulfillmentInput!, $message: String) {
  fulfillmentCreate(fulfillment: $fulfillment, message: $message) {
    fulfillment { id status trackingInfo(first: 10) { company number url } }
    userErrors { field message }
  }
}
"""

REFUND_CREATE = """
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {
    refund { id totalRefundedSet { shopMoney { amount currencyCode } } }
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation OrderCancel($orderId: ID!, $notifyCustomer: Boolean, $refundMethod: OrderCancelRefundMethodInput!,
    $restock: Boolean!, $reason: OrderCancelReason!, $staffNote: String) {
  orderCancel(orderId: $orderId, notifyCustomer: $notifyCustomer, refundMethod: $refundMethod,
      restock: $restock, reason: $reason, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { code field message }
  }
}
"""


def gid(kind: str, value: str) -> str:
    """``gid://shopify/{kind}/{id}`` from a numeric id or a GID (returned unchanged)."""
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


def legacy_id(value: str) -> str:
    """The numeric id at the end of a GID."""
    return value.rsplit("/", 1)[-1]


def set_quantities_variables(request: SetQuantitiesRequest) -> Variables:
    payload: dict[str, Any] = {
        "name": request.name,
        "reason": request.reason,
        "quantities": [
            {
                "inventoryItemId": change.inventory_item_id,
                "locationId": change.location_id,
                "quantity": change.quantity,
                "changeFromQuantity": change.change_from,
            }
            for change in request.changes
        ],
    }
    if request.reference_document_uri:
        payload["referenceDocumentUri"] = request.reference_document_uri
    return {"input": payload, "idempotencyKey": request.idempotency_key}


def fulfillment_variables(
    request: FulfillmentRequest, by_fulfillment_order: dict[str, list[tuple[str, int]]]
) -> Variables:
    """``by_fulfillment_order``: fulfillment order id → (fulfillment order line item id, quantity)."""
    fulfillment: dict[str, Any] = {
        "notifyCustomer": request.notify_customer,
        "lineItemsByFulfillmentOrder": [
            {
                "fulfillmentOrderId": order_id,
                "fulfillmentOrderLineItems": [{"id": item, "quantity": qty} for item, qty in items],
            }
            for order_id, items in by_fulfillment_order.items()
        ],
    }
    if request.tracking is not None:
        tracking: dict[str, Any] = {}
        if request.tracking.company:
            tracking["company"] = request.tracking.company
        if len(request.tracking.numbers) == 1:
            tracking["number"] = request.tracking.numbers[0]
        elif request.tracking.numbers:
            tracking["numbers"] = list(request.tracking.numbers)
        if request.tracking.url:
            tracking["url"] = request.tracking.url
        fulfillment["trackingInfo"] = tracking
    return {"fulfillment": fulfillment, "message": request.message}


def refund_variables(request: RefundRequest) -> Variables:
    payload: dict[str, Any] = {
        "orderId": request.order_id,
        "notify": request.notify,
        "currency": request.currency,
        "refundLineItems": [
            {
                "lineItemId": line.line_item_id,
                "quantity": line.quantity,
                "restockType": line.restock_type,
                **({"locationId": line.location_id} if line.location_id else {}),
            }
            for line in request.lines
        ],
    }
    if request.note:
        payload["note"] = request.note
    if request.shipping_amount is not None:
        payload["shipping"] = {"amount": str(request.shipping_amount)}
    if request.transaction is not None:
        transaction: dict[str, Any] = {
            "orderId": request.order_id,
            "kind": "REFUND",
            "gateway": request.transaction.gateway,
            "amount": str(request.transaction.amount),
        }
        if request.transaction.parent_id:
            transaction["parentId"] = request.transaction.parent_id
        payload["transactions"] = [transaction]
    return {"input": payload, "idempotencyKey": request.idempotency_key}


def cancel_variables(request: CancelRequest) -> Variables:
    return {
        "orderId": request.order_id,
        "notifyCustomer": request.notify_customer,
        "refundMethod": {"originalPaymentMethodsRefund": request.refund},
        "restock": request.restock,
        "reason": request.reason,
        "staffNote": request.staff_note,
    }
