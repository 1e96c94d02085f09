"""Per-client usage of every API version (count, first and last seen), counted in memory on the hot path and
added to the database every few seconds, so ``omnigate versions usage`` shows who still has to migrate."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import VersionUsage
from service_kit.database import Database
from service_kit.events.cancellation import stopping

__all__ = ["UsageRecorder", "version_usage"]

logger = logging.getLogger(__name__)


@dataclass
class _Tally:
    count: int
    first_seen: datetime
    last_seen: datetime


class UsageRecorder:
    def __init__(self, database: Database, *, flush_interval: float = 2.0) -> None:
        self._database = database
        self._flush_interval = flush_interval
        self._pending: dict[tuple[str, int, str], _Tally] = {}

    def record(self, api: str, major: int, client_id: str) -> None:
        now = datetime.now(UTC)
        tally = self._pending.get((api, major, client_id))
        if tally is None:
            self._pending[(api, major, client_id)] = _Tally(1, now, now)
        else:
            tally.count += 1
            tally.last_seen = now

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            async with self._database.transaction() as session:
                for (api, major, client_id), tally in pending.items():
                    await _add(session, api, major, client_id, tally)
        except Exception:
            if stopping():
                raise
            logger.exception("could not record API version usage; will retry")
            for key, tally in pending.items():  # put them back, merged with what arrived meanwhile
                newer = self._pending.get(key)
                if newer is not None:
                    tally.count += newer.count
                    tally.last_seen = newer.last_seen
                self._pending[key] = tally

    @contextlib.asynccontextmanager
    async def flushing(self) -> AsyncIterator[None]:
        """Flush every ``flush_interval`` seconds while the gateway runs, and once more at shutdown."""

        async def loop() -> None:
            while not stopping():
                await asyncio.sleep(self._flush_interval)
                await self.flush()

        task = asyncio.create_task(loop(), name="gateway-version-usage")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await self.flush()


async def _add(session: AsyncSession, api: str, major: int, client_id: str, tally: _Tally) -> None:
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(VersionUsage).values(
        api=api,
        major=major,
        client_id=client_id,
        request_count=tally.count,
        first_seen=tally.first_seen,
        last_seen=tally.last_seen,
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["api", "major", "client_id"],
            set_={
                "request_count": VersionUsage.request_count + statement.excluded.request_count,
                "last_seen": case(
                    (statement.excluded.last_seen > VersionUsage.last_seen, statement.excluded.last_seen),
                    else_=VersionUsage.last_seen,
                ),
            },
        )
    )


async def version_usage(session: AsyncSession, api: str | None = None) -> list[VersionUsage]:
    query = select(VersionUsage).order_by(VersionUsage.api, VersionUsage.major, VersionUsage.last_seen.desc())
    if api is not None:
        query = query.where(VersionUsage.api == api)
    return list((await session.scalars(query)).all())
