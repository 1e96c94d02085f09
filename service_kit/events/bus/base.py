"""The event bus contract: durable streams, consumer groups, acknowledgement, redelivery, dead letters.

Every backend gives the same guarantees, so consumers are written once:

* at-least-once: an event delivered to a group stays pending until acknowledged; if its consumer dies
  or fails, it is redelivered (to any consumer of the group) once it has been idle ``claim_idle_ms``;
* each delivery states its ``attempt``; after ``max_attempts`` the consumer moves it to the stream's
  dead-letter stream, from where it can be inspected and replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import msgspec

from canonical.events import EventEnvelope

__all__ = ["DeadLetter", "Delivery", "EventBus", "dead_letter_stream"]


def dead_letter_stream(stream: str) -> str:
    return f"{stream}:dead"


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery of an event to one consumer of a group."""

    stream: str
    message_id: str
    envelope: EventEnvelope
    attempt: int
    """1 on first delivery, 2 on the first redelivery, and so on."""


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """An event a group gave up on, with why."""

    dead_letter_id: str
    stream: str
    group: str
    message_id: str
    envelope: EventEnvelope
    error: str
    attempts: int
    failed_at: datetime


class EventBus(Protocol):
    """Streams of :class:`EventEnvelope` with consumer groups (Redis Streams semantics)."""

    durable: bool
    """Whether published events survive a restart of this process. The outbox relay replays its
    retained rows into a bus that does not (consumers dedupe), so a restart loses nothing."""

    async def publish(self, stream: str, envelope: EventEnvelope) -> str:
        """Append an event; returns its message id."""
        ...

    async def ensure_group(self, stream: str, group: str) -> None:
        """Create the group (reading from the start of the stream) if it does not exist."""
        ...

    async def receive(
        self, stream: str, group: str, consumer: str, *, count: int, block_ms: int, claim_idle_ms: int
    ) -> list[Delivery]:
        """Events for this consumer: stale pending ones first (redelivery), else new ones."""
        ...

    async def ack(self, delivery: Delivery, group: str) -> None:
        """Mark a delivery processed by the group."""
        ...

    async def dead_letter(self, delivery: Delivery, group: str, error: str) -> None:
        """Move a delivery to the dead-letter stream and acknowledge it, atomically."""
        ...

    async def dead_letters(self, stream: str, *, count: int = 100) -> list[DeadLetter]:
        """The oldest dead letters of a stream."""
        ...

    async def replay(self, stream: str, dead_letter_id: str) -> str:
        """Publish a dead letter to its stream again and remove it from the dead-letter stream."""
        ...

    async def pending_count(self, stream: str, group: str) -> int:
        """Deliveries of the group not yet acknowledged."""
        ...

    async def ping(self) -> None:
        """Raise if the bus is unreachable."""
        ...

    async def aclose(self) -> None: ...
