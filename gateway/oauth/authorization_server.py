"""authlib's OAuth 2.0 authorization server, fitted to an async gateway.

authlib's endpoints are synchronous. Everything they need from the database or Redis (the client record,
whether a token is revoked, whether an assertion's ``jti`` is fresh, the signing key) is loaded
asynchronously first into an :class:`AuthorizationContext`; authlib then runs in a worker thread (scrypt
and RSA signing would otherwise block the event loop) against that request-scoped context. What it decides
to persist (issued tokens, revocations) comes back in the context for the caller to write.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from authlib.common.errors import ContinueIteration
from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidClientError,
    OAuth2Payload,
    OAuth2Request,
    UnauthorizedClientError,
)
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750.errors import InvalidTokenError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator, JWTIntrospectionEndpoint
from authlib.oauth2.rfc9068.claims import JWTAccessTokenClaims
from joserfc.jwk import Key, KeySet

from gateway.oauth.access_tokens import ACCESS_TOKEN_AUDIENCE, AccessTokenValidator
from gateway.oauth.client_secrets import verify_secret
from gateway.oauth.clients import ClientRecord
from gateway.oauth.scopes import SCOPES, parse_scopes

__all__ = [
    "CLIENT_AUTH_METHODS",
    "SECRET_AUTH_METHODS",
    "AuthorizationContext",
    "FormRequest",
    "OmnigateAuthorizationServer",
]

SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post")
CLIENT_AUTH_METHODS = (*SECRET_AUTH_METHODS, "private_key_jwt")
ADMIN_SCOPE = "admin:clients"
"""Clients allowed this scope may introspect and revoke any client's tokens (incident response)."""


@dataclass
class AuthorizationContext:
    """What one token, introspection or revocation request needs, loaded before authlib runs."""

    issuer: str
    token_url: str
    client: ClientRecord | None
    token_ttl: int
    signing_key: Key | None = None
    verification_keys: KeySet = field(default_factory=lambda: KeySet([]))
    assertion_fresh: bool = True
    """Whether the client assertion's ``jti`` was unseen (RFC 7523 §3 replay protection)."""
    revoked: bool = False
    """Whether the token being introspected is on the deny-list."""
    issued: list[dict[str, Any]] = field(default_factory=list)
    revocations: list[JWTAccessTokenClaims] = field(default_factory=list)


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An ``application/x-www-form-urlencoded`` OAuth request, already read from the ASGI stream."""

    def __init__(self, method: str, uri: str, headers: dict[str, str], form: dict[str, list[str]]) -> None:
        super().__init__(method=method, uri=uri, headers=headers)
        self._form = {name: values[0] for name, values in form.items() if values}
        self.payload = _FormPayload(self._form, form)

    @property
    def args(self) -> dict[str, str]:
        return {}

    @property
    def form(self) -> dict[str, str]:
        return self._form


class _FormPayload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, data: dict[str, str], datalist: dict[str, list[str]]) -> None:
        self._data = data
        self._datalist = defaultdict(list, datalist)

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist


class _Client(ClientMixin):  # type: ignore[misc]
    """authlib's view of a :class:`ClientRecord`."""

    def __init__(self, record: ClientRecord) -> None:
        self.record = record

    def get_client_id(self) -> str:
        return self.record.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """Narrow the request to what the client is allowed; no scope asked means its defaults."""
        requested = parse_scopes(scope)
        if not requested:
            return " ".join(self.record.default_scopes) or None
        granted = [s for s in requested if s in self.record.allowed_scopes]
        return " ".join(granted) or None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return any(verify_secret(client_secret, stored) for stored in self.record.secret_hashes)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.record.status == "disabled":
            return False
        if self.record.auth_method == "private_key_jwt":
            return method == "private_key_jwt"
        return method in SECRET_AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        if self.record.status == "pending":
            raise UnauthorizedClientError(description="The client is waiting for an administrator to approve it.")
        return grant_type == "client_credentials"


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)


class _PrivateKeyJwt(JWTBearerClientAssertion):  # type: ignore[misc]
    """RFC 7523 client authentication with a key from the client's registered JWKS."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, context: AuthorizationContext) -> None:
        super().__init__(validate_jti=True)
        self._context = context

    def get_audiences(self) -> list[str]:
        return [self._context.token_url, self._context.issuer]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        return self._context.assertion_fresh

    def resolve_client_public_key(self, client: _Client) -> KeySet:
        if not client.record.jwks:
            raise InvalidClientError(description="The client has no registered keys.")
        return KeySet.import_key_set(client.record.jwks)  # type: ignore[arg-type]


class _AccessTokens(JWTBearerTokenGenerator):  # type: ignore[misc]
    """RFC 9068 access tokens with the client's tenants, plan and permitted API versions."""

    def __init__(self, context: AuthorizationContext) -> None:
        key = context.signing_key
        super().__init__(
            issuer=context.issuer,
            alg=key.alg if key is not None else "RS256",
            expires_generator=lambda client, grant_type: context.token_ttl,
        )
        self._key = key

    def get_jwks(self) -> KeySet:
        if self._key is None:
            raise RuntimeError("no active signing key")
        return KeySet([self._key])

    def get_audiences(self, client: _Client, user: object, scope: str) -> str:
        return ACCESS_TOKEN_AUDIENCE

    def get_extra_claims(self, client: _Client, grant_type: str, user: object, scope: str) -> dict[str, Any]:
        record = client.record
        claims: dict[str, Any] = {"tenants": list(record.tenants), "plan": record.plan}
        if record.allowed_versions:
            claims["api_versions"] = list(record.allowed_versions)
        return claims


def _validator(context: AuthorizationContext) -> AccessTokenValidator:
    return AccessTokenValidator(context.issuer, context.verification_keys)


def _may_manage(client: _Client, claims: JWTAccessTokenClaims) -> bool:
    return claims.get("client_id") == client.get_client_id() or ADMIN_SCOPE in client.record.allowed_scopes


class _Introspection(JWTIntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def __init__(self, context: AuthorizationContext) -> None:
        super().__init__(issuer=context.issuer)
        self._context = context

    def get_jwks(self) -> KeySet:
        return self._context.verification_keys

    def authenticate_token(self, request: FormRequest, client: _Client) -> JWTAccessTokenClaims | None:
        self.check_params(request, client)
        try:
            return _validator(self._context).authenticate_token(request.form["token"])
        except InvalidTokenError:
            return None

    def check_permission(self, token: JWTAccessTokenClaims, client: _Client, request: FormRequest) -> bool:
        return _may_manage(client, token)

    def create_introspection_payload(self, token: JWTAccessTokenClaims | None) -> dict[str, Any]:
        if token is None or self._context.revoked:
            return {"active": False}
        try:
            payload: dict[str, Any] = super().create_introspection_payload(token)
        except (ContinueIteration, InvalidTokenError):
            return {"active": False}
        if payload.get("active"):
            payload["jti"] = token["jti"]
            payload["tenants"] = token.get("tenants", [])
        return payload

    def create_endpoint_response(self, request: FormRequest) -> tuple[int, Any, list[tuple[str, str]]]:
        client = self.authenticate_endpoint_client(request)
        token = self.authenticate_token(request, client)
        if token is not None and not self.check_permission(token, client, request):
            token = None  # RFC 7662 §2.2: someone else's token is simply not active for this caller
        return 200, self.create_introspection_payload(token), [("Cache-Control", "no-store")]


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    """RFC 7009 for JWT access tokens: the ``jti`` goes on the deny-list until the token expires."""

    CLIENT_AUTH_METHODS = list(CLIENT_AUTH_METHODS)

    def __init__(self, context: AuthorizationContext) -> None:
        super().__init__()
        self._context = context

    def authenticate_token(self, request: FormRequest, client: _Client) -> JWTAccessTokenClaims | None:
        self.check_params(request, client)
        try:
            claims = _validator(self._context).authenticate_token(request.form["token"])
        except InvalidTokenError:
            return None  # RFC 7009 §2.2: an invalid token is answered 200, as if revoked
        if not _may_manage(client, claims):
            return None  # not this client's token: nothing happens, and nothing is revealed
        return claims

    def revoke_token(self, token: JWTAccessTokenClaims, request: FormRequest) -> None:
        self._context.revocations.append(token)


class OmnigateAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """One per request, bound to its :class:`AuthorizationContext`."""

    def __init__(self, context: AuthorizationContext) -> None:
        super().__init__(scopes_supported=list(SCOPES))
        self.context = context
        self.register_grant(_ClientCredentials)
        self.register_token_generator("default", _AccessTokens(context))
        self.register_client_auth_method("private_key_jwt", _PrivateKeyJwt(context))
        self.register_endpoint(_Introspection(context))
        self.register_endpoint(_Revocation(context))

    def query_client(self, client_id: str) -> _Client | None:
        record = self.context.client
        return _Client(record) if record is not None and record.client_id == client_id else None

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        self.context.issued.append(_claims_of(token["access_token"]))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def create_oauth2_request(self, request: FormRequest) -> FormRequest:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, headers


def _claims_of(access_token: str) -> dict[str, Any]:
    """The claims of a token we just signed (no need to verify our own signature)."""
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims
