"""Every error a service can produce is an RFC 9457 problem; a bug is a 500 without the stack trace."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

import httpx
from litestar import get
from sqlalchemy import create_engine

from service_kit.app import ServiceRuntime, create_service_app
from service_kit.dependencies import Clients, Tenant
from service_kit.events.bus import InMemoryEventBus
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import Settings
from service_kit.telemetry import instrument_asgi
from tests.helpers import running_in_own_task


@get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@get("/needs-tenant")
async def needs_tenant(tenant: Tenant) -> str:
    return tenant


@get("/upstream")
async def call_missing_upstream(clients: Clients) -> None:
    await clients.get("erp").get("/ready")


_LOCKED = Path(tempfile.mkdtemp()) / "locked.db"


@get("/locked-write")
async def write_to_a_locked_database() -> None:
    """A write that loses the lock race: another connection holds SQLite's write lock past the busy timeout."""
    holder = sqlite3.connect(_LOCKED, isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    try:
        engine = create_engine(f"sqlite:///{_LOCKED}", connect_args={"timeout": 0.05})
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    finally:
        holder.rollback()
        holder.close()


async def call(path: str, **kwargs: object) -> httpx.Response:
    registry = ServiceRegistry({"erp": "http://127.0.0.1:9"})  # nothing listens on the discard port
    runtime = ServiceRuntime(settings=Settings(), registry=registry, bus=InMemoryEventBus())
    app = create_service_app(
        name="sample",
        runtime=runtime,
        route_handlers=[boom, needs_tenant, call_missing_upstream, write_to_a_locked_database],
        title="sample",
        uses_database=False,
    )
    async with running_in_own_task(app.lifespan()):
        transport = httpx.ASGITransport(app=instrument_asgi(app))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://sample") as client:
            return await client.get(path, **kwargs)  # type: ignore[arg-type]


async def test_unhandled_error_is_a_500_problem_with_trace_id_and_no_internals() -> None:
    response = await call("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "internal_error"
    assert problem["trace_id"] == response.headers["x-trace-id"]
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


async def test_unknown_route_is_a_404_problem_with_trace_id() -> None:
    response = await call("/nowhere")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert len(response.headers["x-trace-id"]) == 32


async def test_missing_tenant_is_a_400_problem() -> None:
    response = await call("/needs-tenant")

    assert response.status_code == 400
    assert response.json()["code"] == "missing_tenant"


async def test_unreachable_upstream_is_a_503_problem_with_retry_after() -> None:
    response = await call("/upstream")

    assert response.status_code == 503
    assert response.json()["code"] == "upstream_unavailable"
    assert response.headers["retry-after"]


async def test_a_write_that_loses_a_database_lock_race_is_a_503_to_retry_not_a_500() -> None:
    response = await call("/locked-write")

    assert response.status_code == 503
    assert response.json()["code"] == "database_busy"
    assert response.headers["retry-after"] == "1"
