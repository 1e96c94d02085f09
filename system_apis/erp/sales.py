"""Sales orders: validate (no side effect), book (once per source order), cut lines, read. Never commits."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal

import msgspec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import SALES_ORDER_BOOKED, SALES_ORDER_CHANGED, BookedSalesOrder, SalesOrder, SalesOrderDecision
from system_apis.erp.adapters import ErpBackend, LineChangePosting, OrderPosting, PostedLine
from system_apis.erp.documents import (
    SALES_ORDER,
    DocumentConflict,
    DocumentNotFound,
    SalesOrderRejected,
    Unprocessable,
    announce,
    booked_order,
    document_number,
    document_pk,
    posted,
)
from system_apis.erp.models import SalesOrderLineRecord, SalesOrderRecord
from system_apis.erp.order_checks import assess_order
from system_apis.erp.sales_repository import SalesOrderRepository
from system_apis.erp.sales_schemas import LineCancellationRequest, SalesOrderList

__all__ = ["SalesOrderService", "check_tenant", "open_quantity", "shipping_status"]


class DuplicateSalesOrder(DocumentConflict):
    code = "duplicate_sales_order"


class UnknownSalesOrder(DocumentNotFound):
    code = "unknown_sales_order"


def check_tenant(tenant: str, body_tenant: str, what: str) -> None:
    """A body naming another tenant than the caller's is refused, never served across tenants."""
    if body_tenant != tenant:
        raise Unprocessable(f"the {what} belongs to tenant '{body_tenant}', not '{tenant}'", code="tenant_mismatch")


def open_quantity(line: SalesOrderLineRecord) -> int:
    """Units of the line still to ship: ordered, less shipped and cut."""
    return line.quantity - line.shipped_quantity - line.cancelled_quantity


def shipping_status(lines: Iterable[SalesOrderLineRecord]) -> str:
    """``shipped`` once no line has anything left to ship (and something shipped), else how far it got."""
    lines = list(lines)
    if not any(line.shipped_quantity for line in lines):
        return "booked"
    return "shipped" if all(open_quantity(line) == 0 for line in lines) else "partially_shipped"


class SalesOrderService:
    def __init__(self, session: AsyncSession, backend: ErpBackend) -> None:
        self.session = session
        self.backend = backend
        self.orders = SalesOrderRepository(session)

    async def validate(self, tenant: str, order: SalesOrder) -> SalesOrderDecision:
        check_tenant(tenant, order.tenant, "order")
        assessment = await assess_order(self.session, tenant, order, self.backend)
        entity = assessment.legal_entity.code if assessment.legal_entity is not None else None
        return SalesOrderDecision(accepted=assessment.accepted, reasons=assessment.reasons, legal_entity=entity)

    async def book(self, tenant: str, order: SalesOrder) -> BookedSalesOrder:
        """Book the order once per source order: one already booked for it is a 409 naming its reference."""
        check_tenant(tenant, order.tenant, "order")
        await self._refuse_duplicate(tenant, order)
        assessment = await assess_order(self.session, tenant, order, self.backend)
        if not assessment.accepted:
            raise SalesOrderRejected(assessment.reasons)
        assert assessment.legal_entity is not None and assessment.customer is not None
        record = SalesOrderRecord(
            tenant=tenant,
            legal_entity=assessment.legal_entity.code,
            order_id=order.order_id,
            channel=order.channel,
            external_id=order.external_id,
            order_number=order.order_number,
            customer_id=assessment.customer.customer_id,
            currency=order.currency,
            total_amount=order.total.amount,
            shipping_amount=order.shipping.amount if order.shipping is not None else None,
            invoiced_amount=Decimal(0),
            credited_amount=Decimal(0),
            status="booked",
            backend=self.backend.name,
            backend_id="",
            version=0,
            document=msgspec.to_builtins(order),
            booked_at=datetime.now(UTC),
        )
        try:
            async with self.session.begin_nested():
                self.orders.add(record)
                await self.session.flush()
        except IntegrityError:
            # Booked meanwhile under another key (PostgreSQL waited for that transaction to commit).
            await self._refuse_duplicate(tenant, order)
            raise
        lines = [
            SalesOrderLineRecord(
                sales_order_id=record.id,
                position=position,
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                unit_price=line.unit_price.amount,
                discount=line.discount.amount if line.discount else Decimal(0),
                tax=line.tax.amount if line.tax else Decimal(0),
                shipped_quantity=0,
                invoiced_quantity=0,
                cancelled_quantity=0,
                invoiced_discount=Decimal(0),
                invoiced_tax=Decimal(0),
            )
            for position, line in enumerate(order.lines, start=1)
        ]
        for line_record in lines:
            self.orders.add(line_record)
        ref = document_number(SALES_ORDER, record.id)
        record.backend_id = await posted(
            self.backend.book_sales_order(
                OrderPosting(
                    erp_order_ref=ref,
                    tenant=tenant,
                    legal_entity=record.legal_entity,
                    customer_id=record.customer_id,
                    currency=order.currency,
                    lines=tuple(
                        PostedLine(
                            position=line.position,
                            line_id=line.line_id,
                            sku=line.sku,
                            quantity=line.quantity,
                            unit_price=line.unit_price,
                            amount=line.unit_price * line.quantity - line.discount,
                        )
                        for line in lines
                    ),
                    order_date=order.placed_at.astimezone(UTC).date().isoformat(),
                    source_reference=order.order_number or order.external_id,
                    shipping=record.shipping_amount,
                )
            )
        )
        await self.session.flush()
        booked = booked_order(record, lines)
        announce(self.session, record, SALES_ORDER_BOOKED, booked)
        return booked

    async def cancel_lines(self, tenant: str, ref: str, request: LineCancellationRequest) -> BookedSalesOrder:
        """Cut units from the order's lines: each line then ships and bills ``quantity - cancelled_quantity``.
        More than a line has left to ship is 409 ``over_cancellation`` and changes nothing."""
        order = await self.load(tenant, ref, for_update=True)
        lines = {line.line_id: line for line in await self.orders.lines(order, for_update=True)}
        cut: Counter[str] = Counter()
        for index, item in enumerate(request.lines):
            if item.line_id not in lines:
                raise Unprocessable(
                    f"{ref} has no line '{item.line_id}'", code="unknown_order_line", extra={"index": index}
                )
            cut[item.line_id] += item.quantity
        over = [
            {"line_id": line_id, "open": open_quantity(lines[line_id]), "requested": units}
            for line_id, units in cut.items()
            if units > open_quantity(lines[line_id])
        ]
        if over:
            names = ", ".join(str(item["line_id"]) for item in over)
            raise DocumentConflict(
                f"the cut exceeds what is left to ship on line(s) {names}",
                code="over_cancellation",
                extra={"lines": over},
            )
        for line_id, units in cut.items():
            lines[line_id].cancelled_quantity += units
        changed = [lines[line_id] for line_id in cut]
        await posted(
            self.backend.change_lines(
                LineChangePosting(
                    erp_order_ref=ref,
                    tenant=tenant,
                    order_backend_id=order.backend_id,
                    lines=tuple(
                        PostedLine(
                            position=line.position,
                            line_id=line.line_id,
                            sku=line.sku,
                            quantity=line.quantity - line.cancelled_quantity,
                        )
                        for line in changed
                    ),
                    closed=frozenset(line.position for line in changed if open_quantity(line) == 0),
                )
            )
        )
        order.status = shipping_status(lines.values())
        await self.session.flush()
        booked = booked_order(order, list(lines.values()))
        announce(self.session, order, SALES_ORDER_CHANGED, booked)
        return booked

    async def _refuse_duplicate(self, tenant: str, order: SalesOrder) -> None:
        existing = await self.orders.by_source(tenant, order.order_id, order.channel, order.external_id)
        if existing is not None:
            ref = document_number(SALES_ORDER, existing.id)
            raise DuplicateSalesOrder(
                f"{order.channel} order {order.external_id} is already booked as {ref}",
                extra={"erp_order_ref": ref},
            )

    async def get(self, tenant: str, ref: str) -> BookedSalesOrder:
        record = await self.load(tenant, ref)
        return booked_order(record, await self.orders.lines(record))

    async def load(self, tenant: str, ref: str, *, for_update: bool = False) -> SalesOrderRecord:
        pk = document_pk(SALES_ORDER, ref)
        record = await self.orders.get(tenant, pk, for_update=for_update) if pk is not None else None
        if record is None:
            raise UnknownSalesOrder(f"sales order '{ref}' does not exist")
        return record

    async def find(self, tenant: str, source_id: str) -> SalesOrderList:
        record = await self.orders.by_order_id(tenant, source_id)
        if record is None:
            return SalesOrderList(sales_orders=[])
        return SalesOrderList(sales_orders=[booked_order(record, await self.orders.lines(record))])
