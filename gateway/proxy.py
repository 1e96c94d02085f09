"""Forwards a public request to its upstream service and the answer back, as a transparent proxy.

The gateway decides who may call what; it never looks inside bodies (no business logic here).
"""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Request
from litestar.response.base import ASGIResponse

from gateway.routes import Route

__all__ = ["forward"]

# RFC 9110 §7.6.1 hop-by-hop headers, plus what the transport recomputes.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
# Trace context is re-injected by the traced client; identity headers are ours to set, never the caller's;
# the bearer token stops here (upstreams get the verified identity instead).
_STRIPPED_REQUEST = _HOP_BY_HOP | {"traceparent", "tracestate", "authorization", "omnigate-tenant"}
_STRIPPED_RESPONSE = _HOP_BY_HOP | {"content-encoding", "x-trace-id"}
_INTERNAL_PREFIX = "x-omnigate-"


async def forward(
    request: Request[Any, Any, Any], route: Route, client: httpx.AsyncClient, identity: list[tuple[str, str]]
) -> ASGIResponse:
    """Send the request on with forwarding and identity headers set by us, and relay the answer."""
    client_host = request.client.host if request.client else ""
    prior = request.headers.get("x-forwarded-for")
    headers = [
        (name, value)
        for name, value in request.headers.items()
        if name not in _STRIPPED_REQUEST
        and not name.startswith(_INTERNAL_PREFIX)
        and not name.startswith("x-forwarded-")
    ]
    headers += [
        ("x-forwarded-for", f"{prior}, {client_host}" if prior else client_host),
        ("x-forwarded-proto", request.url.scheme),
        ("x-forwarded-host", request.headers.get("host", "")),
        *identity,
    ]
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    upstream = await client.request(
        request.method, target, headers=headers, content=await request.body(), timeout=route.timeout
    )
    return ASGIResponse(
        body=upstream.content,
        status_code=upstream.status_code,
        headers=[(k, v) for k, v in upstream.headers.multi_items() if k.lower() not in _STRIPPED_RESPONSE],
    )
