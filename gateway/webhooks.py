"""``POST /webhooks/{source}[/...]``: vendors' deliveries (3PL shipment confirmations, later Shopify), which
carry a signature instead of a token, forwarded unchanged to the service that owns the source."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response.base import ASGIResponse

from gateway.controllers import relay
from gateway.routes import PolicyFile
from service_kit.dependencies import Clients

__all__ = ["WebhookController"]


class WebhookController(Controller):
    path = "/webhooks"
    include_in_schema = False

    @post(["/{source:str}", "/{source:str}/{rest:path}"])
    async def deliver(
        self, request: Request[Any, Any, Any], state: State, clients: Clients, source: FromPath[str]
    ) -> ASGIResponse:
        policy: PolicyFile = state.policy
        hook = policy.current.webhook(source)
        request.state.api, request.state.version = "webhooks", source  # for the access log
        return await relay(
            request, state, clients, hook.as_route(), caller=f"webhook:{source}", plan=hook.plan, identity=[]
        )
