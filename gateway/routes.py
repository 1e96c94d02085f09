"""The route table: which service answers which public API version. Data, not code."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated, Literal

import msgspec

from service_kit.problems import NotFound

__all__ = ["DEFAULT_ROUTES", "Route", "RouteTable", "UnknownApi"]

_VERSION = re.compile(r"^v([1-9][0-9]{0,2})$")


class UnknownApi(NotFound):
    code = "unknown_api"


class Route(msgspec.Struct, frozen=True, kw_only=True):
    api: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9-]*$")]
    versions: tuple[int, ...]
    upstream: str
    """Service name in the registry."""
    auth: Literal["public", "oauth2", "shopify_hmac"] = "oauth2"
    read_scopes: tuple[str, ...] = ()
    """Scopes a token needs for GET and HEAD (all of them)."""
    write_scopes: tuple[str, ...] = ()
    """Scopes a token needs for POST, PUT, PATCH and DELETE (all of them)."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Seconds the upstream has to answer before the caller gets a 504 problem."""

    def required_scopes(self, method: str) -> list[str]:
        return list(self.read_scopes if method in _READ_METHODS else self.write_scopes)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DEFAULT_ROUTES: tuple[Route, ...] = (
    Route(
        api="storefront",
        versions=(1,),
        upstream="storefront",
        read_scopes=("storefront:read",),
        write_scopes=("orders:write",),
    ),
    Route(
        api="inventory",
        versions=(1,),
        upstream="inventory",
        read_scopes=("inventory:read",),
        write_scopes=("inventory:write",),
    ),
    Route(api="erp", versions=(1,), upstream="erp", read_scopes=("erp:read",), write_scopes=("erp:write",)),
    Route(api="wms", versions=(1,), upstream="wms", read_scopes=("wms:read",), write_scopes=("wms:write",)),
)


class RouteTable:
    def __init__(self, routes: Iterable[Route]) -> None:
        self._routes = {route.api: route for route in routes}

    @property
    def upstreams(self) -> list[str]:
        return sorted({route.upstream for route in self._routes.values()})

    def resolve(self, api: str, version: str) -> tuple[Route, int]:
        """The route and the major version number for ``/{api}/{version}/...``."""
        route = self._routes.get(api)
        if route is None:
            raise UnknownApi(f"there is no API named '{api}'", extra={"apis": sorted(self._routes)})
        match = _VERSION.match(version)
        if match is None or int(match.group(1)) not in route.versions:
            raise UnknownApi(
                f"API '{api}' has no version '{version}'",
                code="unknown_api_version",
                extra={"versions": [f"v{v}" for v in route.versions]},
            )
        return route, int(match.group(1))
