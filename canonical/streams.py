"""Event stream names: each producing service publishes to its own stream; consumers subscribe by name
(never by importing the producer's package)."""

__all__ = ["ERP_EVENTS", "WMS_EVENTS"]

ERP_EVENTS = "erp.events"
WMS_EVENTS = "wms.events"
