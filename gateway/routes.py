"""The gateway's traffic policy: which service answers which public API version, what each route needs, and
the rate-limit plans. Data (``gateway/routes.toml`` or ``OMNIGATE_ROUTES_FILE``), not code, reloaded when the
file changes."""

from __future__ import annotations

import logging
import os
import re
import time
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from gateway.traffic.rate_limit import Limit
from service_kit.problems import NotFound
from service_kit.settings import ConfigurationError

__all__ = [
    "DEFAULT_POLICY_FILE",
    "GATEWAY_OWN_PATHS",
    "GatewayPolicy",
    "Plan",
    "PolicyFile",
    "Pool",
    "Route",
    "RouteTable",
    "UnknownApi",
    "UnknownWebhookSource",
    "UpstreamPolicy",
    "WebhookRoute",
    "load_policy",
]

logger = logging.getLogger(__name__)

DEFAULT_POLICY_FILE = Path(__file__).with_name("routes.toml")
_VERSION = re.compile(r"^v([1-9][0-9]{0,2})$")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Name = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_-]*$")]
Positive = Annotated[int, msgspec.Meta(gt=0)]


class UnknownApi(NotFound):
    code = "unknown_api"


class Plan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    rate: Positive
    burst: Positive | None = None
    period: Annotated[float, msgspec.Meta(gt=0)] = 1.0

    @property
    def limit(self) -> Limit:
        return Limit(rate=self.rate, period=self.period, burst=self.burst)


class Pool(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Capacity every request through the gateway cluster shares."""

    rate: Positive
    burst: Positive | None = None
    period: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    """``rate`` requests per this many seconds, as for a plan."""
    reserved_for_customer: Annotated[int, msgspec.Meta(ge=0)] = 0
    """Cells of the pool that ``back_office`` requests may never take."""

    @property
    def limit(self) -> Limit:
        return Limit(rate=self.rate, period=self.period, burst=self.burst)


class UpstreamPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    max_concurrency: Positive = 100
    """Requests in flight to this upstream from one gateway process (the bulkhead)."""
    queue_timeout: Annotated[float, msgspec.Meta(ge=0)] = 0.5
    """Seconds a request waits for a free slot before it is shed with 503."""


class Route(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    api: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]*$")]
    versions: Annotated[tuple[int, ...], msgspec.Meta(min_length=1)]
    upstream: str
    """Service name in the registry."""
    auth: Literal["public", "oauth2", "shopify_hmac"] = "oauth2"
    read_scopes: tuple[str, ...] = ()
    """Scopes a token needs for GET and HEAD (all of them)."""
    write_scopes: tuple[str, ...] = ()
    """Scopes a token needs for POST, PUT, PATCH and DELETE (all of them)."""
    route_class: Literal["customer", "back_office"] = msgspec.field(default="back_office", name="class")
    """``customer`` traffic may use the whole shared pool; ``back_office`` leaves the reserve alone."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Seconds the upstream has to answer before the caller gets a 504 problem."""
    read_only_posts: tuple[Annotated[str, msgspec.Meta(pattern=r"^(/[A-Za-z0-9._~-]+)+$")], ...] = ()
    """Paths after ``/{api}/v{major}`` (e.g. ``/calculate``) whose POST has no side effect (a quote): they need
    ``read_scopes`` instead of ``write_scopes``."""

    def required_scopes(self, method: str, path: str = "") -> list[str]:
        """The scopes for ``method`` on ``path`` (the part after ``/{api}/v{major}``)."""
        reads = method in _READ_METHODS or (method == "POST" and path.rstrip("/") in self.read_only_posts)
        return list(self.read_scopes if reads else self.write_scopes)


class UnknownWebhookSource(NotFound):
    code = "unknown_webhook_source"


class WebhookRoute(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /webhooks/{source}[/...]``: a vendor's deliveries, forwarded unchanged to the service that owns
    them. The vendor holds no OAuth token: the upstream verifies the delivery's signature itself."""

    source: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    upstream: str
    auth: Literal["upstream_signature"] = "upstream_signature"
    plan: Name = "webhooks"
    """Deliveries from one source share this plan (a vendor retrying a backlog cannot flood the upstream)."""
    route_class: Literal["customer", "back_office"] = msgspec.field(default="back_office", name="class")
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0

    def as_route(self) -> Route:
        """The route the admission and proxy steps see: public (no token), this upstream, class and timeout."""
        return Route(
            api="webhooks",
            versions=(1,),
            upstream=self.upstream,
            auth="public",
            route_class=self.route_class,
            timeout=self.timeout,
        )


GATEWAY_OWN_PATHS = frozenset(
    {".well-known", "admin", "docs", "health", "metrics", "oauth", "openapi", "ready", "schema", "webhooks"}
)
"""First path segments the gateway answers itself: no API may be named after one (its calls are proxied before
the gateway's own routes are looked at, so it would take them over)."""


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = {route.api: route for route in routes}

    @property
    def upstreams(self) -> list[str]:
        return sorted({route.upstream for route in self._routes.values()})

    def knows(self, api: str) -> bool:
        return api in self._routes

    def resolve(self, api: str, version: str) -> tuple[Route, int]:
        """The route and the major version number for ``/{api}/{version}/...``."""
        route = self._routes.get(api)
        if route is None:
            raise UnknownApi(f"there is no API named '{api}'", extra={"apis": sorted(self._routes)})
        match = _VERSION.match(version)
        if match is None or int(match.group(1)) not in route.versions:
            raise UnknownApi(
                f"API '{api}' has no version '{version}'",
                code="unknown_api_version",
                extra={"versions": [f"v{v}" for v in route.versions]},
            )
        return route, int(match.group(1))


class GatewayPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    plans: dict[Name, Plan]
    pool: Pool
    routes: list[Route]
    upstreams: dict[str, UpstreamPolicy] = msgspec.field(default_factory=dict)
    webhooks: list[WebhookRoute] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        for required in ("standard", "anonymous"):
            if required not in self.plans:
                raise ValueError(f"plans.{required} is required")
        apis = [route.api for route in self.routes]
        if taken := sorted(set(apis) & GATEWAY_OWN_PATHS):
            raise ValueError(f"routes: {', '.join(taken)} is a path of the gateway's own (OAuth, admin, contracts)")
        if duplicates := sorted({api for api in apis if apis.count(api) > 1}):
            raise ValueError(f"routes: API listed twice: {', '.join(duplicates)}")
        sources = [hook.source for hook in self.webhooks]
        if duplicates := sorted({source for source in sources if sources.count(source) > 1}):
            raise ValueError(f"webhooks: source listed twice: {', '.join(duplicates)}")

    @property
    def table(self) -> RouteTable:
        return RouteTable(self.routes)

    @property
    def upstreams_in_use(self) -> list[str]:
        """Every upstream a route or a webhook source forwards to (what readiness must check)."""
        return sorted({*self.table.upstreams, *(hook.upstream for hook in self.webhooks)})

    def webhook(self, source: str) -> WebhookRoute:
        for hook in self.webhooks:
            if hook.source == source:
                return hook
        raise UnknownWebhookSource(
            f"no webhooks are accepted from '{source}'", extra={"sources": sorted(h.source for h in self.webhooks)}
        )

    def upstream(self, name: str) -> UpstreamPolicy:
        return self.upstreams.get(name) or UpstreamPolicy()

    def plan(self, name: str) -> tuple[str, Plan]:
        """The named plan, or ``standard`` for a plan the file no longer defines."""
        if name in self.plans:
            return name, self.plans[name]
        return "standard", self.plans["standard"]


def load_policy(path: Path) -> GatewayPolicy:
    """Read and validate a policy file; errors name the file and the field."""
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
        plans = data.get("plans")
        if isinstance(plans, dict):  # msgspec reports a dict entry as `plans[...]`; name it instead
            for name, plan in plans.items():
                try:
                    msgspec.convert(plan, Plan)
                except msgspec.ValidationError as exc:
                    raise ValueError(f"plans.{name}: {exc}") from exc
        return msgspec.convert(data, GatewayPolicy)
    except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError, ValueError) as exc:
        raise ConfigurationError(f"gateway policy {path}: {exc}") from exc


class PolicyFile:
    """The policy in force, reloaded when its file changes (checked at most once per ``check_interval``)."""

    def __init__(self, path: Path, *, check_interval: float = 1.0) -> None:
        self.path = path
        self._check_interval = check_interval
        self._current = load_policy(path)
        self._table = self._current.table
        self._mtime = os.stat(path).st_mtime_ns
        self._checked_at = time.monotonic()

    @property
    def current(self) -> GatewayPolicy:
        self._maybe_reload()
        return self._current

    @property
    def table(self) -> RouteTable:
        self._maybe_reload()
        return self._table

    def _maybe_reload(self) -> None:
        now = time.monotonic()
        if now - self._checked_at < self._check_interval:
            return
        self._checked_at = now
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            logger.error("gateway policy %s is gone; keeping the previous one", self.path)
            return
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            policy = load_policy(self.path)
        except ConfigurationError as exc:
            logger.error("%s; keeping the previous policy", exc)
            return
        self._current, self._table = policy, policy.table
        logger.info("gateway policy reloaded from %s", self.path)
