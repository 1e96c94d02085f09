"""Tenants: every record and event belongs to exactly one (a brand, shop or legal entity)."""

from typing import Annotated

import msgspec

__all__ = ["TENANT_PATTERN", "TenantId"]

TENANT_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""Lowercase and short, so a tenant id is safe in URLs, Redis keys and stream names as it is."""

TenantId = Annotated[
    str,
    msgspec.Meta(pattern=TENANT_PATTERN, description="Tenant id: lowercase letters, digits and dashes"),
]
