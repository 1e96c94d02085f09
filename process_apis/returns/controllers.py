"""``/returns/v1/returns`` (start, find, follow and retry returns) and ``/returns/v1/policy`` (the tenant's
return policy)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical.returns import ReturnParcel, ReturnPolicy, ReturnRequest, ReturnStatus, ReturnView
from process_apis.returns.desk import ReturnDesk
from process_apis.returns.policies import ReturnPolicies
from process_apis.returns.systems import ReturnSystems
from service_kit.dependencies import Clients, DbSession, Tenant
from service_kit.http.system_calls import BusinessFailure, SystemUnavailable
from service_kit.idempotency import IDEMPOTENT_REPLAY_HEADER, IdempotencyKeyHeader
from service_kit.problems import NotFound, Problem, ServiceUnavailable, problem_response, problem_responses

__all__ = ["PolicyController", "ReturnController"]

ReturnId = Annotated[str, PathParameter(min_length=1, max_length=40, description="The RMA number (`RMA-...`)")]


class ReturnRejected(Problem):
    status = 422
    code = "return_rejected"
    title_text = "Unprocessable content"


class UnknownOrder(NotFound):
    code = "unknown_order"


class ReturnController(Controller):
    path = "/returns/v1/returns"
    tags = ["returns"]

    @post("/", responses=problem_responses(400, 404, 422, 503))
    async def start_return(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        clients: Clients,
        data: JSONBody[ReturnRequest],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[Any]:
        """Start a return: 201 with its RMA number when authorized; 422 ``return_rejected`` (recorded, with
        machine-readable ``reasons``) when outside the window, not returnable, or more than shipped. The same
        ``reference`` (or ``Idempotency-Key``) again answers with the same return."""
        try:
            facts = await ReturnSystems(clients).order(tenant, data.order_id)
        except BusinessFailure as failure:
            raise UnknownOrder(f"there is no order '{data.order_id}'", extra={"order_id": data.order_id}) from failure
        except SystemUnavailable as error:
            raise ServiceUnavailable(
                f"the order process cannot be read: {error.detail}",
                code="orders_unavailable",
                headers={"Retry-After": "5"},
            ) from error
        reference = data.reference or idempotency_key or uuid.uuid4().hex
        view, created = await ReturnDesk(db_session).start(tenant, facts, data, source_reference=reference)
        headers = {} if created else {IDEMPOTENT_REPLAY_HEADER: "true"}
        if view.status == "rejected":
            reasons = view.rejection or []
            detail = "; ".join(str(reason.get("message") or reason.get("code")) for reason in reasons)
            problem = ReturnRejected(
                f"the return cannot be accepted: {detail}",
                extra={"return_id": view.return_id, "reasons": reasons},
                headers=headers,
            )
            return problem_response(request, problem)
        return Response(view, status_code=201 if created else 200, headers=headers)

    @get("/", responses=problem_responses(400))
    async def find_returns(
        self,
        db_session: DbSession,
        tenant: Tenant,
        order_id: Annotated[str | None, QueryParameter(max_length=100, description="Returns of this order")] = None,
        status: Annotated[ReturnStatus | None, QueryParameter(description="Only returns in this state")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[ReturnView]:
        """Newest first."""
        return await ReturnDesk(db_session).find(tenant, order_id=order_id, status=status, limit=limit)

    @get("/{return_id:str}", responses=problem_responses(400, 404))
    async def show_return(self, db_session: DbSession, tenant: Tenant, return_id: ReturnId) -> ReturnView:
        """The return, its refund, what each system answered, and its timeline."""
        return await ReturnDesk(db_session).show(tenant, return_id)

    @post("/{return_id:str}/in-transit", status_code=200, responses=problem_responses(400, 404, 409))
    async def in_transit(
        self, db_session: DbSession, tenant: Tenant, return_id: ReturnId, data: JSONBody[ReturnParcel]
    ) -> ReturnView:
        """The customer handed the parcel to a carrier (``{}`` when the carrier is not known)."""
        return await ReturnDesk(db_session).in_transit(tenant, return_id, msgspec.to_builtins(data))

    @post("/{return_id:str}/retry", status_code=200, responses=problem_responses(400, 404, 409))
    async def retry(self, db_session: DbSession, tenant: Tenant, return_id: ReturnId) -> ReturnView:
        """Go on from where the return stopped, once the cause is fixed; for a receipt that differs from the RMA,
        this accepts the receipt as it is, and the refund follows what was received."""
        return await ReturnDesk(db_session).retry(tenant, return_id)


class PolicyController(Controller):
    path = "/returns/v1/policy"
    tags = ["policy"]

    @get("/", responses=problem_responses(400))
    async def show_policy(self, db_session: DbSession, tenant: Tenant) -> ReturnPolicy:
        """The tenant's return policy (the defaults until one is set)."""
        return await ReturnPolicies(db_session).get(tenant)

    @put("/", responses=problem_responses(400))
    async def set_policy(self, db_session: DbSession, tenant: Tenant, data: JSONBody[ReturnPolicy]) -> ReturnPolicy:
        """Replace the policy; returns already requested keep the policy they were requested under."""
        return await ReturnPolicies(db_session).put(tenant, data)
