"""The reference backend: the ERP system API's own tables are the books (migrations ``erp_0001``/``erp_0002``).

Nothing is copied elsewhere, so posting a document is giving it its number: the record id in this ERP is
our document number itself (``SO-000001``, ``INV-000001``, ...). It runs with no vendor account.
"""

from __future__ import annotations

from system_apis.erp.adapters.base import (
    CreditMemoPosting,
    CustomerStanding,
    FulfillmentPosting,
    InvoicePosting,
    LineChangePosting,
    OrderPosting,
)

__all__ = ["ReferenceErpBackend"]


class ReferenceErpBackend:
    name = "reference"

    async def ping(self) -> None:
        """Ready whenever the service's own database is (checked by the service's database probe)."""

    async def book_sales_order(self, posting: OrderPosting) -> str:
        return posting.erp_order_ref

    async def customer_standing(self, customer_id: str) -> CustomerStanding | None:
        """Our own customer table is the record (status, credit limit)."""
        return None

    async def change_lines(self, posting: LineChangePosting) -> None:
        """The cut is in the order's own lines already (``cancelled_quantity``)."""

    async def post_fulfillment(self, posting: FulfillmentPosting) -> str:
        return f"{posting.erp_order_ref}/{posting.shipment_id}"

    async def post_invoice(self, posting: InvoicePosting) -> str:
        return posting.invoice_id

    async def post_credit_memo(self, posting: CreditMemoPosting) -> str:
        return posting.credit_memo_id

    async def aclose(self) -> None:
        return None
