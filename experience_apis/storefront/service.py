"""Shapes availability for shoppers from the inventory process API."""

from __future__ import annotations

import asyncio

import msgspec

from experience_apis.storefront.schemas import (
    AvailabilityBatch,
    ItemAvailability,
    LocationAvailability,
    LocationStock,
    StorefrontAvailability,
    stock_status,
)
from service_kit.http.clients import ServiceClients
from service_kit.problems import UpstreamProblem, raise_for_upstream
from service_kit.tenancy import TENANT_HEADER

__all__ = ["StorefrontService"]

INVENTORY = "inventory"


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


class StorefrontService:
    def __init__(self, clients: ServiceClients) -> None:
        self._inventory = clients.get(INVENTORY)

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
