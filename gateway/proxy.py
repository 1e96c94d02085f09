"""Forwards a public request to its upstream service and the answer back, as a transparent proxy.

The gateway decides who may call what; it never looks inside bodies (no business logic here).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from litestar import Request
from litestar.background_tasks import BackgroundTask
from litestar.response.base import ASGIResponse
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
"""Bodies up to this size are read whole: a request's so that an idempotent one can be retried, an answer's
because relaying it in one piece is cheaper than streaming it; larger ones (or of unknown length) stream."""


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
"""Kept as they are in a forwarded target; anything else (controls, spaces, raw non-ASCII) is percent-encoded."""


def _raw_target(request: Request[Any, Any, Any]) -> str:
    """The path and query exactly as the caller sent them (still percent-encoded): re-encoding the decoded
    path would change what the upstream sees, and fail on characters a URL may only carry encoded."""
    scope = request.scope
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string", b"")
    return quote(raw_path + (b"?" + query if query else b""), safe=_URL_SAFE)


async def forward(
    request: Request[Any, Any, Any],
    route: Route,
    client: httpx.AsyncClient,
    identity: list[tuple[str, str]],
    bulkhead: Bulkhead,
) -> ASGIResponse:
    """Send the request on with forwarding and identity headers set by us, and relay the answer back.

    An answer of up to ``_BUFFERED_BODY_LIMIT`` bytes is read whole and sent in one piece (most API answers: the
    streaming machinery costs more than the copy); a larger one, or one of unknown length, streams. The bulkhead
    slot is held until the upstream's answer has been read to its end (or the caller went away).
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
    target = _raw_target(request)
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
    head = request.method == "HEAD"
    answer_length = upstream.headers.get("content-length")
    if head or (answer_length is not None and answer_length.isdigit() and int(answer_length) <= _BUFFERED_BODY_LIMIT):
        try:  # a small answer is read whole: no streaming machinery, and the slot is free before we reply
            body = b"" if head else b"".join([chunk async for chunk in upstream.aiter_raw()])
        finally:
            try:
                await upstream.aclose()
            finally:
                bulkhead.leave()
        response: ASGIResponse = ASGIResponse(
            body=body,
            status_code=upstream.status_code,
            is_head_response=head,
            media_type=upstream.headers.get("content-type", "application/octet-stream"),
        )
    else:

        async def finish() -> None:
            try:
                await upstream.aclose()
            finally:
                bulkhead.leave()

        response = ASGIStreamingResponse(
            iterator=upstream.aiter_raw(),
            status_code=upstream.status_code,
            background=BackgroundTask(finish),
            media_type=upstream.headers.get("content-type", "application/octet-stream"),
        )
    for name, value in upstream.headers.multi_items():
        if name.lower() not in _STRIPPED_RESPONSE and name.lower() != "content-type":
            response.headers.add(name, value)
    return response
