"""Bulkheads: at most ``max_concurrency`` requests in flight to one upstream from this gateway process. A
burst beyond that waits up to ``queue_timeout`` seconds for a slot, then is shed with a 503 problem, so a
surge (or a slow ERP) cannot pile up thousands of connections on a system of record."""

from __future__ import annotations

import asyncio

from prometheus_client import Gauge

from service_kit.problems import ServiceUnavailable

__all__ = ["Bulkhead", "Bulkheads", "UpstreamSaturated"]


IN_FLIGHT = Gauge("omnigate_gateway_upstream_in_flight", "Requests in flight to each upstream (bulkhead)", ["upstream"])


class UpstreamSaturated(ServiceUnavailable):
    code = "upstream_saturated"


class Bulkhead:
    def __init__(self, upstream: str, *, max_concurrency: int, queue_timeout: float) -> None:
        self.upstream = upstream
        self.max_concurrency = max_concurrency
        self.queue_timeout = queue_timeout
        self._slots = asyncio.Semaphore(max_concurrency)
        self._in_flight = IN_FLIGHT.labels(upstream)

    async def enter(self) -> None:
        try:
            if self._slots.locked():  # full: wait, but not for ever (a free slot is taken without a timer)
                async with asyncio.timeout(self.queue_timeout):
                    await self._slots.acquire()
            else:
                await self._slots.acquire()
            self._in_flight.inc()
        except TimeoutError:
            raise UpstreamSaturated(
                f"'{self.upstream}' already has {self.max_concurrency} requests in flight; retry shortly",
                headers={"Retry-After": "1"},
            ) from None

    def leave(self) -> None:
        self._slots.release()
        self._in_flight.dec()


class Bulkheads:
    """One bulkhead per upstream, rebuilt when the policy changes its size (in-flight requests finish on the
    old one)."""

    def __init__(self) -> None:
        self._bulkheads: dict[str, Bulkhead] = {}

    def for_upstream(self, upstream: str, *, max_concurrency: int, queue_timeout: float) -> Bulkhead:
        current = self._bulkheads.get(upstream)
        if current is None or (current.max_concurrency, current.queue_timeout) != (max_concurrency, queue_timeout):
            current = Bulkhead(upstream, max_concurrency=max_concurrency, queue_timeout=queue_timeout)
            self._bulkheads[upstream] = current
        return current
