"""Business rules of the Shopify Admin system API: our identifiers to Shopify's, one backend call per
request, every mutation logged in the request's transaction. Never commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import Money
from service_kit.problems import NotFound, Problem, ServiceUnavailable
from system_apis.shopify.adapters.admin_wire import gid
from system_apis.shopify.adapters.base import (
    CancelRequest,
    FulfillmentLineItem,
    FulfillmentRequest,
    QuantityChange,
    RefundLineItem,
    RefundRequest,
    RefundTransaction,
    SetQuantitiesRequest,
    ShopifyAdmin,
    ShopifyUnavailable,
    ShopifyUserError,
    TrackingInfo,
    Variables,
)
from system_apis.shopify.connector import ShopifyConnector
from system_apis.shopify.field_names import our_field
from system_apis.shopify.models import MutationRecord, ShopConnectionRecord
from system_apis.shopify.repository import LinkRepository, MutationRepository, ShopRepository
from system_apis.shopify.schemas import (
    AssessedRisk,
    FulfillmentCreate,
    FulfillmentCreated,
    InventoryPublish,
    InventoryPublished,
    MutationPage,
    MutationView,
    OrderCancel,
    OrderCancelled,
    OrderRisk,
    PublishedQuantity,
    RefundCreate,
    RefundCreated,
)
from system_apis.shopify.shop import not_connected

__all__ = ["ShopifyAdminService", "ShopifyRejected", "UnknownShopifyOrder", "UnmappedIdentifier"]

_IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d7c4e-58a2-4d8e-9a51-3f0c2b7e9d10")


class ShopifyRejected(Problem):
    """Shopify's ``userErrors``: the request must change; ``errors`` names each field."""

    status = 422
    code = "shopify_user_error"
    title_text = "Unprocessable content"


class UnknownShopifyOrder(NotFound):
    code = "unknown_order"


class UnmappedIdentifier(Problem):
    status = 422
    code = "unmapped_identifier"
    title_text = "Unprocessable content"


class ShopifyAdminService:
    """The four mutations, each logged with what was (or would have been) sent."""

    def __init__(self, session: AsyncSession, connector: ShopifyConnector) -> None:
        self.session = session
        self.connector = connector
        self.shops = ShopRepository(session)
        self.links = LinkRepository(session)
        self.mutations = MutationRepository(session)

    # -- operations ---------------------------------------------------------------------------------------

    async def publish_inventory(self, tenant: str, publish: InventoryPublish, key: str) -> InventoryPublished:
        shop = await self._shop(tenant)
        items = await self.links.items(tenant, sorted({q.sku for q in publish.quantities}))
        locations = await self.links.locations(tenant, sorted({q.location for q in publish.quantities}))
        unmapped = [
            {"field": f"quantities[{i}].{name}", "source": "body", "message": f"'{value}' is not linked to Shopify"}
            for i, q in enumerate(publish.quantities)
            for name, value, known in (("sku", q.sku, items), ("location", q.location, locations))
            if value not in known
        ]
        if unmapped:
            raise UnmappedIdentifier(
                "; ".join(f"{e['field']}: {e['message']}" for e in unmapped), extra={"errors": unmapped}
            )
        request = SetQuantitiesRequest(
            name=publish.name,
            reason=publish.reason,
            reference_document_uri=publish.reference_document_uri,
            idempotency_key=_shopify_key(tenant, key),
            changes=[
                QuantityChange(
                    inventory_item_id=items[q.sku],
                    location_id=locations[q.location],
                    quantity=q.quantity,
                    change_from=q.expected_quantity,
                )
                for q in publish.quantities
            ],
        )
        admin = self.connector.admin_for(shop, self.session)
        variables, result = await _call(admin.set_quantities(request), "inventorySetQuantities")
        record = await self._log(shop, admin, "inventorySetQuantities", None, variables, result, key)
        return InventoryPublished(
            mutation_id=record.id,
            backend=shop.backend,  # type: ignore[arg-type]
            adjustment_group_id=result.adjustment_group_id,
            quantities=[
                PublishedQuantity(
                    sku=q.sku,
                    location=q.location,
                    inventory_item_id=items[q.sku],
                    location_id=locations[q.location],
                    quantity=q.quantity,
                )
                for q in publish.quantities
            ],
        )

    async def create_fulfillment(self, tenant: str, order: FulfillmentCreate, key: str) -> FulfillmentCreated:
        shop = await self._shop(tenant)
        order_id = gid("Order", order.order_id)
        tracking = order.tracking
        request = FulfillmentRequest(
            order_id=order_id,
            lines=[
                FulfillmentLineItem(line_item_id=gid("LineItem", ln.line_id), quantity=ln.quantity)
                for ln in order.lines
            ],
            tracking=TrackingInfo(company=tracking.company, numbers=list(tracking.numbers), url=tracking.url)
            if tracking
            else None,
            notify_customer=order.notify_customer,
            message=order.message,
        )
        admin = self.connector.admin_for(shop, self.session)
        variables, result = await _call(admin.create_fulfillment(request), "fulfillmentCreate")
        record = await self._log(shop, admin, "fulfillmentCreate", order_id, variables, result, key)
        return FulfillmentCreated(
            mutation_id=record.id,
            backend=shop.backend,  # type: ignore[arg-type]
            order_id=order_id,
            fulfillment_id=result.fulfillment_id,
            status=result.status,
            fulfillment_order_ids=result.fulfillment_order_ids,
            tracking=tracking,
        )

    async def create_refund(self, tenant: str, refund: RefundCreate, key: str) -> RefundCreated:
        shop = await self._shop(tenant)
        _check_refund(refund)
        codes = sorted({line.location for line in refund.lines if line.location})
        locations = await self.links.locations(tenant, codes)
        unmapped = [
            {"field": f"lines[{i}].location", "source": "body", "message": f"'{ln.location}' is not linked to Shopify"}
            for i, ln in enumerate(refund.lines)
            if ln.location and ln.location not in locations
        ]
        if unmapped:
            raise UnmappedIdentifier(unmapped[0]["message"], extra={"errors": unmapped})
        order_id = gid("Order", refund.order_id)
        request = RefundRequest(
            order_id=order_id,
            currency=refund.currency,
            lines=[
                RefundLineItem(
                    line_item_id=gid("LineItem", ln.line_id),
                    quantity=ln.quantity,
                    restock_type=ln.restock.upper(),  # type: ignore[arg-type]
                    location_id=locations[ln.location] if ln.location else None,
                )
                for ln in refund.lines
            ],
            shipping_amount=refund.shipping.amount if refund.shipping else None,
            transaction=RefundTransaction(
                amount=refund.amount.amount,
                gateway=str(refund.gateway),
                parent_id=gid("OrderTransaction", refund.parent_transaction_id)
                if refund.parent_transaction_id
                else None,
            )
            if refund.amount
            else None,
            note=refund.note,
            notify=refund.notify_customer,
            idempotency_key=_shopify_key(tenant, key),
        )
        admin = self.connector.admin_for(shop, self.session)
        variables, result = await _call(admin.create_refund(request), "refundCreate")
        record = await self._log(shop, admin, "refundCreate", order_id, variables, result, key)
        total = Money(result.total, result.currency) if result.total is not None and result.currency else None
        return RefundCreated(
            mutation_id=record.id,
            backend=shop.backend,  # type: ignore[arg-type]
            order_id=order_id,
            refund_id=result.refund_id,
            total=total,
        )

    async def cancel_order(self, tenant: str, order_id: str, cancel: OrderCancel, key: str) -> OrderCancelled:
        shop = await self._shop(tenant)
        order_gid = gid("Order", order_id)
        request = CancelRequest(
            order_id=order_gid,
            reason=cancel.reason.upper(),  # type: ignore[arg-type]
            refund=cancel.refund,
            restock=cancel.restock,
            notify_customer=cancel.notify_customer,
            staff_note=cancel.staff_note,
        )
        admin = self.connector.admin_for(shop, self.session)
        variables, result = await _call(admin.cancel_order(request), "orderCancel")
        record = await self._log(shop, admin, "orderCancel", order_gid, variables, result, key)
        return OrderCancelled(
            mutation_id=record.id,
            backend=shop.backend,  # type: ignore[arg-type]
            order_id=order_gid,
            job_id=result.job_id,
            done=result.done,
        )

    async def order_risk(self, tenant: str, order_id: str) -> OrderRisk:
        """Read Shopify's fraud risk summary for an order (a query: nothing is logged)."""
        shop = await self._shop(tenant)
        order_gid = gid("Order", order_id)
        admin = self.connector.admin_for(shop, self.session)
        risk = await _call(admin.order_risk(order_gid), "order")
        if risk is None:
            raise UnknownShopifyOrder(f"Shopify has no order {order_gid}", extra={"order_id": order_gid})
        _sentiment = {"NEGATIVE": 0, "NEUTRAL": 1, "POSITIVE": 2}
        return OrderRisk(
            order_id=order_gid,
            backend=shop.backend,  # type: ignore[arg-type]
            recommendation=risk.recommendation.lower(),
            assessments=[
                AssessedRisk(
                    risk_level=assessment.risk_level.lower(),
                    provider=assessment.provider,
                    facts=[f.description for f in sorted(assessment.facts, key=lambda f: _sentiment[f.sentiment])],
                )
                for assessment in risk.assessments
            ],
        )

    async def list_mutations(
        self, tenant: str, *, cursor: int | None, limit: int, mutation: str | None, order_id: str | None
    ) -> MutationPage:
        records = await self.mutations.page(
            tenant,
            before_id=cursor,
            limit=limit + 1,
            mutation=mutation,
            order_id=gid("Order", order_id) if order_id else None,
        )
        page = records[:limit]
        return MutationPage(
            items=[_mutation(r) for r in page], next_cursor=str(page[-1].id) if len(records) > limit else None
        )

    # -- helpers ------------------------------------------------------------------------------------------

    async def _shop(self, tenant: str) -> ShopConnectionRecord:
        record = await self.shops.get(tenant)
        if record is None:
            raise not_connected(tenant)
        return record

    async def _log(
        self,
        shop: ShopConnectionRecord,
        admin: ShopifyAdmin,
        mutation: str,
        order_id: str | None,
        variables: Variables,
        result: msgspec.Struct,
        key: str,
    ) -> MutationRecord:
        record = MutationRecord(
            tenant=shop.tenant,
            shop_domain=shop.shop_domain,
            backend=admin.name,
            mutation=mutation,
            order_id=order_id,
            variables=variables,
            result=msgspec.to_builtins(result),
            idempotency_key=key,
            created_at=datetime.now(UTC),
        )
        self.mutations.add(record)
        await self.session.flush()
        return record


async def _call(call: Any, mutation: str) -> Any:
    """Await a backend call; its two error families become problems (422 naming fields, 503)."""
    try:
        return await call
    except ShopifyUserError as exc:
        errors = [
            {
                "field": our_field(mutation, error.field),
                "source": "body",
                "message": error.message,
                "shopify_field": ".".join(error.field or []),
                "shopify_code": error.code or "",
            }
            for error in exc.errors
        ]
        raise ShopifyRejected(
            "Shopify refused the request: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
            extra={"errors": errors, "mutation": mutation},
        ) from None
    except ShopifyUnavailable as exc:
        retry_after = str(max(1, round(exc.retry_after or 5)))
        raise ServiceUnavailable(str(exc), code=exc.code, headers={"Retry-After": retry_after}) from None


def _check_refund(refund: RefundCreate) -> None:
    errors = []
    if refund.amount is not None and refund.gateway is None:
        errors.append({"field": "gateway", "source": "body", "message": "a refunded amount needs the payment gateway"})
    for field, money in (("amount", refund.amount), ("shipping", refund.shipping)):
        if money is not None and money.currency != refund.currency:
            errors.append({"field": field, "source": "body", "message": f"must be in {refund.currency}"})
        if money is not None and money.amount <= 0:
            errors.append({"field": field, "source": "body", "message": "must be greater than zero"})
    for index, line in enumerate(refund.lines):
        if line.restock != "no_restock" and line.location is None:
            errors.append(
                {"field": f"lines[{index}].location", "source": "body", "message": "restocked units need a location"}
            )
    if not refund.lines and refund.amount is None and refund.shipping is None:
        errors.append(
            {"field": "lines", "source": "body", "message": "refund at least one line, shipping or an amount"}
        )
    if errors:
        raise Problem(
            "Invalid " + ", ".join(f"body '{e['field']}': {e['message']}" for e in errors),
            code="invalid_request",
            extra={"errors": errors},
        )


def _shopify_key(tenant: str, key: str) -> str:
    """Shopify's ``@idempotent`` key for our caller's key: the same retry sends the same key."""
    return str(uuid.uuid5(_IDEMPOTENCY_NAMESPACE, f"{tenant}\n{key}"))


def _mutation(record: MutationRecord) -> MutationView:
    return MutationView(
        id=record.id,
        mutation=record.mutation,
        backend=record.backend,  # type: ignore[arg-type]
        shop_domain=record.shop_domain,
        order_id=record.order_id,
        variables=record.variables,
        result=record.result,
        idempotency_key=record.idempotency_key,
        created_at=record.created_at,
    )
