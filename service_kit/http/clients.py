"""One pooled, traced, resilient httpx client per upstream service."""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable

import httpx
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.httpx import AsyncOpenTelemetryTransport

from service_kit.http.registry import ServiceRegistry
from service_kit.http.relay_targets import relayed_url
from service_kit.http.resilience import CUT_BY_CALLER, CircuitBreaker, ResilientTransport
from service_kit.settings import HttpClientSettings

__all__ = ["ServiceClients", "StatelessClient", "TracedTransport"]


class TracedTransport(AsyncOpenTelemetryTransport):
    """OpenTelemetry's client spans, without their cost inside a trace that is not sampled.

    In an unsampled trace (no exporter listening: ``service_kit.telemetry.ListenedSampler``) the client span would
    be built and dropped, after its attributes had been computed anyway. There the trace context is only passed
    on (``traceparent``: same trace id, so the upstream's logs and ``X-Trace-Id`` join up); in a sampled trace,
    or outside any, OpenTelemetry's transport does its full work.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__(transport)
        self._inner = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        context = trace.get_current_span().get_span_context()
        if context.is_valid and not context.trace_flags.sampled:
            propagate.inject(request.headers)
            return await self._inner.handle_async_request(request)
        return await super().handle_async_request(request)


class _NoCookies(httpx.Cookies):
    def extract_cookies(self, response: httpx.Response) -> None:
        """Keep nothing."""


class StatelessClient(httpx.AsyncClient):
    """An httpx client without a cookie jar.

    Services speak stateless APIs, and one client serves every caller: a jar would hand a cookie one upstream
    answer set (for the gateway, one caller's session) to every later request, whoever makes it. Parsing each
    answer's cookies into it also cost time on the proxy's hot path. ``Set-Cookie`` still reaches the caller.
    """

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: object) -> None:
        raise TypeError("a StatelessClient keeps no cookies; send a Cookie header per request instead")


class ServiceClients:
    """Hands out the client for an upstream, built once and closed with the service."""

    def __init__(self, registry: ServiceRegistry, settings: HttpClientSettings) -> None:
        self._registry = registry
        self._settings = settings
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._transports: dict[str, httpx.AsyncBaseTransport] = {}
        self._base_urls: dict[str, httpx.URL] = {}
        self._timeouts: dict[float, dict[str, float | None]] = {}
        self.breakers: dict[str, CircuitBreaker] = {}

    def get(self, upstream: str) -> httpx.AsyncClient:
        if (client := self._clients.get(upstream)) is not None:
            return client
        s = self._settings
        limits = httpx.Limits(max_connections=s.max_connections, max_keepalive_connections=s.max_connections)
        breaker = CircuitBreaker(failure_threshold=s.breaker_failure_threshold, reset_timeout=s.breaker_reset_timeout)
        resilient = ResilientTransport(
            self._registry.transport(upstream, limits),
            upstream=upstream,
            breaker=breaker,
            retries=s.retries,
            backoff=s.retry_backoff,
        )
        transport = TracedTransport(resilient)
        client = StatelessClient(
            base_url=self._registry.base_url(upstream),
            transport=transport,
            timeout=httpx.Timeout(
                connect=s.connect_timeout, read=s.read_timeout, write=s.write_timeout, pool=s.pool_timeout
            ),
            limits=limits,
        )
        self._clients[upstream] = client
        self._transports[upstream] = transport
        self.breakers[upstream] = breaker
        return client

    async def send_streaming(
        self,
        upstream: str,
        method: str,
        target: str,
        *,
        headers: list[tuple[bytes, bytes]],
        content: bytes | AsyncIterable[bytes],
        time_limit: float,
        cut_by_caller: Callable[[], bool] | None = None,
    ) -> httpx.Response:
        """``target`` (path and query, already encoded) sent to ``upstream`` through the same transport as its
        client's requests (trace context, retries, circuit breaker, pool), and the answer's head; its body streams
        (close the response).

        For relaying a request as it came (the gateway's proxy hop): it skips what ``AsyncClient.send`` adds per
        request (URL merging, cookies, auth and redirect flows, hooks), which a relay never uses and which cost
        about a tenth of each proxied call's CPU. ``time_limit`` bounds each phase (connect, write, read, pool).
        ``cut_by_caller`` says whether a streamed ``content`` was stopped on the caller's side, which the upstream's
        circuit breaker then does not count as the upstream failing.
        """
        if (base_url := self._base_urls.get(upstream)) is None:
            base_url = self._base_urls[upstream] = self.get(upstream).base_url
        if (timeouts := self._timeouts.get(time_limit)) is None:
            timeouts = self._timeouts[time_limit] = httpx.Timeout(time_limit).as_dict()
        extensions: dict[str, object] = {"timeout": timeouts}
        if cut_by_caller is not None:
            extensions[CUT_BY_CALLER] = cut_by_caller
        request = httpx.Request(
            method, relayed_url(base_url, target), headers=headers, content=content, extensions=extensions
        )
        return await self._transports[upstream].handle_async_request(request)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self._transports.clear()
        self._base_urls.clear()
