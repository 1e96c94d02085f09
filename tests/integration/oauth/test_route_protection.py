"""Every proxied route needs a valid token with its scope, and a client only ever touches its own tenants."""

from __future__ import annotations

import time

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from omnigate.runtime import EmbeddedProduct
from tests.helpers import fetch_token, onboard
from tests.integration.oauth.conftest import asgi_client


async def _token(product: EmbeddedProduct, client: httpx.AsyncClient, scopes: list[str], **fields: object) -> str:
    onboarded = await onboard(product.settings, scopes=scopes, **fields)
    return await fetch_token(client, onboarded.client_id, onboarded.client_secret)


def _bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def _challenge(response: httpx.Response) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    return response.headers["www-authenticate"]


async def test_missing_malformed_foreign_and_expired_tokens_get_401_invalid_token(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    path = "/storefront/v1/availability?sku=TSHIRT-BLK-M"
    missing = await client.get(path)
    wrong_scheme = await client.get(path, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    garbage = await client.get(path, headers=_bearer("not-a-jwt"))
    now = int(time.time())
    claims = {
        "iss": product.settings.oauth_issuer,
        "aud": "urn:omnigate:api",
        "sub": "x",
        "client_id": "x",
        "iat": now,
        "exp": now + 600,
        "jti": "forged",
        "scope": "storefront:read",
        "tenants": ["demo"],
    }
    foreign_key = RSAKey.generate_key(2048, parameters={"kid": "attacker"})
    forged = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": "attacker"}, claims, foreign_key)
    foreign = await client.get(path, headers=_bearer(forged))

    for response in (missing, wrong_scheme, garbage, foreign):
        assert response.status_code == 401
        assert _challenge(response).startswith('Bearer realm="omnigate", error="invalid_token"')
        assert response.json()["code"] == "invalid_token"


async def test_expired_token_and_a_token_of_the_wrong_type_are_refused(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    """Signed by our own key, but expired, or not typed as an access token (RFC 9068 §4)."""
    ring = product.apps["gateway"].state.security.key_ring
    key = await ring.signing_key()
    now = int(time.time())
    base = {
        "iss": product.settings.oauth_issuer,
        "aud": "urn:omnigate:api",
        "sub": "x",
        "client_id": "x",
        "jti": "j",
        "scope": "storefront:read",
        "tenants": ["demo"],
    }
    expired = jwt.encode(
        {"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, {**base, "iat": now - 7200, "exp": now - 3600}, key
    )
    untyped = jwt.encode({"alg": "RS256", "kid": key.kid}, {**base, "iat": now, "exp": now + 600}, key)
    for token in (expired, untyped):
        response = await client.get("/storefront/v1/availability?sku=TSHIRT-BLK-M", headers=_bearer(token))
        assert response.status_code == 401
        assert 'error="invalid_token"' in _challenge(response)


async def test_valid_token_without_the_route_scope_gets_403_insufficient_scope(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    token = await _token(product, client, ["storefront:read", "wms:read"])

    write = await client.put(
        "/wms/v1/inventory-positions/DC-EAST/TSHIRT-BLK-M", json={"on_hand": 1}, headers=_bearer(token)
    )
    erp = await client.get("/erp/v1/items/TSHIRT-BLK-M", headers=_bearer(token))
    read = await client.get("/wms/v1/locations", headers=_bearer(token))

    assert write.status_code == 403
    assert _challenge(write) == 'Bearer realm="omnigate", error="insufficient_scope", scope="wms:write"'
    assert erp.status_code == 403
    assert 'scope="erp:read"' in _challenge(erp)
    assert erp.json()["code"] == "insufficient_scope"
    assert read.status_code == 200


async def test_a_client_of_one_tenant_never_reads_or_changes_another_tenants_data(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    scopes = ["erp:read", "erp:write"]
    acme = await _token(product, client, scopes, tenants=["acme"])
    globex = await _token(product, client, scopes, tenants=["globex"])
    item = {"title": "Acme anvil", "price": {"amount": "99.00", "currency": "USD"}}

    created = await client.put("/erp/v1/items/ANVIL-1", json=item, headers=_bearer(acme))
    as_globex = await client.get("/erp/v1/items/ANVIL-1", headers=_bearer(globex))
    globex_asks_for_acme = await client.get(
        "/erp/v1/items/ANVIL-1", headers=_bearer(globex, **{"Omnigate-Tenant": "acme"})
    )
    forged_header = await client.get(
        "/erp/v1/items/ANVIL-1", headers=_bearer(globex, **{"X-Omnigate-Tenant": "acme", "X-Omnigate-Tenants": "acme"})
    )
    as_acme = await client.get("/erp/v1/items/ANVIL-1", headers=_bearer(acme))

    assert created.status_code in (200, 201), created.text
    assert as_acme.status_code == 200
    assert as_globex.status_code == 404, "globex's catalog has no such item"
    assert globex_asks_for_acme.status_code == 403
    assert globex_asks_for_acme.json()["code"] == "tenant_forbidden"
    assert forged_header.status_code == 404, "identity headers from outside are stripped"


async def test_a_client_bound_to_several_tenants_names_one(product: EmbeddedProduct, client: httpx.AsyncClient) -> None:
    token = await _token(product, client, ["erp:read"], tenants=["acme", "globex"])

    unnamed = await client.get("/erp/v1/items/ANVIL-1", headers=_bearer(token))
    named = await client.get("/erp/v1/items/ANVIL-1", headers=_bearer(token, **{"Omnigate-Tenant": "globex"}))

    assert unnamed.status_code == 400
    assert unnamed.json()["code"] == "tenant_required"
    assert named.status_code == 404, "authorized for globex, which has no such item"


async def test_services_refuse_a_tenant_outside_the_callers_binding(product: EmbeddedProduct) -> None:
    """Defence in depth behind the gateway: a service checks the tenant against the client's tenants."""
    async with asgi_client(product.asgi["erp"]) as erp:
        response = await erp.get(
            "/erp/v1/items/ANVIL-1", headers={"X-Omnigate-Tenant": "acme", "X-Omnigate-Tenants": "globex"}
        )
    assert response.status_code == 403
    assert response.json()["code"] == "tenant_forbidden"


async def test_a_client_restricted_to_some_versions_cannot_call_others(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    token = await _token(product, client, ["erp:read", "storefront:read"], allowed_versions=["storefront:v1"])

    allowed = await client.get("/storefront/v1/availability?sku=NOPE-1", headers=_bearer(token))
    refused = await client.get("/erp/v1/items/NOPE-1", headers=_bearer(token))

    assert allowed.status_code == 404
    assert refused.status_code == 403
    assert refused.json()["code"] == "version_not_allowed"


async def test_the_verified_identity_reaches_the_upstream_and_the_token_does_not(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    seen: list[dict[str, str]] = []
    original = product.asgi["erp"]

    async def recording(scope: dict[str, object], receive: object, send: object) -> None:
        if scope["type"] == "http":
            seen.append({k.decode(): v.decode() for k, v in scope["headers"]})  # type: ignore[union-attr]
        await original(scope, receive, send)

    product.registry.register_app("erp", recording)  # type: ignore[arg-type]  # before the gateway's first ERP call
    onboarded = await onboard(product.settings, scopes=["erp:read"], tenants=["acme"])
    token = await fetch_token(client, onboarded.client_id, onboarded.client_secret)
    await client.get("/erp/v1/items/ANVIL-1", headers=_bearer(token))

    headers = seen[-1]
    assert headers["x-omnigate-tenant"] == "acme"
    assert headers["x-omnigate-tenants"] == "acme"
    assert headers["x-omnigate-client-id"] == onboarded.client_id
    assert headers["x-omnigate-scopes"] == "erp:read"
    assert "authorization" not in headers
