"""Every query of the order process."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from process_apis.orders.models import BusinessException

__all__ = ["ExceptionRepository"]


class ExceptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, tenant: str, dedupe_key: str) -> BusinessException | None:
        query = select(BusinessException).where(
            BusinessException.tenant == tenant, BusinessException.dedupe_key == dedupe_key
        )
        return (await self.session.scalars(query.execution_options(populate_existing=True))).first()

    async def open_for_order(self, tenant: str, order_id: str) -> list[BusinessException]:
        query = select(BusinessException).where(
            BusinessException.tenant == tenant,
            BusinessException.order_id == order_id,
            BusinessException.status != "resolved",
        )
        return list((await self.session.scalars(query.order_by(BusinessException.id))).all())

    async def get(self, tenant: str, exception_id: int) -> BusinessException | None:
        query = select(BusinessException).where(
            BusinessException.tenant == tenant, BusinessException.id == exception_id
        )
        return (await self.session.scalars(query)).first()

    async def page(
        self,
        tenant: str,
        *,
        status: str | None,
        kind: str | None,
        order_id: str | None,
        before_id: int | None,
        limit: int,
    ) -> list[BusinessException]:
        """Newest first; ``before_id`` continues a previous page."""
        query = select(BusinessException).where(BusinessException.tenant == tenant)
        if status is not None:
            query = query.where(BusinessException.status == status)
        if kind is not None:
            query = query.where(BusinessException.kind == kind)
        if order_id is not None:
            query = query.where(BusinessException.order_id == order_id)
        if before_id is not None:
            query = query.where(BusinessException.id < before_id)
        query = query.order_by(BusinessException.id.desc()).limit(limit)
        return list((await self.session.scalars(query)).all())
