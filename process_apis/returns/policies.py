"""Return policies as data, one per tenant; a tenant that has not set one gets :class:`ReturnPolicy`'s defaults.
Never commits."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from canonical.returns import ReturnPolicy
from process_apis.returns.models import ReturnPolicyRecord

__all__ = ["ReturnPolicies"]


class ReturnPolicies:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant: str) -> ReturnPolicy:
        record = await self.session.get(ReturnPolicyRecord, tenant)
        return ReturnPolicy() if record is None else msgspec.convert(record.policy, ReturnPolicy)

    async def put(self, tenant: str, policy: ReturnPolicy) -> ReturnPolicy:
        record = await self.session.get(ReturnPolicyRecord, tenant, with_for_update=True)
        document = msgspec.to_builtins(policy)
        if record is None:
            self.session.add(ReturnPolicyRecord(tenant=tenant, policy=document, updated_at=datetime.now(UTC)))
        else:
            record.policy, record.updated_at = document, datetime.now(UTC)
        await self.session.flush()
        return policy
