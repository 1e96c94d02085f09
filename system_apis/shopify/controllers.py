"""``/shopify/v1``: the tenant's shop, identifier links, the four mutations and the mutation log.

Every write takes an ``Idempotency-Key``: a retry gets the first answer and never sends a mutation twice.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from canonical.catalog import SKU_PATTERN
from service_kit.dependencies import DbSession, Tenant
from service_kit.idempotency import EnforcedIdempotencyKeyHeader, run_once
from service_kit.openapi import created_response
from service_kit.problems import problem_responses
from system_apis.shopify.connector import ShopifyConnector
from system_apis.shopify.models import IdempotencyKeyRecord
from system_apis.shopify.schemas import (
    LOCATION_PATTERN,
    FulfillmentCreate,
    FulfillmentCreated,
    InventoryItemLink,
    InventoryItemLinkWrite,
    InventoryPublish,
    InventoryPublished,
    LocationLink,
    LocationLinkWrite,
    MutationPage,
    OrderCancel,
    OrderCancelled,
    OrderRisk,
    RefundCreate,
    RefundCreated,
    ShopConnection,
    ShopConnectionWrite,
)
from system_apis.shopify.service import ShopifyAdminService
from system_apis.shopify.shop import ShopSetupService

__all__ = ["LinkController", "MutationController", "ShopController", "provide_connector"]

Connector = NamedDependency[ShopifyConnector]
OrderPath = Annotated[
    str, PathParameter(pattern=r"^(gid://shopify/Order/)?[0-9]{1,20}$", description="Shopify order id")
]
_WRITE_PROBLEMS = problem_responses(400, 409, 422, 503)


async def provide_connector(state: State) -> ShopifyConnector:
    connector: ShopifyConnector = state.shopify_connector
    return connector


def _service(db_session: Any, connector: ShopifyConnector) -> ShopifyAdminService:
    return ShopifyAdminService(db_session, connector)


class ShopController(Controller):
    path = "/shopify/v1/shop"
    tags = ["shop"]

    @get("/", responses=problem_responses(409))
    async def get_shop(self, db_session: DbSession, tenant: Tenant) -> ShopConnection:
        """The tenant's shop connection (never its access token)."""
        return await ShopSetupService(db_session).get_connection(tenant)

    @put("/", responses={201: created_response(ShopConnection), **problem_responses(400)})
    async def put_shop(
        self, db_session: DbSession, tenant: Tenant, data: JSONBody[ShopConnectionWrite]
    ) -> Response[ShopConnection]:
        """Connect the tenant's shop: domain, Admin API access token, backend (idempotent)."""
        shop, created = await ShopSetupService(db_session).put_connection(tenant, data)
        return Response(shop, status_code=201 if created else 200)


class LinkController(Controller):
    path = "/shopify/v1"
    tags = ["identifiers"]

    @get("/inventory-items")
    async def list_items(self, db_session: DbSession, tenant: Tenant) -> list[InventoryItemLink]:
        return await ShopSetupService(db_session).list_item_links(tenant)

    @put("/inventory-items/{sku:str}", responses={201: created_response(InventoryItemLink), **problem_responses(400)})
    async def link_item(
        self,
        db_session: DbSession,
        tenant: Tenant,
        sku: Annotated[str, PathParameter(pattern=SKU_PATTERN)],
        data: JSONBody[InventoryItemLinkWrite],
    ) -> Response[InventoryItemLink]:
        """Link a SKU to its Shopify inventory item (idempotent)."""
        link, created = await ShopSetupService(db_session).link_item(tenant, sku, data.inventory_item_id)
        return Response(link, status_code=201 if created else 200)

    @get("/locations")
    async def list_locations(self, db_session: DbSession, tenant: Tenant) -> list[LocationLink]:
        return await ShopSetupService(db_session).list_location_links(tenant)

    @put("/locations/{code:str}", responses={201: created_response(LocationLink), **problem_responses(400)})
    async def link_location(
        self,
        db_session: DbSession,
        tenant: Tenant,
        code: Annotated[str, PathParameter(pattern=LOCATION_PATTERN)],
        data: JSONBody[LocationLinkWrite],
    ) -> Response[LocationLink]:
        """Link one of our location codes to its Shopify location (idempotent)."""
        link, created = await ShopSetupService(db_session).link_location(tenant, code, data.location_id)
        return Response(link, status_code=201 if created else 200)


class MutationController(Controller):
    dependencies = {"shopify_connector": Provide(provide_connector)}
    path = "/shopify/v1"
    tags = ["mutations"]

    @post("/inventory-levels", status_code=200, responses=_WRITE_PROBLEMS)
    async def publish_inventory(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        shopify_connector: Connector,
        data: JSONBody[InventoryPublish],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[InventoryPublished]:
        """Set absolute quantities per SKU and location (``inventorySetQuantities``)."""
        service = _service(db_session, shopify_connector)
        return await run_once(
            request,
            db_session,
            IdempotencyKeyRecord,
            tenant=tenant,
            status_code=200,
            operation=lambda: service.publish_inventory(tenant, data, str(idempotency_key)),
        )

    @post("/fulfillments", responses=_WRITE_PROBLEMS)
    async def create_fulfillment(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        shopify_connector: Connector,
        data: JSONBody[FulfillmentCreate],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[FulfillmentCreated]:
        """Fulfill order lines with tracking (``fulfillmentCreate`` on the order's fulfillment orders)."""
        service = _service(db_session, shopify_connector)
        return await run_once(
            request,
            db_session,
            IdempotencyKeyRecord,
            tenant=tenant,
            operation=lambda: service.create_fulfillment(tenant, data, str(idempotency_key)),
        )

    @post("/refunds", responses=_WRITE_PROBLEMS)
    async def create_refund(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        shopify_connector: Connector,
        data: JSONBody[RefundCreate],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[RefundCreated]:
        """Record a refund (``refundCreate``): lines (optionally restocked), shipping, money returned."""
        service = _service(db_session, shopify_connector)
        return await run_once(
            request,
            db_session,
            IdempotencyKeyRecord,
            tenant=tenant,
            operation=lambda: service.create_refund(tenant, data, str(idempotency_key)),
        )

    @post("/orders/{order_id:str}/cancel", status_code=200, responses=_WRITE_PROBLEMS)
    async def cancel_order(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        tenant: Tenant,
        shopify_connector: Connector,
        order_id: OrderPath,
        data: JSONBody[OrderCancel],
        idempotency_key: EnforcedIdempotencyKeyHeader = None,
    ) -> Response[OrderCancelled]:
        """Cancel an order (``orderCancel``); a cancelled order cannot be cancelled again (422)."""
        service = _service(db_session, shopify_connector)
        return await run_once(
            request,
            db_session,
            IdempotencyKeyRecord,
            tenant=tenant,
            status_code=200,
            operation=lambda: service.cancel_order(tenant, order_id, data, str(idempotency_key)),
        )

    @get("/orders/{order_id:str}/risk", responses=problem_responses(400, 404, 409, 503))
    async def order_risk(
        self, db_session: DbSession, tenant: Tenant, shopify_connector: Connector, order_id: OrderPath
    ) -> OrderRisk:
        """Shopify's fraud risk summary for an order (``Order.risk``): its recommendation and assessments."""
        return await _service(db_session, shopify_connector).order_risk(tenant, order_id)

    @get("/mutations", responses=problem_responses(400))
    async def list_mutations(
        self,
        db_session: DbSession,
        tenant: Tenant,
        shopify_connector: Connector,
        mutation: Annotated[
            str | None,
            QueryParameter(pattern=r"^(inventorySetQuantities|fulfillmentCreate|refundCreate|orderCancel)$"),
        ] = None,
        order_id: Annotated[str | None, QueryParameter(pattern=r"^(gid://shopify/Order/)?[0-9]{1,20}$")] = None,
        cursor: Annotated[
            str | None, QueryParameter(pattern=r"^[0-9]{1,18}$", description="`next_cursor` of the last page")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> MutationPage:
        """Every mutation sent (graphql) or recorded (reference), newest first: what went, or would go, to Shopify."""
        return await _service(db_session, shopify_connector).list_mutations(
            tenant, cursor=int(cursor) if cursor else None, limit=limit, mutation=mutation, order_id=order_id
        )
