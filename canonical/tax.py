"""Sales tax: what a caller asks the tax system (lines shipped to an address) and what it answers (tax per
line with the jurisdiction and rate used, shipping tax, totals), and the committed transactions and refunds.

Amounts are exact decimal strings in the document's one ``currency``, never floats. Tax is computed and
rounded per line: ``tax = round_half_up(amount * rate)`` to the currency's minor unit (cents for USD,
whole yen for JPY), and the totals are the sums of the rounded lines, so a line's tax never changes with
what else is in the basket.
"""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

import msgspec

from canonical.address import Address, CountryCode, RegionCode
from canonical.catalog import Sku
from canonical.money import CurrencyCode
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "TAX_REFUND_RECORDED",
    "TAX_TRANSACTION_COMMITTED",
    "ExemptionScope",
    "JurisdictionCode",
    "TaxCalculation",
    "TaxCalculationRequest",
    "TaxCode",
    "TaxExemption",
    "TaxExemptionApplied",
    "TaxJurisdiction",
    "TaxJurisdictionRef",
    "TaxLine",
    "TaxRefund",
    "TaxRefundLine",
    "TaxRefundLineRequest",
    "TaxRefundRequest",
    "TaxShipping",
    "TaxTransaction",
    "TaxTransactionLine",
    "TaxTransactionRequest",
    "TaxTransactionStatus",
    "TaxableLine",
]

TAX_TRANSACTION_COMMITTED = "tax.transaction.committed"
"""Payload: :class:`TaxTransaction`. Producer: the tax system API."""
TAX_REFUND_RECORDED = "tax.refund.recorded"
"""Payload: :class:`TaxRefund`. Producer: the tax system API."""

TaxCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$",
        description="Product tax code: standard, clothing, food, exempt, or any code a jurisdiction lists",
    ),
]
JurisdictionCode = Annotated[
    str, msgspec.Meta(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$", description="Jurisdiction id, e.g. US-NY-NYC")
]
ExemptionScope = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
        description="Where an exemption holds: a country (US) or a subdivision (US-NY); null for everywhere",
    ),
]
Rate = Annotated[Decimal, msgspec.Meta(description='Tax rate as a decimal fraction, as a string: "0.08875"')]
Amount = Annotated[Decimal, msgspec.Meta(description='Exact decimal amount in the document currency: "19.99"')]
LineId = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Reference = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
TaxTransactionStatus = Literal["committed", "partially_refunded", "refunded"]


class TaxJurisdiction(msgspec.Struct, kw_only=True):
    """A taxing area and its combined rates. The most specific one containing an address applies: a postal
    code prefix beats a state or province, which beats a whole country."""

    code: JurisdictionCode
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    country_code: CountryCode
    region_code: RegionCode | None = None
    postal_prefix: str | None = None
    """Postal codes starting with this (compared without spaces or dashes, upper case)."""
    rates: dict[TaxCode, Rate]
    """Combined rate per tax code; must hold ``standard``, used for codes it does not list. ``exempt`` is 0
    everywhere."""
    shipping_taxable: bool
    """Whether a separately stated shipping charge is taxed (at the ``standard`` rate)."""
    updated_at: Timestamp | None = None


class TaxExemption(msgspec.Struct, kw_only=True):
    """A customer's exemption certificate: no tax on its purchases shipped into ``scope`` until it expires."""

    certificate_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    scope: ExemptionScope | None = None
    valid_until: date | None = None
    """Last day the certificate holds (inclusive); null for no expiry."""
    updated_at: Timestamp | None = None


class TaxableLine(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One line to tax: its total amount after discounts (all units), not a unit price."""

    line_id: LineId
    sku: Sku
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    amount: Amount
    tax_code: TaxCode = "standard"


class TaxCalculationRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What to tax: lines and shipping to one address, for one customer, in one currency."""

    ship_to: Address
    currency: CurrencyCode
    lines: Annotated[list[TaxableLine], msgspec.Meta(min_length=1, max_length=500)]
    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    shipping: Amount | None = None
    """The separately stated shipping charge, after shipping discounts; absent when there is none."""
    tax_date: date | None = None
    """The document date exemptions are checked against; today (UTC) when absent."""


class TaxTransactionRequest(TaxCalculationRequest, kw_only=True, forbid_unknown_fields=True):
    """A calculation to record for an order (one transaction per order)."""

    order_id: Reference
    document_reference: Reference | None = None
    """The caller's document number (invoice, ERP order reference)."""


class TaxJurisdictionRef(msgspec.Struct, kw_only=True):
    code: JurisdictionCode
    name: str
    country_code: CountryCode
    region_code: RegionCode | None = None
    postal_prefix: str | None = None


class TaxExemptionApplied(msgspec.Struct, kw_only=True):
    certificate_id: str
    scope: ExemptionScope | None = None
    valid_until: date | None = None


class TaxLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: Sku
    tax_code: TaxCode
    quantity: int
    amount: Amount
    taxable_amount: Amount
    """``amount`` unless the line is exempt (tax code ``exempt`` or a customer exemption): then 0."""
    jurisdiction: JurisdictionCode
    rate: Rate
    """The rate applied (0 when exempt)."""
    tax: Amount
    exempt: bool = False


class TaxShipping(msgspec.Struct, kw_only=True):
    amount: Amount
    taxable: bool
    rate: Rate
    tax: Amount


class TaxCalculation(msgspec.Struct, kw_only=True):
    """The tax on one basket; nothing is recorded."""

    currency: CurrencyCode
    customer_id: str | None
    tax_date: date
    jurisdiction: TaxJurisdictionRef
    exemption: TaxExemptionApplied | None
    lines: list[TaxLine]
    shipping: TaxShipping
    total_amount: Amount
    """Lines plus shipping, before tax."""
    total_taxable: Amount
    total_tax: Amount


class TaxTransactionLine(TaxLine, kw_only=True):
    refunded_quantity: int
    refunded_amount: Amount
    refunded_tax: Amount


class TaxRefundLine(msgspec.Struct, kw_only=True):
    line_id: str
    sku: Sku
    quantity: int
    """Units returned; 0 for a refund of an amount only (a price adjustment)."""
    amount: Amount
    tax: Amount


class TaxRefund(msgspec.Struct, kw_only=True):
    """Tax reversed for part or all of a committed transaction."""

    refund_id: str
    transaction_id: str
    tenant: TenantId
    order_id: str
    currency: CurrencyCode
    reference: str | None
    lines: list[TaxRefundLine]
    shipping_amount: Amount
    shipping_tax: Amount
    total_amount: Amount
    total_tax: Amount
    created_at: Timestamp


class TaxTransaction(msgspec.Struct, kw_only=True):
    """The tax recorded for an order, what has been refunded of it, and its refunds."""

    transaction_id: str
    tenant: TenantId
    order_id: str
    document_reference: str | None
    status: TaxTransactionStatus
    currency: CurrencyCode
    customer_id: str | None
    tax_date: date
    ship_to: Address
    jurisdiction: TaxJurisdictionRef
    exemption: TaxExemptionApplied | None
    lines: list[TaxTransactionLine]
    shipping: TaxShipping
    total_amount: Amount
    total_taxable: Amount
    total_tax: Amount
    refunded_amount: Amount
    refunded_tax: Amount
    refunds: list[TaxRefund]
    committed_at: Timestamp


class TaxRefundLineRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Reverse units of a line (``quantity``) or an amount of it (``amount``, a price adjustment)."""

    line_id: LineId
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    amount: Amount | None = None


class TaxRefundRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``full`` reverses whatever is left; otherwise the listed lines and shipping amount."""

    full: bool = False
    lines: Annotated[list[TaxRefundLineRequest], msgspec.Meta(max_length=500)] = msgspec.field(default_factory=list)
    shipping: Amount | None = None
    """Shipping charge to reverse; absent for none."""
    reference: Reference | None = None
    """The caller's refund or credit-memo number."""
