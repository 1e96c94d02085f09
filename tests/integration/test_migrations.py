"""Every service's Alembic branch upgrades and downgrades on SQLite and PostgreSQL, and matches its models."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from omnigate import migrations
from omnigate.catalog import get_service
from service_kit.settings import Settings
from tests.conftest import fast_settings


async def table_names(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def model_drift(url: str, service: str) -> list[object]:
    metadata = get_service(service).metadata
    assert metadata is not None
    engine = create_async_engine(url)

    def compare(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(
            sync_connection,  # type: ignore[arg-type]
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, _p: type_ != "table" or name in metadata.tables,
            },
        )
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", migrations.migrated_services())
async def test_branch_upgrades_downgrades_and_matches_models(database_url: str, tmp_path, service: str) -> None:
    settings: Settings = fast_settings(tmp_path, database_url=database_url)
    own_tables = set(get_service(service).metadata.tables)  # type: ignore[union-attr]

    await asyncio.to_thread(migrations.upgrade, settings, [service])
    assert own_tables <= await table_names(database_url)
    assert await model_drift(database_url, service) == [], "models changed without a migration"

    await asyncio.to_thread(migrations.downgrade, settings, service, "base")
    assert not own_tables & await table_names(database_url)

    await asyncio.to_thread(migrations.upgrade, settings, [service])
    assert own_tables <= await table_names(database_url)


async def test_branches_are_independent(database_url: str, tmp_path) -> None:
    """Services sharing one database (as in development) never touch each other's tables or versions."""
    settings = fast_settings(tmp_path, database_url=database_url)
    await asyncio.to_thread(migrations.upgrade, settings)
    await asyncio.to_thread(migrations.downgrade, settings, "wms", "base")

    tables = await table_names(database_url)
    assert "erp_item" in tables and "inventory_stock_position" in tables
    assert "wms_inventory_position" not in tables
