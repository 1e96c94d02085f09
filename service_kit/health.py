"""``/health`` (the process is alive) and ``/ready`` (its database, bus and required upstreams answer)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from litestar import Controller, get
from litestar.datastructures import State

from service_kit.problems import ServiceUnavailable

__all__ = ["HealthController", "ReadinessCheck", "build_health_controller"]

ReadinessProbe = Callable[[State], Awaitable[None]]


@dataclass(frozen=True)
class ReadinessCheck:
    name: str
    probe: ReadinessProbe
    """Raises when the dependency is not ready."""
    timeout: float = 2.0


async def run_checks(state: State, checks: Sequence[ReadinessCheck]) -> dict[str, str]:
    async def _one(check: ReadinessCheck) -> tuple[str, str]:
        try:
            await asyncio.wait_for(check.probe(state), timeout=check.timeout)
        except Exception as exc:
            return check.name, f"failing: {type(exc).__name__}: {exc}"[:300]
        return check.name, "ok"

    return dict(await asyncio.gather(*(_one(check) for check in checks)))


class HealthController(Controller):
    include_in_schema = False


def build_health_controller(
    checks: Sequence[ReadinessCheck], *, liveness_checks_readiness: bool = False
) -> type[Controller]:
    """Health routes for one service; the gateway's ``/health`` also answers for its upstreams."""

    async def readiness(state: State) -> dict[str, object]:
        results = await run_checks(state, checks)
        failing = {name: result for name, result in results.items() if result != "ok"}
        if failing:
            raise ServiceUnavailable(
                "not ready: " + ", ".join(sorted(failing)),
                code="not_ready",
                extra={"checks": results},
                headers={"Retry-After": "5"},
            )
        return {"status": "ready", "checks": results}

    class _Health(HealthController):
        @get("/health")
        async def health(self, state: State) -> dict[str, object]:
            if liveness_checks_readiness:
                return await readiness(state)
            return {"status": "alive"}

        @get("/ready")
        async def ready(self, state: State) -> dict[str, object]:
            return await readiness(state)

    return _Health
