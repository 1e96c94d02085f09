"""Where each service lives: in this process (an ASGI app) or at a URL.

This is the only place embedded and distributed mode differ for service-to-service calls: the same
httpx client code runs over an in-process ASGI transport or over HTTP.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

if TYPE_CHECKING:
    from litestar.types import ASGIApp

__all__ = ["ServiceRegistry", "UnknownServiceError"]


class UnknownServiceError(LookupError):
    """A service was asked for that is neither running here nor configured with a URL."""


class ServiceRegistry:
    """Maps service names to an in-process app or a base URL."""

    def __init__(self, urls: dict[str, str] | None = None) -> None:
        self._apps: dict[str, ASGIApp] = {}
        self._urls: dict[str, str] = dict(urls or {})

    def register_app(self, name: str, app: ASGIApp) -> None:
        """Serve ``name`` from this process (embedded mode)."""
        self._apps[name] = app

    def register_url(self, name: str, url: str) -> None:
        """Reach ``name`` over HTTP (distributed mode)."""
        self._urls[name] = url.rstrip("/")

    def knows(self, name: str) -> bool:
        return name in self._apps or name in self._urls

    def base_url(self, name: str) -> str:
        if name in self._urls:
            return self._urls[name]
        if name in self._apps:
            return f"http://{name}.omnigate.internal"
        raise UnknownServiceError(f"service {name!r} is not registered (set OMNIGATE_{name.upper()}_URL)")

    def transport(self, name: str, limits: httpx.Limits) -> httpx.AsyncBaseTransport:
        """The raw transport to ``name``: ASGI in process, aiohttp over the network.

        aiohttp rather than httpx's own pool, which degrades badly under concurrency (encode/httpx#3215).
        """
        if name in self._urls:
            return AiohttpTransport(limits=limits, client=lambda: _session(limits))  # type: ignore[no-any-return,unused-ignore]
        if name in self._apps:
            return httpx.ASGITransport(app=self._apps[name])  # type: ignore[arg-type]
        raise UnknownServiceError(f"service {name!r} is not registered (set OMNIGATE_{name.upper()}_URL)")


def _session(limits: httpx.Limits) -> aiohttp.ClientSession:
    """The aiohttp session behind one upstream's transport, created on its first request (inside the loop).

    Without a cookie jar: one session serves every caller, and aiohttp's default jar would send a cookie that one
    upstream answer set (for the gateway, one caller's session) with every later request to that host.
    """
    connector = aiohttp.TCPConnector(
        limit=limits.max_connections or 0, keepalive_timeout=limits.keepalive_expiry or 15.0
    )
    return aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
