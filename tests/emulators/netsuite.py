"""A NetSuite-shaped SuiteTalk REST record service for tests and demos, on a real loopback port.

It speaks the wire format of ``/services/rest/record/v1`` as NetSuite documents it and as the fixtures in
``tests/fixtures/netsuite`` show: records by internal id or ``eid:<externalId>``, ``POST`` answering
``204 No Content`` with the record URL in ``Location``, transforms of a sales order into an item
fulfillment or an invoice whose ``item.items`` name ``orderLine`` and ``quantity``, and errors as
``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode"}]}``.

Every request must carry a valid TBA header (OAuth 1.0a, HMAC-SHA256, the account as ``realm``, a fresh
nonce) or an OAuth 2.0 bearer token (the configured one, or one the token endpoint issued and that has not
expired); anything else is 401 ``INVALID_LOGIN``. The TBA signature is checked with authlib's RFC 5849 base
string and an independent HMAC, not with the connector's signer.

``POST /services/rest/auth/oauth2/v1/token`` is the client credentials (M2M) flow: an RFC 7523 client assertion
whose JWT names the mapped certificate as ``kid`` and the integration as ``iss``, aimed at this endpoint
(``aud``), valid at most an hour and asking for ``rest_webservices``. Its PS256 or ES256 signature is checked
with ``cryptography`` against the certificate's public key (not with the connector's JOSE library). Errors are
RFC 6749 ``{"error", "error_description"}``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import uvicorn
from authlib.oauth1.rfc5849.signature import construct_base_string
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

__all__ = ["NetSuiteCredentials", "NetSuiteEmulator", "running_netsuite"]

_RECORD = re.compile(
    r"^/services/rest/record/v1/(?P<type>[A-Za-z]+)(?:/(?P<key>[^/!]+))?(?:/!transform/(?P<to>[A-Za-z]+))?/?$"
)
_HEADER_FIELD = re.compile(r'(\w+)="([^"]*)"')
TOKEN_PATH = "/services/rest/auth/oauth2/v1/token"
CLIENT_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_RECORD_TYPES = {"customer", "inventoryItem", "salesOrder", "itemFulfillment", "invoice", "creditMemo"}


@dataclass(frozen=True)
class NetSuiteCredentials:
    account: str = "1234567_SB1"
    consumer_key: str = "ck-omnigate"
    consumer_secret: str = "cs-omnigate"
    token_id: str = "tk-omnigate"
    token_secret: str = "ts-omnigate"
    access_token: str = "m2m-access-token"
    client_id: str = "m2m-client-omnigate"
    """The integration record's client id (the M2M assertion's ``iss``)."""
    certificate_id: str = "m2m-certificate-1"
    """The id NetSuite gave the certificate mapped for M2M (the assertion's ``kid``)."""
    public_key_pem: bytes | None = None
    """That certificate's public key; without one the token endpoint refuses every assertion."""


class _Refused(Exception):
    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


@dataclass
class NetSuiteEmulator:
    """The records, keyed by type and internal id; ``requests`` logs each call as (method, path, body)."""

    credentials: NetSuiteCredentials = field(default_factory=NetSuiteCredentials)
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {t: {} for t in _RECORD_TYPES})
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    base_url: str = ""
    fail_with: int | None = None
    """Answer every request with this status (an outage), when set."""
    token_ttl: float = 3600.0
    """Seconds an issued access token is valid (NetSuite: an hour)."""
    issued: dict[str, float] = field(default_factory=dict)
    """Access tokens issued by the token endpoint and when (monotonic) each expires."""
    _next_id: int = 100
    _nonces: set[str] = field(default_factory=set)

    def add(self, record_type: str, external_id: str, **fields: Any) -> str:
        """Seed a record (a customer, an inventory item) as an administrator would; returns its id."""
        return self._store(record_type, {"externalId": external_id, **fields})

    def by_external_id(self, record_type: str, external_id: str) -> dict[str, Any] | None:
        return next((r for r in self.records[record_type].values() if r.get("externalId") == external_id), None)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        method, path = scope["method"], (scope.get("raw_path") or scope["path"].encode()).decode()
        query = scope.get("query_string", b"").decode()
        if method == "POST" and path == TOKEN_PATH and self.fail_with is None:
            status, answer = self._issue_token(body)
            await send(
                {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": json.dumps(answer).encode()})
            return
        try:
            if self.fail_with is not None:
                raise _Refused(self.fail_with, "UNEXPECTED_ERROR", "the emulator is set to fail")
            self._authenticate(method, path, query, headers)
            payload = json.loads(body) if body else None
            self.requests.append((method, path, payload))
            status, answer, extra = self._route(method, path, payload)
        except _Refused as refused:
            status, extra = refused.status, {}
            answer = {
                "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
                "title": {400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}.get(refused.status, "Error"),
                "status": refused.status,
                "o:errorDetails": [{"detail": refused.detail, "o:errorCode": refused.code}],
            }
        content = b"" if answer is None else json.dumps(answer).encode()
        response_headers = [(k.encode(), v.encode()) for k, v in extra.items()]
        if content:
            response_headers.append((b"content-type", b"application/vnd.oracle.resource+json; type=singular"))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    def _issue_token(self, body: bytes) -> tuple[int, dict[str, Any]]:
        form = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != CLIENT_ASSERTION:
            return 400, {"error": "invalid_request", "error_description": "client_credentials with a JWT assertion"}
        try:
            claims = self._verified_claims(form.get("client_assertion", ""))
        except ValueError as refused:
            return 400, {"error": "invalid_grant", "error_description": str(refused)}
        token = secrets.token_urlsafe(24)
        self.issued[token] = time.monotonic() + self.token_ttl
        self.requests.append(("POST", TOKEN_PATH, claims))
        return 200, {"access_token": token, "expires_in": str(int(self.token_ttl)), "token_type": "bearer"}

    def _verified_claims(self, assertion: str) -> dict[str, Any]:
        """The assertion's claims if NetSuite would accept it, else ``ValueError`` saying why."""
        try:
            encoded_header, encoded_claims, encoded_signature = assertion.split(".")
            header = json.loads(_unb64(encoded_header))
            claims: dict[str, Any] = json.loads(_unb64(encoded_claims))
            signature = _unb64(encoded_signature)
        except ValueError as exc:
            raise ValueError("the assertion is not a JWT") from exc
        credentials = self.credentials
        if header.get("typ") != "JWT" or header.get("kid") != credentials.certificate_id:
            raise ValueError("unknown certificate (kid) or typ is not JWT")
        if credentials.public_key_pem is None:
            raise ValueError("no certificate is mapped for client credentials")
        key = serialization.load_pem_public_key(credentials.public_key_pem)
        signed = f"{encoded_header}.{encoded_claims}".encode()
        try:
            if header.get("alg") == "PS256" and isinstance(key, rsa.RSAPublicKey):
                pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
                key.verify(signature, signed, pss, hashes.SHA256())
            elif header.get("alg") == "ES256" and isinstance(key, ec.EllipticCurvePublicKey) and len(signature) == 64:
                der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
                key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
            else:
                raise ValueError(f"algorithm {header.get('alg')} does not fit the certificate")
        except InvalidSignature as exc:
            raise ValueError("the assertion's signature does not verify") from exc
        now = time.time()
        scope = claims.get("scope")
        scopes = scope.split(",") if isinstance(scope, str) else scope if isinstance(scope, list) else []
        problems = [
            ("iss", claims.get("iss") != credentials.client_id),
            ("aud", claims.get("aud") != f"{self.base_url}{TOKEN_PATH}"),
            ("exp", not now < claims.get("exp", 0) <= claims.get("iat", 0) + 3600),
            ("iat", claims.get("iat", now + 999) > now + 60),
            ("scope", "rest_webservices" not in [s.strip() for s in scopes]),
        ]
        if wrong := [name for name, failed in problems if failed]:
            raise ValueError(f"invalid claim(s): {', '.join(wrong)}")
        return claims

    def _authenticate(self, method: str, path: str, query: str, headers: dict[str, str]) -> None:
        authorization = headers.get("authorization", "")
        if authorization == f"Bearer {self.credentials.access_token}":
            return
        if authorization.startswith("Bearer "):
            expires = self.issued.get(authorization[len("Bearer ") :])
            if expires is None or expires <= time.monotonic():
                raise _Refused(401, "INVALID_LOGIN", "the access token is unknown or has expired")
            return
        if not authorization.startswith("OAuth "):
            raise _Refused(401, "INVALID_LOGIN", "no OAuth 1.0a (TBA) or OAuth 2.0 credentials")
        fields = {name: unquote(value) for name, value in _HEADER_FIELD.findall(authorization)}
        credentials = self.credentials
        expected = {
            "realm": credentials.account,
            "oauth_consumer_key": credentials.consumer_key,
            "oauth_token": credentials.token_id,
            "oauth_signature_method": "HMAC-SHA256",
            "oauth_version": "1.0",
        }
        for name, value in expected.items():
            if fields.get(name) != value:
                raise _Refused(401, "INVALID_LOGIN", f"{name} is wrong or missing")
        nonce = fields.get("oauth_nonce", "")
        if not nonce or nonce in self._nonces:
            raise _Refused(401, "INVALID_LOGIN", "nonce missing or used before")
        self._nonces.add(nonce)
        params = [(k, v) for k, v in fields.items() if k.startswith("oauth_") and k != "oauth_signature"]
        params += parse_qsl(query, keep_blank_values=True)
        base_string = construct_base_string(method, f"{self.base_url}{path}", params)
        key = f"{credentials.consumer_secret}&{credentials.token_secret}".encode()
        signature = base64.b64encode(hmac.new(key, base_string.encode(), hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(signature, fields.get("oauth_signature", "")):
            raise _Refused(401, "INVALID_LOGIN", "signature does not match")

    def _route(self, method: str, path: str, payload: Any) -> tuple[int, Any, dict[str, str]]:
        match = _RECORD.match(path)
        if match is None or match["type"] not in _RECORD_TYPES:
            raise _Refused(404, "NONEXISTENT_RECORD_TYPE", f"no record type at {path}")
        record_type, target = match["type"], match["to"]
        key = unquote(match["key"]) if match["key"] is not None else None
        if method == "GET" and key is None:
            items = [{"id": record_id} for record_id in self.records[record_type]]
            return (
                200,
                {"count": len(items), "hasMore": False, "items": items, "offset": 0, "totalResults": len(items)},
                {},
            )
        if method == "GET":
            return 200, self._record(record_type, key), {}
        if method == "PATCH" and record_type == "salesOrder" and key is not None and target is None:
            self._update_lines(self._record(record_type, key), payload)
            return 204, None, {}
        if method != "POST" or not isinstance(payload, dict):
            raise _Refused(400, "INVALID_REQUEST", f"{method} {path} is not supported here")
        if key is None:
            record_id = self._create(record_type, payload)
        elif record_type == "salesOrder" and target in {"itemFulfillment", "invoice"}:
            record_id = self._transform(self._record(record_type, key), target, payload)
            record_type = target
        else:
            raise _Refused(400, "INVALID_REQUEST", f"cannot POST to {path}")
        return 204, None, {"location": f"{self.base_url}/services/rest/record/v1/{record_type}/{record_id}"}

    def _record(self, record_type: str, key: str) -> dict[str, Any]:
        record = (
            self.by_external_id(record_type, key[4:]) if key.startswith("eid:") else self.records[record_type].get(key)
        )
        if record is None:
            raise _Refused(404, "NONEXISTENT_ID", f"{record_type} {key} does not exist")
        return record

    def _store(self, record_type: str, record: dict[str, Any]) -> str:
        external_id = record.get("externalId")
        if external_id is not None and self.by_external_id(record_type, str(external_id)) is not None:
            raise _Refused(400, "DUP_RCRD", f"a {record_type} with external id {external_id} already exists")
        self._next_id += 1
        record_id = str(self._next_id)
        self.records[record_type][record_id] = {"id": record_id, **record}
        return record_id

    def _reference(self, record_type: str, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict) or "id" not in value:
            raise _Refused(400, "USER_ERROR", f"{what} must be a reference {{'id': ...}}")
        record = self.records[record_type].get(str(value["id"]))
        if record is None:
            raise _Refused(400, "INVALID_KEY_OR_REF", f"invalid {what} reference key {value['id']}")
        return record

    def _create(self, record_type: str, payload: dict[str, Any]) -> str:
        if record_type in {"salesOrder", "creditMemo"}:
            self._reference("customer", payload.get("entity"), "entity")
            items = payload.get("item", {}).get("items")
            if not isinstance(items, list) or not items:
                raise _Refused(400, "USER_ERROR", "item.items must list at least one line")
            for line in items:
                if record_type == "salesOrder":
                    self._reference("inventoryItem", line.get("item"), "item")
                if not isinstance(line.get("quantity"), int) or line["quantity"] <= 0:
                    raise _Refused(400, "USER_ERROR", "each line needs a positive whole quantity")
        if record_type == "salesOrder":
            lines = [
                {**line, "line": n, "quantityFulfilled": 0, "quantityBilled": 0}
                for n, line in enumerate(payload["item"]["items"], 1)
            ]
            return self._store(record_type, {**payload, "item": {"items": lines}, "orderStatus": "B"})
        if record_type == "creditMemo":
            self._reference("invoice", payload.get("createdFrom"), "createdFrom")
        return self._store(record_type, payload)

    def _update_lines(self, order: dict[str, Any], payload: Any) -> None:
        """A sublist update: each item names an existing line by ``line``; quantity never below fulfilled."""
        items = payload.get("item", {}).get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise _Refused(400, "USER_ERROR", "item.items is required")
        lines = {line["line"]: line for line in order["item"]["items"]}
        for item in items:
            line = lines.get(item.get("line"))
            if line is None:
                raise _Refused(400, "USER_ERROR", f"the order has no line {item.get('line')}")
            quantity = item.get("quantity", line["quantity"])
            if not isinstance(quantity, int) or quantity < line["quantityFulfilled"]:
                raise _Refused(
                    400, "USER_ERROR", f"line {line['line']}: quantity below the {line['quantityFulfilled']} fulfilled"
                )
        for item in items:
            line = lines[item["line"]]
            line["quantity"] = item.get("quantity", line["quantity"])
            line["isClosed"] = bool(item.get("isClosed", line.get("isClosed", False)))

    def _transform(self, order: dict[str, Any], target: str, payload: dict[str, Any]) -> str:
        lines = {line["line"]: line for line in order["item"]["items"]}
        items = payload.get("item", {}).get("items")
        if not isinstance(items, list):
            raise _Refused(400, "USER_ERROR", "item.items is required")
        done = "quantityFulfilled" if target == "itemFulfillment" else "quantityBilled"
        changes: dict[int, int] = {}
        for item in items:
            line = lines.get(item.get("orderLine"))
            if line is None:
                raise _Refused(400, "USER_ERROR", f"the order has no line {item.get('orderLine')}")
            if target == "itemFulfillment" and item.get("itemreceive") is False:
                continue
            quantity = int(item.get("quantity", 0))
            limit = (
                line["quantity"] - line[done] if target == "itemFulfillment" else line["quantityFulfilled"] - line[done]
            )
            if quantity < 0 or quantity > limit:
                raise _Refused(400, "USER_ERROR", f"line {line['line']}: {quantity} exceeds the {limit} left")
            changes[line["line"]] = quantity
        for number, quantity in changes.items():
            lines[number][done] += quantity
        return self._store(target, {**payload, "createdFrom": {"id": order["id"]}, "entity": order["entity"]})


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def running_netsuite(emulator: NetSuiteEmulator | None = None) -> AsyncIterator[NetSuiteEmulator]:
    """Serve an emulator on a free loopback port (``emulator.base_url``) until the block exits."""
    emulator = emulator or NetSuiteEmulator()
    port = _free_port()
    emulator.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(uvicorn.Config(emulator, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield emulator
    finally:
        server.should_exit = True
        await task
