"""Forwards a public request to its upstream service and the answer back, as a transparent proxy.

The gateway decides who may call what; it never looks inside bodies (no business logic here). Both sides are
handled at the ASGI level (:class:`IncomingCall` reads the scope, :func:`send_answer` writes the messages): this is
the gateway's hot path, served before Litestar routes anything (``gateway.edge``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import quote

from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import HTTPScope, Receive, Send

from gateway.routes import Route
from gateway.traffic.bulkhead import Bulkhead
from service_kit.http.clients import ServiceClients
from service_kit.problems import BadRequest

__all__ = ["IncomingCall", "UpstreamAnswer", "forward", "send_answer"]

# RFC 9110 §7.6.1 hop-by-hop headers, plus what the transport recomputes.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
# Trace context is re-injected by the traced client; identity headers are ours to set, never the caller's;
# the bearer token stops here (upstreams get the verified identity instead).
_STRIPPED_REQUEST = _HOP_BY_HOP | {b"traceparent", b"tracestate", b"authorization", b"omnigate-tenant"}
# Bodies are relayed raw (still compressed if they were), so Content-Encoding stays.
_STRIPPED_RESPONSE = _HOP_BY_HOP | {b"x-trace-id"}
_BODILESS_STATUSES = frozenset({204, 304})
"""Answers that carry no body and must not say how long it is (RFC 9110 §8.6)."""
_INTERNAL_PREFIX = b"x-omnigate-"
_FORWARDED_PREFIX = b"x-forwarded-"


_BUFFERED_BODY_LIMIT = 64 * 1024
"""Bodies up to this size are read whole: a request's so that an idempotent one can be retried, an answer's
because relaying it in one piece is cheaper than streaming it; larger ones (or of unknown length) stream."""


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"
"""Kept as they are in a forwarded target; anything else (controls, spaces, raw non-ASCII) is percent-encoded."""


def _too_large() -> HTTPException:
    return HTTPException(status_code=HTTP_413_REQUEST_ENTITY_TOO_LARGE)


class IncomingCall:
    """The caller's request, read off the ASGI scope: what the policy chain and the proxy need, nothing parsed
    that they do not.

    A path with a ``.`` or ``..`` segment (sent raw, or percent-encoded: the scope's path is decoded) is refused:
    the policy chain judged the path as sent, and an upstream or its client resolving the segments later would
    reach another API than the one whose scopes were checked (``/storefront/v1/../../erp/v1/...``)."""

    __slots__ = ("_receive", "headers", "max_body", "method", "path", "refusal", "scope")

    def __init__(self, scope: HTTPScope, receive: Receive, *, max_body: int) -> None:
        self.scope = scope
        self._receive = receive
        self.max_body = max_body
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        if "/." in self.path and any(segment in (".", "..") for segment in self.path.split("/")):
            raise BadRequest(
                f"the path {self.path!r} has a '.' or '..' segment; send it resolved",
                code="dot_segment_in_path",
            )
        raw = list(scope["headers"])
        self.headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        """Lower-case name → value (repeated fields joined by ", "), for looking headers up; the proxy forwards the
        raw list."""
        if len(self.headers) != len(raw):  # a field sent more than once
            self.headers = {}
            for raw_name, raw_value in raw:
                name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
                self.headers[name] = f"{self.headers[name]}, {value}" if name in self.headers else value
        self.refusal: HTTPException | None = None
        """Why reading the body was stopped (too large, the caller went away): the real answer to a request whose
        upstream call then failed."""

    @property
    def client_host(self) -> str:
        client = self.scope.get("client")
        return client[0] if client else ""

    def raw_target(self) -> str:
        """The path and query exactly as the caller sent them (still percent-encoded): re-encoding the decoded
        path would change what the upstream sees, and fail on characters a URL may only carry encoded."""
        raw_path: bytes = self.scope.get("raw_path") or self.path.encode("utf-8")
        query: bytes = self.scope.get("query_string", b"")
        return quote(raw_path + (b"?" + query if query else b""), safe=_URL_SAFE)

    def _declared_length(self) -> int | None:
        length = self.headers.get("content-length")
        if length is None:
            return None
        if not length.isdigit():
            raise HTTPException(status_code=HTTP_400_BAD_REQUEST, detail="Content-Length must be a number of bytes")
        if int(length) > self.max_body:
            raise _too_large()
        return int(length)

    def streams(self) -> bool:
        """Whether the body is too large (or of unknown length) to be read whole before forwarding."""
        length = self._declared_length()
        return "transfer-encoding" in self.headers or (length is not None and length > _BUFFERED_BODY_LIMIT)

    async def stream(self) -> AsyncIterator[bytes]:
        """The body as it arrives; a 413 problem once it passes ``max_body`` (413 before a byte is read when
        ``Content-Length`` already says so)."""
        self._declared_length()
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                self.refusal = HTTPException(
                    status_code=HTTP_400_BAD_REQUEST, detail="The caller went away mid-request"
                )
                raise self.refusal
            chunk: bytes = message.get("body", b"")  # type: ignore[assignment]
            size += len(chunk)
            if size > self.max_body:
                self.refusal = _too_large()
                raise self.refusal
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return

    async def body(self) -> bytes:
        return b"".join([chunk async for chunk in self.stream()])


@dataclass(slots=True)
class UpstreamAnswer:
    """The upstream's answer, on its way back to the caller: a small one read whole (``body``), a large one as
    ``chunks`` that must be followed by ``finish`` (which closes the upstream response and frees its slot)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    chunks: AsyncIterator[bytes] | None = None
    finish: Callable[[], Awaitable[None]] | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)
    """The gateway's own headers for the caller (quota, version lifecycle)."""


async def forward(
    call: IncomingCall,
    route: Route,
    clients: ServiceClients,
    identity: list[tuple[str, str]],
    bulkhead: Bulkhead,
) -> UpstreamAnswer:
    """Send the request on with forwarding and identity headers set by us, and take the answer.

    An answer of up to ``_BUFFERED_BODY_LIMIT`` bytes is read whole (most API answers: the streaming machinery
    costs more than the copy); a larger one, or one of unknown length, streams. The bulkhead slot is held until
    the upstream's answer has been read to its end or the caller went away (see :func:`send_answer`).
    """
    prior = call.headers.get("x-forwarded-for")
    client_host = call.client_host
    headers = [
        (name, value)
        for name, value in call.scope["headers"]
        if name not in _STRIPPED_REQUEST
        and not name.startswith(_INTERNAL_PREFIX)
        and not name.startswith(_FORWARDED_PREFIX)
    ]
    forwarded = [
        ("x-forwarded-for", f"{prior}, {client_host}" if prior else client_host),
        ("x-forwarded-proto", call.scope.get("scheme", "http")),
        ("x-forwarded-host", call.headers.get("host", "")),
        *identity,
    ]
    headers += [(name.encode("latin-1"), value.encode("latin-1")) for name, value in forwarded]
    streams = call.streams()
    content = call.stream() if streams else await call.body()
    await bulkhead.enter()
    try:
        upstream = await clients.send_streaming(
            route.upstream,
            call.method,
            call.raw_target(),
            headers=headers,
            content=content,
            time_limit=route.timeout,
            cut_by_caller=(lambda: call.refusal is not None) if streams else None,
        )
    except BaseException as failure:
        bulkhead.leave()
        if call.refusal is not None:  # the body stream was cut by us: that, not the upstream, is the answer
            raise call.refusal from failure
        raise
    if call.refusal is not None:  # an upstream in this process answers even when the body it read was cut
        try:
            await upstream.aclose()
        finally:
            bulkhead.leave()
        raise call.refusal
    relayed = [
        (lower, value) for name, value in upstream.headers.raw if (lower := name.lower()) not in _STRIPPED_RESPONSE
    ]
    length = upstream.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) <= _BUFFERED_BODY_LIMIT:
        try:  # a small answer is read whole: no streaming machinery, and the slot is free before we reply
            body = b"".join([chunk async for chunk in upstream.aiter_raw()])
        finally:
            try:
                await upstream.aclose()
            finally:
                bulkhead.leave()
        if upstream.status_code not in _BODILESS_STATUSES:
            relayed.append((b"content-length", str(len(body)).encode()))
        return UpstreamAnswer(upstream.status_code, relayed, body=body)

    async def finish() -> None:
        try:
            await upstream.aclose()
        finally:
            bulkhead.leave()

    return UpstreamAnswer(upstream.status_code, relayed, chunks=upstream.aiter_raw(), finish=finish)


async def send_answer(send: Send, receive: Receive, answer: UpstreamAnswer) -> None:
    """Relay the answer to the caller. The gateway's own headers replace any the upstream sent by the same name
    (``Link`` excepted: both sets of relations stand). A streamed answer stops, and its upstream response is closed,
    as soon as the caller goes away."""
    ours = [(name.lower().encode(), value.encode()) for name, value in answer.extra_headers.items()]
    replaced = {name for name, _ in ours} - {b"link"}
    headers = [header for header in answer.headers if header[0] not in replaced] + ours
    if answer.chunks is None:
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body, "more_body": False})
        return
    streaming = asyncio.ensure_future(_stream(send, answer.status, headers, answer.chunks))
    listening = asyncio.ensure_future(_until_disconnected(receive))
    try:
        await asyncio.wait([streaming, listening], return_when=asyncio.FIRST_COMPLETED)
    finally:
        streaming.cancel()
        listening.cancel()
        streamed, _ = await asyncio.gather(streaming, listening, return_exceptions=True)
        if answer.finish is not None:
            await answer.finish()
    if isinstance(streamed, Exception):  # the upstream failed mid-answer: the server ends the connection
        raise streamed


async def _stream(send: Send, status: int, headers: list[tuple[bytes, bytes]], chunks: AsyncIterator[bytes]) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
