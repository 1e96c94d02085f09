"""Builds the WMS system API."""

from __future__ import annotations

from litestar import Litestar

from service_kit.app import ApiVersion, ServiceDefinition, ServiceRuntime, create_service_app
from system_apis.wms.controllers import (
    AdjustmentController,
    CycleCountController,
    InventoryPositionController,
    LocationController,
    TransferController,
)
from system_apis.wms.fulfillment_controllers import (
    FulfillmentRequestController,
    PartnerWebhookController,
    ReturnReceiptController,
)
from system_apis.wms.models import WmsBase, WmsOutbox

__all__ = ["SERVICE", "create_app"]


def create_app(runtime: ServiceRuntime) -> Litestar:
    return create_service_app(
        name="wms",
        runtime=runtime,
        route_handlers=[
            LocationController,
            InventoryPositionController,
            AdjustmentController,
            CycleCountController,
            TransferController,
            FulfillmentRequestController,
            ReturnReceiptController,
            PartnerWebhookController,
        ],
        title="Omnigate WMS system API",
        description=(
            "Locations and inventory positions by state across warehouses, stores and 3PL nodes; the stock "
            "ledger (adjustments with reasons, cycle counts), transfers, fulfillment requests with shipment "
            "confirmations, and return receipts."
        ),
        outbox=WmsOutbox,
    )


SERVICE = ServiceDefinition(
    name="wms",
    layer="system",
    create_app=create_app,
    apis=(ApiVersion("wms", 1),),
    metadata=WmsBase.metadata,
    default_port=8102,
)
