"""3PL shipment confirmations as signed webhooks, delivered through the gateway: a good signature ships, a bad
or stale one is a 401 that stores nothing, a replayed delivery is deduplicated, and during a secret rotation
both secrets work. Partners are onboarded from the shell (``omnigate wms-partners``)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
from click.testing import CliRunner

from omnigate.cli import main
from system_apis.wms.signatures import sign
from tests.integration.wms.conftest import Wms

PARTNER = "acme-3pl"


async def _cli(wms: Wms, *args: str) -> Any:
    """The command as a user runs it (in a thread: it runs its own event loop)."""
    settings = wms.product.settings
    env = {"OMNIGATE_DATABASE_URL": settings.database_url or "", "OMNIGATE_DATA_DIR": str(settings.data_dir)}
    result = await asyncio.to_thread(CliRunner().invoke, main, ["wms-partners", *args], env=env)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


async def _shippable(wms: Wms, location: str = "3PL-ACME") -> dict[str, Any]:
    assert (await wms.adjust(location, "SNEAKER-9", "received", 6)).status_code == 201
    released = await wms.release([("L1", "SNEAKER-9", 3)], order_id="ORD-3PL", location=location)
    assert released.status_code == 201, released.text
    return released.json()  # type: ignore[no-any-return]


def _body(request: dict[str, Any], shipment_id: str, quantity: int) -> bytes:
    confirmation = {
        "type": "shipment.confirmed",
        "fulfillment_request_id": request["id"],
        "shipment": {
            "shipment_id": shipment_id,
            "lines": [{"line_id": "L1", "sku": "SNEAKER-9", "quantity": quantity}],
            "shipped_at": "2026-11-23T09:30:00Z",
            "packages": [{"tracking_number": "1Z999AA10123456784", "carrier": "UPS", "service": "Ground"}],
        },
    }
    return json.dumps(confirmation).encode()


async def _deliver(client: httpx.AsyncClient, body: bytes, secret: str, *, delivery_id: str | None = None,
                   timestamp: int | None = None, partner: str = PARTNER) -> httpx.Response:  # fmt: skip
    headers = {
        "content-type": "application/json",
        "Omnigate-Signature": sign(body, secret, timestamp or int(time.time())),
        "Omnigate-Delivery-Id": delivery_id or uuid.uuid4().hex,
    }
    return await client.post(f"/webhooks/3pl/{partner}", content=body, headers=headers)


async def test_a_signed_confirmation_ships_and_a_replay_is_deduplicated(
    wms: Wms, anonymous_gateway: httpx.AsyncClient
) -> None:
    [partner] = await _cli(wms, "add", PARTNER, "--tenant", "demo", "--name", "Acme Logistics")
    request = await _shippable(wms)
    body = _body(request, "ACME-SHP-1", 2)

    first = await _deliver(anonymous_gateway, body, partner["webhook_secret"], delivery_id="dlv-1")
    replay = await _deliver(anonymous_gateway, body, partner["webhook_secret"], delivery_id="dlv-1")

    assert first.status_code == 200, first.text
    assert first.json() == {"delivery_id": "dlv-1", "status": "accepted", "fulfillment_request_id": request["id"],
                            "fulfillment_status": "partially_shipped"}  # fmt: skip
    assert replay.status_code == 200
    assert replay.json()["status"] == "duplicate"
    assert replay.json()["fulfillment_status"] == "partially_shipped"
    position = await wms.position("3PL-ACME", "SNEAKER-9")
    assert (position["on_hand"], position["committed"]) == (4, 1), "shipped once"
    shipped = (await wms.client.get(f"/wms/v1/fulfillment-requests/{request['id']}")).json()
    assert shipped["shipments"][0]["packages"][0]["tracking_number"] == "1Z999AA10123456784"
    assert shipped["shipments"][0]["tenant"] == "demo"
    assert await wms.table_count("wms_partner_delivery") == 1


async def test_a_bad_or_stale_signature_is_401_and_stores_nothing(
    wms: Wms, anonymous_gateway: httpx.AsyncClient
) -> None:
    [partner] = await _cli(wms, "add", PARTNER, "--tenant", "demo", "--name", "Acme Logistics")
    request = await _shippable(wms)
    body = _body(request, "ACME-SHP-1", 3)

    wrong_secret = await _deliver(anonymous_gateway, body, "not-the-secret")
    tampered = await anonymous_gateway.post(
        f"/webhooks/3pl/{PARTNER}",
        content=body.replace(b'"quantity": 3', b'"quantity": 2'),
        headers={
            "Omnigate-Signature": sign(body, partner["webhook_secret"], int(time.time())),
            "Omnigate-Delivery-Id": "dlv-t",
        },
    )
    stale = await _deliver(anonymous_gateway, body, partner["webhook_secret"], timestamp=int(time.time()) - 301)
    unsigned = await anonymous_gateway.post(f"/webhooks/3pl/{PARTNER}", content=body)
    unknown_partner = await _deliver(anonymous_gateway, body, partner["webhook_secret"], partner="nobody")

    for answer in (wrong_secret, tampered, stale, unsigned, unknown_partner):
        assert answer.status_code == 401, answer.text
        assert answer.json()["code"] == "invalid_webhook_signature"
    assert await wms.table_count("wms_partner_delivery") == 0
    assert await wms.table_count("wms_shipment") == 0
    assert (await wms.position("3PL-ACME", "SNEAKER-9"))["on_hand"] == 6


async def test_both_secrets_work_during_a_rotation_and_the_old_one_stops_after(
    wms: Wms, anonymous_gateway: httpx.AsyncClient
) -> None:
    [old] = await _cli(wms, "add", PARTNER, "--tenant", "demo", "--name", "Acme Logistics")
    [new] = await _cli(wms, "rotate-secret", PARTNER, "--grace", "1h")
    request = await _shippable(wms)

    with_old = await _deliver(anonymous_gateway, _body(request, "S-OLD", 1), old["webhook_secret"])
    with_new = await _deliver(anonymous_gateway, _body(request, "S-NEW", 1), new["webhook_secret"])
    [listed] = await _cli(wms, "list")
    [newest] = await _cli(wms, "rotate-secret", PARTNER, "--grace", "0")
    retired = await _deliver(anonymous_gateway, _body(request, "S-RETIRED", 1), new["webhook_secret"])
    current = await _deliver(anonymous_gateway, _body(request, "S-CURRENT", 1), newest["webhook_secret"])

    assert new["webhook_secret"] != old["webhook_secret"]
    assert (with_old.status_code, with_new.status_code) == (200, 200), (with_old.text, with_new.text)
    assert listed["previous_secret_valid_until"] is not None and "webhook_secret" not in listed
    assert retired.status_code == 401
    assert current.status_code == 200
    assert current.json()["fulfillment_status"] == "shipped"


async def test_a_partner_confirms_only_its_own_locations_and_bad_bodies_name_the_field(
    wms: Wms, anonymous_gateway: httpx.AsyncClient
) -> None:
    [partner] = await _cli(wms, "add", PARTNER, "--tenant", "demo", "--name", "Acme Logistics")
    secret = partner["webhook_secret"]
    elsewhere = await _shippable(wms, location="DC-EAST")
    own = await _shippable(wms)

    foreign = await _deliver(anonymous_gateway, _body(elsewhere, "S-1", 1), secret)
    over = await _deliver(anonymous_gateway, _body(own, "S-2", 4), secret)
    malformed = await _deliver(anonymous_gateway, _body(own, "S-3", 0), secret)
    no_delivery_id = await anonymous_gateway.post(
        f"/webhooks/3pl/{PARTNER}", content=_body(own, "S-4", 1),
        headers={"Omnigate-Signature": sign(_body(own, "S-4", 1), secret, int(time.time()))},
    )  # fmt: skip

    assert foreign.status_code == 403 and foreign.json()["code"] == "not_location_operator"
    assert over.status_code == 409 and over.json()["errors"][0]["field"] == "lines[0].quantity"
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["field"] == "shipment.lines[0].quantity"
    assert no_delivery_id.status_code == 400
    assert await wms.table_count("wms_partner_delivery") == 0, "a refused delivery leaves nothing behind"
