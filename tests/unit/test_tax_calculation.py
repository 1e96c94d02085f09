"""The tax arithmetic: half-up rounding per line to the currency's minor unit, jurisdiction precedence,
shipping taxability and exemptions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from canonical import Address, TaxableLine, TaxCalculationRequest, TaxExemption, TaxJurisdiction
from system_apis.tax.calculation import applicable_exemption, calculate, most_specific, round_to_currency

ON = date(2026, 11, 23)


def jurisdiction(
    code: str,
    country: str,
    region: str | None = None,
    prefix: str | None = None,
    *,
    rates: dict[str, str] | None = None,
    shipping_taxable: bool = True,
) -> TaxJurisdiction:
    return TaxJurisdiction(
        code=code,
        name=code,
        country_code=country,
        region_code=region,
        postal_prefix=prefix,
        rates={k: Decimal(v) for k, v in (rates or {"standard": "0.1"}).items()},
        shipping_taxable=shipping_taxable,
    )


def address(country: str = "US", region: str | None = "US-NY", postal: str | None = "10004") -> Address:
    return Address(line1="1 Main St", city="Town", country_code=country, region_code=region, postal_code=postal)


def request(
    currency: str, amounts: list[str], *, shipping: str = "0", codes: list[str] | None = None
) -> TaxCalculationRequest:
    return TaxCalculationRequest(
        ship_to=address(),
        currency=currency,
        lines=[
            TaxableLine(
                line_id=str(i),
                sku=f"SKU-{i}",
                quantity=1,
                amount=Decimal(a),
                tax_code=(codes or [])[i] if codes else "standard",
            )
            for i, a in enumerate(amounts)
        ],
        shipping=Decimal(shipping),
    )


@pytest.mark.parametrize(
    ("value", "currency", "rounded"),
    [
        ("0.005", "USD", "0.01"),
        ("0.0049", "USD", "0.00"),
        ("2.345", "EUR", "2.35"),
        ("1234.5", "JPY", "1235"),
        ("1234.49", "JPY", "1234"),
        ("1.0005", "KWD", "1.001"),
    ],
)
def test_tax_rounds_half_up_to_the_minor_unit(value: str, currency: str, rounded: str) -> None:
    assert str(round_to_currency(Decimal(value), currency)) == rounded


def test_each_line_is_rounded_on_its_own_and_totals_sum_the_rounded_lines() -> None:
    # 0.05 * 10% = 0.005 per line: each rounds up to 0.01, so three lines are 0.03 (a per-document
    # rounding of 0.015 would give 0.02).
    levied = calculate(request("USD", ["0.05", "0.05", "0.05"]), jurisdiction("US-NY", "US", "US-NY"), None, ON)

    assert [line.tax for line in levied.lines] == [Decimal("0.01")] * 3
    assert levied.total_tax == Decimal("0.03")
    assert levied.total_amount == Decimal("0.15")


def test_jpy_has_no_decimals() -> None:
    japan = jurisdiction("JP", "JP", rates={"standard": "0.10", "food": "0.08"})
    levied = calculate(
        request("JPY", ["1995", "1005", "3"], shipping="555", codes=["standard", "food", "standard"]), japan, None, ON
    )

    assert [str(line.tax) for line in levied.lines] == ["200", "80", "0"]  # 199.5 -> 200, 80.4 -> 80, 0.3 -> 0
    assert str(levied.shipping.tax) == "56"  # 55.5 -> 56
    assert str(levied.total_tax) == "336"


def test_gbp_vat_and_codes_a_jurisdiction_does_not_list_use_standard() -> None:
    britain = jurisdiction("GB", "GB", rates={"standard": "0.20", "food": "0"})
    levied = calculate(request("GBP", ["10.03", "4.99"], codes=["toys", "food"]), britain, None, ON)

    assert [(line.rate, line.tax) for line in levied.lines] == [
        (Decimal("0.20"), Decimal("2.01")),  # 2.006 -> 2.01
        (Decimal("0"), Decimal("0.00")),
    ]


def test_exempt_tax_code_is_never_taxed() -> None:
    levied = calculate(request("USD", ["10.00"], codes=["exempt"]), jurisdiction("X", "US"), None, ON)

    assert levied.lines[0].exempt
    assert levied.lines[0].taxable_amount == levied.lines[0].tax == 0


@pytest.mark.parametrize("taxable", [True, False])
def test_shipping_is_taxed_at_the_standard_rate_only_where_taxable(taxable: bool) -> None:
    place = jurisdiction(
        "US-X", "US", "US-NY", rates={"standard": "0.08875", "clothing": "0"}, shipping_taxable=taxable
    )
    levied = calculate(request("USD", ["10.00"], shipping="5.00", codes=["clothing"]), place, None, ON)

    assert levied.shipping.taxable is taxable
    assert levied.shipping.tax == (Decimal("0.44") if taxable else 0)
    assert levied.total_taxable == (Decimal("15.00") if taxable else Decimal("10.00"))


JURISDICTIONS = [
    jurisdiction("US", "US"),
    jurisdiction("US-NY", "US", "US-NY"),
    jurisdiction("US-NY-NYC", "US", "US-NY", "100"),
    jurisdiction("US-NY-MANHATTAN", "US", "US-NY", "1000"),
    jurisdiction("GB-LONDON", "GB", None, "SW1"),
]


@pytest.mark.parametrize(
    ("where", "code"),
    [
        (address(postal="10004"), "US-NY-MANHATTAN"),  # the longest prefix wins
        (address(postal="10017-1234"), "US-NY-NYC"),
        (address(postal="12207"), "US-NY"),  # Albany: the state
        (address(region="US-TX", postal="10004"), "US"),  # a NY prefix does not apply in Texas
        (address(country="GB", region=None, postal="sw1a 1aa"), "GB-LONDON"),
        (address(country="GB", region=None, postal="M1 1AE"), None),
        (address(country="CA", region="CA-ON", postal="M5V"), None),
    ],
)
def test_the_most_specific_jurisdiction_wins(where: Address, code: str | None) -> None:
    found = most_specific(JURISDICTIONS, where)

    assert (found.code if found else None) == code


def certificate(cid: str, scope: str | None, until: date | None = None) -> TaxExemption:
    return TaxExemption(certificate_id=cid, customer_id="C", scope=scope, valid_until=until)


def test_an_exemption_applies_in_its_scope_until_it_expires() -> None:
    nyc = jurisdiction("US-NY-NYC", "US", "US-NY", "100")

    assert applicable_exemption([certificate("A", "US-CA")], nyc, ON) is None
    assert applicable_exemption([certificate("A", "US-NY", date(2026, 11, 22))], nyc, ON) is None
    assert applicable_exemption([certificate("A", "US-NY", ON)], nyc, ON) is not None
    chosen = applicable_exemption(
        [certificate("ALL", None), certificate("NY", "US-NY"), certificate("US", "US")], nyc, ON
    )
    assert chosen is not None and chosen.certificate_id == "NY"


def test_an_exempt_customer_pays_no_tax_on_lines_or_shipping() -> None:
    levied = calculate(
        request("USD", ["100.00"], shipping="10.00"),
        jurisdiction("US-NY", "US", "US-NY"),
        certificate("NY", "US-NY"),
        ON,
    )

    assert levied.total_tax == 0
    assert levied.lines[0].exempt and not levied.shipping.taxable
    assert levied.exemption is not None and levied.exemption.certificate_id == "NY"
