"""NetSuite connector: SuiteTalk REST record API v1 (``/services/rest/record/v1``).

* Customers and items are found by external id (``/customer/eid:CUST-1001``, ``/inventoryItem/eid:SKU``):
  NetSuite keeps our ids as ``externalId``; a missing one is a business rejection (unknown customer/SKU).
* A sales order is ``POST /salesOrder``; fulfillments and invoices are transforms of it
  (``/salesOrder/{id}/!transform/itemFulfillment`` and ``.../!transform/invoice``) whose ``item.items`` name
  the order's lines by ``orderLine`` with the quantity (see the fixtures in ``tests/fixtures/netsuite``);
  a credit memo is ``POST /creditMemo`` created from the invoice.
* A customer's standing is NetSuite's: ``isInactive``, ``creditHoldOverride`` (``ON`` holds, ``OFF`` waives the
  limit, ``AUTO`` checks it), ``creditLimit``, and ``balance`` + ``unbilledOrders`` as the exposure.
* Lines cut after booking are a ``PATCH /salesOrder/{id}`` of the ``item`` sublist naming each line by its
  ``line`` number with its new ``quantity`` (never below what was fulfilled; a line cut to nothing keeps its
  quantity), and ``isClosed`` once nothing is left to ship on it; the values are absolute, so a repeated PATCH
  changes nothing.
* NetSuite answers a create with ``204 No Content`` and the new record's URL in ``Location``; the id is
  its last path segment.
* Every record carries our document number as ``externalId``. Before creating, the connector looks the
  external id up, so a posting retried after a crash on our side finds the record instead of duplicating it.
* Order lines are numbered 1..n in the order we send them (``orderLine``); amounts are JSON numbers
  written from the Decimal's digits, never through a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import quote

import httpx
import msgspec

from canonical import OrderRejectReason
from system_apis.erp.adapters.base import (
    BackendFailed,
    BackendRejected,
    BackendUnavailable,
    CreditMemoPosting,
    CustomerStanding,
    FulfillmentPosting,
    InvoicePosting,
    LineChangePosting,
    OrderPosting,
)

__all__ = ["RECORD_PATH", "NetSuiteBackend"]

RECORD_PATH = "/services/rest/record/v1"
_encoder = msgspec.json.Encoder(decimal_format="number")


class NetSuiteBackend:
    name = "netsuite"

    def __init__(
        self,
        *,
        endpoint: str,
        auth: httpx.Auth,
        credit_item_id: str,
        subsidiaries: dict[str, str] | None = None,
        locations: dict[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.credit_item_id = credit_item_id
        self.subsidiaries = dict(subsidiaries or {})
        self.locations = dict(locations or {})
        self.client = httpx.AsyncClient(
            base_url=endpoint.rstrip("/") + RECORD_PATH,
            auth=auth,
            timeout=timeout or httpx.Timeout(connect=3.0, read=30.0, write=10.0, pool=3.0),
            transport=transport,
            headers={"Accept": "application/json"},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def ping(self) -> None:
        await self._request("GET", "/customer", params={"limit": "1"})

    async def book_sales_order(self, posting: OrderPosting) -> str:
        if (existing := await self._find("salesOrder", posting.erp_order_ref)) is not None:
            return existing
        customer = await self._find("customer", posting.customer_id)
        reasons = []
        if customer is None:
            reasons.append(
                OrderRejectReason(code="unknown_customer", message=f"NetSuite has no customer '{posting.customer_id}'")
            )
        items: dict[str, str] = {}
        for line in posting.lines:
            if line.sku in items:
                continue
            if (item := await self._find("inventoryItem", line.sku)) is None:
                reasons.append(
                    OrderRejectReason(
                        code="unknown_sku", message=f"NetSuite has no item '{line.sku}'", line_id=line.line_id
                    )
                )
            else:
                items[line.sku] = item
        if reasons:
            raise BackendRejected(reasons)
        body: dict[str, Any] = {
            "externalId": posting.erp_order_ref,
            "entity": {"id": customer},
            "tranDate": posting.order_date,
            "otherrefnum": posting.source_reference,
            "memo": f"Omnigate {posting.erp_order_ref}",
            "item": {
                "items": [
                    {
                        "item": {"id": _id(items[line.sku])},
                        "quantity": line.quantity,
                        "rate": line.unit_price,
                        "amount": line.amount,
                    }
                    for line in posting.lines
                ]
            },
        }
        if (subsidiary := self.subsidiaries.get(posting.legal_entity)) is not None:
            body["subsidiary"] = {"id": subsidiary}
        if posting.shipping is not None:
            body["shippingCost"] = posting.shipping
        return await self._create("/salesOrder", body)

    async def customer_standing(self, customer_id: str) -> CustomerStanding | None:
        path = f"/customer/eid:{quote(customer_id, safe='')}"
        response = await self._request("GET", path, missing_ok=True)
        if response.status_code == 404:
            return CustomerStanding(exists=False)
        record = response.json()
        override = record.get("creditHoldOverride")
        hold = str(override.get("id") if isinstance(override, dict) else override or "AUTO").upper()
        limit = record.get("creditLimit")
        exposure = Decimal(str(record.get("balance") or 0)) + Decimal(str(record.get("unbilledOrders") or 0))
        return CustomerStanding(
            inactive=bool(record.get("isInactive")),
            credit_hold=hold == "ON",
            credit_checked=hold != "OFF",
            credit_limit=None if limit is None else Decimal(str(limit)),
            exposure=exposure,
        )

    async def change_lines(self, posting: LineChangePosting) -> None:
        items: list[dict[str, Any]] = []
        for line in posting.lines:  # a line cut to nothing is closed, not set to quantity 0 (NetSuite refuses 0)
            item: dict[str, Any] = {"line": line.position, "isClosed": line.position in posting.closed}
            if line.quantity > 0:
                item["quantity"] = line.quantity
            items.append(item)
        path = f"/salesOrder/{posting.order_backend_id}"
        response = await self._request("PATCH", path, content=_encoder.encode({"item": {"items": items}}))
        if response.status_code != 204:
            raise BackendFailed(f"NetSuite answered {response.status_code} to PATCH {path}")

    async def post_fulfillment(self, posting: FulfillmentPosting) -> str:
        external_id = f"{posting.erp_order_ref}:{posting.shipment_id}"
        if (existing := await self._find("itemFulfillment", external_id)) is not None:
            return existing
        shipped = {line.position: line.quantity for line in posting.lines}
        location = self.locations.get(posting.location_id)
        items: list[dict[str, Any]] = []
        for position in range(1, posting.line_count + 1):
            if position in shipped:
                line: dict[str, Any] = {"orderLine": position, "quantity": shipped[position], "itemreceive": True}
                if location is not None:
                    line["location"] = _id(location)
            else:
                line = {"orderLine": position, "itemreceive": False}
            items.append(line)
        body: dict[str, Any] = {"externalId": external_id, "shipStatus": "C", "item": {"items": items}}
        if posting.packages:
            body["package"] = {
                "items": [
                    {"packageTrackingNumber": package.tracking_number, "packageDescr": package.carrier}
                    for package in posting.packages
                ]
            }
        return await self._create(f"/salesOrder/{posting.order_backend_id}/!transform/itemFulfillment", body)

    async def post_invoice(self, posting: InvoicePosting) -> str:
        if (existing := await self._find("invoice", posting.invoice_id)) is not None:
            return existing
        billed = {line.position: line for line in posting.lines}
        items: list[dict[str, Any]] = []
        for position in range(1, posting.line_count + 1):
            line = billed.get(position)
            item: dict[str, Any] = {"orderLine": position, "quantity": line.quantity if line else 0}
            if line is not None:
                item["amount"] = line.amount
            items.append(item)
        body = {"externalId": posting.invoice_id, "shippingCost": posting.shipping, "item": {"items": items}}
        return await self._create(f"/salesOrder/{posting.order_backend_id}/!transform/invoice", body)

    async def post_credit_memo(self, posting: CreditMemoPosting) -> str:
        if (existing := await self._find("creditMemo", posting.credit_memo_id)) is not None:
            return existing
        customer = await self._find("customer", posting.customer_id)
        if customer is None:
            raise BackendFailed(f"NetSuite has no customer '{posting.customer_id}'")
        body = {
            "externalId": posting.credit_memo_id,
            "entity": {"id": customer},
            "createdFrom": {"id": posting.invoice_backend_id},
            "memo": posting.reason,
            "item": {
                "items": [
                    {
                        "item": {"id": _id(self.credit_item_id)},
                        "quantity": 1,
                        "rate": posting.amount,
                        "amount": posting.amount,
                    }
                ]
            },
        }
        return await self._create("/creditMemo", body)

    async def _find(self, record_type: str, external_id: str) -> str | None:
        """The internal id of the record with this external id, or None."""
        response = await self._request("GET", f"/{record_type}/eid:{quote(external_id, safe='')}", missing_ok=True)
        if response.status_code == 404:
            return None
        record_id = response.json().get("id")
        if not isinstance(record_id, str | int):
            raise BackendFailed(f"NetSuite {record_type} eid:{external_id} came back without an id")
        return str(record_id)

    async def _create(self, path: str, body: dict[str, Any]) -> str:
        response = await self._request("POST", path, content=_encoder.encode(body))
        location = str(response.headers.get("Location") or "")
        if response.status_code != 204 or not location:
            raise BackendFailed(f"NetSuite answered {response.status_code} without a Location to POST {path}")
        return location.rstrip("/").rsplit("/", 1)[-1]

    async def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response:
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = await self.client.request(method, path, content=content, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise BackendUnavailable(f"NetSuite unreachable: {type(exc).__name__}") from exc
        if response.status_code == 404 and missing_ok:
            return response
        if response.status_code == 429 or response.status_code >= 500:
            raise BackendUnavailable(f"NetSuite answered {response.status_code} to {method} {path}")
        if response.status_code >= 400:
            raise BackendFailed(f"NetSuite refused {method} {path}: {_error_detail(response)}")
        return response


def _id(value: str) -> int | str:
    """Internal ids as NetSuite's own examples write them: numbers when numeric."""
    return int(value) if value.isdigit() else value


def _error_detail(response: httpx.Response) -> str:
    """The first ``o:errorDetails`` entry of a NetSuite error body, or its title."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    details = body.get("o:errorDetails") if isinstance(body, dict) else None
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return f"{details[0].get('o:errorCode', 'ERROR')}: {details[0].get('detail', '')}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):  # the OAuth 2.0 token endpoint (RFC 6749)
        return f"{body['error']}: {body.get('error_description', '')}"
    if isinstance(body, dict):
        return str(body.get("title", f"HTTP {response.status_code}"))
    return f"HTTP {response.status_code}"
