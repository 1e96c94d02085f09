"""Settings from ``OMNIGATE_*`` environment variables, loaded once and validated at start-up.

Every field maps to one variable: ``port`` is ``OMNIGATE_PORT``. Two families are keyed by service
name: ``OMNIGATE_<SERVICE>_DATABASE_URL`` (each service owns its database) and ``OMNIGATE_<SERVICE>_URL``
(where a service is reached in distributed mode; absent means "in this process").
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

__all__ = ["ConfigurationError", "HttpClientSettings", "Settings"]

_PREFIX = "OMNIGATE_"
_KEYED = re.compile(r"^OMNIGATE_(?P<service>[A-Z][A-Z0-9_]*?)_(?P<kind>DATABASE_URL|URL)$")

PositiveFloat = Annotated[float, msgspec.Meta(gt=0)]
PositiveInt = Annotated[int, msgspec.Meta(gt=0)]


class ConfigurationError(ValueError):
    """An environment variable holds a value Omnigate cannot run with."""


class HttpClientSettings(msgspec.Struct, frozen=True, kw_only=True):
    """How services call each other: explicit timeouts, bounded retries, one circuit breaker per upstream."""

    connect_timeout: PositiveFloat = 2.0
    """Seconds to establish a connection."""
    read_timeout: PositiveFloat = 10.0
    """Seconds to wait for response bytes."""
    write_timeout: PositiveFloat = 10.0
    """Seconds to send the request body."""
    pool_timeout: PositiveFloat = 2.0
    """Seconds to wait for a free pooled connection."""
    max_connections: PositiveInt = 100
    """Connections per upstream."""
    retries: Annotated[int, msgspec.Meta(ge=0, le=10)] = 2
    """Extra attempts for idempotent requests on connection errors and 502/503/504."""
    retry_backoff: PositiveFloat = 0.05
    """First backoff in seconds; doubles per attempt, with jitter."""
    breaker_failure_threshold: PositiveInt = 5
    """Consecutive failures that open an upstream's circuit."""
    breaker_reset_timeout: PositiveFloat = 10.0
    """Seconds an open circuit waits before letting one trial request through."""


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Process-wide settings; see the module docstring for the variable names."""

    data_dir: Path = Path(".omnigate")
    """Where embedded mode keeps its SQLite databases (``OMNIGATE_DATA_DIR``)."""
    host: str = "127.0.0.1"
    """Interface the server binds to."""
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    """Port the gateway (or the one served service) listens on."""
    database_url: str | None = None
    """Default database URL for every service without its own ``OMNIGATE_<SERVICE>_DATABASE_URL``."""
    redis_url: str | None = None
    """Redis for the event bus in distributed mode."""
    bus: Literal["memory", "redis"] = "memory"
    """Event bus backend."""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    """Where spans go; ``otlp`` honours the standard ``OTEL_EXPORTER_OTLP_*`` variables."""
    otlp_endpoint: str | None = None
    """Base URL of an OTLP/HTTP collector (``http://collector:4318``); when set, spans are exported there
    (to ``/v1/traces``) whatever ``otel_exporter`` says."""
    tenant: str = "demo"
    """Tenant the demo data is seeded into."""
    issuer: str | None = None
    """OAuth issuer identifier (``iss`` of every token); default ``http://{host}:{port}``."""
    access_token_ttl: Annotated[int, msgspec.Meta(ge=60, le=86_400)] = 3_600
    """Seconds an access token is valid."""
    key_encryption_key: str | None = None
    """Secret that encrypts the gateway's signing keys at rest; when unset, one is generated once into
    ``data_dir/gateway.kek`` (fine for a laptop, not for a cluster: set it from your secret store)."""
    routes_file: Path | None = None
    """The gateway's traffic policy (routes, plans, pool); default ``gateway/routes.toml``. Reloaded on change."""
    contracts_dir: Path | None = None
    """The published OpenAPI contracts the gateway serves at ``/openapi`` and ``/docs``; default ``openapi/``."""
    client_plan_cache_ttl: PositiveFloat = 5.0
    """Seconds a gateway trusts its cached copy of a client's rate-limit plan (a plan change shows within this)."""
    signing_key_refresh_interval: PositiveFloat = 30.0
    """Seconds a gateway trusts its cached signing keys before reloading (a rotation shows within this)."""
    registration_token: str | None = None
    """Initial access token for self-service registration (RFC 7591); registration is closed when unset."""
    max_request_body: PositiveInt = 1_048_576
    """Largest request body in bytes; bigger bodies get a 413 problem."""
    bus_prefix: str = "omnigate:"
    """Prefix of every Redis key the bus uses (one per deployment sharing a Redis)."""
    bus_max_attempts: PositiveInt = 5
    """Deliveries of one event before it moves to the dead-letter stream."""
    bus_claim_idle_ms: PositiveInt = 5_000
    """An unacknowledged event idle this long is redelivered to another consumer."""
    bus_block_ms: PositiveInt = 1_000
    """How long a consumer's read waits for new events."""
    outbox_poll_interval: PositiveFloat = 0.2
    """Seconds between outbox relay polls when idle."""
    saga_max_attempts: PositiveInt = 20
    """Tries of a saga step whose system is unavailable before the order (or return) waits on the worklist for a
    person. With the backoff capped at ``saga_max_retry_delay``, the default rides out an outage of about half an
    hour (an hour at most) on its own: orders queue and complete when the system is back."""
    saga_max_retry_delay: PositiveFloat = 300.0
    """Longest wait, in seconds, between two tries of a saga step (exponential backoff with full jitter)."""
    backorder_recheck_interval: PositiveFloat = 30.0
    """Seconds between a backordered order's tries to hold what it still lacks: stock that comes in is held for
    it within this, and the order is released once every unit is held."""
    shipment_confirmation_deadline: PositiveFloat = 172_800.0
    """Seconds a location has to confirm a release with a shipment before it goes on the worklist
    (``shipment_confirmation_timeout``); default 48 hours."""
    demo_webhook_secret: str = "demo-webhook-secret"
    """The app secret the demo shop ``demo.myshopify.com`` signs its webhooks with (seeded once)."""
    seed_demo: bool = False
    """Seed the demo tenant's data on start when the databases are empty."""
    http: HttpClientSettings = msgspec.field(default_factory=HttpClientSettings)
    database_urls: dict[str, str] = msgspec.field(default_factory=dict)
    service_urls: dict[str, str] = msgspec.field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``OMNIGATE_*`` variables; fail fast naming the variable when one is invalid."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        http: dict[str, object] = {}
        database_urls: dict[str, str] = {}
        service_urls: dict[str, str] = {}
        http_fields = set(HttpClientSettings.__struct_fields__)
        top_fields = set(cls.__struct_fields__) - {"http", "database_urls", "service_urls"}
        for key, value in env.items():
            if not key.startswith(_PREFIX):
                continue
            name = key[len(_PREFIX) :].lower()
            if name in top_fields:
                raw[name] = value
            elif name.startswith("http_") and name[5:] in http_fields:
                http[name[5:]] = value
            elif (match := _KEYED.match(key)) is not None:
                service = match["service"].lower()
                target = database_urls if match["kind"] == "DATABASE_URL" else service_urls
                target[service] = value
        raw["http"] = http
        raw["database_urls"] = database_urls
        raw["service_urls"] = service_urls
        raw.update(overrides)
        if "redis_url" in raw and "bus" not in raw:
            raw["bus"] = "redis"
        try:
            return msgspec.convert(raw, cls, strict=False, dec_hook=_decode_path)
        except msgspec.ValidationError as exc:
            raise ConfigurationError(f"invalid Omnigate setting: {_name_variable(str(exc))}") from exc

    def database_url_for(self, service: str) -> str:
        """The service's own database: its variable, else the shared one, else SQLite under ``data_dir``."""
        if url := self.database_urls.get(service):
            return url
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    @property
    def oauth_issuer(self) -> str:
        return (self.issuer or f"http://{self.host}:{self.port}").rstrip("/")

    def service_url_for(self, service: str) -> str | None:
        """Base URL of a remote service, or ``None`` when it runs in this process."""
        return self.service_urls.get(service)


def _decode_path(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"cannot read {kind!r} from the environment")


def _name_variable(message: str) -> str:
    """Turn msgspec's ``at `$.http.read_timeout``` into the variable a user sets."""
    match = re.search(r"`\$\.([a-z_.]+)`", message)
    if match is None:
        return message
    variable = _PREFIX + match.group(1).replace(".", "_").upper()
    return message.replace(match.group(0), variable)
