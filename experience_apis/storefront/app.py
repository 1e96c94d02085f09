"""Builds the storefront experience API."""

from __future__ import annotations

from litestar import Litestar

from experience_apis.storefront.controllers import (
    AvailabilityController,
    AvailabilityV2Controller,
    OrderStatusController,
    OrderStatusV2Controller,
    ReturnStatusController,
    ReturnStatusV2Controller,
)
from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="storefront",
        runtime=runtime,
        route_handlers=[
            AvailabilityController,
            AvailabilityV2Controller,
            OrderStatusController,
            OrderStatusV2Controller,
            ReturnStatusController,
            ReturnStatusV2Controller,
        ],
        title="Omnigate storefront experience API",
        description="Availability, order status and return status shaped for storefront pages.",
        uses_database=False,
    )


SERVICE = ServiceDefinition(
    name="storefront",
    layer="experience",
    create_app=create_app,
    apis=(ApiVersion("storefront", 1), ApiVersion("storefront", 2)),
    default_port=8301,
)
