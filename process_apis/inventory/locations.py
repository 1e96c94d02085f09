"""The WMS's locations, as routing needs them, asked of the WMS system API (never read from its tables)."""

from __future__ import annotations

import msgspec

from process_apis.inventory.routing import LocationProfile
from service_kit.http.clients import ServiceClients
from service_kit.problems import raise_for_upstream
from service_kit.tenancy import TENANT_HEADER

__all__ = ["WMS", "location_profiles"]

WMS = "wms"


class _WmsLocation(msgspec.Struct):
    """The part of the WMS API's ``Location`` routing relies on (tolerant of additions)."""

    code: str
    kind: str
    ships_to_regions: list[str] = msgspec.field(default_factory=list)
    active: bool = True


_decode_locations = msgspec.json.Decoder(list[_WmsLocation])


async def location_profiles(clients: ServiceClients, tenant: str) -> list[LocationProfile]:
    """Asked before a reservation's transaction starts, so no lock is held across the call."""
    response = await clients.get(WMS).get("/wms/v1/locations", headers={TENANT_HEADER: tenant})
    raise_for_upstream(response, upstream=WMS)
    return [
        LocationProfile(
            location_id=location.code,
            kind=location.kind,
            ships_to_regions=tuple(location.ships_to_regions),
            active=location.active,
        )
        for location in _decode_locations.decode(response.content)
    ]
