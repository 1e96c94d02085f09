"""The token endpoint as real OAuth clients use it, and every RFC 6749 §5.2 error it can answer."""

from __future__ import annotations

import base64
import time

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from omnigate.runtime import EmbeddedProduct
from tests.helpers import fetch_token, onboard

TOKEN_URL = "http://gateway.test/oauth/token"


def _oauth_client(product: EmbeddedProduct, client_id: str, secret: object, method: str) -> AsyncOAuth2Client:
    transport = httpx.ASGITransport(app=product.asgi["gateway"])  # type: ignore[arg-type]
    return AsyncOAuth2Client(
        client_id, secret, token_endpoint_auth_method=method, transport=transport, base_url="http://gateway.test"
    )


async def _verify_with_jwks(http: httpx.AsyncClient, access_token: str) -> jwt.Token:
    metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    jwks = (await http.get(metadata["jwks_uri"].replace(metadata["issuer"], ""))).json()
    token = jwt.decode(access_token, KeySet.import_key_set(jwks))
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": metadata["issuer"]},
        aud={"essential": True, "value": "urn:omnigate:api"},
        exp={"essential": True},
    ).validate(token.claims)
    return token


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
async def test_a_real_oauth_client_gets_a_token_with_its_secret_and_calls_the_storefront(
    product: EmbeddedProduct, client: httpx.AsyncClient, method: str
) -> None:
    onboarded = await onboard(product.settings, scopes=["storefront:read", "orders:read"], plan="gold")
    async with _oauth_client(product, onboarded.client_id, onboarded.client_secret, method) as oauth:
        token = await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials", scope="storefront:read")
        response = await oauth.get("/storefront/v1/availability", params={"sku": "NO-SUCH-SKU"})

    assert token["token_type"] == "Bearer"
    assert token["scope"] == "storefront:read", "narrowed to what was asked"
    assert token["expires_in"] == product.settings.access_token_ttl
    assert response.status_code == 404, "authorized; the SKU simply does not exist"
    verified = await _verify_with_jwks(client, token["access_token"])
    assert verified.header["typ"] == "at+jwt"
    assert verified.header["alg"] == "RS256"
    claims = verified.claims
    assert claims["client_id"] == claims["sub"] == onboarded.client_id
    assert claims["tenants"] == ["demo"]
    assert claims["plan"] == "gold"
    assert claims["exp"] - claims["iat"] == product.settings.access_token_ttl
    assert claims["jti"]


async def test_private_key_jwt_partner_authenticates_with_its_registered_key(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    partner_key = RSAKey.generate_key(2048, parameters={"kid": "partner-1"})
    onboarded = await onboard(
        product.settings,
        scopes=["wms:write", "wms:read"],
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [partner_key.as_dict(private=False)]},
    )
    assert onboarded.client_secret is None

    async with _oauth_client(product, onboarded.client_id, partner_key, "private_key_jwt") as oauth:
        oauth.register_client_auth_method(PrivateKeyJWT(TOKEN_URL))
        token = await oauth.fetch_token(TOKEN_URL, grant_type="client_credentials")
        response = await oauth.get("/wms/v1/locations")

    assert set(token["scope"].split()) == {"wms:write", "wms:read"}, "no scope asked: the client's defaults"
    assert response.status_code == 200
    assert (await _verify_with_jwks(client, token["access_token"])).claims["client_id"] == onboarded.client_id


async def test_a_client_assertion_cannot_be_replayed_or_signed_by_another_key(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    partner_key = RSAKey.generate_key(2048)
    onboarded = await onboard(
        product.settings,
        scopes=["wms:write"],
        token_endpoint_auth_method="private_key_jwt",
        jwks={"keys": [partner_key.as_dict(private=False)]},
    )

    def assertion(key: RSAKey, jti: str) -> dict[str, str]:
        now = int(time.time())
        claims = {"iss": onboarded.client_id, "sub": onboarded.client_id, "aud": TOKEN_URL, "jti": jti}
        signed = jwt.encode({"alg": "RS256"}, {**claims, "iat": now, "exp": now + 60}, key)
        return {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
        }

    first = await client.post("/oauth/token", data=assertion(partner_key, "once"))
    replayed = await client.post("/oauth/token", data=assertion(partner_key, "once"))
    forged = await client.post("/oauth/token", data=assertion(RSAKey.generate_key(2048), "other"))

    assert first.status_code == 200, first.text
    assert replayed.status_code == 400
    assert replayed.json()["error"] == "invalid_client"
    assert forged.status_code == 400
    assert forged.json()["error"] == "invalid_client"


async def test_requested_scopes_are_narrowed_to_what_the_client_is_allowed(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    onboarded = await onboard(
        product.settings, scopes=["storefront:read", "orders:read", "orders:write"], default_scopes=["storefront:read"]
    )
    auth = (onboarded.client_id, onboarded.client_secret)

    narrowed = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "orders:read erp:write"}, auth=auth
    )
    defaults = await client.post("/oauth/token", data={"grant_type": "client_credentials"}, auth=auth)

    assert narrowed.json()["scope"] == "orders:read"
    assert defaults.json()["scope"] == "storefront:read"
    assert narrowed.headers["cache-control"] == "no-store"


async def _error(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code, response.json()["error"]


async def test_every_rfc6749_error_the_token_endpoint_can_answer(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    onboarded = await onboard(product.settings, scopes=["storefront:read"])
    auth = (onboarded.client_id, onboarded.client_secret)
    grant = {"grant_type": "client_credentials"}

    # invalid_request: missing grant type, repeated parameter, two authentication methods, not a form
    assert await _error(await client.post("/oauth/token", data={}, auth=auth)) == (400, "invalid_request")
    repeated = await client.post(
        "/oauth/token",
        content="grant_type=client_credentials&scope=a&scope=b",
        auth=auth,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert await _error(repeated) == (400, "invalid_request")
    both = await client.post("/oauth/token", data={**grant, "client_secret": onboarded.client_secret}, auth=auth)
    assert await _error(both) == (400, "invalid_request")
    assert await _error(await client.post("/oauth/token", json=grant, auth=auth)) == (400, "invalid_request")

    # invalid_client: 401 with a Basic challenge when the client used Basic, 400 otherwise
    wrong = await client.post("/oauth/token", data=grant, auth=(onboarded.client_id, "not-the-secret"))
    assert await _error(wrong) == (401, "invalid_client")
    assert wrong.headers["www-authenticate"].startswith("Basic ")
    unknown = await client.post("/oauth/token", data={**grant, "client_id": "cl_nobody", "client_secret": "x"})
    assert await _error(unknown) == (400, "invalid_client")
    anonymous = await client.post("/oauth/token", data=grant)
    assert await _error(anonymous) == (401, "invalid_client")

    # unsupported_grant_type, invalid_scope (unknown to the server, or none of it allowed)
    password = await client.post("/oauth/token", data={"grant_type": "password"}, auth=auth)
    assert await _error(password) == (400, "unsupported_grant_type")
    unknown_scope = await client.post("/oauth/token", data={**grant, "scope": "root:everything"}, auth=auth)
    assert await _error(unknown_scope) == (400, "invalid_scope")
    not_allowed = await client.post("/oauth/token", data={**grant, "scope": "erp:write"}, auth=auth)
    assert await _error(not_allowed) == (400, "invalid_scope")


async def test_pending_and_disabled_clients_get_no_token(product: EmbeddedProduct, client: httpx.AsyncClient) -> None:
    from gateway.admin.schemas import ClientUpdate
    from gateway.oauth.clients import update_client
    from service_kit.database import Database

    onboarded = await onboard(product.settings, scopes=["storefront:read"])
    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            client_row = await update_client(session, onboarded.client_id, ClientUpdate(status="disabled"), actor="t")
            client_row.status = "pending"  # as a self-registered client starts
    finally:
        await database.dispose()
    pending = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(onboarded.client_id, onboarded.client_secret)
    )
    assert await _error(pending) == (400, "unauthorized_client")
    assert "approve" in pending.json()["error_description"]

    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            await update_client(session, onboarded.client_id, ClientUpdate(status="disabled"), actor="t")
    finally:
        await database.dispose()
    disabled = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(onboarded.client_id, onboarded.client_secret)
    )
    assert await _error(disabled) == (401, "invalid_client")


async def test_discovery_document_names_every_endpoint(product: EmbeddedProduct, client: httpx.AsyncClient) -> None:
    metadata = (await client.get("/.well-known/oauth-authorization-server")).json()

    issuer = product.settings.oauth_issuer
    assert metadata["issuer"] == issuer
    assert metadata["token_endpoint"] == f"{issuer}/oauth/token"
    assert metadata["grant_types_supported"] == ["client_credentials"]
    assert set(metadata["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert "storefront:read" in metadata["scopes_supported"]
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert keys and all("d" not in key and "p" not in key for key in keys), "public halves only"


async def test_secrets_are_stored_only_as_slow_hashes(product: EmbeddedProduct, client: httpx.AsyncClient) -> None:
    from sqlalchemy import select

    from gateway.models import ClientSecret
    from service_kit.database import Database

    onboarded = await onboard(product.settings, scopes=["storefront:read"])
    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            stored = (await session.scalars(select(ClientSecret.secret_hash))).all()
    finally:
        await database.dispose()
    assert stored and all(value.startswith("scrypt$") for value in stored)
    assert onboarded.client_secret not in " ".join(stored)
    assert base64.urlsafe_b64encode(onboarded.client_secret.encode()).decode() not in " ".join(stored)
    assert await fetch_token(client, onboarded.client_id, onboarded.client_secret)
