"""Deprecation rollouts: a lifecycle change made by the CLI shows on running gateways within seconds;
brownouts answer 410 only inside their window; retirement answers 410 naming the successor; usage per client
and version tells who still has to migrate."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from subprocess import PIPE

import httpx
import pytest
from click.testing import CliRunner

from omnigate.cli import main
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import Settings
from tests.helpers import eventually, fetch_token, onboard
from tests.integration.oauth.conftest import asgi_client

V1 = "/storefront/v1/availability?sku=NOPE-1"
V2 = "/storefront/v2/availability?sku=NOPE-1"


@pytest.fixture
async def client(product: EmbeddedProduct) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(product.asgi["gateway"]) as http:
        onboarded = await onboard(product.settings, scopes=["storefront:read"])
        token = await fetch_token(http, onboarded.client_id, onboarded.client_secret)
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


async def cli(settings: Settings, *args: str) -> str:
    """The real ``omnigate`` command, in its own process, as an operator runs it next to a running gateway."""
    env = {
        **os.environ,
        "OMNIGATE_DATABASE_URL": settings.database_url or "",
        "OMNIGATE_DATA_DIR": str(settings.data_dir),
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("omnigate")), *args, env=env, stdout=PIPE, stderr=PIPE
    )
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


async def test_a_deprecation_set_by_the_cli_appears_on_a_running_gateway(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    before = await client.get(V1)
    assert before.status_code == 404
    assert "deprecation" not in before.headers
    sunset = (datetime.now(UTC) + timedelta(days=90)).replace(microsecond=0)
    await cli(
        product.settings,
        "versions",
        "deprecate",
        "storefront",
        "v1",
        "--sunset",
        sunset.isoformat(),
        "--successor",
        "v2",
        "--link",
        "https://docs.omnigate.dev/storefront/v2-migration",
    )

    async def v1() -> httpx.Response:
        return await client.get(V1)

    deprecated = await eventually(v1, lambda r: "deprecation" in r.headers, within=5)
    assert deprecated.status_code == 404, "a deprecated version still answers"
    assert deprecated.headers["deprecation"].startswith("@")
    assert abs(int(deprecated.headers["deprecation"][1:]) - datetime.now(UTC).timestamp()) < 60
    assert parsedate_to_datetime(deprecated.headers["sunset"]) == sunset
    links = deprecated.headers["link"]
    assert '<https://docs.omnigate.dev/storefront/v2-migration>; rel="deprecation"' in links
    assert '</storefront/v2>; rel="successor-version"' in links
    assert "deprecation" not in (await client.get(V2)).headers, "v2 is untouched"


async def test_a_brownout_answers_410_only_inside_its_window(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    now = datetime.now(UTC)
    await cli(
        product.settings,
        "versions",
        "deprecate",
        "storefront",
        "v1",
        "--sunset",
        (now + timedelta(days=30)).isoformat(),
        "--successor",
        "v2",
    )
    later = (now + timedelta(hours=1)).isoformat(), (now + timedelta(hours=2)).isoformat()
    await cli(product.settings, "versions", "brownout", "storefront", "v1", "--start", later[0], "--end", later[1])
    window_end = datetime.now(UTC) + timedelta(seconds=8)
    await cli(
        product.settings,
        "versions",
        "brownout",
        "storefront",
        "v1",
        "--start",
        (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        "--end",
        window_end.isoformat(),
    )

    async def v1() -> httpx.Response:
        return await client.get(V1)

    inside = await eventually(v1, lambda r: r.status_code == 410, within=4)
    assert inside.json()["code"] == "version_brownout"
    assert inside.json()["successor"] == "/storefront/v2"
    assert int(inside.headers["retry-after"]) <= 8
    assert (await client.get(V2)).status_code == 200, "the successor answers during the brownout"
    after = await eventually(v1, lambda r: r.status_code != 410, within=12)
    assert datetime.now(UTC) >= window_end, "410 until the window closed"
    assert after.status_code == 404, "outside the window the deprecated version answers again"
    assert "deprecation" in after.headers


async def test_a_retired_version_answers_410_naming_its_successor(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    await cli(
        product.settings, "versions", "deprecate", "storefront", "v1", "--sunset", "2099-01-01", "--successor", "v2"
    )
    await cli(product.settings, "versions", "retire", "storefront", "v1")

    async def v1() -> httpx.Response:
        return await client.get(V1)

    gone = await eventually(v1, lambda r: r.status_code == 410, within=5)
    assert gone.headers["content-type"] == "application/problem+json"
    assert gone.json()["code"] == "version_retired"
    assert gone.json()["successor"] == "/storefront/v2"
    assert '</storefront/v2>; rel="successor-version"' in gone.headers["link"]
    listed = [json.loads(line) for line in (await cli(product.settings, "versions", "list")).splitlines()]
    assert {"api": "storefront", "version": "v1", "status": "retired"}.items() <= listed[0].items()


async def test_usage_per_client_and_version_shows_who_must_migrate(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    laggard = await onboard(product.settings, scopes=["storefront:read"])
    admin = await onboard(product.settings, scopes=["admin:versions"])
    async with asgi_client(product.asgi["gateway"]) as other:
        token = await fetch_token(other, laggard.client_id, laggard.client_secret)
        for _ in range(3):
            await other.get(V1, headers={"Authorization": f"Bearer {token}"})
        admin_token = await fetch_token(other, admin.client_id, admin.client_secret)
        await client.get(V1)
        await client.get(V2)
        await client.get(V2)
        await product.apps["gateway"].state.usage.flush()  # what the gateway does every two seconds
        usage = (await other.get("/admin/v1/versions/usage", headers={"Authorization": f"Bearer {admin_token}"})).json()
        forbidden = await other.get("/admin/v1/versions/usage", headers={"Authorization": f"Bearer {token}"})

    counts = {(row["version"], row["client_id"]): row["requests"] for row in usage if row["api"] == "storefront"}
    assert counts[("v1", laggard.client_id)] == 3
    v1_clients = {client_id for (version, client_id) in counts if version == "v1"}
    v2_clients = {client_id for (version, client_id) in counts if version == "v2"}
    assert laggard.client_id in v1_clients - v2_clients, "the laggard only calls v1"
    assert len(v1_clients & v2_clients) == 1, "the fixture's client calls both"
    assert forbidden.status_code == 403
    from_cli = [
        json.loads(line)
        for line in (await cli(product.settings, "versions", "usage", "--api", "storefront")).splitlines()
    ]
    assert {(r["version"], r["client_id"]): r["requests"] for r in from_cli} == counts


def test_the_cli_refuses_unknown_versions_and_past_sunsets(settings: Settings) -> None:
    env = {"OMNIGATE_DATABASE_URL": settings.database_url or "", "OMNIGATE_DATA_DIR": str(settings.data_dir)}
    unknown = CliRunner().invoke(main, ["versions", "deprecate", "storefront", "v7", "--sunset", "2099-01-01"], env=env)
    past = CliRunner().invoke(main, ["versions", "deprecate", "storefront", "v1", "--sunset", "2001-01-01"], env=env)
    undeprecated = CliRunner().invoke(
        main, ["versions", "brownout", "storefront", "v2", "--start", "2099-01-01", "--end", "2099-01-02"], env=env
    )

    assert unknown.exit_code != 0
    assert "storefront v7 is not in the route table" in unknown.output
    assert past.exit_code != 0
    assert "sunset must be in the future" in past.output
    assert undeprecated.exit_code != 0
    assert "deprecate storefront v2 before scheduling brownouts" in undeprecated.output
