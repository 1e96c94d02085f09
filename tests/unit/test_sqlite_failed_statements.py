"""A statement that failed on SQLite must not leave its cursor for the garbage collector to free on the event loop's
thread: if its connection is by then waiting for the write lock, freeing it waits for that connection, the loop
stops, the lock holder can never commit and the waiter fails "database is locked" after the whole busy timeout."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from service_kit.database import Database


async def test_a_failed_statement_does_not_stop_the_event_loop_while_its_connection_waits_for_the_lock(
    tmp_path: Path,
) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    collecting = gc.isenabled()
    gc.disable()  # the collector runs where the test says, not at a random allocation
    try:
        async with database.transaction() as session:
            await session.execute(text("CREATE TABLE claim (key TEXT PRIMARY KEY)"))
            await session.execute(text("INSERT INTO claim VALUES ('first')"))
        async with database.transaction() as session:  # a redelivered key, as run_once meets it
            try:
                async with session.begin_nested():
                    await session.execute(text("INSERT INTO claim VALUES ('first')"))
            except IntegrityError:
                pass

        async with database.reading() as reader:  # keeps that connection out of the pool for now
            await reader.execute(text("SELECT 1"))
            holder = database.sessions()
            await holder.begin()
            await holder.execute(text("INSERT INTO claim VALUES ('holder')"))  # a second connection takes the lock
        waiter = asyncio.create_task(_write(database, "waiter"))  # the first connection, now waiting for the lock
        await asyncio.sleep(0.3)

        gc.collect()  # frees the failed statement's cursor: without the fix this waits until the waiter gives up
        await holder.commit()
        await holder.close()
        await asyncio.wait_for(waiter, timeout=10)
    finally:
        if collecting:
            gc.enable()
        await database.dispose()

    async with database.reading() as session:
        keys = (await session.scalars(text("SELECT key FROM claim ORDER BY key"))).all()
    await database.dispose()
    assert keys == ["first", "holder", "waiter"]


async def _write(database: Database, key: str) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO claim VALUES (:key)"), {"key": key})
