"""Inventory process routes for reservations (`/inventory/v1/reservations`) and sourcing rules."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter

from process_apis.inventory.locations import location_profiles
from process_apis.inventory.models import ChannelBuffer, InventoryIdempotency, SourcingRule
from process_apis.inventory.repository import AvailabilityRepository
from process_apis.inventory.reservations import ReservationService
from process_apis.inventory.schemas import (
    BackorderFill,
    ChannelBufferBody,
    LocationRelease,
    OrderReservation,
    ReservationCancellation,
    ReservationRequest,
    ShipmentConsumption,
    SourcingPolicyBody,
)
from service_kit.dependencies import Clients, DbSession, Tenant
from service_kit.idempotency import IdempotencyKeyHeader, RequiredIdempotencyKeyHeader, run_once
from service_kit.problems import problem_responses

__all__ = ["ReservationController", "SourcingController"]

OrderId = Annotated[str, PathParameter(min_length=1, max_length=64, description="The order's id in the order process")]


class ReservationController(Controller):
    path = "/inventory/v1/reservations"
    tags = ["reservations"]

    @post(
        "/",
        responses={
            201: ResponseSpec(OrderReservation, description="Reserved"),
            **problem_responses(400, 409, 422, 503),
        },
    )
    async def reserve(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        clients: Clients,
        data: JSONBody[ReservationRequest],
        idempotency_key: RequiredIdempotencyKeyHeader,
    ) -> Response[OrderReservation]:
        """Hold an accepted order's units at the locations routing chooses; what none can fill is backordered."""
        locations = await location_profiles(clients, tenant)  # before the transaction: no lock held across it

        async def reserve() -> OrderReservation:
            return await ReservationService(db_session).reserve(tenant, data, locations)

        return cast(
            Response[OrderReservation],
            await run_once(request, db_session, InventoryIdempotency, tenant=tenant, operation=reserve),
        )

    @get("/{order_id:str}", responses=problem_responses(400, 404))
    async def show(self, db_session: DbSession, tenant: Tenant, order_id: OrderId) -> OrderReservation:
        return await ReservationService(db_session).show(tenant, order_id)

    @post("/{order_id:str}/release", status_code=200, responses=problem_responses(400, 404))
    async def release(
        self, db_session: DbSession, tenant: Tenant, order_id: OrderId, data: JSONBody[LocationRelease]
    ) -> OrderReservation:
        """The order was released to this location's WMS (repeating it changes nothing)."""
        return await ReservationService(db_session).release(tenant, order_id, data.location_id)

    @post(
        "/{order_id:str}/shipments",
        responses={200: ResponseSpec(OrderReservation), **problem_responses(400, 404, 409, 422)},
    )
    async def consume(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        order_id: OrderId,
        data: JSONBody[ShipmentConsumption],
        idempotency_key: RequiredIdempotencyKeyHeader,
    ) -> Response[OrderReservation]:
        """Shipped units consume the holds; the key (the shipment's id) makes a redelivered shipment count once."""

        async def consume() -> OrderReservation:
            return await ReservationService(db_session).consume(tenant, order_id, data)

        return cast(
            Response[OrderReservation],
            await run_once(
                request, db_session, InventoryIdempotency, tenant=tenant, operation=consume, status_code=200
            ),
        )

    @post("/{order_id:str}/backorders/fill", status_code=200, responses=problem_responses(400, 404, 503))
    async def fill_backorders(
        self,
        db_session: DbSession,
        tenant: Tenant,
        clients: Clients,
        order_id: OrderId,
        data: JSONBody[BackorderFill],
    ) -> OrderReservation:
        """Hold what has come into stock for the order's open backorders (repeating it holds nothing twice);
        ``status`` says whether anything is still missing."""
        locations = await location_profiles(clients, tenant)  # before the transaction: no lock held across it
        return await ReservationService(db_session).fill_backorders(tenant, order_id, data, locations)

    @post("/{order_id:str}/cancel", status_code=200, responses=problem_responses(400, 404, 409, 422))
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        order_id: OrderId,
        data: JSONBody[ReservationCancellation],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[OrderReservation]:
        """Free the holds and backorders of some lines, some of their units, or the whole order. Cancelling
        whole lines again changes nothing; cancelling units needs an ``Idempotency-Key`` to be safe to retry."""

        async def cancel() -> OrderReservation:
            return await ReservationService(db_session).cancel(tenant, order_id, data)

        return cast(
            Response[OrderReservation],
            await run_once(
                request,
                db_session,
                InventoryIdempotency,
                tenant=tenant,
                operation=cancel,
                status_code=200,
                required=False,
            ),
        )


class SourcingController(Controller):
    path = "/inventory/v1/sourcing"
    tags = ["sourcing"]

    @get("/policy")
    async def show_policy(self, db_session: DbSession, tenant: Tenant) -> SourcingPolicyBody:
        rule = await AvailabilityRepository(db_session).sourcing_rule(tenant)
        return SourcingPolicyBody(ship_from_store=rule.ship_from_store if rule else True)

    @put("/policy", responses=problem_responses(400))
    async def set_policy(
        self, db_session: DbSession, tenant: Tenant, data: JSONBody[SourcingPolicyBody]
    ) -> SourcingPolicyBody:
        repository = AvailabilityRepository(db_session)
        rule = await repository.sourcing_rule(tenant)
        if rule is None:
            repository.add(SourcingRule(tenant=tenant, ship_from_store=data.ship_from_store))
        else:
            rule.ship_from_store = data.ship_from_store
        return data

    @put("/channel-buffers/{channel:str}/{sku:str}", responses=problem_responses(400))
    async def set_channel_buffer(
        self,
        db_session: DbSession,
        tenant: Tenant,
        channel: Annotated[str, PathParameter(min_length=1, max_length=32)],
        sku: Annotated[str, PathParameter(min_length=1, max_length=64, description="A SKU, or * for every SKU")],
        data: JSONBody[ChannelBufferBody],
    ) -> ChannelBufferBody:
        """Units of ``sku`` the channel may not sell: kept for the other channels."""
        repository = AvailabilityRepository(db_session)
        buffer = await repository.channel_buffer(tenant, channel, sku)
        if buffer is None:
            repository.add(ChannelBuffer(tenant=tenant, channel=channel, sku=sku, units=data.units))
        else:
            buffer.units = data.units
        return data
