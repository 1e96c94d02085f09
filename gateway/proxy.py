"""Forwards a public request to its upstream service and the answer back, as a transparent proxy.

The gateway decides who may call what; it never looks inside bodies (no business logic here).
"""

from __future__ import annotations

from typing import Any

import httpx
from litestar import Request
from litestar.background_tasks import BackgroundTask
from litestar.response.streaming import ASGIStreamingResponse

from gateway.routes import Route
from gateway.traffic.bulkhead import Bulkhead

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
# Bodies are relayed raw (still compressed if they were), so Content-Encoding stays.
_STRIPPED_RESPONSE = _HOP_BY_HOP | {"x-trace-id"}
_INTERNAL_PREFIX = "x-omnigate-"


_BUFFERED_BODY_LIMIT = 64 * 1024
"""Request bodies up to this size are read first, so an idempotent request can be retried; larger ones stream."""


async def forward(
    request: Request[Any, Any, Any],
    route: Route,
    client: httpx.AsyncClient,
    identity: list[tuple[str, str]],
    bulkhead: Bulkhead,
) -> ASGIStreamingResponse:
    """Send the request on with forwarding and identity headers set by us, and stream the answer back.

    The bulkhead slot is held until the last byte of the answer has gone out (or the caller went away).
    """
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
    length = request.headers.get("content-length")
    streamed = "transfer-encoding" in request.headers or (length is not None and int(length) > _BUFFERED_BODY_LIMIT)
    content = request.stream() if streamed else await request.body()
    outgoing = client.build_request(request.method, target, headers=headers, content=content, timeout=route.timeout)
    await bulkhead.enter()
    try:
        upstream = await client.send(outgoing, stream=True)
    except BaseException:
        bulkhead.leave()
        raise

    async def finish() -> None:
        try:
            await upstream.aclose()
        finally:
            bulkhead.leave()

    response = ASGIStreamingResponse(
        iterator=upstream.aiter_raw(),
        status_code=upstream.status_code,
        background=BackgroundTask(finish),
        is_head_response=request.method == "HEAD",
        media_type=upstream.headers.get("content-type", "application/octet-stream"),
    )
    for name, value in upstream.headers.multi_items():
        if name.lower() not in _STRIPPED_RESPONSE and name.lower() != "content-type":
            response.headers.add(name, value)
    return response
