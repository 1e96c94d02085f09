"""``POST /webhooks/{source}[/...]``: vendors' deliveries (3PL shipment confirmations, later Shopify), which
carry a signature instead of a token, forwarded unchanged to the service that owns the source."""

from __future__ import annotations

from litestar.datastructures import State

from gateway.proxy import IncomingCall, UpstreamAnswer
from gateway.public_calls import relay
from gateway.routes import PolicyFile

__all__ = ["deliver_webhook"]


async def deliver_webhook(state: State, call: IncomingCall, source: str) -> UpstreamAnswer:
    policy: PolicyFile = state.policy
    hook = policy.current.webhook(source)
    call.scope["state"].update(api="webhooks", version=source)  # for the access log
    return await relay(call, state, hook.as_route(), caller=f"webhook:{source}", plan=hook.plan, identity=[])
