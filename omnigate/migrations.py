"""Runs each service's Alembic branch against that service's own database."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config

from omnigate.catalog import SERVICES, get_service
from service_kit.settings import Settings

__all__ = ["alembic_config", "downgrade", "migrated_services", "upgrade"]

ROOT = Path(__file__).resolve().parent.parent


def migrated_services() -> list[str]:
    return [s.name for s in SERVICES if s.metadata is not None]


def alembic_config(service: str, database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["service"] = service
    config.attributes["database_url"] = database_url
    return config


def _prepare(settings: Settings, service: str) -> str:
    get_service(service)
    return settings.database_url_for(service)


def upgrade(settings: Settings, services: Iterable[str] | None = None, revision: str = "head") -> None:
    """Bring each service's database to ``revision`` of its own branch (default: its head)."""
    for service in services or migrated_services():
        target = f"{service}@head" if revision == "head" else revision
        command.upgrade(alembic_config(service, _prepare(settings, service)), target)


def downgrade(settings: Settings, service: str, revision: str) -> None:
    """Take one service's database back to ``revision`` (``base`` removes its tables)."""
    target = f"{service}@{revision}" if revision == "base" else revision
    command.downgrade(alembic_config(service, _prepare(settings, service)), target)
