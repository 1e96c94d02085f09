"""The one way a service is built: :func:`create_service_app` gives every service the same health
routes, problem details, tracing, database transaction, upstream clients, outbox relay and consumers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.types import ControllerRouterHandler

from service_kit.database import Database, provide_transaction
from service_kit.events.bus.base import EventBus
from service_kit.events.cancellation import SHUTDOWN_GRACE, Shutdown, stop_gracefully
from service_kit.events.consumer import EventConsumer, Subscription
from service_kit.events.outbox import OutboxMixin
from service_kit.events.relay import OutboxRelay
from service_kit.health import ReadinessCheck, build_health_controller
from service_kit.http.clients import ServiceClients
from service_kit.http.registry import ServiceRegistry
from service_kit.problems import problem_exception_handlers
from service_kit.settings import Settings
from service_kit.telemetry import configure_tracing, stamp_trace_id
from service_kit.tenancy import provide_tenant

if TYPE_CHECKING:
    from sqlalchemy import MetaData

__all__ = [
    "ApiVersion",
    "ServiceDefinition",
    "ServiceRuntime",
    "create_service_app",
    "database_check",
    "provide_clients",
]

Layer = Literal["gateway", "system", "process", "experience"]


@dataclass(frozen=True)
class ServiceRuntime:
    """What the process running a service hands it: settings, where the other services are, the bus."""

    settings: Settings
    registry: ServiceRegistry
    bus: EventBus


@dataclass(frozen=True)
class ApiVersion:
    """A published API: ``/{name}/v{major}/...`` with its contract in ``openapi/{name}.v{major}.json``."""

    name: str
    major: int

    @property
    def prefix(self) -> str:
        return f"/{self.name}/v{self.major}"


@dataclass(frozen=True)
class ServiceDefinition:
    """What the CLI, the embedded runner and the tools know about one service."""

    name: str
    layer: Layer
    create_app: Callable[[ServiceRuntime], Litestar]
    apis: tuple[ApiVersion, ...] = ()
    metadata: MetaData | None = None
    """The service's tables; ``None`` for a service without a database."""
    default_port: int = 8000


SubscriptionFactory = Callable[[Database], Sequence[Subscription]]


async def database_check(state: State) -> None:
    await state.database.ping()


async def _bus_check(state: State) -> None:
    await state.bus.ping()


async def provide_clients(state: State) -> ServiceClients:
    """Litestar dependency ``clients``: the pooled clients to other services."""
    clients: ServiceClients = state.clients
    return clients


def create_service_app(
    *,
    name: str,
    runtime: ServiceRuntime,
    route_handlers: Sequence[ControllerRouterHandler],
    title: str,
    version: str = "1.0.0",
    description: str = "",
    uses_database: bool = True,
    outbox: type[OutboxMixin] | None = None,
    subscriptions: SubscriptionFactory | None = None,
    readiness_checks: Sequence[ReadinessCheck] = (),
    health_checks_readiness: bool = False,
    lifespan: Sequence[Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]] = (),
    middleware: Sequence[Any] = (),
) -> Litestar:
    """Build a service's Litestar app; business code only brings its routes, tables and consumers.

    ``lifespan`` hooks run after the service's own start-up (database, clients, bus are in ``app.state``).
    """
    settings = runtime.settings
    configure_tracing(name, settings.otel_exporter, settings.otlp_endpoint)
    uses_bus = outbox is not None or subscriptions is not None
    checks = [
        *([ReadinessCheck("database", database_check)] if uses_database else []),
        *([ReadinessCheck("bus", _bus_check)] if uses_bus else []),
        *readiness_checks,
    ]

    @contextlib.asynccontextmanager
    async def service_lifespan(app: Litestar) -> AsyncIterator[None]:
        database = Database(settings.database_url_for(name)) if uses_database else None
        clients = ServiceClients(runtime.registry, settings.http)
        app.state.update(database=database, clients=clients, bus=runtime.bus, service_name=name, settings=settings)
        tasks: list[asyncio.Task[None]] = []
        shutdown = Shutdown()
        try:
            if database is not None and outbox is not None:
                relay = OutboxRelay(database, outbox, runtime.bus, poll_interval=settings.outbox_poll_interval)
                tasks.append(asyncio.create_task(relay.run(shutdown), name=f"{name}-outbox-relay"))
            if database is not None and subscriptions is not None:
                for subscription in subscriptions(database):
                    consumer = EventConsumer(
                        runtime.bus,
                        subscription,
                        group=name,
                        consumer=f"{name}-{socket.gethostname()}-{os.getpid()}",
                        max_attempts=settings.bus_max_attempts,
                        block_ms=settings.bus_block_ms,
                        claim_idle_ms=settings.bus_claim_idle_ms,
                    )
                    tasks.append(
                        asyncio.create_task(consumer.run(shutdown), name=f"{name}-consume-{subscription.stream}")
                    )
            yield
        finally:
            await stop_gracefully(tasks, shutdown, grace=settings.bus_block_ms / 1000 + SHUTDOWN_GRACE)
            await clients.aclose()
            if database is not None:
                await database.dispose()

    dependencies: dict[str, Any] = {
        "tenant": Provide(provide_tenant),
        "clients": Provide(provide_clients),
    }
    if uses_database:
        dependencies["db_session"] = Provide(provide_transaction)

    return Litestar(
        route_handlers=[
            build_health_controller(checks, liveness_checks_readiness=health_checks_readiness),
            *route_handlers,
        ],
        dependencies=dependencies,
        exception_handlers=problem_exception_handlers(),
        before_send=[stamp_trace_id],
        lifespan=[service_lifespan, *lifespan],
        middleware=list(middleware),
        request_max_body_size=settings.max_request_body,
        openapi_config=OpenAPIConfig(title=title, version=version, description=description or None),
        logging_config=None,
    )
