"""The canonical data model: what every service speaks at its boundaries, vendor formats aside."""

from canonical.address import Address
from canonical.catalog import ProductCatalogItem, Sku
from canonical.customer import Customer
from canonical.events import EventEnvelope
from canonical.fulfillment import Package, ShipmentNotice, ShippedLine
from canonical.inventory import InventoryPosition, compute_available_to_sell
from canonical.money import CurrencyMismatchError, Money
from canonical.orders import OrderLine, SalesOrder
from canonical.returns import ReturnAuthorization, ReturnLine
from canonical.tenancy import TenantId

__all__ = [
    "Address",
    "CurrencyMismatchError",
    "Customer",
    "EventEnvelope",
    "InventoryPosition",
    "Money",
    "OrderLine",
    "Package",
    "ProductCatalogItem",
    "ReturnAuthorization",
    "ReturnLine",
    "SalesOrder",
    "ShipmentNotice",
    "ShippedLine",
    "Sku",
    "TenantId",
    "compute_available_to_sell",
]
