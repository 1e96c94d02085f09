"""Storefront routes: ``/storefront/v1/availability`` (one SKU) and ``/storefront/v2/availability`` (many SKUs,
with stock badges and purchasability; v1 stays as it was for clients that have not migrated), and
``/storefront/v{1,2}/orders/{id}`` (a shopper's order status) and ``/storefront/v{1,2}/returns/{id}`` (a
shopper's return and its refund)."""

from __future__ import annotations

import re
from typing import Annotated

from litestar import Controller, get
from litestar.params import PathParameter, QueryParameter

from canonical.catalog import SKU_PATTERN
from experience_apis.storefront.schemas import (
    AvailabilityBatch,
    CustomerOrderStatus,
    CustomerReturnStatus,
    StorefrontAvailability,
)
from experience_apis.storefront.service import StorefrontService
from service_kit.dependencies import Clients, Tenant
from service_kit.problems import BadRequest, problem_responses

__all__ = [
    "AvailabilityController",
    "AvailabilityV2Controller",
    "OrderStatusController",
    "OrderStatusV2Controller",
    "ReturnStatusController",
    "ReturnStatusV2Controller",
]


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


class OrderStatusController(Controller):
    path = "/storefront/v1/orders"
    tags = ["orders"]

    @get("/{order_id:str}", responses=problem_responses(400, 404, 502, 503, 504))
    async def get_order_status(
        self,
        clients: Clients,
        tenant: Tenant,
        order_id: Annotated[str, PathParameter(min_length=1, max_length=100, description="e.g. shopify-450789469")],
    ) -> CustomerOrderStatus:
        """Where the shopper's order stands, with the tracking of every parcel shipped so far."""
        return await StorefrontService(clients).order_status(tenant, order_id)


class OrderStatusV2Controller(OrderStatusController):
    """The same order status in v2, so storefronts migrating off v1 keep it."""

    path = "/storefront/v2/orders"


class ReturnStatusController(Controller):
    path = "/storefront/v1/returns"
    tags = ["returns"]

    @get("/{return_id:str}", responses=problem_responses(400, 404, 502, 503, 504))
    async def get_return_status(
        self,
        clients: Clients,
        tenant: Tenant,
        return_id: Annotated[str, PathParameter(min_length=1, max_length=40, description="The RMA number")],
    ) -> CustomerReturnStatus:
        """Where the shopper's return stands, what has arrived, and the refund once it is paid."""
        return await StorefrontService(clients).return_status(tenant, return_id)


class ReturnStatusV2Controller(ReturnStatusController):
    path = "/storefront/v2/returns"
