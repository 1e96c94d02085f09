"""Which backend serves a tenant's shop, and the process-wide parts of the GraphQL one (its HTTP pool and
each shop's cost bucket, learned from responses and shared by every request to that shop)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import httpx

from system_apis.shopify.adapters.base import ShopifyAdmin, ShopifyUnavailable
from system_apis.shopify.adapters.graphql_backend import GraphqlAdmin
from system_apis.shopify.adapters.graphql_client import API_VERSION, AdminGraphqlClient, ShopBudgets
from system_apis.shopify.adapters.reference import ReferenceAdmin
from system_apis.shopify.repository import ReferenceShopRepository

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from system_apis.shopify.models import ShopConnectionRecord

__all__ = ["API_VERSION", "ShopifyConnector", "graphql_endpoint"]

_PROBE = "query ShopProbe { shop { id } }"


def graphql_endpoint(shop_domain: str, admin_url: str | None) -> str:
    return f"{(admin_url or f'https://{shop_domain}').rstrip('/')}/admin/api/{API_VERSION}/graphql.json"


class ShopifyConnector:
    """Builds the backend for a shop connection; ``sleep`` and ``clock`` are the GraphQL client's pacing."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        probe_ttl: float = 10.0,
    ) -> None:
        self.http = http
        self.budgets = ShopBudgets()
        self.sleep = sleep
        self.clock = clock
        self.probe_ttl = probe_ttl
        self._probed: dict[str, float] = {}

    def admin_for(self, connection: ShopConnectionRecord, session: AsyncSession) -> ShopifyAdmin:
        if connection.backend == "graphql":
            return GraphqlAdmin(self.client_for(connection))
        return ReferenceAdmin(ReferenceShopRepository(session, connection.tenant))

    def client_for(self, connection: ShopConnectionRecord) -> AdminGraphqlClient:
        return AdminGraphqlClient(
            self.http,
            shop_domain=connection.shop_domain,
            access_token=connection.access_token,
            budget=self.budgets.for_shop(connection.shop_domain),
            endpoint=connection.admin_url,
            sleep=self.sleep,
            clock=self.clock,
            max_wait=5.0,
        )

    async def probe(self, connection: ShopConnectionRecord) -> None:
        """Raise :class:`ShopifyUnavailable` unless the shop answers a minimal query (cached ``probe_ttl`` s)."""
        now = self.clock()
        if now - self._probed.get(connection.shop_domain, -self.probe_ttl) < self.probe_ttl:
            return
        client = self.client_for(connection)
        client.max_throttle_retries = 0
        try:
            await client.execute("ShopProbe", _PROBE, {})
        except ShopifyUnavailable as exc:
            if exc.code != "shopify_throttled":  # throttled means it answered
                raise
        self._probed[connection.shop_domain] = now
