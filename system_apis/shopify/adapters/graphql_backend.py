"""The Shopify Admin backend that talks to a real shop over the GraphQL Admin API."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from system_apis.shopify.adapters.admin_wire import (
    FULFILLMENT_CREATE,
    FULFILLMENT_ORDERS,
    INVENTORY_SET_QUANTITIES,
    ORDER_CANCEL,
    ORDER_RISK,
    REFUND_CREATE,
    cancel_variables,
    fulfillment_variables,
    refund_variables,
    set_quantities_variables,
)
from system_apis.shopify.adapters.base import (
    CancelRequest,
    CancelResult,
    FulfillmentRequest,
    FulfillmentResult,
    OrderRiskResult,
    RefundRequest,
    RefundResult,
    RiskAssessment,
    RiskFact,
    SetQuantitiesRequest,
    SetQuantitiesResult,
    ShopifyUnavailable,
    ShopifyUserError,
    UserError,
    Variables,
)
from system_apis.shopify.adapters.graphql_client import AdminGraphqlClient

__all__ = ["GraphqlAdmin"]

_FULFILLABLE = frozenset({"OPEN", "IN_PROGRESS"})


class GraphqlAdmin:
    """Sends each operation as the mutation Shopify documents; reads ``userErrors`` into :class:`ShopifyUserError`."""

    name = "graphql"

    def __init__(self, client: AdminGraphqlClient) -> None:
        self.client = client

    async def set_quantities(self, request: SetQuantitiesRequest) -> tuple[Variables, SetQuantitiesResult]:
        variables = set_quantities_variables(request)
        payload = await self._mutate("inventorySetQuantities", INVENTORY_SET_QUANTITIES, variables)
        group = payload.get("inventoryAdjustmentGroup") or {}
        return variables, SetQuantitiesResult(adjustment_group_id=group.get("id"))

    async def create_fulfillment(self, request: FulfillmentRequest) -> tuple[Variables, FulfillmentResult]:
        data = await self.client.execute("FulfillmentOrders", FULFILLMENT_ORDERS, {"id": request.order_id})
        order = data.get("order")
        if order is None:
            raise ShopifyUserError("fulfillmentCreate", [UserError("order not found", ["order_id"], "NOT_FOUND")])
        if order.get("cancelledAt"):
            raise ShopifyUserError(
                "fulfillmentCreate", [UserError("the order is cancelled", ["order_id"], "ORDER_CANCELLED")]
            )
        variables = fulfillment_variables(request, _allocate(request, order))
        payload = await self._mutate("fulfillmentCreate", FULFILLMENT_CREATE, variables)
        fulfillment = payload.get("fulfillment") or {}
        return variables, FulfillmentResult(
            fulfillment_id=str(fulfillment.get("id", "")),
            status=str(fulfillment.get("status", "SUCCESS")),
            fulfillment_order_ids=[
                entry["fulfillmentOrderId"] for entry in variables["fulfillment"]["lineItemsByFulfillmentOrder"]
            ],
        )

    async def create_refund(self, request: RefundRequest) -> tuple[Variables, RefundResult]:
        variables = refund_variables(request)
        payload = await self._mutate("refundCreate", REFUND_CREATE, variables)
        refund = payload.get("refund") or {}
        money = ((refund.get("totalRefundedSet") or {}).get("shopMoney")) or {}
        return variables, RefundResult(
            refund_id=str(refund.get("id", "")), total=_decimal(money.get("amount")), currency=money.get("currencyCode")
        )

    async def cancel_order(self, request: CancelRequest) -> tuple[Variables, CancelResult]:
        variables = cancel_variables(request)
        payload = await self._mutate("orderCancel", ORDER_CANCEL, variables, errors_member="orderCancelUserErrors")
        job = payload.get("job") or {}
        return variables, CancelResult(job_id=job.get("id"), done=bool(job.get("done", False)))

    async def order_risk(self, order_id: str) -> OrderRiskResult | None:
        data = await self.client.execute("OrderRisk", ORDER_RISK, {"id": order_id})
        order = data.get("order")
        if order is None:
            return None
        risk = order.get("risk") or {}
        return OrderRiskResult(
            recommendation=risk.get("recommendation") or "NONE",
            assessments=[
                RiskAssessment(
                    risk_level=assessment["riskLevel"],
                    provider=(assessment.get("provider") or {}).get("title"),
                    facts=[
                        RiskFact(description=f["description"], sentiment=f["sentiment"]) for f in assessment["facts"]
                    ],
                )
                for assessment in risk.get("assessments") or []
            ],
        )

    async def _mutate(
        self, mutation: str, document: str, variables: Variables, *, errors_member: str = "userErrors"
    ) -> dict[str, Any]:
        data = await self.client.execute(mutation, document, variables)
        payload = data.get(mutation)
        if not isinstance(payload, dict):
            raise ShopifyUnavailable(f"Shopify's answer to {mutation} has no payload", code="shopify_error")
        errors = payload.get(errors_member) or []
        if errors:
            raise ShopifyUserError(
                mutation,
                [UserError(str(e.get("message", "")), e.get("field"), e.get("code")) for e in errors],
            )
        return payload


def _allocate(request: FulfillmentRequest, order: dict[str, Any]) -> dict[str, list[tuple[str, int]]]:
    """Spread each requested line over the open fulfillment orders' remaining quantities (one location)."""
    open_items: list[tuple[str, str, dict[str, Any]]] = []  # (fulfillment order, location, line item)
    for fulfillment_order in (order.get("fulfillmentOrders") or {}).get("nodes", []):
        if fulfillment_order.get("status") not in _FULFILLABLE:
            continue
        location = ((fulfillment_order.get("assignedLocation") or {}).get("location") or {}).get("id", "")
        for item in (fulfillment_order.get("lineItems") or {}).get("nodes", []):
            open_items.append((fulfillment_order["id"], location, item))
    allocation: dict[str, list[tuple[str, int]]] = {}
    locations: set[str] = set()
    errors: list[UserError] = []
    for index, line in enumerate(request.lines):
        wanted = line.quantity
        for order_id, location, item in open_items:
            if wanted == 0 or (item.get("lineItem") or {}).get("id") != line.line_item_id:
                continue
            take = min(wanted, int(item.get("remainingQuantity", 0)))
            if take > 0:
                allocation.setdefault(order_id, []).append((item["id"], take))
                item["remainingQuantity"] = int(item["remainingQuantity"]) - take
                locations.add(location)
                wanted -= take
        if wanted:
            errors.append(
                UserError(
                    f"{wanted} of the {line.quantity} units of line {line.line_item_id} have nothing left to fulfill",
                    ["lines", str(index), "quantity"],
                    "INSUFFICIENT_REMAINING_QUANTITY",
                )
            )
    if len(locations) > 1:
        errors.append(
            UserError("the lines are assigned to several locations; fulfill each location separately", ["lines"])
        )
    if errors:
        raise ShopifyUserError("fulfillmentCreate", errors)
    return allocation


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
