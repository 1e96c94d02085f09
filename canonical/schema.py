"""JSON Schema of the canonical model, published beside the OpenAPI contracts."""

from typing import Any

import msgspec

from canonical.address import Address
from canonical.catalog import ProductCatalogItem
from canonical.customer import Customer
from canonical.events import EventEnvelope
from canonical.fulfillment import ShipmentNotice
from canonical.inventory import InventoryPosition
from canonical.money import Money
from canonical.orders import SalesOrder
from canonical.returns import ReturnAuthorization

__all__ = ["CANONICAL_TYPES", "canonical_json_schema"]

CANONICAL_TYPES: tuple[type[msgspec.Struct], ...] = (
    Money,
    Address,
    Customer,
    ProductCatalogItem,
    SalesOrder,
    InventoryPosition,
    ShipmentNotice,
    ReturnAuthorization,
    EventEnvelope,
)


def canonical_json_schema() -> dict[str, Any]:
    _refs, components = msgspec.json.schema_components(CANONICAL_TYPES, ref_template="#/$defs/{name}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://omnigate.dev/schemas/canonical.json",
        "title": "Omnigate canonical data model",
        "$defs": components,
    }
