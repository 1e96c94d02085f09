"""Money: exact on the wire, one currency at a time, rounded the way the storefront rounds."""

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal

import msgspec
import pytest

from canonical.money import ISO_4217_CODES, CurrencyMismatchError, Money, minor_units


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


@pytest.mark.parametrize("amount", ["19.99", "24.50", "0.10", "-3.00", "1234567890.123456789"])
def test_json_round_trip_keeps_the_decimal_exact_as_a_string(amount: str) -> None:
    body = b'{"amount":"' + amount.encode() + b'","currency":"USD"}'

    money = msgspec.json.decode(body, type=Money)

    assert money.amount == Decimal(amount)
    assert msgspec.json.encode(money) == body


def test_a_json_number_is_read_from_its_digits_not_through_a_float() -> None:
    money = msgspec.json.decode(b'{"amount": 0.1, "currency": "USD"}', type=Money)

    assert money.amount == Decimal("0.1")


@pytest.mark.parametrize(
    "body",
    [
        b'{"amount": "1.00", "currency": "usd"}',
        b'{"amount": "1.00", "currency": "XYZ"}',
        b'{"amount": "1.00", "currency": "ANG"}',
        b'{"amount": "1.00", "currency": "USDT"}',
        b'{"amount": "NaN", "currency": "USD"}',
        b'{"amount": "Infinity", "currency": "USD"}',
        b'{"amount": "ten", "currency": "USD"}',
        b'{"amount": "1.00"}',
    ],
)
def test_decoding_rejects_unknown_currencies_and_non_finite_amounts(body: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(body, type=Money)


def test_constructing_from_a_float_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        Money(19.99, "USD")  # type: ignore[arg-type]


def test_constructing_checks_the_currency_too() -> None:
    with pytest.raises(ValueError, match="XYZ"):
        Money(Decimal(1), "XYZ")


def test_addition_is_exact_where_a_float_would_not_be() -> None:
    assert usd("0.10") + usd("0.20") == usd("0.30")
    assert usd("5.00") - usd("7.25") == usd("-2.25")
    assert -usd("1.50") == usd("-1.50")
    assert sum([usd("1.10"), usd("2.20"), usd("3.30")], Money.zero("USD")) == usd("6.60")


@pytest.mark.parametrize("operation", [lambda a, b: a + b, lambda a, b: a - b])
def test_arithmetic_across_currencies_is_an_error(operation: Callable[[Money, Money], Money]) -> None:
    with pytest.raises(CurrencyMismatchError, match="USD with EUR"):
        operation(usd("1.00"), Money(Decimal("1.00"), "EUR"))


def test_currency_mismatch_is_a_value_error_so_decoding_reports_it_as_invalid_input() -> None:
    assert issubclass(CurrencyMismatchError, ValueError)


def test_adding_a_bare_number_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        usd("1.00") + Decimal(1)  # type: ignore[operator]


def test_multiplies_by_whole_quantities_only() -> None:
    assert usd("2.50") * 3 == usd("7.50")
    assert 3 * usd("2.50") == usd("7.50")
    with pytest.raises(TypeError):
        usd("2.50") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("2.50") * True


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.345", "USD", "2.35"),
        ("2.355", "USD", "2.36"),
        ("2.344", "USD", "2.34"),
        ("-2.345", "USD", "-2.35"),
        ("5", "USD", "5.00"),
        ("1234.5", "JPY", "1235"),
        ("1.2345", "KWD", "1.235"),
        ("0.00005", "CLF", "0.0001"),
    ],
)
def test_quantize_rounds_half_up_to_the_minor_unit(amount: str, currency: str, expected: str) -> None:
    rounded = Money(Decimal(amount), currency).quantize()

    assert str(rounded.amount) == expected
    assert rounded.currency == currency


def test_quantize_can_round_half_to_even_when_a_system_asks_for_it() -> None:
    assert str(usd("2.345").quantize(rounding=ROUND_HALF_EVEN).amount) == "2.34"
    assert str(usd("2.355").quantize(rounding=ROUND_HALF_EVEN).amount) == "2.36"


def test_quantize_refuses_codes_without_a_minor_unit() -> None:
    with pytest.raises(ValueError, match="no minor unit"):
        Money(Decimal("1.5"), "XAU").quantize()


@pytest.mark.parametrize(("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("KWD", 3), ("CLF", 4)])
def test_minor_units_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


def test_every_code_has_a_minor_unit_or_is_declared_without_one() -> None:
    for code in ISO_4217_CODES:
        try:
            assert minor_units(code) in {0, 2, 3, 4}
        except ValueError:
            assert code.startswith("X")


def test_the_code_list_is_the_current_one() -> None:
    assert {"USD", "EUR", "GBP", "JPY", "XCG", "ZWG", "SLE", "VES", "VED"} <= ISO_4217_CODES
    assert not {"ANG", "BGN", "HRK", "SLL", "ZWL", "CUC"} & ISO_4217_CODES
    assert all(len(code) == 3 and code.isupper() for code in ISO_4217_CODES)


def test_money_is_a_hashable_value() -> None:
    assert usd("7.5") == usd("7.50")
    assert len({usd("7.5"), usd("7.50")}) == 1
    with pytest.raises(AttributeError):
        usd("1.00").amount = Decimal(2)  # type: ignore[misc]
