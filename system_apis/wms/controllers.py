"""WMS HTTP routes for stock: ``/wms/v1/locations``, ``/inventory-positions``, ``/adjustments`` (the ledger),
``/cycle-counts`` and ``/transfers``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.exceptions import ValidationException
from litestar.openapi import ResponseSpec
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from canonical import InventoryPosition, LedgerReason, StockAdjustment, StockTransfer
from canonical.catalog import SKU_PATTERN
from canonical.warehouse import TransferStatus
from service_kit.dependencies import DbSession, Tenant
from service_kit.idempotency import IdempotencyKeyHeader, RequiredIdempotencyKeyHeader, run_once
from service_kit.openapi import created_response
from service_kit.problems import problem_responses, unprocessable_validation
from system_apis.wms.models import WmsIdempotencyKey
from system_apis.wms.schemas import (
    LOCATION_PATTERN,
    PARTNER_PATTERN,
    AdjustmentCreate,
    CycleCountCreate,
    CycleCountResult,
    Location,
    LocationKind,
    LocationWrite,
    PositionCount,
    TransferCreate,
)
from system_apis.wms.service import AdjustmentService, InventoryService, LocationService
from system_apis.wms.transfers import TransferService

__all__ = [
    "AdjustmentController",
    "CycleCountController",
    "InventoryPositionController",
    "Limit",
    "LocationController",
    "LocationQuery",
    "TransferController",
    "created",
]


def created(model: type, description: str) -> ResponseSpec:
    """The ``201`` of a POST that creates something (no generated example: canonical structs validate)."""
    return ResponseSpec(data_container=model, description=description, generate_examples=False)


LocationPath = Annotated[str, PathParameter(pattern=LOCATION_PATTERN, description="Location code, e.g. DC-EAST")]
SkuPath = Annotated[str, PathParameter(pattern=SKU_PATTERN)]
LocationQuery = Annotated[str | None, QueryParameter(pattern=LOCATION_PATTERN)]
SkuQuery = Annotated[str | None, QueryParameter(pattern=SKU_PATTERN)]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


class LocationController(Controller):
    path = "/wms/v1/locations"
    tags = ["locations"]

    @get("/", responses=problem_responses(400))
    async def list_locations(
        self,
        db_session: DbSession,
        tenant: Tenant,
        kind: FromQuery[LocationKind | None] = None,
        operator: Annotated[str | None, QueryParameter(pattern=PARTNER_PATTERN)] = None,
    ) -> list[Location]:
        """Locations, optionally only one kind or those one 3PL partner operates."""
        return await LocationService(db_session).list_locations(tenant, kind=kind, operator=operator)

    @get("/{code:str}", responses=problem_responses(400, 404))
    async def get_location(self, db_session: DbSession, tenant: Tenant, code: LocationPath) -> Location:
        return await LocationService(db_session).get_location(tenant, code)

    @put("/{code:str}", responses={201: created_response(Location), **problem_responses(400, 409)})
    async def put_location(
        self, db_session: DbSession, tenant: Tenant, code: LocationPath, data: JSONBody[LocationWrite]
    ) -> Response[Location]:
        """Create or replace a location (idempotent)."""
        location, created = await LocationService(db_session).upsert_location(tenant, code, data)
        return Response(location, status_code=201 if created else 200)


class InventoryPositionController(Controller):
    path = "/wms/v1/inventory-positions"
    tags = ["inventory"]

    @get("/", responses=problem_responses(400))
    async def find_positions(
        self,
        db_session: DbSession,
        tenant: Tenant,
        sku: SkuQuery = None,
        location: LocationQuery = None,
        limit: Limit = 500,
    ) -> list[InventoryPosition]:
        """Positions by state, filtered by SKU and/or location."""
        return await InventoryService(db_session).find_positions(tenant, sku=sku, location=location, limit=limit)

    @put("/{location:str}/{sku:str}", responses=problem_responses(400, 404, 409))
    async def record_count(
        self, db_session: DbSession, tenant: Tenant, location: LocationPath, sku: SkuPath, data: JSONBody[PositionCount]
    ) -> InventoryPosition:
        """Record a count of one SKU at one location (idempotent: the same count twice changes nothing)."""
        position, _changed = await InventoryService(db_session).record_count(tenant, location, sku, data)
        return position


class AdjustmentController(Controller):
    path = "/wms/v1/adjustments"
    tags = ["stock ledger"]

    @post(
        "/",
        status_code=201,
        exception_handlers={ValidationException: unprocessable_validation},
        responses={
            201: created(StockAdjustment, "Recorded"),
            **problem_responses(400, 404, 409, 422),
        },
    )
    async def adjust(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        idempotency_key: RequiredIdempotencyKeyHeader,
        data: JSONBody[AdjustmentCreate],
    ) -> Response[Any]:
        """Adjust a position for a reason; the body's invalid or missing fields (e.g. an unknown ``reason``)
        are a 422 naming them, a change that would make any state negative a 409."""

        async def adjust() -> StockAdjustment:
            return await AdjustmentService(db_session).adjust(tenant, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=adjust)

    @get("/", responses=problem_responses(400))
    async def ledger(
        self,
        db_session: DbSession,
        tenant: Tenant,
        sku: SkuQuery = None,
        location_id: LocationQuery = None,
        reason: FromQuery[LedgerReason | None] = None,
        reference: Annotated[str | None, QueryParameter(min_length=1, max_length=100)] = None,
        since: FromQuery[datetime | None] = None,
        after_id: Annotated[int | None, QueryParameter(ge=0, description="Page on: the last id you saw")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[StockAdjustment]:
        """The stock ledger, oldest first: every change of every position, with its reason."""
        return await AdjustmentService(db_session).ledger_entries(
            tenant,
            sku=sku,
            location=location_id,
            reason=reason,
            reference=reference,
            since=since,
            after_id=after_id,
            limit=limit,
        )

    @get("/{adjustment_id:int}", responses=problem_responses(400, 404))
    async def get_adjustment(
        self, db_session: DbSession, tenant: Tenant, adjustment_id: Annotated[int, PathParameter(ge=1)]
    ) -> StockAdjustment:
        return await AdjustmentService(db_session).get(tenant, adjustment_id)


class CycleCountController(Controller):
    path = "/wms/v1/cycle-counts"
    tags = ["stock ledger"]

    @post(
        "/",
        status_code=201,
        responses={
            201: created(CycleCountResult, "Counted"),
            **problem_responses(400, 404, 409, 422),
        },
    )
    async def count(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        data: JSONBody[CycleCountCreate],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        """Record a counted quantity: the difference to on_hand becomes a ``cycle_count`` adjustment."""

        async def count() -> CycleCountResult:
            return await AdjustmentService(db_session).cycle_count(tenant, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=count, required=False)


class TransferController(Controller):
    path = "/wms/v1/transfers"
    tags = ["transfers"]

    @post(
        "/",
        status_code=201,
        responses={
            201: created(StockTransfer, "Shipped: units in transit"),
            **problem_responses(400, 409, 422),
        },
    )
    async def ship(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        idempotency_key: RequiredIdempotencyKeyHeader,
        data: JSONBody[TransferCreate],
    ) -> Response[Any]:
        """Move units: off on_hand at the source now, in_transit at the destination until received."""

        async def ship() -> StockTransfer:
            return await TransferService(db_session).ship(tenant, data)

        return await run_once(request, db_session, WmsIdempotencyKey, tenant=tenant, operation=ship)

    @get("/", responses=problem_responses(400))
    async def list_transfers(
        self,
        db_session: DbSession,
        tenant: Tenant,
        status: FromQuery[TransferStatus | None] = None,
        location_id: LocationQuery = None,
        limit: Limit = 100,
    ) -> list[StockTransfer]:
        return await TransferService(db_session).find(tenant, status=status, location=location_id, limit=limit)

    @get("/{transfer_id:str}", responses=problem_responses(400, 404))
    async def get_transfer(
        self, db_session: DbSession, tenant: Tenant, transfer_id: Annotated[str, PathParameter(max_length=64)]
    ) -> StockTransfer:
        return await TransferService(db_session).get(tenant, transfer_id)

    @post("/{transfer_id:str}/receive", status_code=200, responses=problem_responses(400, 404, 409))
    async def receive(
        self, db_session: DbSession, tenant: Tenant, transfer_id: Annotated[str, PathParameter(max_length=64)]
    ) -> StockTransfer:
        """Receive every unit at the destination (in_transit → on_hand); again changes nothing."""
        return await TransferService(db_session).receive(tenant, transfer_id)
