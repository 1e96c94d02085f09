"""``omnigate clients``, ``omnigate keys`` and ``omnigate audit``: onboarding and key rotation from a shell.

They write to the gateway's database directly (as the admin API does), so they work with the product
running or not; a running gateway picks up key changes within its refresh interval.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.admin.schemas import ClientCreate, ClientUpdate
from gateway.audit import audit_entries
from gateway.oauth.clients import (
    client_view,
    create_client,
    delete_client,
    get_client,
    list_clients,
    rotate_client_secret,
    update_client,
)
from gateway.oauth.signing_keys import SIGNING_ALGORITHMS, KeyEncryption, published_keys, rotate_signing_key
from service_kit.database import Database
from service_kit.problems import Problem
from service_kit.settings import ConfigurationError, Settings

__all__ = ["audit", "clients", "echo_json", "in_gateway_db", "keys"]

T = TypeVar("T")
ACTOR = "cli"
_DURATION = re.compile(r"^(?P<amount>\d+)(?P<unit>[smhd]?)$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def in_gateway_db(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction on the gateway's database; problems become CLI errors."""
    settings = _settings()

    async def run() -> T:
        database = Database(settings.database_url_for("gateway"))
        try:
            async with database.transaction() as session:
                return await work(session, settings)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except Problem as exc:
        raise click.ClickException(exc.detail) from exc
    except msgspec.ValidationError as exc:
        raise click.ClickException(str(exc)) from exc


def echo_json(value: Any) -> None:
    sys.stdout.write(msgspec.json.encode(value).decode() + "\n")


def _duration(value: str) -> timedelta:
    match = _DURATION.match(value.strip())
    if match is None:
        raise click.BadParameter(f"{value!r} is not a duration like 0, 90s, 30m, 24h or 7d")
    return timedelta(seconds=int(match["amount"]) * _UNITS[match["unit"]])


@click.group()
def clients() -> None:
    """OAuth clients: onboard, inspect, rotate secrets, approve, disable, delete."""


@clients.command("create")
@click.option("--name", required=True, help="Who the client is, e.g. 'Acme storefront'.")
@click.option("--scopes", required=True, help='Space-separated allowed scopes, e.g. "storefront:read orders:write".')
@click.option("--tenant", "tenants", multiple=True, required=True, help="A tenant the client acts for (repeatable).")
@click.option("--plan", default="standard", show_default=True, help="Rate-limit plan.")
@click.option("--default-scopes", default=None, help="Scopes granted when a token request names none (default: all).")
@click.option(
    "--version", "versions", multiple=True, help="Restrict to an API version, e.g. storefront:v1 (repeatable)."
)
@click.option("--contact", "contacts", multiple=True, help="Contact e-mail (repeatable).")
@click.option(
    "--auth-method",
    type=click.Choice(["client_secret_basic", "client_secret_post", "private_key_jwt"]),
    default="client_secret_basic",
    show_default=True,
)
@click.option("--jwks", "jwks_file", type=click.File(), default=None, help="JWK Set file (private_key_jwt clients).")
def create(
    name: str,
    scopes: str,
    tenants: tuple[str, ...],
    plan: str,
    default_scopes: str | None,
    versions: tuple[str, ...],
    contacts: tuple[str, ...],
    auth_method: str,
    jwks_file: Any,
) -> None:
    """Onboard a client; prints one JSON object with its client_id and client_secret (shown only now)."""
    spec = msgspec.convert(
        {
            "name": name,
            "scopes": scopes.split(),
            "tenants": list(tenants),
            "plan": plan,
            "default_scopes": default_scopes.split() if default_scopes is not None else None,
            "allowed_versions": list(versions),
            "contacts": list(contacts),
            "token_endpoint_auth_method": auth_method,
            "jwks": msgspec.json.decode(jwks_file.read()) if jwks_file else None,
        },
        ClientCreate,
    )
    echo_json(in_gateway_db(lambda session, _: create_client(session, spec, actor=ACTOR)))


@clients.command("list")
def list_() -> None:
    """Every client, one JSON object per line."""

    async def work(session: AsyncSession, _: Settings) -> list[Any]:
        return [client_view(client) for client in await list_clients(session)]

    for view in in_gateway_db(work):
        echo_json(view)


@clients.command("show")
@click.argument("client_id")
def show(client_id: str) -> None:
    async def work(session: AsyncSession, _: Settings) -> Any:
        return client_view(await get_client(session, client_id))

    echo_json(in_gateway_db(work))


@clients.command("rotate-secret")
@click.argument("client_id")
@click.option("--grace", default="24h", show_default=True, help="How long the old secret keeps working (0 = stop now).")
def rotate_secret(client_id: str, grace: str) -> None:
    """Issue a new secret (printed once); the old one works until the grace period ends."""
    period = _duration(grace)
    echo_json(in_gateway_db(lambda session, _: rotate_client_secret(session, client_id, grace=period, actor=ACTOR)))


def _set_status(client_id: str, status: str) -> None:
    async def work(session: AsyncSession, _: Settings) -> Any:
        return client_view(await update_client(session, client_id, ClientUpdate(status=status), actor=ACTOR))  # type: ignore[arg-type]

    echo_json(in_gateway_db(work))


@clients.command("approve")
@click.argument("client_id")
def approve(client_id: str) -> None:
    """Let a self-registered (pending) client get tokens."""
    _set_status(client_id, "active")


@clients.command("enable")
@click.argument("client_id")
def enable(client_id: str) -> None:
    _set_status(client_id, "active")


@clients.command("disable")
@click.argument("client_id")
def disable(client_id: str) -> None:
    """Refuse the client's authentication from now on (tokens it holds expire as usual; revoke them to stop
    them sooner)."""
    _set_status(client_id, "disabled")


@clients.command("delete")
@click.argument("client_id")
def delete(client_id: str) -> None:
    async def work(session: AsyncSession, _: Settings) -> None:
        await delete_client(session, client_id, actor=ACTOR)

    in_gateway_db(work)
    click.echo(f"deleted {client_id}", err=True)


@click.group()
def keys() -> None:
    """Token signing keys."""


@keys.command("rotate")
@click.option("--alg", type=click.Choice(SIGNING_ALGORITHMS), default="RS256", show_default=True)
def rotate(alg: str) -> None:
    """Add a new active signing key; the previous one verifies until its last token expires, then retires."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        key = await rotate_signing_key(
            session,
            KeyEncryption.from_settings(settings),
            alg=alg,  # type: ignore[arg-type]
            token_ttl=settings.access_token_ttl,
            actor=ACTOR,
        )
        return {"kid": key.kid, "alg": key.alg, "created_at": key.created_at.isoformat()}

    echo_json(in_gateway_db(work))


@keys.command("list")
def list_keys() -> None:
    """Keys still published in the JWKS, newest (the signing one) first."""

    async def work(session: AsyncSession, _: Settings) -> list[dict[str, Any]]:
        return [
            {
                "kid": key.kid,
                "alg": key.alg,
                "status": "active" if key.superseded_at is None else "verifying",
                "retire_at": key.retire_at.isoformat() if key.retire_at else None,
            }
            for key in await published_keys(session, datetime.now(UTC))
        ]

    for row in in_gateway_db(work):
        echo_json(row)


@click.command()
@click.option("--subject", default=None, help="Only entries about client:<id> or key:<kid>.")
@click.option("--limit", type=int, default=100, show_default=True)
def audit(subject: str | None, limit: int) -> None:
    """The audit log of client and key changes, newest first."""

    async def work(session: AsyncSession, _: Settings) -> list[dict[str, Any]]:
        return [
            {
                "occurred_at": e.occurred_at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "detail": e.detail,
            }
            for e in await audit_entries(session, subject=subject, limit=limit)
        ]

    for row in in_gateway_db(work):
        echo_json(row)
