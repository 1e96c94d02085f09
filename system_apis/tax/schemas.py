"""Tax admin request bodies and list pages; the tax documents themselves are canonical structs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from canonical import TaxExemption, TaxJurisdiction, TaxTransaction
from canonical.address import CountryCode, RegionCode
from canonical.tax import ExemptionScope, TaxCode

__all__ = ["ExemptionList", "ExemptionWrite", "JurisdictionList", "JurisdictionWrite", "TransactionList"]

RateText = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$",
        description='Rate as a decimal fraction between 0 and 1 with at most 6 places: "0.08875"',
    ),
]


class JurisdictionWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The full jurisdiction (``PUT`` replaces). ``rates`` must hold ``standard``."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    country_code: CountryCode
    rates: Annotated[dict[TaxCode, RateText], msgspec.Meta(min_length=1, max_length=100)]
    region_code: RegionCode | None = None
    postal_prefix: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]{0,15}$")] | None = None
    shipping_taxable: bool = False


class JurisdictionList(msgspec.Struct, kw_only=True):
    jurisdictions: list[TaxJurisdiction]


class ExemptionWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    customer_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    scope: ExemptionScope | None = None
    """A country (``US``) or subdivision (``US-NY``); absent for everywhere."""
    valid_until: date | None = None


class ExemptionList(msgspec.Struct, kw_only=True):
    exemptions: list[TaxExemption]


class TransactionList(msgspec.Struct, kw_only=True):
    transactions: list[TaxTransaction]
