"""WMS HTTP routes: ``/wms/v1/locations`` and ``/wms/v1/inventory-positions``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import InventoryPosition
from canonical.catalog import SKU_PATTERN
from service_kit.dependencies import DbSession, Tenant
from service_kit.problems import problem_responses
from system_apis.wms.schemas import Location, LocationWrite, PositionCount
from system_apis.wms.service import InventoryService, LocationService

__all__ = ["InventoryPositionController", "LocationController"]

LOCATION_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{0,63}$"
LocationPath = Annotated[str, PathParameter(pattern=LOCATION_PATTERN, description="Location code, e.g. DC-EAST")]
SkuPath = Annotated[str, PathParameter(pattern=SKU_PATTERN)]


class LocationController(Controller):
    path = "/wms/v1/locations"
    tags = ["locations"]

    @get("/")
    async def list_locations(self, db_session: DbSession, tenant: Tenant) -> list[Location]:
        return await LocationService(db_session).list_locations(tenant)

    @get("/{code:str}", responses=problem_responses(400, 404))
    async def get_location(self, db_session: DbSession, tenant: Tenant, code: LocationPath) -> Location:
        return await LocationService(db_session).get_location(tenant, code)

    @put("/{code:str}", responses=problem_responses(400, 409))
    async def put_location(
        self, db_session: DbSession, tenant: Tenant, code: LocationPath, data: JSONBody[LocationWrite]
    ) -> Response[Location]:
        """Create or replace a location (idempotent)."""
        location, created = await LocationService(db_session).upsert_location(tenant, code, data)
        return Response(location, status_code=201 if created else 200)


class InventoryPositionController(Controller):
    path = "/wms/v1/inventory-positions"
    tags = ["inventory"]

    @get("/", responses=problem_responses(400))
    async def find_positions(
        self,
        db_session: DbSession,
        tenant: Tenant,
        sku: Annotated[str | None, QueryParameter(pattern=SKU_PATTERN)] = None,
        location: Annotated[str | None, QueryParameter(pattern=LOCATION_PATTERN)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 500,
    ) -> list[InventoryPosition]:
        """Positions by state, filtered by SKU and/or location."""
        return await InventoryService(db_session).find_positions(tenant, sku=sku, location=location, limit=limit)

    @put("/{location:str}/{sku:str}", responses=problem_responses(400, 404, 409))
    async def record_count(
        self, db_session: DbSession, tenant: Tenant, location: LocationPath, sku: SkuPath, data: JSONBody[PositionCount]
    ) -> InventoryPosition:
        """Record a count of one SKU at one location (idempotent: the same count twice changes nothing)."""
        position, _changed = await InventoryService(db_session).record_count(tenant, location, sku, data)
        return position
