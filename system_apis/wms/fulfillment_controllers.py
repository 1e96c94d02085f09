"""WMS HTTP routes for outbound and inbound work: ``/wms/v1/fulfillment-requests`` (warehouse releases, picks,
cancellations, shipments), ``/wms/v1/return-receipts``, and ``/webhooks/3pl/{partner}`` (signed 3PL shipment
confirmations the gateway forwards unchanged)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Controller, Request, Response, get, post
from litestar.params import Body, FromQuery, JSONBody, PathParameter, QueryParameter

from canonical import FulfillmentRequest, ReturnReceipt, ShipmentNotice
from canonical.warehouse import FulfillmentStatus
from service_kit.dependencies import DbSession, Tenant
from service_kit.idempotency import IdempotencyKeyHeader, RequiredIdempotencyKeyHeader, run_once
from service_kit.problems import problem_responses
from system_apis.wms.controllers import Limit, LocationQuery, created
from system_apis.wms.fulfillment import FulfillmentService
from system_apis.wms.models import WmsIdempotencyKey
from system_apis.wms.partners import PartnerWebhookIntake
from system_apis.wms.returns import ReturnReceiptService
from system_apis.wms.schemas import (
    PARTNER_PATTERN,
    CancelRequest,
    FulfillmentRequestCreate,
    ReturnReceiptCreate,
    WebhookReceipt,
)

__all__ = ["FulfillmentRequestController", "PartnerWebhookController", "ReturnReceiptController"]

RequestId = Annotated[str, PathParameter(max_length=64, description="Fulfillment request id, e.g. FR-1A2B3C4D5E6F")]
OrderQuery = Annotated[str | None, QueryParameter(min_length=1, max_length=64)]


class FulfillmentRequestController(Controller):
    path = "/wms/v1/fulfillment-requests"
    tags = ["fulfillment"]

    @post(
        "/",
        status_code=201,
        responses={
            201: created(FulfillmentRequest, "Released: its units are committed"),
            **problem_responses(400, 409, 422),
        },
    )
    async def release(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        idempotency_key: RequiredIdempotencyKeyHeader,
        data: JSONBody[FulfillmentRequestCreate],
    ) -> Response[Any]:
        """Release order lines to a location (status ``released``); 409 ``insufficient_stock`` if the location
        has fewer pickable units (on hand less committed, reserved, damaged and quality control)."""

        async def release() -> FulfillmentRequest:
            return await FulfillmentService(db_session).release(tenant, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=release)

    @get("/", responses=problem_responses(400))
    async def list_requests(
        self,
        db_session: DbSession,
        tenant: Tenant,
        order_id: OrderQuery = None,
        status: FromQuery[FulfillmentStatus | None] = None,
        location_id: LocationQuery = None,
        limit: Limit = 100,
    ) -> list[FulfillmentRequest]:
        return await FulfillmentService(db_session).find(
            tenant, order_id=order_id, status=status, location=location_id, limit=limit
        )

    @get("/{request_id:str}", responses=problem_responses(400, 404))
    async def get_request(self, db_session: DbSession, tenant: Tenant, request_id: RequestId) -> FulfillmentRequest:
        return await FulfillmentService(db_session).get(tenant, request_id)

    @post("/{request_id:str}/pick", status_code=200, responses=problem_responses(400, 404, 409))
    async def pick(self, db_session: DbSession, tenant: Tenant, request_id: RequestId) -> FulfillmentRequest:
        """Picked: from now on it cannot be cancelled. Picking again changes nothing."""
        return await FulfillmentService(db_session).pick(tenant, request_id)

    @post("/{request_id:str}/cancel", status_code=200, responses=problem_responses(400, 404, 409, 422))
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        request_id: RequestId,
        idempotency_key: IdempotencyKeyHeader = None,
        data: Annotated[CancelRequest | None, Body(description="Omit (or no lines) to cancel everything open")] = None,
    ) -> Response[FulfillmentRequest]:
        """Cancel the whole request or some lines, only before pick (409 ``already_picked`` after); releases
        the committed units. Cancelling everything again changes nothing; cancelling some units needs an
        ``Idempotency-Key`` to be safe to retry."""

        async def cancel() -> FulfillmentRequest:
            return await FulfillmentService(db_session).cancel(tenant, request_id, data or CancelRequest())

        answer = await run_once(
            request, db_session, WmsIdempotencyKey, tenant=tenant, operation=cancel, status_code=200, required=False
        )
        return cast(Response[FulfillmentRequest], answer)

    @post(
        "/{request_id:str}/shipments",
        status_code=201,
        responses={
            201: created(FulfillmentRequest, "Shipment confirmed"),
            **problem_responses(400, 404, 409, 422),
        },
    )
    async def confirm_shipment(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        request_id: RequestId,
        data: JSONBody[ShipmentNotice],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        """Confirm a (partial) shipment: its units leave on_hand and committed; announced as
        ``wms.shipment.confirmed``. The same ``shipment_id`` again changes nothing; more than a line has open
        is 409 ``over_shipment``."""

        async def ship() -> FulfillmentRequest:
            return await FulfillmentService(db_session).ship(tenant, request_id, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=ship, required=False)


class ReturnReceiptController(Controller):
    path = "/wms/v1/return-receipts"
    tags = ["returns"]

    @post(
        "/",
        status_code=201,
        responses={
            201: created(ReturnReceipt, "Received"),
            **problem_responses(400, 409, 422),
        },
    )
    async def receive(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        idempotency_key: RequiredIdempotencyKeyHeader,
        data: JSONBody[ReturnReceiptCreate],
    ) -> Response[Any]:
        """Receive returned units: resellable back to on_hand, damaged to damaged."""

        async def receive() -> ReturnReceipt:
            return await ReturnReceiptService(db_session).receive(tenant, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=receive)

    @get("/", responses=problem_responses(400))
    async def list_receipts(
        self, db_session: DbSession, tenant: Tenant, order_id: OrderQuery = None, limit: Limit = 100
    ) -> list[ReturnReceipt]:
        return await ReturnReceiptService(db_session).find(tenant, order_id=order_id, limit=limit)

    @get("/{receipt_id:str}", responses=problem_responses(400, 404))
    async def get_receipt(
        self, db_session: DbSession, tenant: Tenant, receipt_id: Annotated[str, PathParameter(max_length=64)]
    ) -> ReturnReceipt:
        return await ReturnReceiptService(db_session).get(tenant, receipt_id)


class PartnerWebhookController(Controller):
    """Not under ``/wms/v1``: partners deliver to the gateway's webhook route, which needs no token."""

    path = "/webhooks/3pl"
    tags = ["webhooks"]
    include_in_schema = False

    @post("/{partner:str}", status_code=200, responses=problem_responses(400, 401, 403, 409, 422))
    async def deliver(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        partner: Annotated[str, PathParameter(pattern=PARTNER_PATTERN)],
    ) -> WebhookReceipt:
        """Verify the ``Omnigate-Signature``, dedupe on ``Omnigate-Delivery-Id``, apply the shipment."""
        return await PartnerWebhookIntake(db_session).receive(partner, request.headers, await request.body())
