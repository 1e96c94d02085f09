"""Tax HTTP routes: reference data (``/tax/v1/jurisdictions``, ``/tax/v1/exemptions``), ``/tax/v1/calculate``
and committed ``/tax/v1/transactions`` with their refunds."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import (
    TaxCalculation,
    TaxCalculationRequest,
    TaxExemption,
    TaxJurisdiction,
    TaxRefund,
    TaxRefundRequest,
    TaxTransaction,
    TaxTransactionRequest,
)
from canonical.address import CountryCode
from service_kit.dependencies import DbSession, Tenant
from service_kit.idempotency import EnforcedIdempotencyKeyHeader, run_once
from service_kit.openapi import created_response
from service_kit.problems import problem_responses
from system_apis.tax.jurisdictions import ExemptionService, JurisdictionService
from system_apis.tax.models import TaxIdempotencyKey
from system_apis.tax.refunds import RefundService
from system_apis.tax.schemas import ExemptionList, ExemptionWrite, JurisdictionList, JurisdictionWrite, TransactionList
from system_apis.tax.service import TaxService

__all__ = ["CalculationController", "ExemptionController", "JurisdictionController", "TransactionController"]

JurisdictionCodePath = Annotated[
    str, PathParameter(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,31}$", description="Jurisdiction id, e.g. US-NY-NYC")
]
CertificatePath = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
TransactionIdPath = Annotated[str, PathParameter(pattern=r"^txn_[0-9a-f]{32}$", description="Tax transaction id")]


def _created(model: type, what: str) -> ResponseSpec:
    return ResponseSpec(data_container=model, description=f"Created: {what}")


class JurisdictionController(Controller):
    path = "/tax/v1/jurisdictions"
    tags = ["jurisdictions"]

    @get("/", responses=problem_responses(400))
    async def list_jurisdictions(
        self,
        db_session: DbSession,
        tenant: Tenant,
        country_code: Annotated[CountryCode | None, QueryParameter(pattern="^[A-Z]{2}$")] = None,
    ) -> JurisdictionList:
        """Every jurisdiction of the tenant in code order, optionally of one country."""
        return JurisdictionList(
            jurisdictions=await JurisdictionService(db_session).list_jurisdictions(tenant, country_code=country_code)
        )

    @get("/{code:str}", responses=problem_responses(400, 404))
    async def get_jurisdiction(
        self, db_session: DbSession, tenant: Tenant, code: JurisdictionCodePath
    ) -> TaxJurisdiction:
        return await JurisdictionService(db_session).get(tenant, code)

    @put("/{code:str}", responses={201: created_response(TaxJurisdiction), **problem_responses(400, 409)})
    async def put_jurisdiction(
        self, db_session: DbSession, tenant: Tenant, code: JurisdictionCodePath, data: JSONBody[JurisdictionWrite]
    ) -> Response[TaxJurisdiction]:
        """Create or replace a jurisdiction and its rates (idempotent). 409 when another jurisdiction already
        covers the same country, region and postal prefix."""
        jurisdiction, created = await JurisdictionService(db_session).upsert(tenant, code, data)
        return Response(jurisdiction, status_code=201 if created else 200)


class ExemptionController(Controller):
    path = "/tax/v1/exemptions"
    tags = ["exemptions"]

    @get("/", responses=problem_responses(400))
    async def list_exemptions(
        self,
        db_session: DbSession,
        tenant: Tenant,
        customer_id: Annotated[str | None, QueryParameter(min_length=1, max_length=64)] = None,
    ) -> ExemptionList:
        return ExemptionList(
            exemptions=await ExemptionService(db_session).list_exemptions(tenant, customer_id=customer_id)
        )

    @put("/{certificate_id:str}", responses={201: created_response(TaxExemption), **problem_responses(400, 409)})
    async def put_exemption(
        self, db_session: DbSession, tenant: Tenant, certificate_id: CertificatePath, data: JSONBody[ExemptionWrite]
    ) -> Response[TaxExemption]:
        """Create or replace a customer's exemption certificate (idempotent)."""
        exemption, created = await ExemptionService(db_session).upsert(tenant, certificate_id, data)
        return Response(exemption, status_code=201 if created else 200)


class CalculationController(Controller):
    path = "/tax/v1/calculate"
    tags = ["calculation"]

    @post("/", status_code=200, responses=problem_responses(400, 422))
    async def calculate(
        self, db_session: DbSession, tenant: Tenant, data: JSONBody[TaxCalculationRequest]
    ) -> TaxCalculation:
        """The tax on lines shipped to an address; records nothing.

        Tax is rounded per line, half up to the currency's minor unit (2 places for USD, 0 for JPY), and
        totals are sums of the rounded lines. The most specific jurisdiction containing the address applies
        (postal prefix, then state or province, then country). No jurisdiction: 422 ``unknown_jurisdiction``
        naming the address fields in ``fields``.
        """
        return await TaxService(db_session).calculate(tenant, data)


class TransactionController(Controller):
    path = "/tax/v1/transactions"
    tags = ["transactions"]

    @post(
        "/",
        responses={
            201: _created(TaxTransaction, "the tax is recorded for the order"),
            **problem_responses(400, 409, 422),
        },
    )
    async def commit_transaction(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        data: JSONBody[TaxTransactionRequest],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[TaxTransaction]:
        """Calculate and record the tax of an order (one transaction per order). ``Idempotency-Key`` is
        required: a retry gets the first answer; the same order under another key is 409
        ``order_already_committed`` naming ``transaction_id``."""

        async def record() -> TaxTransaction:
            return await TaxService(db_session).record_transaction(tenant, data)

        return await run_once(request, db_session, TaxIdempotencyKey, tenant=tenant, operation=record)

    @get("/", responses=problem_responses(400))
    async def find(
        self,
        db_session: DbSession,
        tenant: Tenant,
        order_id: Annotated[str, QueryParameter(min_length=1, max_length=100, description="The order's id")],
    ) -> TransactionList:
        """The order's transaction, if it has one (an empty list otherwise)."""
        return TransactionList(transactions=await TaxService(db_session).for_order(tenant, order_id))

    @get("/{transaction_id:str}", responses=problem_responses(400, 404))
    async def show(self, db_session: DbSession, tenant: Tenant, transaction_id: TransactionIdPath) -> TaxTransaction:
        return await TaxService(db_session).get(tenant, transaction_id)

    @post(
        "/{transaction_id:str}/refunds",
        responses={201: _created(TaxRefund, "the tax is reversed"), **problem_responses(400, 404, 409, 422)},
    )
    async def refund(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        transaction_id: TransactionIdPath,
        data: JSONBody[TaxRefundRequest],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[TaxRefund]:
        """Reverse the tax on returned units, an amount of a line, shipping, or (``full``) all that is left.
        Never more than was committed: 409 ``refund_exceeds_committed`` (``already_refunded`` when nothing is
        left). ``Idempotency-Key`` is required."""

        async def refund() -> TaxRefund:
            return await RefundService(db_session).refund(tenant, transaction_id, data)

        return await run_once(request, db_session, TaxIdempotencyKey, tenant=tenant, operation=refund)
