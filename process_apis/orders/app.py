"""Builds the order-to-fulfillment process API."""

from __future__ import annotations

from litestar import Litestar
from litestar.plugins.prometheus import PrometheusController

from process_apis.orders.controllers import ExceptionController, OrderController
from process_apis.orders.models import OrdersBase, OrdersOutbox
from process_apis.orders.saga.worker import saga_lifespan
from process_apis.orders.subscriptions import subscriptions
from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="orders",
        runtime=runtime,
        route_handlers=[OrderController, ExceptionController, PrometheusController],
        title="Omnigate order-to-fulfillment process API",
        description="Orders from every channel to shipped and invoiced; the business exception worklist.",
        outbox=OrdersOutbox,
        subscriptions=subscriptions,
        lifespan=[saga_lifespan],
    )


SERVICE = ServiceDefinition(
    name="orders",
    layer="process",
    create_app=create_app,
    apis=(ApiVersion("orders", 1),),
    metadata=OrdersBase.metadata,
    default_port=8202,
)
