"""Shopify's ``userErrors[].field`` paths (into the mutation's input) as the fields of our request."""

from __future__ import annotations

__all__ = ["our_field"]

_INVENTORY = {
    "inventoryItemId": "sku",
    "locationId": "location",
    "quantity": "quantity",
    "changeFromQuantity": "expected_quantity",
}
_REFUND_LINE = {"lineItemId": "line_id", "quantity": "quantity", "restockType": "restock", "locationId": "location"}
_TOP = {
    "orderId": "order_id",
    "order_id": "order_id",
    "reason": "reason",
    "staffNote": "staff_note",
    "notifyCustomer": "notify_customer",
}


def our_field(mutation: str, path: list[str] | None) -> str:
    """``["input", "quantities", "0", "changeFromQuantity"]`` → ``quantities[0].expected_quantity``."""
    if not path:
        return "$"
    parts = list(path)
    if parts[0] in ("input", "fulfillment"):
        parts = parts[1:]
    if not parts:
        return "$"
    head = parts[0]
    if mutation == "inventorySetQuantities" and head == "quantities" and len(parts) >= 2:
        leaf = _INVENTORY.get(parts[2], parts[2]) if len(parts) > 2 else ""
        return f"quantities[{parts[1]}]" + (f".{leaf}" if leaf else "")
    if mutation == "refundCreate" and head == "refundLineItems" and len(parts) >= 2:
        leaf = _REFUND_LINE.get(parts[2], parts[2]) if len(parts) > 2 else ""
        return f"lines[{parts[1]}]" + (f".{leaf}" if leaf else "")
    if mutation == "refundCreate" and head == "transactions":
        return "amount"
    if mutation == "fulfillmentCreate" and head == "trackingInfo":
        return "tracking" + (f".{parts[1]}" if len(parts) > 1 else "")
    if head == "lines" and len(parts) >= 2:
        return f"lines[{parts[1]}]" + (f".{parts[2]}" if len(parts) > 2 else "")
    return _TOP.get(head, ".".join(parts))
