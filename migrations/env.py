"""Alembic environment shared by every service; the service (and so its tables, its database URL and its
version table ``alembic_version_<service>``) comes from ``-x service=NAME`` or the caller's attributes."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from omnigate.catalog import get_service
from service_kit.database import UtcDateTime, ensure_sqlite_directory
from service_kit.settings import Settings

config = context.config
service_name = config.attributes.get("service") or context.get_x_argument(as_dictionary=True).get("service")
if not service_name:
    raise SystemExit("choose a service: alembic -x service=NAME ...")
service = get_service(service_name)
if service.metadata is None:
    raise SystemExit(f"service {service_name!r} has no database")
database_url = config.attributes.get("database_url") or Settings.from_env().database_url_for(service_name)
target_metadata = service.metadata
version_table = f"alembic_version_{service_name}"
ensure_sqlite_directory(database_url)


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Revisions spell column types in plain SQLAlchemy, never our own wrappers (they may change)."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs: object) -> None:
    context.configure(
        render_item=_render_item,
        target_metadata=target_metadata,
        version_table=version_table,
        render_as_batch=True,
        compare_type=True,
        include_name=lambda name, type_, _parent: type_ != "table" or name in target_metadata.tables,
        **kwargs,
    )


def _run_sync(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        # WAL is a property of the file: set it here, while nothing else has the database open.
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        connection.commit()  # end the implicit transaction, so Alembic's own commits the migration
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_sync)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    _configure(url=database_url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
