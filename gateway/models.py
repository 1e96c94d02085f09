"""The gateway's own tables: OAuth clients and their secrets, signing keys, issued tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from service_kit.database import UtcDateTime, service_metadata

__all__ = [
    "ApiVersionLifecycle",
    "AuditEntry",
    "Brownout",
    "ClientSecret",
    "GatewayBase",
    "IssuedToken",
    "OAuthClient",
    "SigningKey",
    "VersionUsage",
]


class GatewayBase(DeclarativeBase):
    metadata = service_metadata()


class OAuthClient(GatewayBase):
    """A machine client: a storefront, the service portal, a 3PL partner, an internal job."""

    __tablename__ = "gateway_oauth_client"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    """``active``, ``pending`` (self-registered, waiting for an admin) or ``disabled``."""
    auth_method: Mapped[str] = mapped_column(String(32))
    """``client_secret_basic``, ``client_secret_post`` or ``private_key_jwt`` (RFC 7591 names)."""
    allowed_scopes: Mapped[list[str]] = mapped_column(JSON)
    default_scopes: Mapped[list[str]] = mapped_column(JSON)
    tenants: Mapped[list[str]] = mapped_column(JSON)
    plan: Mapped[str] = mapped_column(String(64))
    allowed_versions: Mapped[list[str]] = mapped_column(JSON)
    """``["storefront:v1", ...]``; empty means every version."""
    contacts: Mapped[list[str]] = mapped_column(JSON)
    jwks: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Public keys for ``private_key_jwt``."""
    registered_by: Mapped[str] = mapped_column(String(16))
    """``admin`` or ``self`` (RFC 7591)."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    secrets: Mapped[list[ClientSecret]] = relationship(
        back_populates="client", cascade="all, delete-orphan", lazy="selectin", order_by="ClientSecret.id"
    )


class ClientSecret(GatewayBase):
    """One secret of a client, stored only as a slow hash; a rotated secret keeps working until ``expires_at``."""

    __tablename__ = "gateway_client_secret"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("gateway_oauth_client.client_id", ondelete="CASCADE"))
    secret_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    client: Mapped[OAuthClient] = relationship(back_populates="secrets")


class SigningKey(GatewayBase):
    """A token signing key; the private half is encrypted with the key encryption key from settings."""

    __tablename__ = "gateway_signing_key"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    encrypted_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When a newer key took over signing; the key still verifies until ``retire_at``."""
    retire_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """After this no token it signed can still be valid, so it leaves the JWKS."""


class IssuedToken(GatewayBase):
    """Every access token issued, by ``jti``: for the audit trail, introspection and revocation."""

    __tablename__ = "gateway_issued_token"
    __table_args__ = (Index("ix_gateway_issued_token_client", "client_id"),)

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuditEntry(GatewayBase):
    """Who changed which client or key, when, and how."""

    __tablename__ = "gateway_audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    """``cli``, ``client:<id>`` for an admin API caller, or ``registration``."""
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    """``client:<id>`` or ``key:<kid>``."""
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class ApiVersionLifecycle(GatewayBase):
    """Where a published API version is in its life: ``active`` → ``deprecated`` (with a sunset) → ``retired``.

    A version without a row is active."""

    __tablename__ = "gateway_api_version"

    api: Mapped[str] = mapped_column(String(64), primary_key=True)
    major: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    deprecated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sunset_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """Announced in ``Sunset``; from then on the version answers 410."""
    successor: Mapped[int | None] = mapped_column(Integer)
    link: Mapped[str | None] = mapped_column(String(500))
    """Migration guide, sent as ``Link: <...>; rel="deprecation"``."""
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Brownout(GatewayBase):
    """A window in which a deprecated version answers 410, so its callers notice before the sunset."""

    __tablename__ = "gateway_brownout"
    __table_args__ = (Index("ix_gateway_brownout_version", "api", "major"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api: Mapped[str] = mapped_column(String(64))
    major: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VersionUsage(GatewayBase):
    """How often each client called each API version, and when last: who still has to migrate."""

    __tablename__ = "gateway_version_usage"

    api: Mapped[str] = mapped_column(String(64), primary_key=True)
    major: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_count: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[datetime] = mapped_column(UtcDateTime)
