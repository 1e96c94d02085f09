"""In-process event bus for embedded mode, with the same group, redelivery and dead-letter rules as Redis."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from canonical.events import EventEnvelope
from service_kit.events.bus.base import DeadLetter, Delivery, dead_letter_stream

__all__ = ["InMemoryEventBus"]


@dataclass
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass
class _Group:
    next_index: int = 0
    pending: dict[str, _Pending] = field(default_factory=dict)


@dataclass
class _Stream:
    ids: list[str] = field(default_factory=list)
    envelopes: dict[str, EventEnvelope] = field(default_factory=dict)
    groups: dict[str, _Group] = field(default_factory=dict)
    dead: dict[str, DeadLetter] = field(default_factory=dict)


class InMemoryEventBus:
    """Streams held in memory, gone when the process exits; the outbox relay replays its retained rows
    into a fresh bus at start (see ``EventBus.durable``), so events in flight at a crash are not lost."""

    durable = False

    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()

    def _stream(self, name: str) -> _Stream:
        return self._streams.setdefault(name, _Stream())

    def _next_id(self) -> str:
        return f"{int(time.time() * 1000)}-{next(self._ids)}"

    async def publish(self, stream: str, envelope: EventEnvelope) -> str:
        message_id = self._next_id()
        target = self._stream(stream)
        target.ids.append(message_id)
        target.envelopes[message_id] = envelope
        async with self._changed:
            self._changed.notify_all()
        return message_id

    async def ensure_group(self, stream: str, group: str) -> None:
        self._stream(stream).groups.setdefault(group, _Group())

    async def receive(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int, claim_idle_ms: int
    ) -> list[Delivery]:
        await self.ensure_group(stream, group)
        deadline = time.monotonic() + block_ms / 1000
        while True:
            deliveries = self._claim_stale(stream, group, consumer, count, claim_idle_ms)
            if not deliveries:
                deliveries = self._read_new(stream, group, consumer, count)
            remaining = deadline - time.monotonic()
            if deliveries or remaining <= 0:
                return deliveries
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, claim_idle_ms / 1000))

    def _claim_stale(self, stream: str, group: str, consumer: str, count: int, idle_ms: int) -> list[Delivery]:
        source = self._stream(stream)
        state = source.groups[group]
        now = time.monotonic()
        claimed: list[Delivery] = []
        for message_id, pending in list(state.pending.items()):
            if len(claimed) >= count:
                break
            if (now - pending.delivered_at) * 1000 < idle_ms:
                continue
            pending.consumer, pending.delivered_at = consumer, now
            pending.deliveries += 1
            claimed.append(
                Delivery(
                    stream=stream,
                    message_id=message_id,
                    envelope=source.envelopes[message_id],
                    attempt=pending.deliveries,
                )
            )
        return claimed

    def _read_new(self, stream: str, group: str, consumer: str, count: int) -> list[Delivery]:
        source = self._stream(stream)
        state = source.groups[group]
        new_ids = source.ids[state.next_index : state.next_index + count]
        state.next_index += len(new_ids)
        now = time.monotonic()
        for message_id in new_ids:
            state.pending[message_id] = _Pending(consumer=consumer, delivered_at=now, deliveries=1)
        return [Delivery(stream=stream, message_id=mid, envelope=source.envelopes[mid], attempt=1) for mid in new_ids]

    async def ack(self, delivery: Delivery, group: str) -> None:
        self._stream(delivery.stream).groups[group].pending.pop(delivery.message_id, None)

    async def dead_letter(self, delivery: Delivery, group: str, error: str) -> None:
        dead_id = self._next_id()
        self._stream(dead_letter_stream(delivery.stream)).dead[dead_id] = DeadLetter(
            dead_letter_id=dead_id,
            stream=delivery.stream,
            group=group,
            message_id=delivery.message_id,
            envelope=delivery.envelope,
            error=error,
            attempts=delivery.attempt,
            failed_at=datetime.now(UTC),
        )
        await self.ack(delivery, group)

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        return list(self._stream(dead_letter_stream(stream)).dead.values())[:count]

    async def replay(self, stream: str, dead_letter_id: str) -> str:
        dead = self._stream(dead_letter_stream(stream)).dead.pop(dead_letter_id, None)
        if dead is None:
            raise KeyError(f"no dead letter {dead_letter_id!r} on stream {stream!r}")
        return await self.publish(stream, dead.envelope)

    async def pending_count(self, stream: str, group: str) -> int:
        state = self._stream(stream).groups.get(group)
        return 0 if state is None else len(state.pending)

    async def ping(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
