"""Money: an exact ``Decimal`` amount in an ISO 4217 currency. Never a float.

On the wire the amount is a JSON string ("19.99") so that no client reads it through a binary float.
A JSON number is accepted as well; msgspec reads it exactly from its digits, never through a float.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

import msgspec

__all__ = ["ISO_4217_CODES", "CurrencyCode", "CurrencyMismatchError", "Money", "minor_units"]

CurrencyCode = Annotated[
    str, msgspec.Meta(pattern="^[A-Z]{3}$", description="ISO 4217 alphabetic currency code, e.g. USD")
]

_LIST_ONE = """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
    CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP
    GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD
    SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD USN UYI UYU UYW UZS VED VES VND VUV WST XAD XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD
    XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG
"""
ISO_4217_CODES: frozenset[str] = frozenset(_LIST_ONE.split())
"""ISO 4217 list one as published on 2026-01-01 (currencies, funds and the X codes). Withdrawn codes
(ANG, BGN, CUC, HRK, SLL, ZWL, ...) are absent on purpose: amend this set when ISO amends the list."""

_MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV"], 0
    ),
    **dict.fromkeys(["XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
_NO_MINOR_UNIT = frozenset(["XAG", "XAU", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XTS", "XXX"])


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit per ISO 4217: 0 for JPY, 3 for KWD, 2 for most.

    Raises ``ValueError`` for codes ISO gives no minor unit (metals, SDR, XTS, XXX) and unknown codes,
    so nothing is silently rounded to cents that has no cents.
    """
    if currency not in ISO_4217_CODES:
        raise ValueError(f"unknown ISO 4217 currency {currency!r}")
    if currency in _NO_MINOR_UNIT:
        raise ValueError(f"{currency} has no minor unit in ISO 4217")
    return _MINOR_UNITS.get(currency, 2)


class CurrencyMismatchError(ValueError):
    """Arithmetic across currencies: a conversion is a business decision, never an implicit one."""


class Money(msgspec.Struct, frozen=True):
    """An exact amount in one currency; adding or subtracting another currency is an error."""

    amount: Annotated[Decimal, msgspec.Meta(description='Exact decimal amount, as a string: "19.99"')]
    currency: CurrencyCode

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(self.amount).__name__}: floats are inexact")
        if not self.amount.is_finite():
            raise ValueError("amount must be a finite decimal")
        if self.currency not in ISO_4217_CODES:
            raise ValueError(f"unknown ISO 4217 currency {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> "Money":
        """The start value for a sum: ``sum(amounts, Money.zero("USD"))``."""
        return cls(Decimal(0), currency)

    def quantize(self, *, rounding: str = ROUND_HALF_UP) -> "Money":
        """Round to the currency's minor unit (2.345 USD -> 2.35, 1234.5 JPY -> 1235).

        Half up (away from zero) by default, not banker's rounding, because that is what Shopify does:
        its ``Money`` (Shopify/money) rounds with Ruby's ``BigDecimal#round``, whose default mode is half
        up, so our totals match the storefront's. Pass ``rounding=decimal.ROUND_HALF_EVEN`` where a tax
        engine or ERP is configured for banker's rounding.
        """
        exponent = Decimal(1).scaleb(-minor_units(self.currency))
        return Money(self.amount.quantize(exponent, rounding=rounding), self.currency)

    def _check_currency(self, other: "Money") -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        if not isinstance(other, Money):
            return NotImplemented
        self._check_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __mul__(self, quantity: int) -> "Money":
        """Unit price times a quantity. Only whole quantities: a rate needs an explicit rounding."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return NotImplemented
        return Money(self.amount * quantity, self.currency)

    __rmul__ = __mul__
