"""The bus contract, on the in-memory backend and on Redis Streams alike."""

from __future__ import annotations

import asyncio

import pytest

from canonical import InventoryPosition
from canonical.events import EventEnvelope
from service_kit.events.bus import EventBus
from service_kit.events.consumer import EventConsumer, Subscription
from tests.helpers import position_changed

STREAM = "wms.events"
GROUP = "inventory"


async def receive(bus: EventBus, consumer: str, *, idle_ms: int = 200) -> list:  # type: ignore[type-arg]
    return await bus.receive(STREAM, GROUP, consumer, count=10, block_ms=50, claim_idle_ms=idle_ms)


async def test_events_reach_the_group_in_order_and_intact(bus: EventBus) -> None:
    await bus.ensure_group(STREAM, GROUP)
    sent = [position_changed(f"SKU-{n}") for n in range(3)]
    for envelope in sent:
        await bus.publish(STREAM, envelope)

    deliveries = await receive(bus, "c1")

    assert [d.envelope for d in deliveries] == sent
    assert all(d.attempt == 1 for d in deliveries)
    assert deliveries[0].envelope.payload_as(InventoryPosition).sku == "SKU-0"


async def test_acknowledged_events_are_not_redelivered(bus: EventBus) -> None:
    await bus.ensure_group(STREAM, GROUP)
    await bus.publish(STREAM, position_changed("SKU-1"))
    [delivery] = await receive(bus, "c1")
    await bus.ack(delivery, GROUP)
    await asyncio.sleep(0.3)

    assert await receive(bus, "c2") == []
    assert await bus.pending_count(STREAM, GROUP) == 0


async def test_unacknowledged_event_is_redelivered_to_another_consumer(bus: EventBus) -> None:
    """A consumer that dies before acking loses nothing: the event goes to the next consumer."""
    await bus.ensure_group(STREAM, GROUP)
    envelope = position_changed("SKU-1")
    await bus.publish(STREAM, envelope)
    [first] = await receive(bus, "crashed-consumer")

    assert await receive(bus, "survivor", idle_ms=5_000) == [], "not redelivered while the first may still work"
    await asyncio.sleep(0.3)
    [again] = await receive(bus, "survivor")

    assert again.envelope == envelope
    assert again.message_id == first.message_id
    assert again.attempt == 2


async def test_groups_are_independent(bus: EventBus) -> None:
    await bus.ensure_group(STREAM, GROUP)
    await bus.ensure_group(STREAM, "audit")
    await bus.publish(STREAM, position_changed("SKU-1"))

    [ours] = await receive(bus, "c1")
    await bus.ack(ours, GROUP)
    theirs = await bus.receive(STREAM, "audit", "a1", count=10, block_ms=50, claim_idle_ms=200)

    assert [d.envelope for d in theirs] == [ours.envelope]


async def test_failing_event_is_dead_lettered_after_max_attempts_and_can_be_replayed(bus: EventBus) -> None:
    handled: list[str] = []
    fail = True

    async def handler(envelope: EventEnvelope) -> None:
        if fail and envelope.payload["sku"] == "POISON":
            raise ValueError("cannot apply")
        handled.append(envelope.payload["sku"])

    consumer = EventConsumer(
        bus, Subscription(STREAM, handler), group=GROUP, consumer="c1", max_attempts=3, block_ms=50, claim_idle_ms=100
    )
    await consumer.start()
    poison = position_changed("POISON")
    await bus.publish(STREAM, poison)
    await bus.publish(STREAM, position_changed("GOOD"))

    for _ in range(40):
        await consumer.consume_once()
        if await bus.dead_letters(STREAM):
            break
        await asyncio.sleep(0.05)

    [dead] = await bus.dead_letters(STREAM)
    assert dead.envelope == poison
    assert dead.attempts == 3
    assert "ValueError: cannot apply" in dead.error
    assert handled == ["GOOD"], "a poison event must not block the events behind it"
    assert await bus.pending_count(STREAM, GROUP) == 0

    fail = False
    await bus.replay(STREAM, dead.dead_letter_id)
    for _ in range(20):
        await consumer.consume_once()
        if "POISON" in handled:
            break

    assert handled == ["GOOD", "POISON"]
    assert await bus.dead_letters(STREAM) == []


async def test_replaying_an_unknown_dead_letter_is_an_error(bus: EventBus) -> None:
    with pytest.raises(KeyError):
        await bus.replay(STREAM, "0-1")


async def test_consumer_ignores_event_types_it_did_not_subscribe_to(bus: EventBus) -> None:
    seen: list[str] = []

    async def handler(envelope: EventEnvelope) -> None:
        seen.append(envelope.type)

    consumer = EventConsumer(
        bus,
        Subscription(STREAM, handler, frozenset({"catalog.item.upserted"})),
        group=GROUP,
        consumer="c1",
        block_ms=50,
    )
    await consumer.start()
    await bus.publish(STREAM, position_changed("SKU-1"))
    await consumer.consume_once()

    assert seen == []
    assert await bus.pending_count(STREAM, GROUP) == 0
