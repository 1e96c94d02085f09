"""The item master's view of a product, as every channel sells it."""

from datetime import datetime
from typing import Annotated

import msgspec

from canonical.money import Money
from canonical.tenancy import TenantId

__all__ = ["SKU_PATTERN", "ProductCatalogItem", "Sku"]

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
Sku = Annotated[str, msgspec.Meta(pattern=SKU_PATTERN, description="Stock keeping unit")]


class ProductCatalogItem(msgspec.Struct, kw_only=True):
    tenant: TenantId
    sku: Sku
    title: str
    price: Money
    updated_at: datetime
    product_type: str | None = None
    tax_code: str | None = None
    barcode: str | None = None
    active: bool = True
    """Inactive items are kept for history but sell nowhere."""
    returnable: bool = True
