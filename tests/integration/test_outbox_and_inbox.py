"""Transactional outbox and consumer inbox on SQLite and PostgreSQL: an event is published if and only if
its change committed, and applied once however often it is delivered."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from canonical.events import EventEnvelope
from canonical.streams import WMS_EVENTS
from process_apis.inventory.models import InventoryInbox, StockPosition
from process_apis.inventory.projections import subscriptions
from service_kit.database import Database
from service_kit.events.bus import InMemoryEventBus
from service_kit.events.outbox import record_event
from service_kit.events.relay import OutboxRelay
from service_kit.settings import Settings
from system_apis.wms.models import WmsOutbox
from tests.helpers import eventually, position_changed


@pytest.fixture
async def database(settings: Settings) -> Database:
    db = Database(settings.database_url_for("wms"))
    yield db  # type: ignore[misc]
    await db.dispose()


async def drain(bus: InMemoryEventBus) -> list[EventEnvelope]:
    await bus.ensure_group(WMS_EVENTS, "probe")
    deliveries = await bus.receive(WMS_EVENTS, "probe", "p", count=1000, block_ms=10, claim_idle_ms=60_000)
    return [d.envelope for d in deliveries]


async def test_event_of_a_rolled_back_change_is_never_published(database: Database) -> None:
    bus = InMemoryEventBus()
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            record_event(
                session, WmsOutbox, stream=WMS_EVENTS, envelope=position_changed("TSHIRT-BLK-M", on_hand=5, sequence=1)
            )
            raise RuntimeError("the business change failed")

    assert await OutboxRelay(database, WmsOutbox, bus).relay_once() == 0
    assert await drain(bus) == []


async def test_committed_event_is_published_once(database: Database) -> None:
    bus = InMemoryEventBus()
    envelope = position_changed("TSHIRT-BLK-M", on_hand=5, sequence=1)
    async with database.transaction() as session:
        record_event(session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)
    relay = OutboxRelay(database, WmsOutbox, bus)

    assert await relay.relay_once() == 1
    assert await relay.relay_once() == 0
    assert await drain(bus) == [envelope]


async def test_concurrent_relays_publish_each_event_once(database: Database) -> None:
    bus = InMemoryEventBus()
    sent = [position_changed(f"SKU-{n}", on_hand=n, sequence=n) for n in range(1, 41)]
    async with database.transaction() as session:
        for envelope in sent:
            record_event(session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)
    relays = [OutboxRelay(database, WmsOutbox, bus, batch_size=7) for _ in range(3)]

    while sum(await asyncio.gather(*(relay.relay_once() for relay in relays))):
        pass

    published = await drain(bus)
    assert sorted(e.event_id for e in published) == sorted(e.event_id for e in sent)


async def test_redelivered_event_is_applied_once_and_stale_event_is_ignored(settings: Settings) -> None:
    database = Database(settings.database_url_for("inventory"))
    try:
        [apply_position, _apply_item] = [s.handler for s in subscriptions(database)]
        newer, older = (
            position_changed("TSHIRT-BLK-M", on_hand=30, sequence=2),
            position_changed("TSHIRT-BLK-M", on_hand=99, sequence=1),
        )

        await apply_position(newer)
        await apply_position(newer)  # a relay that crashed before marking the row republishes it
        await apply_position(older)  # an older count arriving late must not overwrite a newer one

        async with database.transaction() as session:
            position = await session.scalar(select(StockPosition))
            inbox_rows = await session.scalar(select(func.count()).select_from(InventoryInbox))
        assert position is not None
        assert (position.on_hand, position.source_sequence) == (30, 2)
        assert inbox_rows == 2, "each distinct event is recorded once"
    finally:
        await database.dispose()


async def test_events_survive_a_restart_of_a_non_durable_bus(database: Database) -> None:
    """Embedded mode: the in-memory bus dies with the process; the relay replays the outbox into the new one."""
    envelope = position_changed("TSHIRT-BLK-M", on_hand=5, sequence=1)
    async with database.transaction() as session:
        record_event(session, WmsOutbox, stream=WMS_EVENTS, envelope=envelope)
    assert await OutboxRelay(database, WmsOutbox, InMemoryEventBus()).relay_once() == 1  # then the process dies

    restarted = InMemoryEventBus()
    relay = OutboxRelay(database, WmsOutbox, restarted, poll_interval=0.01)
    running = asyncio.create_task(relay.run())
    try:
        replayed = await eventually(lambda: drain(restarted), lambda events: bool(events), within=5)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)

    assert replayed == [envelope]
