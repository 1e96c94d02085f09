"""A GraphQL Admin API client that paces itself by Shopify's calculated query cost.

Shopify gives each app-and-shop pair a leaky bucket of cost points; every response reports it in
``extensions.cost.throttleStatus`` (``maximumAvailable``, ``currentlyAvailable``, ``restoreRate``), which
differ by the shop's plan, so the client learns them from responses and never assumes them. Before a
query whose expected cost (what that operation requested last time) exceeds what the bucket holds now, it
waits ``(cost - available) / restore_rate``. Shopify throttles in two forms and both are waited out and
retried a bounded number of times: HTTP 429 with ``Retry-After``, and HTTP 200 whose ``errors`` carry
``extensions.code == "THROTTLED"``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from system_apis.shopify.adapters.base import ShopifyUnavailable

__all__ = [
    "API_VERSION",
    "AdminGraphqlClient",
    "ShopBudget",
    "ShopBudgets",
    "ThrottleEvent",
    "ThrottleStatus",
]

API_VERSION = "2026-07"
ACCESS_TOKEN_HEADER = "X-Shopify-Access-Token"
_DEFAULT_COST = 10.0
"""What an operation is assumed to cost before Shopify has told us (a mutation's usual cost)."""

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class ThrottleStatus(msgspec.Struct, frozen=True, rename="camel"):
    maximum_available: float
    currently_available: float
    restore_rate: float


class _Cost(msgspec.Struct, frozen=True, rename="camel"):
    requested_query_cost: float | None = None
    actual_query_cost: float | None = None
    throttle_status: ThrottleStatus | None = None


class _Extensions(msgspec.Struct, frozen=True):
    cost: _Cost | None = None


class _ErrorExtensions(msgspec.Struct, frozen=True):
    code: str | None = None


class _Error(msgspec.Struct, frozen=True):
    message: str = ""
    extensions: _ErrorExtensions | None = None


class _Envelope(msgspec.Struct, frozen=True):
    data: dict[str, Any] | None = None
    errors: list[_Error] | None = None
    extensions: _Extensions | None = None


_DECODE_ENVELOPE = msgspec.json.Decoder(_Envelope)


@dataclass(frozen=True)
class ThrottleEvent:
    """One wait the client made: ``paced`` (before sending), ``throttled`` (200 THROTTLED) or ``retry_after`` (429)."""

    kind: str
    operation: str
    seconds: float


@dataclass
class ShopBudget:
    """What we know of one shop's bucket, shared by every request to that shop from this process."""

    status: ThrottleStatus | None = None
    observed_at: float = 0.0
    costs: dict[str, float] = field(default_factory=dict)
    """Requested cost of each operation the last time it ran: the estimate for the next run."""
    events: list[ThrottleEvent] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def available(self, now: float) -> float | None:
        if self.status is None:
            return None
        restored = self.status.currently_available + (now - self.observed_at) * self.status.restore_rate
        return min(self.status.maximum_available, restored)

    def learn(self, cost: _Cost | None, operation: str, now: float) -> None:
        if cost is None:
            return
        if cost.throttle_status is not None:
            self.status, self.observed_at = cost.throttle_status, now
        if cost.requested_query_cost is not None:
            self.costs[operation] = cost.requested_query_cost


class ShopBudgets:
    """One :class:`ShopBudget` per shop domain (the bucket belongs to the app-and-shop pair)."""

    def __init__(self) -> None:
        self._budgets: dict[str, ShopBudget] = {}

    def for_shop(self, shop_domain: str) -> ShopBudget:
        return self._budgets.setdefault(shop_domain, ShopBudget())


class AdminGraphqlClient:
    """POSTs GraphQL documents to one shop's ``/admin/api/{version}/graphql.json``."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        shop_domain: str,
        access_token: str,
        budget: ShopBudget,
        endpoint: str | None = None,
        api_version: str = API_VERSION,
        max_throttle_retries: int = 8,
        max_wait: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
    ) -> None:
        base = (endpoint or f"https://{shop_domain}").rstrip("/")
        self.url = f"{base}/admin/api/{api_version}/graphql.json"
        self.http = http
        self.access_token = access_token
        self.budget = budget
        self.max_throttle_retries = max_throttle_retries
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock

    async def execute(self, operation: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of a successful response; waits out throttling, raises :class:`ShopifyUnavailable`."""
        for _attempt in range(self.max_throttle_retries + 1):
            await self._pace(operation)
            response = await self._post(document, variables)
            now = self.clock()
            if response.status_code == 429:
                wait = _retry_after(response)
                await self._wait("retry_after", operation, wait)
                continue
            envelope = self._decode(response)
            self.budget.learn(envelope.extensions.cost if envelope.extensions else None, operation, now)
            if envelope.errors and any(e.extensions and e.extensions.code == "THROTTLED" for e in envelope.errors):
                await self._wait("throttled", operation, self._refill_time(operation, now))
                continue
            if envelope.errors:
                raise ShopifyUnavailable(
                    f"Shopify answered {operation} with errors: " + "; ".join(e.message for e in envelope.errors),
                    code="shopify_error",
                )
            if envelope.data is None:
                raise ShopifyUnavailable(f"Shopify answered {operation} without data", code="shopify_error")
            return envelope.data
        raise ShopifyUnavailable(
            f"Shopify kept throttling {operation} after {self.max_throttle_retries} retries",
            code="shopify_throttled",
            retry_after=self._refill_time(operation, self.clock()) or 1.0,
        )

    async def _post(self, document: str, variables: dict[str, Any]) -> httpx.Response:
        try:
            response = await self.http.post(
                self.url,
                content=msgspec.json.encode({"query": document, "variables": variables}),
                headers={ACCESS_TOKEN_HEADER: self.access_token, "Content-Type": "application/json"},
            )
        except httpx.TransportError as exc:
            raise ShopifyUnavailable(f"Shopify could not be reached: {type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise ShopifyUnavailable(
                f"Shopify refused the shop's access token ({response.status_code})", code="shopify_unauthorized"
            )
        if response.status_code >= 500 or response.status_code not in (200, 429):
            raise ShopifyUnavailable(f"Shopify answered HTTP {response.status_code}", code="shopify_error")
        return response

    def _decode(self, response: httpx.Response) -> _Envelope:
        try:
            return _DECODE_ENVELOPE.decode(response.content)
        except msgspec.DecodeError as exc:
            raise ShopifyUnavailable(
                f"Shopify's answer is not a GraphQL response: {exc}", code="shopify_error"
            ) from exc

    def _refill_time(self, operation: str, now: float) -> float:
        """Seconds until the bucket holds what ``operation`` costs, from the last reported status."""
        status = self.budget.status
        available = self.budget.available(now)
        if status is None or available is None or status.restore_rate <= 0:
            return 1.0
        needed = min(self.budget.costs.get(operation, _DEFAULT_COST), status.maximum_available)
        return max(0.0, (needed - available) / status.restore_rate)

    async def _pace(self, operation: str) -> None:
        """Wait before sending when the expected cost exceeds the bucket; reserve the cost meanwhile."""
        async with self.budget.lock:
            now = self.clock()
            available = self.budget.available(now)
            status = self.budget.status
            if status is None or available is None:
                return
            cost = min(self.budget.costs.get(operation, _DEFAULT_COST), status.maximum_available)
            wait = self._refill_time(operation, now) if cost > available else 0.0
            # Reserve the cost so concurrent requests to the same shop queue behind this one.
            self.budget.status = ThrottleStatus(status.maximum_available, available - cost, status.restore_rate)
            self.budget.observed_at = now
        if wait > 0:
            await self._wait("paced", operation, wait)

    async def _wait(self, kind: str, operation: str, seconds: float) -> None:
        seconds = min(max(seconds, 0.0), self.max_wait)
        self.budget.events.append(ThrottleEvent(kind, operation, seconds))
        await self.sleep(seconds)


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0
