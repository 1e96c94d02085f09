"""Two gateway processes sharing one Redis and one PostgreSQL database enforce one client's limit together:
the cluster admits exactly the plan's burst, not the burst once per process (Kong#5311, Tyk#1244, APISIX#12592).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import REDIS_URL, create_postgres_database, delete_redis_keys, drop_postgres_database
from tests.conftest import sqlalchemy_postgres_url as postgres_url
from tests.e2e.test_distributed import OMNIGATE, ROOT, free_port
from tests.helpers import eventually

BURST = 6
POLICY = f"""
[plans.standard]
rate = 1000
burst = 1000

[plans.anonymous]
rate = 10

[plans.pilot]
rate = {BURST}
burst = {BURST}
period = 600.0

[pool]
rate = 10000
burst = 10000

[[routes]]
api = "erp"
versions = [1]
upstream = "erp"
read_scopes = ["erp:read"]
"""


@pytest.fixture
async def two_gateways(
    postgres_available: None, redis_available: None, tmp_path: Path
) -> AsyncIterator[tuple[list[str], dict[str, str]]]:
    """An ERP and two gateways in their own processes; yields the gateways' URLs and a client on ``pilot``."""
    database = await create_postgres_database()
    prefix = f"omnigate-cluster-{uuid.uuid4().hex[:8]}:"
    (tmp_path / "routes.toml").write_text(POLICY, encoding="utf-8")
    erp_port, *gateway_ports = free_port(), free_port(), free_port()
    env = {
        **os.environ,
        "OMNIGATE_DATA_DIR": str(tmp_path),
        "OMNIGATE_GATEWAY_DATABASE_URL": postgres_url(database),
        "OMNIGATE_REDIS_URL": REDIS_URL,
        "OMNIGATE_BUS_PREFIX": prefix,
        "OMNIGATE_ISSUER": "https://api.retailer.test",  # the cluster's one public name, as behind a load balancer
        "OMNIGATE_ROUTES_FILE": str(tmp_path / "routes.toml"),
        "OMNIGATE_ERP_URL": f"http://127.0.0.1:{erp_port}",
        "OMNIGATE_LOG_LEVEL": "WARNING",
    }
    env.pop("OMNIGATE_DATABASE_URL", None)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([OMNIGATE, "db", "upgrade"], env=env, cwd=ROOT, check=True, timeout=120, capture_output=True)
        created = subprocess.run(
            [OMNIGATE, "clients", "create", "--name", "pilot shop", "--scopes", "erp:read", "--tenant", "demo",
             "--plan", "pilot"],
            env=env, cwd=ROOT, check=True, timeout=60, capture_output=True,
        )  # fmt: skip
        for name, port in [("erp", erp_port), *(("gateway", port) for port in gateway_ports)]:
            log = (tmp_path / f"{name}-{port}.log").open("wb")
            processes.append(
                subprocess.Popen(
                    [OMNIGATE, "serve", name, "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=log
                )
            )
        urls = [f"http://127.0.0.1:{port}" for port in gateway_ports]
        async with httpx.AsyncClient(timeout=2) as http:

            async def up() -> bool:
                try:
                    answers = [await http.get(f"{url}/.well-known/jwks.json") for url in urls]
                    answers.append(await http.get(f"http://127.0.0.1:{erp_port}/health"))
                except httpx.TransportError:
                    return False
                return all(answer.status_code == 200 for answer in answers)

            await eventually(up, bool, within=60)
        yield urls, json.loads(created.stdout)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        await delete_redis_keys(prefix)
        await drop_postgres_database(database)


async def test_two_gateway_processes_admit_one_plan_together(
    two_gateways: tuple[list[str], dict[str, str]],
) -> None:
    urls, client = two_gateways
    async with httpx.AsyncClient(timeout=10) as http:
        issued = await http.post(
            f"{urls[0]}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
        )
        assert issued.status_code == 200, issued.text
        auth = {"Authorization": f"Bearer {issued.json()['access_token']}"}

        answers = await asyncio.gather(
            *(http.get(f"{urls[i % 2]}/erp/v1/items/NOPE-1", headers=auth) for i in range(4 * BURST))
        )

    by_gateway = [Counter(a.status_code for a in answers[i::2]) for i in range(2)]
    admitted = sum(counts[404] for counts in by_gateway)  # the ERP's own answer: no such item
    refused = sum(counts[429] for counts in by_gateway)
    assert admitted == BURST, f"the cluster admitted {admitted}, not the plan's {BURST}: {by_gateway}"
    assert refused == 3 * BURST, by_gateway
    assert all(counts[429] > 0 for counts in by_gateway), "each gateway refused once the shared plan was spent"
    limited = next(a for a in answers if a.status_code == 429)
    assert limited.json()["code"] == "rate_limited"
    assert limited.headers["ratelimit"].startswith('"pilot";r=0')
    assert int(limited.headers["retry-after"]) > 0
