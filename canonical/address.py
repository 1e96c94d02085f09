"""Postal addresses, with ISO country and subdivision codes so routing and tax can rely on them."""

from typing import Annotated

import msgspec

__all__ = ["Address", "CountryCode", "RegionCode"]

CountryCode = Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. US")]
RegionCode = Annotated[
    str, msgspec.Meta(pattern="^[A-Z]{2}-[A-Z0-9]{1,3}$", description="ISO 3166-2 subdivision, e.g. US-NY")
]


class Address(msgspec.Struct, frozen=True, kw_only=True):
    """A postal address. Codes, not names, for country and region: tax and carriers key on codes."""

    line1: str
    city: str
    country_code: CountryCode
    line2: str | None = None
    region_code: RegionCode | None = None
    postal_code: str | None = None
    name: str | None = None
    company: str | None = None
    phone: str | None = None
