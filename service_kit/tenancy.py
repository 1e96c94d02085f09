"""Which tenant a request acts for. The gateway sets the header after authenticating the caller and strips
any copy the caller sent, so a service can trust it; a service never serves a request without one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from service_kit.problems import BadRequest, Forbidden

if TYPE_CHECKING:
    from litestar import Request

__all__ = ["CLIENT_ID_HEADER", "SCOPES_HEADER", "TENANTS_HEADER", "TENANT_HEADER", "provide_tenant"]

TENANT_HEADER = "x-omnigate-tenant"
"""The tenant this request acts for."""
TENANTS_HEADER = "x-omnigate-tenants"
"""Every tenant the calling client is bound to (space-separated)."""
CLIENT_ID_HEADER = "x-omnigate-client-id"
SCOPES_HEADER = "x-omnigate-scopes"
_TENANT = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


async def provide_tenant(request: Request[Any, Any, Any]) -> str:
    """Litestar dependency ``tenant``."""
    tenant = request.headers.get(TENANT_HEADER)
    if not tenant:
        raise BadRequest(
            f"header '{TENANT_HEADER}' is required: call this service through the gateway",
            code="missing_tenant",
        )
    if not _TENANT.match(tenant):
        raise BadRequest(f"header '{TENANT_HEADER}' is not a valid tenant id", code="invalid_tenant")
    bound = request.headers.get(TENANTS_HEADER)
    if bound is not None and tenant not in bound.split():
        # Defence in depth: the gateway never sends this, but a misrouted call must not cross tenants.
        raise Forbidden(f"the calling client is not bound to tenant '{tenant}'", code="tenant_forbidden")
    return tenant
