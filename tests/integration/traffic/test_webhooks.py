"""Vendor webhooks carry a signature, not a token: the gateway forwards them unchanged (body, signature
headers) to the owning service, never lets the sender pose as a tenant, and rate-limits each source."""

from __future__ import annotations

import json
from typing import Any

import httpx

from omnigate.runtime import EmbeddedProduct
from tests.integration.oauth.conftest import asgi_client


async def test_a_delivery_reaches_the_owning_service_byte_for_byte(product: EmbeddedProduct) -> None:
    seen: list[dict[str, Any]] = []

    async def wms(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen.append({"path": scope["raw_path"], "headers": dict(scope["headers"]), "body": body})
        await send({"type": "http.response.start", "status": 202, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b'{"accepted":true}'})

    product.registry.register_app("wms", wms)
    payload = json.dumps({"shipment": {"id": "S-1", "tracking": "1Z999"}}, separators=(",", ":")).encode()
    async with asgi_client(product.asgi["gateway"]) as client:
        answer = await client.post(
            "/webhooks/3pl/acme-logistics",
            content=payload,
            headers={
                "content-type": "application/json",
                "omnigate-signature": "t=1700000000,v1=abc",
                "x-omnigate-tenant": "someone-else",  # a sender must not choose the tenant
            },
        )

    assert answer.status_code == 202
    assert answer.json() == {"accepted": True}
    assert answer.headers["ratelimit-policy"].startswith('"webhooks"')
    assert len(seen) == 1
    assert seen[0]["path"] == b"/webhooks/3pl/acme-logistics"
    assert seen[0]["body"] == payload
    assert seen[0]["headers"][b"omnigate-signature"] == b"t=1700000000,v1=abc"
    assert b"x-omnigate-tenant" not in seen[0]["headers"]


async def test_an_unknown_source_is_a_problem_naming_the_known_ones(client: httpx.AsyncClient) -> None:
    answer = await client.post("/webhooks/acme", content=b"{}")

    assert answer.status_code == 404
    assert answer.json()["code"] == "unknown_webhook_source"
    assert answer.json()["sources"] == ["3pl", "shopify"]


async def test_deliveries_need_no_token_but_other_methods_are_refused(client: httpx.AsyncClient) -> None:
    answer = await client.get("/webhooks/3pl/acme")

    assert answer.status_code == 405
