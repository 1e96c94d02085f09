"""Runs services: all in one process (embedded) or one per process (distributed).

Both modes build the same apps; only the registry's transports and the bus backend differ.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

import uvicorn
from litestar import Litestar
from litestar.types import ASGIApp

from omnigate.catalog import SERVICES, get_service
from service_kit.app import ServiceDefinition, ServiceRuntime
from service_kit.events.bus import EventBus, InMemoryEventBus, RedisEventBus
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import ConfigurationError, Settings
from service_kit.telemetry import configure_logging, configure_tracing, instrument_asgi

__all__ = ["EmbeddedProduct", "build_bus", "serve_embedded", "serve_one"]

logger = logging.getLogger(__name__)


def build_bus(settings: Settings) -> EventBus:
    if settings.bus == "redis":
        if not settings.redis_url:
            raise ConfigurationError("OMNIGATE_BUS=redis needs OMNIGATE_REDIS_URL")
        return RedisEventBus.from_url(settings.redis_url, prefix=settings.bus_prefix)
    return InMemoryEventBus()


class EmbeddedProduct:
    """Every service's app in this process, wired to each other through in-process ASGI transports."""

    def __init__(self, settings: Settings, services: Sequence[ServiceDefinition] = SERVICES) -> None:
        self.settings = settings
        self.bus = build_bus(settings)
        self.registry = ServiceRegistry(settings.service_urls)
        runtime = ServiceRuntime(settings=settings, registry=self.registry, bus=self.bus)
        self.apps: dict[str, Litestar] = {}
        self.asgi: dict[str, ASGIApp] = {}
        for service in services:
            app = service.create_app(runtime)
            self.apps[service.name] = app
            self.asgi[service.name] = instrument_asgi(app)
            self.registry.register_app(service.name, self.asgi[service.name])

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[EmbeddedProduct]:
        """Start every app's lifespan (databases, relays, consumers), upstreams first."""
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_callback(self.bus.aclose)  # closed last, after every consumer has stopped
            for app in self.apps.values():
                await stack.enter_async_context(app.lifespan())
            yield self


async def serve_embedded(settings: Settings) -> None:
    """``omnigate up``: the whole product in one process, the gateway on ``host:port``."""
    configure_logging("omnigate", level=settings.log_level, fmt=settings.log_format)
    configure_tracing("omnigate", settings.otel_exporter)
    product = EmbeddedProduct(settings)
    async with product.running():
        config = uvicorn.Config(
            product.asgi["gateway"], host=settings.host, port=settings.port, lifespan="off", log_config=None
        )
        logger.info("Omnigate is up: gateway on http://%s:%s", settings.host, settings.port)
        await uvicorn.Server(config).serve()


async def serve_one(name: str, settings: Settings) -> None:
    """``omnigate serve NAME``: one service alone; the others are reached at ``OMNIGATE_<NAME>_URL``."""
    service = get_service(name)
    configure_logging(name, level=settings.log_level, fmt=settings.log_format)
    configure_tracing(name, settings.otel_exporter)
    if settings.bus == "memory":
        logger.warning("OMNIGATE_BUS is memory: events will not reach other processes (set OMNIGATE_REDIS_URL)")
    registry = ServiceRegistry(settings.service_urls)
    bus = build_bus(settings)
    app = service.create_app(ServiceRuntime(settings=settings, registry=registry, bus=bus))
    config = uvicorn.Config(
        instrument_asgi(app), host=settings.host, port=settings.port, lifespan="on", log_config=None
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await bus.aclose()
