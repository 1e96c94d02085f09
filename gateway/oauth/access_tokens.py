"""Verifying access tokens: RFC 9068 JWTs signed by one of our keys, checked for audience, expiry, type,
revocation, scope and tenant. The verified :class:`Identity` is what the gateway forwards upstream."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from gateway.oauth.revocation import RevocationList
from gateway.oauth.signing_keys import KeyRing
from service_kit.problems import Problem
from service_kit.tenancy import CLIENT_ID_HEADER, SCOPES_HEADER, TENANT_HEADER, TENANTS_HEADER

__all__ = [
    "ACCESS_TOKEN_AUDIENCE",
    "TENANT_CHOICE_HEADER",
    "AccessTokenValidator",
    "Identity",
    "InsufficientScope",
    "InvalidAccessToken",
    "TenantForbidden",
    "TenantRequired",
    "VerifiedTokens",
    "authenticate_bearer",
    "identity_headers",
    "select_tenant",
    "token_revoked",
    "unverified_header",
]

ACCESS_TOKEN_AUDIENCE = "urn:omnigate:api"
"""``aud`` of every access token: the APIs behind the gateway (one resource server)."""
REALM = "omnigate"


class Identity(msgspec.Struct, frozen=True, kw_only=True):
    """Who is calling, as proven by a verified token."""

    client_id: str
    scopes: tuple[str, ...]
    tenants: tuple[str, ...]
    plan: str
    api_versions: tuple[str, ...]
    """``storefront:v1``-style versions the client may call; empty means all."""
    jti: str
    expires_at: int


def _challenge(**params: str) -> dict[str, str]:
    rendered = ", ".join(f'{name}="{value}"' for name, value in params.items())
    return {"WWW-Authenticate": f'Bearer realm="{REALM}", {rendered}'}


class InvalidAccessToken(Problem):
    """401 per RFC 6750 §3.1; the challenge tells OAuth clients to fetch a new token."""

    status = 401
    code = "invalid_token"
    title_text = "Unauthorized"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=_challenge(error="invalid_token", error_description=detail))


class InsufficientScope(Problem):
    status = 403
    code = "insufficient_scope"
    title_text = "Forbidden"

    def __init__(self, required: list[str]) -> None:
        scope = " ".join(required)
        super().__init__(
            f"this route needs scope '{scope}', which the access token does not carry",
            extra={"required_scope": scope},
            headers=_challenge(error="insufficient_scope", scope=scope),
        )


class TenantForbidden(Problem):
    status = 403
    code = "tenant_forbidden"
    title_text = "Forbidden"


class TenantRequired(Problem):
    status = 400
    code = "tenant_required"


class AccessTokenValidator(JWTBearerTokenValidator):  # type: ignore[misc]
    """authlib's RFC 9068 validator over this process's key ring, insisting on ``typ: at+jwt``."""

    def __init__(self, issuer: str, keys: KeySet) -> None:
        super().__init__(issuer=issuer, resource_server=ACCESS_TOKEN_AUDIENCE)
        self._keys = keys

    def get_jwks(self) -> KeySet:
        return self._keys

    def authenticate_token(self, token_string: str) -> JWTAccessTokenClaims:
        claims: JWTAccessTokenClaims = super().authenticate_token(token_string)
        if str(claims.header.get("typ", "")).lower() not in ("at+jwt", "application/at+jwt"):
            raise InvalidTokenError(realm=self.realm)
        return claims


def unverified_header(token: str) -> dict[str, Any] | None:
    """The JOSE header, to find the ``kid`` before verifying; ``None`` when it is not a JWS at all."""
    try:
        header: dict[str, Any] = jws.extract_compact(token.encode()).protected
    except (JoseError, ValueError, UnicodeError):
        return None
    return header


class VerifiedTokens:
    """Access tokens whose signature and claims this process has verified, kept until they expire.

    Checking an RS256 signature and the claims is the costliest step of a proxied request, and a client sends the
    same token for up to an hour. Only what cannot change is remembered: that this token, for this issuer, was
    signed by key ``kid`` and carried these claims. Every request still checks that the key is published, that
    the token has not expired, the route's scopes and the deny-list (revocation takes effect at once).
    """

    def __init__(self, *, max_entries: int = 4096) -> None:
        self._max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple[str, Identity]] = {}

    def get(self, issuer: str, token: str) -> tuple[str, Identity] | None:
        """``(kid, identity)`` of a token verified before and not yet expired."""
        entry = self._entries.get((issuer, token))
        if entry is not None and entry[1].expires_at <= int(time.time()):  # as joserfc: expired when exp <= now
            del self._entries[(issuer, token)]
            return None
        return entry

    def put(self, issuer: str, token: str, kid: str, identity: Identity) -> None:
        if len(self._entries) >= self._max_entries:
            now = int(time.time())
            for key in [key for key, (_, known) in self._entries.items() if known.expires_at <= now]:
                del self._entries[key]
            while len(self._entries) >= self._max_entries:  # still full: forget the oldest
                del self._entries[next(iter(self._entries))]
        self._entries[(issuer, token)] = (kid, identity)


_VERIFIED = VerifiedTokens()
"""This process's verified tokens (signature and claims only; see :class:`VerifiedTokens`)."""


async def authenticate_bearer(
    authorization: str | None,
    *,
    issuer: str,
    key_ring: KeyRing,
    revocations: RevocationList | None,
    required_scopes: list[str],
    verified: VerifiedTokens = _VERIFIED,
) -> Identity:
    """The caller's identity from ``Authorization: Bearer ...``, or a 401/403 problem saying why not.

    ``revocations=None`` leaves the deny-list to the caller, which must check ``identity.jti`` before acting on
    the request (the proxy asks in the same round trip as the rate limits: ``gateway.traffic.gate``).
    """
    scheme, _, token = (authorization or "").partition(" ")
    if not authorization:
        raise InvalidAccessToken("this API needs an access token: send 'Authorization: Bearer <token>'")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidAccessToken("the Authorization header must be 'Bearer <token>'")
    token = token.strip()
    known = verified.get(issuer, token)
    if known is not None:
        kid, identity = known
        if not await key_ring.knows(kid):  # its key has been retired since
            raise InvalidAccessToken("the access token was not issued by this gateway")
    else:
        kid, identity = await _verify(token, issuer=issuer, key_ring=key_ring)
        verified.put(issuer, token, kid, identity)
    if required_scopes and not set(required_scopes).issubset(identity.scopes):
        raise InsufficientScope(required_scopes)
    if revocations is not None and await revocations.is_revoked(identity.jti):
        raise token_revoked()
    return identity


async def _verify(token: str, *, issuer: str, key_ring: KeyRing) -> tuple[str, Identity]:
    """Signature, issuer, audience, type and time claims of ``token``, checked against our published keys."""
    header = unverified_header(token)
    if header is None or not isinstance(header.get("kid"), str) or not await key_ring.knows(header["kid"]):
        raise InvalidAccessToken("the access token was not issued by this gateway")
    validator = AccessTokenValidator(issuer, key_ring.public_keys)
    try:
        claims = validator.authenticate_token(token)
        validator.validate_token(claims, None, None)  # scopes depend on the route: checked per request
    except InvalidTokenError:
        raise InvalidAccessToken("the access token is invalid or has expired") from None
    return header["kid"], Identity(
        client_id=str(claims["client_id"]),
        scopes=tuple(str(claims.get("scope", "")).split()),
        tenants=tuple(claims.get("tenants", ())),
        plan=str(claims.get("plan", "standard")),
        api_versions=tuple(claims.get("api_versions", ())),
        jti=str(claims["jti"]),
        expires_at=int(claims["exp"]),
    )


def token_revoked() -> InvalidAccessToken:
    return InvalidAccessToken("the access token has been revoked")


TENANT_CHOICE_HEADER = "omnigate-tenant"
"""Public header a client bound to several tenants uses to say which one a request is for."""


def select_tenant(identity: Identity, requested: str | None) -> str:
    """The tenant this request acts for: the one asked for if the client is bound to it, else its only one."""
    if requested:
        if requested not in identity.tenants:
            raise TenantForbidden(
                f"client '{identity.client_id}' is not bound to tenant '{requested}'",
                extra={"tenants": list(identity.tenants)},
            )
        return requested
    if len(identity.tenants) == 1:
        return identity.tenants[0]
    raise TenantRequired(
        f"client '{identity.client_id}' acts for several tenants: name one in the 'Omnigate-Tenant' header",
        extra={"tenants": list(identity.tenants)},
    )


def identity_headers(identity: Identity, tenant: str) -> list[tuple[str, str]]:
    """What the upstream service learns about the caller (the gateway strips any incoming copies)."""
    return [
        (TENANT_HEADER, tenant),
        (TENANTS_HEADER, " ".join(identity.tenants)),
        (CLIENT_ID_HEADER, identity.client_id),
        (SCOPES_HEADER, " ".join(identity.scopes)),
    ]
