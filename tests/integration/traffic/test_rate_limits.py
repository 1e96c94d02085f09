"""Rate limits: per-client plans with IETF RateLimit headers, one limit shared by every gateway process,
capacity reserved for customer-facing routes, and plan and policy changes applied while running."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import msgspec
import pytest

from gateway.routes import DEFAULT_POLICY_FILE
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import Settings
from tests.helpers import fetch_token, onboard, running_in_own_task
from tests.integration.oauth.conftest import asgi_client

STOREFRONT = "/storefront/v1/availability?sku=NOPE-1"
ERP = "/erp/v1/items/NOPE-1"


def policy_file(tmp_path: Path, **replacements: str) -> Path:
    """The shipped policy with some sections replaced (TOML text keyed by section header)."""
    text = DEFAULT_POLICY_FILE.read_text()
    for header, body in replacements.items():
        text = re.sub(rf"\[{re.escape(header)}\]\n(?:[a-z_]+ = .*\n)+", f"[{header}]\n{body}\n", text)
    path = tmp_path / f"routes-{len(list(tmp_path.glob('routes-*')))}.toml"
    path.write_text(text)
    return path


@pytest.fixture
def tight(settings: Settings, tmp_path: Path) -> Settings:
    """Plans small enough to exhaust in a test: standard 3 a minute (no cell refills during a test, however slow
    the machine), gold 100/s."""
    path = policy_file(
        tmp_path, **{"plans.standard": "rate = 3\nburst = 3\nperiod = 60.0", "plans.gold": "rate = 100\nburst = 100"}
    )
    return msgspec.structs.replace(settings, routes_file=path, client_plan_cache_ttl=0.2)


@pytest.fixture
async def product(tight: Settings) -> AsyncIterator[EmbeddedProduct]:
    async with running_in_own_task(EmbeddedProduct(tight).running()) as running:
        yield running


async def _bearer(product: EmbeddedProduct, client: httpx.AsyncClient, **fields: object) -> tuple[str, dict[str, str]]:
    onboarded = await onboard(product.settings, scopes=["storefront:read", "erp:read"], **fields)
    token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
    return onboarded.client_id, {"Authorization": f"Bearer {token}"}


async def test_every_answer_carries_the_plans_ratelimit_headers_and_the_excess_gets_429(
    product: EmbeddedProduct,
) -> None:
    async with asgi_client(product.asgi["gateway"]) as client:
        _, auth = await _bearer(product, client)
        answers = [await client.get(STOREFRONT, headers=auth) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [404, 404, 404]
    assert answers[0].headers["ratelimit-policy"] == '"standard";q=3;w=60'
    assert [a.headers["ratelimit"].split(";")[1] for a in answers[:3]] == ["r=2", "r=1", "r=0"]
    refused = answers[3]
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 20, "one cell of 3-a-minute frees within 20 s"
    assert refused.headers["ratelimit"].startswith('"standard";r=0;t=')
    assert "x-ratelimit-limit" not in refused.headers


async def test_a_plan_change_applies_without_a_restart(product: EmbeddedProduct) -> None:
    from gateway.admin.schemas import ClientUpdate
    from gateway.oauth.clients import update_client
    from service_kit.database import Database

    async with asgi_client(product.asgi["gateway"]) as client:
        client_id, auth = await _bearer(product, client)
        statuses = [(await client.get(STOREFRONT, headers=auth)).status_code for _ in range(4)]
        assert statuses[-1] == 429
        database = Database(product.settings.database_url_for("gateway"))
        try:
            async with database.transaction() as session:
                await update_client(session, client_id, ClientUpdate(plan="gold"), actor="test")
        finally:
            await database.dispose()
        await asyncio.sleep(0.3)  # the gateway's plan cache (0.2 s here, 5 s by default)
        upgraded = [await client.get(STOREFRONT, headers=auth) for _ in range(10)]

    assert [a.status_code for a in upgraded] == [404] * 10, "the same token, now on gold"
    assert upgraded[0].headers["ratelimit-policy"] == '"gold";q=100;w=1'


@pytest.mark.parametrize("settings", ["servers"], indirect=True)
async def test_two_gateway_processes_on_one_redis_enforce_one_limit_together(tight: Settings) -> None:
    """The pool and the plan live in Redis, timed by Redis's clock: N gateways do not get N times the limit."""
    assert tight.redis_url is not None
    first, second = EmbeddedProduct(tight), EmbeddedProduct(tight)
    async with (
        running_in_own_task(first.running()),
        running_in_own_task(second.running()),
        asgi_client(first.asgi["gateway"]) as one,
        asgi_client(second.asgi["gateway"]) as two,
    ):
        _, auth = await _bearer(first, one)
        statuses = await asyncio.gather(*(gateway.get(STOREFRONT, headers=auth) for gateway in [one, two] * 3))

    allowed = [response.status_code for response in statuses].count(404)
    assert allowed == 3, f"burst of 3 shared across both gateways, got {[s.status_code for s in statuses]}"


async def test_back_office_traffic_cannot_take_the_capacity_reserved_for_customers(
    settings: Settings, tmp_path: Path
) -> None:
    path = policy_file(
        tmp_path,
        # a pool of 10 that refills one cell a minute: none comes back during the test, however slow the machine
        **{
            "plans.standard": "rate = 1000\nburst = 1000",
            "pool": "rate = 1\nperiod = 60.0\nburst = 10\nreserved_for_customer = 4",
        },
    )
    surged = msgspec.structs.replace(settings, routes_file=path)
    product = EmbeddedProduct(surged)
    async with running_in_own_task(product.running()), asgi_client(product.asgi["gateway"]) as client:
        _, auth = await _bearer(product, client)
        sync_job = [(await client.get(ERP, headers=auth)).status_code for _ in range(8)]
        shoppers = [(await client.get(STOREFRONT, headers=auth)).status_code for _ in range(4)]
        refused = await client.get(ERP, headers=auth)

    assert sync_job == [404] * 6 + [429, 429], "back office stops where the reserve begins"
    assert shoppers == [404] * 4, "customer-facing routes still get the reserved capacity"
    assert refused.json()["code"] == "capacity_reserved"


async def test_the_route_table_reloads_while_running_and_refuses_a_broken_file(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "routes.toml"
    path.write_text(DEFAULT_POLICY_FILE.read_text())
    live = msgspec.structs.replace(settings, routes_file=path)
    product = EmbeddedProduct(live)
    async with running_in_own_task(product.running()), asgi_client(product.asgi["gateway"]) as client:
        _, auth = await _bearer(product, client)
        assert (await client.get(ERP, headers=auth)).status_code == 404

        without_erp = re.sub(r'\[\[routes\]\]\napi = "erp"\n(?:.+\n)+?(?=\n|\Z)', "", path.read_text())
        path.write_text(without_erp)
        await asyncio.sleep(1.2)
        gone = await client.get(ERP, headers=auth)
        assert gone.status_code == 404
        assert gone.json()["code"] == "unknown_api", "the erp route was removed without a restart"

        path.write_text("this is not TOML [")
        await asyncio.sleep(1.2)
        still = await client.get(STOREFRONT, headers=auth)
        assert still.status_code == 404
        assert still.json()["code"] == "unknown_sku", "a broken file leaves the previous policy in force"


def test_an_invalid_policy_file_is_refused_at_start_naming_the_field(settings: Settings, tmp_path: Path) -> None:
    from service_kit.settings import ConfigurationError

    path = policy_file(tmp_path, **{"plans.standard": "rate = 0"})
    with pytest.raises(ConfigurationError, match=r"plans\.standard: .* at `\$\.rate`"):
        EmbeddedProduct(msgspec.structs.replace(settings, routes_file=path))
