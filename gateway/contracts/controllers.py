"""``/openapi`` and ``/docs``: every API version this gateway exposes, its contract and its lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from gateway.contracts.docs_page import render_docs_page
from gateway.contracts.documents import (
    ContractShelf,
    contract_file_name,
    gateway_own_contract,
    parse_contract_file_name,
    public_contract,
)
from gateway.routes import PolicyFile
from gateway.versions.lifecycle import VersionBook, VersionState
from service_kit.app import ApiVersion
from service_kit.problems import NotFound

__all__ = ["GATEWAY_APIS", "ContractController", "PublishedVersion"]

GATEWAY_APIS = (ApiVersion("admin", 1),)
"""APIs the gateway answers itself (not through the route table); their contracts carry their own security."""


class UnknownContract(NotFound):
    code = "unknown_contract"


class PublishedVersion(msgspec.Struct, kw_only=True, omit_defaults=True):
    api: str
    version: str
    status: str
    """``active``, ``deprecated`` or ``retired``."""
    contract: str
    docs: str
    sunset_at: datetime | None = None
    successor: str | None = None


class ContractIndex(msgspec.Struct, kw_only=True):
    versions: list[PublishedVersion]


def _server_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


async def _exposed(state: State) -> list[tuple[ApiVersion, VersionState]]:
    """What this gateway exposes now (live route table plus its own APIs) and has a contract for."""
    policy: PolicyFile = state.policy
    shelf: ContractShelf = state.contracts
    book: VersionBook = state.versions
    published = set(shelf.published())
    exposed = [ApiVersion(route.api, major) for route in policy.current.routes for major in route.versions]
    return [
        (api, await book.state(api.name, api.major))
        for api in sorted([*exposed, *GATEWAY_APIS], key=lambda a: (a.name, a.major))
        if (api.name, api.major) in published
    ]


def _status(lifecycle: VersionState) -> str:
    if lifecycle.sunset_at is not None and lifecycle.sunset_at <= datetime.now(UTC):
        return "retired"
    return lifecycle.status


async def _published_versions(state: State) -> list[PublishedVersion]:
    return [
        PublishedVersion(
            api=api.name,
            version=f"v{api.major}",
            status=_status(lifecycle),
            contract=f"/openapi/{contract_file_name(api.name, api.major)}",
            docs=f"/docs?api={api.name}&version=v{api.major}",
            sunset_at=lifecycle.sunset_at,
            successor=f"v{lifecycle.successor}" if lifecycle.successor is not None else None,
        )
        for api, lifecycle in await _exposed(state)
    ]


class ContractController(Controller):
    include_in_schema = False

    @get("/openapi")
    async def index(self, state: State) -> ContractIndex:
        """Every exposed API version with its lifecycle and where its contract and docs are."""
        return ContractIndex(versions=await _published_versions(state))

    @get("/openapi/{name:str}")
    async def contract(
        self, request: Request[Any, Any, Any], state: State, name: FromPath[str]
    ) -> Response[dict[str, Any]]:
        """One API version's contract as this gateway enforces it (``storefront.v2.json``)."""
        wanted = parse_contract_file_name(name)
        exposed = {(api.name, api.major): lifecycle for api, lifecycle in await _exposed(state)}
        if wanted is None or wanted not in exposed:
            raise UnknownContract(
                f"this gateway publishes no contract '{name}'",
                extra={"contracts": [contract_file_name(*key) for key in sorted(exposed)]},
            )
        shelf: ContractShelf = state.contracts
        policy: PolicyFile = state.policy
        document = shelf.document(*wanted) or {}
        api, major = wanted
        if any(api == own.name for own in GATEWAY_APIS):
            document = gateway_own_contract(document, server_url=_server_url(request))
        else:
            route, _ = policy.table.resolve(api, f"v{major}")
            document = public_contract(document, route, server_url=_server_url(request))
        return Response(_with_lifecycle(document, exposed[wanted]), media_type=MediaType.JSON)

    @get("/docs", media_type=MediaType.HTML)
    async def docs(
        self,
        state: State,
        api: Annotated[str | None, QueryParameter(description="The API to show; default the first")] = None,
        version: Annotated[str | None, QueryParameter(description="Its version, `v2`; default the newest")] = None,
    ) -> str:
        """A reference page for every exposed API version, with deprecations and sunsets shown."""
        versions = await _published_versions(state)
        shown = [v for v in versions if v.api == (api or (versions[0].api if versions else None))]
        if version is not None:
            shown = [v for v in shown if v.version == version]
        if (api is not None or version is not None) and not shown:
            raise UnknownContract(
                f"this gateway publishes no API '{api}' version '{version or 'any'}'",
                extra={"contracts": [v.contract for v in versions]},
            )
        selected = max(shown, key=lambda v: int(v.version[1:])) if shown else None
        return render_docs_page(versions, selected)


def _with_lifecycle(document: dict[str, Any], lifecycle: VersionState) -> dict[str, Any]:
    """Mark a deprecated version's operations ``deprecated`` and say when it ends and what replaces it."""
    info = dict(document.get("info", {}))
    info["x-lifecycle"] = {
        "status": _status(lifecycle),
        "sunset": lifecycle.sunset_at.isoformat() if lifecycle.sunset_at else None,
        "successor": f"v{lifecycle.successor}" if lifecycle.successor is not None else None,
    }
    document = {**document, "info": info}
    if lifecycle.status == "active":
        return document
    paths: dict[str, Any] = {}
    for path, item in document.get("paths", {}).items():
        paths[path] = {
            method: {**operation, "deprecated": True}
            if isinstance(operation, dict) and "responses" in operation
            else operation
            for method, operation in item.items()
        }
    return {**document, "paths": paths}
