"""Small waits for eventually-consistent reads (events flow through the outbox and the bus)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import TypeVar

from canonical import InventoryPosition
from canonical.events import INVENTORY_POSITION_CHANGED, EventEnvelope

T = TypeVar("T")


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
        await task


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
