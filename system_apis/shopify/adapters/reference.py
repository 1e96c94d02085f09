"""The embedded default: a shop modelled in our own tables. Nothing is sent; every mutation is recorded
with the variables the GraphQL backend would have sent, so a demo user sees exactly what would go out.

It answers as Shopify would where it can know: compare-and-set on quantities, no fulfillment of a
cancelled order, no second cancellation. It does not know an order's lines, so it fulfills what it is
told; each order has one fulfillment order (``FulfillmentOrder/{order id}``) whose line items carry the
order's line item ids.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from system_apis.shopify.adapters.admin_wire import (
    cancel_variables,
    fulfillment_variables,
    gid,
    legacy_id,
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
    SetQuantitiesRequest,
    SetQuantitiesResult,
    ShopifyUserError,
    UserError,
    Variables,
)
from system_apis.shopify.models import ReferenceLevelRecord
from system_apis.shopify.repository import ReferenceShopRepository

__all__ = ["ReferenceAdmin"]


class ReferenceAdmin:
    name = "reference"

    def __init__(self, shop: ReferenceShopRepository) -> None:
        self.shop = shop

    async def set_quantities(self, request: SetQuantitiesRequest) -> tuple[Variables, SetQuantitiesResult]:
        variables = set_quantities_variables(request)
        errors: list[UserError] = []
        levels: list[tuple[ReferenceLevelRecord | None, int, str, str]] = []
        for index, change in enumerate(request.changes):
            level = await self.shop.level(change.inventory_item_id, change.location_id, request.name)
            current = level.quantity if level is not None else 0
            if change.change_from is not None and change.change_from != current:
                errors.append(
                    UserError(
                        f"The specified compare quantity does not match the current quantity ({current})",
                        ["input", "quantities", str(index), "changeFromQuantity"],
                        "CHANGE_FROM_QUANTITY_STALE",
                    )
                )
            levels.append((level, change.quantity, change.inventory_item_id, change.location_id))
        if errors:
            raise ShopifyUserError("inventorySetQuantities", errors)
        for level, quantity, item, location in levels:
            if level is None:
                self.shop.add_level(
                    ReferenceLevelRecord(
                        tenant=self.shop.tenant,
                        inventory_item_id=item,
                        location_id=location,
                        name=request.name,
                        quantity=quantity,
                    )
                )
            else:
                level.quantity = quantity
        number = await self.shop.new_object("inventory_adjustment_group", None, _now())
        return variables, SetQuantitiesResult(adjustment_group_id=gid("InventoryAdjustmentGroup", str(number)))

    async def create_fulfillment(self, request: FulfillmentRequest) -> tuple[Variables, FulfillmentResult]:
        order = await self.shop.order(request.order_id)
        if order.cancelled_at is not None:
            raise ShopifyUserError(
                "fulfillmentCreate", [UserError("the order is cancelled", ["order_id"], "ORDER_CANCELLED")]
            )
        fulfillment_order = gid("FulfillmentOrder", legacy_id(request.order_id))
        items = [
            (gid("FulfillmentOrderLineItem", legacy_id(line.line_item_id)), line.quantity) for line in request.lines
        ]
        variables = fulfillment_variables(request, {fulfillment_order: items})
        fulfilled = dict(order.fulfilled)
        for line in request.lines:
            fulfilled[line.line_item_id] = fulfilled.get(line.line_item_id, 0) + line.quantity
        order.fulfilled = fulfilled
        number = await self.shop.new_object("fulfillment", request.order_id, _now())
        return variables, FulfillmentResult(
            fulfillment_id=gid("Fulfillment", str(number)), status="SUCCESS", fulfillment_order_ids=[fulfillment_order]
        )

    async def create_refund(self, request: RefundRequest) -> tuple[Variables, RefundResult]:
        variables = refund_variables(request)
        await self.shop.order(request.order_id)
        number = await self.shop.new_object("refund", request.order_id, _now())
        total = request.transaction.amount if request.transaction else Decimal("0.00")
        return variables, RefundResult(refund_id=gid("Refund", str(number)), total=total, currency=request.currency)

    async def cancel_order(self, request: CancelRequest) -> tuple[Variables, CancelResult]:
        variables = cancel_variables(request)
        order = await self.shop.order(request.order_id)
        if order.cancelled_at is not None:
            raise ShopifyUserError(
                "orderCancel", [UserError("Order has already been cancelled", ["orderId"], "INVALID")]
            )
        order.cancelled_at = _now()
        number = await self.shop.new_object("job", request.order_id, _now())
        return variables, CancelResult(job_id=gid("Job", str(number)), done=True)

    async def order_risk(self, order_id: str) -> OrderRiskResult | None:
        """No fraud analysis runs here: every order is unassessed (``NONE``), as on a shop without one."""
        return OrderRiskResult(recommendation="NONE", assessments=[])


def _now() -> datetime:
    return datetime.now(UTC)
