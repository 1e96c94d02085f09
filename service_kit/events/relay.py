"""Publishes committed outbox rows to the bus, oldest first, at least once.

Several relays may run against one PostgreSQL database (one per service process): rows are claimed with
``FOR UPDATE SKIP LOCKED`` so each row is published by one relay at a time. A crash between publish
and commit republishes the row; consumers dedupe on ``event_id`` (see :mod:`service_kit.events.inbox`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from canonical.events import decode_envelope
from service_kit.database import Database
from service_kit.events.bus.base import EventBus
from service_kit.events.cancellation import Shutdown, stopping
from service_kit.events.outbox import OutboxMixin

__all__ = ["OutboxRelay"]

logger = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        outbox: type[OutboxMixin],
        bus: EventBus,
        *,
        poll_interval: float = 0.2,
        batch_size: int = 100,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self._database = database
        self._outbox = outbox
        self._bus = bus
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._retention = retention

    async def relay_once(self) -> int:
        """Publish one batch; returns how many rows were published."""
        outbox = self._outbox
        query = select(outbox).where(outbox.published_at.is_(None)).order_by(outbox.id).limit(self._batch_size)
        if not self._database.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        published = 0
        if self._database.is_sqlite and not await self._anything_to_publish():
            return 0  # SQLite has one writer: an idle relay must not take the write lock every poll
        async with self._database.transaction() as session:
            rows = (await session.scalars(query)).all()
            for row in rows:
                try:
                    await self._bus.publish(row.stream, decode_envelope(row.envelope))
                except Exception:
                    logger.warning("outbox relay could not publish; will retry", exc_info=True)
                    break
                row.published_at = datetime.now(UTC)
                published += 1
        return published

    async def _anything_to_publish(self) -> bool:
        query = select(self._outbox.id).where(self._outbox.published_at.is_(None)).limit(1)
        async with self._database.reading() as session:
            return (await session.scalar(query)) is not None

    async def replay_retained(self) -> int:
        """Publish every retained, already-published row again (for a bus that forgot them)."""
        replayed = 0
        last_id = 0
        while True:
            async with self._database.transaction() as session:
                query = (
                    select(self._outbox)
                    .where(self._outbox.published_at.is_not(None), self._outbox.id > last_id)
                    .order_by(self._outbox.id)
                    .limit(self._batch_size)
                )
                rows = (await session.scalars(query)).all()
            if not rows:
                return replayed
            for row in rows:
                await self._bus.publish(row.stream, decode_envelope(row.envelope))
            replayed += len(rows)
            last_id = rows[-1].id

    async def prune(self) -> int:
        """Delete rows published longer ago than the retention period."""
        cutoff = datetime.now(UTC) - self._retention
        async with self._database.transaction() as session:
            result = await session.execute(delete(self._outbox).where(self._outbox.published_at < cutoff))
        return int(getattr(result, "rowcount", 0) or 0)

    async def run(self, shutdown: Shutdown | None = None) -> None:
        """Relay until asked to stop (or cancelled); a failing database or bus is retried, never fatal."""
        shutdown = shutdown or Shutdown()
        if not self._bus.durable:
            await self.replay_retained()
        cycles = 0
        while not shutdown.requested:
            if stopping():  # a driver may have swallowed our CancelledError and returned normally
                raise asyncio.CancelledError
            try:
                published = await self.relay_once()
                cycles += 1
                if cycles % 3000 == 0:
                    await self.prune()
            except Exception:
                if stopping():
                    raise  # a driver turned our cancellation into its own error: stop, do not retry
                logger.exception("outbox relay cycle failed")
                published = 0
            if published < self._batch_size:
                await shutdown.pause(self._poll_interval)
