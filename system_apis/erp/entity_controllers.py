"""Legal entity and price list routes: ``/erp/v1/legal-entities`` and ``/erp/v1/price-lists``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import JSONBody, PathParameter

from service_kit.dependencies import DbSession, Tenant
from service_kit.openapi import created_response
from service_kit.problems import problem_responses
from system_apis.erp.entities import LegalEntityService, PriceListService
from system_apis.erp.entity_schemas import LegalEntity, LegalEntityList, LegalEntityWrite, PriceList, PriceListWrite

__all__ = ["LegalEntityController", "PriceListController"]

EntityCode = Annotated[str, PathParameter(pattern=r"^[A-Z0-9][A-Z0-9_-]{0,19}$", description="e.g. US01")]
PriceListCode = Annotated[
    str, PathParameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$", description="e.g. RETAIL-USD")
]


class LegalEntityController(Controller):
    path = "/erp/v1/legal-entities"
    tags = ["legal entities"]

    @get("/", responses=problem_responses(400))
    async def list_entities(self, db_session: DbSession, tenant: Tenant) -> LegalEntityList:
        return await LegalEntityService(db_session).list(tenant)

    @get("/{code:str}", responses=problem_responses(400, 404))
    async def get_entity(self, db_session: DbSession, tenant: Tenant, code: EntityCode) -> LegalEntity:
        return await LegalEntityService(db_session).get(tenant, code)

    @put("/{code:str}", responses={201: created_response(LegalEntity), **problem_responses(400, 409)})
    async def put_entity(
        self, db_session: DbSession, tenant: Tenant, code: EntityCode, data: JSONBody[LegalEntityWrite]
    ) -> Response[LegalEntity]:
        """Create or replace a legal entity (idempotent)."""
        entity, created = await LegalEntityService(db_session).upsert(tenant, code, data)
        return Response(entity, status_code=201 if created else 200)


class PriceListController(Controller):
    path = "/erp/v1/price-lists"
    tags = ["price lists"]

    @get("/{code:str}", responses=problem_responses(400, 404))
    async def get_price_list(self, db_session: DbSession, tenant: Tenant, code: PriceListCode) -> PriceList:
        return await PriceListService(db_session).get(tenant, code)

    @put("/{code:str}", responses={201: created_response(PriceList), **problem_responses(400, 409, 422)})
    async def put_price_list(
        self, db_session: DbSession, tenant: Tenant, code: PriceListCode, data: JSONBody[PriceListWrite]
    ) -> Response[PriceList]:
        """Create or replace a price list with exactly these prices (idempotent)."""
        price_list, created = await PriceListService(db_session).upsert(tenant, code, data)
        return Response(price_list, status_code=201 if created else 200)
