"""JSON Schema of the canonical model, published beside the OpenAPI contracts, so partners and other
languages can validate what we send and receive without reading our code."""

import inspect
from typing import Any

import msgspec

from canonical.address import Address
from canonical.catalog import ProductCatalogItem
from canonical.channel import (
    ChannelDelivery,
    ChannelOrderEvent,
    ChannelRefundEvent,
    ChannelReturnLine,
    ChannelReturnRequestEvent,
    FieldProblem,
    UnmappableChannelOrder,
)
from canonical.customer import Customer
from canonical.events import EventEnvelope
from canonical.fulfillment import Package, ShipmentNotice, ShippedLine
from canonical.inventory import AvailabilityChange, InventoryPosition
from canonical.invoicing import CreditMemo, Invoice, InvoiceLine, PostedShipment
from canonical.money import Money
from canonical.order_acceptance import BookedOrderLine, BookedSalesOrder, OrderRejectReason, SalesOrderDecision
from canonical.orders import OrderLine, SalesOrder
from canonical.returns import (
    RefundBreakdown,
    ReturnAuthorization,
    ReturnException,
    ReturnLine,
    ReturnLineView,
    ReturnParcel,
    ReturnPolicy,
    ReturnRequest,
    ReturnRequestLine,
    ReturnStepView,
    ReturnView,
)
from canonical.tax import (
    TaxableLine,
    TaxCalculation,
    TaxCalculationRequest,
    TaxExemption,
    TaxExemptionApplied,
    TaxJurisdiction,
    TaxJurisdictionRef,
    TaxLine,
    TaxRefund,
    TaxRefundLine,
    TaxRefundLineRequest,
    TaxRefundRequest,
    TaxShipping,
    TaxTransaction,
    TaxTransactionLine,
    TaxTransactionRequest,
)
from canonical.warehouse import (
    FulfillmentLine,
    FulfillmentRequest,
    ReturnReceipt,
    ReturnReceiptLine,
    StockAdjustment,
    StockDeltas,
    StockTransfer,
    TransferLine,
)
from canonical.worklist import (
    ExceptionAssignment,
    ExceptionPage,
    ExceptionResolution,
    ExceptionView,
    OrderLineView,
    OrderTimeline,
    OrderView,
    ShipmentView,
    TimelineEntry,
)

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
    AvailabilityChange,
    ShippedLine,
    Package,
    ShipmentNotice,
    ReturnLine,
    ReturnAuthorization,
    ReturnPolicy,
    ReturnRequestLine,
    ReturnRequest,
    ReturnParcel,
    RefundBreakdown,
    ReturnLineView,
    ReturnStepView,
    ReturnView,
    ReturnException,
    ChannelDelivery,
    ChannelOrderEvent,
    ChannelRefundEvent,
    ChannelReturnLine,
    ChannelReturnRequestEvent,
    FieldProblem,
    UnmappableChannelOrder,
    ExceptionView,
    ExceptionPage,
    ExceptionAssignment,
    ExceptionResolution,
    OrderLineView,
    OrderView,
    ShipmentView,
    TimelineEntry,
    OrderTimeline,
    EventEnvelope,
    OrderRejectReason,
    SalesOrderDecision,
    BookedOrderLine,
    BookedSalesOrder,
    PostedShipment,
    InvoiceLine,
    Invoice,
    CreditMemo,
    StockDeltas,
    StockAdjustment,
    TransferLine,
    StockTransfer,
    FulfillmentLine,
    FulfillmentRequest,
    ReturnReceiptLine,
    ReturnReceipt,
    TaxJurisdiction,
    TaxExemption,
    TaxableLine,
    TaxCalculationRequest,
    TaxTransactionRequest,
    TaxJurisdictionRef,
    TaxExemptionApplied,
    TaxLine,
    TaxShipping,
    TaxCalculation,
    TaxTransactionLine,
    TaxRefundLine,
    TaxRefund,
    TaxTransaction,
    TaxRefundLineRequest,
    TaxRefundRequest,
)
"""Every public Struct of the model; a test fails when one is added to ``canonical`` but not here."""


def canonical_json_schema() -> dict[str, Any]:
    """One JSON Schema document with every canonical Struct under ``$defs``, keys in sorted order."""
    _refs, components = msgspec.json.schema_components(CANONICAL_TYPES, ref_template="#/$defs/{name}")
    for component in components.values():
        # msgspec before 0.20 kept a docstring's indentation, later ones dedent it; publish one form
        if isinstance(description := component.get("description"), str):
            component["description"] = inspect.cleandoc(description)
    return {
        "$schema": SCHEMA_DIALECT,
        "$id": "https://omnigate.dev/schemas/canonical.json",
        "title": "Omnigate canonical data model",
        "description": "The messages every Omnigate service speaks at its boundaries.",
        "$defs": dict(sorted(components.items())),
    }
