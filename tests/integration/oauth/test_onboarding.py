"""Client onboarding: the admin API, self-service registration with approval, the audit log, the CLI, and
the token endpoint's abuse limits."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from click.testing import CliRunner

from omnigate.cli import main
from omnigate.runtime import EmbeddedProduct
from service_kit.settings import Settings
from tests.helpers import eventually, fetch_token, onboard, running_in_own_task
from tests.integration.oauth.conftest import asgi_client

REGISTRATION_TOKEN = "initial-access-token-for-tests"


@pytest.fixture
async def product(settings: Settings) -> AsyncIterator[EmbeddedProduct]:
    configured = msgspec_replace(settings, registration_token=REGISTRATION_TOKEN, client_plan_cache_ttl=0.2)
    async with running_in_own_task(EmbeddedProduct(configured).running()) as running:
        yield running


def msgspec_replace(settings: Settings, **changes: object) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


@pytest.fixture
async def admin(product: EmbeddedProduct, client: httpx.AsyncClient) -> dict[str, str]:
    onboarded = await onboard(product.settings, scopes=["admin:clients"])
    token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
    return {"Authorization": f"Bearer {token}"}


async def test_admin_api_onboards_a_client_that_can_call_at_once(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    spec = {
        "name": "Acme storefront",
        "scopes": ["storefront:read"],
        "tenants": ["demo"],
        "plan": "gold",
        "contacts": ["ops@acme.example"],
    }
    created = await client.post("/admin/v1/clients", json=spec, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    token = await fetch_token(client, body["client_id"], body["client_secret"])
    listed = await client.get("/admin/v1/clients", headers=admin)
    shown = await client.get(f"/admin/v1/clients/{body['client_id']}", headers=admin)

    assert body["status"] == "active"
    assert body["plan"] == "gold"
    assert (
        await client.get("/storefront/v1/availability?sku=NOPE-1", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 404
    assert body["client_id"] in {c["client_id"] for c in listed.json()}
    assert "client_secret" not in shown.json(), "a secret is shown once, at creation"
    assert shown.json()["contacts"] == ["ops@acme.example"]


async def test_admin_api_needs_the_admin_scope_and_validates_input(
    product: EmbeddedProduct, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    shop_token = await fetch_token(client, shop.client_id, shop.client_secret)

    anonymous = await client.get("/admin/v1/clients")
    not_admin = await client.get("/admin/v1/clients", headers={"Authorization": f"Bearer {shop_token}"})
    unknown_scope = await client.post(
        "/admin/v1/clients", json={"name": "x", "scopes": ["root:all"], "tenants": ["demo"]}, headers=admin
    )
    no_tenant = await client.post(
        "/admin/v1/clients", json={"name": "x", "scopes": ["storefront:read"], "tenants": []}, headers=admin
    )
    missing = await client.get("/admin/v1/clients/cl_nobody", headers=admin)

    assert anonymous.status_code == 401
    assert not_admin.status_code == 403
    assert 'scope="admin:clients"' in not_admin.headers["www-authenticate"]
    assert unknown_scope.status_code == 400
    assert "root:all" in unknown_scope.json()["detail"]
    assert no_tenant.status_code == 400
    assert no_tenant.json()["errors"][0]["field"] == "tenants"
    assert missing.status_code == 404
    assert missing.json()["code"] == "unknown_client"


async def test_secret_rotation_disable_and_delete_through_the_admin_api(
    product: EmbeddedProduct, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    form = {"grant_type": "client_credentials"}

    rotated = await client.post(f"/admin/v1/clients/{shop.client_id}/secret", json={"grace_seconds": 0}, headers=admin)
    assert rotated.status_code == 201
    new_secret = rotated.json()["client_secret"]
    assert (await client.post("/oauth/token", data=form, auth=(shop.client_id, shop.client_secret))).status_code == 401
    assert (await client.post("/oauth/token", data=form, auth=(shop.client_id, new_secret))).status_code == 200

    disabled = await client.patch(f"/admin/v1/clients/{shop.client_id}", json={"status": "disabled"}, headers=admin)
    assert disabled.json()["status"] == "disabled"
    assert (await client.post("/oauth/token", data=form, auth=(shop.client_id, new_secret))).status_code == 401

    assert (await client.delete(f"/admin/v1/clients/{shop.client_id}", headers=admin)).status_code == 204
    assert (await client.get(f"/admin/v1/clients/{shop.client_id}", headers=admin)).status_code == 404

    audit = (await client.get("/admin/v1/audit", params={"subject": f"client:{shop.client_id}"}, headers=admin)).json()
    assert [entry["action"] for entry in audit] == [
        "client.deleted",
        "client.disabled",
        "client.secret_rotated",
        "client.created",
    ]
    assert audit[0]["actor"].startswith("client:")


async def test_tokens_of_a_disabled_or_deleted_client_stop_working_within_seconds(
    product: EmbeddedProduct, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    token = {"Authorization": f"Bearer {await fetch_token(client, shop.client_id, shop.client_secret)}"}
    path = "/storefront/v1/availability?sku=NO-SUCH-SKU"
    assert (await client.get(path, headers=token)).status_code == 404, "a live token reaches the upstream"

    await client.patch(f"/admin/v1/clients/{shop.client_id}", json={"status": "disabled"}, headers=admin)
    refused = await eventually(lambda: client.get(path, headers=token), lambda answer: answer.status_code == 401)
    assert refused.json()["code"] == "invalid_token"
    assert "disabled" in refused.json()["detail"]

    await client.patch(f"/admin/v1/clients/{shop.client_id}", json={"status": "active"}, headers=admin)
    assert (
        await eventually(lambda: client.get(path, headers=token), lambda a: a.status_code == 404)
    ).status_code == 404
    assert (await client.delete(f"/admin/v1/clients/{shop.client_id}", headers=admin)).status_code == 204
    gone = await eventually(lambda: client.get(path, headers=token), lambda answer: answer.status_code == 401)
    assert "no longer exists" in gone.json()["detail"]


async def test_self_registered_client_waits_for_approval(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    metadata = {
        "client_name": "Fast 3PL",
        "scope": "wms:write wms:read",
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_post",
        "contacts": ["it@fast3pl.example"],
        "tenants": ["demo"],
    }
    without_token = await client.post("/oauth/register", json=metadata)
    registered = await client.post(
        "/oauth/register", json=metadata, headers={"Authorization": f"Bearer {REGISTRATION_TOKEN}"}
    )
    assert without_token.status_code == 401
    assert without_token.json()["error"] == "invalid_token"
    assert registered.status_code == 201, registered.text
    body = registered.json()
    assert body["status"] == "pending"
    assert body["client_secret_expires_at"] == 0
    credentials = {
        "grant_type": "client_credentials",
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
    }

    before = await client.post("/oauth/token", data=credentials)
    assert before.status_code == 400
    assert before.json()["error"] == "unauthorized_client"

    approved = await client.patch(f"/admin/v1/clients/{body['client_id']}", json={"status": "active"}, headers=admin)
    assert approved.json()["status"] == "active"
    after = await client.post("/oauth/token", data=credentials)
    assert after.status_code == 200
    assert set(after.json()["scope"].split()) == {"wms:write", "wms:read"}


async def test_registration_rejects_bad_metadata_per_rfc7591(client: httpx.AsyncClient) -> None:
    auth = {"Authorization": f"Bearer {REGISTRATION_TOKEN}"}
    cases = [
        {"client_name": "x", "scope": "wms:write", "grant_types": ["authorization_code"], "tenants": ["demo"]},
        {"client_name": "x", "scope": "wms:write"},
        {"client_name": "x", "scope": "root:all", "tenants": ["demo"]},
        {
            "client_name": "x",
            "scope": "wms:write",
            "token_endpoint_auth_method": "private_key_jwt",
            "tenants": ["demo"],
        },
    ]
    for metadata in cases:
        response = await client.post("/oauth/register", json=metadata, headers=auth)
        assert response.status_code == 400, (metadata, response.text)
        assert response.json()["error"] == "invalid_client_metadata", metadata
    not_json = await client.post("/oauth/register", content=b"[", headers=auth)
    assert not_json.status_code == 400


async def test_repeated_bad_secrets_slow_the_caller_down_without_locking_the_client_out(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    form = {"grant_type": "client_credentials"}
    for _ in range(5):
        assert (await client.post("/oauth/token", data=form, auth=(shop.client_id, "guess"))).status_code == 401

    throttled = await client.post("/oauth/token", data=form, auth=(shop.client_id, shop.client_secret))
    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert 1 <= int(throttled.headers["retry-after"]) <= 30

    async with asgi_client(product.asgi["gateway"], address="10.1.2.3") as elsewhere:
        legitimate = await elsewhere.post("/oauth/token", data=form, auth=(shop.client_id, shop.client_secret))
    assert legitimate.status_code == 200, "the real client, from its own address, is not locked out"


async def test_the_token_endpoint_limits_requests_per_source_address(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    statuses = [
        (await client.post("/oauth/token", data={"grant_type": "client_credentials"})).status_code for _ in range(3)
    ]
    assert statuses[0] == 401
    # at once, so a slow machine cannot refill the bucket between them: 40 burst, then 20 a second per address
    burst = await asyncio.gather(*(client.post("/oauth/token", data={"grant_type": "password"}) for _ in range(80)))
    assert 429 in [answer.status_code for answer in burst], "40 requests burst, then 20 a second per address"


def test_cli_onboards_lists_rotates_and_audits(settings: Settings) -> None:
    runner = CliRunner()
    env = {"OMNIGATE_DATABASE_URL": settings.database_url or "", "OMNIGATE_DATA_DIR": str(settings.data_dir)}

    created = runner.invoke(
        main,
        [
            "clients",
            "create",
            "--name",
            "N",
            "--scopes",
            "storefront:read orders:read",
            "--tenant",
            "demo",
            "--tenant",
            "acme",
            "--plan",
            "gold",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    client = json.loads(created.stdout)
    assert client["client_id"].startswith("cl_")
    assert client["client_secret"].startswith("cs_")
    assert client["tenants"] == ["demo", "acme"]

    listed = runner.invoke(main, ["clients", "list"], env=env)
    rotated = runner.invoke(main, ["clients", "rotate-secret", client["client_id"], "--grace", "1h"], env=env)
    bad_scope = runner.invoke(
        main, ["clients", "create", "--name", "N", "--scopes", "nope:x", "--tenant", "demo"], env=env
    )
    keys = runner.invoke(main, ["keys", "rotate", "--alg", "ES256"], env=env)
    audit = runner.invoke(main, ["audit"], env=env)

    assert client["client_id"] in listed.stdout
    assert json.loads(rotated.stdout)["client_secret"] != client["client_secret"]
    assert bad_scope.exit_code != 0
    assert "unknown scopes: nope:x" in bad_scope.output
    assert json.loads(keys.stdout)["alg"] == "ES256"
    actions = [json.loads(line)["action"] for line in audit.stdout.splitlines()]
    assert {"client.created", "client.secret_rotated", "key.created"} <= set(actions)
