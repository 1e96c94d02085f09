"""What the admin API and ``omnigate clients`` accept and show. Secrets appear once, in the answer that
created them, and never again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from canonical.tenancy import TenantId

__all__ = [
    "AuditEntryView",
    "AuthMethod",
    "ClientCreate",
    "ClientCreated",
    "ClientStatus",
    "ClientUpdate",
    "ClientView",
    "SecretInfo",
    "SecretRotated",
    "SecretRotation",
]

AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
ClientStatus = Literal["active", "pending", "disabled"]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Scope = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$")]
VersionRef = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]*:v[1-9][0-9]*$", examples=["storefront:v1"])]
Plan = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]{0,63}$")]
Contact = Annotated[str, msgspec.Meta(min_length=3, max_length=320)]


class ClientCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Name
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
    """Scopes the client may ever be granted."""
    tenants: Annotated[list[TenantId], msgspec.Meta(min_length=1)]
    """Tenants the client acts for; its tokens are good for these and no others."""
    default_scopes: list[Scope] | None = None
    """Granted when a token request names no scope; default: every allowed scope."""
    plan: Plan = "standard"
    """Rate-limit plan."""
    allowed_versions: list[VersionRef] = msgspec.field(default_factory=list)
    """API versions the client may call (``storefront:v1``); empty means all."""
    contacts: list[Contact] = msgspec.field(default_factory=list)
    token_endpoint_auth_method: AuthMethod = "client_secret_basic"
    jwks: dict[str, Any] | None = None
    """Public keys (a JWK Set) for ``private_key_jwt``."""


class ClientUpdate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Only the fields present change. ``status: active`` approves a pending client."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    status: Literal["active", "disabled"] | msgspec.UnsetType = msgspec.UNSET
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)] | msgspec.UnsetType = msgspec.UNSET
    default_scopes: list[Scope] | msgspec.UnsetType = msgspec.UNSET
    tenants: Annotated[list[TenantId], msgspec.Meta(min_length=1)] | msgspec.UnsetType = msgspec.UNSET
    plan: Plan | msgspec.UnsetType = msgspec.UNSET
    allowed_versions: list[VersionRef] | msgspec.UnsetType = msgspec.UNSET
    contacts: list[Contact] | msgspec.UnsetType = msgspec.UNSET
    jwks: dict[str, Any] | msgspec.UnsetType = msgspec.UNSET


class SecretInfo(msgspec.Struct, kw_only=True):
    created_at: datetime
    expires_at: datetime | None
    """When a rotated-out secret stops working; ``null`` for the current one."""


class ClientView(msgspec.Struct, kw_only=True):
    client_id: str
    name: str
    status: ClientStatus
    token_endpoint_auth_method: AuthMethod
    scopes: list[str]
    default_scopes: list[str]
    tenants: list[str]
    plan: str
    allowed_versions: list[str]
    contacts: list[str]
    registered_by: Literal["admin", "self"]
    secrets: list[SecretInfo]
    has_jwks: bool
    created_at: datetime
    updated_at: datetime


class ClientCreated(ClientView, kw_only=True):
    client_secret: str | None
    """Shown only here; store it now. ``null`` for ``private_key_jwt`` clients."""


class SecretRotation(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    grace_seconds: Annotated[int, msgspec.Meta(ge=0, le=30 * 86_400)] = 86_400
    """How long the previous secrets keep working (0: they stop now)."""


class SecretRotated(msgspec.Struct, kw_only=True):
    client_id: str
    client_secret: str
    previous_secrets_expire_at: datetime


class AuditEntryView(msgspec.Struct, kw_only=True):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]
