"""Shipments, invoices and credit memos against booked sales orders. Never commits.

Invoice allocation rule (all amounts Decimal, rounded half up to the currency's minor unit):

* An invoice bills exactly the units of one shipment. For each line, ``amount`` = shipped quantity x unit
  price - the line's discount share; the discount share and the tax share are the line's discount and
  tax pro rata to the shipped quantity (``discount x shipped / ordered``, rounded), except on the
  shipment that ships the line's last units, which takes the remainder - so a line's invoices add up to
  exactly its discount and tax, with no cent lost or gained.
* The order's shipping charge, the tax the order carries beyond its lines (shipping tax) and any
  order-level discount not allocated to lines go on the order's first invoice, in full.
* ``total`` = subtotal + tax + shipping - order_discount; once everything shipped and was invoiced, the
  invoices add up to the order total.

Credit memos credit an invoice, never beyond what is left of it (total - credited so far).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical import (
    CREDIT_MEMO_POSTED,
    INVOICE_POSTED,
    SHIPMENT_POSTED,
    CreditMemo,
    Invoice,
    InvoiceLine,
    PostedShipment,
    SalesOrder,
    ShipmentNotice,
    minor_units,
)
from system_apis.erp.adapters import CreditMemoPosting, ErpBackend, FulfillmentPosting, InvoicePosting, PostedLine
from system_apis.erp.documents import (
    INVOICE,
    DocumentConflict,
    DocumentNotFound,
    Unprocessable,
    announce,
    credit_memo,
    document_number,
    document_pk,
    invoice,
    money,
    posted,
    shipment,
)
from system_apis.erp.models import (
    CreditMemoRecord,
    InvoiceRecord,
    SalesOrderLineRecord,
    SalesOrderRecord,
    ShipmentRecord,
)
from system_apis.erp.sales import SalesOrderService, check_tenant, open_quantity, shipping_status
from system_apis.erp.sales_repository import BillingRepository, SalesOrderRepository
from system_apis.erp.sales_schemas import CreditMemoList, CreditMemoRequest, InvoiceList, ShipmentList

__all__ = ["BillingService"]


class BillingService:
    def __init__(self, session: AsyncSession, backend: ErpBackend) -> None:
        self.session = session
        self.backend = backend
        self.sales = SalesOrderService(session, backend)
        self.orders = SalesOrderRepository(session)
        self.billing = BillingRepository(session)

    async def post_shipment(self, tenant: str, ref: str, notice: ShipmentNotice) -> PostedShipment:
        """Record what shipped; never more of a line than was ordered less what already shipped."""
        check_tenant(tenant, notice.tenant, "shipment")
        order = await self.sales.load(tenant, ref, for_update=True)
        if notice.order_id != order.order_id:
            raise Unprocessable(
                f"the shipment is for order '{notice.order_id}', {ref} is order '{order.order_id}'",
                code="order_mismatch",
            )
        if (existing := await self.billing.shipment(tenant, notice.shipment_id)) is not None:
            raise DocumentConflict(
                f"shipment '{notice.shipment_id}' is already posted",
                code="duplicate_shipment",
                extra={"erp_order_ref": document_number("SO", existing.sales_order_id)},
            )
        lines = {line.line_id: line for line in await self.orders.lines(order, for_update=True)}
        wanted: Counter[str] = Counter()
        for shipped in notice.lines:
            line = lines.get(shipped.line_id)
            if line is None:
                raise Unprocessable(f"{ref} has no line '{shipped.line_id}'", code="unknown_order_line")
            if line.sku != shipped.sku:
                raise Unprocessable(
                    f"line '{shipped.line_id}' of {ref} is SKU '{line.sku}', not '{shipped.sku}'", code="sku_mismatch"
                )
            wanted[shipped.line_id] += shipped.quantity
        over = [
            {
                "line_id": line_id,
                "ordered": lines[line_id].quantity,
                "shipped": lines[line_id].shipped_quantity,
                "cancelled": lines[line_id].cancelled_quantity,
                "requested": quantity,
            }
            for line_id, quantity in wanted.items()
            if quantity > open_quantity(lines[line_id])
        ]
        if over:
            names = ", ".join(item["line_id"] for item in over)  # type: ignore[misc]
            raise DocumentConflict(
                f"the shipment ships more than is left to ship on line(s) {names}",
                code="over_shipment",
                extra={"lines": over},
            )
        for line_id, quantity in wanted.items():
            lines[line_id].shipped_quantity += quantity
        backend_id = await posted(
            self.backend.post_fulfillment(
                FulfillmentPosting(
                    erp_order_ref=ref,
                    tenant=tenant,
                    order_backend_id=order.backend_id,
                    shipment_id=notice.shipment_id,
                    location_id=notice.location_id,
                    lines=tuple(
                        PostedLine(position=lines[i].position, line_id=i, sku=lines[i].sku, quantity=q)
                        for i, q in wanted.items()
                    ),
                    line_count=len(lines),
                    packages=tuple(notice.packages),
                )
            )
        )
        record = ShipmentRecord(
            tenant=tenant,
            shipment_id=notice.shipment_id,
            sales_order_id=order.id,
            location_id=notice.location_id,
            lines=msgspec.to_builtins(notice.lines),
            packages=msgspec.to_builtins(notice.packages),
            shipped_at=notice.shipped_at,
            posted_at=datetime.now(UTC),
            backend_id=backend_id,
            invoice_id=None,
        )
        self.billing.add(record)
        order.status = shipping_status(lines.values())
        await self.session.flush()
        result = shipment(record, order)
        announce(self.session, order, SHIPMENT_POSTED, result)
        return result

    async def shipments(self, tenant: str, ref: str) -> ShipmentList:
        order = await self.sales.load(tenant, ref)
        return ShipmentList(shipments=[shipment(r, order) for r in await self.billing.shipments_of(order)])

    async def post_invoice(self, tenant: str, ref: str, shipment_id: str) -> Invoice:
        """Invoice one shipment (see the module docstring for the amounts)."""
        order = await self.sales.load(tenant, ref, for_update=True)
        record = await self.billing.shipment(tenant, shipment_id, for_update=True)
        if record is None or record.sales_order_id != order.id:
            raise DocumentNotFound(f"{ref} has no shipment '{shipment_id}'", code="unknown_shipment")
        if record.invoice_id is not None:
            raise DocumentConflict(
                f"shipment '{shipment_id}' is already invoiced",
                code="shipment_already_invoiced",
                extra={"invoice_id": document_number(INVOICE, record.invoice_id)},
            )
        lines = {line.line_id: line for line in await self.orders.lines(order, for_update=True)}
        shipped: Counter[str] = Counter()
        for item in record.lines:
            shipped[str(item["line_id"])] += int(item["quantity"])
        currency = order.currency
        billed = [_bill(lines[line_id], quantity, currency) for line_id, quantity in shipped.items()]
        first = not await self.billing.invoices_of(order)
        shipping, extra_tax, order_discount = _order_charges(order) if first else (Decimal(0),) * 3
        subtotal = sum((line.amount.amount for line in billed), Decimal(0))
        tax = sum((line.tax.amount for line in billed), Decimal(0)) + extra_tax
        total = subtotal + tax + shipping - order_discount
        invoice_record = InvoiceRecord(
            tenant=tenant,
            sales_order_id=order.id,
            shipment_id=record.id,
            currency=currency,
            lines=msgspec.to_builtins(billed),
            subtotal=subtotal,
            tax=tax,
            shipping=shipping,
            order_discount=order_discount,
            total=total,
            credited=Decimal(0),
            posted_at=datetime.now(UTC),
            backend_id="",
        )
        self.billing.add(invoice_record)
        await self.session.flush()
        invoice_id = document_number(INVOICE, invoice_record.id)
        invoice_record.backend_id = await posted(
            self.backend.post_invoice(
                InvoicePosting(
                    invoice_id=invoice_id,
                    tenant=tenant,
                    order_backend_id=order.backend_id,
                    lines=tuple(
                        PostedLine(
                            position=lines[line.line_id].position,
                            line_id=line.line_id,
                            sku=line.sku,
                            quantity=line.quantity,
                            unit_price=line.unit_price.amount,
                            amount=line.amount.amount,
                        )
                        for line in billed
                    ),
                    line_count=len(lines),
                    shipping=shipping,
                )
            )
        )
        for line in billed:
            order_line = lines[line.line_id]
            order_line.invoiced_quantity += line.quantity
            order_line.invoiced_discount += line.discount.amount
            order_line.invoiced_tax += line.tax.amount
        record.invoice_id = invoice_record.id
        order.invoiced_amount += total
        await self.session.flush()
        result = invoice(invoice_record, order, record.shipment_id)
        announce(self.session, order, INVOICE_POSTED, result)
        return result

    async def get_invoice(self, tenant: str, invoice_id: str) -> Invoice:
        record, order = await self._invoice(tenant, invoice_id)
        return invoice(record, order, await self._shipment_id(record))

    async def invoices(self, tenant: str, ref: str) -> InvoiceList:
        order = await self.sales.load(tenant, ref)
        records = await self.billing.invoices_of(order)
        return InvoiceList(invoices=[invoice(r, order, await self._shipment_id(r)) for r in records])

    async def post_credit_memo(self, tenant: str, request: CreditMemoRequest) -> CreditMemo:
        """Credit part or all of an invoice, never beyond what is left of it."""
        record, order = await self._invoice(tenant, request.invoice_id, for_update=True)
        amount = request.amount
        if amount.currency != record.currency:
            raise Unprocessable(
                f"invoice {request.invoice_id} is in {record.currency}, not {amount.currency}", code="currency_mismatch"
            )
        if amount.amount <= 0 or amount.amount != amount.quantize().amount:
            raise Unprocessable(
                f"amount must be positive with at most {minor_units(amount.currency)} decimals", code="invalid_amount"
            )
        remaining = record.total - record.credited
        if amount.amount > remaining:
            raise Unprocessable(
                f"{amount.amount} {amount.currency} exceeds what is left to credit on {request.invoice_id}",
                code="credit_exceeds_invoice",
                extra={"remaining": msgspec.to_builtins(money(remaining, record.currency))},
            )
        memo = CreditMemoRecord(
            tenant=tenant,
            invoice_id=record.id,
            amount=amount.amount,
            currency=amount.currency,
            reason=request.reason,
            source_id=request.source_id,
            posted_at=datetime.now(UTC),
            backend_id="",
        )
        self.billing.add(memo)
        await self.session.flush()
        memo.backend_id = await posted(
            self.backend.post_credit_memo(
                CreditMemoPosting(
                    credit_memo_id=document_number("CM", memo.id),
                    tenant=tenant,
                    invoice_backend_id=record.backend_id,
                    customer_id=order.customer_id,
                    amount=amount.amount,
                    reason=request.reason,
                )
            )
        )
        record.credited += amount.amount
        order.credited_amount += amount.amount
        await self.session.flush()
        result = credit_memo(memo, record, order)
        announce(self.session, order, CREDIT_MEMO_POSTED, result)
        return result

    async def get_credit_memo(self, tenant: str, credit_memo_id: str) -> CreditMemo:
        pk = document_pk("CM", credit_memo_id)
        memo = await self.billing.credit_memo(tenant, pk) if pk is not None else None
        if memo is None:
            raise DocumentNotFound(f"credit memo '{credit_memo_id}' does not exist", code="unknown_credit_memo")
        record, order = await self._invoice(tenant, document_number(INVOICE, memo.invoice_id))
        return credit_memo(memo, record, order)

    async def credit_memos(self, tenant: str, invoice_id: str) -> CreditMemoList:
        record, order = await self._invoice(tenant, invoice_id)
        memos = await self.billing.credit_memos_of(record)
        return CreditMemoList(credit_memos=[credit_memo(m, record, order) for m in memos])

    async def _invoice(
        self, tenant: str, invoice_id: str, *, for_update: bool = False
    ) -> tuple[InvoiceRecord, SalesOrderRecord]:
        pk = document_pk(INVOICE, invoice_id)
        record = await self.billing.invoice(tenant, pk, for_update=for_update) if pk is not None else None
        if record is None:
            raise DocumentNotFound(f"invoice '{invoice_id}' does not exist", code="unknown_invoice")
        order = await self.orders.get(tenant, record.sales_order_id, for_update=for_update)
        assert order is not None
        return record, order

    async def _shipment_id(self, record: InvoiceRecord) -> str:
        shipment_record = await self.billing.shipment_by_pk(record.shipment_id)
        assert shipment_record is not None
        return shipment_record.shipment_id


def _round(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _bill(line: SalesOrderLineRecord, quantity: int, currency: str) -> InvoiceLine:
    """The invoice line for ``quantity`` shipped units of ``line`` (pro rata; the last units take the rest of
    what the units not cut carry)."""
    billable = line.quantity - line.cancelled_quantity
    if line.invoiced_quantity + quantity >= billable:
        discount = _share(line.discount, billable, line.quantity, currency) - line.invoiced_discount
        tax = _share(line.tax, billable, line.quantity, currency) - line.invoiced_tax
    else:
        discount = _round(line.discount * quantity / line.quantity, currency)
        tax = _round(line.tax * quantity / line.quantity, currency)
    return InvoiceLine(
        line_id=line.line_id,
        sku=line.sku,
        quantity=quantity,
        unit_price=money(line.unit_price, currency),
        discount=money(discount, currency),
        tax=money(tax, currency),
        amount=money(line.unit_price * quantity - discount, currency),
    )


def _share(amount: Decimal, units: int, of: int, currency: str) -> Decimal:
    """What ``units`` of ``of`` units carry of ``amount`` (all of it when none were cut)."""
    return amount if units == of else _round(amount * units / of, currency)


def _order_charges(order: SalesOrderRecord) -> tuple[Decimal, Decimal, Decimal]:
    """Shipping, tax beyond the lines and unallocated order discount: billed once, on the first invoice."""
    document = msgspec.convert(order.document, SalesOrder)
    line_tax = sum((line.tax.amount for line in document.lines if line.tax), Decimal(0))
    line_discount = sum((line.discount.amount for line in document.lines if line.discount), Decimal(0))
    shipping = document.shipping.amount if document.shipping else Decimal(0)
    extra_tax = max(Decimal(0), (document.tax.amount if document.tax else Decimal(0)) - line_tax)
    order_discount = max(Decimal(0), (document.discounts.amount if document.discounts else Decimal(0)) - line_discount)
    return shipping, extra_tax, order_discount
