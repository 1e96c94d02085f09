"""Legal entities and price lists: the ERP's own resources (no canonical equivalent)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from canonical import CountryCode, CurrencyCode, Money, Sku

__all__ = ["LegalEntity", "LegalEntityList", "LegalEntityWrite", "PriceList", "PriceListWrite", "SkuPrice"]

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
CustomerId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


class LegalEntityWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A company of the tenant (NetSuite: a subsidiary) that books, ships and invoices in one currency."""

    name: Name
    currency: CurrencyCode
    country_code: CountryCode
    is_default: bool = False
    """Books the orders that name no legal entity; one per tenant (setting it clears the others)."""
    guest_customer_id: CustomerId | None = None
    """The customer account orders without a customer (guest checkouts) are booked to."""


class LegalEntity(msgspec.Struct, kw_only=True):
    code: str
    tenant: str
    name: str
    currency: str
    country_code: str
    is_default: bool
    guest_customer_id: str | None
    updated_at: datetime


class LegalEntityList(msgspec.Struct, kw_only=True):
    legal_entities: list[LegalEntity]


class SkuPrice(msgspec.Struct, frozen=True, kw_only=True):
    sku: Sku
    unit_price: Money


class PriceListWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The whole price list (``PUT`` replaces it): one unit price per SKU, all in the list's currency."""

    name: Name
    currency: CurrencyCode
    prices: Annotated[list[SkuPrice], msgspec.Meta(max_length=10_000)] = msgspec.field(default_factory=list)


class PriceList(msgspec.Struct, kw_only=True):
    code: str
    tenant: str
    name: str
    currency: str
    prices: list[SkuPrice]
    updated_at: datetime
