"""``/portal/v1``: what a service agent sees and does — orders by Shopify id, their timelines, the worklist, and
returns."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import (
    ExceptionAssignment,
    ExceptionPage,
    ExceptionResolution,
    ExceptionStatus,
    ExceptionView,
    OrderTimeline,
    OrderView,
)
from canonical.returns import ReturnRequest, ReturnStatus, ReturnView
from experience_apis.portal.service import OrderDesk
from service_kit.dependencies import Clients, Tenant
from service_kit.idempotency import IDEMPOTENT_REPLAY_HEADER, IdempotencyKeyHeader
from service_kit.problems import problem_responses

__all__ = ["PortalExceptionController", "PortalOrderController", "PortalReturnController"]

OrderId = Annotated[str, PathParameter(min_length=1, max_length=100, description="The order's id (`shopify-<id>`)")]
ExceptionId = Annotated[int, PathParameter(ge=1, le=2**62, description="The worklist item's id")]
ReturnId = Annotated[str, PathParameter(min_length=1, max_length=40, description="The RMA number (`RMA-...`)")]


class PortalOrderController(Controller):
    path = "/portal/v1/orders"
    tags = ["orders"]

    @get("/", responses=problem_responses(400, 502))
    async def find_orders(
        self,
        clients: Clients,
        tenant: Tenant,
        source_id: Annotated[
            str | None, QueryParameter(max_length=100, description="The Shopify order id the order was made from")
        ] = None,
        in_state: Annotated[
            str | None, QueryParameter(name="state", max_length=20, description="Only orders in it")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[OrderView]:
        """Newest first."""
        return await OrderDesk(clients, tenant).find_orders({"source_id": source_id, "state": in_state, "limit": limit})

    @get("/{order_id:str}", responses=problem_responses(400, 404, 502))
    async def show_order(self, clients: Clients, tenant: Tenant, order_id: OrderId) -> OrderView:
        """The order with its lines, states, ERP reference, reservations and fulfillment requests."""
        return await OrderDesk(clients, tenant).order(order_id)

    @get("/{order_id:str}/timeline", responses=problem_responses(400, 404, 502))
    async def timeline(self, clients: Clients, tenant: Tenant, order_id: OrderId) -> OrderTimeline:
        """Every step: system, time, trace id, attempt and outcome."""
        return await OrderDesk(clients, tenant).timeline(order_id)

    @post("/{order_id:str}/retry", status_code=200, responses=problem_responses(400, 404, 409, 502))
    async def retry(self, clients: Clients, tenant: Tenant, order_id: OrderId) -> OrderView:
        """Put an order on hold, rejected or out of retries back in flow once the cause is fixed."""
        return await OrderDesk(clients, tenant).retry_order(order_id)


class PortalExceptionController(Controller):
    path = "/portal/v1/exceptions"
    tags = ["exceptions"]

    @get("/", responses=problem_responses(400, 502))
    async def list_exceptions(
        self,
        clients: Clients,
        tenant: Tenant,
        status: Annotated[ExceptionStatus | None, QueryParameter(description="Only these")] = None,
        kind: Annotated[str | None, QueryParameter(max_length=50)] = None,
        order_id: Annotated[str | None, QueryParameter(max_length=100)] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=20, description="`next_cursor` of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> ExceptionPage:
        """Newest first."""
        params = {"status": status, "kind": kind, "order_id": order_id, "cursor": cursor, "limit": limit}
        return await OrderDesk(clients, tenant).exceptions(params)

    @get("/{exception_id:int}", responses=problem_responses(400, 404, 502))
    async def show(self, clients: Clients, tenant: Tenant, exception_id: ExceptionId) -> ExceptionView:
        return await OrderDesk(clients, tenant).exception(exception_id)

    @post("/{exception_id:int}/assign", status_code=200, responses=problem_responses(400, 404, 502))
    async def assign(
        self, clients: Clients, tenant: Tenant, exception_id: ExceptionId, data: JSONBody[ExceptionAssignment]
    ) -> ExceptionView:
        return await OrderDesk(clients, tenant).act_on_exception(exception_id, "assign", data)

    @post("/{exception_id:int}/resolve", status_code=200, responses=problem_responses(400, 404, 409, 502))
    async def resolve(
        self, clients: Clients, tenant: Tenant, exception_id: ExceptionId, data: JSONBody[ExceptionResolution]
    ) -> ExceptionView:
        return await OrderDesk(clients, tenant).act_on_exception(exception_id, "resolve", data)

    @post("/{exception_id:int}/retry", status_code=200, responses=problem_responses(400, 404, 409, 502))
    async def retry(self, clients: Clients, tenant: Tenant, exception_id: ExceptionId) -> ExceptionView:
        """The cause is fixed: resolve the item and put its order back in flow from where it stopped."""
        return await OrderDesk(clients, tenant).act_on_exception(exception_id, "retry")


class PortalReturnController(Controller):
    path = "/portal/v1/returns"
    tags = ["returns"]

    @post("/", responses=problem_responses(400, 404, 422, 502, 503))
    async def start_return(
        self,
        clients: Clients,
        tenant: Tenant,
        data: JSONBody[ReturnRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[ReturnView]:
        """Start a return for a customer (``source: store`` and ``receiving_location`` for one brought to a store):
        201 with the RMA number, or 422 ``return_rejected`` with the ``reasons`` (outside the return window, not
        returnable, more than shipped). The same ``reference`` or ``Idempotency-Key`` again answers 200 with the
        same return."""
        view, created = await OrderDesk(clients, tenant).start_return(data, idempotency_key)
        headers = {} if created else {IDEMPOTENT_REPLAY_HEADER: "true"}
        return Response(view, status_code=201 if created else 200, headers=headers)

    @get("/", responses=problem_responses(400, 502))
    async def find_returns(
        self,
        clients: Clients,
        tenant: Tenant,
        order_id: Annotated[str | None, QueryParameter(max_length=100, description="Returns of this order")] = None,
        status: Annotated[ReturnStatus | None, QueryParameter(description="Only returns in this state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[ReturnView]:
        """Newest first."""
        return await OrderDesk(clients, tenant).returns({"order_id": order_id, "status": status, "limit": limit})

    @get("/{return_id:str}", responses=problem_responses(400, 404, 502))
    async def show_return(self, clients: Clients, tenant: Tenant, return_id: ReturnId) -> ReturnView:
        """The return with its lines, what came back in which condition, the refund, and its timeline."""
        return await OrderDesk(clients, tenant).return_of(return_id)

    @post("/{return_id:str}/retry", status_code=200, responses=problem_responses(400, 404, 409, 502))
    async def retry_return(self, clients: Clients, tenant: Tenant, return_id: ReturnId) -> ReturnView:
        """Go on once the cause is fixed; for a receipt that differs from the RMA, accept it as received."""
        return await OrderDesk(clients, tenant).act_on_return(return_id, "retry")
