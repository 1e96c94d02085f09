"""A public API call, ``/{api}/v{major}/...``: who is calling, may they, is the version still served, and may the
request go upstream now; then it is forwarded and its usage of the version counted."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar.datastructures import State

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
from gateway.proxy import IncomingCall, UpstreamAnswer, forward
from gateway.routes import PolicyFile, Route
from gateway.traffic.bulkhead import Bulkheads
from gateway.versions.lifecycle import VersionBook, VersionGone
from gateway.versions.usage import UsageRecorder
from service_kit.http.clients import ServiceClients
from service_kit.problems import Forbidden, Problem

__all__ = ["relay", "serve_public_call"]


async def serve_public_call(state: State, call: IncomingCall, api: str, version: str) -> UpstreamAnswer:
    """The whole policy chain for one call of a routed API, and the upstream's answer to it."""
    policy: PolicyFile = state.policy
    security: GatewaySecurity = state.security
    target, major = policy.table.resolve(api, version)
    call.scope["state"].update(api=api, version=f"v{major}")  # for the access log and the metrics
    identity: list[tuple[str, str]] = []
    caller_key, plan = f"addr:{call.client_host or 'unknown'}", "anonymous"
    client_id, jti = "anonymous", None
    if target.auth == "oauth2":
        caller = await authenticate_bearer(
            call.headers.get("authorization"),
            issuer=security.issuer,
            key_ring=security.key_ring,
            revocations=None,  # asked together with the rate limits, in relay()
            required_scopes=target.required_scopes(call.method, call.path[len(api) + len(version) + 2 :]),
        )
        jti = caller.jti
        try:
            if caller.api_versions and f"{api}:v{major}" not in caller.api_versions:
                raise Forbidden(
                    f"client '{caller.client_id}' may not call {api} v{major}",
                    code="version_not_allowed",
                    extra={"allowed_versions": list(caller.api_versions)},
                )
            tenant = select_tenant(caller, call.headers.get(TENANT_CHOICE_HEADER))
        except Problem:
            await _refuse_if_revoked(security, jti)  # a revoked token hears that first
            raise
        identity = identity_headers(caller, tenant)
        client_id, caller_key = caller.client_id, f"client:{caller.client_id}"
        call.scope["state"]["client_id"] = client_id
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
        answer = await relay(call, state, target, caller=caller_key, plan=plan, identity=identity, jti=jti)
    except InvalidAccessToken:  # revoked: not a call of this version
        raise
    except BaseException:
        usage.record(api, major, client_id)
        raise
    usage.record(api, major, client_id)
    answer.extra_headers.update(lifecycle_headers)
    return answer


async def _refuse_if_revoked(security: GatewaySecurity, jti: str | None) -> None:
    if jti is not None and await security.revocations.is_revoked(jti):
        raise token_revoked()


async def relay(
    call: IncomingCall,
    state: State,
    target: Route,
    *,
    caller: str,
    plan: str,
    identity: list[tuple[str, str]],
    jti: str | None = None,
) -> UpstreamAnswer:
    """Admit the request (token not revoked, shared pool, then the caller's plan), hold a bulkhead slot and
    forward it."""
    policy: PolicyFile = state.policy
    security: GatewaySecurity = state.security
    clients: ServiceClients = state.clients
    quota = await security.admission.admit(policy.current, target, caller=caller, plan_name=plan, jti=jti)
    limits = policy.current.upstream(target.upstream)
    bulkheads: Bulkheads = state.bulkheads
    bulkhead = bulkheads.for_upstream(
        target.upstream, max_concurrency=limits.max_concurrency, queue_timeout=limits.queue_timeout
    )
    try:
        answer = await forward(call, target, clients, identity, bulkhead)
    finally:
        observe_upstream(clients, bulkhead)
    answer.extra_headers.update(quota.headers())
    return answer
