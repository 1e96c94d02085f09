"""``omnigate versions``: deprecation rollouts from a shell; running gateways apply a change within seconds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.routes import DEFAULT_POLICY_FILE, load_policy
from gateway.versions.lifecycle import announce_brownout, deprecate_version, lifecycle_rows, retire_version
from gateway.versions.usage import version_usage
from omnigate.access_commands import echo_json, in_gateway_db
from service_kit.settings import Settings

__all__ = ["versions"]

ACTOR = "cli"
_VERSION = re.compile(r"^v?([1-9][0-9]*)$")


def _moment(value: str) -> datetime:
    """An ISO date (midnight UTC) or date-time (UTC unless it names an offset)."""
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO date or date-time (2027-06-30, 2027-06-30T12:00Z)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _major(value: str) -> int:
    match = _VERSION.match(value)
    if match is None:
        raise click.BadParameter(f"{value!r} is not a version like v1")
    return int(match.group(1))


def _published(settings: Settings, api: str, version: str) -> int:
    """The major version, checked against the route table so a typo cannot deprecate nothing."""
    major = _major(version)
    routes = {route.api: route for route in load_policy(settings.routes_file or DEFAULT_POLICY_FILE).routes}
    if api not in routes or major not in routes[api].versions:
        published = ", ".join(f"{r.api} v{v}" for r in routes.values() for v in r.versions)
        raise click.ClickException(f"{api} v{major} is not in the route table (published: {published})")
    return major


@click.group()
def versions() -> None:
    """API version lifecycles: deprecate, brownout, retire, and who still calls what."""


@versions.command("list")
def list_versions() -> None:
    """Every published version with its lifecycle, one JSON object per line."""

    async def work(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
        states = await lifecycle_rows(session)
        policy = load_policy(settings.routes_file or DEFAULT_POLICY_FILE)
        rows = []
        for route in policy.routes:
            for major in route.versions:
                state = states.get((route.api, major))
                rows.append(
                    {
                        "api": route.api,
                        "version": f"v{major}",
                        "status": state.status if state else "active",
                        "sunset": state.sunset_at.isoformat() if state and state.sunset_at else None,
                        "successor": f"v{state.successor}" if state and state.successor else None,
                        "brownouts": [[s.isoformat(), e.isoformat()] for s, e in state.brownouts] if state else [],
                    }
                )
        return rows

    for row in in_gateway_db(work):
        echo_json(row)


@versions.command("deprecate")
@click.argument("api")
@click.argument("version")
@click.option("--sunset", required=True, help="When it stops answering (ISO date or date-time, UTC).")
@click.option("--successor", default=None, help="The version to migrate to, e.g. v2.")
@click.option("--link", default=None, help="Migration guide URL (sent as Link rel=deprecation).")
def deprecate(api: str, version: str, sunset: str, successor: str | None, link: str | None) -> None:
    """Mark API VERSION deprecated: its responses carry Deprecation, Sunset and Link headers."""
    sunset_at, successor_major = _moment(sunset), _major(successor) if successor else None

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        major = _published(settings, api, version)
        row = await deprecate_version(
            session, api, major, sunset_at=sunset_at, successor=successor_major, link=link, actor=ACTOR
        )
        return {"api": api, "version": f"v{major}", "status": row.status, "sunset": sunset_at.isoformat()}

    echo_json(in_gateway_db(work))


@versions.command("brownout")
@click.argument("api")
@click.argument("version")
@click.option("--start", "start", required=True, help="Window start (ISO date-time, UTC unless an offset is given).")
@click.option("--end", "end", required=True, help="Window end.")
def brownout(api: str, version: str, start: str, end: str) -> None:
    """Schedule a window in which the deprecated API VERSION answers 410."""
    starts_at, ends_at = _moment(start), _moment(end)

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        major = _published(settings, api, version)
        await announce_brownout(session, api, major, starts_at=starts_at, ends_at=ends_at, actor=ACTOR)
        return {"api": api, "version": f"v{major}", "brownout": [starts_at.isoformat(), ends_at.isoformat()]}

    echo_json(in_gateway_db(work))


@versions.command("retire")
@click.argument("api")
@click.argument("version")
def retire(api: str, version: str) -> None:
    """Retire API VERSION now: every call answers 410 Gone naming the successor."""

    async def work(session: AsyncSession, settings: Settings) -> dict[str, Any]:
        major = _published(settings, api, version)
        row = await retire_version(session, api, major, actor=ACTOR)
        return {"api": api, "version": f"v{major}", "status": row.status}

    echo_json(in_gateway_db(work))


@versions.command("usage")
@click.option("--api", default=None, help="Only this API.")
def usage(api: str | None) -> None:
    """Requests per client and version (count, first and last seen): who still has to migrate."""

    async def work(session: AsyncSession, _: Settings) -> list[dict[str, Any]]:
        return [
            {
                "api": row.api,
                "version": f"v{row.major}",
                "client_id": row.client_id,
                "requests": row.request_count,
                "first_seen": row.first_seen.isoformat(),
                "last_seen": row.last_seen.isoformat(),
            }
            for row in await version_usage(session, api)
        ]

    for row in in_gateway_db(work):
        echo_json(row)
