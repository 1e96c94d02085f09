"""The gateway's public routes: everything under ``/{api}/v{major}/`` is checked and proxied by the route table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Controller, HttpMethod, Request, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response.streaming import ASGIStreamingResponse

from gateway.oauth.access_tokens import (
    TENANT_CHOICE_HEADER,
    authenticate_bearer,
    identity_headers,
    select_tenant,
)
from gateway.oauth.security import GatewaySecurity
from gateway.observability import observe_upstream
from gateway.proxy import forward
from gateway.routes import PolicyFile
from gateway.traffic.bulkhead import Bulkheads
from gateway.versions.lifecycle import VersionBook
from gateway.versions.usage import UsageRecorder
from service_kit.dependencies import Clients
from service_kit.problems import Forbidden

__all__ = ["ProxyController"]

_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


class ProxyController(Controller):
    include_in_schema = False

    @route("/{api:str}/{version:str}/{rest:path}", http_method=_METHODS)
    async def proxy(
        self,
        request: Request[Any, Any, Any],
        state: State,
        clients: Clients,
        api: FromPath[str],
        version: FromPath[str],
    ) -> ASGIStreamingResponse:
        policy: PolicyFile = state.policy
        security: GatewaySecurity = state.security
        target, major = policy.table.resolve(api, version)
        request.state.api, request.state.version = api, f"v{major}"  # for the access log
        identity: list[tuple[str, str]] = []
        caller_key, plan = f"addr:{request.client.host if request.client else 'unknown'}", "anonymous"
        client_id = "anonymous"
        if target.auth == "oauth2":
            caller = await authenticate_bearer(
                request.headers.get("authorization"),
                issuer=security.issuer,
                key_ring=security.key_ring,
                revocations=security.revocations,
                required_scopes=target.required_scopes(request.method),
            )
            if caller.api_versions and f"{api}:v{major}" not in caller.api_versions:
                raise Forbidden(
                    f"client '{caller.client_id}' may not call {api} v{major}",
                    code="version_not_allowed",
                    extra={"allowed_versions": list(caller.api_versions)},
                )
            tenant = select_tenant(caller, request.headers.get(TENANT_CHOICE_HEADER))
            identity = identity_headers(caller, tenant)
            client_id, caller_key = caller.client_id, f"client:{caller.client_id}"
            request.state.client_id = client_id
            plan = await security.admission.plans.plan_of(caller.client_id, fallback=caller.plan)
        usage: UsageRecorder = state.usage
        usage.record(api, major, client_id)
        versions: VersionBook = state.versions
        lifecycle_headers = (await versions.state(api, major)).check(datetime.now(UTC))
        quota = await security.admission.admit(policy.current, target, caller=caller_key, plan_name=plan)
        limits = policy.current.upstream(target.upstream)
        bulkheads: Bulkheads = state.bulkheads
        bulkhead = bulkheads.for_upstream(
            target.upstream, max_concurrency=limits.max_concurrency, queue_timeout=limits.queue_timeout
        )
        try:
            response = await forward(request, target, clients.get(target.upstream), identity, bulkhead)
        finally:
            observe_upstream(clients, bulkhead)
        response.headers.update({**lifecycle_headers, **quota.headers()})
        return response
