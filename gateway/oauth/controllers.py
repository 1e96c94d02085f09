"""The authorization server's HTTP endpoints: token (RFC 6749 §4.4), introspection (RFC 7662), revocation
(RFC 7009), registration (RFC 7591), metadata (RFC 8414) and the JWKS. Errors here are OAuth errors
(``{"error": ...}``, RFC 6749 §5.2), not problem documents, because OAuth clients parse them."""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
import msgspec
from authlib.oauth2.rfc6749 import InsecureTransportError, OAuth2Error
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc7591 import ClientRegistrationEndpoint
from joserfc import jws
from joserfc.errors import JoseError
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from sqlalchemy import update

from gateway.admin.schemas import ClientCreate
from gateway.models import IssuedToken
from gateway.oauth.access_tokens import unverified_header
from gateway.oauth.authorization_server import (
    CLIENT_AUTH_METHODS,
    AuthorizationContext,
    FormRequest,
    OmnigateAuthorizationServer,
)
from gateway.oauth.clients import create_client, load_client_record
from gateway.oauth.scopes import SCOPES, parse_scopes
from gateway.oauth.security import GatewaySecurity
from gateway.oauth.signing_keys import SIGNING_ALGORITHMS
from gateway.traffic.rate_limit import Limit
from service_kit.dependencies import DbSession
from service_kit.problems import Problem

__all__ = ["OAuthController", "server_metadata"]

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def server_metadata(issuer: str) -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    methods = list(CLIENT_AUTH_METHODS)
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "registration_endpoint": f"{issuer}/oauth/register",
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": list(SIGNING_ALGORITHMS),
        "introspection_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
    }


def _oauth_error(status: int, error: str, description: str, headers: Mapping[str, str] | None = None) -> Response[Any]:
    return Response(
        {"error": error, "error_description": description},
        status_code=status,
        headers={**_NO_STORE, **(headers or {})},
        media_type="application/json",
    )


def _client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _unverified_claims(token: str) -> dict[str, Any]:
    try:
        claims = json.loads(jws.extract_compact(token.encode()).payload)
    except (JoseError, ValueError, UnicodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class _PreparedRequest(msgspec.Struct, kw_only=True):
    form: FormRequest
    client_id: str | None
    address: str


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


async def _prepare(request: Request[Any, Any, Any], issuer: str) -> _PreparedRequest | Response[Any]:
    """Read the form and find who claims to be calling; refuse what RFC 6749 forbids outright."""
    if request.method != "POST":
        return _oauth_error(405, "invalid_request", "use POST")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return _oauth_error(
            400, "invalid_request", "the request body must be application/x-www-form-urlencoded (RFC 6749 3.2)"
        )
    form = await request.form()
    fields: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        fields.setdefault(name, []).append(str(value))
    if repeated := sorted(name for name, values in fields.items() if len(values) > 1):
        return _oauth_error(400, "invalid_request", f"parameters sent more than once: {', '.join(repeated)}")
    basic_id, _ = extract_basic_authorization(request.headers)
    in_body = [m for m in ("client_secret", "client_assertion") if m in fields]
    if (basic_id and in_body) or len(in_body) > 1:
        return _oauth_error(400, "invalid_request", "use exactly one client authentication method (RFC 6749 2.3)")
    client_id = basic_id or _first(fields, "client_id")
    if assertion := _first(fields, "client_assertion"):
        if _first(fields, "client_assertion_type") != _ASSERTION_TYPE:
            return _oauth_error(400, "invalid_request", f"client_assertion_type must be '{_ASSERTION_TYPE}'")
        subject = _unverified_claims(assertion).get("sub")
        client_id = subject if isinstance(subject, str) else client_id
    # authlib insists on https except on loopback; it checks the configured issuer, since TLS usually ends at
    # the load balancer in front of the gateway.
    endpoint_url = f"{issuer}{request.url.path}"
    try:
        form_request = FormRequest(request.method, endpoint_url, request.headers, fields)  # type: ignore[arg-type]
    except InsecureTransportError:
        return _oauth_error(
            400, "invalid_request", "OAuth needs https: set OMNIGATE_ISSUER to this gateway's https URL"
        )
    return _PreparedRequest(form=form_request, client_id=client_id, address=_client_address(request))


async def _context(
    security: GatewaySecurity, session: DbSession, prepared: _PreparedRequest, token_url: str
) -> AuthorizationContext:
    client = await load_client_record(session, prepared.client_id) if prepared.client_id else None
    context = AuthorizationContext(
        issuer=security.issuer, token_url=token_url, client=client, token_ttl=security.settings.access_token_ttl
    )
    if assertion := prepared.form.form.get("client_assertion"):
        claims = _unverified_claims(assertion)
        jti, exp = claims.get("jti"), claims.get("exp")
        if isinstance(jti, str) and isinstance(exp, int | float):
            window = max(1.0, exp - time.time()) + 60.0
            seen = await security.limiter.acquire(
                f"assertion:{prepared.client_id}:{jti}", Limit(rate=1, period=window, burst=1)
            )
            context.assertion_fresh = seen.allowed
    return context


def _respond(result: tuple[int, Any, list[tuple[str, str]]] | None) -> Response[Any]:
    status, body, headers = result if result is not None else (200, {"active": False}, [])
    merged = {**_NO_STORE, **dict(headers)}
    merged.pop("Content-Type", None)
    return Response(body, status_code=status, headers=merged, media_type="application/json")


def _invalid_client(status: int, body: dict[str, Any]) -> Response[Any]:
    """One answer for every authentication failure, so a caller cannot tell which part was wrong."""
    description = body.get("error_description") or ""
    if "Missing" in description or "assertion" in description.lower() or "JWT" in description:
        detail = f"client authentication failed: {description}"
    else:
        detail = "client authentication failed: unknown client, wrong secret, or the client is disabled"
    challenge = {"WWW-Authenticate": 'Basic realm="omnigate", error="invalid_client"'} if status == 401 else None
    return _oauth_error(status, "invalid_client", detail, challenge)


class OAuthController(Controller):
    include_in_schema = False

    @post("/oauth/token", status_code=200)
    async def token(self, request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
        security: GatewaySecurity = state.security
        prepared = await _prepare(request, security.issuer)
        if isinstance(prepared, Response):
            return prepared
        await security.throttle.admit(prepared.address, prepared.client_id)
        context = await _context(security, db_session, prepared, str(request.url))
        context.signing_key = await security.key_ring.signing_key()
        server = OmnigateAuthorizationServer(context)
        status, body, headers = await anyio.to_thread.run_sync(server.create_token_response, prepared.form)
        if status == 200:
            for claims in context.issued:
                db_session.add(
                    IssuedToken(
                        jti=claims["jti"],
                        client_id=claims["client_id"],
                        scope=claims.get("scope", ""),
                        kid=str(context.signing_key.kid),
                        issued_at=datetime.fromtimestamp(claims["iat"], UTC),
                        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
                        revoked_at=None,
                    )
                )
        elif body.get("error") == "invalid_client":
            await security.throttle.failed(prepared.address, prepared.client_id)
            return _invalid_client(status, body)
        return _respond((status, body, headers))

    @post("/oauth/introspect", status_code=200)
    async def introspect(self, request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
        return await self._token_management(request, state.security, db_session, "introspection")

    @post("/oauth/revoke", status_code=200)
    async def revoke(self, request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
        return await self._token_management(request, state.security, db_session, "revocation")

    async def _token_management(
        self, request: Request[Any, Any, Any], security: GatewaySecurity, db_session: DbSession, endpoint: str
    ) -> Response[Any]:
        prepared = await _prepare(request, security.issuer)
        if isinstance(prepared, Response):
            return prepared
        await security.throttle.admit(prepared.address, prepared.client_id)
        context = await _context(security, db_session, prepared, f"{security.issuer}/oauth/token")
        token = prepared.form.form.get("token", "")
        header = unverified_header(token)
        if header is not None and isinstance(header.get("kid"), str):
            await security.key_ring.knows(header["kid"])
        context.verification_keys = security.key_ring.public_keys
        jti = _unverified_claims(token).get("jti")
        context.revoked = isinstance(jti, str) and await security.revocations.is_revoked(jti)
        server = OmnigateAuthorizationServer(context)
        result = await anyio.to_thread.run_sync(server.create_endpoint_response, endpoint, prepared.form)
        if result is not None and result[1].get("error") == "invalid_client":
            await security.throttle.failed(prepared.address, prepared.client_id)
            return _invalid_client(result[0], result[1])
        now = datetime.now(UTC)
        for claims in context.revocations:
            await security.revocations.revoke(str(claims["jti"]), float(claims["exp"]))
            await db_session.execute(
                update(IssuedToken)
                .where(IssuedToken.jti == claims["jti"], IssuedToken.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return _respond(result)

    @post("/oauth/register", status_code=201)
    async def register(self, request: Request[Any, Any, Any], state: State, db_session: DbSession) -> Response[Any]:
        """RFC 7591 self-service registration; the new client stays ``pending`` until an admin approves it."""
        security: GatewaySecurity = state.security
        expected = security.settings.registration_token
        if not expected:
            return _oauth_error(403, "access_denied", "self-service registration is closed on this gateway")
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected.encode()):
            return _oauth_error(
                401,
                "invalid_token",
                "registration needs the initial access token: 'Authorization: Bearer <token>'",
                {"WWW-Authenticate": 'Bearer realm="omnigate", error="invalid_token"'},
            )
        await security.throttle.admit(_client_address(request), None)
        try:
            data = json.loads(await request.body())
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return _oauth_error(400, "invalid_client_metadata", "the body must be a JSON object of client metadata")
        try:
            spec = _registration_spec(data, server_metadata(security.issuer))
            created = await create_client(
                db_session, spec, actor="registration", status="pending", registered_by="self"
            )
        except (Problem, msgspec.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, Problem) else str(exc)
            return _oauth_error(400, "invalid_client_metadata", detail)
        body: dict[str, Any] = {
            "client_id": created.client_id,
            "client_id_issued_at": int(created.created_at.timestamp()),
            "client_name": created.name,
            "scope": " ".join(created.scopes),
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": created.token_endpoint_auth_method,
            "contacts": created.contacts,
            "tenants": created.tenants,
            "status": created.status,
        }
        if created.client_secret is not None:
            body |= {"client_secret": created.client_secret, "client_secret_expires_at": 0}
        if spec.jwks is not None:
            body["jwks"] = spec.jwks
        return Response(body, status_code=201, headers=_NO_STORE, media_type="application/json")

    @get("/.well-known/oauth-authorization-server")
    async def metadata(self, state: State) -> Response[dict[str, Any]]:
        security: GatewaySecurity = state.security
        return Response(server_metadata(security.issuer), headers={"Cache-Control": "public, max-age=300"})

    @get("/.well-known/jwks.json")
    async def jwks(self, state: State) -> Response[dict[str, Any]]:
        security: GatewaySecurity = state.security
        await security.key_ring.refresh_if_stale()
        return Response(security.key_ring.jwks, headers={"Cache-Control": "public, max-age=60"})


class _MetadataValidation(ClientRegistrationEndpoint):  # type: ignore[misc]
    """authlib's RFC 7591 metadata checks against our server metadata."""

    def __init__(self, metadata: dict[str, Any]) -> None:
        super().__init__()
        self._metadata = metadata

    def get_server_metadata(self) -> dict[str, Any]:
        return self._metadata


class _JsonPayload(msgspec.Struct):
    data: dict[str, Any]


class _JsonRequest(msgspec.Struct):
    payload: _JsonPayload


def _registration_spec(data: dict[str, Any], metadata: dict[str, Any]) -> ClientCreate:
    try:
        registered = _MetadataValidation(metadata).extract_client_metadata(_JsonRequest(_JsonPayload(data)))
    except OAuth2Error as exc:
        raise Problem(exc.description or exc.error, code="invalid_client_metadata") from exc
    grant_types = registered.get("grant_types", ["client_credentials"])
    if grant_types != ["client_credentials"]:
        raise Problem("only grant_types ['client_credentials'] is supported", code="invalid_client_metadata")
    scopes = parse_scopes(registered.get("scope"))
    if not scopes:
        raise Problem("'scope' is required: the scopes this client asks to be allowed", code="invalid_client_metadata")
    if not data.get("tenants"):
        raise Problem("'tenants' is required: the tenants this client acts for", code="invalid_client_metadata")
    spec = {
        "name": registered.get("client_name") or "unnamed client",
        "scopes": scopes,
        "tenants": data["tenants"],
        "contacts": registered.get("contacts", []),
        "token_endpoint_auth_method": registered.get("token_endpoint_auth_method", "client_secret_basic"),
        "jwks": registered.get("jwks"),
    }
    return msgspec.convert(spec, ClientCreate)
