"""Introspection (RFC 7662), revocation (RFC 7009), signing key rotation and client secret rotation."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import httpx
import pytest
from joserfc import jwt

from gateway.oauth.clients import rotate_client_secret
from gateway.oauth.signing_keys import KeyEncryption, rotate_signing_key
from omnigate.runtime import EmbeddedProduct
from service_kit.database import Database
from service_kit.settings import Settings
from tests.helpers import eventually, fetch_token, onboard, running_in_own_task
from tests.integration.oauth.conftest import asgi_client

AVAILABILITY = "/storefront/v1/availability?sku=NOPE-1"
"""An authorized call answers 404 (no such SKU); an unauthorized one 401."""


async def _status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get(AVAILABILITY, headers={"Authorization": f"Bearer {token}"})).status_code


async def test_introspection_of_active_revoked_foreign_and_garbage_tokens(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    other = await onboard(product.settings, scopes=["storefront:read"])
    admin = await onboard(product.settings, scopes=["admin:clients"])
    token = await fetch_token(client, shop.client_id, shop.client_secret)

    async def introspect(who: object, value: str) -> dict[str, object]:
        response = await client.post(
            "/oauth/introspect",
            data={"token": value},
            auth=(who.client_id, who.client_secret),  # type: ignore[attr-defined]
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        return response.json()  # type: ignore[no-any-return]

    active = await introspect(shop, token)
    assert active["active"] is True
    assert active["client_id"] == shop.client_id
    assert active["scope"] == "storefront:read"
    assert active["tenants"] == ["demo"]
    assert active["exp"] > time.time()
    assert (await introspect(other, token)) == {"active": False}, "someone else's token reveals nothing"
    assert (await introspect(admin, token))["active"] is True, "an administrator may inspect any token"
    assert (await introspect(shop, "garbage")) == {"active": False}

    unauthenticated = await client.post("/oauth/introspect", data={"token": token})
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"] == "invalid_client"

    revoked = await client.post("/oauth/revoke", data={"token": token}, auth=(shop.client_id, shop.client_secret))
    assert revoked.status_code == 200
    assert (await introspect(shop, token)) == {"active": False}


async def test_introspection_of_an_expired_token(product: EmbeddedProduct, client: httpx.AsyncClient) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    key = await product.apps["gateway"].state.security.key_ring.signing_key()
    now = int(time.time())
    claims = {
        "iss": product.settings.oauth_issuer,
        "aud": "urn:omnigate:api",
        "sub": shop.client_id,
        "client_id": shop.client_id,
        "iat": now - 7200,
        "exp": now - 3600,
        "jti": "old",
        "scope": "storefront:read",
    }
    expired = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}, claims, key)

    response = await client.post(
        "/oauth/introspect", data={"token": expired}, auth=(shop.client_id, shop.client_secret)
    )

    assert response.json() == {"active": False}


async def test_a_revoked_token_is_refused_at_once_and_only_its_owner_can_revoke_it(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    other = await onboard(product.settings, scopes=["storefront:read"])
    token = await fetch_token(client, shop.client_id, shop.client_secret)
    assert await _status(client, token) == 404

    by_other = await client.post("/oauth/revoke", data={"token": token}, auth=(other.client_id, other.client_secret))
    assert by_other.status_code == 200, "RFC 7009: the answer does not say whose token it was"
    assert await _status(client, token) == 404, "another client cannot revoke it"

    await client.post("/oauth/revoke", data={"token": token}, auth=(shop.client_id, shop.client_secret))
    refused = await client.get(AVAILABILITY, headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401
    assert refused.json()["detail"] == "the access token has been revoked"
    fresh = await fetch_token(client, shop.client_id, shop.client_secret)
    assert await _status(client, fresh) == 404, "revoking one token leaves the client's others alone"


async def test_revocation_reaches_every_gateway_process_and_survives_a_restart(settings: Settings) -> None:
    """Two gateway processes on one database (and one Redis on servers); a restart keeps the deny-list."""
    first = EmbeddedProduct(settings)
    shop = await onboard(settings, scopes=["storefront:read"])
    async with running_in_own_task(first.running()), asgi_client(first.asgi["gateway"]) as one:
        token = await fetch_token(one, shop.client_id, shop.client_secret)
        second = EmbeddedProduct(settings)
        async with running_in_own_task(second.running()), asgi_client(second.asgi["gateway"]) as two:
            assert await _status(two, token) == 404
            await one.post("/oauth/revoke", data={"token": token}, auth=(shop.client_id, shop.client_secret))
            assert await _status(one, token) == 401
            if settings.redis_url:
                assert await _status(two, token) == 401, "the shared deny-list refuses it everywhere"
    restarted = EmbeddedProduct(settings)
    async with running_in_own_task(restarted.running()), asgi_client(restarted.asgi["gateway"]) as three:
        assert await _status(three, token) == 401, "a restarted gateway still refuses a revoked token"


async def test_key_rotation_fails_no_request(settings: Settings) -> None:
    """Tokens signed before a rotation keep working; tokens signed after it verify on a gateway that has not
    reloaded its keys yet; the JWKS publishes both keys until the old one's tokens have expired."""
    shop = await onboard(settings, scopes=["storefront:read"])
    signer, verifier = EmbeddedProduct(settings), EmbeddedProduct(settings)
    async with (
        running_in_own_task(signer.running()),
        running_in_own_task(verifier.running()),
        asgi_client(signer.asgi["gateway"]) as one,
        asgi_client(verifier.asgi["gateway"]) as two,
    ):
        before = await fetch_token(one, shop.client_id, shop.client_secret)
        old_kid = jwt.decode(before, signer.apps["gateway"].state.security.key_ring.public_keys).header["kid"]
        database = Database(settings.database_url_for("gateway"))
        try:
            async with database.transaction() as session:
                new = await rotate_signing_key(
                    session, KeyEncryption.from_settings(settings), alg="ES256", token_ttl=60, actor="test"
                )
        finally:
            await database.dispose()
        await signer.apps["gateway"].state.security.key_ring.load()  # what the refresh interval does
        after = await fetch_token(one, shop.client_id, shop.client_secret)
        header = jwt.decode(after, signer.apps["gateway"].state.security.key_ring.public_keys).header

        assert header["kid"] == new.kid != old_kid
        assert header["alg"] == "ES256"
        for gateway in (one, two):
            assert await _status(gateway, before) == 404
            assert await _status(gateway, after) == 404
        published = {key["kid"] for key in (await two.get("/.well-known/jwks.json")).json()["keys"]}
        assert {old_kid, new.kid} <= published


async def test_signing_keys_are_encrypted_at_rest(product: EmbeddedProduct) -> None:
    from sqlalchemy import select

    from gateway.models import SigningKey

    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            stored = (await session.scalars(select(SigningKey))).all()
    finally:
        await database.dispose()
    assert stored
    for key in stored:
        assert b'"d"' not in key.encrypted_private_key
        assert "d" not in key.public_jwk
        private = KeyEncryption.from_settings(product.settings).decrypt(key.encrypted_private_key, key.kid)
        assert "d" in private
        with pytest.raises(Exception):  # noqa: B017 - any failure to decrypt is the point
            KeyEncryption("a different key").decrypt(key.encrypted_private_key, key.kid)


async def test_secret_rotation_keeps_the_old_secret_working_for_the_grace_period(
    product: EmbeddedProduct, client: httpx.AsyncClient
) -> None:
    shop = await onboard(product.settings, scopes=["storefront:read"])
    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            rotated = await rotate_client_secret(session, shop.client_id, grace=timedelta(seconds=1), actor="test")
    finally:
        await database.dispose()
    form = {"grant_type": "client_credentials"}

    old_during_grace = await client.post("/oauth/token", data=form, auth=(shop.client_id, shop.client_secret))
    new = await client.post("/oauth/token", data=form, auth=(shop.client_id, rotated.client_secret))
    assert old_during_grace.status_code == 200
    assert new.status_code == 200

    async def old_secret() -> int:
        response = await client.post("/oauth/token", data=form, auth=(shop.client_id, shop.client_secret))
        return response.status_code

    await asyncio.sleep(1.0)
    assert await eventually(old_secret, lambda status: status == 401, within=3) == 401
    assert (
        await client.post("/oauth/token", data=form, auth=(shop.client_id, rotated.client_secret))
    ).status_code == 200


async def test_keys_reload_in_the_middle_of_token_requests(settings: Settings) -> None:
    """A reload of the key ring while the request holds its write transaction (SQLite's single writer)
    must neither deadlock nor fail: it reads without taking the write lock."""
    import msgspec

    eager = msgspec.structs.replace(settings, signing_key_refresh_interval=0.001)
    shop = await onboard(eager, scopes=["storefront:read"])
    product = EmbeddedProduct(eager)
    async with running_in_own_task(product.running()), asgi_client(product.asgi["gateway"]) as client:
        for _ in range(3):
            await asyncio.sleep(0.01)
            token = await fetch_token(client, shop.client_id, shop.client_secret)
            introspected = await client.post(
                "/oauth/introspect", data={"token": token}, auth=(shop.client_id, shop.client_secret)
            )
            assert introspected.json()["active"] is True


async def test_a_superseded_key_retires_once_its_last_token_has_expired(product: EmbeddedProduct) -> None:
    from datetime import UTC, datetime

    from gateway.oauth.signing_keys import RETIREMENT_LEEWAY, published_keys

    database = Database(product.settings.database_url_for("gateway"))
    try:
        async with database.transaction() as session:
            before = {key.kid for key in await published_keys(session, datetime.now(UTC))}
            new = await rotate_signing_key(
                session, KeyEncryption.from_settings(product.settings), alg="RS256", token_ttl=120, actor="test"
            )
            now = datetime.now(UTC)
            soon = {key.kid for key in await published_keys(session, now + timedelta(seconds=120))}
            later = {key.kid for key in await published_keys(session, now + timedelta(seconds=121) + RETIREMENT_LEEWAY)}
    finally:
        await database.dispose()
    assert soon == before | {new.kid}, "the old key verifies while its tokens may still be valid"
    assert later == {new.kid}, "then it leaves the JWKS"
