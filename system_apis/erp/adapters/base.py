"""The seam between the ERP system API and the ERP that keeps the books.

The service decides (checks, quantities, amounts) on its own register of documents; a backend posts each
accepted document to the system of record and answers the record's id there. Two error families, as in
every adapter: *technical* (:class:`BackendUnavailable`: network, timeouts, vendor 5xx and 429 - retry
later) and *logical* (:class:`BackendRejected`: the vendor refused the document for a business reason).
Vendor formats and httpx errors never leave the adapter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from canonical import OrderRejectReason, Package

__all__ = [
    "BackendFailed",
    "BackendRejected",
    "BackendUnavailable",
    "CreditMemoPosting",
    "ErpBackend",
    "FulfillmentPosting",
    "InvoicePosting",
    "OrderPosting",
    "PostedLine",
]


class BackendUnavailable(Exception):
    """The ERP could not be reached or failed on its side; the same posting may be retried."""


class BackendFailed(Exception):
    """The ERP refused a posting for a reason that is not the caller's business (a mapping or set-up fault)."""


class BackendRejected(Exception):
    """The ERP refused a document for business reasons, given as the same codes the service uses."""

    def __init__(self, reasons: list[OrderRejectReason]) -> None:
        super().__init__("; ".join(reason.message for reason in reasons))
        self.reasons = reasons


@dataclass(frozen=True, kw_only=True)
class PostedLine:
    """One order line in a posting; ``position`` is its 1-based line number on the sales order."""

    position: int
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal = Decimal(0)
    amount: Decimal = Decimal(0)
    """Net of discounts (quantity x unit price - discount)."""


@dataclass(frozen=True, kw_only=True)
class OrderPosting:
    erp_order_ref: str
    tenant: str
    legal_entity: str
    customer_id: str
    currency: str
    lines: tuple[PostedLine, ...]
    order_date: str
    """ISO date the order was placed (``YYYY-MM-DD``)."""
    source_reference: str
    """What the customer knows the order by (its number), else the channel's id."""
    shipping: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class CustomerStanding:
    """What the system of record says of a customer when it, not our tables, decides who may buy on credit."""

    exists: bool = True
    inactive: bool = False
    credit_hold: bool = False
    """Held by hand (NetSuite ``creditHoldOverride`` ON)."""
    credit_checked: bool = True
    """False when the hold is overridden OFF: no credit limit applies."""
    credit_limit: Decimal | None = None
    exposure: Decimal = Decimal(0)
    """What the customer owes and has on order but not billed (NetSuite ``balance`` + ``unbilledOrders``)."""


@dataclass(frozen=True, kw_only=True)
class LineChangePosting:
    """Lines of a booked order cut after booking: each with the quantity it now ships in all (``quantity``) and
    whether nothing more is left to ship on it (``closed``)."""

    erp_order_ref: str
    tenant: str
    order_backend_id: str
    lines: tuple[PostedLine, ...]
    closed: frozenset[int] = frozenset()
    """Positions of the lines with nothing left to ship."""


@dataclass(frozen=True, kw_only=True)
class FulfillmentPosting:
    erp_order_ref: str
    tenant: str
    order_backend_id: str
    shipment_id: str
    location_id: str
    lines: tuple[PostedLine, ...]
    """Only the lines that shipped, with the shipped quantity."""
    line_count: int
    """How many lines the order has (those not shipping are posted as not received)."""
    packages: tuple[Package, ...] = field(default=())


@dataclass(frozen=True, kw_only=True)
class InvoicePosting:
    invoice_id: str
    tenant: str
    order_backend_id: str
    lines: tuple[PostedLine, ...]
    line_count: int
    shipping: Decimal


@dataclass(frozen=True, kw_only=True)
class CreditMemoPosting:
    credit_memo_id: str
    tenant: str
    invoice_backend_id: str
    customer_id: str
    amount: Decimal
    reason: str


@runtime_checkable
class ErpBackend(Protocol):
    """Posts the ERP's documents to the system of record; each call answers the record's id there.

    Every posting carries our document number, which a backend uses as the record's external id, so a
    posting retried after a crash finds the record it already made instead of making a second one.
    """

    name: str

    async def ping(self) -> None:
        """Raise :class:`BackendUnavailable` when the ERP cannot be reached."""

    async def book_sales_order(self, posting: OrderPosting) -> str: ...

    async def customer_standing(self, customer_id: str) -> CustomerStanding | None:
        """The customer's standing in the ERP of record; ``None`` when our own tables are the record."""

    async def change_lines(self, posting: LineChangePosting) -> None:
        """Set the lines' quantities (and close those with nothing left); repeating it changes nothing."""

    async def post_fulfillment(self, posting: FulfillmentPosting) -> str: ...

    async def post_invoice(self, posting: InvoicePosting) -> str: ...

    async def post_credit_memo(self, posting: CreditMemoPosting) -> str: ...

    async def aclose(self) -> None: ...
