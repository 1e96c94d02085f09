"""Storefront routes: ``/storefront/v1/availability``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from canonical.catalog import SKU_PATTERN
from experience_apis.storefront.schemas import StorefrontAvailability
from experience_apis.storefront.service import StorefrontService
from service_kit.dependencies import Clients, Tenant
from service_kit.problems import problem_responses

__all__ = ["AvailabilityController"]


class AvailabilityController(Controller):
    path = "/storefront/v1/availability"
    tags = ["availability"]

    @get("/", responses=problem_responses(400, 404, 502, 503, 504))
    async def get_availability(
        self,
        clients: Clients,
        tenant: Tenant,
        sku: Annotated[str, QueryParameter(pattern=SKU_PATTERN, description="Stock keeping unit, e.g. TSHIRT-BLK-M")],
    ) -> StorefrontAvailability:
        """How many units of a SKU can be sold, per location and in total."""
        return await StorefrontService(clients).availability(tenant, sku)
