"""Every OAuth test runs twice: embedded (SQLite, in-memory deny-list and limits) and on servers
(PostgreSQL, Redis shared by every gateway process)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from omnigate import migrations
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import Settings
from tests.conftest import REDIS_URL, create_postgres_database, delete_redis_keys, drop_postgres_database, fast_settings
from tests.conftest import sqlalchemy_postgres_url as postgres_url


@pytest.fixture(params=["embedded", "servers"])
async def settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    if request.param == "embedded":
        result = fast_settings(tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'omnigate.db'}")
        await asyncio.to_thread(migrations.upgrade, result)
        yield result
        return
    request.getfixturevalue("postgres_available")
    request.getfixturevalue("redis_available")
    database = await create_postgres_database()
    prefix = f"omnigate-oauth-{uuid.uuid4().hex[:8]}:"
    result = fast_settings(
        tmp_path, database_url=postgres_url(database), redis_url=REDIS_URL, bus="redis", bus_prefix=prefix
    )
    await asyncio.to_thread(migrations.upgrade, result)
    try:
        yield result
    finally:
        await delete_redis_keys(prefix)
        await drop_postgres_database(database)


def asgi_client(app: object, *, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


@pytest.fixture
async def client(product: EmbeddedProduct) -> AsyncIterator[httpx.AsyncClient]:
    """An anonymous caller of the running product's gateway (the root ``product`` fixture, on these settings)."""
    async with asgi_client(product.asgi["gateway"]) as http:
        yield http
