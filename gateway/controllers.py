"""The gateway's public routes: everything under ``/{api}/v{major}/`` is checked and proxied by the route table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, HttpMethod, Request, route
from litestar.datastructures import State
from litestar.response.base import ASGIResponse

from gateway.oauth.access_tokens import (
    TENANT_CHOICE_HEADER,
    InvalidAccessToken,
    authenticate_bearer,
    identity_headers,
    select_tenant,
    token_revoked,
)
from gateway.oauth.security import GatewaySecurity
from gateway.observability import observe_upstream
from gateway.proxy import forward
from gateway.routes import PolicyFile, Route
from gateway.traffic.bulkhead import Bulkheads
from gateway.versions.lifecycle import VersionBook, VersionGone
from gateway.versions.usage import UsageRecorder
from service_kit.dependencies import Clients
from service_kit.problems import Forbidden, Problem

__all__ = ["ProxyController", "relay"]

_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


class ProxyController(Controller):
    include_in_schema = False

    @route("/{api:str}/{version:str}/{rest:path}", http_method=_METHODS)
    async def proxy(self, request: Request[Any, Any, Any]) -> ASGIResponse:
        # Only the request is injected: the hot path skips Litestar's dependency resolution and parameter parsing.
        api: str = request.path_params["api"]
        version: str = request.path_params["version"]
        state = request.app.state
        clients: Clients = state.clients
        policy: PolicyFile = state.policy
        security: GatewaySecurity = state.security
        target, major = policy.table.resolve(api, version)
        request.state.api, request.state.version = api, f"v{major}"  # for the access log
        identity: list[tuple[str, str]] = []
        caller_key, plan = f"addr:{request.client.host if request.client else 'unknown'}", "anonymous"
        client_id, jti = "anonymous", None
        if target.auth == "oauth2":
            caller = await authenticate_bearer(
                request.headers.get("authorization"),
                issuer=security.issuer,
                key_ring=security.key_ring,
                revocations=None,  # asked together with the rate limits, in relay()
                required_scopes=target.required_scopes(request.method, request.url.path[len(f"/{api}/{version}") :]),
            )
            jti = caller.jti
            try:
                if caller.api_versions and f"{api}:v{major}" not in caller.api_versions:
                    raise Forbidden(
                        f"client '{caller.client_id}' may not call {api} v{major}",
                        code="version_not_allowed",
                        extra={"allowed_versions": list(caller.api_versions)},
                    )
                tenant = select_tenant(caller, request.headers.get(TENANT_CHOICE_HEADER))
            except Problem:
                await _refuse_if_revoked(security, jti)  # a revoked token hears that first
                raise
            identity = identity_headers(caller, tenant)
            client_id, caller_key = caller.client_id, f"client:{caller.client_id}"
            request.state.client_id = client_id
            plan = await security.admission.plans.plan_of(caller.client_id)
        usage: UsageRecorder = state.usage
        versions: VersionBook = state.versions
        try:
            lifecycle_headers = (await versions.state(api, major)).check(datetime.now(UTC))
        except VersionGone:
            await _refuse_if_revoked(security, jti)
            usage.record(api, major, client_id)
            raise
        try:
            response = await relay(
                request, state, clients, target, caller=caller_key, plan=plan, identity=identity, jti=jti
            )
        except InvalidAccessToken:  # revoked: not a call of this version
            raise
        except BaseException:
            usage.record(api, major, client_id)
            raise
        usage.record(api, major, client_id)
        response.headers.update(lifecycle_headers)
        return response


async def _refuse_if_revoked(security: GatewaySecurity, jti: str | None) -> None:
    if jti is not None and await security.revocations.is_revoked(jti):
        raise token_revoked()


async def relay(
    request: Request[Any, Any, Any],
    state: State,
    clients: Clients,
    target: Route,
    *,
    caller: str,
    plan: str,
    identity: list[tuple[str, str]],
    jti: str | None = None,
) -> ASGIResponse:
    """Admit the request (token not revoked, shared pool, then the caller's plan), hold a bulkhead slot and
    forward it."""
    policy: PolicyFile = state.policy
    security: GatewaySecurity = state.security
    quota = await security.admission.admit(policy.current, target, caller=caller, plan_name=plan, jti=jti)
    limits = policy.current.upstream(target.upstream)
    bulkheads: Bulkheads = state.bulkheads
    bulkhead = bulkheads.for_upstream(
        target.upstream, max_concurrency=limits.max_concurrency, queue_timeout=limits.queue_timeout
    )
    try:
        response = await forward(request, target, clients.get(target.upstream), identity, bulkhead)
    finally:
        observe_upstream(clients, bulkhead)
    response.headers.update(quota.headers())
    return response
