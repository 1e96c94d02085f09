"""One async engine per service, and a transaction per request that commits only when the handler succeeds.

We do not use the SQLAlchemy plugin's ``autocommit`` before-send handler: it commits while the response
is already starting and only logs a failed commit, so a lost write could still answer 2xx. Here the
commit runs as the request's dependency cleanup, before the response is sent; if it fails, the caller
gets a problem response and nothing is half-written.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite
import sqlalchemy.ext.asyncio as sqlalchemy_asyncio
from sqlalchemy import DateTime, Dialect, MetaData, TypeDecorator, event, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.util import await_only

if TYPE_CHECKING:
    from litestar.datastructures import State
    from sqlalchemy.engine import ExceptionContext

__all__ = [
    "NAMING_CONVENTION",
    "Database",
    "UtcDateTime",
    "ensure_sqlite_directory",
    "provide_transaction",
    "service_metadata",
]

logger = logging.getLogger(__name__)
_READ_ONLY = "omnigate_read_only"

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back an aware UTC datetime (SQLite stores none)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("store aware datetimes only (UTC)")
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def service_metadata() -> MetaData:
    """A service's own metadata, so its Alembic branch sees only its own tables."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def ensure_sqlite_directory(url: str) -> None:
    """SQLite creates the file but not its directory; a fresh checkout has neither."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """The engine and session factory of one service's database (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        ensure_sqlite_directory(url)
        engine_args: dict[str, Any] = {"echo": echo, "pool_pre_ping": not self.is_sqlite}
        if self.is_sqlite:
            engine_args["connect_args"] = {"timeout": 30}
        else:
            engine_args.update(pool_size=10, max_overflow=20)
        # Looked up at call time so the OpenTelemetry SQLAlchemy instrumentation's wrapper applies.
        self.engine: AsyncEngine = sqlalchemy_asyncio.create_async_engine(url, **engine_args)
        if self.is_sqlite:
            _serialize_sqlite_writers(self.engine)
        self._reader = self.engine.execution_options(**{_READ_ONLY: True})
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any exception."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only session. On SQLite it starts a deferred transaction, so it never queues behind a
        writer (WAL readers see the last commit); a request may use one while its own write transaction
        holds the lock."""
        async with self.sessions(bind=self._reader) as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    """Make SQLite take its write lock at BEGIN (and wait for it) instead of failing on upgrade.

    pysqlite's deferred transactions fail with "database is locked" when two readers both try to
    write; ``BEGIN IMMEDIATE`` queues them behind ``busy_timeout`` instead. WAL keeps readers unblocked.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() != "wal":
            _switch_to_wal(cursor)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "handle_error")
    def _on_error(context: ExceptionContext) -> None:
        _close_failed_cursors(context.original_exception)


def _close_failed_cursors(error: BaseException) -> None:
    """Close the driver cursor of a statement that failed now, on its connection's thread.

    SQLAlchemy's aiosqlite adapter does not close it: the frames of the error's traceback keep it, in a reference
    cycle, until the garbage collector frees it on the event loop's thread. Freeing an open sqlite3 cursor resets its
    statement, which takes its connection's mutex, and by then the connection may be back in the pool and waiting
    for the write lock: its driver thread holds that mutex while SQLite's busy handler sleeps. The event loop stops,
    so the transaction that holds the lock can never commit, and the waiter fails "database is locked" after the
    whole ``busy_timeout``. A closed cursor is freed without touching its connection.
    """
    cursors: dict[int, aiosqlite.Cursor] = {}
    trace = error.__traceback__
    while trace is not None:  # the locals of the frames it left (running frames do not show theirs)
        found = (v for v in gc.get_referents(trace.tb_frame) if isinstance(v, aiosqlite.Cursor))
        cursors.update((id(cursor), cursor) for cursor in found)
        trace = trace.tb_next
    for cursor in cursors.values():
        closing = cursor.close()
        with contextlib.suppress(Exception):  # its connection is gone: nothing left to reset
            await_only(closing)
        closing.close()  # a no-op once awaited


def _switch_to_wal(cursor: Any) -> None:
    """Migrations put every service database in WAL mode; this covers a file they did not create.
    The switch needs an exclusive lock and SQLite does not wait for it, so under contention we stay in
    rollback-journal mode (writers are still serialized by ``BEGIN IMMEDIATE``; readers just wait more)."""
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        logger.warning("SQLite database busy; not switched to WAL (run `omnigate db upgrade` first)")


async def provide_transaction(state: State) -> AsyncIterator[AsyncSession]:
    """Litestar dependency: the request's transaction (see the module docstring)."""
    database: Database = state.database
    async with database.transaction() as session:
        yield session
