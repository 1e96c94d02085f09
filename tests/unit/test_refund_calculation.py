"""Refund arithmetic of the return process, in Decimal: the policy's fees and shipping on top of the tax
engine's reversal, and the split of a refund over the ERP invoices of the shipments that carried the units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from canonical import Money
from canonical.returns import ReturnPolicy
from process_apis.returns.crediting import BilledInvoice, CreditPlanError, plan_credits
from process_apis.returns.refunds import RefundedLine, refund_breakdown, shipping_is_refunded

D = Decimal


def usd(amount: str) -> Money:
    return Money(amount=D(amount), currency="USD")


def test_the_restocking_fee_is_a_share_of_items_returned_for_the_customers_reasons_rounded_half_up() -> None:
    policy = ReturnPolicy(restocking_fee_percent=D("15"))
    lines = [
        RefundedLine("L1", "unwanted", D("20.67"), D("1.83")),  # fee: 15% of 20.67 = 3.1005 -> 3.10
        RefundedLine("L2", "defective", D("19.99"), D("1.77")),  # the merchant's fault: no fee
    ]

    refund = refund_breakdown("USD", policy, lines)

    assert refund.items == usd("40.66")
    assert refund.tax == usd("3.60")
    assert refund.restocking_fee == usd("3.10")
    assert refund.total == usd("41.16")


def test_half_a_cent_of_fee_rounds_up() -> None:
    refund = refund_breakdown(
        "USD", ReturnPolicy(restocking_fee_percent=D("10")), [RefundedLine("L", "color", D("0.25"), D(0))]
    )

    assert refund.restocking_fee == usd("0.03")  # 0.025 -> 0.03
    assert refund.total == usd("0.22")


def test_return_shipping_is_charged_only_when_the_customer_pays_it_and_the_refund_never_goes_negative() -> None:
    policy = ReturnPolicy(return_shipping_paid_by="customer", return_shipping_fee=usd("7.50"))

    unwanted = refund_breakdown("USD", policy, [RefundedLine("L", "unwanted", D("5.00"), D("0.44"))])
    defective = refund_breakdown("USD", policy, [RefundedLine("L", "defective", D("5.00"), D("0.44"))])

    assert unwanted.return_shipping_fee == usd("7.50") and unwanted.total == usd("0.00")
    assert defective.return_shipping_fee == usd("0.00") and defective.total == usd("5.44")


def test_shipping_and_its_tax_are_added_when_the_policy_refunds_shipping() -> None:
    policy = ReturnPolicy(refund_shipping="full_return")

    refund = refund_breakdown(
        "USD", policy, [RefundedLine("L", "unwanted", D("24.00"), D("0"))], shipping=D("5.00"), shipping_tax=D("0.44")
    )

    assert (refund.shipping, refund.tax, refund.total) == (usd("5.00"), usd("0.44"), usd("29.44"))
    assert shipping_is_refunded(policy, returns_everything_shipped=True)
    assert not shipping_is_refunded(policy, returns_everything_shipped=False)
    assert not shipping_is_refunded(ReturnPolicy(refund_shipping="never"), returns_everything_shipped=True)


def test_a_restocking_fee_outside_0_to_100_percent_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        ReturnPolicy(restocking_fee_percent=D("101"))


def billed(invoice_id: str, remaining: str, **units: int) -> BilledInvoice:
    return BilledInvoice(invoice_id=invoice_id, units=units, remaining=D(remaining))


def test_a_refund_is_credited_on_the_invoices_that_billed_the_units_and_adds_up_exactly() -> None:
    invoices = [billed("INV-1", "45.76", TEE=1, CAP=1), billed("INV-2", "48.00", TEE=2)]

    credits = plan_credits(invoices, {"TEE": 2}, {"TEE": D("41.33")}, usd("37.20"))

    assert credits == {"INV-1": usd("18.60"), "INV-2": usd("18.60")}
    assert sum(credit.amount for credit in credits.values()) == D("37.20")


def test_the_split_follows_value_and_the_last_invoice_takes_the_rounding() -> None:
    invoices = [billed("INV-1", "24.00", TEE=1), billed("INV-2", "21.76", CAP=1)]

    credits = plan_credits(invoices, {"TEE": 1, "CAP": 1}, {"TEE": D("24.00"), "CAP": D("21.76")}, usd("41.17"))

    # 41.17 * 24.00 / 45.76 = 21.592... -> 21.59 on the tee's invoice; the cap's takes the other 19.58
    assert credits == {"INV-1": usd("21.59"), "INV-2": usd("19.58")}


def test_units_an_earlier_return_credited_are_skipped_so_the_next_return_credits_the_next_invoice() -> None:
    invoices = [billed("INV-1", "0.00", TEE=1), billed("INV-2", "48.00", TEE=2)]

    assert plan_credits(invoices, {"TEE": 1}, {"TEE": D("24.00")}, usd("21.60")) == {"INV-2": usd("21.60")}


def test_a_share_beyond_what_is_left_on_its_invoice_moves_to_another() -> None:
    invoices = [billed("INV-1", "5.00", TEE=1), billed("INV-2", "48.00", TEE=2)]

    credits = plan_credits(invoices, {"TEE": 1}, {"TEE": D("24.00")}, usd("24.00"))

    assert credits == {"INV-1": usd("5.00"), "INV-2": usd("19.00")}


def test_a_refund_the_invoices_cannot_take_is_refused() -> None:
    with pytest.raises(CreditPlanError, match=r"only 10\.00 USD is left"):
        plan_credits([billed("INV-1", "10.00", TEE=1)], {"TEE": 1}, {"TEE": D("24")}, usd("24.00"))
    with pytest.raises(CreditPlanError, match="none of the returned units has been invoiced"):
        plan_credits([billed("INV-1", "50.00", CAP=1)], {"TEE": 1}, {"TEE": D("24")}, usd("24.00"))
    assert plan_credits([billed("INV-1", "50.00", TEE=1)], {"TEE": 1}, {"TEE": D("0")}, usd("0.00")) == {}
