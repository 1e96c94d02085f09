"""The item master's view of a product, as every channel sells it."""

from typing import Annotated

import msgspec

from canonical.money import Money
from canonical.tenancy import TenantId
from canonical.timestamps import Timestamp

__all__ = ["SKU_PATTERN", "ProductCatalogItem", "Sku"]

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
"""No spaces and at most 64 characters, so a SKU is safe in paths, keys and every vendor's SKU field."""

Sku = Annotated[str, msgspec.Meta(pattern=SKU_PATTERN, description="Stock keeping unit")]


class ProductCatalogItem(msgspec.Struct, kw_only=True):
    """One sellable SKU of one tenant, with its list price; the ERP is the system of record."""

    tenant: TenantId
    sku: Sku
    title: str
    price: Money
    updated_at: Timestamp
    product_type: str | None = None
    tax_code: str | None = None
    barcode: str | None = None
    active: bool = True
    """Inactive items are kept for history but sell nowhere."""
    returnable: bool = True

    def __post_init__(self) -> None:
        if self.price.amount < 0:
            raise ValueError(f"price of {self.sku} is negative")
