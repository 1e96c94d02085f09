"""Sales-order, invoice and credit-memo routes. Every create needs an ``Idempotency-Key``."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import (
    BookedSalesOrder,
    CreditMemo,
    Invoice,
    PostedShipment,
    SalesOrder,
    SalesOrderDecision,
    ShipmentNotice,
)
from service_kit.dependencies import DbSession, Tenant
from service_kit.idempotency import EnforcedIdempotencyKeyHeader, run_once
from service_kit.problems import PROBLEM_MEDIA_TYPE, problem_responses
from system_apis.erp.adapters import ErpBackend
from system_apis.erp.billing import BillingService
from system_apis.erp.models import ErpIdempotencyKey
from system_apis.erp.sales import SalesOrderService
from system_apis.erp.sales_schemas import (
    CreditMemoList,
    CreditMemoRequest,
    InvoiceList,
    InvoiceRequest,
    LineCancellationRequest,
    SalesOrderConflict,
    SalesOrderList,
    SalesOrderRejection,
    ShipmentList,
)

__all__ = ["CreditMemoController", "InvoiceController", "SalesOrderController"]

DocumentPath = Annotated[str, PathParameter(pattern=r"^[A-Z]{2,3}-\d{6,12}$", description="ERP document number")]
SourceId = Annotated[str, QueryParameter(min_length=1, max_length=100, description="The order's Omnigate id")]
_WRITE_PROBLEMS = (400, 404, 409, 422, 502, 503)


def _created(model: type, what: str) -> dict[int, ResponseSpec]:
    return {201: ResponseSpec(data_container=model, description=f"{what}; a retry with the same key replays it")}


def _problem(model: type, description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=model, description=description, media_type=PROBLEM_MEDIA_TYPE, generate_examples=False
    )


async def provide_backend(state: State) -> ErpBackend:
    """Dependency ``erp_backend``: the backend built at start-up (see :mod:`system_apis.erp.app`)."""
    backend: ErpBackend = state.erp_backend
    return backend


Backend = NamedDependency[ErpBackend]
_DEPENDENCIES = {"erp_backend": Provide(provide_backend)}


class SalesOrderController(Controller):
    path = "/erp/v1/sales-orders"
    dependencies = _DEPENDENCIES
    tags = ["sales orders"]

    @post("/validate", status_code=200, responses=problem_responses(400, 422))
    async def validate(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, data: JSONBody[SalesOrder]
    ) -> SalesOrderDecision:
        """Would the ERP book this order? Every reason it would not; nothing is written."""
        return await SalesOrderService(db_session, erp_backend).validate(tenant, data)

    @post(
        "/",
        responses={
            **_created(BookedSalesOrder, "Booked"),
            **problem_responses(*_WRITE_PROBLEMS),
            409: _problem(SalesOrderConflict, "Already booked under another key (or a key still in flight)"),
            422: _problem(SalesOrderRejection, "Refused, with the reasons; nothing was created"),
        },
    )
    async def book(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        erp_backend: Backend,
        data: JSONBody[SalesOrder],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[BookedSalesOrder]:
        """Book a sales order: 201 with its ``erp_order_ref``, or 422 ``sales_order_rejected`` with the reasons
        (nothing is created). The same source order under another key is 409 ``duplicate_sales_order``
        naming the existing ``erp_order_ref``."""
        service = SalesOrderService(db_session, erp_backend)
        return await run_once(
            request, db_session, ErpIdempotencyKey, tenant=tenant, operation=lambda: service.book(tenant, data)
        )

    @get("/", responses=problem_responses(400))
    async def find(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, source_id: SourceId
    ) -> SalesOrderList:
        """The order booked for a source order (zero or one)."""
        return await SalesOrderService(db_session, erp_backend).find(tenant, source_id)

    @get("/{ref:str}", responses=problem_responses(400, 404))
    async def get_order(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, ref: DocumentPath
    ) -> BookedSalesOrder:
        return await SalesOrderService(db_session, erp_backend).get(tenant, ref)

    @post(
        "/{ref:str}/shipments",
        responses={**_created(PostedShipment, "Posted"), **problem_responses(*_WRITE_PROBLEMS)},
    )
    async def post_shipment(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        erp_backend: Backend,
        ref: DocumentPath,
        data: JSONBody[ShipmentNotice],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[PostedShipment]:
        """Post a shipment (item fulfillment); more than is left to ship is 409 ``over_shipment``."""
        service = BillingService(db_session, erp_backend)
        return await run_once(
            request,
            db_session,
            ErpIdempotencyKey,
            tenant=tenant,
            operation=lambda: service.post_shipment(tenant, ref, data),
        )

    @post("/{ref:str}/line-cancellations", status_code=200, responses=problem_responses(*_WRITE_PROBLEMS))
    async def cancel_lines(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        erp_backend: Backend,
        ref: DocumentPath,
        data: JSONBody[LineCancellationRequest],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[BookedSalesOrder]:
        """Cut units from the order's lines before they ship (the channel cut them): the lines then ship and bill
        only what is left; more than a line has left to ship is 409 ``over_cancellation``."""
        service = SalesOrderService(db_session, erp_backend)
        return await run_once(
            request,
            db_session,
            ErpIdempotencyKey,
            tenant=tenant,
            status_code=200,
            operation=lambda: service.cancel_lines(tenant, ref, data),
        )

    @get("/{ref:str}/shipments", responses=problem_responses(400, 404))
    async def list_shipments(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, ref: DocumentPath
    ) -> ShipmentList:
        return await BillingService(db_session, erp_backend).shipments(tenant, ref)

    @post(
        "/{ref:str}/invoices",
        responses={**_created(Invoice, "Posted"), **problem_responses(*_WRITE_PROBLEMS)},
    )
    async def post_invoice(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        erp_backend: Backend,
        ref: DocumentPath,
        data: JSONBody[InvoiceRequest],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[Invoice]:
        """Invoice one shipment: exactly its quantities (partial shipments invoice partially)."""
        service = BillingService(db_session, erp_backend)
        return await run_once(
            request,
            db_session,
            ErpIdempotencyKey,
            tenant=tenant,
            operation=lambda: service.post_invoice(tenant, ref, data.shipment_id),
        )

    @get("/{ref:str}/invoices", responses=problem_responses(400, 404))
    async def list_invoices(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, ref: DocumentPath
    ) -> InvoiceList:
        return await BillingService(db_session, erp_backend).invoices(tenant, ref)


class InvoiceController(Controller):
    path = "/erp/v1/invoices"
    dependencies = _DEPENDENCIES
    tags = ["invoices"]

    @get("/{invoice_id:str}", responses=problem_responses(400, 404))
    async def get_invoice(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, invoice_id: DocumentPath
    ) -> Invoice:
        return await BillingService(db_session, erp_backend).get_invoice(tenant, invoice_id)

    @get("/{invoice_id:str}/credit-memos", responses=problem_responses(400, 404))
    async def list_credit_memos(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, invoice_id: DocumentPath
    ) -> CreditMemoList:
        return await BillingService(db_session, erp_backend).credit_memos(tenant, invoice_id)


class CreditMemoController(Controller):
    path = "/erp/v1/credit-memos"
    dependencies = _DEPENDENCIES
    tags = ["credit memos"]

    @post("/", responses={**_created(CreditMemo, "Posted"), **problem_responses(*_WRITE_PROBLEMS)})
    async def post_credit_memo(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        erp_backend: Backend,
        data: JSONBody[CreditMemoRequest],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[CreditMemo]:
        """Credit an invoice; beyond what is left of it is 422 ``credit_exceeds_invoice``."""
        service = BillingService(db_session, erp_backend)
        return await run_once(
            request,
            db_session,
            ErpIdempotencyKey,
            tenant=tenant,
            operation=lambda: service.post_credit_memo(tenant, data),
        )

    @get("/{credit_memo_id:str}", responses=problem_responses(400, 404))
    async def get_credit_memo(
        self, db_session: DbSession, tenant: Tenant, erp_backend: Backend, credit_memo_id: DocumentPath
    ) -> CreditMemo:
        return await BillingService(db_session, erp_backend).get_credit_memo(tenant, credit_memo_id)
