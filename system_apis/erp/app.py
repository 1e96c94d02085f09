"""Builds the ERP system API."""

from __future__ import annotations

from litestar import Litestar

from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app
from system_apis.erp.controllers import CustomerController, ItemController
from system_apis.erp.models import ErpBase, ErpOutbox

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="erp",
        runtime=runtime,
        route_handlers=[ItemController, CustomerController],
        title="Omnigate ERP system API",
        description="Item master and customers of the system of record, in the canonical model.",
        outbox=ErpOutbox,
    )


SERVICE = ServiceDefinition(
    name="erp",
    layer="system",
    create_app=create_app,
    apis=(ApiVersion("erp", 1),),
    metadata=ErpBase.metadata,
    default_port=8101,
)
