"""The scopes Omnigate grants: ``<api>:<action>``. A client is allowed a subset; each route needs some."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["SCOPES", "parse_scopes", "unknown_scopes"]

SCOPES: dict[str, str] = {
    "storefront:read": "Read shopper-facing availability and order status.",
    "orders:read": "Read orders and their timelines.",
    "orders:write": "Submit and change orders.",
    "returns:read": "Read returns.",
    "returns:write": "Start and update returns.",
    "inventory:read": "Read inventory availability and reservations.",
    "inventory:write": "Reserve and release stock.",
    "portal:read": "Service portal: read customers, orders and returns.",
    "portal:write": "Service portal: act on orders and returns.",
    "erp:read": "Read the ERP system API (items, customers, orders).",
    "erp:write": "Change ERP records.",
    "wms:read": "Read locations and inventory positions.",
    "wms:write": "Post counts, adjustments and shipment confirmations (3PL partners).",
    "tax:read": "Quote tax; read tax jurisdictions, exemptions and transactions.",
    "tax:write": "Commit and refund tax transactions; maintain jurisdictions and exemptions.",
    "shopify:write": "Call the Shopify Admin system API.",
    "shopify:read": "Read the Shopify Admin system API (shop connection, identifier links, mutation log).",
    "admin:clients": "Onboard and manage OAuth clients; read the audit log.",
    "admin:versions": "Manage API version lifecycles.",
}


def parse_scopes(value: str | Iterable[str] | None) -> list[str]:
    """Scopes from a space-delimited string (RFC 6749 §3.3) or a list, de-duplicated, in order."""
    items = value.split() if isinstance(value, str) else list(value or ())
    return list(dict.fromkeys(item for item in items if item))


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    return sorted(set(scopes) - SCOPES.keys())
