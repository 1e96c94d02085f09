"""Shapes availability for shoppers from the inventory process API."""

from __future__ import annotations

import msgspec

from experience_apis.storefront.schemas import LocationAvailability, StorefrontAvailability
from service_kit.http.clients import ServiceClients
from service_kit.problems import raise_for_upstream
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


_decode_availability = msgspec.json.Decoder(_UpstreamAvailability)


class StorefrontService:
    def __init__(self, clients: ServiceClients) -> None:
        self._inventory = clients.get(INVENTORY)

    async def availability(self, tenant: str, sku: str) -> StorefrontAvailability:
        response = await self._inventory.get(
            "/inventory/v1/availability", params={"sku": sku}, headers={TENANT_HEADER: tenant}
        )
        raise_for_upstream(response, upstream=INVENTORY)
        upstream = _decode_availability.decode(response.content)
        return StorefrontAvailability(
            sku=upstream.sku,
            available_to_sell=upstream.available_to_sell,
            in_stock=upstream.available_to_sell > 0,
            locations=[
                LocationAvailability(location_id=p.location_id, available_to_sell=p.available_to_sell)
                for p in upstream.positions
            ],
        )
