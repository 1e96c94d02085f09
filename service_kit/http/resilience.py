"""Retries for idempotent requests and a circuit breaker per upstream, as an httpx transport.

Exception tree: a call through :class:`ResilientTransport` raises only httpx errors, so callers (and
the problem handlers) need to know one family::

    httpx.TransportError
    ├── httpx.TimeoutException      (connect/read/write/pool timeout: 504 at the edge)
    ├── httpx.NetworkError          (connection refused, reset: 503)
    └── CircuitOpenError            (upstream failing; not even tried: 503 with Retry-After)
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import httpx

__all__ = ["CUT_BY_CALLER", "IDEMPOTENT_METHODS", "CircuitBreaker", "CircuitOpenError", "ResilientTransport"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
CUT_BY_CALLER = "omnigate.cut_by_caller"
"""Request extension: a callable saying whether the request's streamed body was stopped by its own caller (too
large, or abandoned), whose failed send then counts against no upstream."""
RETRYABLE_STATUSES = frozenset({502, 503, 504})


class CircuitOpenError(httpx.TransportError):
    """The upstream's circuit is open: the request was not sent."""

    def __init__(self, upstream: str, retry_after: float, request: httpx.Request) -> None:
        super().__init__(f"circuit open for upstream {upstream!r}", request=request)
        self.upstream = upstream
        self.retry_after = retry_after


@dataclass
class CircuitBreaker:
    """Closed → open after N consecutive failures → half-open after a pause → closed on one success."""

    failure_threshold: int = 5
    reset_timeout: float = 10.0
    _failures: int = field(default=0, init=False)
    _opened_at: float | None = field(default=None, init=False)
    _trial_in_flight: bool = field(default=False, init=False)

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if time.monotonic() - self._opened_at >= self.reset_timeout:
            return "half_open"
        return "open"

    def seconds_until_retry(self) -> float:
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.reset_timeout - (time.monotonic() - self._opened_at))

    def allow(self) -> bool:
        """Whether a request may go out now; in half-open state only one trial at a time."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False

    def release_trial(self) -> None:
        """The attempt ended without telling anything about the upstream (the caller went away or cut its own
        body): it counts for neither side, and a half-open circuit may try again."""
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._trial_in_flight = False
        self._failures += 1
        if self._failures >= self.failure_threshold or self._opened_at is not None:
            self._opened_at = time.monotonic()


class ResilientTransport(httpx.AsyncBaseTransport):
    """Wraps a transport with bounded, jittered retries and a breaker.

    Connection failures are retried for every method (nothing was sent); timeouts, resets and
    502/503/504 only for idempotent requests.
    """

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        upstream: str,
        breaker: CircuitBreaker,
        retries: int = 2,
        backoff: float = 0.05,
    ) -> None:
        self._inner = inner
        self._upstream = upstream
        self._breaker = breaker
        self._retries = retries
        self._backoff = backoff

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self._breaker.allow():
            raise CircuitOpenError(self._upstream, self._breaker.seconds_until_retry(), request)
        idempotent = _is_retryable(request)
        replayable = isinstance(request.stream, httpx.ByteStream)
        attempts = 1 + self._retries
        for attempt in range(1, attempts + 1):
            last = attempt == attempts
            try:
                response = await self._inner.handle_async_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout):
                # Never sent, so safe to try again whatever the method.
                if last or not replayable:
                    self._breaker.record_failure()
                    raise
            except httpx.TransportError:
                if _cut_by_caller(request):
                    self._breaker.release_trial()
                    raise
                if last or not idempotent:
                    self._breaker.record_failure()
                    raise
            except BaseException:  # cancelled, or the request's own body failing: nothing learnt of the upstream
                self._breaker.release_trial()
                raise
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    self._breaker.record_success()
                    return response
                if last or not idempotent:
                    self._breaker.record_failure()
                    return response
                await response.aclose()
            await asyncio.sleep(self._backoff * 2 ** (attempt - 1) * (0.5 + random.random()))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def aclose(self) -> None:
        await self._inner.aclose()


def _cut_by_caller(request: httpx.Request) -> bool:
    """Whether the request's body was stopped on its caller's side (``CUT_BY_CALLER``), so a failed send is
    not the upstream's fault."""
    cut = request.extensions.get(CUT_BY_CALLER)
    return cut is not None and bool(cut())


def _is_retryable(request: httpx.Request) -> bool:
    """Idempotent by method or by ``Idempotency-Key``, and with a body we can send again (so a request
    that may have reached the upstream can be repeated without doing its work twice)."""
    if request.method not in IDEMPOTENT_METHODS and "idempotency-key" not in request.headers:
        return False
    return isinstance(request.stream, httpx.ByteStream)
