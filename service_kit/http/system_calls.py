"""Calling another Omnigate service from a saga step, with its answer classified once.

429, 5xx, transport errors and an undeployed service are transient (:class:`SystemUnavailable`: the step is
retried with backoff); any other 4xx is the system saying no (:class:`BusinessFailure`: a person must act).
Every call that changes something carries an ``Idempotency-Key`` derived from the saga and the step, so a
re-run after a crash or a timeout gets the first answer instead of doing it twice.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import msgspec

from service_kit.http.clients import ServiceClients
from service_kit.http.registry import UnknownServiceError
from service_kit.idempotency import IDEMPOTENCY_KEY_HEADER
from service_kit.settings import Settings
from service_kit.tenancy import TENANT_HEADER

__all__ = [
    "BusinessFailure",
    "RetryPolicy",
    "SystemCalls",
    "SystemUnavailable",
    "decode",
    "problem_body",
    "worded_reasons",
]

T = TypeVar("T")


class SystemUnavailable(Exception):
    """A transient failure (down, timed out, 5xx, throttled): the step is retried with backoff."""

    def __init__(self, system: str, detail: str) -> None:
        super().__init__(f"{system}: {detail}")
        self.system = system
        self.detail = detail


class BusinessFailure(Exception):
    """The system said no for a reason a person must fix (credit hold, unknown SKU, unknown jurisdiction)."""

    def __init__(self, system: str, kind: str, reasons: list[dict[str, Any]], *, final: bool = False) -> None:
        super().__init__(f"{system}: {kind}: " + "; ".join(str(r.get("code", r)) for r in reasons))
        self.system = system
        self.kind = kind
        self.reasons = reasons
        self.final = final
        """``True``: a retry cannot help until the request changes (reject); else it waits on hold."""

    @property
    def summary(self) -> str:
        """The reasons as a person reads them on the worklist: their messages (else codes), or the kind."""
        return worded_reasons(self.reasons) or self.kind


def worded_reasons(reasons: Sequence[Mapping[str, Any]]) -> str:
    """Machine-readable reasons as a person reads them on the worklist: their messages, else their codes."""
    return "; ".join(str(r.get("message") or r.get("code")) for r in reasons)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how far apart a saga retries a step whose system is unavailable."""

    max_attempts: int = 20
    base_delay: float = 1.0
    max_delay: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(max_attempts=settings.saga_max_attempts, max_delay=settings.saga_max_retry_delay)

    def delay(self, attempt: int) -> float:
        """Full jitter: a random delay up to ``base * 2**(attempt-1)``, capped (spreads a recovering system's load)."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


def decode(response: httpx.Response, kind: type[T]) -> T:
    return msgspec.json.decode(response.content, type=kind)


def problem_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class SystemCalls:
    def __init__(self, clients: ServiceClients) -> None:
        self._clients = clients

    async def call(
        self, system: str, method: str, path: str, tenant: str, *, key: str | None = None, **options: Any
    ) -> httpx.Response:
        """The system's answer if it gave one that is not transient; raises :class:`SystemUnavailable` if not."""
        headers = {TENANT_HEADER: tenant}
        if key is not None:
            headers[IDEMPOTENCY_KEY_HEADER] = key
        try:
            response = await self._clients.get(system).request(method, path, headers=headers, **options)
        except UnknownServiceError as error:  # a deployment without that system: retried, then on the worklist
            raise SystemUnavailable(system, str(error)) from error
        except httpx.TransportError as error:
            raise SystemUnavailable(system, f"{type(error).__name__}: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise SystemUnavailable(system, f"{method} {path} answered {response.status_code}")
        return response

    @staticmethod
    def refused(system: str, response: httpx.Response, *, final: bool = False) -> BusinessFailure:
        """The refusal in ``response`` (a problem document) as a business failure named by its ``code``."""
        problem = problem_body(response)
        code = str(problem.get("code") or f"http_{response.status_code}")
        reasons = problem.get("reasons") or [{"code": code, "message": problem.get("detail", "")}]
        return BusinessFailure(system, code, list(reasons), final=final)
