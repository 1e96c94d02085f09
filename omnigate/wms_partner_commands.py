"""``omnigate wms-partners``: onboard 3PL partners that deliver signed shipment confirmations to
``POST /webhooks/3pl/{partner}``, and rotate their webhook secrets (two stay valid during the grace period).

They write to the WMS's database directly, so they work with the product running or not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from omnigate.access_commands import _duration, echo_json
from service_kit.database import Database
from service_kit.problems import Problem
from service_kit.settings import ConfigurationError, Settings
from system_apis.wms.partners import PartnerService
from system_apis.wms.signatures import DELIVERY_ID_HEADER, SIGNATURE_HEADER

__all__ = ["wms_partners"]

T = TypeVar("T")


def _in_wms_db(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> T:
        database = Database(settings.database_url_for("wms"))
        try:
            async with database.transaction() as session:
                return await work(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except Problem as exc:
        raise click.ClickException(exc.detail) from exc


def _with_secret(partner: Any, secret: str) -> dict[str, Any]:
    return {
        **msgspec.to_builtins(partner),
        "webhook_secret": secret,
        "webhook_url": f"/webhooks/3pl/{partner.code}",
        "signature_header": SIGNATURE_HEADER,
        "delivery_id_header": DELIVERY_ID_HEADER,
    }


@click.group("wms-partners")
def wms_partners() -> None:
    """3PL partners: onboard, list, rotate webhook secrets."""


@wms_partners.command("add")
@click.argument("code")
@click.option("--tenant", required=True, help="The tenant whose fulfillment requests the partner confirms.")
@click.option("--name", required=True, help="Who the partner is, e.g. 'Acme Logistics'.")
@click.option("--secret", default=None, help="Use this webhook secret instead of a generated one.")
def add(code: str, tenant: str, name: str, secret: str | None) -> None:
    """Onboard a partner; prints one JSON object with its webhook_secret (shown only now). Set the partner as
    ``operator`` of the locations it runs (PUT /wms/v1/locations/{code})."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        partner, issued = await PartnerService(session).add(code, tenant=tenant, name=name, secret=secret)
        return _with_secret(partner, issued)

    echo_json(_in_wms_db(work))


@wms_partners.command("rotate-secret")
@click.argument("code")
@click.option("--grace", default="24h", show_default=True, help="How long the old secret keeps working (0 = stop now).")
def rotate_secret(code: str, grace: str) -> None:
    """Issue a new webhook secret (printed once); the old one works until the grace period ends."""
    period = _duration(grace)

    async def work(session: AsyncSession) -> dict[str, Any]:
        partner, issued = await PartnerService(session).rotate_secret(code, grace=period)
        return _with_secret(partner, issued)

    echo_json(_in_wms_db(work))


@wms_partners.command("list")
@click.option("--tenant", default=None, help="Only this tenant's partners.")
def list_partners(tenant: str | None) -> None:
    """One JSON object per line, without secrets."""

    async def work(session: AsyncSession) -> list[Any]:
        return await PartnerService(session).list_partners(tenant)

    for partner in _in_wms_db(work):
        echo_json(partner)
