"""``/admin/v1``: client onboarding and the audit log, for callers holding ``admin:clients``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.connection import ASGIConnection
from litestar.handlers import HTTPRouteHandler
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody, PathParameter, QueryParameter

from gateway.admin.schemas import (
    AuditEntryView,
    ClientCreate,
    ClientCreated,
    ClientUpdate,
    ClientView,
    SecretRotated,
    SecretRotation,
)
from gateway.audit import audit_entries
from gateway.contracts.documents import OAUTH2_SCHEME
from gateway.oauth.access_tokens import Identity, authenticate_bearer
from gateway.oauth.clients import (
    client_view,
    create_client,
    delete_client,
    get_client,
    list_clients,
    rotate_client_secret,
    update_client,
)
from gateway.oauth.security import GatewaySecurity
from service_kit.dependencies import DbSession
from service_kit.problems import problem_responses

__all__ = ["ClientAdminController", "require_scope"]

ADMIN_SCOPE = "admin:clients"


async def require_scope(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Guard: a valid token carrying the scopes the handler's OpenAPI ``security`` names (one source for both);
    the identity lands in the request state."""
    required = handler.resolve_security() if isinstance(handler, HTTPRouteHandler) else []
    security: GatewaySecurity = connection.app.state.security
    connection.state.identity = await authenticate_bearer(
        connection.headers.get("authorization"),
        issuer=security.issuer,
        key_ring=security.key_ring,
        revocations=security.revocations,
        required_scopes=[scope for requirement in required for scope in requirement.get(OAUTH2_SCHEME, [])],
    )


def _actor(request: Request[Any, Any, Any]) -> str:
    identity: Identity = request.state.identity
    return f"client:{identity.client_id}"


ClientId = Annotated[str, PathParameter(description="The client's id (``cl_...``).")]


_ADMIN_PROBLEMS = problem_responses(400, 401, 403, 404)
"""Declared on every handler: Litestar takes ``responses`` per handler, not per controller."""


class ClientAdminController(Controller):
    path = "/admin/v1"
    guards = [require_scope]
    security = [{OAUTH2_SCHEME: [ADMIN_SCOPE]}]
    tags = ["admin"]

    @post("/clients", status_code=201, responses=_ADMIN_PROBLEMS)
    async def create(
        self, request: Request[Any, Any, Any], db_session: DbSession, data: JSONBody[ClientCreate]
    ) -> ClientCreated:
        """Onboard a client; the answer holds its secret, shown this once."""
        return await create_client(db_session, data, actor=_actor(request))

    @get("/clients", responses=_ADMIN_PROBLEMS)
    async def index(self, db_session: DbSession) -> list[ClientView]:
        return [client_view(client) for client in await list_clients(db_session)]

    @get("/clients/{client_id:str}", responses=_ADMIN_PROBLEMS)
    async def show(self, db_session: DbSession, client_id: ClientId) -> ClientView:
        return client_view(await get_client(db_session, client_id))

    @patch("/clients/{client_id:str}", responses=_ADMIN_PROBLEMS)
    async def update(
        self, request: Request[Any, Any, Any], db_session: DbSession, client_id: ClientId, data: JSONBody[ClientUpdate]
    ) -> ClientView:
        """Change scopes, tenants, plan or versions; ``status: active`` approves a pending client."""
        return client_view(await update_client(db_session, client_id, data, actor=_actor(request)))

    @post("/clients/{client_id:str}/secret", status_code=201, responses=_ADMIN_PROBLEMS)
    async def rotate_secret(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        client_id: ClientId,
        data: JSONBody[SecretRotation],
    ) -> SecretRotated:
        """A new secret; the previous ones keep working for ``grace_seconds``."""
        return await rotate_client_secret(
            db_session, client_id, grace=timedelta(seconds=data.grace_seconds), actor=_actor(request)
        )

    @delete("/clients/{client_id:str}", status_code=204, responses=_ADMIN_PROBLEMS)
    async def remove(self, request: Request[Any, Any, Any], db_session: DbSession, client_id: ClientId) -> None:
        await delete_client(db_session, client_id, actor=_actor(request))

    @get("/audit", responses=_ADMIN_PROBLEMS)
    async def audit_log(
        self,
        db_session: DbSession,
        subject: Annotated[str | None, QueryParameter(description="``client:<id>`` or ``key:<kid>``")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AuditEntryView]:
        """Every change to a client or a signing key, newest first."""
        entries = await audit_entries(db_session, subject=subject, limit=limit)
        return [
            AuditEntryView(
                id=e.id, occurred_at=e.occurred_at, actor=e.actor, action=e.action, subject=e.subject, detail=e.detail
            )
            for e in entries
        ]
