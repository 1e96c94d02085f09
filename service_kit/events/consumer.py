"""Runs one consumer of one stream for a service: receive, handle, acknowledge, or dead-letter.

A handler that raises leaves the event pending; the bus redelivers it after ``claim_idle_ms``
(to this or another process of the service). After ``max_attempts`` deliveries it goes to the
dead-letter stream. Handlers must be idempotent; :func:`service_kit.events.inbox.claim_event` makes
that one line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from canonical.events import EventEnvelope
from service_kit.events.bus.base import Delivery, EventBus
from service_kit.events.cancellation import Shutdown, stopping
from service_kit.telemetry import continued_trace

__all__ = ["EventConsumer", "EventHandler", "Subscription"]

logger = logging.getLogger(__name__)

EventHandler = Callable[[EventEnvelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A service's interest in a stream: which events, and what to do with them."""

    stream: str
    handler: EventHandler
    event_types: frozenset[str] | None = None
    """Types to handle; others are acknowledged and ignored. ``None`` means all."""


class EventConsumer:
    def __init__(
        self,
        bus: EventBus,
        subscription: Subscription,
        *,
        group: str,
        consumer: str,
        max_attempts: int = 5,
        block_ms: int = 1000,
        claim_idle_ms: int = 5000,
        batch_size: int = 50,
    ) -> None:
        self.bus = bus
        self.subscription = subscription
        self.group = group
        self.consumer = consumer
        self.max_attempts = max_attempts
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.batch_size = batch_size

    async def start(self) -> None:
        await self.bus.ensure_group(self.subscription.stream, self.group)

    async def consume_once(self) -> int:
        """Handle one batch; returns how many deliveries were settled (acked or dead-lettered)."""
        deliveries = await self.bus.receive(
            self.subscription.stream,
            self.group,
            self.consumer,
            count=self.batch_size,
            block_ms=self.block_ms,
            claim_idle_ms=self.claim_idle_ms,
        )
        settled = 0
        for delivery in deliveries:
            settled += await self._settle(delivery)
        return settled

    async def _settle(self, delivery: Delivery) -> int:
        envelope = delivery.envelope
        wanted = self.subscription.event_types
        if wanted is not None and envelope.type not in wanted:
            await self.bus.ack(delivery, self.group)
            return 1
        with continued_trace(
            f"consume {envelope.type}",
            envelope.trace_id,  # the producer's trace: the event carries its id
            attributes={"messaging.system": "omnigate", "messaging.destination.name": delivery.stream},
        ):
            try:
                await self.subscription.handler(envelope)
            except Exception as exc:
                extra = {"event_id": str(envelope.event_id), "event_type": envelope.type}
                if delivery.attempt >= self.max_attempts:
                    logger.exception("event dead-lettered after %s attempts", delivery.attempt, extra=extra)
                    await self.bus.dead_letter(delivery, self.group, f"{type(exc).__name__}: {exc}")
                    return 1
                logger.warning("event handling failed (attempt %s); will retry", delivery.attempt, extra=extra)
                return 0
        await self.bus.ack(delivery, self.group)
        return 1

    async def run(self, shutdown: Shutdown | None = None) -> None:
        """Consume until asked to stop (or cancelled): the delivery in hand is finished first. An unreachable bus
        is retried with backoff, never fatal."""
        shutdown = shutdown or Shutdown()
        delay = 0.1
        while not shutdown.requested:
            try:
                await self.start()
                while not shutdown.requested:
                    if stopping():  # a driver may have swallowed our CancelledError and returned normally
                        raise asyncio.CancelledError
                    await self.consume_once()
                    delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception:
                if stopping():
                    raise  # a driver turned our cancellation into its own error: stop, do not restart
                logger.exception("consumer of %s failed; restarting", self.subscription.stream)
                await shutdown.pause(delay)
                delay = min(delay * 2, 5.0)
