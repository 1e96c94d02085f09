"""The saga's systems over their APIs: the ERP, tax, inventory and WMS system and process APIs.

Answers are classified once, here: 429 and 5xx (and transport errors) are transient and retried by the worker;
a 4xx is the system saying no, which becomes a worklist item. Response bodies are read through small tolerant
structs (only what the saga relies on), so a system adding fields never breaks the saga.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

import msgspec

from canonical import SalesOrder, ShipmentNotice
from process_apis.orders.saga.systems import (
    BusinessFailure,
    LineCut,
    Release,
    Reservation,
    SystemUnavailable,
    Withdrawal,
)
from service_kit.http.paths import resource_path
from service_kit.http.system_calls import SystemCalls, decode, problem_body
from service_kit.http.tax_reversals import reverse_committed_tax

__all__ = ["HOLD_REASONS", "RISK_ACCEPTED_TAG", "HttpOrderSystems"]

RISK_ACCEPTED_TAG = "omnigate-risk-accepted"
"""The Shopify order tag with which a reviewer releases an order Shopify recommends cancelling: tagging it
sends ``orders/updated``, the held order is replaced by the tagged version and validated without the check."""

T = TypeVar("T")

HOLD_REASONS = frozenset(
    {
        "customer_on_credit_hold",
        "credit_limit_exceeded",
        "customer_blocked",
        "payment_not_authorized",
        "fraud_hold",
        "missing_tax_jurisdiction",
    }
)
"""ERP refusals a person resolves without changing the order (lift the hold, capture the payment): the order
waits ``on_hold``. Any other refusal (an unknown SKU, a wrong price) rejects it until the order is fixed."""


class _Reason(msgspec.Struct):
    code: str
    message: str = ""
    line_id: str | None = None


class _Decision(msgspec.Struct):
    accepted: bool
    reasons: list[_Reason] = msgspec.field(default_factory=list)


class _Assessment(msgspec.Struct):
    risk_level: str
    facts: list[str] = msgspec.field(default_factory=list)


class _OrderRisk(msgspec.Struct):
    recommendation: str
    assessments: list[_Assessment] = msgspec.field(default_factory=list)


class _Booked(msgspec.Struct):
    erp_order_ref: str


class _Item(msgspec.Struct):
    tax_code: str | None = None


class _Held(msgspec.Struct):
    line_id: str
    sku: str
    location_id: str
    quantity: int
    status: str


class _Backordered(msgspec.Struct):
    line_id: str
    quantity: int
    status: str


class _OrderReservation(msgspec.Struct):
    reservations: list[_Held]
    backorders: list[_Backordered]


class _FulfillmentRequest(msgspec.Struct):
    id: str
    status: str = "released"


class _Invoice(msgspec.Struct):
    invoice_id: str


class _ChannelFulfillment(msgspec.Struct):
    fulfillment_id: str


class HttpOrderSystems(SystemCalls):
    async def validate(self, tenant: str, order: SalesOrder) -> None:
        """Shopify's fraud verdict first (a Shopify order), then the ERP's checks."""
        if order.channel == "shopify" and RISK_ACCEPTED_TAG not in order.tags:
            await self._check_fraud_risk(tenant, order)
        response = await self.call("erp", "POST", "/erp/v1/sales-orders/validate", tenant, json=_builtins(order))
        if not response.is_success:
            raise self.refused("erp", response, final=True)
        decision = decode(response, _Decision)
        if not decision.accepted:
            raise _erp_refusal([msgspec.to_builtins(reason) for reason in decision.reasons])

    async def calculate_tax(self, tenant: str, order: SalesOrder) -> dict[str, Any]:
        response = await self.call("tax", "POST", "/tax/v1/calculate", tenant, json=await self._taxable(tenant, order))
        if not response.is_success:
            failure = self.refused("tax", response)
            raise BusinessFailure("tax", "tax_rejection", failure.reasons)
        body: dict[str, Any] = response.json()
        return body

    async def book(self, tenant: str, order: SalesOrder, *, key: str) -> str:
        """Book the ERP sales order, then commit the tax for it: both keyed, so a re-run repeats neither."""
        response = await self.call("erp", "POST", "/erp/v1/sales-orders", tenant, key=key, json=_builtins(order))
        if response.status_code == 409 and problem_body(response).get("erp_order_ref"):
            reference = str(problem_body(response)["erp_order_ref"])  # booked before under another key: the same order
        elif response.is_success:
            reference = decode(response, _Booked).erp_order_ref
        elif response.status_code == 422 and problem_body(response).get("reasons"):
            raise _erp_refusal(list(problem_body(response)["reasons"]))
        else:
            raise self.refused("erp", response)
        transaction = {
            **await self._taxable(tenant, order),
            "order_id": order.order_id,
            "document_reference": reference,
        }
        committed = await self.call(
            "tax", "POST", "/tax/v1/transactions", tenant, key=f"tax:{order.order_id}", json=transaction
        )
        if not committed.is_success and committed.status_code != 409:  # 409: committed before under another key
            failure = self.refused("tax", committed)
            raise BusinessFailure("tax", "tax_rejection", failure.reasons)
        return reference

    async def reserve(self, tenant: str, order: SalesOrder, *, key: str) -> Reservation:
        request = {
            "order_id": order.order_id,
            **_ship_to(order),
            "lines": [
                {"line_id": line.line_id, "sku": line.sku, "quantity": line.quantity}
                for line in order.lines
                if line.quantity > 0
            ],
        }
        response = await self.call("inventory", "POST", "/inventory/v1/reservations", tenant, key=key, json=request)
        if response.status_code == 409 and problem_body(response).get("code") == "order_already_reserved":
            response = await self.call(
                "inventory", "GET", resource_path("/inventory/v1/reservations/{}", order.order_id), tenant
            )
        if not response.is_success:
            raise self.refused("inventory", response)
        return _reservation(decode(response, _OrderReservation))

    async def fill_backorders(self, tenant: str, order: SalesOrder) -> Reservation:
        path = resource_path("/inventory/v1/reservations/{}/backorders/fill", order.order_id)
        response = await self.call("inventory", "POST", path, tenant, json=_ship_to(order))
        if not response.is_success:
            raise self.refused("inventory", response)
        return _reservation(decode(response, _OrderReservation))

    async def release(
        self, tenant: str, order: SalesOrder, location_id: str, lines: list[tuple[str, str, int]], *, key: str
    ) -> Release:
        request = {
            "order_id": order.order_id,
            "location_id": location_id,
            "ship_to": _builtins(order.shipping_address),
            "lines": [{"line_id": line_id, "sku": sku, "quantity": units} for line_id, sku, units in lines],
        }
        response = await self.call("wms", "POST", "/wms/v1/fulfillment-requests", tenant, key=key, json=request)
        if not response.is_success:
            raise self.refused("wms", response)
        released = decode(response, _FulfillmentRequest)
        marked = await self.call(
            "inventory",
            "POST",
            resource_path("/inventory/v1/reservations/{}/release", order.order_id),
            tenant,
            json={"location_id": location_id},
        )
        if not marked.is_success:
            raise self.refused("inventory", marked)
        return Release(location_id=location_id, fulfillment_request_id=released.id)

    async def withdraw(self, tenant: str, order: SalesOrder, fulfillment_requests: dict[str, str]) -> None:
        for location_id, request_id in sorted(fulfillment_requests.items()):
            cancelled = await self.call(
                "wms", "POST", resource_path("/wms/v1/fulfillment-requests/{}/cancel", request_id), tenant, json={}
            )
            if not cancelled.is_success and problem_body(cancelled).get("code") != "already_cancelled":
                failure = self.refused("wms", cancelled)
                raise BusinessFailure(
                    "wms", "cancel_after_pick", [{**r, "location_id": location_id} for r in failure.reasons]
                )
        freed = await self.call(
            "inventory", "POST", resource_path("/inventory/v1/reservations/{}/cancel", order.order_id), tenant, json={}
        )
        if not freed.is_success and freed.status_code != 404:  # 404: nothing was ever reserved
            raise self.refused("inventory", freed)

    async def held_units(self, tenant: str, order: SalesOrder) -> Reservation:
        path = resource_path("/inventory/v1/reservations/{}", order.order_id)
        response = await self.call("inventory", "GET", path, tenant)
        if response.status_code == 404:
            return Reservation()
        if not response.is_success:
            raise self.refused("inventory", response)
        return _reservation(decode(response, _OrderReservation), statuses=("open", "released"))

    async def withdraw_units(
        self, tenant: str, order: SalesOrder, plan: list[LineCut], fulfillment_requests: dict[str, str], *, key: str
    ) -> Withdrawal:
        """Warehouses first (one may refuse: picked), then the holds of what they did cancel, in one keyed call."""
        refused: dict[str, str] = {}
        emptied: set[str] = set()
        for location_id in sorted({location for _, location, _ in plan if location in fulfillment_requests}):
            lines = [{"line_id": line_id, "quantity": units} for line_id, where, units in plan if where == location_id]
            path = resource_path("/wms/v1/fulfillment-requests/{}/cancel", fulfillment_requests[location_id])
            body = {"lines": lines, "reason": "the channel cut these units from the order"}
            cancelled = await self.call("wms", "POST", path, tenant, key=f"{key}:{location_id}", json=body)
            if cancelled.status_code == 409 and problem_body(cancelled).get("code") == "already_picked":
                refused[location_id] = str(problem_body(cancelled).get("detail") or "already picked")
                continue
            if not cancelled.is_success:
                raise self.refused("wms", cancelled)
            if decode(cancelled, _FulfillmentRequest).status == "cancelled":
                emptied.add(location_id)
        withdrawn = [cut for cut in plan if cut[1] not in refused]
        if withdrawn:
            freed = await self.call(
                "inventory",
                "POST",
                resource_path("/inventory/v1/reservations/{}/cancel", order.order_id),
                tenant,
                key=key,
                json={
                    "lines": [
                        {"line_id": line_id, "quantity": units, "location_id": location}
                        for line_id, location, units in withdrawn
                    ]
                },
            )
            if not freed.is_success:
                raise self.refused("inventory", freed)
        return Withdrawal(withdrawn=withdrawn, refused=refused, emptied=frozenset(emptied))

    async def cut_booked_lines(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, units: dict[str, int], *, key: str
    ) -> None:
        """The ERP order first (it must neither ship nor bill the units), then the tax committed for them."""
        lines = [{"line_id": line_id, "quantity": count} for line_id, count in sorted(units.items())]
        path = resource_path("/erp/v1/sales-orders/{}/line-cancellations", erp_order_ref)
        body = {"lines": lines, "reason": "the channel cut these units from the order"}
        changed = await self.call("erp", "POST", path, tenant, key=f"{key}:erp", json=body)
        if not changed.is_success:
            raise self.refused("erp", changed)
        await reverse_committed_tax(
            self, tenant, order.order_id, {"lines": lines, "reference": key[:100]}, key=f"{key}:tax"
        )

    async def follow_up_shipment(
        self, tenant: str, order: SalesOrder, erp_order_ref: str, notice: ShipmentNotice
    ) -> dict[str, str]:
        shipment = notice.shipment_id
        consumed = await self.call(
            "inventory",
            "POST",
            resource_path("/inventory/v1/reservations/{}/shipments", order.order_id),
            tenant,
            key=f"consume:{shipment}",
            json={
                "location_id": notice.location_id,
                "lines": [{"line_id": line.line_id, "quantity": line.quantity} for line in notice.lines],
            },
        )
        if not consumed.is_success:
            failure = self.refused("inventory", consumed)
            raise BusinessFailure("inventory", "shipment_mismatch", failure.reasons)
        posted = await self.call(
            "erp",
            "POST",
            resource_path("/erp/v1/sales-orders/{}/shipments", erp_order_ref),
            tenant,
            key=f"erp-shipment:{shipment}",
            json=_builtins(notice),
        )
        if not posted.is_success:
            raise self.refused("erp", posted)
        invoiced = await self.call(
            "erp",
            "POST",
            resource_path("/erp/v1/sales-orders/{}/invoices", erp_order_ref),
            tenant,
            key=f"invoice:{shipment}",
            json={"shipment_id": shipment},
        )
        if not invoiced.is_success:
            raise self.refused("erp", invoiced)
        results = {"invoice_id": decode(invoiced, _Invoice).invoice_id}
        if order.channel == "shopify":
            results["channel_fulfillment_id"] = await self._fulfil_on_shopify(tenant, order, notice)
        return results

    async def _fulfil_on_shopify(self, tenant: str, order: SalesOrder, notice: ShipmentNotice) -> str:
        """The shipment as a Shopify fulfillment with its tracking; several parcels share one carrier there."""
        tracking: dict[str, Any] | None = None
        if notice.packages:
            first = notice.packages[0]
            tracking = {
                "company": first.carrier,
                "numbers": [package.tracking_number for package in notice.packages],
                "url": first.tracking_url,
            }
        request = {
            "order_id": order.external_id,
            "lines": [{"line_id": line.line_id, "quantity": line.quantity} for line in notice.lines],
            "tracking": tracking,
            "notify_customer": True,
        }
        response = await self.call(
            "shopify", "POST", "/shopify/v1/fulfillments", tenant, key=f"fulfillment:{notice.shipment_id}", json=request
        )
        if not response.is_success:
            raise self.refused("shopify", response)
        return decode(response, _ChannelFulfillment).fulfillment_id

    async def _check_fraud_risk(self, tenant: str, order: SalesOrder) -> None:
        """Hold an order Shopify recommends cancelling; wait (retry later) while its analysis is pending."""
        path = resource_path("/shopify/v1/orders/{}/risk", order.external_id)
        response = await self.call("shopify", "GET", path, tenant)
        if response.status_code == 404:  # Shopify does not know the order: there is no verdict to honour
            return
        if not response.is_success:
            raise self.refused("shopify", response)
        risk = decode(response, _OrderRisk)
        if risk.recommendation == "cancel":
            facts = "; ".join(fact for a in risk.assessments for fact in a.facts[:2]) or "high risk"
            message = (
                f"Shopify recommends cancelling the order ({facts}); cancel it in Shopify, or tag it "
                f"'{RISK_ACCEPTED_TAG}' there to release it"
            )
            raise BusinessFailure("shopify", "fraud_hold", [{"code": "fraud_hold", "message": message}])
        if risk.recommendation == "none" and any(a.risk_level == "pending" for a in risk.assessments):
            raise SystemUnavailable("shopify", "Shopify's fraud analysis of the order is still pending")

    async def _taxable(self, tenant: str, order: SalesOrder) -> dict[str, Any]:
        """The order as the tax engine reads it: ship-to, and per line its amount after discount and tax code."""
        if order.shipping_address is None:
            raise BusinessFailure("tax", "tax_rejection", [{"code": "missing_shipping_address"}])
        lines = []
        for line in order.lines:
            if line.quantity == 0:
                continue
            amount = line.unit_price.amount * line.quantity - (line.discount.amount if line.discount else Decimal(0))
            lines.append(
                {
                    "line_id": line.line_id,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "amount": str(amount),
                    "tax_code": await self._tax_code(tenant, line.sku),
                }
            )
        body: dict[str, Any] = {
            "ship_to": _builtins(order.shipping_address),
            "currency": order.currency,
            "lines": lines,
            "shipping": str(order.shipping.amount) if order.shipping else "0",
        }
        if order.customer is not None:
            body["customer_id"] = order.customer.customer_id
        return body

    async def _tax_code(self, tenant: str, sku: str) -> str:
        """The item master's tax code; ``standard`` when the item has none."""
        response = await self.call("erp", "GET", resource_path("/erp/v1/items/{}", sku), tenant)
        if response.status_code == 404:
            return "standard"
        if not response.is_success:
            raise self.refused("erp", response)
        return decode(response, _Item).tax_code or "standard"


def _erp_refusal(reasons: list[dict[str, Any]]) -> BusinessFailure:
    codes = [str(reason.get("code")) for reason in reasons]
    hold = bool(codes) and all(code in HOLD_REASONS for code in codes)
    return BusinessFailure("erp", codes[0] if codes else "sales_order_rejected", reasons, final=not hold)


def _builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)


def _ship_to(order: SalesOrder) -> dict[str, Any]:
    """Where the order goes, as the inventory process routes by it."""
    address = order.shipping_address
    if address is None:
        raise BusinessFailure("inventory", "address_invalid", [{"code": "missing_shipping_address"}])
    return {
        "channel": order.channel,
        "ship_to_country": address.country_code,
        "ship_to_region": address.region_code.split("-", 1)[-1] if address.region_code else None,
    }


def _reservation(answer: _OrderReservation, *, statuses: tuple[str, ...] = ("open",)) -> Reservation:
    """The holds in ``statuses`` (by default those not yet released to a warehouse) and the open backorders."""
    held: dict[str, list[tuple[str, str, int]]] = {}
    for hold in answer.reservations:
        if hold.status in statuses and hold.quantity > 0:
            held.setdefault(hold.location_id, []).append((hold.line_id, hold.sku, hold.quantity))
    backordered = {b.line_id: b.quantity for b in answer.backorders if b.status == "open"}
    return Reservation(held=held, backordered=backordered)
