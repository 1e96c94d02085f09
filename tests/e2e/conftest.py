"""End-to-end fixtures: the demo shop, seeded in every system, as a client of the gateway sees it."""

from __future__ import annotations

import httpx
import pytest

from omnigate.runtime import EmbeddedProduct
from tests.order_flow import seeded_shop


@pytest.fixture
async def shop(product: EmbeddedProduct, gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    return await seeded_shop(product, gateway)
