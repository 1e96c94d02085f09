"""Builds the Shopify Admin system API."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from litestar import Litestar
from litestar.datastructures import State

from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app
from service_kit.health import ReadinessCheck
from system_apis.shopify.connector import ShopifyConnector
from system_apis.shopify.controllers import LinkController, MutationController, ShopController
from system_apis.shopify.models import ShopifyAdminBase
from system_apis.shopify.repository import ShopRepository

__all__ = ["SERVICE", "create_app"]


@contextlib.asynccontextmanager
async def _connector(app: Litestar) -> AsyncIterator[None]:
    timeout = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
    async with httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=20)) as http:
        app.state.shopify_connector = ShopifyConnector(http)
        yield


async def _backend_ready(state: State) -> None:
    """The reference backend's tables answer, and every shop on the GraphQL backend answers a query."""
    async with state.database.reading() as session:
        shops = await ShopRepository(session).using_backend("graphql")
    connector: ShopifyConnector = state.shopify_connector
    for shop in shops:
        await connector.probe(shop)


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="shopify",
        runtime=runtime,
        route_handlers=[ShopController, LinkController, MutationController],
        title="Omnigate Shopify Admin system API",
        description=(
            "Shopify's Admin API as a system: publish inventory quantities, fulfill with tracking, refund, "
            "cancel. Every mutation is logged; the reference backend records what would have been sent."
        ),
        readiness_checks=[ReadinessCheck("shopify_backend", _backend_ready, timeout=5.0)],
        lifespan=[_connector],
    )


SERVICE = ServiceDefinition(
    name="shopify",
    layer="system",
    create_app=create_app,
    apis=(ApiVersion("shopify", 1),),
    metadata=ShopifyAdminBase.metadata,
    default_port=8104,
)
