"""The gateway's proxy path, taken before Litestar routes anything: ``/{api}/v{major}/...`` for every API in the
route table, and ``POST /webhooks/{source}[/...]``.

Why not Litestar route handlers: these calls are the gateway's hot path, and Litestar's routing, parameter
parsing, ``Request`` and ``Response`` objects and per-route middleware cost about a quarter of each proxied call's
CPU (``bench/RESULTS.md``). Here the policy chain works on the ASGI scope directly. Everything else (OAuth, admin,
contracts, ``/metrics``, health) is routed by Litestar, and so is every refusal: an exception raised on the proxy
path is answered by the app's own exception handlers, so a problem document looks the same wherever it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, HttpMethod, Litestar, route
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.exceptions import MethodNotAllowedException
from litestar.params import FromPath
from litestar.types import ASGIApp, ExceptionHandler, ExceptionHandlersMap, HTTPScope, Receive, Scope, Send

from gateway.proxy import IncomingCall, UpstreamAnswer, send_answer
from gateway.public_calls import serve_public_call
from gateway.routes import PolicyFile
from gateway.webhooks import deliver_webhook
from service_kit.problems import ServiceUnavailable

__all__ = ["PROXY_PATH_TEMPLATE", "ProxyEdge", "UnknownApiController"]

PROXY_PATH_TEMPLATE = "/{api}/{version}/{rest}"
"""The route an API call is logged and counted under (bounded: the API and version are labels of their own)."""
WEBHOOK_PATH_TEMPLATE = "/webhooks/{source}/{rest}"
_PROXIED_METHODS = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]
_PROXIED = frozenset(method.value for method in _PROXIED_METHODS)
_Answering = Callable[[IncomingCall], Awaitable[UpstreamAnswer]]
_SLASHES, _RAW_SLASHES = re.compile("/{2,}"), re.compile(b"/{2,}")


class ProxyEdge:
    """Serves the proxy path itself and hands every other request to ``routed`` (Litestar's own handling).

    It is installed as the Litestar app's ``asgi_handler``, which Litestar calls after it has put the app and a
    ``state`` into the scope and wrapped ``send`` with the ``before_send`` hooks (``X-Trace-Id``): the proxy path
    keeps those. Like Litestar, it reads runs of slashes as one (``//storefront/v1/x`` is a storefront call, and is
    relayed as ``/storefront/v1/x``); it skips what Litestar does from routing on: ``root_path`` handling, per-route
    middleware and ``after_exception`` hooks (the gateway configures none; anything that must see every request
    wraps this edge, as ``record_traffic`` does).
    """

    def __init__(self, app: Litestar, routed: ASGIApp, *, max_body: int) -> None:
        self._app = app
        self._routed = routed
        self._max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] not in _PROXIED:
            await self._routed(scope, receive, send)
            return
        if "//" in scope["path"]:  # runs of slashes are one, as Litestar routes them: judged and relayed alike
            scope["path"] = _SLASHES.sub("/", scope["path"])
            scope["raw_path"] = _RAW_SLASHES.sub(b"/", scope.get("raw_path") or scope["path"].encode())
        state: State = self._app.state
        policy: PolicyFile = state.policy
        # "/storefront/v1/availability" → ["", "storefront", "v1", "availability"]
        segments = scope["path"].split("/", 3)
        first = segments[1]
        if len(segments) > 2 and policy.table.knows(first):
            scope["path_template"] = PROXY_PATH_TEMPLATE
            await self._serve(scope, receive, send, lambda call: serve_public_call(state, call, first, segments[2]))
        elif first == "webhooks" and len(segments) > 2 and segments[2]:
            scope["path_template"] = WEBHOOK_PATH_TEMPLATE
            await self._serve(scope, receive, send, lambda call: self._deliver(state, call, segments[2]))
        else:
            await self._routed(scope, receive, send)

    async def _deliver(self, state: State, call: IncomingCall, source: str) -> UpstreamAnswer:
        if call.method != "POST":
            raise MethodNotAllowedException(headers={"Allow": "POST"})
        return await deliver_webhook(state, call, source)

    async def _serve(self, scope: HTTPScope, receive: Receive, send: Send, answer_for: _Answering) -> None:
        try:
            answer = await answer_for(IncomingCall(scope, receive, max_body=self._max_body))
        except Exception as exc:
            await self._refuse(scope, receive, send, exc)
            return
        # From here on a failure comes after the answer started: no problem document, the server ends the connection.
        await send_answer(send, receive, answer)

    async def _refuse(self, scope: HTTPScope, receive: Receive, send: Send, exc: Exception) -> None:
        """Answer with what the app's exception handlers make of ``exc``, as for any routed request."""
        handler = _handler_for(self._app.exception_handlers, exc)
        request = self._app.request_class(scope, receive, send)
        response = handler(request, exc)
        await response.to_asgi_response(app=None, request=request)(scope, receive, send)


def _handler_for(handlers: ExceptionHandlersMap, exc: Exception) -> ExceptionHandler[Any]:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status in handlers:
        return handlers[status]
    for kind in type(exc).__mro__:
        if kind in handlers:
            return handlers[kind]
    return handlers[Exception]


class UnknownApiController(Controller):
    """What reaches Litestar on a path shaped like an API call names no API of the route table (routes of the
    gateway's own, such as ``/admin/v1/...``, match first)."""

    include_in_schema = False

    @route("/{api:str}/{version:str}/{rest:path}", http_method=_PROXIED_METHODS)
    async def unknown(self, state: State, api: FromPath[str], version: FromPath[str]) -> None:
        policy: PolicyFile = state.policy
        policy.table.resolve(api, version)  # raises the 404 problem naming the APIs there are
        # It resolves: the route table gained the API while this call was on its way here.
        raise ServiceUnavailable(
            "the route table changed while this call was routed; retry it", headers={"Retry-After": "1"}
        )
