"""What a return pays back, in Decimal, from the tax engine's reversal and the tenant's policy.

The tax engine decides the item amount and tax of the returned units: it holds each line's amount after its
share of line and order discounts as committed, reverses units in proportion (half up to the minor unit) and
reverses exactly what is left with a line's last unit, so several partial returns never drift by a cent.
On top of that the policy adds shipping (refunded never, once everything shipped has come back, or always),
and takes a restocking fee (a percentage of the items returned for a reason that is not the merchant's fault)
and the return shipping the customer pays. The total is never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from canonical import Money
from canonical.returns import RefundBreakdown, ReturnPolicy, ReturnReason

__all__ = ["RefundedLine", "refund_breakdown", "shipping_is_refunded"]

_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class RefundedLine:
    """One returned line as the tax engine reversed it."""

    line_id: str
    reason: ReturnReason
    amount: Decimal
    """Item amount of the returned units, after discounts, before tax."""
    tax: Decimal


def shipping_is_refunded(policy: ReturnPolicy, *, returns_everything_shipped: bool) -> bool:
    if policy.refund_shipping == "always":
        return True
    return policy.refund_shipping == "full_return" and returns_everything_shipped


def refund_breakdown(
    currency: str,
    policy: ReturnPolicy,
    lines: Sequence[RefundedLine],
    *,
    shipping: Decimal = Decimal(0),
    shipping_tax: Decimal = Decimal(0),
) -> RefundBreakdown:
    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=currency).quantize()

    items = sum((line.amount for line in lines), Decimal(0))
    tax = sum((line.tax for line in lines), Decimal(0)) + shipping_tax
    chargeable = [line for line in lines if line.reason not in policy.fee_free_reasons]
    fee = money(sum((line.amount for line in chargeable), Decimal(0)) * policy.restocking_fee_percent / _HUNDRED)
    return_shipping = money(Decimal(0))
    charged = policy.return_shipping_fee if policy.return_shipping_paid_by == "customer" else None
    if chargeable and charged is not None and charged.currency == currency:
        return_shipping = charged.quantize()
    gross = money(items) + money(tax) + money(shipping)
    total = gross - fee - return_shipping
    if total.amount < 0:
        total = money(Decimal(0))
    return RefundBreakdown(
        items=money(items),
        tax=money(tax),
        shipping=money(shipping),
        restocking_fee=fee,
        return_shipping_fee=return_shipping,
        total=total,
    )
