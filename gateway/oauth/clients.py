"""The client registry: onboarding, secret rotation, approval, disabling and deletion, each audited.

The admin API, ``omnigate clients`` and self-registration (RFC 7591) all go through these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.schemas import ClientCreate, ClientCreated, ClientUpdate, ClientView, SecretInfo, SecretRotated
from gateway.audit import record_audit
from gateway.models import ClientSecret, OAuthClient
from gateway.oauth.client_secrets import generate_client_id, generate_client_secret, hash_secret
from gateway.oauth.scopes import unknown_scopes
from service_kit.problems import BadRequest, NotFound

__all__ = [
    "ClientRecord",
    "UnknownClient",
    "client_view",
    "create_client",
    "delete_client",
    "get_client",
    "list_clients",
    "load_client_record",
    "rotate_client_secret",
    "update_client",
]


class UnknownClient(NotFound):
    code = "unknown_client"


@dataclass(frozen=True)
class ClientRecord:
    """A client as the token endpoint sees it: loaded before authlib runs, so authlib needs no database."""

    client_id: str
    status: str
    auth_method: str
    allowed_scopes: tuple[str, ...]
    default_scopes: tuple[str, ...]
    tenants: tuple[str, ...]
    plan: str
    allowed_versions: tuple[str, ...]
    secret_hashes: tuple[str, ...]
    """Hashes of the secrets that still work (the current one and any in their grace period)."""
    jwks: dict[str, Any] | None


def _now() -> datetime:
    return datetime.now(UTC)


def _check_scopes(allowed: list[str], default: list[str] | None) -> list[str]:
    if unknown := unknown_scopes(allowed):
        raise BadRequest(f"unknown scopes: {', '.join(unknown)}", code="invalid_client_metadata")
    default = list(dict.fromkeys(default if default is not None else allowed))
    if extra := sorted(set(default) - set(allowed)):
        raise BadRequest(
            f"default_scopes must be allowed scopes; not allowed: {', '.join(extra)}", code="invalid_client_metadata"
        )
    return default


def _check_jwks(method: str, jwks: dict[str, Any] | None) -> None:
    if method != "private_key_jwt":
        return
    if not jwks:
        raise BadRequest("private_key_jwt clients need 'jwks' with their public keys", code="invalid_client_metadata")
    try:
        keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise BadRequest(f"'jwks' is not a valid JWK Set: {exc}", code="invalid_client_metadata") from exc
    if any(key.is_private for key in keys.keys):
        raise BadRequest("'jwks' must hold public keys only", code="invalid_client_metadata")


async def create_client(
    session: AsyncSession,
    spec: ClientCreate,
    *,
    actor: str,
    status: str = "active",
    registered_by: str = "admin",
) -> ClientCreated:
    default_scopes = _check_scopes(spec.scopes, spec.default_scopes)
    _check_jwks(spec.token_endpoint_auth_method, spec.jwks)
    now = _now()
    client = OAuthClient(
        client_id=generate_client_id(),
        name=spec.name,
        status=status,
        auth_method=spec.token_endpoint_auth_method,
        allowed_scopes=list(dict.fromkeys(spec.scopes)),
        default_scopes=default_scopes,
        tenants=list(dict.fromkeys(spec.tenants)),
        plan=spec.plan,
        allowed_versions=spec.allowed_versions,
        contacts=spec.contacts,
        jwks=spec.jwks,
        registered_by=registered_by,
        created_at=now,
        updated_at=now,
        secrets=[],
    )
    secret: str | None = None
    if spec.token_endpoint_auth_method != "private_key_jwt":
        secret = generate_client_secret()
        client.secrets.append(ClientSecret(secret_hash=hash_secret(secret), created_at=now, expires_at=None))
    session.add(client)
    record_audit(
        session,
        actor=actor,
        action="client.created",
        subject=f"client:{client.client_id}",
        name=spec.name,
        status=status,
        scopes=client.allowed_scopes,
        tenants=client.tenants,
        plan=spec.plan,
    )
    await session.flush()
    view = client_view(client)
    return ClientCreated(**msgspec.structs.asdict(view), client_secret=secret)


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await session.get(OAuthClient, client_id)
    if client is None:
        raise UnknownClient(f"there is no client '{client_id}'")
    return client


async def list_clients(session: AsyncSession) -> list[OAuthClient]:
    return list((await session.scalars(select(OAuthClient).order_by(OAuthClient.created_at))).all())


async def update_client(session: AsyncSession, client_id: str, changes: ClientUpdate, *, actor: str) -> OAuthClient:
    client = await get_client(session, client_id)
    changed = {name: value for name, value in msgspec.structs.asdict(changes).items() if value is not msgspec.UNSET}
    if not changed:
        return client
    allowed = changed.get("scopes", client.allowed_scopes)
    default = changed.get("default_scopes")
    if default is None:
        default = [s for s in client.default_scopes if s in allowed] or allowed
    changed["default_scopes"] = _check_scopes(allowed, default)
    if "scopes" in changed:
        changed["allowed_scopes"] = changed.pop("scopes")
    if "jwks" in changed:
        _check_jwks(client.auth_method, changed["jwks"])
    previous_status = client.status
    for name, value in changed.items():
        setattr(client, name, value)
    client.updated_at = _now()
    action = "client.updated"
    if "status" in changed and changed["status"] != previous_status:
        action = {"active": "client.approved" if previous_status == "pending" else "client.enabled"}.get(
            changed["status"], "client.disabled"
        )
    record_audit(session, actor=actor, action=action, subject=f"client:{client_id}", changes=_jsonable(changed))
    await session.flush()
    return client


async def rotate_client_secret(session: AsyncSession, client_id: str, *, grace: timedelta, actor: str) -> SecretRotated:
    """A new secret; the old ones keep working for ``grace``, so callers can roll over without downtime."""
    client = await get_client(session, client_id)
    if client.auth_method == "private_key_jwt":
        raise BadRequest(
            "this client authenticates with private_key_jwt: rotate its keys by updating 'jwks'",
            code="no_client_secret",
        )
    now = _now()
    expires_at = now + grace
    for previous in client.secrets:
        if previous.expires_at is None or previous.expires_at > expires_at:
            previous.expires_at = expires_at
    secret = generate_client_secret()
    client.secrets.append(ClientSecret(secret_hash=hash_secret(secret), created_at=now, expires_at=None))
    client.updated_at = now
    record_audit(
        session,
        actor=actor,
        action="client.secret_rotated",
        subject=f"client:{client_id}",
        previous_secrets_expire_at=expires_at.isoformat(),
    )
    await session.flush()
    return SecretRotated(client_id=client_id, client_secret=secret, previous_secrets_expire_at=expires_at)


async def delete_client(session: AsyncSession, client_id: str, *, actor: str) -> None:
    client = await get_client(session, client_id)
    await session.delete(client)
    record_audit(session, actor=actor, action="client.deleted", subject=f"client:{client_id}", name=client.name)
    await session.flush()


async def load_client_record(session: AsyncSession, client_id: str) -> ClientRecord | None:
    client = await session.get(OAuthClient, client_id)
    if client is None:
        return None
    now = _now()
    return ClientRecord(
        client_id=client.client_id,
        status=client.status,
        auth_method=client.auth_method,
        allowed_scopes=tuple(client.allowed_scopes),
        default_scopes=tuple(client.default_scopes),
        tenants=tuple(client.tenants),
        plan=client.plan,
        allowed_versions=tuple(client.allowed_versions),
        secret_hashes=tuple(s.secret_hash for s in client.secrets if s.expires_at is None or s.expires_at > now),
        jwks=client.jwks,
    )


def client_view(client: OAuthClient) -> ClientView:
    return ClientView(
        client_id=client.client_id,
        name=client.name,
        status=client.status,  # type: ignore[arg-type]
        token_endpoint_auth_method=client.auth_method,  # type: ignore[arg-type]
        scopes=client.allowed_scopes,
        default_scopes=client.default_scopes,
        tenants=client.tenants,
        plan=client.plan,
        allowed_versions=client.allowed_versions,
        contacts=client.contacts,
        registered_by=client.registered_by,  # type: ignore[arg-type]
        secrets=[SecretInfo(created_at=s.created_at, expires_at=s.expires_at) for s in client.secrets],
        has_jwks=client.jwks is not None,
        created_at=client.created_at,
        updated_at=client.updated_at,
    )


def _jsonable(changes: dict[str, Any]) -> dict[str, Any]:
    return {name: ("<jwks>" if name == "jwks" else value) for name, value in changes.items()}
