"""Clients to other services over the network keep no cookies: one pooled client serves every caller (for the
gateway, every partner), so a cookie one answer set must never ride along on anyone's next request."""

from __future__ import annotations

import socket

from aiohttp import web

from service_kit.http.clients import ServiceClients
from service_kit.http.registry import ServiceRegistry
from service_kit.settings import HttpClientSettings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_cookie_an_upstream_sets_is_never_sent_back_by_the_pooled_client() -> None:
    cookies_seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        cookies_seen.append(request.headers.get("Cookie"))
        response = web.json_response({"ok": True})
        response.set_cookie("session", "caller-a", path="/")
        return response

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    upstream = f"http://localhost:{port}"  # a host name: aiohttp's jar never keeps cookies of an IP address
    clients = ServiceClients(ServiceRegistry({"erp": upstream}), HttpClientSettings())
    try:
        first = await clients.get("erp").get("/items/A")
        second = await clients.get("erp").get("/items/B")
        third = await clients.get("erp").get("/items/C", headers={"Cookie": "theirs=1"})
    finally:
        await clients.aclose()
        await runner.cleanup()

    assert first.headers["set-cookie"].startswith("session=caller-a")
    assert (second.status_code, third.status_code) == (200, 200)
    assert cookies_seen == [None, None, "theirs=1"]
