"""Runs services: all in one process (embedded) or one per process (distributed).

Both modes build the same apps; only the registry's transports and the bus backend differ.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any

import uvicorn
from litestar import Litestar
from litestar.types import ASGIApp

from omnigate.catalog import SERVICES, get_service
from omnigate.server_protocol import CoalescingHttpToolsProtocol
from service_kit.app import ServiceDefinition, ServiceRuntime
from service_kit.events.bus import EventBus, InMemoryEventBus, RedisEventBus
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import ConfigurationError, Settings
from service_kit.telemetry import configure_logging, configure_tracing, instrument_asgi

__all__ = [
    "EmbeddedProduct",
    "build_bus",
    "freeze_startup_objects",
    "run_server",
    "serve_embedded",
    "serve_one",
    "serve_workers",
    "worker_app",
]

_WORKER_SERVICE = "OMNIGATE_WORKER_SERVICE"
"""Which service a worker process of ``omnigate serve NAME --workers N`` builds (set by the parent)."""

logger = logging.getLogger(__name__)


def build_bus(settings: Settings) -> EventBus:
    if settings.bus == "redis":
        if not settings.redis_url:
            raise ConfigurationError("OMNIGATE_BUS=redis needs OMNIGATE_REDIS_URL")
        return RedisEventBus.from_url(settings.redis_url, prefix=settings.bus_prefix)
    return InMemoryEventBus()


def run_server(main: Coroutine[Any, Any, None]) -> None:
    """Run a server on uvloop: its event loop is several times cheaper per request than the standard
    library's, which the gateway's hot path (every public call) pays. ``uvicorn[standard]`` brings it; without it
    (an unsupported platform) the standard loop runs the same code."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


def freeze_startup_objects(_: Litestar | None = None) -> None:
    """Move what start-up built (routes, schemas, models, clients: it lives as long as the process) out of the
    garbage collector's sight, so the full collections that request garbage triggers no longer walk it all (they
    were ~8% of the gateway's CPU under load)."""
    gc.freeze()


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
    configure_tracing("omnigate", settings.otel_exporter, settings.otlp_endpoint)
    product = EmbeddedProduct(settings)
    async with product.running():
        config = uvicorn.Config(
            product.asgi["gateway"],
            host=settings.host,
            port=settings.port,
            lifespan="off",
            log_config=None,
            http=CoalescingHttpToolsProtocol,
        )
        logger.info("Omnigate is up: gateway on http://%s:%s", settings.host, settings.port)
        freeze_startup_objects()
        await uvicorn.Server(config).serve()


async def serve_one(name: str, settings: Settings) -> None:
    """``omnigate serve NAME``: one service alone; the others are reached at ``OMNIGATE_<NAME>_URL``."""
    app, bus = _build_served(name, settings)
    config = uvicorn.Config(
        instrument_asgi(app),
        host=settings.host,
        port=settings.port,
        lifespan="on",
        log_config=None,
        http=CoalescingHttpToolsProtocol,
    )
    try:
        await uvicorn.Server(config).serve()
    finally:
        await bus.aclose()


def _build_served(name: str, settings: Settings) -> tuple[Litestar, EventBus]:
    service = get_service(name)
    configure_logging(name, level=settings.log_level, fmt=settings.log_format)
    configure_tracing(name, settings.otel_exporter, settings.otlp_endpoint)
    if settings.bus == "memory":
        logger.warning("OMNIGATE_BUS is memory: events will not reach other processes (set OMNIGATE_REDIS_URL)")
    bus = build_bus(settings)
    app = service.create_app(
        ServiceRuntime(settings=settings, registry=ServiceRegistry(settings.service_urls), bus=bus)
    )
    app.on_startup.append(freeze_startup_objects)  # after the lifespans: the service is fully built
    return app, bus


def worker_app() -> ASGIApp:
    """uvicorn's factory in each worker process of :func:`serve_workers`: the service as :func:`serve_one` builds
    it, from the ``OMNIGATE_*`` variables the parent process set."""
    app, bus = _build_served(os.environ[_WORKER_SERVICE], Settings.from_env())
    app.on_shutdown.append(bus.aclose)
    return instrument_asgi(app)


def serve_workers(name: str, settings: Settings, workers: int) -> None:
    """``omnigate serve NAME --workers N``: N processes of one service sharing its port (one Python process uses
    one core; the gateway's hot path is CPU-bound). They are N instances of the service, as on N machines: the
    gateway's limits and deny-list must then live in Redis, or each process would keep its own."""
    if name == "gateway" and not settings.redis_url:
        raise ConfigurationError(
            "several gateway processes enforce one set of limits only through Redis: set OMNIGATE_REDIS_URL"
        )
    os.environ.update({_WORKER_SERVICE: name, "OMNIGATE_HOST": settings.host, "OMNIGATE_PORT": str(settings.port)})
    uvicorn.run(
        "omnigate.runtime:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        lifespan="on",
        log_config=None,
        http=CoalescingHttpToolsProtocol,
    )
