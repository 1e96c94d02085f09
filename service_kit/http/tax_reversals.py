"""Reversing tax an order committed, as both processes that take units back need it: the order process when
the channel cuts lines after booking, the returns process when units come back. Both reverse against the one
transaction the booking committed, with their own key, so a retry reverses nothing twice."""

from __future__ import annotations

from typing import Any

import msgspec

from service_kit.http.paths import resource_path
from service_kit.http.system_calls import BusinessFailure, SystemCalls, decode

__all__ = ["reverse_committed_tax"]


class _Transaction(msgspec.Struct):
    transaction_id: str


class _Transactions(msgspec.Struct):
    transactions: list[_Transaction]


async def reverse_committed_tax(
    calls: SystemCalls, tenant: str, order_id: str, body: dict[str, Any], *, key: str
) -> Any:
    """POST ``body`` (lines, shipping, reference) as a refund of the order's committed tax transaction; returns
    the tax engine's answer. No committed transaction is a business failure (``no_tax_transaction``)."""
    found = await calls.call("tax", "GET", "/tax/v1/transactions", tenant, params={"order_id": order_id})
    if not found.is_success:
        raise calls.refused("tax", found)
    transactions = decode(found, _Transactions).transactions
    if not transactions:
        message = f"no tax committed for {order_id}"
        raise BusinessFailure("tax", "no_tax_transaction", [{"code": "no_tax_transaction", "message": message}])
    path = resource_path("/tax/v1/transactions/{}/refunds", transactions[0].transaction_id)
    refunded = await calls.call("tax", "POST", path, tenant, key=key, json=body)
    if not refunded.is_success:
        raise calls.refused("tax", refunded)
    return refunded
