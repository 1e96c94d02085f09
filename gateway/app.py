"""Builds the gateway: the authorization server, the admin API and the proxy in front of every service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.datastructures import State

from gateway.admin.controllers import ClientAdminController
from gateway.admin.versions import VersionAdminController
from gateway.contracts.controllers import GATEWAY_APIS, ContractController
from gateway.contracts.documents import DEFAULT_CONTRACTS_DIR, ContractShelf
from gateway.edge import ProxyEdge, UnknownApiController
from gateway.models import GatewayBase
from gateway.oauth.controllers import OAuthController
from gateway.oauth.security import security_lifespan
from gateway.observability import PrometheusController, record_traffic
from gateway.routes import DEFAULT_POLICY_FILE, PolicyFile
from gateway.traffic.bulkhead import Bulkheads
from gateway.versions.lifecycle import VersionBook
from gateway.versions.usage import UsageRecorder
from service_kit.app import ServiceDefinition, ServiceRuntime, create_service_app
from service_kit.health import ReadinessCheck
from service_kit.problems import raise_for_upstream

__all__ = ["SERVICE", "create_app"]


def _upstream_ready(name: str) -> ReadinessCheck:
    async def probe(state: State) -> None:
        response = await state.clients.get(name).get("/ready", timeout=2.0)
        raise_for_upstream(response, upstream=name)

    return ReadinessCheck(name, probe)


@contextlib.asynccontextmanager
async def _version_lifespan(app: Litestar) -> AsyncIterator[None]:
    """Version lifecycles and usage need the gateway's database, which the service kit opens first."""
    recorder = UsageRecorder(app.state.database)
    app.state.update(versions=VersionBook(app.state.database), usage=recorder)
    async with recorder.flushing():
        yield


def create_app(runtime: ServiceRuntime) -> Litestar:
    policy = PolicyFile(runtime.settings.routes_file or DEFAULT_POLICY_FILE)
    app = create_service_app(
        name="gateway",
        runtime=runtime,
        route_handlers=[
            OAuthController,
            ClientAdminController,
            VersionAdminController,
            PrometheusController,
            ContractController,
            UnknownApiController,
        ],
        title="Omnigate gateway",
        readiness_checks=[_upstream_ready(name) for name in policy.current.upstreams_in_use],
        health_checks_readiness=True,
        lifespan=[security_lifespan(runtime.settings), _version_lifespan],
    )
    contracts = ContractShelf(runtime.settings.contracts_dir or DEFAULT_CONTRACTS_DIR)
    app.state.update(policy=policy, bulkheads=Bulkheads(), contracts=contracts)
    # Litestar calls its asgi_handler for every request once the scope holds the app and its state: the proxy
    # path is served there, before routing (see gateway.edge), and every request is logged and counted.
    app.asgi_handler = record_traffic(ProxyEdge(app, app.asgi_handler, max_body=runtime.settings.max_request_body))
    return app


SERVICE = ServiceDefinition(
    name="gateway",
    layer="gateway",
    create_app=create_app,
    apis=GATEWAY_APIS,
    metadata=GatewayBase.metadata,
    default_port=8000,
)
