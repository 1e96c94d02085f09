"""ERP HTTP routes: ``/erp/v1/items`` and ``/erp/v1/customers``."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical import Customer, ProductCatalogItem
from canonical.catalog import SKU_PATTERN
from service_kit.dependencies import DbSession, Tenant
from service_kit.openapi import created_response
from service_kit.problems import problem_responses
from system_apis.erp.schemas import CustomerPage, CustomerWrite, ItemPage, ItemWrite
from system_apis.erp.service import CatalogService, CustomerService

__all__ = ["CustomerController", "ItemController"]

SkuPath = Annotated[str, PathParameter(pattern=SKU_PATTERN, description="Stock keeping unit")]
CustomerIdPath = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
Cursor = Annotated[str | None, QueryParameter(max_length=64, description="`next_cursor` of the previous page")]


class ItemController(Controller):
    path = "/erp/v1/items"
    tags = ["items"]

    @get("/", responses=problem_responses(400))
    async def list_items(
        self, db_session: DbSession, tenant: Tenant, limit: Limit = 100, cursor: Cursor = None
    ) -> ItemPage:
        """The item master in SKU order."""
        return await CatalogService(db_session).list_items(tenant, cursor=cursor, limit=limit)

    @get("/{sku:str}", responses=problem_responses(400, 404))
    async def get_item(self, db_session: DbSession, tenant: Tenant, sku: SkuPath) -> ProductCatalogItem:
        return await CatalogService(db_session).get_item(tenant, sku)

    @put("/{sku:str}", responses={201: created_response(ProductCatalogItem), **problem_responses(400, 409)})
    async def put_item(
        self, db_session: DbSession, tenant: Tenant, sku: SkuPath, data: JSONBody[ItemWrite]
    ) -> Response[ProductCatalogItem]:
        """Create or replace an item (idempotent: the same body twice changes nothing)."""
        item, created = await CatalogService(db_session).upsert_item(tenant, sku, data)
        return Response(item, status_code=201 if created else 200)


class CustomerController(Controller):
    path = "/erp/v1/customers"
    tags = ["customers"]

    @get("/", responses=problem_responses(400))
    async def list_customers(
        self, db_session: DbSession, tenant: Tenant, limit: Limit = 100, cursor: Cursor = None
    ) -> CustomerPage:
        return await CustomerService(db_session).list_customers(tenant, cursor=cursor, limit=limit)

    @get("/{customer_id:str}", responses=problem_responses(400, 404))
    async def get_customer(self, db_session: DbSession, tenant: Tenant, customer_id: CustomerIdPath) -> Customer:
        return await CustomerService(db_session).get_customer(tenant, customer_id)

    @put("/{customer_id:str}", responses={201: created_response(Customer), **problem_responses(400, 409, 422)})
    async def put_customer(
        self, db_session: DbSession, tenant: Tenant, customer_id: CustomerIdPath, data: JSONBody[CustomerWrite]
    ) -> Response[Customer]:
        """Create or replace a customer (idempotent)."""
        customer, created = await CustomerService(db_session).upsert_customer(tenant, customer_id, data)
        return Response(customer, status_code=201 if created else 200)
