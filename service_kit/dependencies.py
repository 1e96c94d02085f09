"""The dependencies every route may ask for, by name (wired in :func:`service_kit.app.create_service_app`)."""

from __future__ import annotations

from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from service_kit.http.clients import ServiceClients

__all__ = ["Clients", "DbSession", "Tenant"]

DbSession = NamedDependency[AsyncSession]
"""``db_session``: the request's transaction, committed only if the handler succeeds."""
Tenant = NamedDependency[str]
"""``tenant``: the tenant the gateway authenticated the caller for."""
Clients = NamedDependency[ServiceClients]
"""``clients``: pooled, traced, resilient clients to other services."""
