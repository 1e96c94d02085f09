"""ERP request and page bodies; resources themselves are canonical structs."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from canonical import Customer, Money, ProductCatalogItem

__all__ = ["CustomerPage", "CustomerWrite", "ItemPage", "ItemWrite"]

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class ItemWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The full item as the ERP should hold it (``PUT`` replaces)."""

    title: Text
    price: Money
    product_type: Code | None = None
    tax_code: Code | None = None
    barcode: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    active: bool = True
    returnable: bool = True


class ItemPage(msgspec.Struct, kw_only=True):
    items: list[ProductCatalogItem]
    next_cursor: str | None
    """Pass as ``cursor`` for the next page; ``null`` on the last page."""


class CustomerWrite(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None
    first_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    last_name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    status: Literal["active", "credit_hold", "blocked"] = "active"
    credit_limit: Money | None = None
    tax_exempt: bool = False
    price_list: Code | None = None
    """The price list that prices this customer's orders (it must exist)."""


class CustomerPage(msgspec.Struct, kw_only=True):
    customers: list[Customer]
    next_cursor: str | None
