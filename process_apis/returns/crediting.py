"""Which ERP invoices a refund is credited against, and how much on each.

An ERP credit memo credits one invoice, and invoices are per shipment. A returned line's units are matched to
the invoices that billed the line, earliest first, skipping units earlier returns already credited (an invoice
with nothing left to credit). The refund is split over those invoices in proportion to the value of the units
each billed, half up to the minor unit, the last taking what rounding left; a share beyond what is left to
credit on its invoice moves to the others. The plan is made once, before any memo is posted, and kept with the
return, so a step re-run after a crash posts exactly the same memos under the same keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from canonical import Money
from canonical.money import minor_units

__all__ = ["BilledInvoice", "CreditPlanError", "plan_credits"]


@dataclass(frozen=True)
class BilledInvoice:
    """An invoice of the order as the ERP holds it: the units it billed per line, and what is left to credit."""

    invoice_id: str
    units: dict[str, int]
    remaining: Decimal


class CreditPlanError(Exception):
    """The invoices cannot take the refund (credited before, or not invoiced yet)."""


def plan_credits(
    invoices: Sequence[BilledInvoice], units: dict[str, int], line_values: dict[str, Decimal], total: Money
) -> dict[str, Money]:
    """Invoice id → credit, adding up to ``total``; ``invoices`` in the order they were posted."""
    if total.amount <= 0:
        return {}
    credited_before = sum((invoice.remaining for invoice in invoices), Decimal(0))
    if credited_before < total.amount:
        raise CreditPlanError(f"only {credited_before} {total.currency} is left to credit on the order's invoices")
    weights, billed = _weights(invoices, units, line_values)
    if not billed:
        raise CreditPlanError("none of the returned units has been invoiced")
    step = Decimal(1).scaleb(-minor_units(total.currency))
    whole = sum(weights.values())
    if whole <= 0:  # nothing returned had a value (free items): split by units
        weights = {invoice_id: Decimal(count) for invoice_id, count in billed.items()}
        whole = sum(weights.values())
    order = [invoice.invoice_id for invoice in invoices if invoice.invoice_id in billed]
    shares: dict[str, Decimal] = {}
    left = total.amount
    for invoice_id in order[:-1]:
        shares[invoice_id] = (total.amount * weights[invoice_id] / whole).quantize(step, rounding=ROUND_HALF_UP)
        left -= shares[invoice_id]
    shares[order[-1]] = left
    return {
        invoice_id: Money(amount=amount, currency=total.currency)
        for invoice_id, amount in _capped(shares, invoices).items()
        if amount > 0
    }


def _weights(
    invoices: Sequence[BilledInvoice], units: dict[str, int], line_values: dict[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, int]]:
    weights: dict[str, Decimal] = {}
    billed: dict[str, int] = {}
    left = dict(units)
    for invoice in invoices:
        if invoice.remaining <= 0:
            continue
        for line_id, count in invoice.units.items():
            take = min(left.get(line_id, 0), count)
            if take:
                value = line_values.get(line_id, Decimal(0)) * take / units[line_id]
                weights[invoice.invoice_id] = weights.get(invoice.invoice_id, Decimal(0)) + value
                billed[invoice.invoice_id] = billed.get(invoice.invoice_id, 0) + take
                left[line_id] -= take
    return weights, billed


def _capped(shares: dict[str, Decimal], invoices: Sequence[BilledInvoice]) -> dict[str, Decimal]:
    """No share beyond its invoice's remaining credit: the excess goes to the order's other invoices in turn."""
    remaining = {invoice.invoice_id: invoice.remaining for invoice in invoices}
    capped = {invoice_id: min(share, remaining[invoice_id]) for invoice_id, share in shares.items()}
    excess = sum(shares.values()) - sum(capped.values())
    for invoice in invoices:
        if excess <= 0:
            break
        room = remaining[invoice.invoice_id] - capped.get(invoice.invoice_id, Decimal(0))
        if room > 0:
            moved = min(room, excess)
            capped[invoice.invoice_id] = capped.get(invoice.invoice_id, Decimal(0)) + moved
            excess -= moved
    return capped
