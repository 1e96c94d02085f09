"""Builds the inventory availability process API."""

from __future__ import annotations

from litestar import Litestar

from process_apis.inventory.controllers import AvailabilityController
from process_apis.inventory.models import InventoryBase, InventoryOutbox
from process_apis.inventory.projections import subscriptions
from process_apis.inventory.reservation_controllers import ReservationController, SourcingController
from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="inventory",
        runtime=runtime,
        route_handlers=[AvailabilityController, ReservationController, SourcingController],
        title="Omnigate inventory availability process API",
        description=(
            "Available-to-sell per SKU and location, from WMS positions less reservations; reservations and "
            "sourcing of accepted orders."
        ),
        subscriptions=subscriptions,
        outbox=InventoryOutbox,
    )


SERVICE = ServiceDefinition(
    name="inventory",
    layer="process",
    create_app=create_app,
    apis=(ApiVersion("inventory", 1),),
    metadata=InventoryBase.metadata,
    default_port=8201,
)
