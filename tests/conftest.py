"""Shared fixtures: real PostgreSQL and Redis (required, never skipped) and the embedded backends.

Storage tests run once on SQLite and once on a fresh PostgreSQL database; bus tests once in memory and
once on Redis. PostgreSQL and Redis unreachable is a failure with the command that starts them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from gateway.oauth.scopes import SCOPES
from omnigate import migrations
from omnigate.runtime import EmbeddedProduct
from service_kit.events.bus import EventBus, InMemoryEventBus, RedisEventBus
from service_kit.settings import Settings
from tests.helpers import fetch_token, onboard, running_in_own_task

POSTGRES_DSN = os.environ.get("OMNIGATE_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("OMNIGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

_START_POSTGRES = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
_START_REDIS = "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no"


def _asyncpg_dsn(database: str | None = None) -> str:
    base, _, current = POSTGRES_DSN.rpartition("/")
    return f"{base}/{database or current}"


def sqlalchemy_postgres_url(database: str) -> str:
    return _asyncpg_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def _reachable(url: str, default_port: int) -> str | None:
    """None if a TCP connection to the URL's host and port succeeds, else why not."""
    parsed = urlsplit(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=5):
            return None
    except OSError as exc:
        return repr(exc)


@pytest.fixture(scope="session")
def postgres_available() -> None:
    if (error := _reachable(POSTGRES_DSN, 5432)) is not None:
        pytest.fail(f"PostgreSQL at {POSTGRES_DSN} is unreachable ({error}); start it: {_START_POSTGRES}")


@pytest.fixture(scope="session")
def redis_available() -> None:
    if (error := _reachable(REDIS_URL, 6379)) is not None:
        pytest.fail(f"Redis at {REDIS_URL} is unreachable ({error}); start it: {_START_REDIS}")


async def delete_redis_keys(prefix: str) -> None:
    """Remove every key a test wrote under its own prefix."""
    redis = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def create_postgres_database() -> str:
    name = f"omnigate_test_{uuid.uuid4().hex[:12]}"
    connection = await asyncpg.connect(_asyncpg_dsn())
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name


async def drop_postgres_database(name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn())
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind (not migrated)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'omnigate.db'}"
        return
    request.getfixturevalue("postgres_available")
    name = await create_postgres_database()
    try:
        yield sqlalchemy_postgres_url(name)
    finally:
        await drop_postgres_database(name)


def fast_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings with short polling and redelivery delays so event tests run in milliseconds."""
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "bus_block_ms": 50,
        "bus_claim_idle_ms": 300,
        "outbox_poll_interval": 0.02,
        "backorder_recheck_interval": 0.2,
        "log_format": "console",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def settings(database_url: str, tmp_path: Path) -> Settings:
    """Every service migrated: on SQLite each in its own file, as the embedded product runs them (one shared file
    would make every service queue behind every other's writes); on PostgreSQL all in one database (table names
    are prefixed by service)."""
    shared = None if database_url.startswith("sqlite") else database_url
    result = fast_settings(tmp_path, database_url=shared)
    await asyncio.to_thread(migrations.upgrade, result)
    return result


@pytest.fixture
async def product(settings: Settings) -> AsyncIterator[EmbeddedProduct]:
    async with running_in_own_task(EmbeddedProduct(settings).running()) as running:
        yield running


@pytest.fixture
async def anonymous_gateway(product: EmbeddedProduct) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway, as the outside world calls it, with no credentials."""
    transport = httpx.ASGITransport(app=product.asgi["gateway"])  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as client:
        yield client


@pytest.fixture
async def gateway(product: EmbeddedProduct, anonymous_gateway: httpx.AsyncClient) -> httpx.AsyncClient:
    """The gateway as a back-office client of tenant ``demo`` calls it: a token with every API scope."""
    scopes = [scope for scope in SCOPES if not scope.startswith("admin:")]
    client = await onboard(product.settings, scopes=scopes)
    token = await fetch_token(anonymous_gateway, client.client_id, client.client_secret)
    anonymous_gateway.headers["Authorization"] = f"Bearer {token}"
    return anonymous_gateway


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[EventBus]:
    if request.param == "memory":
        yield InMemoryEventBus()
        return
    request.getfixturevalue("redis_available")
    prefix = f"omnigate-test-{uuid.uuid4().hex[:8]}:"
    redis = Redis.from_url(REDIS_URL)
    try:
        yield RedisEventBus(redis, prefix=prefix)
    finally:
        await delete_redis_keys(prefix)
        await redis.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.timeout(300))


@pytest.fixture
def repo_root() -> Iterator[Path]:
    yield Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
async def no_stray_tasks() -> AsyncIterator[None]:
    """After every other fixture of a test has torn down, nothing it started may still run: a task left behind
    that ignores cancellation would hang the event loop's close for ever, so fail with its stack instead."""
    yield
    current = asyncio.current_task()
    stray = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in stray:
        task.cancel()
    if not stray:
        return
    _, pending = await asyncio.wait(stray, timeout=10)
    if pending:
        for task in pending:
            task.print_stack(file=sys.stderr)
        raise AssertionError(f"{len(pending)} task(s) ignored cancellation; their stacks are on stderr: {pending}")
