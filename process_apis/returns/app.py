"""Builds the return-to-refund process API."""

from __future__ import annotations

from litestar import Litestar
from litestar.plugins.prometheus import PrometheusController

from process_apis.returns.controllers import PolicyController, ReturnController
from process_apis.returns.models import ReturnsBase, ReturnsOutbox
from process_apis.returns.subscriptions import subscriptions
from process_apis.returns.worker import returns_lifespan
from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="returns",
        runtime=runtime,
        route_handlers=[ReturnController, PolicyController, PrometheusController],
        title="Omnigate return-to-refund process API",
        description=(
            "Returns from the service portal, Shopify and stores, from RMA to restock and refund: tax reversed, "
            "ERP credit memos and the channel refund posted once each, and reconciled."
        ),
        outbox=ReturnsOutbox,
        subscriptions=subscriptions,
        lifespan=[returns_lifespan],
    )


SERVICE = ServiceDefinition(
    name="returns",
    layer="process",
    create_app=create_app,
    apis=(ApiVersion("returns", 1),),
    metadata=ReturnsBase.metadata,
    default_port=8203,
)
