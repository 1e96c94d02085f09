"""``/admin/v1/versions``: lifecycles and per-client usage of every API version (scope ``admin:versions``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import QueryParameter

from gateway.admin.controllers import require_scope
from gateway.contracts.documents import OAUTH2_SCHEME
from gateway.routes import PolicyFile
from gateway.versions.lifecycle import lifecycle_rows
from gateway.versions.usage import version_usage
from service_kit.dependencies import DbSession
from service_kit.problems import problem_responses

__all__ = ["VersionAdminController", "VersionUsageView", "VersionView"]


class VersionView(msgspec.Struct, kw_only=True):
    api: str
    version: str
    status: str
    """``active``, ``deprecated`` or ``retired``."""
    deprecated_at: datetime | None
    sunset_at: datetime | None
    successor: str | None
    brownouts: list[tuple[datetime, datetime]]


class VersionUsageView(msgspec.Struct, kw_only=True):
    api: str
    version: str
    client_id: str
    """``anonymous`` for calls to public routes."""
    requests: int
    first_seen: datetime
    last_seen: datetime


_ADMIN_PROBLEMS = problem_responses(400, 401, 403)
"""Declared on every handler: Litestar takes ``responses`` per handler, not per controller."""


class VersionAdminController(Controller):
    path = "/admin/v1/versions"
    guards = [require_scope]
    security = [{OAUTH2_SCHEME: ["admin:versions"]}]
    tags = ["admin"]

    @get("/", responses=_ADMIN_PROBLEMS)
    async def index(self, state: State, db_session: DbSession) -> list[VersionView]:
        policy: PolicyFile = state.policy
        states = await lifecycle_rows(db_session)
        views = []
        for route in policy.current.routes:
            for major in route.versions:
                lifecycle = states.get((route.api, major))
                views.append(
                    VersionView(
                        api=route.api,
                        version=f"v{major}",
                        status=lifecycle.status if lifecycle else "active",
                        deprecated_at=lifecycle.deprecated_at if lifecycle else None,
                        sunset_at=lifecycle.sunset_at if lifecycle else None,
                        successor=f"v{lifecycle.successor}" if lifecycle and lifecycle.successor else None,
                        brownouts=list(lifecycle.brownouts) if lifecycle else [],
                    )
                )
        return views

    @get("/usage", responses=_ADMIN_PROBLEMS)
    async def usage(
        self,
        db_session: DbSession,
        api: Annotated[str | None, QueryParameter(description="Only this API")] = None,
    ) -> list[VersionUsageView]:
        """Requests per client and version, newest first per version: who still has to migrate."""
        return [
            VersionUsageView(
                api=row.api,
                version=f"v{row.major}",
                client_id=row.client_id,
                requests=row.request_count,
                first_seen=row.first_seen,
                last_seen=row.last_seen,
            )
            for row in await version_usage(db_session, api)
        ]
