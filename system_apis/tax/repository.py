"""Every tax query."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.tax.models import (
    ExemptionRecord,
    JurisdictionRecord,
    RefundRecord,
    TransactionLineRecord,
    TransactionRecord,
)

__all__ = ["ExemptionRepository", "JurisdictionRepository", "TransactionRepository"]


class JurisdictionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, code: str, *, for_update: bool = False) -> JurisdictionRecord | None:
        query = select(JurisdictionRecord).where(JurisdictionRecord.tenant == tenant, JurisdictionRecord.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def covering(
        self, tenant: str, *, country_code: str, region_code: str, postal_prefix: str
    ) -> JurisdictionRecord | None:
        """The jurisdiction with exactly this scope, if any (at most one: a unique constraint)."""
        query = select(JurisdictionRecord).where(
            JurisdictionRecord.tenant == tenant,
            JurisdictionRecord.country_code == country_code,
            JurisdictionRecord.region_code == region_code,
            JurisdictionRecord.postal_prefix == postal_prefix,
        )
        return (await self.session.scalars(query)).one_or_none()

    async def in_country(self, tenant: str, country_code: str) -> Sequence[JurisdictionRecord]:
        query = select(JurisdictionRecord).where(
            JurisdictionRecord.tenant == tenant, JurisdictionRecord.country_code == country_code
        )
        return (await self.session.scalars(query)).all()

    async def list(self, tenant: str, *, country_code: str | None = None) -> Sequence[JurisdictionRecord]:
        query = select(JurisdictionRecord).where(JurisdictionRecord.tenant == tenant)
        if country_code is not None:
            query = query.where(JurisdictionRecord.country_code == country_code)
        return (await self.session.scalars(query.order_by(JurisdictionRecord.code))).all()

    def add(self, record: JurisdictionRecord) -> None:
        self.session.add(record)


class ExemptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, certificate_id: str, *, for_update: bool = False) -> ExemptionRecord | None:
        query = select(ExemptionRecord).where(
            ExemptionRecord.tenant == tenant, ExemptionRecord.certificate_id == certificate_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def list(self, tenant: str, *, customer_id: str | None = None) -> Sequence[ExemptionRecord]:
        query = select(ExemptionRecord).where(ExemptionRecord.tenant == tenant)
        if customer_id is not None:
            query = query.where(ExemptionRecord.customer_id == customer_id)
        return (await self.session.scalars(query.order_by(ExemptionRecord.certificate_id))).all()

    def add(self, record: ExemptionRecord) -> None:
        self.session.add(record)


class TransactionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str, transaction_id: str, *, for_update: bool = False) -> TransactionRecord | None:
        query = select(TransactionRecord).where(
            TransactionRecord.tenant == tenant, TransactionRecord.id == transaction_id
        )
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def for_order(self, tenant: str, order_id: str) -> TransactionRecord | None:
        query = select(TransactionRecord).where(
            TransactionRecord.tenant == tenant, TransactionRecord.order_id == order_id
        )
        return (await self.session.scalars(query)).one_or_none()

    async def lines(self, transaction_id: str) -> Sequence[TransactionLineRecord]:
        query = select(TransactionLineRecord).where(TransactionLineRecord.transaction_id == transaction_id)
        return (await self.session.scalars(query.order_by(TransactionLineRecord.position))).all()

    async def refunds(self, transaction_id: str) -> Sequence[RefundRecord]:
        query = select(RefundRecord).where(RefundRecord.transaction_id == transaction_id)
        return (await self.session.scalars(query.order_by(RefundRecord.created_at, RefundRecord.id))).all()

    def add(self, record: TransactionRecord | TransactionLineRecord | RefundRecord) -> None:
        self.session.add(record)
