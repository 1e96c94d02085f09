"""JSON Schema of the canonical model, published beside the OpenAPI contracts, so partners and other
languages can validate what we send and receive without reading our code."""

from typing import Any

import msgspec

from canonical.address import Address
from canonical.catalog import ProductCatalogItem
from canonical.customer import Customer
from canonical.events import EventEnvelope
from canonical.fulfillment import Package, ShipmentNotice, ShippedLine
from canonical.inventory import InventoryPosition
from canonical.money import Money
from canonical.orders import OrderLine, SalesOrder
from canonical.returns import ReturnAuthorization, ReturnLine

__all__ = ["CANONICAL_TYPES", "SCHEMA_DIALECT", "canonical_json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

CANONICAL_TYPES: tuple[type[msgspec.Struct], ...] = (
    Money,
    Address,
    Customer,
    ProductCatalogItem,
    OrderLine,
    SalesOrder,
    InventoryPosition,
    ShippedLine,
    Package,
    ShipmentNotice,
    ReturnLine,
    ReturnAuthorization,
    EventEnvelope,
)
"""Every public Struct of the model; a test fails when one is added to ``canonical`` but not here."""


def canonical_json_schema() -> dict[str, Any]:
    """One JSON Schema document with every canonical Struct under ``$defs``, keys in sorted order."""
    _refs, components = msgspec.json.schema_components(CANONICAL_TYPES, ref_template="#/$defs/{name}")
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://omnigate.dev/schemas/canonical.json",
        "title": "Omnigate canonical data model",
        "description": "The messages every Omnigate service speaks at its boundaries.",
        "$defs": dict(sorted(components.items())),
    }
