"""``/orders/v1/orders`` (orders in the saga, their timelines) and ``/orders/v1/exceptions`` (the worklist)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import SalesOrder
from process_apis.orders.saga.views import NothingToRetry, OrderBook, UnknownOrder
from process_apis.orders.schemas import (
    ExceptionAssignment,
    ExceptionPage,
    ExceptionResolution,
    ExceptionStatus,
    ExceptionView,
    OrderTimeline,
    OrderView,
)
from process_apis.orders.worklist import Worklist, exception_view
from service_kit.dependencies import DbSession, Tenant
from service_kit.problems import problem_responses

__all__ = ["ExceptionController", "OrderController"]

ExceptionId = Annotated[int, PathParameter(ge=1, le=2**62, description="The worklist item's id")]


class ExceptionController(Controller):
    path = "/orders/v1/exceptions"
    tags = ["exceptions"]

    @get("/", responses=problem_responses(400))
    async def list_exceptions(
        self,
        db_session: DbSession,
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
        return await Worklist(db_session).page(
            tenant, status=status, kind=kind, order_id=order_id, cursor=cursor, limit=limit
        )

    @get("/{exception_id:int}", responses=problem_responses(400, 404))
    async def show(self, db_session: DbSession, tenant: Tenant, exception_id: ExceptionId) -> ExceptionView:
        return exception_view(await Worklist(db_session).get(tenant, exception_id))

    @post("/{exception_id:int}/assign", status_code=200, responses=problem_responses(400, 404))
    async def assign(
        self, db_session: DbSession, tenant: Tenant, exception_id: ExceptionId, data: JSONBody[ExceptionAssignment]
    ) -> ExceptionView:
        return exception_view(await Worklist(db_session).assign(tenant, exception_id, data.assignee))

    @post("/{exception_id:int}/resolve", status_code=200, responses=problem_responses(400, 404, 409))
    async def resolve(
        self, db_session: DbSession, tenant: Tenant, exception_id: ExceptionId, data: JSONBody[ExceptionResolution]
    ) -> ExceptionView:
        return exception_view(await Worklist(db_session).resolve(tenant, exception_id, data.resolution))

    @post("/{exception_id:int}/retry", status_code=200, responses=problem_responses(400, 404, 409))
    async def retry(self, db_session: DbSession, tenant: Tenant, exception_id: ExceptionId) -> ExceptionView:
        """The cause is fixed: resolve the item and put its order back in flow from where it stopped."""
        worklist = Worklist(db_session)
        item = await worklist.get(tenant, exception_id)
        if item.order_id is None or item.status == "resolved":
            raise NothingToRetry(
                f"exception {exception_id} is {item.status} and names no order in flow"
                if item.order_id is None
                else f"exception {exception_id} is already resolved",
                extra={"exception_id": exception_id},
            )
        try:
            await OrderBook(db_session).retry(tenant, item.order_id)
        except UnknownOrder:
            raise NothingToRetry(
                f"order '{item.order_id}' never entered the order process (it could not be read); "
                "have the channel send it again",
                extra={"exception_id": exception_id, "order_id": item.order_id},
            ) from None
        return exception_view(await worklist.resolve(tenant, exception_id, "retried"))


OrderId = Annotated[str, PathParameter(min_length=1, max_length=100, description="The order's id (`shopify-<id>`)")]


class OrderController(Controller):
    path = "/orders/v1/orders"
    tags = ["orders"]

    @get("/", responses=problem_responses(400))
    async def find_orders(
        self,
        db_session: DbSession,
        tenant: Tenant,
        source_id: Annotated[
            str | None, QueryParameter(max_length=100, description="The channel's order id (Shopify order id)")
        ] = None,
        in_state: Annotated[
            str | None, QueryParameter(name="state", max_length=20, description="Only orders in it")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[OrderView]:
        """Newest first."""
        return await OrderBook(db_session).find(tenant, source_id=source_id, state=in_state, limit=limit)

    @get("/{order_id:str}", responses=problem_responses(400, 404))
    async def show_order(self, db_session: DbSession, tenant: Tenant, order_id: OrderId) -> OrderView:
        return await OrderBook(db_session).show(tenant, order_id)

    @get("/{order_id:str}/sales-order", responses=problem_responses(400, 404))
    async def sales_order(self, db_session: DbSession, tenant: Tenant, order_id: OrderId) -> SalesOrder:
        """The canonical sales order (prices, discounts, tax, ship-to): what the return process refunds from."""
        return await OrderBook(db_session).sales_order(tenant, order_id)

    @get("/{order_id:str}/timeline", responses=problem_responses(400, 404))
    async def timeline(self, db_session: DbSession, tenant: Tenant, order_id: OrderId) -> OrderTimeline:
        """Every step tried: which system, when, with which trace, at which attempt, and how it ended."""
        return await OrderBook(db_session).timeline(tenant, order_id)

    @post("/{order_id:str}/retry", status_code=200, responses=problem_responses(400, 404, 409))
    async def retry(self, db_session: DbSession, tenant: Tenant, order_id: OrderId) -> OrderView:
        """Put an order on hold, rejected or out of retries back in flow once the cause is fixed."""
        return await OrderBook(db_session).retry(tenant, order_id)
