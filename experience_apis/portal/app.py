"""Builds the service portal experience API."""

from __future__ import annotations

from litestar import Litestar

from experience_apis.portal.controllers import (
    PortalExceptionController,
    PortalOrderController,
    PortalReturnController,
)
from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="portal",
        runtime=runtime,
        route_handlers=[PortalOrderController, PortalExceptionController, PortalReturnController],
        title="Omnigate service portal experience API",
        description=(
            "Orders by Shopify id, their timelines, the business exception worklist and returns, for service agents."
        ),
        uses_database=False,
    )


SERVICE = ServiceDefinition(
    name="portal",
    layer="experience",
    create_app=create_app,
    apis=(ApiVersion("portal", 1),),
    default_port=8303,
)
