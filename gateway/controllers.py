"""The gateway's public routes: everything under ``/{api}/v{major}/`` is proxied by the route table."""

from __future__ import annotations

from typing import Any

from litestar import Controller, HttpMethod, Request, route
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response.base import ASGIResponse

from gateway.proxy import forward
from gateway.routes import RouteTable
from service_kit.dependencies import Clients

__all__ = ["ProxyController"]

_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


class ProxyController(Controller):
    include_in_schema = False

    @route("/{api:str}/{version:str}/{rest:path}", http_method=_METHODS)
    async def proxy(
        self,
        request: Request[Any, Any, Any],
        state: State,
        clients: Clients,
        api: FromPath[str],
        version: FromPath[str],
    ) -> ASGIResponse:
        table: RouteTable = state.route_table
        target = table.resolve(api, version)
        # Until OAuth client binding lands, every caller acts for the configured tenant (see README).
        tenant: str = state.anonymous_tenant
        return await forward(request, target, clients.get(target.upstream), tenant)
