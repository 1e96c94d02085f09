"""The tenant's shop connection and the links from our identifiers (SKUs, location codes) to Shopify's."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service_kit.problems import Conflict
from system_apis.shopify.adapters.admin_wire import gid
from system_apis.shopify.connector import API_VERSION, graphql_endpoint
from system_apis.shopify.models import ShopConnectionRecord
from system_apis.shopify.repository import LinkRepository, ShopRepository
from system_apis.shopify.schemas import InventoryItemLink, LocationLink, ShopConnection, ShopConnectionWrite

__all__ = ["ShopNotConnected", "ShopSetupService", "not_connected"]


class ShopNotConnected(Conflict):
    code = "shop_not_connected"


def not_connected(tenant: str) -> ShopNotConnected:
    return ShopNotConnected(f"tenant '{tenant}' has no Shopify shop connected; PUT /shopify/v1/shop first")


class ShopSetupService:
    """The tenant's shop connection and the links from our identifiers to Shopify's."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.shops = ShopRepository(session)
        self.links = LinkRepository(session)

    # -- the shop connection ------------------------------------------------------------------------------

    async def get_connection(self, tenant: str) -> ShopConnection:
        record = await self.shops.get(tenant)
        if record is None:
            raise not_connected(tenant)
        return _connection(record)

    async def put_connection(self, tenant: str, change: ShopConnectionWrite) -> tuple[ShopConnection, bool]:
        record = await self.shops.get(tenant, for_update=True)
        created = record is None
        if record is None:
            record = ShopConnectionRecord(tenant=tenant)
            self.shops.add(record)
        record.shop_domain = change.shop_domain
        record.access_token = change.access_token
        record.backend = change.backend
        record.admin_url = change.admin_url
        record.updated_at = datetime.now(UTC)
        await self.session.flush()
        return _connection(record), created

    # -- identifiers ----------------------------------------------------------------------------------------

    async def list_item_links(self, tenant: str) -> list[InventoryItemLink]:
        return [
            InventoryItemLink(sku=r.sku, inventory_item_id=r.inventory_item_id)
            for r in await self.links.list_items(tenant)
        ]

    async def link_item(self, tenant: str, sku: str, inventory_item_id: str) -> tuple[InventoryItemLink, bool]:
        item_gid = gid("InventoryItem", inventory_item_id)
        created = await self.links.put_item(tenant, sku, item_gid)
        await self.session.flush()
        return InventoryItemLink(sku=sku, inventory_item_id=item_gid), created

    async def list_location_links(self, tenant: str) -> list[LocationLink]:
        return [
            LocationLink(location=r.code, location_id=r.location_id) for r in await self.links.list_locations(tenant)
        ]

    async def link_location(self, tenant: str, code: str, location_id: str) -> tuple[LocationLink, bool]:
        location_gid = gid("Location", location_id)
        created = await self.links.put_location(tenant, code, location_gid)
        await self.session.flush()
        return LocationLink(location=code, location_id=location_gid), created


def _connection(record: ShopConnectionRecord) -> ShopConnection:
    return ShopConnection(
        tenant=record.tenant,
        shop_domain=record.shop_domain,
        backend=record.backend,  # type: ignore[arg-type]
        admin_url=record.admin_url,
        api_version=API_VERSION,
        graphql_endpoint=graphql_endpoint(record.shop_domain, record.admin_url),
    )
