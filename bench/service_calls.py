"""Service-to-service call throughput: our client stack against httpx's default transport.

Why: every process API and the gateway call upstreams through ``ServiceClients``; httpx's default
pool degrades under concurrency (encode/httpx#3215), so the kit uses an aiohttp transport. This
measures both in the same run against the same upstream (a real uvicorn server on loopback).

    .venv/bin/python bench/service_calls.py [--requests 4000] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import httpx

from service_kit.http.clients import ServiceClients
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import HttpClientSettings

UPSTREAM = """
from litestar import Litestar, get

@get("/inventory/v1/availability", sync_to_thread=False)
def availability(sku: str) -> dict[str, object]:
    return {"sku": sku, "available_to_sell": 146, "positions": []}

app = Litestar([availability])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def run(call: Callable[[], Awaitable[httpx.Response]], requests: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    semaphore = asyncio.Semaphore(concurrency)

    async def one() -> None:
        nonlocal errors
        async with semaphore:
            start = time.perf_counter()
            try:
                response = await call()
                response.raise_for_status()
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(requests)))
    elapsed = time.perf_counter() - began
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "req_per_s": requests / elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "errors": float(errors),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", UPSTREAM + f"\nimport uvicorn\nuvicorn.run(app, port={port}, log_level='warning')"],
        env={**os.environ},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(100):
                try:
                    await probe.get(base + "/inventory/v1/availability?sku=X")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)

        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        results = {}
        async with httpx.AsyncClient(base_url=base, limits=limits) as baseline:
            await run(lambda: baseline.get("/inventory/v1/availability", params={"sku": "X"}), 200, 50)
            results["httpx default transport (baseline)"] = await run(
                lambda: baseline.get("/inventory/v1/availability", params={"sku": "X"}), args.requests, args.concurrency
            )
        clients = ServiceClients(ServiceRegistry({"inventory": base}), HttpClientSettings(max_connections=100))
        ours = clients.get("inventory")
        await run(lambda: ours.get("/inventory/v1/availability", params={"sku": "X"}), 200, 50)
        results["ServiceClients (aiohttp + retries + breaker + OTel)"] = await run(
            lambda: ours.get("/inventory/v1/availability", params={"sku": "X"}), args.requests, args.concurrency
        )
        await clients.aclose()
    finally:
        server.terminate()
        server.wait()

    print(f"{args.requests} GETs, concurrency {args.concurrency}, 100 pooled connections, loopback\n")
    print("| client | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|")
    for name, r in results.items():
        print(f"| {name} | {r['req_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']:.0f} |")


if __name__ == "__main__":
    asyncio.run(main())
