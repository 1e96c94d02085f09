"""Event stream names: each producing service publishes to its own stream; consumers subscribe by name
(never by importing the producer's package)."""

__all__ = ["ERP_EVENTS", "INVENTORY_EVENTS", "RETURNS_EVENTS", "SHOPIFY_INTAKE_EVENTS", "TAX_EVENTS", "WMS_EVENTS"]

ERP_EVENTS = "erp.events"
WMS_EVENTS = "wms.events"
SHOPIFY_INTAKE_EVENTS = "shopify_intake.events"
INVENTORY_EVENTS = "inventory.events"
TAX_EVENTS = "tax.events"
RETURNS_EVENTS = "returns.events"
