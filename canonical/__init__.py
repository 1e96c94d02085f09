"""The canonical data model: what every service speaks at its boundaries, vendor formats aside."""

from canonical.address import Address, CountryCode, RegionCode
from canonical.catalog import SKU_PATTERN, ProductCatalogItem, Sku
from canonical.customer import Customer, CustomerStatus, Email
from canonical.events import (
    CATALOG_ITEM_UPSERTED,
    INVENTORY_POSITION_CHANGED,
    EventEnvelope,
    EventType,
    TraceId,
    decode_envelope,
    encode_envelope,
)
from canonical.fulfillment import Package, ShipmentNotice, ShippedLine
from canonical.inventory import InventoryPosition, Units, compute_available_to_sell
from canonical.money import ISO_4217_CODES, CurrencyCode, CurrencyMismatchError, Money, minor_units
from canonical.orders import FinancialStatus, OrderLine, SalesOrder
from canonical.returns import ReturnAuthorization, ReturnCondition, ReturnLine, ReturnReason, ReturnStatus
from canonical.schema import CANONICAL_TYPES, canonical_json_schema
from canonical.tenancy import TENANT_PATTERN, TenantId
from canonical.timestamps import Timestamp

__all__ = [
    "CANONICAL_TYPES",
    "CATALOG_ITEM_UPSERTED",
    "INVENTORY_POSITION_CHANGED",
    "ISO_4217_CODES",
    "SKU_PATTERN",
    "TENANT_PATTERN",
    "Address",
    "CountryCode",
    "CurrencyCode",
    "CurrencyMismatchError",
    "Customer",
    "CustomerStatus",
    "Email",
    "EventEnvelope",
    "EventType",
    "FinancialStatus",
    "InventoryPosition",
    "Money",
    "OrderLine",
    "Package",
    "ProductCatalogItem",
    "RegionCode",
    "ReturnAuthorization",
    "ReturnCondition",
    "ReturnLine",
    "ReturnReason",
    "ReturnStatus",
    "SalesOrder",
    "ShipmentNotice",
    "ShippedLine",
    "Sku",
    "TenantId",
    "Timestamp",
    "TraceId",
    "Units",
    "canonical_json_schema",
    "compute_available_to_sell",
    "decode_envelope",
    "encode_envelope",
    "minor_units",
]
