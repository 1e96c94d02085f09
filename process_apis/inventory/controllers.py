"""Inventory process routes: ``/inventory/v1/availability``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from canonical.catalog import SKU_PATTERN
from process_apis.inventory.schemas import SkuAvailability
from process_apis.inventory.service import AvailabilityService
from service_kit.dependencies import DbSession, Tenant
from service_kit.problems import problem_responses

__all__ = ["AvailabilityController"]


class AvailabilityController(Controller):
    path = "/inventory/v1/availability"
    tags = ["availability"]

    @get("/", responses=problem_responses(400, 404))
    async def get_availability(
        self,
        db_session: DbSession,
        tenant: Tenant,
        sku: Annotated[str, QueryParameter(pattern=SKU_PATTERN, description="Stock keeping unit")],
    ) -> SkuAvailability:
        """Available-to-sell of a SKU per location and in total."""
        return await AvailabilityService(db_session).availability(tenant, sku)
