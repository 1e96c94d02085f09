"""Customers as the ERP knows them: status and credit decide whether an order may be accepted."""

from typing import Annotated, Literal

import msgspec

from canonical.address import Address
from canonical.money import Money
from canonical.tenancy import TenantId

__all__ = ["Customer", "CustomerStatus", "Email"]

CustomerStatus = Literal["active", "credit_hold", "blocked"]
Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+$", description="E-mail address")]


class Customer(msgspec.Struct, kw_only=True):
    """A customer of one tenant. ``credit_hold`` and ``blocked`` stop new orders at acceptance."""

    customer_id: str
    tenant: TenantId
    email: Email | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: CustomerStatus = "active"
    credit_limit: Money | None = None
    tax_exempt: bool = False
    default_address: Address | None = None
    price_list: str | None = None
    """The ERP price list that prices this customer's orders; None means the items' list prices."""
