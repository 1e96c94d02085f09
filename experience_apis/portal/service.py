"""Asks the order and return processes what a service agent needs; their problems (404, 409, 422) pass through
unchanged."""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from canonical import ExceptionPage, ExceptionView, OrderTimeline, OrderView
from canonical.returns import ReturnRequest, ReturnView
from service_kit.http.clients import ServiceClients
from service_kit.http.paths import resource_path
from service_kit.idempotency import IDEMPOTENCY_KEY_HEADER
from service_kit.problems import raise_for_upstream
from service_kit.tenancy import TENANT_HEADER

__all__ = ["ORDERS", "RETURNS", "OrderDesk"]

ORDERS = "orders"
RETURNS = "returns"
T = TypeVar("T")


class OrderDesk:
    def __init__(self, clients: ServiceClients, tenant: str) -> None:
        self._clients = clients
        self._headers = {TENANT_HEADER: tenant}

    async def _call(self, kind: type[T], method: str, path: str, *, upstream: str = ORDERS, **options: Any) -> T:
        client = self._clients.get(upstream)
        response: httpx.Response = await client.request(method, path, headers=self._headers, **options)
        raise_for_upstream(response, upstream=upstream)
        return msgspec.json.decode(response.content, type=kind)

    async def start_return(self, request: ReturnRequest, idempotency_key: str | None) -> tuple[ReturnView, bool]:
        """The return and whether it is new (a repeated request answers with the first return)."""
        headers = {**self._headers, **({IDEMPOTENCY_KEY_HEADER: idempotency_key} if idempotency_key else {})}
        body = msgspec.to_builtins(request)
        response = await self._clients.get(RETURNS).post("/returns/v1/returns", json=body, headers=headers)
        raise_for_upstream(response, upstream=RETURNS)
        return msgspec.json.decode(response.content, type=ReturnView), response.status_code == 201

    async def returns(self, params: dict[str, Any]) -> list[ReturnView]:
        query = {name: value for name, value in params.items() if value is not None}
        return await self._call(list[ReturnView], "GET", "/returns/v1/returns", upstream=RETURNS, params=query)

    async def return_of(self, return_id: str) -> ReturnView:
        path = resource_path("/returns/v1/returns/{}", return_id)
        return await self._call(ReturnView, "GET", path, upstream=RETURNS)

    async def act_on_return(self, return_id: str, action: str) -> ReturnView:
        path = resource_path("/returns/v1/returns/{}/{}", return_id, action)
        return await self._call(ReturnView, "POST", path, upstream=RETURNS, json={})

    async def find_orders(self, params: dict[str, Any]) -> list[OrderView]:
        query = {name: value for name, value in params.items() if value is not None}
        return await self._call(list[OrderView], "GET", "/orders/v1/orders", params=query)

    async def order(self, order_id: str) -> OrderView:
        return await self._call(OrderView, "GET", resource_path("/orders/v1/orders/{}", order_id))

    async def timeline(self, order_id: str) -> OrderTimeline:
        return await self._call(OrderTimeline, "GET", resource_path("/orders/v1/orders/{}/timeline", order_id))

    async def retry_order(self, order_id: str) -> OrderView:
        return await self._call(OrderView, "POST", resource_path("/orders/v1/orders/{}/retry", order_id))

    async def exceptions(self, params: dict[str, Any]) -> ExceptionPage:
        query = {name: value for name, value in params.items() if value is not None}
        return await self._call(ExceptionPage, "GET", "/orders/v1/exceptions", params=query)

    async def exception(self, exception_id: int) -> ExceptionView:
        return await self._call(ExceptionView, "GET", resource_path("/orders/v1/exceptions/{}", exception_id))

    async def act_on_exception(self, exception_id: int, action: str, body: Any = None) -> ExceptionView:
        path = resource_path("/orders/v1/exceptions/{}/{}", exception_id, action)
        if body is None:
            return await self._call(ExceptionView, "POST", path)
        return await self._call(ExceptionView, "POST", path, json=msgspec.to_builtins(body))
