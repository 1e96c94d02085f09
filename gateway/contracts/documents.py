"""The public contracts as callers see them through the gateway.

Each published document (``openapi/{api}.v{major}.json``) comes from the service that implements it; the
gateway adds what it enforces in front of it: the OAuth 2.0 client-credentials scheme with the scopes each
operation needs (from the route table), the answers the gateway itself may give (401, 403, 410, 413, 429, 503,
504, all problem documents) and the headers it sets. ``omnigate openapi export`` and the running gateway use
the same function, so the committed files are what ``/openapi/...`` serves for the default route table.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from gateway.oauth.scopes import SCOPES
from gateway.routes import Route
from service_kit.problems import PROBLEM_MEDIA_TYPE, ProblemDocument

__all__ = [
    "DEFAULT_CONTRACTS_DIR",
    "OAUTH2_SCHEME",
    "TOKEN_URL",
    "ContractShelf",
    "contract_file_name",
    "gateway_own_contract",
    "oauth2_scheme",
    "parse_contract_file_name",
    "public_contract",
]

DEFAULT_CONTRACTS_DIR = Path(__file__).resolve().parents[2] / "openapi"
OAUTH2_SCHEME = "oauth2"
TOKEN_URL = "/oauth/token"
_FILE_NAME = re.compile(r"^(?P<api>[a-z][a-z0-9-]*)\.v(?P<major>[1-9][0-9]{0,2})\.json$")
_VERSION_PREFIX = re.compile(r"^/[^/]+/v[0-9]+")
"""``/{api}/v{major}`` at the start of a contract path."""
_OPERATIONS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_WRITES = frozenset({"put", "post", "patch", "delete"})

_HEADERS: dict[str, dict[str, Any]] = {
    "X-Trace-Id": {
        "description": "The W3C trace id of this request (quote it when reporting a problem).",
        "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    },
    "RateLimit-Policy": {
        "description": 'Quota policies in force (IETF draft-ietf-httpapi-ratelimit-headers-11): `"plan";q=100;w=1`.',
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": 'What is left of each quota policy: `"plan";r=42;t=1`.',
        "schema": {"type": "string"},
    },
    "Deprecation": {
        "description": "Only on a deprecated version: when it was deprecated (RFC 9745, `@<unix seconds>`).",
        "schema": {"type": "string"},
    },
    "Sunset": {
        "description": "Only on a deprecated version with an announced end: when it stops answering (RFC 8594).",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'On a deprecated version: `rel="deprecation"` (migration notes) and `rel="successor-version"`.',
        "schema": {"type": "string"},
    },
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "string"},
    },
}
_SUCCESS_HEADERS = ("X-Trace-Id", "RateLimit-Policy", "RateLimit", "Deprecation", "Sunset", "Link")

_GATEWAY_ANSWERS: dict[int, tuple[str, tuple[str, ...]]] = {
    401: ("No valid access token (`invalid_token`); get one at /oauth/token.", ()),
    403: ("The token lacks a scope this operation needs, or the client may not use this version.", ()),
    410: ("This version is retired, past its sunset, or inside a brownout window; see the successor.", ("Link",)),
    413: ("The request body is larger than the gateway accepts.", ()),
    429: ("The client's plan or the shared capacity is used up for now.", ("Retry-After", "RateLimit")),
    503: ("The upstream is down, its circuit is open, or too many requests are waiting for it.", ("Retry-After",)),
    504: ("The upstream did not answer within the route's timeout.", ()),
}


def contract_file_name(api: str, major: int) -> str:
    return f"{api}.v{major}.json"


def parse_contract_file_name(name: str) -> tuple[str, int] | None:
    """``storefront.v2.json`` → ``("storefront", 2)``; ``None`` for anything else."""
    match = _FILE_NAME.match(name)
    return (match["api"], int(match["major"])) if match else None


def oauth2_scheme(scopes: list[str]) -> dict[str, Any]:
    """The OAuth 2.0 client-credentials security scheme, offering ``scopes``."""
    return {
        "type": "oauth2",
        "description": "Client credentials (RFC 6749 §4.4) at the gateway's token endpoint; send the token as "
        "`Authorization: Bearer ...`.",
        "flows": {
            "clientCredentials": {
                "tokenUrl": TOKEN_URL,
                "scopes": {scope: SCOPES.get(scope, scope) for scope in sorted(scopes)},
            }
        },
    }


def _problem_schema() -> dict[str, Any]:
    _, components = msgspec.json.schema_components([ProblemDocument], ref_template="#/components/schemas/{name}")
    schema: dict[str, Any] = components["ProblemDocument"]
    return schema


def _gateway_answer(status: int) -> dict[str, Any]:
    description, headers = _GATEWAY_ANSWERS[status]
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}},
        "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in headers},
    }


def public_contract(document: dict[str, Any], route: Route, *, server_url: str | None = None) -> dict[str, Any]:
    """``document`` as the gateway exposes it on ``route``: a new document, the input is left alone.

    Idempotent: decorating an already decorated document gives the same document.
    """
    contract = copy.deepcopy(document)
    components = contract.setdefault("components", {})
    components.setdefault("schemas", {}).setdefault("ProblemDocument", _problem_schema())
    components.setdefault("headers", {}).update(copy.deepcopy(_HEADERS))
    offered: set[str] = set()  # the scopes some operation needs (a route's unused write scope is not offered)
    for path, item in contract.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _OPERATIONS:
                continue
            answers = [410, 429, 503, 504]
            if route.auth == "oauth2":
                scopes = route.required_scopes(method.upper(), _VERSION_PREFIX.sub("", path, count=1))
                operation["security"] = [{OAUTH2_SCHEME: scopes}]
                offered.update(scopes)
                answers += [401, 403]
            else:
                operation["security"] = []
            if method in _WRITES:
                answers.append(413)
            responses = operation.setdefault("responses", {})
            for status in sorted(answers):
                responses.setdefault(str(status), _gateway_answer(status))
            for status, response in responses.items():
                if status.startswith("2"):
                    headers = response.setdefault("headers", {})
                    for name in _SUCCESS_HEADERS:
                        headers.setdefault(name, {"$ref": f"#/components/headers/{name}"})
    schemes = components.setdefault("securitySchemes", {})
    if route.auth == "oauth2":
        schemes[OAUTH2_SCHEME] = oauth2_scheme(sorted(offered) or [*route.read_scopes, *route.write_scopes])
    else:
        schemes.pop(OAUTH2_SCHEME, None)
    if server_url is not None:
        contract["servers"] = [{"url": server_url, "description": "Omnigate gateway"}]
    return contract


def gateway_own_contract(document: dict[str, Any], *, server_url: str | None = None) -> dict[str, Any]:
    """An API the gateway answers itself (``/admin/v1``): its operations name their scopes already (Litestar
    ``security``); add the scheme offering them. Idempotent, like :func:`public_contract`."""
    contract = copy.deepcopy(document)
    scopes = {
        scope
        for item in contract.get("paths", {}).values()
        for method, operation in item.items()
        if method in _OPERATIONS
        for requirement in operation.get("security", [])
        for scope in requirement.get(OAUTH2_SCHEME, [])
    }
    if scopes:
        contract.setdefault("components", {}).setdefault("securitySchemes", {})[OAUTH2_SCHEME] = oauth2_scheme(
            sorted(scopes)
        )
    if server_url is not None:
        contract["servers"] = [{"url": server_url, "description": "Omnigate gateway"}]
    return contract


@dataclass
class _Loaded:
    mtime_ns: int
    document: dict[str, Any]


class ContractShelf:
    """The published contract files in one directory, re-read when a file changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, _Loaded] = {}

    def published(self) -> list[tuple[str, int]]:
        """Every ``(api, major)`` with a contract file, sorted."""
        found = [parse_contract_file_name(path.name) for path in self.directory.glob("*.v*.json")]
        return sorted(entry for entry in found if entry is not None)

    def document(self, api: str, major: int) -> dict[str, Any] | None:
        path = self.directory / contract_file_name(api, major)
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            return None
        cached = self._cache.get(path.name)
        if cached is None or cached.mtime_ns != mtime:
            document = json.loads(path.read_text(encoding="utf-8"))
            cached = self._cache[path.name] = _Loaded(mtime, document)
        return cached.document
