"""Every query of the Shopify intake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from experience_apis.shopify.models import DeliveryRecord, ShopRecord

__all__ = ["DeliveryRepository"]


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def shop(self, shop_domain: str) -> ShopRecord | None:
        return await self.session.get(ShopRecord, shop_domain)

    async def by_webhook_id(self, shop_domain: str, webhook_id: str) -> DeliveryRecord | None:
        query = select(DeliveryRecord).where(
            DeliveryRecord.shop_domain == shop_domain, DeliveryRecord.webhook_id == webhook_id
        )
        return (await self.session.scalars(query)).first()

    async def event_announced(self, delivery: DeliveryRecord) -> bool:
        """Whether another delivery of the same topic, resource and event was announced."""
        query = select(DeliveryRecord.id).where(
            DeliveryRecord.tenant == delivery.tenant,
            DeliveryRecord.topic == delivery.topic,
            DeliveryRecord.resource_id == delivery.resource_id,
            DeliveryRecord.event_id == delivery.event_id,
            DeliveryRecord.status == "accepted",
            DeliveryRecord.id != delivery.id,
        )
        return (await self.session.scalars(query)).first() is not None

    async def newest_announced_update(self, delivery: DeliveryRecord, topics: Iterable[str]) -> datetime | None:
        query = select(func.max(DeliveryRecord.resource_updated_at)).where(
            DeliveryRecord.tenant == delivery.tenant,
            DeliveryRecord.resource_id == delivery.resource_id,
            DeliveryRecord.topic.in_(list(topics)),
            DeliveryRecord.status == "accepted",
        )
        newest: datetime | None = await self.session.scalar(query)
        return newest

    async def announced_count(self, delivery: DeliveryRecord) -> int:
        query = select(func.count()).where(
            DeliveryRecord.tenant == delivery.tenant,
            DeliveryRecord.resource_id == delivery.resource_id,
            DeliveryRecord.status == "accepted",
            DeliveryRecord.id != delivery.id,
        )
        return int(await self.session.scalar(query) or 0)
