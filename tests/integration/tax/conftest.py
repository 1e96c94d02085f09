"""The gateway, as a back-office client of tenant ``demo`` calls it, with the demo tax jurisdictions seeded."""

from __future__ import annotations

import httpx
import pytest

from omnigate.demo import seed_tax
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database


@pytest.fixture
async def tax(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    database = Database(product.settings.database_url_for("tax"))
    try:
        assert await seed_tax(database)
        assert not await seed_tax(database), "seeding twice must not duplicate anything"
    finally:
        await database.dispose()
    return gateway
