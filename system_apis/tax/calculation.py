"""The tax arithmetic, free of storage: which jurisdiction an address falls in, and the tax on each line.

Rounding rule (the published contract): tax is computed per line as ``amount * rate`` and rounded half up
(away from zero: 0.005 -> 0.01) to the currency's ISO 4217 minor unit (2 places for USD, EUR, GBP, CAD;
0 for JPY; 3 for KWD), then the document totals are the sums of the rounded line and shipping taxes.
Rounding per line (not per document) keeps each line's tax stable when the basket changes, and is what a
refund of one line reverses. Amounts sent in must already be in the currency's minor unit.

Jurisdiction precedence: among the jurisdictions that contain the ship-to address, one with a postal code
prefix (the longest prefix first) beats one for the state or province, which beats one for the country.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from canonical import (
    Address,
    TaxCalculation,
    TaxCalculationRequest,
    TaxExemption,
    TaxExemptionApplied,
    TaxJurisdiction,
    TaxJurisdictionRef,
    TaxLine,
    TaxShipping,
    minor_units,
)

__all__ = [
    "EXEMPT_CODE",
    "MAX_AMOUNT",
    "STANDARD_CODE",
    "amount_problem",
    "applicable_exemption",
    "calculate",
    "jurisdiction_ref",
    "most_specific",
    "normalize_postal_code",
    "round_to_currency",
]

MAX_AMOUNT = Decimal(10) ** 12
"""Larger amounts are refused: no basket is worth a trillion, and Decimal arithmetic stays exact below it."""
STANDARD_CODE = "standard"
EXEMPT_CODE = "exempt"
_ZERO = Decimal(0)


def normalize_postal_code(code: str | None) -> str:
    """``"SW1A 1AA"`` -> ``"SW1A1AA"``, ``"10012-1234"`` -> ``"100121234"``: prefixes compare on this form."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def amount_problem(amount: Decimal, currency: str) -> str | None:
    """Why ``amount`` is not an amount of ``currency`` we accept (None if it is): finite, not negative,
    below :data:`MAX_AMOUNT`, and no finer than the currency's minor unit."""
    if not amount.is_finite():
        return "must be a finite decimal"
    if amount < 0:
        return "must not be negative"
    if amount >= MAX_AMOUNT:
        return f"must be less than {MAX_AMOUNT:f}"
    if amount != round_to_currency(amount, currency):
        return f"has more than {minor_units(currency)} decimal places for {currency}"
    return None


def round_to_currency(value: Decimal, currency: str) -> Decimal:
    """Half up to the currency's minor unit (2.345 USD -> 2.35; 1234.5 JPY -> 1235)."""
    return value.quantize(Decimal(1).scaleb(-minor_units(currency)), rounding=ROUND_HALF_UP)


def _contains(jurisdiction: TaxJurisdiction, address: Address) -> bool:
    if jurisdiction.country_code != address.country_code:
        return False
    if jurisdiction.region_code and jurisdiction.region_code != address.region_code:
        return False
    prefix = normalize_postal_code(jurisdiction.postal_prefix)
    return not prefix or normalize_postal_code(address.postal_code).startswith(prefix)


def most_specific(jurisdictions: Iterable[TaxJurisdiction], address: Address) -> TaxJurisdiction | None:
    """The jurisdiction whose rates apply at ``address``, or None when none contains it."""
    containing = [j for j in jurisdictions if _contains(j, address)]
    if not containing:
        return None
    return max(
        containing,
        key=lambda j: (len(normalize_postal_code(j.postal_prefix)), j.region_code is not None, j.code),
    )


def applicable_exemption(
    exemptions: Sequence[TaxExemption], jurisdiction: TaxJurisdiction, on: date
) -> TaxExemption | None:
    """A certificate valid on ``on`` whose scope (everywhere, the country or the subdivision) covers the
    jurisdiction; the narrowest scope first, so the certificate named is the one that matters."""
    scopes = {None, jurisdiction.country_code, jurisdiction.region_code}
    valid = [e for e in exemptions if e.scope in scopes and (e.valid_until is None or e.valid_until >= on)]
    if not valid:
        return None
    return max(valid, key=lambda e: (len(e.scope or ""), e.certificate_id))


def jurisdiction_ref(jurisdiction: TaxJurisdiction) -> TaxJurisdictionRef:
    return TaxJurisdictionRef(
        code=jurisdiction.code,
        name=jurisdiction.name,
        country_code=jurisdiction.country_code,
        region_code=jurisdiction.region_code,
        postal_prefix=jurisdiction.postal_prefix,
    )


def _rate(jurisdiction: TaxJurisdiction, tax_code: str) -> Decimal:
    if tax_code == EXEMPT_CODE:
        return _ZERO
    return jurisdiction.rates.get(tax_code, jurisdiction.rates[STANDARD_CODE])


def calculate(
    request: TaxCalculationRequest,
    jurisdiction: TaxJurisdiction,
    exemption: TaxExemption | None,
    tax_date: date,
) -> TaxCalculation:
    """The tax on ``request`` at ``jurisdiction``'s rates (see the module docstring for the rounding)."""
    currency = request.currency

    def money(value: Decimal) -> Decimal:
        return round_to_currency(value, currency)

    lines = []
    for line in request.lines:
        exempt = exemption is not None or line.tax_code == EXEMPT_CODE
        rate = _ZERO if exempt else _rate(jurisdiction, line.tax_code)
        taxable = _ZERO if exempt else line.amount
        lines.append(
            TaxLine(
                line_id=line.line_id,
                sku=line.sku,
                tax_code=line.tax_code,
                quantity=line.quantity,
                amount=money(line.amount),
                taxable_amount=money(taxable),
                jurisdiction=jurisdiction.code,
                rate=rate,
                tax=money(taxable * rate),
                exempt=exempt,
            )
        )
    shipping_taxable = jurisdiction.shipping_taxable and exemption is None
    shipping_rate = jurisdiction.rates[STANDARD_CODE] if shipping_taxable else _ZERO
    shipping_amount = request.shipping or _ZERO
    shipping = TaxShipping(
        amount=money(shipping_amount),
        taxable=shipping_taxable,
        rate=shipping_rate,
        tax=money(shipping_amount * shipping_rate),
    )
    total_amount = sum((line.amount for line in lines), shipping.amount)
    total_taxable = sum((line.taxable_amount for line in lines), shipping.amount if shipping_taxable else money(_ZERO))
    total_tax = sum((line.tax for line in lines), shipping.tax)
    return TaxCalculation(
        currency=currency,
        customer_id=request.customer_id,
        tax_date=tax_date,
        jurisdiction=jurisdiction_ref(jurisdiction),
        exemption=None
        if exemption is None
        else TaxExemptionApplied(
            certificate_id=exemption.certificate_id, scope=exemption.scope, valid_until=exemption.valid_until
        ),
        lines=lines,
        shipping=shipping,
        total_amount=total_amount,
        total_taxable=total_taxable,
        total_tax=total_tax,
    )
