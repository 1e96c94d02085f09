"""Fixtures shared by the integration tests of the services downstream of the Shopify intake."""

from __future__ import annotations

import httpx
import pytest

from omnigate.demo import seed_shopify_intake
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from tests.shopify_deliveries import SECRET


@pytest.fixture
async def portal(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    """The gateway with a token of every API scope, and the demo shop able to deliver signed webhooks."""
    database = Database(product.settings.database_url_for("shopify_intake"))
    try:
        await seed_shopify_intake(database, "demo", webhook_secret=SECRET)
    finally:
        await database.dispose()
    return gateway
