"""Small waits for eventually-consistent reads (events flow through the outbox and the bus)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import msgspec

from canonical import InventoryPosition
from canonical.events import INVENTORY_POSITION_CHANGED, EventEnvelope
from service_kit.database import Database
from service_kit.settings import Settings

T = TypeVar("T")


def vendor_fixtures(vendor: str) -> Path:
    """``tests/fixtures/<vendor>``: real vendor payloads (copied from the team's shared fixtures with their
    sources, see its README), or ``OMNIGATE_FIXTURES_DIR/<vendor>``."""
    if configured := os.environ.get("OMNIGATE_FIXTURES_DIR"):
        return Path(configured) / vendor
    return Path(__file__).resolve().parent / "fixtures" / vendor


async def eventually(probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], *, within: float = 10.0) -> T:
    """Poll ``probe`` until ``accept`` holds; fail with the last value seen."""
    deadline = time.monotonic() + within
    value = await probe()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within}s; last value: {value!r}")
        await asyncio.sleep(0.05)
        value = await probe()
    return value


@contextlib.asynccontextmanager
async def running_in_own_task(context: contextlib.AbstractAsyncContextManager[T]) -> AsyncIterator[T]:
    """Enter and exit ``context`` in one dedicated task.

    App lifespans hold anyio cancel scopes, which must be exited by the task that entered them; test
    fixtures set up and tear down in different tasks.
    """
    entered: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()

    async def hold() -> None:
        try:
            async with context as value:
                entered.set_result(value)
                await stop.wait()
        except BaseException as exc:
            if not entered.done():
                entered.set_exception(exc)
            raise

    task = asyncio.create_task(hold())
    try:
        yield await entered
    finally:
        stop.set()
        done, _ = await asyncio.wait({task}, timeout=30)
        if not done:
            for other in asyncio.all_tasks():
                other.print_stack(file=sys.stderr)
            raise AssertionError("the context did not exit within 30 s; every task's stack is on stderr")
        task.result()


def position_changed(sku: str, *, on_hand: int = 10, sequence: int = 1) -> EventEnvelope:
    """A WMS ``inventory.position.changed`` event for ``sku`` at DC-EAST, as the WMS would announce it."""
    position = InventoryPosition.from_states(
        tenant="demo", sku=sku, location_id="DC-EAST", on_hand=on_hand, updated_at=datetime.now(UTC)
    )
    return EventEnvelope.new(
        type=INVENTORY_POSITION_CHANGED,
        tenant="demo",
        aggregate_type="inventory_position",
        aggregate_id=f"DC-EAST/{sku}",
        sequence=sequence,
        payload=position,
    )


async def onboard(settings: Settings, *, scopes: list[str], tenants: list[str] | None = None, **fields: Any) -> Any:
    """Create an OAuth client straight in the gateway's database, as ``omnigate clients create`` does."""
    from gateway.admin.schemas import ClientCreate
    from gateway.oauth.clients import create_client

    spec = msgspec.convert(
        {"name": "test client", "scopes": scopes, "tenants": tenants or ["demo"], **fields}, ClientCreate
    )
    database = Database(settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            return await create_client(session, spec, actor="test")
    finally:
        await database.dispose()


async def fetch_token(gateway: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None) -> str:
    """A token by client_secret_basic; fails the test with the OAuth error if there is none."""
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = await gateway.post("/oauth/token", data=form, auth=(client_id, secret))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token
