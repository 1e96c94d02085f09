"""Proxying: a bulkhead per upstream sheds a burst instead of piling it on the system of record, and answers
stream through unchanged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from gateway.routes import DEFAULT_POLICY_FILE, GATEWAY_OWN_PATHS, load_policy
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import ConfigurationError, Settings
from tests.helpers import fetch_token, onboard, running_in_own_task
from tests.integration.oauth.conftest import asgi_client


@pytest.fixture
async def product(settings: Settings, tmp_path: Path) -> AsyncIterator[EmbeddedProduct]:
    policy = DEFAULT_POLICY_FILE.read_text().replace(
        "[upstreams.erp]\nmax_concurrency = 64\nqueue_timeout = 0.25",
        "[upstreams.erp]\nmax_concurrency = 2\nqueue_timeout = 0.1",
    )
    assert "max_concurrency = 2" in policy
    (tmp_path / "routes.toml").write_text(policy)
    narrow = msgspec.structs.replace(settings, routes_file=tmp_path / "routes.toml")
    async with running_in_own_task(EmbeddedProduct(narrow).running()) as running:
        yield running


async def test_a_burst_beyond_the_bulkhead_waits_briefly_then_is_shed_with_503(product: EmbeddedProduct) -> None:
    in_flight = 0
    most = 0
    slow_erp = product.asgi["erp"]

    async def slow(scope: dict[str, object], receive: object, send: object) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            await asyncio.sleep(0.4)  # an ERP under load
            await slow_erp(scope, receive, send)  # type: ignore[arg-type]
        finally:
            in_flight -= 1

    product.registry.register_app("erp", slow)  # type: ignore[arg-type]  # before the gateway's first ERP call
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        answers = await asyncio.gather(*(client.get("/erp/v1/items/NOPE-1", headers=auth) for _ in range(6)))

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [404, 404, 503, 503, 503, 503]
    assert most == 2, "never more than two requests in flight to the ERP"
    shed = next(answer for answer in answers if answer.status_code == 503)
    assert shed.json()["code"] == "upstream_saturated"
    assert shed.headers["retry-after"] == "1"


async def test_answers_stream_through_with_headers_and_large_bodies(product: EmbeddedProduct) -> None:
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:write", "erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        title = "T" * 200
        created = await client.put(
            "/erp/v1/items/STREAM-1",
            json={"title": title, "price": {"amount": "1.00", "currency": "USD"}},
            headers=auth,
        )
        read = await client.get("/erp/v1/items/STREAM-1", headers=auth)
        too_big = await client.put(
            "/erp/v1/items/STREAM-2",
            content=b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}',
            headers={**auth, "content-type": "application/json"},
        )

    assert created.status_code in (200, 201), created.text
    assert read.status_code == 200
    assert read.json()["title"] == title
    assert read.headers["content-type"] == "application/json"
    assert read.headers["ratelimit-policy"].startswith('"internal"')
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"


async def test_the_upstream_gets_the_path_as_the_caller_encoded_it(product: EmbeddedProduct) -> None:
    """A percent-encoded control character or non-ASCII letter in a path reaches the service still encoded
    (found by the contract fuzzer: re-encoding the decoded path failed with a 500)."""
    seen: list[tuple[object, object]] = []
    erp = product.asgi["erp"]

    async def recording(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            seen.append((scope["raw_path"], scope["query_string"]))
        await erp(scope, receive, send)  # type: ignore[arg-type]

    product.registry.register_app("erp", recording)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        answer = await client.get("/erp/v1/items/%03%C3%8D?sku=A%20B", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 400  # the ERP's own answer: not a valid SKU
    assert answer.json()["code"] == "invalid_request"
    assert seen == [(b"/erp/v1/items/%03%C3%8D", b"sku=A%20B")]


async def test_a_path_that_would_climb_out_of_its_api_is_refused_before_any_upstream_sees_it(
    product: EmbeddedProduct,
) -> None:
    """A storefront token must not reach the ERP by ``..`` segments that an upstream (or the client to it) would
    resolve after the gateway had checked the storefront's scopes. httpx resolves raw ``..`` itself, so these are
    sent percent-encoded, which the gateway decodes like any server."""
    reached: list[object] = []
    for name in ("erp", "storefront", "shopify_intake"):
        upstream = product.asgi[name]

        async def recording(scope: dict[str, object], receive: object, send: object, app: Any = upstream) -> None:
            if scope["type"] == "http":
                reached.append(scope["path"])
            await app(scope, receive, send)

        product.registry.register_app(name, recording)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["storefront:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        climbing = await client.get("/storefront/v1/%2E%2E/%2e%2e/erp/v1/items/TSHIRT-BLK-M", headers=auth)
        webhook = await client.post("/webhooks/shopify/%2e%2e/%2e%2e/erp/v1/items", content=b"{}")

    for answer in (climbing, webhook):
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == "dot_segment_in_path"
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert reached == []


async def test_runs_of_slashes_are_read_as_one_and_relayed_so(product: EmbeddedProduct) -> None:
    """``//storefront/v1/...`` is a storefront call, judged and relayed as ``/storefront/v1/...``, as Litestar
    would route it (it had been answered 503 'the route table changed' forever)."""
    reached: list[object] = []
    storefront = product.asgi["storefront"]

    async def recording(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            reached.append(scope["raw_path"])
        await storefront(scope, receive, send)  # type: ignore[arg-type]

    product.registry.register_app("storefront", recording)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["storefront:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        answers = []
        for raw in (b"//storefront/v1/availability", b"/storefront//v1///availability"):
            url = httpx.URL(str(client.base_url)).copy_with(raw_path=raw + b"?sku=TSHIRT-BLK-M")
            answers.append(await client.send(client.build_request("GET", url, headers=auth)))

    assert reached == [b"/storefront/v1/availability"] * 2
    for answer in answers:
        assert answer.json()["code"] == "unknown_sku", answer.text  # the storefront's own answer (nothing seeded)
        assert "ratelimit" in answer.headers, "the storefront's policy chain ran"


async def test_a_cookie_an_upstream_sets_goes_to_its_caller_and_never_into_another_request(
    product: EmbeddedProduct,
) -> None:
    """One pooled client serves every caller: a cookie jar in it would hand one caller's session to the next."""
    cookies_seen: list[object] = []

    async def session_setting(scope: dict[str, object], receive: object, send: Any) -> None:
        headers = dict(scope["headers"])  # type: ignore[call-overload]
        cookies_seen.append(headers.get(b"cookie"))
        await send({"type": "http.response.start", "status": 200, "headers": [(b"set-cookie", b"session=A; Path=/")]})
        await send({"type": "http.response.body", "body": b"{}"})

    product.registry.register_app("erp", session_setting)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}"}
        first = await client.get("/erp/v1/items/A", headers=auth)
        client.cookies.clear()  # the test's own client keeps cookies; the next caller has none
        second = await client.get("/erp/v1/items/B", headers=auth)
        client.cookies.clear()
        third = await client.get("/erp/v1/items/C", headers={**auth, "Cookie": "theirs=1"})

    assert first.headers["set-cookie"] == "session=A; Path=/"
    assert (second.status_code, third.status_code) == (200, 200)
    assert cookies_seen == [None, None, b"theirs=1"]


async def test_a_chunked_body_past_the_limit_is_refused_with_413_and_never_blamed_on_the_upstream(
    product: EmbeddedProduct,
) -> None:
    """A body of unknown length streams to the upstream; once it passes the limit the caller hears 413 (not an
    upstream failure), and the upstream's circuit stays closed."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * (64 * 1024)

    clients = product.apps["gateway"].state.clients
    clients.get("erp")  # the ERP's client and breaker, built now rather than on the first call
    breaker = clients.breakers["erp"]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:write", "erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        auth = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
        too_big = [  # as many as would open the circuit, were they the upstream's failures
            await client.put("/erp/v1/items/CHUNKED-1", content=chunks(), headers=auth)
            for _ in range(breaker.failure_threshold)
        ]
        after = await client.get("/erp/v1/items/CHUNKED-1", headers=auth)

    for refused in too_big:
        assert refused.status_code == 413, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert after.status_code == 404, "nothing was written"
    assert breaker.state == "closed"


async def test_the_gateways_own_headers_replace_an_upstreams_of_the_same_name(product: EmbeddedProduct) -> None:
    async def claiming(scope: dict[str, object], receive: object, send: Any) -> None:
        headers = [(b"RateLimit", b'"upstream";r=0;t=9'), (b"Link", b"</terms>; rel=terms-of-service")]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    product.registry.register_app("erp", claiming)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:read"], plan="internal")
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        answer = await client.get("/erp/v1/items/A", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 204
    assert answer.headers.get_list("ratelimit") == [answer.headers["ratelimit"]]
    assert answer.headers["ratelimit"].startswith('"internal";')
    assert answer.headers["link"] == "</terms>; rel=terms-of-service", "relations the gateway does not set stay"
    assert "content-length" not in answer.headers, "a 204 says nothing of a body"


async def test_no_api_may_take_a_path_the_gateway_answers_itself(product: EmbeddedProduct, tmp_path: Path) -> None:
    """API calls are served before the gateway's own routes are looked at, so an API named like one of them would
    take it over: such a policy is refused (and a running gateway keeps its previous one)."""
    own = {route.path.split("/")[1] for route in product.apps["gateway"].routes}
    own = {segment for segment in own if segment and not segment.startswith("{")}
    assert own <= GATEWAY_OWN_PATHS, f"reserve {sorted(own - GATEWAY_OWN_PATHS)} in gateway.routes"

    policy = DEFAULT_POLICY_FILE.read_text() + '\n[[routes]]\napi = "admin"\nversions = [1]\nupstream = "erp"\n'
    (tmp_path / "admin.toml").write_text(policy)
    with pytest.raises(ConfigurationError, match="admin is a path of the gateway's own"):
        load_policy(tmp_path / "admin.toml")
