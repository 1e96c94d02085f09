"""Which tenant a request acts for. The gateway sets the header after authenticating the caller and strips
any copy the caller sent, so a service can trust it; a service never serves a request without one."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from service_kit.problems import BadRequest

if TYPE_CHECKING:
    from litestar import Request

__all__ = ["TENANT_HEADER", "provide_tenant"]

TENANT_HEADER = "x-omnigate-tenant"
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
    return tenant
