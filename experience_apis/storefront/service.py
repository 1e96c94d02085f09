"""Shapes availability for shoppers from the inventory process API."""

from __future__ import annotations

import asyncio

import msgspec

from canonical import OrderView
from canonical.returns import ReturnView
from experience_apis.storefront.schemas import (
    AvailabilityBatch,
    CustomerOrderLine,
    CustomerOrderStage,
    CustomerOrderStatus,
    CustomerReturnLine,
    CustomerReturnStage,
    CustomerReturnStatus,
    ItemAvailability,
    LocationAvailability,
    LocationStock,
    StorefrontAvailability,
    TrackedParcel,
    stock_status,
)
from service_kit.http.clients import ServiceClients
from service_kit.http.paths import resource_path
from service_kit.problems import UpstreamProblem, raise_for_upstream
from service_kit.tenancy import TENANT_HEADER

__all__ = ["StorefrontService"]

INVENTORY = "inventory"
ORDERS = "orders"
RETURNS = "returns"


class _UpstreamPosition(msgspec.Struct):
    location_id: str
    available_to_sell: int


class _UpstreamAvailability(msgspec.Struct):
    """The part of the inventory API's ``SkuAvailability`` we rely on (tolerant of additions)."""

    sku: str
    available_to_sell: int
    positions: list[_UpstreamPosition]
    title: str | None = None
    active: bool = True


_decode_availability = msgspec.json.Decoder(_UpstreamAvailability)


_CUSTOMER_STAGE: dict[str, CustomerOrderStage] = {
    "received": "processing",
    "validated": "processing",
    "tax_calculated": "processing",
    "on_hold": "processing",
    "rejected": "processing",
    "accepted": "confirmed",
    "reserved": "confirmed",
    "released": "confirmed",
    "backordered": "backordered",
    "partially_shipped": "partially_shipped",
    "shipped": "shipped",
    "invoiced": "shipped",
    "cancelled": "cancelled",
}
"""The order process's states as a shopper sees them: holds, reviews and rejections are being worked on."""

_decode_order = msgspec.json.Decoder(OrderView)
_decode_return = msgspec.json.Decoder(ReturnView)

_RETURN_STAGE: dict[str, CustomerReturnStage] = {
    "requested": "requested",
    "authorized": "approved",
    "in_transit": "on_the_way",
    "received": "received",
    "inspected": "received",
    "restocked": "refund_pending",
    "written_off": "refund_pending",
    "refund_calculated": "refund_pending",
    "refunded": "refunded",
    "closed": "refunded",
    "rejected": "declined",
}
"""The return process's states as a shopper sees them: a return on hold is being worked on."""


class StorefrontService:
    def __init__(self, clients: ServiceClients) -> None:
        self._inventory = clients.get(INVENTORY)
        self._orders = clients.get(ORDERS)
        self._returns = clients.get(RETURNS)

    async def return_status(self, tenant: str, return_id: str) -> CustomerReturnStatus:
        response = await self._returns.get(
            resource_path("/returns/v1/returns/{}", return_id), headers={TENANT_HEADER: tenant}
        )
        raise_for_upstream(response, upstream=RETURNS)
        found = _decode_return.decode(response.content)
        return CustomerReturnStatus(
            return_id=found.return_id,
            order_id=found.order_id,
            status=_RETURN_STAGE.get(found.status, "processing"),
            lines=[
                CustomerReturnLine(line_id=line.line_id, sku=line.sku, quantity=line.quantity, received=line.received)
                for line in found.lines
            ],
            requested_at=found.created_at,
            refund_total=found.refund.total if found.refund and found.status in ("refunded", "closed") else None,
            refunded_at=found.refunded_at,
        )

    async def order_status(self, tenant: str, order_id: str) -> CustomerOrderStatus:
        response = await self._orders.get(
            resource_path("/orders/v1/orders/{}", order_id), headers={TENANT_HEADER: tenant}
        )
        raise_for_upstream(response, upstream=ORDERS)
        order = _decode_order.decode(response.content)
        return CustomerOrderStatus(
            order_id=order.order_id,
            order_number=order.order_number,
            placed_at=order.placed_at,
            status=_CUSTOMER_STAGE.get(order.state, "processing"),
            lines=[
                CustomerOrderLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    quantity=line.quantity,
                    shipped=line.shipped,
                    cancelled=line.cancelled,
                )
                for line in order.lines
            ],
            parcels=[
                TrackedParcel(
                    carrier=package.carrier,
                    tracking_number=package.tracking_number,
                    tracking_url=package.tracking_url,
                    shipped_at=shipment.shipped_at,
                )
                for shipment in order.shipments
                for package in shipment.packages
            ],
        )

    async def _inventory_availability(self, tenant: str, sku: str) -> _UpstreamAvailability:
        response = await self._inventory.get(
            "/inventory/v1/availability", params={"sku": sku}, headers={TENANT_HEADER: tenant}
        )
        raise_for_upstream(response, upstream=INVENTORY)
        return _decode_availability.decode(response.content)

    async def availability(self, tenant: str, sku: str) -> StorefrontAvailability:
        upstream = await self._inventory_availability(tenant, sku)
        return StorefrontAvailability(
            sku=upstream.sku,
            available_to_sell=upstream.available_to_sell,
            in_stock=upstream.available_to_sell > 0,
            locations=[
                LocationAvailability(location_id=p.location_id, available_to_sell=p.available_to_sell)
                for p in upstream.positions
            ],
        )

    async def availability_batch(self, tenant: str, skus: list[str]) -> AvailabilityBatch:
        """v2: many SKUs in one call, asked of the inventory process concurrently."""
        unique = list(dict.fromkeys(skus))
        results = await asyncio.gather(
            *(self._inventory_availability(tenant, sku) for sku in unique), return_exceptions=True
        )
        items: list[ItemAvailability] = []
        unknown: list[str] = []
        for sku, result in zip(unique, results, strict=True):
            if isinstance(result, UpstreamProblem) and result.problem_code == "unknown_sku":
                unknown.append(sku)
            elif isinstance(result, BaseException):
                raise result
            else:
                items.append(_item(result))
        return AvailabilityBatch(items=items, unknown_skus=unknown)


def _item(upstream: _UpstreamAvailability) -> ItemAvailability:
    sellable = upstream.available_to_sell if upstream.active else 0
    return ItemAvailability(
        sku=upstream.sku,
        title=upstream.title,
        purchasable=upstream.active and sellable > 0,
        available_to_sell=sellable,
        status=stock_status(sellable),
        locations=[
            LocationStock(
                location_id=p.location_id,
                available_to_sell=p.available_to_sell,
                status=stock_status(p.available_to_sell),
            )
            for p in upstream.positions
        ],
    )
