"""Storefront routes: ``/storefront/v1/availability`` (one SKU) and ``/storefront/v2/availability`` (many SKUs,
with stock badges and purchasability); v1 stays as it was for clients that have not migrated."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from canonical.catalog import SKU_PATTERN
from experience_apis.storefront.schemas import AvailabilityBatch, StorefrontAvailability
from experience_apis.storefront.service import StorefrontService
from service_kit.dependencies import Clients, Tenant
from service_kit.problems import BadRequest, problem_responses

__all__ = ["AvailabilityController", "AvailabilityV2Controller"]


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


class AvailabilityV2Controller(Controller):
    path = "/storefront/v2/availability"
    tags = ["availability"]

    @get("/", responses=problem_responses(400, 502, 503, 504))
    async def get_availability(
        self,
        clients: Clients,
        tenant: Tenant,
        sku: Annotated[
            list[str],
            QueryParameter(
                min_items=1,
                max_items=50,
                description="One to fifty SKUs, repeated: ?sku=TSHIRT-BLK-M&sku=TSHIRT-WHT-S",
            ),
        ],
    ) -> AvailabilityBatch:
        """Sellable units, a stock badge and purchasability for each SKU; unknown SKUs are listed, not fatal."""
        if invalid := [value for value in sku if not re.fullmatch(SKU_PATTERN, value)]:
            raise BadRequest(
                f"not a SKU: {', '.join(invalid)}",
                code="invalid_request",
                extra={"errors": [{"field": "sku", "source": "query", "message": f"must match {SKU_PATTERN}"}]},
            )
        return await StorefrontService(clients).availability_batch(tenant, sku)
