"""Operators see every request: one access-log line with client, API, version, status, latency and trace id,
and Prometheus metrics by API, version and status, with upstream gauges."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from omnigate.runtime import EmbeddedProduct
from tests.helpers import fetch_token, onboard
from tests.integration.oauth.conftest import asgi_client

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


async def test_one_access_log_line_per_request_and_metrics_by_api_version_and_status(
    product: EmbeddedProduct, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="omnigate.gateway.access")
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["storefront:read"])
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        traced = await client.get(
            "/storefront/v1/availability?sku=NOPE-1",
            headers={"Authorization": f"Bearer {token}", "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"},
        )
        await client.get("/storefront/v2/availability?sku=NOPE-1")
        await client.get("/scanner-probe-7f3a/../etc/passwd")  # routed nowhere
        await client.request("PROPFIND", "/storefront/v1/availability")
        metrics = await client.get("/metrics")

    assert traced.headers["x-trace-id"] == TRACE_ID
    [line] = [
        r
        for r in caplog.records
        if r.__dict__.get("api") == "storefront" and r.__dict__.get("client_id") != "anonymous"
    ]
    assert line.__dict__["client_id"] == onboarded.client_id
    assert line.__dict__["version"] == "v1"
    assert line.__dict__["status"] == 404
    assert line.__dict__["latency_ms"] > 0
    assert line.__dict__["route"] == "/{api}/{version}/{rest}"
    assert line.__dict__["trace_id"] == TRACE_ID
    from service_kit.telemetry import JsonLogFormatter

    rendered = json.loads(JsonLogFormatter("gateway").format(line))
    assert (rendered["client_id"], rendered["trace_id"], rendered["status"]) == (onboarded.client_id, TRACE_ID, 404)
    assert rendered["latency_ms"] == line.__dict__["latency_ms"]
    logged_at = datetime.fromtimestamp(line.created, UTC).isoformat(timespec="milliseconds")
    assert rendered["ts"] == logged_at, "UTC, to the millisecond"

    assert metrics.status_code == 200
    text = metrics.text
    assert 'api="storefront"' in text and 'version="v1"' in text and 'status_code="404"' in text
    assert 'version="v2"' in text and 'status_code="401"' in text
    assert "scanner-probe" not in text and "PROPFIND" not in text, "unrouted paths and methods are not labels"
    assert 'method="other"' in text, "PROPFIND is counted, as another method"
    assert 'path="other"' in text, "the probe is counted, under no path of its own"
    assert "omnigate_gateway_upstream_circuit_state" in text
    assert 'omnigate_gateway_upstream_circuit_state{upstream="storefront"} 0.0' in text
    assert 'omnigate_gateway_upstream_in_flight{upstream="storefront"} 0.0' in text, "every stream has finished"


@pytest.mark.parametrize("incoming", [f"00-{TRACE_ID}-00f067aa0ba902b7-01", f"00-{TRACE_ID}-00f067aa0ba902b7-00", None])
async def test_the_trace_reaches_the_upstream_whether_sampled_unsampled_or_new(
    product: EmbeddedProduct, incoming: str | None
) -> None:
    """Unsampled traces take a cheaper path through the gateway; the trace id must survive it all the same."""
    received: list[str] = []
    erp = product.asgi["erp"]

    async def recording(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            received.append(dict(scope["headers"]).get(b"traceparent", b"").decode())
        await erp(scope, receive, send)

    product.registry.register_app("erp", recording)  # type: ignore[arg-type]
    async with asgi_client(product.asgi["gateway"]) as client:
        onboarded = await onboard(product.settings, scopes=["erp:read"])
        token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
        headers = {"Authorization": f"Bearer {token}", **({"traceparent": incoming} if incoming else {})}
        answer = await client.get("/erp/v1/items/NOPE-1", headers=headers)

    trace_id = answer.headers["x-trace-id"]
    if incoming is not None:
        assert trace_id == TRACE_ID
    [traceparent] = received
    version, upstream_trace_id, _, flags = traceparent.split("-")
    assert (version, upstream_trace_id) == ("00", trace_id)
    if incoming is not None:
        assert flags == incoming[-2:], "the caller's sampling decision is passed on"
