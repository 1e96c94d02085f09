"""``omnigate``: run the product, one service, migrations, seeds, contracts and dead letters."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from omnigate import contracts, migrations
from omnigate.access_commands import audit, clients, keys
from omnigate.catalog import SERVICES, get_service
from omnigate.demo import seed_demo
from omnigate.runtime import build_bus, run_server, serve_embedded, serve_one, serve_workers
from omnigate.version_commands import versions
from omnigate.wms_partner_commands import wms_partners
from service_kit.events.bus import EventBus
from service_kit.settings import ConfigurationError, Settings

__all__ = ["main"]


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """Omnigate: retail integration middleware."""


@main.command()
@click.option("--host", default=None, help="Interface to bind (OMNIGATE_HOST, default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Gateway port (OMNIGATE_PORT, default 8000).")
@click.option("--seed/--no-seed", default=True, show_default=True, help="Load demo data into empty databases.")
def up(host: str | None, port: int | None, seed: bool) -> None:
    """Run the whole product in one process: SQLite, in-memory bus, gateway on 127.0.0.1:8000."""
    settings = _settings(host=host, port=port)
    migrations.upgrade(settings)
    if seed:
        seeded = asyncio.run(seed_demo(settings))
        if any(seeded.values()):
            click.echo(f"seeded demo data into: {', '.join(n for n, done in seeded.items() if done)}", err=True)
    run_server(serve_embedded(settings))


@main.command()
@click.argument("name", type=click.Choice([s.name for s in SERVICES]))
@click.option("--host", default=None, help="Interface to bind (OMNIGATE_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: the service's own, see `omnigate services`).")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes sharing the port (one core each); the gateway needs OMNIGATE_REDIS_URL for more than one.",
)
def serve(name: str, host: str | None, port: int | None, workers: int) -> None:
    """Run one service alone, pointed at its database and Redis by OMNIGATE_* variables."""
    settings = _settings(host=host, port=port or get_service(name).default_port)
    if workers == 1:
        run_server(serve_one(name, settings))
        return
    try:
        serve_workers(name, settings, workers)
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
def services() -> None:
    """List the services with their layer, default port and published APIs."""
    for service in SERVICES:
        apis = " ".join(api.prefix for api in service.apis) or "-"
        click.echo(f"{service.name:<12} {service.layer:<11} {service.default_port:<6} {apis}")


@main.group()
def db() -> None:
    """Database migrations (one Alembic branch per service)."""


@db.command("upgrade")
@click.option("--service", "names", multiple=True, help="Only these services (default: all with a database).")
def db_upgrade(names: tuple[str, ...]) -> None:
    """Migrate each service's own database to its latest revision."""
    migrations.upgrade(_settings(), names or None)


@db.command("downgrade")
@click.option("--service", "name", required=True, help="The service whose database to downgrade.")
@click.argument("revision")
def db_downgrade(name: str, revision: str) -> None:
    """Take one service's database back to REVISION (``base`` drops its tables)."""
    migrations.downgrade(_settings(), name, revision)


@main.command()
@click.option("--tenant", default="demo", show_default=True)
def seed(tenant: str) -> None:
    """Load demo data into empty databases (the running services announce it through their outboxes)."""
    result = asyncio.run(seed_demo(_settings(), tenant))
    click.echo(json.dumps(result))


@main.group()
def openapi() -> None:
    """Published OpenAPI contracts."""


@openapi.command("export")
@click.option("--out", type=click.Path(path_type=Path), default=Path("openapi"), show_default=True)
@click.option("--check", is_flag=True, help="Fail if the committed contracts differ from the code.")
def openapi_export(out: Path, check: bool) -> None:
    """Write openapi/{api}.v{major}.json for every API, and the canonical JSON Schemas."""
    if check:
        if breaking := contracts.breaking_contracts(out):
            raise click.ClickException(str(contracts.BreakingChange(breaking)))
        stale = contracts.stale_contracts(out)
        if stale:
            raise click.ClickException(f"stale contracts (run `omnigate openapi export`): {', '.join(stale)}")
        click.echo("contracts are up to date")
        return
    try:
        written = contracts.export_contracts(out)
    except contracts.BreakingChange as exc:
        raise click.ClickException(f"{exc}\nkeep the published version compatible, or add a new major version") from exc
    for path in written:
        click.echo(str(path))


@main.group()
def dlq() -> None:
    """Dead-lettered events: what a consumer gave up on, and replaying it once the cause is fixed.

    Reads the bus the services use (``OMNIGATE_BUS=redis``, ``OMNIGATE_REDIS_URL``, ``OMNIGATE_BUS_PREFIX``).
    """


def _distributed_bus() -> EventBus:
    settings = _settings()
    if settings.bus != "redis":
        raise click.ClickException(
            "the embedded bus lives inside the `omnigate up` process, so its dead letters cannot be read from "
            "another one; run the services on Redis (OMNIGATE_BUS=redis, OMNIGATE_REDIS_URL) to use the DLQ tools"
        )
    return build_bus(settings)


@dlq.command("list")
@click.argument("streams", nargs=-1)
@click.option("--count", type=int, default=100, show_default=True, help="At most this many per stream")
def dlq_list(streams: tuple[str, ...], count: int) -> None:
    """Print the dead letters of STREAMS (every event stream when none is named), one JSON object per line."""
    from canonical import streams as known

    names = streams or tuple(getattr(known, name) for name in known.__all__)

    async def _run() -> None:
        import msgspec

        bus = _distributed_bus()
        try:
            for stream in names:
                for dead in await bus.dead_letters(stream, count=count):
                    sys.stdout.write(msgspec.json.encode(dead).decode() + "\n")
        finally:
            await bus.aclose()

    asyncio.run(_run())


@dlq.command("replay")
@click.argument("stream")
@click.argument("dead_letter_id")
def dlq_replay(stream: str, dead_letter_id: str) -> None:
    """Publish a dead letter to STREAM again (consumers dedupe, so replaying is safe); prints its new id."""

    async def _run() -> str:
        bus = _distributed_bus()
        try:
            return await bus.replay(stream, dead_letter_id)
        except KeyError as exc:
            raise click.ClickException(str(exc).strip("'\"")) from exc
        finally:
            await bus.aclose()

    click.echo(asyncio.run(_run()))


main.add_command(clients)
main.add_command(keys)
main.add_command(audit)
main.add_command(versions)
main.add_command(wms_partners)
